"""The invoice run: charges → invoice (credits, tax, gapless number) → PDF → e-mail → automatic charge.

Billing period rule: a profile with invoice day *d* billed on date D (D.day == d) gets the
closed period from day *d* of the previous month through the day before D, and every
uninvoiced charge whose service period ends on or before that day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Value, When, prefetch_related_objects
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.dates import billing_today
from billing_admin.core.money import round_money
from billing_admin.core.permissions import SupportAction, require_support
from billing_admin.core.text import REASON_MAX_LENGTH, clean_text
from invoicing.hooks import run_before_invoice
from invoicing.models import Charge, Invoice, InvoiceLine, InvoiceSequence, Payment
from invoicing.periods import billing_period
from invoicing.selectors import profiles_due, usable_lots_of
from invoicing.services import pipeline
from invoicing.services.credits import credit_lots_expire, credits_apply_to_invoice, credits_return_for_invoice
from invoicing.services.drafts import InvoiceDraft, invoice_draft, invoice_preview
from invoicing.tasks.documents import render_invoice_pdf_task
from profiles.models import BillingProfile, PaymentMethod

log = logging.getLogger(__name__)


_TAKE_NUMBERS = ("UPDATE invoicing_invoicesequence SET last_number = last_number + %s "
                 "WHERE account_id = %s AND year = %s RETURNING last_number")


def _take_numbers(profiles: list[BillingProfile], year: int) -> dict[int, tuple[int, str]]:
    """The next gapless numbers of the year for the profiles (sorted by account), each account's in the
    profiles' order: one ``UPDATE ... RETURNING`` per account (the ORM has no update that returns), whose row
    lock holds until the invoices' transaction ends; a rollback gives the numbers back."""
    numbers = {}
    for _account_id, same_account in groupby(profiles, key=attrgetter("account_id")):
        same_account = list(same_account)
        account, count = same_account[0].account, len(same_account)
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_NUMBERS, [count, account.pk, year])
            row = cursor.fetchone()
            if row is None:  # the account's first invoice of the year (get_or_create settles a race)
                InvoiceSequence.objects.get_or_create(account=account, year=year)
                cursor.execute(_TAKE_NUMBERS, [count, account.pk, year])
                row = cursor.fetchone()
        for sequence, profile in enumerate(same_account, start=row[0] - count + 1):
            numbers[profile.pk] = (sequence, f"{account.number_prefix}-{year}-{sequence:06d}")
    return numbers


def _remember_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """The lines as written, in their order, become ``invoice.lines.all()`` in this process, as if prefetched:
    the PDF rendered right after the commit reads none back (a test holds that it is byte for byte the PDF
    the database gives). Django has no public call that seeds a prefetch; this is what it stores."""
    queryset = invoice.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    invoice._prefetched_objects_cache = {"lines": queryset}


def payment_instructions(method: PaymentMethod | None, number: str, amount_due=None) -> tuple[str, str]:
    """How the invoice is to be paid, by the profile's default payment ``method`` (None: it has none):
    ``(Invoice.PaymentMeans, the sentence printed under "How to pay")``."""
    means = Invoice.PaymentMeans
    if amount_due is not None and amount_due <= 0:
        return means.NOTHING_DUE, _("Nothing to pay: credits cover this invoice in full.")
    seller = settings.SELLER
    if method and method.kind == PaymentMethod.Kind.CARD:
        return means.CARD, _("The card ending %(last4)s will be charged for the amount due.") % {
            "last4": method.card_last4}
    if method and method.kind == PaymentMethod.Kind.BANK_ACCOUNT:
        return means.BANK_ACCOUNT, _("The amount due will be debited from bank account %(iban)s.") % {
            "iban": method.iban_masked}
    return means.TRANSFER, _("Please transfer the amount due to %(name)s, IBAN %(iban)s, BIC %(bic)s, quoting "
                             "invoice number %(number)s.") % {
        "name": seller["name"], "iban": seller["iban"], "bic": seller["bic"], "number": number}


@dataclass
class Issued:
    """What ``invoices_generate`` did for each profile it was given."""
    invoices: dict[int, tuple[Invoice | None, bool]] = field(default_factory=dict)  # profile id → as below
    failures: dict[int, Exception] = field(default_factory=dict)  # profile id → why it has no invoice now


