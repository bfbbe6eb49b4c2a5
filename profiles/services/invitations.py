"""Inviting people by e-mail address: a grant to an address without a sign-in becomes an invitation whose
signed, single-use link lets them set a name and password; accepting grants the role through the role service.

The answer to the person who invites is the same whether the address has a sign-in or not: either way the
address gets an e-mail (an invitation, or a notice of the new role) and the same message is shown.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.models import ActivityEvent
from profiles.invitation_mail import TOKEN_SALT
from profiles.models import (
    ACCOUNT_ROLES,
    PROFILE_ROLES,
    BillingAccount,
    BillingProfile,
    Invitation,
    RoleAssignment,
)
from profiles.services.roles import _check_may_manage, role_grant
from profiles.tasks import invitation_send_task, role_granted_notice_task

# Verbs that count towards the per-person hourly limit: every e-mail a grant by address sends.
THROTTLED_VERBS = ("invitation.sent", "invitation.resent", "role.granted")


class InvitationLinkError(ValidationError):
    """The link cannot be used; ``reason`` is one of: invalid, expired, revoked, used, replaced."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > 254:
        raise ValidationError({"email": _("An e-mail address has at most 254 characters.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    return email


def _check_throttle(actor) -> None:
    if actor is None or not getattr(actor, "pk", None):
        return
    since = timezone.now() - timedelta(hours=1)
    sent = ActivityEvent.objects.filter(actor=actor, verb__in=THROTTLED_VERBS, created__gte=since).count()
    if sent >= settings.INVITATION_LIMIT_PER_HOUR:
        raise ValidationError({"email": _("You have sent %(count)s invitations in the last hour, the most allowed. "
                                          "Please try again later.") % {"count": sent}})


def _scope_kwargs(profile, account) -> dict:
    return {"profile": profile} if profile is not None else {"account": account}


def role_grant_or_invite(
    *, actor, email: str, role: str, profile: BillingProfile | None = None, account: BillingAccount | None = None,
    language: str | None = None,
) -> RoleAssignment | Invitation:
    """Give ``role`` to whoever has ``email``: at once to an existing user (who gets a notice), or through an
    invitation e-mailed in ``language`` (the inviter's) to an address without a sign-in."""
    if (profile is None) == (account is None):
        raise ValueError("Invite to exactly one of profile or account.")
    allowed = PROFILE_ROLES if profile is not None else ACCOUNT_ROLES
    if role not in [r.value for r in allowed]:
        raise ValidationError({"role": _("This role cannot be granted here.")})
    _check_may_manage(actor, profile=profile, account=account)
    email = _clean_email(email)
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    scope = profile if profile is not None else account
    User = get_user_model()
    with transaction.atomic():
        # One person's grants by address are counted under a lock on them, so a burst cannot pass the limit.
        if getattr(actor, "pk", None):
            User.objects.select_for_update().filter(pk=actor.pk).first()
        _check_throttle(actor)
        pending = Invitation.objects.filter(email__iexact=email, status=Invitation.Status.PENDING,
                                            **_scope_kwargs(profile, account)).first()
        if pending is not None:
            raise ValidationError({"email": _("An invitation for %(email)s (%(role)s) is already pending here. "
                                              "Re-send or revoke it instead.")
                                   % {"email": pending.email, "role": pending.get_role_display()}})
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            if not user.is_active:
                raise ValidationError({"email": _("%(email)s cannot be given a role. Please contact support.")
                                       % {"email": email}})
            assignment = role_grant(actor=actor, user_email=user.email, role=role, **_scope_kwargs(profile, account))
            transaction.on_commit(lambda: role_granted_notice_task.delay(assignment.pk, language))
            return assignment
        invitation = Invitation(
            email=email.lower(), role=role, invited_by=actor if getattr(actor, "pk", None) else None,
            language=language, nonce=secrets.token_hex(16), expires_at=_expiry(), last_sent_at=timezone.now(),
            **_scope_kwargs(profile, account),
        )
        invitation.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            raise ValidationError({"email": _("An invitation for %(email)s is already pending here.")
                                   % {"email": email}}) from None
        activity.record(actor=actor, verb="invitation.sent", target=scope,
                        changes={"email": invitation.email, "role": [None, role]})
        transaction.on_commit(lambda: invitation_send_task.delay(invitation.pk))
    return invitation


def _locked_pending(invitation: Invitation) -> Invitation:
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("profile", "account")
                  .get(pk=invitation.pk))
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("This invitation is no longer pending (it was accepted or revoked)."))
    return invitation


def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """E-mail a fresh link valid for the full period again; earlier links stop working."""
    _check_may_manage(actor, profile=invitation.profile, account=invitation.account)
    with transaction.atomic():
        invitation = _locked_pending(invitation)
        _check_throttle(actor)
        invitation.nonce = secrets.token_hex(16)
        invitation.expires_at = _expiry()
        invitation.last_sent_at = timezone.now()
        invitation.save(update_fields=["nonce", "expires_at", "last_sent_at"])
        activity.record(actor=actor, verb="invitation.resent", target=invitation.scope,
                        changes={"email": invitation.email, "role": invitation.role})
        transaction.on_commit(lambda: invitation_send_task.delay(invitation.pk))
    return invitation


def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    _check_may_manage(actor, profile=invitation.profile, account=invitation.account)
    with transaction.atomic():
        invitation = _locked_pending(invitation)
        invitation.status = Invitation.Status.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["status", "revoked_at"])
        activity.record(actor=actor, verb="invitation.revoked", target=invitation.scope,
                        changes={"email": invitation.email, "role": [invitation.role, None]})
    return invitation


