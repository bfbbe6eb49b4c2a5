"""Reads for the invoicing app."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO
from invoicing.models import Charge, CreditLot, CreditTransaction, Invoice


# --- credits ---------------------------------------------------------------------------------
def credit_balance_summary(*, profile, today: date | None = None) -> dict:
    """Current balance, estimated balance after unbilled eligible charges, and credits expiring soon."""
    today = today or billing_today()
    lots = list(CreditLot.objects.filter(profile=profile).order_by("expiration_date", "start_date", "pk"))
    current = sum((lot.remaining for lot in lots), ZERO)
    unbilled = Charge.objects.filter(profile=profile, invoice__isnull=True, credit_eligible=True).aggregate(
        s=Sum("amount"))["s"] or ZERO
    usable = sum((lot.remaining for lot in lots if lot.status == CreditLot.Status.ACTIVE
                  and lot.expiration_date >= today), ZERO)
    estimated = current - min(unbilled, usable)
    soon = [lot for lot in lots if lot.status == CreditLot.Status.ACTIVE and lot.remaining > 0
            and today <= lot.expiration_date <= today + timedelta(days=30)]
    return {
        "currency": profile.currency,
        "current": current,
        "unbilled_eligible": unbilled,
        "estimated": estimated,
        "expiring_soon": sum((lot.remaining for lot in soon), ZERO),
        "expiring_lots": soon,
        "lots": lots,
    }


def credit_transactions_for(*, profile):
    qs = CreditTransaction.objects.filter(profile=profile).select_related("invoice", "lot")
    return qs.order_by("-created", "-pk")


def lots_expiring_ids(lots, today: date | None = None) -> set[int]:
    today = today or billing_today()
    return {lot.pk for lot in lots if lot.status == CreditLot.Status.ACTIVE and lot.remaining > 0
            and today <= lot.expiration_date <= today + timedelta(days=30)}


# --- invoices --------------------------------------------------------------------------------
def invoices_for(*, profile):
    return Invoice.objects.filter(profile=profile).order_by("-issue_date", "-pk")


def outstanding_for(*, profile) -> Decimal:
    return (Invoice.objects.filter(profile=profile, status__in=["due", "past_due"]).aggregate(s=Sum("amount_due"))
            ["s"] or ZERO)