def invoice_generate(*, profile_id: int, period_start: date, period_end: date,
                     issue_date: date) -> tuple[Invoice | None, bool]:
    """Issue the profile's invoice for the period: ``(invoice, True)``; the one already issued:
    ``(invoice, False)``; nothing to bill: ``(None, False)``. The steps after issue are the caller's
    (``invoicing.services.pipeline.after_issue``)."""
    issued = invoices_generate(profile_ids=[profile_id], period_start=period_start, period_end=period_end,
                               issue_date=issue_date)
    if profile_id in issued.failures:
        raise issued.failures[profile_id]
    return issued.invoices[profile_id]


def invoices_generate(*, profile_ids: list[int], period_start: date, period_end: date, issue_date: date) -> Issued:
    """Issue the invoices of several profiles for the period, in one transaction whose statements each serve
    all of them (``invoice_generate`` says what each profile gets): 12 statements and one commit for the batch
    (a profile whose credits pay part of its invoice adds its ledger's), where each invoice cost 11 and a
    commit of its own: ~6.5 ms less of a worker's CPU per invoice.

    If the batch fails, nothing of it is written and each profile is issued again in a transaction of its own,
    so that one profile's failure (in ``failures``) stops no other profile's invoice."""
    ids = sorted(set(profile_ids))
    try:
        return _issue(ids, period_start, period_end, issue_date)
    except Exception as exc:
        if len(ids) == 1:
            return Issued(failures={ids[0]: exc})
        log.warning("issuing a batch of %s invoices failed; issuing them one by one", len(ids), exc_info=True)
    issued = Issued()
    for profile_id in ids:
        try:
            one = _issue([profile_id], period_start, period_end, issue_date)
        except Exception as exc:  # noqa: BLE001 - the caller raises one; the batch's other invoices go on
            log.error("could not issue the invoice of profile %s", profile_id, exc_info=exc)
            issued.failures[profile_id] = exc
        else:
            issued.invoices.update(one.invoices)
            issued.failures.update(one.failures)
    return issued


def _issue(profile_ids: list[int], period_start: date, period_end: date, issue_date: date) -> Issued:
    issued = Issued()
    with transaction.atomic():
        # The profiles locked, in one order (account, then profile) in every batch, and not their accounts
        # (the number sequence's row serialises the numbers): two batches that share profiles wait for each
        # other, and neither holds an account while it waits for a profile that a service holding that
        # profile (a credit grant, a role change) waits for the account of.
        profiles = list(BillingProfile.objects.select_for_update(of=("self",)).select_related("account").filter(
            pk__in=profile_ids).order_by("account_id", "pk"))
        for profile_id in set(profile_ids) - {p.pk for p in profiles}:
            issued.failures[profile_id] = BillingProfile.DoesNotExist(f"no billing profile {profile_id}")
        # A second run or a redelivered task finds the invoice issued (the usual case reads no row).
        for invoice in Invoice.objects.filter(profile_id__in=profile_ids, period_start=period_start,
                                              period_end=period_end).exclude(status=Invoice.Status.VOID):
            issued.invoices[invoice.profile_id] = (invoice, False)
        profiles = [p for p in profiles if p.pk not in issued.invoices]
        if not profiles:
            return issued
        run_before_invoice(profile_ids=[p.pk for p in profiles], period_end=period_end)  # e.g. subscriptions
        charges = _by_profile(Charge.objects.select_for_update().filter(
            profile_id__in=[p.pk for p in profiles], invoice__isnull=True,
            service_period_end__lte=period_end).order_by("profile_id", "service_period_start", "pk"))
        for profile in profiles:
            if profile.pk not in charges:  # a profile with credits only gets no empty invoice either
                issued.invoices[profile.pk] = (None, False)
        profiles = [p for p in profiles if p.pk in charges]
        if not profiles:
            return issued
        ids = [p.pk for p in profiles]
        # The e-mail's extra recipients, read with the invoices they receive (``invoice_recipients``).
        prefetch_related_objects([p for p in profiles if p.invoice_email_opt_in], "recipients")
        lots = _by_profile(usable_lots_of(ids, issue_date).select_for_update())
        methods = {m.profile_id: m for m in PaymentMethod.objects.filter(profile_id__in=ids, is_default=True)}
        numbers = _take_numbers(profiles, issue_date.year)
        invoices, lines, events = [], [], []
        for profile in profiles:
            sequence, number = numbers[profile.pk]
            invoice, draft = _new_invoice(profile, charges[profile.pk], lots.get(profile.pk, []),
                                          methods.get(profile.pk), sequence, number, period_start, period_end,
                                          issue_date)
            invoices.append((invoice, draft))
        # Each invoice is inserted with its final figures (one write, not an insert and an update).
        Invoice.objects.bulk_create([invoice for invoice, _draft in invoices])
        for invoice, draft in invoices:
            own = [InvoiceLine(invoice=invoice, charge=line.charge, position=i, product=line.charge.product,
                               description=line.charge.description, quantity=line.charge.quantity,
                               unit_price=line.charge.unit_price, amount=line.charge.amount,
                               service_period_start=line.charge.service_period_start,
                               service_period_end=line.charge.service_period_end,
                               credit_eligible=line.charge.credit_eligible, credits_applied=line.credits_applied)
                   for i, line in enumerate(draft.lines, start=1)]
            _remember_lines(invoice, own)
            lines += own
        InvoiceLine.objects.bulk_create(lines)
        Charge.objects.filter(pk__in=[c.pk for p in ids for c in charges[p]]).update(invoice_id=Case(
            *[When(profile_id=invoice.profile_id, then=Value(invoice.pk)) for invoice, _draft in invoices]))
        for invoice, draft in invoices:
            credits_apply_to_invoice(invoice=invoice, draft=draft)
            events.append(activity.event(actor=None, verb="invoice.issued", target=invoice, changes={
                "number": invoice.number, "amount_due": str(invoice.amount_due), "currency": invoice.currency}))
            issued.invoices[invoice.profile_id] = (invoice, True)
        activity.record_all(events)
    return issued


