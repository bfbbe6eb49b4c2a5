"""Invitations: re-send and revoke (owners, on the Permissions tab), and the public page the e-mailed link opens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import add_errors, after_success
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.forms.roles import AcceptInvitationForm
from profiles.models import Invitation
from profiles.selectors import profile_loader
from profiles.services import invitations as invitation_services
from profiles.views.permissions import refreshed_tab


def _invitation(profile, invitation_id) -> Invitation:
    invitation = Invitation.objects.select_related("profile", "account").filter(
        pk=invitation_id, profile=profile).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_act(request, invitation: Invitation, *, revoke: bool) -> tuple[str | None, str | None]:
    """Re-send or revoke an invitation through its service, for the profile's and the account's views alike:
    ``(message, None)`` on success, ``(None, error)`` when the service refuses."""
    service = invitation_services.invitation_revoke if revoke else invitation_services.invitation_resend
    try:
        invitation = service(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    done = (_("The invitation of %(email)s was revoked; its link no longer works.") if revoke
            else _("The invitation was sent to %(email)s again; earlier links no longer work."))
    return done % {"email": invitation.email}, None


def _done(request, profile, message: str | None = None, error: str | None = None):
    if message:
        messages.success(request, message)
    if error:
        messages.error(request, error)
    return after_success(request, url=reverse("profiles:profile-permissions", args=[profile.pk]),
                         render=lambda: refreshed_tab(request, profile))


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def invitation_resend_view(request, profile, invitation_id: int):
    message, error = invitation_act(request, _invitation(profile, invitation_id), revoke=False)
    return _done(request, profile, message, error=error)


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def invitation_revoke_view(request, profile, invitation_id: int):
    message, error = invitation_act(request, _invitation(profile, invitation_id), revoke=True)
    return _done(request, profile, message, error=error)


@login_not_required
def invitation_accept_view(request, token: str):
    """The page an invitation link opens: choose a name and password, then sign in."""
    try:
        invitation = invitation_services.invitation_from_token(token)
    except invitation_services.InvitationLinkError as exc:
        return TemplateResponse(request, "profiles/invitation_accept.html",
                                {"link_error": exc.messages[0], "reason": exc.reason}, status=410
                                if exc.reason != "invalid" else 400)
    has_sign_in = invitation_services.address_has_sign_in(invitation)
    form = AcceptInvitationForm(request.POST or None) if not has_sign_in else None
    if request.method == "POST" and (has_sign_in or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            invitation_services.invitation_accept(
                token=token, first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                password=data.get("password1", ""))
        except invitation_services.InvitationLinkError as exc:
            return TemplateResponse(request, "profiles/invitation_accept.html",
                                    {"link_error": exc.messages[0], "reason": exc.reason}, status=410)
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
            else:
                add_errors(form, exc)
        else:
            messages.success(request, _("Welcome! Sign in with %(email)s and your password.")
                             % {"email": invitation.email})
            return redirect("login")
    context = {"invitation": invitation, "form": form, "has_sign_in": has_sign_in,
               "scope_name": invitation.scope.name, "is_account": bool(invitation.account_id)}
    return TemplateResponse(request, "profiles/invitation_accept.html", context)


invitation_accept_view.permission_guard = "public: the signed, single-use link is the permission"  # type: ignore[attr-defined]
