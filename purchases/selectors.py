"""Reads of the purchases app."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from billing_admin.core.permissions import Action
from profiles.models import BillingAccount, BillingProfile
from profiles.permissions import accounts_with_action, profiles_with_action
from purchases.models import Product, Purchase, Subscription


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).prefetch_related("prices").order_by("name", "pk")


def purchase_targets(user) -> tuple[list[BillingProfile], list[BillingAccount]]:
    """(active profiles the user may buy on, accounts without a profile on which the user may buy:
    their first purchase creates the default profile). Two queries."""
    profiles = list(profiles_with_action(user, Action.PURCHASE).filter(status=BillingProfile.Status.ACTIVE)
                    .select_related("account").order_by("account__name", "name", "pk"))
    accounts = list(accounts_with_action(user, Action.PURCHASE).filter(profiles__isnull=True).order_by("name", "pk"))
    return profiles, accounts


def account_get(*, account_id) -> BillingAccount | None:
    try:
        return BillingAccount.objects.get(pk=int(account_id))
    except (BillingAccount.DoesNotExist, ValueError, TypeError):
        return None


def account_loader(kwargs: dict) -> BillingAccount | None:
    """Loader for ``object_action_required``: pops ``account_id`` from the URL kwargs."""
    return account_get(account_id=kwargs.pop("account_id"))


def subscriptions_for_profile(*, profile) -> list[Subscription]:
    return list(Subscription.objects.filter(profile=profile).select_related("product")
                .order_by("status", "started_on", "pk"))


def recent_purchases_for_profile(*, profile, limit: int = 20) -> list[Purchase]:
    return list(Purchase.objects.filter(profile=profile).select_related("product", "purchaser")
                .order_by("-created", "-pk")[:limit])


def has_running_subscriptions(*, profile_id: int) -> bool:
    """Active subscriptions, or cancelled ones with a period still to charge."""
    return Subscription.objects.filter(profile_id=profile_id).filter(
        Q(status=Subscription.Status.ACTIVE) | Q(ends_on__gte=F("next_charge_on"))).exists()