def _new_invoice(profile: BillingProfile, charges: list[Charge], lots: list, method: PaymentMethod | None,
                 sequence: int, number: str, period_start: date, period_end: date,
                 issue_date: date) -> tuple[Invoice, InvoiceDraft]:
    """The profile's invoice (not saved) and its draft: the charges to bill and what its lots (those in the
    invoice's currency: ``invoice_draft``) give."""
    account, currency = profile.account, profile.currency
    draft = invoice_draft(charges=charges, lots=lots, currency=currency, tax_rate=account.tax_rate)
    with translation.override(profile.invoice_language):
        means, instructions = payment_instructions(method, number, draft.total)
    invoice = Invoice(
        profile=profile, account=account, number=number, sequence=sequence, year=issue_date.year,
        period_start=period_start, period_end=period_end, issue_date=issue_date,
        due_date=issue_date + timedelta(days=account.payment_terms_days), currency=currency,
        language=profile.invoice_language, account_name=account.name, sold_to_address=account.sold_to_address,
        tax_id=account.tax_id, profile_name=profile.name, bill_to_address=profile.bill_to_address,
        contact_name=profile.contact_name, contact_email=profile.contact_email, po_number=profile.po_number,
        subtotal=draft.subtotal, credits_applied=draft.credits_applied, tax_rate=account.tax_rate,
        tax=draft.tax, total=draft.total, amount_due=draft.total, payment_instructions=instructions,
        payment_means=means,
        email_status=(Invoice.EmailStatus.PENDING if profile.invoice_email_opt_in
                      else Invoice.EmailStatus.NOT_REQUESTED),
    )
    if invoice.amount_due <= 0:
        # Credits paid it all: settled at issue, so it never turns past due or asks to be paid.
        invoice.status, invoice.paid_at = Invoice.Status.PAID, timezone.now()
    # Field checks only: the database holds the constraints on insert, and checking each one here
    # first cost 22 extra round trips per invoice. The profile is the row locked above and the account
    # came with it (their foreign keys need no query to prove they exist).
    invoice.full_clean(exclude=["pdf", "profile", "account"], validate_unique=False, validate_constraints=False)
    return invoice, draft


