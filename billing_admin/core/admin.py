from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from billing_admin.core.activity import describe_changes
from billing_admin.core.admin_mixins import AppendOnlyAdmin, SupportPermissions
from billing_admin.core.models import ActivityEvent, User
from billing_admin.core.permissions import (
    SupportAction,
    may_change_user,
    may_change_user_permissions,
    support_may,
)
from billing_admin.core.services import user_password_set, user_save, user_set_access

PERMISSION_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. Support with the user right edits customers' names, e-mail and active flag; staff
    records, staff status, superuser status, groups and permissions are the superusers' alone, and
    nobody edits their own rights."""

    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", *PERMISSION_FIELDS)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_view_permission(self, request, obj=None):
        return support_may(request.user, SupportAction.VIEW)

    def has_module_permission(self, request):
        return support_may(request.user, SupportAction.VIEW)

    def has_add_permission(self, request):
        return may_change_user(request.user, None)

    def has_change_permission(self, request, obj=None):
        # Also guards the password form: nobody below superuser sets a staff member's password.
        return may_change_user(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return may_change_user(request.user, obj) and support_may(request.user, SupportAction.MANAGE_ROLES) \
            and (obj is None or obj.pk != request.user.pk)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """Django's password form; a password that was set is in the activity log (same transaction)."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user_password_set(actor=request.user, user=self.get_object(request, unquote(id)))
        return response

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is not None and not may_change_user_permissions(request.user, obj):
            readonly += PERMISSION_FIELDS
        return readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, each through the role service
        return actions

    def save_model(self, request, obj, form, change):
        user_save(actor=request.user, user=obj, changed=form.changed_data, created=not change)

    def save_related(self, request, form, formsets, change):
        if "groups" in form.cleaned_data or "user_permissions" in form.cleaned_data:
            user_set_access(actor=request.user, user=form.instance,
                            groups=form.cleaned_data.get("groups", form.instance.groups.all()),
                            permissions=form.cleaned_data.get("user_permissions",
                                                              form.instance.user_permissions.all()))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups carry permissions (the support groups among them): only superusers change them."""

    def has_view_permission(self, request, obj=None):
        return support_may(request.user, SupportAction.VIEW)

    def has_module_permission(self, request):
        return support_may(request.user, SupportAction.VIEW)

    def has_add_permission(self, request):
        return may_change_user_permissions(request.user, None)

    def has_change_permission(self, request, obj=None):
        return may_change_user_permissions(request.user, None)

    def has_delete_permission(self, request, obj=None):
        return may_change_user_permissions(request.user, None)


# Sign-in throttling records (django-axes): support sees them; they are not edited by hand (the
# ``axes_reset`` management command unlocks a user).
for _model, _model_admin in list(admin.site._registry.items()):
    if _model._meta.app_label == "axes":
        admin.site.unregister(_model)
        admin.site.register(_model, type(type(_model_admin).__name__, (SupportPermissions, type(_model_admin)), {
            "actions": None}))


@admin.register(ActivityEvent)
class ActivityEventAdmin(AppendOnlyAdmin):
    list_display = ("created", "actor_label", "verb", "target_repr", "profile", "account")
    list_filter = ("verb",)
    list_select_related = ("profile", "account")
    search_fields = ("actor_label", "verb", "target_repr", "profile__name", "account__name")
    fields = ("created", "actor_label", "verb", "target_repr", "profile", "account", "change_lines")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("changes"))
    def change_lines(self, obj):
        return format_html_join("", "<div>{}</div>", ((line,) for line in describe_changes(obj.changes)))
