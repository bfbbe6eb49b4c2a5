"""The money of an invoice, computed once: the invoice run and the next-invoice preview share it.

``invoice_draft`` takes the charges to bill and the usable credit lots (earliest expiry first) and
says what the invoice will be: each line's credits, what each lot gives, subtotal, credits, tax
(on what credits leave of the lines, rounded once half-up in the currency, as EN 16931's BR-CO-17
computes it), total and amount due.
It writes nothing. ``invoice_generate`` stores exactly this; ``invoice_preview`` shows it before
the invoice day, and ``run_billing --dry-run`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO, round_money
from invoicing.models import Charge, Invoice
from invoicing.periods import billing_period
from invoicing.selectors import profile_has_credits, usable_lots


@dataclass
class DraftLine:
    charge: object
    amount: Decimal
    credit_eligible: bool
    credits_applied: Decimal = ZERO


@dataclass
class InvoiceDraft:
    currency: str
    tax_rate: Decimal
    lines: list[DraftLine]
    lot_takes: dict[int, Decimal] = field(default_factory=dict)  # lot id → what it gives, in lot order
    lots: dict[int, object] = field(default_factory=dict)
    subtotal: Decimal = ZERO
    credits_applied: Decimal = ZERO
    tax: Decimal = ZERO
    issue_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.credits_applied + self.tax

    @property
    def amount_due(self) -> Decimal:
        return self.total

    @property
    def credits_by_lot(self) -> list[tuple[object, Decimal]]:
        return [(self.lots[lot_id], amount) for lot_id, amount in self.lot_takes.items()]


def allocate_credits(lines: list[DraftLine], lots: list) -> dict[int, Decimal]:
    """Give each credit-eligible line, in order, credit from the lots in order (earliest expiry first),
    never more than the line's amount nor the lot's remaining balance. Sets ``line.credits_applied``;
    returns what each lot gives (lot id → amount). The lots are not changed."""
    takes: dict[int, Decimal] = {}
    left = [lot.remaining for lot in lots]
    index = 0
    for line in lines:
        if not line.credit_eligible:
            continue
        need = line.amount - line.credits_applied
        while need > 0 and index < len(lots):
            take = min(need, left[index])
            if take > 0:
                left[index] -= take
                line.credits_applied += take
                takes[lots[index].pk] = takes.get(lots[index].pk, ZERO) + take
                need -= take
            if left[index] <= 0:
                index += 1
    return takes


def invoice_tax(taxable: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax of an invoice: its taxable amount (lines − credits) × rate, rounded once, half up, to the minor
    unit. One rounding per tax category, as EN 16931 (BR-CO-17) computes it: rounding each line's tax and adding
    them up can differ by a cent per line (two lines of €0.10 at 5%: €0.02 per line, €0.01 for the category),
    and then the PDF and its e-invoice would disagree. Every invoice has one rate, so one category."""
    return round_money(taxable * rate / 100, currency)


def invoice_draft(*, charges: list, lots: list, currency: str, tax_rate: Decimal) -> InvoiceDraft:
    """The invoice that ``charges`` (in billing order) and ``lots`` (usable, in consumption order) make."""
    lines = [DraftLine(charge=c, amount=c.amount, credit_eligible=c.credit_eligible) for c in charges]
    draft = InvoiceDraft(currency=currency, tax_rate=tax_rate, lines=lines,
                         lots={lot.pk: lot for lot in lots if lot.currency == currency})
    draft.subtotal = round_money(sum((c.amount for c in charges), ZERO), currency)
    draft.lot_takes = allocate_credits(lines, [lot for lot in lots if lot.currency == currency])
    draft.credits_applied = round_money(sum(draft.lot_takes.values(), ZERO), currency)
    draft.tax = invoice_tax(draft.subtotal - draft.credits_applied, tax_rate, currency)
    return draft


def next_invoice_day(profile, today: date) -> date:
    """The next date on the profile's invoice day, after ``today`` (today's run has already happened)."""
    day = today + timedelta(days=1)
    while day.day != profile.invoice_day:
        day += timedelta(days=1)
    return day


def invoice_preview(*, profile, day: date) -> InvoiceDraft | None:
    """What the invoice run on ``day`` would issue for the profile now, or None: nothing to bill
    (or the period's invoice is already issued). The same selection and computation as
    ``invoice_generate``; nothing is written or locked."""
    from django.db.models import Exists, OuterRef
    period_start, period_end = billing_period(day)
    issued = Invoice.objects.filter(profile=OuterRef("profile"), period_start=period_start,
                                    period_end=period_end).exclude(status=Invoice.Status.VOID)
    charges = list(Charge.objects.filter(profile=profile, invoice__isnull=True, service_period_end__lte=period_end)
                   .annotate(period_issued=Exists(issued)).order_by("service_period_start", "pk"))
    if not charges or charges[0].period_issued:  # the run returns the period's invoice and bills nothing
        return None
    # A profile that never had a lot has none to use (known from the page's profile query).
    lots = list(usable_lots(profile.pk, day)) if profile_has_credits(profile) else []
    draft = invoice_draft(charges=charges, lots=lots, currency=profile.currency, tax_rate=profile.account.tax_rate)
    draft.issue_date, draft.period_start, draft.period_end = day, period_start, period_end
    return draft


def next_invoice_preview(*, profile, today: date | None = None) -> tuple[date, InvoiceDraft | None]:
    """The profile's next invoice day and what its invoice would be if the run were now (kept on the
    profile object, so the page's preview and chart compute it once per request)."""
    day = next_invoice_day(profile, today or billing_today())
    cached = getattr(profile, "_next_invoice_preview", None)
    if cached is None or cached[0] != day:
        cached = profile._next_invoice_preview = (day, invoice_preview(profile=profile, day=day))
    return cached
