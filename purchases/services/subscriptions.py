"""Monthly subscriptions: each billing period of the profile is charged once, until cancelled.

The daily task charges each period on its first day; the invoice run charges whatever is still
missing for the period it bills. Both lock the profile, then the subscription, and the database
holds one charge per subscription and period start: running twice charges once.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.dates import billing_today
from billing_admin.core.permissions import Action, has_action
from invoicing.services.charges import charge_add
from profiles.models import BillingProfile
from purchases.models import Subscription, SubscriptionCharge
from purchases.periods import billing_cycle, prorated_amount
from purchases.services.purchases import charge_description, clean_quantity

log = logging.getLogger(__name__)


def _locked():
    """Lock the subscription rows only, not the product or profile rows joined for reading."""
    return Subscription.objects.select_for_update(of=("self",))


def _check(actor, subscription: Subscription) -> None:
    if actor is not None and not has_action(actor, Action.PURCHASE, subscription.profile):
        raise PermissionDenied(_("You may not change the subscriptions of this billing profile."))


def subscription_change_quantity(*, actor, subscription: Subscription, quantity) -> Subscription:
    """The new quantity is charged from the next charge on; the period already charged stays as it was."""
    _check(actor, subscription)
    quantity = clean_quantity(subscription.product, quantity)
    with transaction.atomic():
        subscription = _locked().select_related("product", "profile").get(
            pk=subscription.pk)
        if not subscription.is_active:
            raise ValidationError(_("This subscription is cancelled; its quantity can no longer change."))
        if subscription.quantity != quantity:
            before = subscription.quantity
            subscription.quantity = quantity
            subscription.save(update_fields=["quantity", "updated"])
            activity.record(actor=actor, verb="subscription.quantity_changed", target=subscription,
                            changes={"quantity": [str(before), str(quantity)],
                                     "from": subscription.next_charge_on.isoformat()})
    return subscription


def subscription_cancel(*, actor, subscription: Subscription, today: date | None = None) -> Subscription:
    """Cancel at the end of the current period: that period stays charged, the next is not."""
    _check(actor, subscription)
    today = today or billing_today()
    with transaction.atomic():
        subscription = _locked().select_related("profile").get(pk=subscription.pk)
        if not subscription.is_active:
            return subscription
        current_end = billing_cycle(today, subscription.profile.invoice_day)[1]
        subscription.ends_on = max(subscription.next_charge_on - timedelta(days=1), current_end)
        subscription.status = Subscription.Status.CANCELLED
        subscription.save(update_fields=["ends_on", "status", "updated"])
        activity.record(actor=actor, verb="subscription.cancelled", target=subscription,
                        changes={"status": ["active", "cancelled"], "ends_on": subscription.ends_on.isoformat()})
    return subscription


def _charge_until(subscription: Subscription, profile: BillingProfile, until: date) -> int:
    """Charge every period that starts by ``until`` and not after the end. Caller holds the locks."""
    made = []
    while subscription.next_charge_on <= until and (
            subscription.ends_on is None or subscription.next_charge_on <= subscription.ends_on):
        start = subscription.next_charge_on
        end = billing_cycle(start, profile.invoice_day)[1]
        if subscription.ends_on is not None:
            end = min(end, subscription.ends_on)
        amount, charged, whole = prorated_amount(
            monthly=subscription.unit_price, quantity=subscription.quantity, start=start, end=end,
            currency=subscription.currency, invoice_day=profile.invoice_day)
        charge = charge_add(
            profile=profile, product=subscription.product.sku, quantity=subscription.quantity,
            unit_price=subscription.unit_price, amount=amount, service_period_start=start, service_period_end=end,
            description=charge_description(subscription.product, start, end, charged, whole))
        SubscriptionCharge.objects.create(subscription=subscription, period_start=start, period_end=end,
                                          charge=charge)
        made.append(f"{start.isoformat()}–{end.isoformat()}: {amount}")
        subscription.next_charge_on = end + timedelta(days=1)
    if made:
        subscription.save(update_fields=["next_charge_on", "updated"])
        activity.record(actor=None, verb="subscription.charged", target=subscription, changes={"periods": made})
    return len(made)


def _due(queryset, until: date):
    """Subscriptions with a period to charge that starts by ``until``."""
    return queryset.filter(next_charge_on__lte=until).exclude(ends_on__lt=F("next_charge_on"))


def subscription_charge_due(*, subscription_id: int, until: date) -> int:
    """Charge one subscription's periods that start by ``until``. Returns how many were charged."""
    with transaction.atomic():
        profile_id = Subscription.objects.values_list("profile_id", flat=True).get(pk=subscription_id)
        profile = BillingProfile.objects.select_for_update().get(pk=profile_id)
        subscription = _locked().select_related("product").get(pk=subscription_id)
        if not profile.is_active:
            return 0  # a disabled profile takes no new charges
        return _charge_until(subscription, profile, until)


def subscriptions_charge_due(*, today: date | None = None) -> int:
    """The daily task: charge every subscription's periods that have started by today."""
    today = today or billing_today()
    count = 0
    for subscription_id in _due(Subscription.objects.all(), today).values_list("pk", flat=True):
        try:
            count += subscription_charge_due(subscription_id=subscription_id, until=today)
        except Exception:  # one subscription's failure must not stop the others; the next run retries
            log.exception("charging subscription %s failed", subscription_id)
    return count


def subscriptions_charge_for_invoice(*, profile_ids: list[int], period_end: date) -> None:
    """Invoice-run hook (the profiles' rows already locked): charge the periods their invoices close. (A
    profile is read only when one of its subscriptions is due: most profiles of a run have none.)"""
    due = list(_due(Subscription.objects.filter(profile_id__in=profile_ids), period_end).select_for_update(
        of=("self",)).select_related("product").order_by("profile_id", "pk"))
    if not due:
        return
    profiles = BillingProfile.objects.in_bulk({subscription.profile_id for subscription in due})
    for subscription in due:
        profile = profiles[subscription.profile_id]
        if profile.is_active:
            _charge_until(subscription, profile, period_end)
