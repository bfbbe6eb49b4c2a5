from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import ReadOnlyAdminMixin
from billing_admin.core.models import ActivityEvent
from profiles.models import RoleAssignment
from profiles.services.roles import role_change, role_grant, role_revoke


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ("user", "profile", "account", "role")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Support grants, changes and revokes roles here through the same services as the pages.

    Staff act with ``support=True``: the Django admin is theirs (it checked their model
    permissions), so no object permission is asked; the grant and the activity log name them.
    """

    list_display = ("user", "role", "profile", "account", "granted_by", "granted_at")
    list_filter = ("role", "account", "profile__account")
    list_select_related = ("user", "profile", "account", "granted_by")
    search_fields = ("user__email", "profile__name", "account__name")
    raw_id_fields = ("user", "profile", "account")
    form = RoleAssignmentForm

    def get_readonly_fields(self, request, obj=None):
        return ("user", "profile", "account", "granted_by", "granted_at") if obj else ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        try:
            if change:
                role_change(actor=request.user, assignment=RoleAssignment.objects.get(pk=obj.pk),
                            role=form.cleaned_data["role"], support=True)
            else:
                data = form.cleaned_data
                saved = role_grant(actor=request.user, user_email=data["user"].email, role=data["role"],
                                   profile=data.get("profile"), account=data.get("account"), support=True)
                obj.pk, obj.granted_at = saved.pk, saved.granted_at
        except (ValidationError, PermissionDenied, ValueError) as exc:
            obj.pk = None if not change else obj.pk
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            request._role_admin_failed = True

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_role_admin_failed", False):
            return redirect("admin:profiles_roleassignment_changelist")
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_role_admin_failed", False):
            return redirect("admin:profiles_roleassignment_change", obj.pk)
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        try:
            role_revoke(actor=request.user, assignment=obj, support=True)
        except (ValidationError, PermissionDenied) as exc:
            request._delete_refused = True
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_delete_refused", False):  # not "deleted successfully": it was not
            return redirect("admin:profiles_roleassignment_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    can_delete = False
    fields = ("user", "role", "granted_by", "granted_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Each row shows its user and who granted it, and links by __str__ (user, role, scope).
        return super().get_queryset(request).select_related("user", "granted_by", "profile", "account")


class ActivityInline(admin.TabularInline):
    model = ActivityEvent
    extra = 0
    can_delete = False
    fields = ("created", "actor_label", "verb", "target_repr", "changes")
    readonly_fields = fields
    ordering = ("-created",)
    verbose_name_plural = _("activity log")

    def has_add_permission(self, request, obj=None):
        return False


class ProfileActivityInline(ActivityInline):
    fk_name = "profile"


class AccountActivityInline(ActivityInline):
    fk_name = "account"


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created", "actor_label", "verb", "target_repr", "profile", "account")
    list_filter = ("verb", "account", "profile__account")
    list_select_related = ("profile", "account")
    search_fields = ("actor_label", "verb", "target_repr", "profile__name", "account__name")
    readonly_fields = [f.name for f in ActivityEvent._meta.fields]
