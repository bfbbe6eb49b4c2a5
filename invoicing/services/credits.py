"""The credits ledger: CreditLot balances and the CreditTransaction history can never disagree.

Every ledger write for a profile first locks the profile row, so writes on one profile are
serialised and ``balance_after`` is always the sum of the profile's lots' remaining balances.
A lot is usable from its start date through its expiration date (inclusive, in UTC dates);
it expires on the day after.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO, format_money, round_money, to_decimal
from billing_admin.core.permissions import SupportAction, require_support
from billing_admin.core.text import REASON_MAX_LENGTH, clean_text
from invoicing.models import CreditLot, CreditTransaction, Invoice
from profiles.models import BillingProfile


def _lock_profile(profile_id: int) -> BillingProfile:
    """The profile, locked (not its account: README, "Row locks"), with its account read."""
    return BillingProfile.objects.select_for_update(of=("self",)).select_related("account").get(pk=profile_id)


def _balance(profile_id: int) -> Decimal:
    total = CreditLot.objects.filter(profile_id=profile_id).aggregate(s=Sum("remaining"))["s"]
    return total or ZERO


def _write(*, profile, lot, kind, amount, actor=None, invoice=None, description="") -> CreditTransaction:
    entry = CreditTransaction.objects.create(
        profile=profile, lot=lot, kind=kind, amount=amount, balance_after=_balance(profile.pk),
        invoice=invoice, description=description[:200], actor=actor if getattr(actor, "pk", None) else None,
    )
    return entry


def credit_lot_add(
    *, actor, profile: BillingProfile, source: str, amount, start_date: date, expiration_date: date,
    reference: str = "", currency: str | None = None,
) -> CreditLot:
    """Add a lot of credit to a profile; writes a ``credit_added`` transaction."""
    if actor is not None:
        require_support(actor, SupportAction.ADJUST_CREDIT)
    try:
        value = to_decimal(amount)
    except (ValueError, TypeError):
        raise ValidationError({"original_amount": _("Enter an amount.")}) from None
    if currency and currency != profile.currency:
        raise ValidationError(
            {"currency": _("Credits for this profile must be in %(currency)s.") % {"currency": profile.currency}}
        )
    value = round_money(value, profile.currency)
    if value <= 0:
        raise ValidationError({"original_amount": _("The amount must be greater than zero.")})
    if expiration_date < start_date:
        raise ValidationError({"expiration_date": _("The expiration date cannot be before the start date.")})
    with transaction.atomic():
        profile = _lock_profile(profile.pk)
        lot = CreditLot(
            profile=profile, source=source, original_amount=value, remaining=value, currency=profile.currency,
            start_date=start_date, expiration_date=expiration_date, reference=reference,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        lot.full_clean()
        lot.save()
        _write(profile=profile, lot=lot, kind=CreditTransaction.Kind.CREDIT_ADDED, amount=value, actor=actor,
               description=lot.get_source_display() + (f" · {reference}" if reference else ""))
        activity.record(actor=actor, verb="credit.lot_added", target=lot, profile=profile,
                        changes={"amount": str(value), "currency": profile.currency,
                                 "expiration_date": expiration_date.isoformat()})
    return lot


def credits_apply_to_invoice(*, invoice: Invoice, draft) -> Decimal:
    """Write what the invoice's draft (``services/drafts.py``) takes from each lot: lots' balances,
    the ledger, exhausted lots. The lines already carry their credits. Runs inside the invoice's
    transaction, with the profile (``invoice.profile``) and the lots locked by ``invoices_generate``: its
    account is not locked again (README, "Row locks")."""
    if not draft.lot_takes:
        return draft.credits_applied  # no lot pays for any line: nothing to write
    with transaction.atomic():
        profile = invoice.profile
        for lot_id, take in draft.lot_takes.items():
            lot = draft.lots[lot_id]
            lot.remaining -= take
            if lot.remaining == 0:
                lot.status = CreditLot.Status.EXHAUSTED
            lot.save(update_fields=["remaining", "status", "updated"])
            _write(profile=profile, lot=lot, kind=CreditTransaction.Kind.APPLIED_TO_INVOICE, amount=-take,
                   invoice=invoice, description=_("Applied to invoice %(number)s") % {"number": invoice.number})
        if draft.credits_applied:
            activity.record(actor=None, verb="credit.applied", target=invoice, profile=profile,
                            changes={"credits_applied": str(draft.credits_applied)})
    return draft.credits_applied


def credits_return_for_invoice(*, actor, invoice: Invoice) -> Decimal:
    """Return what each lot gave to a (voided) invoice. A lot that has expired meanwhile gets the
    credit back and is expired again at once, so the balance stays truthful."""
    today = billing_today()
    with transaction.atomic():
        profile = _lock_profile(invoice.profile_id)
        given: dict[int, Decimal] = {}
        for entry in CreditTransaction.objects.filter(invoice=invoice).order_by("pk"):
            if entry.kind in (CreditTransaction.Kind.APPLIED_TO_INVOICE, CreditTransaction.Kind.RETURNED):
                given[entry.lot_id] = given.get(entry.lot_id, ZERO) - entry.amount
        total = ZERO
        for lot in CreditLot.objects.select_for_update().filter(pk__in=[k for k, v in given.items() if v > 0]):
            amount = given[lot.pk]
            lot.remaining += amount
            if lot.status == CreditLot.Status.EXHAUSTED:
                lot.status = CreditLot.Status.ACTIVE
            lot.save(update_fields=["remaining", "status", "updated"])
            _write(profile=profile, lot=lot, kind=CreditTransaction.Kind.RETURNED, amount=amount, actor=actor,
                   invoice=invoice, description=_("Returned from void invoice %(number)s") % {"number": invoice.number})
            total += amount
            if lot.expiration_date < today or lot.status == CreditLot.Status.EXPIRED:
                _expire_lot(profile=profile, lot=lot, actor=actor)
        if total:
            activity.record(actor=actor, verb="credit.returned", target=invoice, profile=profile,
                            changes={"credits_returned": str(total)})
    return total


def _expire_lot(*, profile, lot: CreditLot, actor=None) -> None:
    left = lot.remaining
    lot.remaining = ZERO
    lot.status = CreditLot.Status.EXPIRED
    lot.save(update_fields=["remaining", "status", "updated"])
    if left > 0:
        _write(profile=profile, lot=lot, kind=CreditTransaction.Kind.EXPIRED, amount=-left, actor=actor,
               description=_("Expired on %(date)s") % {"date": lot.expiration_date.isoformat()})


def credit_lots_expire(*, today: date, profile_id: int | None = None) -> int:
    """Expire every lot (of one profile, if given) whose expiration date is before ``today``; returns how many."""
    count = 0
    due = CreditLot.objects.filter(status__in=[CreditLot.Status.ACTIVE, CreditLot.Status.EXHAUSTED],
                                   expiration_date__lt=today)
    if profile_id is not None:
        due = due.filter(profile_id=profile_id)
    due = due.values_list("profile_id", flat=True).distinct()
    for profile_id in sorted(set(due)):
        with transaction.atomic():
            profile = _lock_profile(profile_id)
            for lot in CreditLot.objects.select_for_update().filter(
                profile=profile, status__in=[CreditLot.Status.ACTIVE, CreditLot.Status.EXHAUSTED],
                expiration_date__lt=today,
            ):
                left = lot.remaining
                _expire_lot(profile=profile, lot=lot)
                activity.record(actor=None, verb="credit.expired", target=lot, profile=profile,
                                changes={"expired_amount": str(left)})
                count += 1
    return count


def _applied_to_open_invoices(lot: CreditLot) -> Decimal:
    """What the lot gave to invoices that are not void: a void would return it to the lot."""
    given = CreditTransaction.objects.filter(lot=lot, invoice__isnull=False).exclude(
        invoice__status=Invoice.Status.VOID).aggregate(s=Sum("amount"))["s"]
    return -(given or ZERO)


def credit_adjust(*, actor, lot: CreditLot, amount, reason: str) -> CreditTransaction:
    """A signed correction by a support engineer; the lot stays between 0 and its original amount."""
    if actor is not None:
        require_support(actor, SupportAction.ADJUST_CREDIT)
    reason = clean_text(reason, field="reason", max_length=REASON_MAX_LENGTH,
                        required_message=_("Say why the credit is adjusted."))
    try:
        value = round_money(to_decimal(amount), lot.currency)
    except (ValueError, TypeError):
        raise ValidationError({"amount": _("Enter an amount.")}) from None
    if value == 0:
        raise ValidationError({"amount": _("The adjustment cannot be zero.")})
    with transaction.atomic():
        profile = _lock_profile(lot.profile_id)
        lot = CreditLot.objects.select_for_update().get(pk=lot.pk)
        new_remaining = lot.remaining + value
        if new_remaining < 0:
            left = format_money(lot.remaining, lot.currency)
            raise ValidationError({"amount": _("The lot has only %(left)s left.") % {"left": left}})
        if new_remaining > lot.original_amount:
            raise ValidationError({"amount": _("A lot cannot hold more than its original amount.")})
        on_open_invoices = _applied_to_open_invoices(lot)
        if new_remaining + on_open_invoices > lot.original_amount:
            # Voiding those invoices returns their credit to this lot, which must then still fit.
            raise ValidationError({"amount": _(
                "A lot cannot hold more than its original amount: %(applied)s of it is applied to invoices "
                "that may still be voided and return it.") % {"applied": format_money(on_open_invoices, lot.currency)}})
        if lot.status in (CreditLot.Status.EXPIRED, CreditLot.Status.CANCELED):
            raise ValidationError({"amount": _("An expired or canceled lot cannot be adjusted.")})
        lot.remaining = new_remaining
        lot.status = CreditLot.Status.EXHAUSTED if new_remaining == 0 else CreditLot.Status.ACTIVE
        lot.save(update_fields=["remaining", "status", "updated"])
        entry = _write(profile=profile, lot=lot, kind=CreditTransaction.Kind.ADJUSTMENT, amount=value,
                       actor=actor, description=reason)
        activity.record(actor=actor, verb="credit.adjusted", target=lot, profile=profile,
                        changes={"amount": str(value), "reason": reason})
    return entry
