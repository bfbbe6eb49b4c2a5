"""The e-mails of invitations and of roles granted by e-mail address, written in the inviter's language."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from profiles.models import Invitation, RoleAssignment

TOKEN_SALT = "profiles.invitation"


def invitation_token(invitation: Invitation) -> str:
    """The signed token of the invitation's current link (its id and nonce; a re-send draws a new nonce)."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("profiles:invitation-accept", args=[invitation_token(invitation)])


def _scope_name(scope) -> str:
    return scope.name


def send_invitation_email(invitation_id: int) -> bool:
    """E-mail the current link of a pending invitation. False when there is nothing to send any more."""
    invitation = Invitation.objects.select_related("profile", "account", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return False
    with translation.override(invitation.language):
        context = {
            "invitation": invitation, "url": invitation_url(invitation), "scope_name": _scope_name(invitation.scope),
            "is_account": bool(invitation.account_id), "role": invitation.get_role_display(),
            "inviter": invitation.invited_by.display_name if invitation.invited_by else settings.SELLER["name"],
            "expires": invitation.expires_at,
        }
        subject = render_to_string("profiles/email/invitation_subject.txt", context).strip()
        body = render_to_string("profiles/email/invitation.txt", context)
    EmailMessage(subject, body, to=[invitation.email]).send()
    return True


def send_role_notice_email(assignment_id: int, language: str) -> bool:
    """Tell someone who already has a sign-in that they were given a role (what an invitation is to others)."""
    assignment = RoleAssignment.objects.select_related("user", "profile", "account", "granted_by").filter(
        pk=assignment_id).first()
    if assignment is None or not assignment.user.is_active:
        return False
    scope = assignment.scope
    url_name, args = (("profiles:profile-overview", [scope.pk]) if assignment.profile_id
                      else ("profiles:account-overview", [scope.pk]))
    with translation.override(language):
        context = {
            "url": settings.SITE_URL + reverse(url_name, args=args), "scope_name": _scope_name(scope),
            "is_account": bool(assignment.account_id), "role": assignment.get_role_display(),
            "inviter": assignment.granted_by.display_name if assignment.granted_by else settings.SELLER["name"],
        }
        subject = render_to_string("profiles/email/role_granted_subject.txt", context).strip()
        body = render_to_string("profiles/email/role_granted.txt", context)
    EmailMessage(subject, body, to=[assignment.user.email]).send()
    return True
