"""Reads for the profiles app."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery

from billing_admin.core.permissions import Action
from profiles.models import BillingAccount, BillingProfile, PaymentMethod, RoleAssignment
from profiles.permissions import accounts_with_action, profiles_with_action
from profiles.registry import list_columns


def profile_get(*, profile_id) -> BillingProfile | None:
    """The profile with its account, or None. Permission checks are the caller's (see core.views)."""
    try:
        return BillingProfile.objects.select_related("account").get(pk=int(profile_id))
    except (BillingProfile.DoesNotExist, ValueError, TypeError):
        return None


def profile_loader(kwargs: dict) -> BillingProfile | None:
    """Loader for ``object_action_required``: pops ``profile_id`` from the URL kwargs."""
    return profile_get(profile_id=kwargs.pop("profile_id"))


def profiles_visible_to(user, *, action: Action = Action.VIEW) -> QuerySet[BillingProfile]:
    return profiles_with_action(user, action).select_related("account")


def role_assignments_for_profile(*, profile) -> tuple[list[RoleAssignment], list[RoleAssignment]]:
    """(direct grants on the profile, grants inherited from its account), two queries."""
    related = ("user", "granted_by", "account")
    direct = list(RoleAssignment.objects.filter(profile=profile).select_related(*related).order_by("granted_at", "pk"))
    inherited = list(RoleAssignment.objects.filter(account_id=profile.account_id).select_related(*related)
                     .order_by("granted_at", "pk"))
    return direct, inherited


def profile_list_page(user, *, query: str = "", account_id: str = "", page=None) -> dict:
    """The profile list: the visible profiles matching the search, with their default payment method and
    the columns higher apps registered (each one subquery), a page of 25, and the accounts to filter by."""
    visible = profiles_visible_to(user)
    profiles = visible
    if query:
        profiles = profiles.filter(Q(name__icontains=query) | Q(po_number__icontains=query)
                                   | Q(account__name__icontains=query))
    if account_id.isdigit():
        profiles = profiles.filter(account_id=int(account_id))
    default_method = PaymentMethod.objects.filter(profile=OuterRef("pk"), is_default=True)
    profiles = profiles.annotate(
        pm_kind=Subquery(default_method.values("kind")[:1]),
        pm_last4=Subquery(default_method.values("card_last4")[:1]),
        pm_iban=Subquery(default_method.values("iban_masked")[:1]),
        pm_brand=Subquery(default_method.values("card_brand")[:1]),
    )
    columns = list_columns()
    for column in columns:
        profiles = column.annotate(profiles)
    return {
        "page": Paginator(profiles.order_by("account__name", "name", "pk"), 25).get_page(page),
        "accounts": BillingAccount.objects.filter(pk__in=visible.values("account_id")).order_by("name"),
        "columns": columns,
        "can_create": accounts_with_action(user, Action.CREATE_PROFILE).exists(),
    }
