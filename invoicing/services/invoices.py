"""The invoice run: charges → invoice (credits, tax, gapless number) → PDF → e-mail → automatic charge.

Billing period rule: a profile with invoice day *d* billed on date D (D.day == d) gets the
closed period from day *d* of the previous month through the day before D, and every
uninvoiced charge whose service period ends on or before that day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
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
from invoicing.selectors import profiles_due, usable_lots
from invoicing.services import pipeline
from invoicing.services.credits import credit_lots_expire, credits_apply_to_invoice, credits_return_for_invoice
from invoicing.services.drafts import invoice_draft, invoice_preview
from invoicing.tasks.documents import render_invoice_pdf_task
from profiles.models import BillingProfile, PaymentMethod

log = logging.getLogger(__name__)


_TAKE_NUMBER = ("UPDATE invoicing_invoicesequence SET last_number = last_number + 1 "
                "WHERE account_id = %s AND year = %s RETURNING last_number")


def _next_number(account, year: int) -> tuple[int, str]:
    """Take the next gapless number for the account and year: one ``UPDATE ... RETURNING`` (the ORM has no
    update that returns), whose row lock holds until the invoice's transaction ends; a rollback gives the
    number back."""
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_NUMBER, [account.pk, year])
        row = cursor.fetchone()
        if row is None:  # the account's first invoice of the year (get_or_create settles a race)
            InvoiceSequence.objects.get_or_create(account=account, year=year)
            cursor.execute(_TAKE_NUMBER, [account.pk, year])
            row = cursor.fetchone()
    return row[0], f"{account.number_prefix}-{year}-{row[0]:06d}"


def _remember_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """The lines as written, in their order, become ``invoice.lines.all()`` in this process, as if prefetched:
    the PDF rendered right after the commit reads none back (a test holds that it is byte for byte the PDF
    the database gives). Django has no public call that seeds a prefetch; this is what it stores."""
    queryset = invoice.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    invoice._prefetched_objects_cache = {"lines": queryset}


def payment_instructions(profile: BillingProfile, number: str, amount_due=None) -> tuple[str, str]:
    """How the invoice is to be paid: ``(Invoice.PaymentMeans, the sentence printed under "How to pay")``."""
    means = Invoice.PaymentMeans
    if amount_due is not None and amount_due <= 0:
        return means.NOTHING_DUE, _("Nothing to pay: credits cover this invoice in full.")
    method = profile.payment_methods.filter(is_default=True).first()
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


def invoice_generate(*, profile_id: int, period_start: date, period_end: date,
                     issue_date: date) -> tuple[Invoice | None, bool]:
    """Issue the profile's invoice for the period: ``(invoice, True)``; the one already issued:
    ``(invoice, False)``; nothing to bill: ``(None, False)``. The steps after issue are the caller's
    (``invoicing.services.pipeline.after_issue``)."""
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().select_related("account").get(pk=profile_id)
        issued = Invoice.objects.issued_for(profile_id=profile.pk, period_start=period_start, period_end=period_end)
        if issued.exists():  # a second run or a redelivered task (the usual case reads no row)
            return issued.get(), False
        run_before_invoice(profile_id=profile.pk, period_end=period_end)  # e.g. subscriptions' monthly charges
        charges = list(Charge.objects.select_for_update().filter(
            profile=profile, invoice__isnull=True, service_period_end__lte=period_end).order_by(
            "service_period_start", "pk"))
        if not charges:
            return None, False  # no charges: a profile with credits only gets no empty invoice either
        account = profile.account
        currency = profile.currency
        lots = list(usable_lots(profile.pk, issue_date).filter(currency=currency).select_for_update())
        draft = invoice_draft(charges=charges, lots=lots, currency=currency, tax_rate=account.tax_rate)
        sequence, number = _next_number(account, issue_date.year)
        # The invoice is inserted with its final figures (one write, not an insert and an update).
        with translation.override(profile.invoice_language):
            means, instructions = payment_instructions(profile, number, draft.total)
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
        invoice.save()
        lines = InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=invoice, charge=c, position=i, product=c.product, description=c.description,
                        quantity=c.quantity, unit_price=c.unit_price, amount=c.amount,
                        service_period_start=c.service_period_start, service_period_end=c.service_period_end,
                        credit_eligible=c.credit_eligible, credits_applied=line.credits_applied)
            for i, (c, line) in enumerate(zip(charges, draft.lines, strict=True), start=1)
        ])
        _remember_lines(invoice, lines)
        Charge.objects.filter(pk__in=[c.pk for c in charges]).update(invoice=invoice)
        credits_apply_to_invoice(invoice=invoice, draft=draft)
        activity.record(actor=None, verb="invoice.issued", target=invoice, profile=profile,
                        changes={"number": number, "amount_due": str(invoice.amount_due), "currency": currency})
    return invoice, True


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
