"""The role matrix, and the billing account and billing profile as permission scopes.

Roles map to guardian object permissions. Profile roles grant permissions on the profile;
account roles grant permissions on the account, some of which cascade to every profile of the
account. ``RoleAssignment`` is the source of truth; the guardian rows are derived from it by
``profiles.services.roles`` in the same transaction. ``ProfilesConfig.ready()`` registers the
two scopes with the permission machinery of ``billing_admin.core.permissions``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from billing_admin.core.permissions import Action, ObjectScope, objects_with_action, register_scope
from profiles.models import (
    BillingAccount,
    BillingAccountUserObjectPermission,
    BillingProfile,
    BillingProfileUserObjectPermission,
    Role,
)

# action → (permission on the profile, cascading permission on the account)
PROFILE_ACTION_PERMS: dict[Action, tuple[str, str]] = {
    Action.VIEW: ("view_billingprofile", "view_profiles"),
    Action.EDIT: ("change_billingprofile", "change_profiles"),
    Action.MANAGE_PAYMENT_METHODS: ("manage_payment_methods", "manage_profiles_payment_methods"),
    Action.PAY: ("pay_invoices", "pay_profiles_invoices"),
    Action.PURCHASE: ("purchase", "purchase_profiles"),
    Action.MANAGE_ROLES: ("manage_roles", "manage_profiles_roles"),
    Action.DISABLE: ("disable_billingprofile", "disable_profiles"),
}
ACCOUNT_ACTION_PERMS: dict[Action, str] = {
    Action.VIEW_ACCOUNT: "view_billingaccount",
    Action.EDIT_ACCOUNT: "change_billingaccount",
    Action.CREATE_PROFILE: "create_profile",
    Action.MANAGE_ACCOUNT_ROLES: "manage_account_roles",
    # Buying on an account buys on its default profile, which the purchase creates if there is none.
    Action.PURCHASE: "purchase_profiles",
}

_P = {a: p for a, (p, _c) in PROFILE_ACTION_PERMS.items()}
_C = {a: c for a, (_p, c) in PROFILE_ACTION_PERMS.items()}
_A = ACCOUNT_ACTION_PERMS

# The role matrix: what each role may do (account roles on every profile of the account).
# Support engineers (staff, in the Django admin) hold no role here: what they may do is the other half
# of this table, ``SupportAction`` and ``SUPPORT_GROUPS`` in ``billing_admin.core.permissions``.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY, Action.PURCHASE,
                           Action.MANAGE_ROLES, Action.DISABLE}),
    Role.CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                                 Action.PURCHASE}),
    Role.READER: frozenset({Action.VIEW}),
    Role.INVOICE_MANAGER: frozenset({Action.VIEW, Action.PAY}),
    Role.ACCOUNT_OWNER: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                                   Action.PURCHASE, Action.MANAGE_ROLES, Action.DISABLE, Action.VIEW_ACCOUNT,
                                   Action.EDIT_ACCOUNT, Action.CREATE_PROFILE, Action.MANAGE_ACCOUNT_ROLES}),
    Role.ACCOUNT_CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.MANAGE_PAYMENT_METHODS, Action.PAY,
                                         Action.PURCHASE, Action.VIEW_ACCOUNT, Action.EDIT_ACCOUNT,
                                         Action.CREATE_PROFILE}),
    Role.ACCOUNT_READER: frozenset({Action.VIEW, Action.VIEW_ACCOUNT}),
}

ACCOUNT_SCOPE = ObjectScope(model=BillingAccount, user_perms=BillingAccountUserObjectPermission,
                            see=Action.VIEW_ACCOUNT, perms=ACCOUNT_ACTION_PERMS)
PROFILE_SCOPE = ObjectScope(model=BillingProfile, user_perms=BillingProfileUserObjectPermission,
                            see=Action.VIEW, perms=_P, parent="account", cascade=_C)


def register_scopes() -> None:
    """From ``ProfilesConfig.ready()``: invoices, payment methods ... are answered for through ``.profile``."""
    register_scope(ACCOUNT_SCOPE)
    register_scope(PROFILE_SCOPE, owner_attribute="profile")


def perms_for_role(role: str) -> list[str]:
    """The guardian codenames a role grants on its scope object (profile or account)."""
    actions = ROLE_ACTIONS[role]
    if role.startswith("account_"):
        return sorted({_A[a] for a in actions if a in _A} | {_C[a] for a in actions if a in _C})
    return sorted(_P[a] for a in actions if a in _P)


def profiles_with_action(user, action: Action = Action.VIEW, queryset: QuerySet | None = None) -> QuerySet:
    """Profiles on which the user may do ``action``, directly or through the account. One query."""
    return objects_with_action(user, action, queryset if queryset is not None else BillingProfile.objects.all())


def accounts_with_action(user, action: Action, queryset: QuerySet | None = None) -> QuerySet:
    return objects_with_action(user, action, queryset if queryset is not None else BillingAccount.objects.all())
