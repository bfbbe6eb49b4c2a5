"""Role services: RoleAssignment is the source of truth, guardian rows follow in the same transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from billing_admin.core import activity
from billing_admin.core.permissions import Action, SupportAction, has_action, require_support
from profiles.models import ACCOUNT_ROLES, PROFILE_ROLES, BillingAccount, BillingProfile, Role, RoleAssignment
from profiles.permissions import perms_for_role


def _sync_guardian(*, user, scope, old_role: str | None, new_role: str | None) -> None:
    old = set(perms_for_role(old_role)) if old_role else set()
    new = set(perms_for_role(new_role)) if new_role else set()
    for perm in sorted(old - new):
        remove_perm(perm, user, scope)
    for perm in sorted(new - old):
        assign_perm(perm, user, scope)


def _check_may_manage(actor, *, profile=None, account=None, support: bool = False) -> None:
    """actor None = the system (a task, seed data, a purchase) and is always allowed.

    ``support=True``: a support engineer in the Django admin, whose support role must allow
    managing roles; the grant and the log name them.
    """
    if actor is None:
        return
    if support:
        require_support(actor, SupportAction.MANAGE_ROLES)
        return
    if profile is not None and not has_action(actor, Action.MANAGE_ROLES, profile):
        raise PermissionDenied(_("You may not manage roles on this billing profile."))
    if account is not None and not has_action(actor, Action.MANAGE_ACCOUNT_ROLES, account):
        raise PermissionDenied(_("You may not manage roles on this billing account."))


def role_grant(
    *,
    actor,
    user_email: str,
    role: str,
    profile: BillingProfile | None = None,
    account: BillingAccount | None = None,
    support: bool = False,
    granted_by=None,
) -> RoleAssignment:
    """Grant ``role`` on a profile or an account to the existing user with ``user_email``.

    ``granted_by``: who the grant names when the system grants for someone (an accepted invitation names
    the person who invited); by default the actor.
    """
    if (profile is None) == (account is None):
        raise ValueError("Grant a role on exactly one of profile or account.")
    allowed = PROFILE_ROLES if profile is not None else ACCOUNT_ROLES
    if role not in [r.value for r in allowed]:
        raise ValidationError({"role": _("This role cannot be granted here.")})
    _check_may_manage(actor, profile=profile, account=account, support=support)
    User = get_user_model()
    email = (user_email or "").strip()
    try:
        user = User.objects.get(email__iexact=email, is_active=True)
    except User.DoesNotExist:
        raise ValidationError(
            {"email": _("No user with the e-mail address %(email)s exists. Ask them to sign up first.")
             % {"email": email}}
        ) from None
    scope = profile if profile is not None else account
    with transaction.atomic():
        existing = RoleAssignment.objects.filter(user=user, profile=profile, account=account).first()
        if existing is not None:
            raise ValidationError(
                {"email": _("%(email)s already has the role %(role)s here; change it instead.")
                 % {"email": user.email, "role": existing.get_role_display()}}
            )
        assignment = RoleAssignment(
            user=user, profile=profile, account=account, role=role,
            granted_by=granted_by or (actor if getattr(actor, "pk", None) else None),
        )
        assignment.full_clean()
        try:
            with transaction.atomic():
                assignment.save()
        except IntegrityError:
            raise ValidationError({"email": _("%(email)s already has a role here.") % {"email": user.email}}) from None
        _sync_guardian(user=user, scope=scope, old_role=None, new_role=role)
        activity.record(
            actor=actor, verb="role.granted", target=scope,
            changes={"user": user.email, "role": [None, role]},
        )
    return assignment


def _owner_count_after(*, scope, excluding: RoleAssignment) -> int:
    """How many owners the scope keeps once ``excluding`` is no longer an owner role."""
    if isinstance(scope, BillingProfile):
        direct = RoleAssignment.objects.filter(profile=scope, role=Role.OWNER).exclude(pk=excluding.pk).count()
        via_account = RoleAssignment.objects.filter(account_id=scope.account_id, role=Role.ACCOUNT_OWNER).exclude(
            pk=excluding.pk).count()
        return direct + via_account
    return RoleAssignment.objects.filter(account=scope, role=Role.ACCOUNT_OWNER).exclude(pk=excluding.pk).count()


def _lock_scope(assignment: RoleAssignment):
    if assignment.profile_id:  # the account first (its owners count), then the profile (README, "Row locks")
        BillingAccount.objects.select_for_update(no_key=True, of=("self",)).get(profiles__pk=assignment.profile_id)
        return BillingProfile.objects.select_for_update(of=("self",)).select_related("account").get(
            pk=assignment.profile_id)
    return BillingAccount.objects.select_for_update(no_key=True).get(pk=assignment.account_id)  # README, "Row locks"


def _profiles_left_without_owner(account: BillingAccount, excluding: RoleAssignment) -> list[str]:
    """Profiles of the account that rely on this account owner alone."""
    if RoleAssignment.objects.filter(account=account, role=Role.ACCOUNT_OWNER).exclude(pk=excluding.pk).exists():
        return []
    owned = set(RoleAssignment.objects.filter(profile__account=account, role=Role.OWNER).values_list(
        "profile_id", flat=True))
    return list(account.profiles.exclude(pk__in=owned).values_list("name", flat=True))


def _refuse_if_last_owner(assignment: RoleAssignment, scope) -> None:
    if assignment.role not in (Role.OWNER, Role.ACCOUNT_OWNER):
        return
    if _owner_count_after(scope=scope, excluding=assignment) == 0:
        raise ValidationError(
            {"role": _("%(email)s is the last owner. Make someone else an owner first.")
             % {"email": assignment.user.email}}
        )
    if isinstance(scope, BillingAccount):
        orphans = _profiles_left_without_owner(scope, assignment)
        if orphans:
            raise ValidationError({"role": _("Billing profile %(name)s would be left without an owner.")
                                   % {"name": orphans[0]}})


def _check_may_manage_assignment(actor, assignment: RoleAssignment, support: bool = False) -> None:
    _check_may_manage(actor, profile=assignment.profile if assignment.profile_id else None,
                      account=assignment.account if assignment.account_id else None, support=support)


def _still_there(assignment: RoleAssignment) -> RoleAssignment:
    """The grant, read again under its scope's lock: a concurrent request (a double click, another
    tab, another owner) may have removed it meanwhile, which is an answer, not an error."""
    current = RoleAssignment.objects.select_for_update().select_related("user").filter(pk=assignment.pk).first()
    if current is None:
        raise ValidationError(_("The role of %(email)s was already removed.") % {"email": assignment.user.email},
                              code="already_removed")
    return current


def role_change(*, actor, assignment: RoleAssignment, role: str, support: bool = False) -> RoleAssignment:
    """Change the role of an existing grant; the last owner cannot be demoted."""
    allowed = PROFILE_ROLES if assignment.profile_id else ACCOUNT_ROLES
    if role not in [r.value for r in allowed]:
        raise ValidationError({"role": _("This role cannot be granted here.")})
    _check_may_manage_assignment(actor, assignment, support)
    with transaction.atomic():
        scope = _lock_scope(assignment)
        assignment = _still_there(assignment)
        old = assignment.role
        if old == role:
            return assignment
        _refuse_if_last_owner(assignment, scope)
        assignment.role = role
        assignment.full_clean()
        assignment.save(update_fields=["role"])
        _sync_guardian(user=assignment.user, scope=scope, old_role=old, new_role=role)
        activity.record(actor=actor, verb="role.changed", target=scope,
                        changes={"user": assignment.user.email, "role": [old, role]})
    return assignment


def role_revoke(*, actor, assignment: RoleAssignment, support: bool = False) -> None:
    """Remove a grant; the last owner cannot be removed."""
    _check_may_manage_assignment(actor, assignment, support)
    with transaction.atomic():
        scope = _lock_scope(assignment)
        assignment = _still_there(assignment)
        _refuse_if_last_owner(assignment, scope)
        _sync_guardian(user=assignment.user, scope=scope, old_role=assignment.role, new_role=None)
        activity.record(actor=actor, verb="role.revoked", target=scope,
                        changes={"user": assignment.user.email, "role": [assignment.role, None]})
        assignment.delete()
