from django.contrib import admin

from billing_admin.core.admin_mixins import SupportAdmin
from profiles.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(SupportAdmin):
    """Invitations are sent, re-sent and revoked by owners on their pages; support looks them up here
    (no add, change or delete: the nonce that makes a link valid is never shown)."""

    list_display = ("email", "role", "profile", "account", "status", "invited_by", "created", "expires_at")
    list_filter = ("status", "role")
    list_select_related = ("profile", "account", "invited_by")
    search_fields = ("email", "profile__name", "account__name")
    exclude = ("nonce",)
