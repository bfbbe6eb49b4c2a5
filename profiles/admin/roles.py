from django import forms
from django.contrib import admin

from billing_admin.core.admin_mixins import ReadOnlyInline, SupportAdmin
from billing_admin.core.permissions import SupportAction
from profiles.models import RoleAssignment
from profiles.services.roles import role_change, role_grant, role_revoke


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ("user", "profile", "account", "role")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SupportAdmin):
    """Support grants, changes and revokes roles here through the same services as the pages (the
    last owner stays; guardian rows follow); the grant and the activity log name the engineer."""

    add_action = change_action = delete_action = SupportAction.MANAGE_ROLES
    list_display = ("user", "role", "profile", "account", "granted_by", "granted_at")
    list_filter = ("role",)
    list_select_related = ("user", "profile", "account", "granted_by")
    search_fields = ("user__email", "profile__name", "account__name")
    raw_id_fields = ("user", "profile", "account")
    form = RoleAssignmentForm

    def get_readonly_fields(self, request, obj=None):
        return ("user", "profile", "account", "granted_by", "granted_at") if obj else ("granted_by", "granted_at")

    def create(self, request, form):
        data = form.cleaned_data
        return role_grant(actor=request.user, user_email=data["user"].email, role=data["role"],
                          profile=data.get("profile"), account=data.get("account"), support=True)

    def update(self, request, obj, form):
        return role_change(actor=request.user, assignment=RoleAssignment.objects.get(pk=obj.pk),
                           role=form.cleaned_data["role"], support=True)

    def remove(self, request, obj):
        role_revoke(actor=request.user, assignment=obj, support=True)


class RoleAssignmentInline(ReadOnlyInline):
    model = RoleAssignment
    fields = ("user", "role", "granted_by", "granted_at")
    show_change_link = True

    def get_queryset(self, request):
        # Each row shows its user and who granted it, and links by __str__ (user, role, scope).
        return super().get_queryset(request).select_related("user", "granted_by", "profile", "account")