def invitation_from_token(token: str, *, for_update: bool = False) -> Invitation:
    """The pending invitation a link stands for, or InvitationLinkError saying why the link cannot be used."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT)
        pk, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationLinkError("invalid", _("This invitation link is not valid. It may be incomplete or "
                                               "altered: open the link from the e-mail exactly as it is.")) from None
    qs = Invitation.objects.select_related("profile", "account", "invited_by", "profile__account")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(pk=pk).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        if invitation is not None and invitation.status == Invitation.Status.PENDING:
            raise InvitationLinkError("replaced", _("This invitation link was replaced by a newer one. Open the "
                                                    "latest invitation e-mail."))
        raise InvitationLinkError("invalid", _("This invitation link is not valid. It may be incomplete or "
                                               "altered: open the link from the e-mail exactly as it is."))
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationLinkError("used", _("This invitation was already accepted. Sign in with your e-mail "
                                            "address and password."))
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationLinkError("revoked", _("This invitation was withdrawn. Ask the person who invited you to "
                                               "invite you again."))
    if invitation.expires_at <= timezone.now():
        raise InvitationLinkError("expired", _("This invitation has expired. Ask the person who invited you to "
                                               "send it again."))
    return invitation


def invitation_accept(*, token: str, first_name: str = "", last_name: str = "", password: str = ""):
    """Accept an invitation: create the user with the password they chose (or, when the address got a sign-in
    meanwhile, keep that one untouched) and grant the role. Returns the user."""
    User = get_user_model()
    with transaction.atomic():
        invitation = invitation_from_token(token, for_update=True)
        user = User.objects.filter(email__iexact=invitation.email).first()
        created = user is None
        if created:
            user = User(email=invitation.email, first_name=(first_name or "").strip(),
                        last_name=(last_name or "").strip())
            errors = {}
            if not user.first_name:
                errors["first_name"] = [_("Enter your first name.")]
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(field, []).extend(messages)
            try:
                validate_password(password, user)
            except ValidationError as exc:
                errors["password1"] = exc.messages
            if errors:
                raise ValidationError(errors)
            user.set_password(password)
            user.save()
        scope = invitation.scope
        if RoleAssignment.objects.filter(user=user, **_scope_kwargs(invitation.profile, invitation.account)).exists():
            raise ValidationError(_("%(email)s already has a role here. Sign in to see it.")
                                  % {"email": invitation.email})
        role_grant(actor=None, user_email=user.email, role=invitation.role,
                   granted_by=invitation.invited_by, **_scope_kwargs(invitation.profile, invitation.account))
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["status", "accepted_at", "accepted_user"])
        activity.record(actor=user, verb="invitation.accepted", target=scope,
                        changes={"email": invitation.email, "role": invitation.role, "new_user": created})
    return user


def address_has_sign_in(invitation: Invitation) -> bool:
    """Whether the invited address got a sign-in meanwhile (then accepting keeps it and only adds the role).
    Only the holder of the link learns this."""
    return get_user_model().objects.filter(email__iexact=invitation.email).exists()
