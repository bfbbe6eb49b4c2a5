"""Reads for the invoicing app."""

from __future__ import annotations

from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO
from invoicing.models import Charge, CreditLot, CreditTransaction, Invoice
from profiles.models import BillingProfile

EXPIRING_SOON_DAYS = 30


# --- credits ---------------------------------------------------------------------------------
def profile_has_credits(profile) -> bool:
    """Whether the profile has ever had a credit lot (its credit tabs exist only then). Cached on the profile."""
    if not hasattr(profile, "_has_credits"):
        profile._has_credits = CreditLot.objects.filter(profile=profile).exists()
    return profile._has_credits


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
    soon_ids = set(CreditLot.objects.filter(profile=profile).expiring_within(EXPIRING_SOON_DAYS, today=today)
                   .values_list("pk", flat=True))
    soon = [lot for lot in lots if lot.pk in soon_ids]
    return {
        "currency": profile.currency,
        "current": current,
        "unbilled_eligible": unbilled,
        "estimated": estimated,
        "expiring_soon": sum((lot.remaining for lot in soon), ZERO),
        "expiring_lots": soon,
        "expiring_ids": soon_ids,
        "lots": lots,
    }


def credit_transactions_for(*, profile):
    qs = CreditTransaction.objects.filter(profile=profile).select_related("invoice", "lot")
    return qs.order_by("-created", "-pk")


def usable_lots(profile_id: int, on_date: date):
    """Active lots usable on ``on_date``, in the order credits are consumed: earliest expiry first."""
    return CreditLot.objects.filter(profile_id=profile_id).usable_on(on_date).order_by(
        "expiration_date", "start_date", "pk")


# --- invoices --------------------------------------------------------------------------------
def invoices_for(*, profile):
    return Invoice.objects.filter(profile=profile).order_by("-issue_date", "-pk")


def past_due_count(*, profile) -> int:
    return Invoice.objects.filter(profile=profile, status=Invoice.Status.PAST_DUE).count()


def with_latest_invoice_status(profiles: QuerySet) -> QuerySet:
    """Annotate ``latest_invoice_status``: the status of each profile's latest non-void invoice."""
    latest = Invoice.objects.filter(profile=OuterRef("pk")).exclude(status=Invoice.Status.VOID).order_by(
        "-issue_date", "-pk")
    return profiles.annotate(latest_invoice_status=Subquery(latest.values("status")[:1]))


# --- what blocks a change of a profile -------------------------------------------------------
def has_open_invoices(profile_id: int) -> bool:
    return Invoice.objects.filter(profile_id=profile_id).open().exists()


def has_uninvoiced_charges(profile_id: int) -> bool:
    return Charge.objects.filter(profile_id=profile_id, invoice__isnull=True).exists()


def has_active_credits(profile_id: int) -> bool:
    return CreditLot.objects.filter(profile_id=profile_id, status=CreditLot.Status.ACTIVE, remaining__gt=0).exists()


# --- the invoice run ---------------------------------------------------------------------------
def profiles_due(day: date, profile_id: int | None = None) -> QuerySet[BillingProfile]:
    """Active profiles billed on ``day`` (their invoice day), or the one active profile asked for."""
    qs = BillingProfile.objects.filter(status=BillingProfile.Status.ACTIVE)
    if profile_id is not None:
        return qs.filter(pk=profile_id)
    return qs.filter(invoice_day=day.day).order_by("pk")


def has_charges_to_invoice(profile_id: int, period_end: date) -> bool:
    return Charge.objects.filter(profile_id=profile_id, invoice__isnull=True,
                                 service_period_end__lte=period_end).exists()
