"""The one place that answers "may this user do this action on this object".

Roles (profiles.models.Role) map to guardian object permissions. Profile roles grant
permissions on the profile; account roles grant permissions on the account, some of which
cascade to every profile of the account. ``RoleAssignment`` is the source of truth; the
guardian rows are derived from it by ``profiles.services`` in the same transaction.

Views, templates (through ``can_*`` flags) and the admin all ask this module.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.core import ObjectPermissionChecker

from profiles.models import (
    BillingAccount,
    BillingAccountUserObjectPermission,
    BillingProfile,
    BillingProfileUserObjectPermission,
    Role,
)


class Action(enum.StrEnum):
    # profile actions
    VIEW = "view"
    EDIT = "edit"
    MANAGE_PAYMENT_METHODS = "manage_payment_methods"
    PAY = "pay"
    MANAGE_ROLES = "manage_roles"
    DISABLE = "disable"
    # account-only actions
    VIEW_ACCOUNT = "view_account"
    EDIT_ACCOUNT = "edit_account"
    CREATE_PROFILE = "create_profile"
    MANAGE_ACCOUNT_ROLES = "manage_account_roles"


# action → (permission on the profile, cascading permission on the account)
PROFILE_ACTION_PERMS: dict[Action, tuple[str, str]] = {
    Action.VIEW: ("view_billingprofile", "view_profiles"),
    Action.EDIT: ("change_billingprofile", "change_profiles"),
    Action.MANAGE_PAYMENT_METHODS: ("manage_payment_methods", "manage_profiles_payment_methods"),
    Action.PAY: ("pay_invoices", "pay_profiles_invoices"),
    Action.MANAGE_ROLES: ("manage_roles", "manage_profiles_roles"),
    Action.DISABLE: ("disable_billingprofile", "disable_profiles"),
}
ACCOUNT_ACTION_PERMS: dict[Action, str] = {
    Action.VIEW_ACCOUNT: "view_billingaccount",
    Action.EDIT_ACCOUNT: "change_billingaccount",
    Action.CREATE_PROFILE: "create_profile",
    Action.MANAGE_ACCOUNT_ROLES: "manage_account_roles",
}

_P = {a: p for a, (p, _c) in PROFILE_ACTION_PERMS.items()}
_C = {a: c for a, (_p, c) in PROFILE_ACTION_PERMS.items()}
_A = ACCOUNT_ACTION_PERMS

# DESIGN §2, the role matrix.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                           Action.MANAGE_ROLES, Action.DISABLE}),
    Role.CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY}),
    Role.READER: frozenset({Action.VIEW}),
    Role.INVOICE_MANAGER: frozenset({Action.VIEW, Action.PAY}),
    Role.ACCOUNT_OWNER: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                                   Action.MANAGE_ROLES, Action.DISABLE, Action.VIEW_ACCOUNT,
                                   Action.EDIT_ACCOUNT, Action.CREATE_PROFILE, Action.MANAGE_ACCOUNT_ROLES}),
    Role.ACCOUNT_CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                                         Action.VIEW_ACCOUNT, Action.EDIT_ACCOUNT, Action.CREATE_PROFILE}),
    Role.ACCOUNT_READER: frozenset({Action.VIEW, Action.VIEW_ACCOUNT}),
}


def perms_for_role(role: str) -> list[str]:
    """The guardian codenames a role grants on its scope object (profile or account)."""
    actions = ROLE_ACTIONS[role]
    if role.startswith("account_"):
        return sorted({_A[a] for a in actions if a in _A} | {_C[a] for a in actions if a in _C})
    return sorted(_P[a] for a in actions if a in _P)


def _is_superuser(user) -> bool:
    return bool(user.is_active and user.is_superuser)


class PermissionChecker:
    """Answers for many objects with a fixed number of queries (guardian prefetch).

    One instance per request: ``checker = PermissionChecker(request.user)``;
    ``checker.prefetch(profiles)`` before asking about a page of profiles.
    """

    def __init__(self, user):
        self.user = user
        self._checker = ObjectPermissionChecker(user) if user.is_authenticated else None

    def prefetch(self, profiles: Iterable[BillingProfile]) -> None:
        if self._checker is None:
            return
        profiles = list(profiles)
        if not profiles:
            return
        self._checker.prefetch_perms(profiles)
        accounts = {p.account_id: p.account for p in profiles}
        self._checker.prefetch_perms(list(accounts.values()))

    def prefetch_accounts(self, accounts: Iterable[BillingAccount]) -> None:
        if self._checker is not None:
            accounts = list(accounts)
            if accounts:
                self._checker.prefetch_perms(accounts)

    def has(self, action: Action, obj) -> bool:
        user = self.user
        if not user.is_authenticated or not user.is_active:
            return False
        if _is_superuser(user):
            return True
        if isinstance(obj, BillingProfile):
            if action not in PROFILE_ACTION_PERMS:
                raise ValueError(f"{action} is not a profile action")
            perm, cascade = PROFILE_ACTION_PERMS[action]
            return self._checker.has_perm(perm, obj) or self._checker.has_perm(cascade, obj.account)
        if isinstance(obj, BillingAccount):
            if action not in ACCOUNT_ACTION_PERMS:
                raise ValueError(f"{action} is not an account action")
            return self._checker.has_perm(ACCOUNT_ACTION_PERMS[action], obj)
        profile = getattr(obj, "profile", None)
        if isinstance(profile, BillingProfile):
            return self.has(action, profile)
        raise TypeError(f"No permission rule for {type(obj).__name__}")

    def flags(self, profile: BillingProfile) -> dict[str, bool]:
        """``can_*`` flags for templates, which never decide who may do what themselves."""
        return {f"can_{a.value}": self.has(a, profile) for a in PROFILE_ACTION_PERMS}


def has_action(user, action: Action, obj) -> bool:
    return PermissionChecker(user).has(action, obj)


def profiles_with_action(user, action: Action = Action.VIEW, queryset: QuerySet | None = None) -> QuerySet:
    """Profiles on which the user may do ``action``, directly or through the account. One query."""
    qs = queryset if queryset is not None else BillingProfile.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if _is_superuser(user):
        return qs
    perm, cascade = PROFILE_ACTION_PERMS[action]
    direct = BillingProfileUserObjectPermission.objects.filter(
        user=user, permission__codename=perm, content_object=OuterRef("pk")
    )
    via_account = BillingAccountUserObjectPermission.objects.filter(
        user=user, permission__codename=cascade, content_object=OuterRef("account_id")
    )
    return qs.filter(Q(Exists(direct)) | Q(Exists(via_account)))


def accounts_with_action(user, action: Action, queryset: QuerySet | None = None) -> QuerySet:
    qs = queryset if queryset is not None else BillingAccount.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if _is_superuser(user):
        return qs
    perm = ACCOUNT_ACTION_PERMS[action]
    held = BillingAccountUserObjectPermission.objects.filter(
        user=user, permission__codename=perm, content_object=OuterRef("pk")
    )
    return qs.filter(Exists(held))