def _by_profile(queryset) -> dict[int, list]:
    """The rows of ``queryset``, in its order, by their profile's id."""
    rows: dict[int, list] = {}
    for row in queryset:
        rows.setdefault(row.profile_id, []).append(row)
    return rows


def invoice_void(*, actor, invoice: Invoice, reason: str) -> Invoice:
    """Void an issued invoice: its charges return to uninvoiced, its credits to their lots."""
    if actor is not None:
        require_support(actor, SupportAction.VOID)
    reason = clean_text(reason, field="void_reason", max_length=REASON_MAX_LENGTH,
                        required_message=_("Say why the invoice is voided."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == Invoice.Status.VOID:
            raise ValidationError(_("This invoice is already void."))
        if invoice.status == Invoice.Status.PAID and invoice.payments.filter(status=Payment.Status.SUCCEEDED).exists():
            raise ValidationError(_("A paid invoice cannot be voided; refund it first."))
        invoice.status = Invoice.Status.VOID
        invoice.voided_at = timezone.now()
        invoice.void_reason = reason
        if invoice.email_status == Invoice.EmailStatus.PENDING:
            invoice.email_status = Invoice.EmailStatus.NOT_REQUESTED
        invoice.save(update_fields=["status", "voided_at", "void_reason", "email_status", "updated"])
        Charge.objects.filter(invoice=invoice).update(invoice=None)
        credits_return_for_invoice(actor=actor, invoice=invoice)
        activity.record(actor=actor, verb="invoice.voided", target=invoice, changes={"reason": reason})
        # The stored PDF must not stay a valid-looking bill: re-render it stamped VOID.
        transaction.on_commit(lambda: render_invoice_pdf_task.delay(invoice.pk, force=True))
    return invoice


@dataclass
class BillingSummary:
    day: date
    made: list[str] = field(default_factory=list)
    emailed: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    lots_expired: int = 0
    dry_run: bool = False

    def line(self) -> str:
        return (f"{len(self.made)} invoices made, {self.emailed} e-mails sent, {self.skipped} skipped, "
                f"{len(self.failed)} failed" + (" (dry run: nothing written)" if self.dry_run else ""))


def draft_line(profile, draft) -> str:
    """One line of ``run_billing --dry-run``: what the profile's invoice would say."""
    cur = draft.currency

    def m(value):
        return f"{round_money(value, cur)}"

    return (f"(would invoice {profile.name}: {len(draft.lines)} lines, subtotal {m(draft.subtotal)}, credits "
            f"{m(draft.credits_applied)}, tax {m(draft.tax)}, amount due {m(draft.amount_due)} {cur})")


def billing_run(*, day: date, profile_id: int | None = None, dry_run: bool = False, progress=None) -> BillingSummary:
    """Run the whole pipeline in-process for ``day`` (run_billing and the embedded default)."""
    summary = BillingSummary(day=day, dry_run=dry_run)
    if not dry_run:
        # The daily expiry the beat runs before the billing hour; in-process (the embedded default has
        # no beat) it runs here. Never ahead of today: a run for a future date must not take credit a
        # profile billed before that date may still use.
        summary.lots_expired = credit_lots_expire(today=min(day, billing_today()), profile_id=profile_id)
    period_start, period_end = billing_period(day)
    runner = pipeline.InProcess()
    profiles = list(profiles_due(day, profile_id))
    for index, profile in enumerate(profiles, start=1):
        try:
            if dry_run:
                draft = invoice_preview(profile=profile, day=day)
                if draft is not None:
                    summary.made.append(draft_line(profile, draft))
                else:
                    summary.skipped += 1
            else:
                invoice, created = invoice_generate(profile_id=profile.pk, period_start=period_start,
                                                    period_end=period_end, issue_date=day)
                if created:
                    summary.made.append(invoice.number)
                else:
                    summary.skipped += 1
                if invoice is not None:  # an invoice issued earlier gets what it still lacks
                    pipeline.after_issue(invoice, runner)
        except Exception as exc:  # noqa: BLE001 - one profile's failure must not stop the run
            log.exception("billing failed for profile %s", profile.pk)
            summary.failed.append(f"{profile.name}: {exc}")
        if progress:
            progress(index, len(profiles))
    summary.emailed = runner.emailed
    return summary
