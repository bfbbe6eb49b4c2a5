"""User records as support engineers keep them in the admin: checked and audited like every write."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.permissions import may_change_user, may_change_user_permissions

USER_FIELDS = ["email", "first_name", "last_name", "is_active"]
PERMISSION_FIELDS = ["is_staff", "is_superuser"]


def user_save(*, actor, user, changed: list[str], created: bool):
    """Save a user the admin's form has filled in (``changed``: the fields it changed).

    Support with the user right saves customers' names, e-mail and active flag; staff status and
    superuser status only a superuser changes, never their own."""
    from django.contrib.auth import get_user_model

    original = None if created else get_user_model().objects.select_for_update().get(pk=user.pk)
    if not may_change_user(actor, original):
        raise PermissionDenied(_("You may not change this user."))
    if any(f in PERMISSION_FIELDS for f in changed) and not may_change_user_permissions(actor, original):
        raise PermissionDenied(_("Only a superuser changes staff and superuser status, and never their own."))
    with transaction.atomic():
        before = {} if original is None else activity.snapshot(original, USER_FIELDS + PERMISSION_FIELDS)
        user.full_clean(exclude=["password"])
        user.save()
        after = activity.snapshot(user, USER_FIELDS + PERMISSION_FIELDS)
        changes = activity.diff(before, after) if original is not None else {"email": user.email}
        if "password" in changed or "password1" in changed:
            changes["password"] = "set"
        if created or changes:
            activity.record(actor=actor, verb="user.created" if created else "user.updated", target=user,
                            changes=changes)
    return user


def user_password_set(*, actor, user) -> None:
    """Audit a password a support engineer (or superuser) set in the admin; the admin's own form saved it."""
    if not may_change_user(actor, user):
        raise PermissionDenied(_("You may not change this user."))
    activity.record(actor=actor, verb="user.password_set", target=user, changes={"password": "set"})


def user_set_access(*, actor, user, groups, permissions) -> None:
    """A superuser sets another user's groups and permissions (the support groups among them)."""
    if not may_change_user_permissions(actor, user):
        raise PermissionDenied(_("Only a superuser changes groups and permissions, and never their own."))
    with transaction.atomic():
        before = {"groups": sorted(g.name for g in user.groups.all()),
                  "user_permissions": sorted(p.codename for p in user.user_permissions.all())}
        user.groups.set(groups)
        user.user_permissions.set(permissions)
        after = {"groups": sorted(g.name for g in groups), "user_permissions": sorted(p.codename for p in permissions)}
        changes = activity.diff(before, after)
        if changes:
            activity.record(actor=actor, verb="user.access_changed", target=user, changes=changes)
