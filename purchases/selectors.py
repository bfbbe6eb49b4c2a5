"""Reads of the purchases app."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from billing_admin.core.permissions import Action
from profiles.models import BillingAccount, BillingProfile
from profiles.permissions import accounts_with_action, profiles_with_action
from purchases.models import Product, Purchase, Subscription


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).prefetch_related("prices").order_by("name", "pk")


# The purchase page offers a select while the user may buy for at most this many targets, a search beyond.
TARGET_SELECT_MAX = 50
# At most this many targets are listed as search results.
TARGET_SEARCH_LIMIT = 25


def _purchasable_profiles(user) -> QuerySet[BillingProfile]:
    return (profiles_with_action(user, Action.PURCHASE).filter(status=BillingProfile.Status.ACTIVE)
            .select_related("account").order_by("account__name", "name", "pk"))


def _purchasable_accounts(user) -> QuerySet[BillingAccount]:
    """Accounts without a profile on which the user may buy: their first purchase creates the default profile."""
    return accounts_with_action(user, Action.PURCHASE).filter(profiles__isnull=True).order_by("name", "pk")


def purchase_targets(user, *, limit: int) -> tuple[list[BillingProfile], list[BillingAccount]]:
    """(the first ``limit`` active profiles the user may buy on, the first ``limit`` accounts without a
    profile on which the user may buy). Two queries, each reading at most ``limit`` rows."""
    return list(_purchasable_profiles(user)[:limit]), list(_purchasable_accounts(user)[:limit])


def purchase_targets_search(user, *, query: str, limit: int = TARGET_SEARCH_LIMIT
                            ) -> tuple[list[BillingProfile | BillingAccount], bool]:
    """(at most ``limit`` targets whose profile or account name contains ``query``, whether more match).
    Two queries, each reading at most ``limit + 1`` rows."""
    profiles = list(_purchasable_profiles(user).filter(Q(name__icontains=query) | Q(account__name__icontains=query))
                    [:limit + 1])
    accounts = list(_purchasable_accounts(user).filter(name__icontains=query)[:limit + 1])
    found = [*profiles, *accounts]
    return found[:limit], len(found) > limit


def purchase_target_get(user, value) -> BillingProfile | BillingAccount | None:
    """The target ``profile-<id>`` or ``account-<id>`` if the user may buy for it, else None (also for a
    malformed value, a disabled profile, or an account that has profiles: buy on those). One query at most."""
    kind, _sep, pk = str(value or "").partition("-")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:  # not "²", which isdigit() too but int() refuses
        return None
    if kind == "profile":
        return _purchasable_profiles(user).filter(pk=int(pk)).first()
    if kind == "account":
        return _purchasable_accounts(user).filter(pk=int(pk)).first()
    return None


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
