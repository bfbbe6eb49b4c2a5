from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from billing_admin.core.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    # Deleting a person removes their roles: through the role service, so the last owner of a
    # profile or an account cannot disappear this way and every removal is in the activity log.
    def delete_model(self, request, obj):
        from profiles.services.roles import role_revoke

        try:
            with transaction.atomic():
                for assignment in obj.role_assignments.select_related("user", "profile", "account"):
                    role_revoke(actor=request.user, assignment=assignment, support=True)
                super().delete_model(request, obj)
        except (ValidationError, PermissionDenied) as exc:
            request._delete_refused = True
            self.message_user(request, f"{obj}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_delete_refused", False):  # not "deleted successfully": it was not
            return redirect("admin:core_user_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)
