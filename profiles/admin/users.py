from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect

from billing_admin.core import activity
from billing_admin.core.admin import UserAdmin as CoreUserAdmin
from billing_admin.core.admin_mixins import error_text
from billing_admin.core.models import User
from profiles.services.roles import role_revoke


class UserAdmin(CoreUserAdmin):
    """Deleting a person removes their roles: through the role service, so the last owner of a
    profile or an account cannot disappear this way and every removal is in the activity log."""

    def delete_model(self, request, obj):
        try:
            with transaction.atomic():
                for assignment in obj.role_assignments.select_related("user", "profile", "account"):
                    role_revoke(actor=request.user, assignment=assignment, support=True)
                activity.record(actor=request.user, verb="user.deleted", target=obj, changes={"email": obj.email})
                super().delete_model(request, obj)
        except (ValidationError, PermissionDenied) as exc:
            request._delete_refused = True
            self.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_delete_refused", False):  # not "deleted successfully": it was not
            return redirect("admin:core_user_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
