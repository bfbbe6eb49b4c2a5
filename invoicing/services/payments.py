"""Paying invoices: every attempt is stored with its outcome; an invoice is paid once and only once.

A payment attempt carries an idempotency key. The invoice row is locked while paying, a repeated
key returns the first attempt's result, and the database allows one succeeded payment per invoice:
double clicks, retried requests, two tabs and two concurrent requests all pay once.

Keys are scoped to their invoice (unique per invoice, not globally) and never chosen by a browser:
- a pay form carries a key the server issued (``payment_key_issue``): a random nonce signed for
  that invoice and that person; ``invoice_pay`` refuses any other value and stores it as
  ``pay-<person id>-<nonce>``, so a request can only ever name its own attempts;
- the keys the system makes itself (``autocharge-<n>``, ``transfer``) are written by this module
  only, in a namespace no request can reach.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import format_money, round_money, to_decimal
from billing_admin.core.permissions import Action, SupportAction, has_action, require_support
from billing_admin.core.text import REFERENCE_MAX_LENGTH, clean_text
from invoicing.models import Invoice, Payment
from invoicing.selectors import autocharge_attempts
from invoicing.tasks.receipts import receipt_on_commit
from profiles.gateway import ChargeResult, get_gateway
from profiles.models import PaymentMethod
from profiles.selectors import billing_contacts

log = logging.getLogger(__name__)


def _mark_paid(invoice: Invoice, actor) -> None:
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = timezone.now()
    invoice.save(update_fields=["status", "paid_at", "updated"])
    activity.record(actor=actor, verb="invoice.paid", target=invoice, changes={"status": ["due", "paid"]})


def _charge(payment_method: PaymentMethod, invoice: Invoice, key: str) -> ChargeResult:
    """Ask the processor; a processor that fails to answer (timeout, connection error, a bug in its
    client) is a transient failure, stored like any other outcome, never a lost attempt."""
    gateway = get_gateway()
    key = f"invoice-{invoice.pk}-{key}"  # the processor's keys are global: name the invoice
    try:
        if payment_method.kind == PaymentMethod.Kind.CARD:
            return gateway.charge(token=payment_method.gateway_token, amount=invoice.amount_due,
                                  currency=invoice.currency, idempotency_key=key)
        return gateway.debit(mandate=f"{payment_method.pk}", amount=invoice.amount_due,
                             currency=invoice.currency, idempotency_key=key)
    except Exception as exc:  # noqa: BLE001 - any processor error is an outcome to store and explain
        # The exception's text is not logged: a processor's client may quote what it was sent.
        log.warning("payment processor error for invoice %s: %s", invoice.number, type(exc).__name__)
        # Stored like the processors' own reasons (which are not translated either).
        return ChargeResult("failed_transient", "", "The card processor did not answer; try again later.")


_NONCE = re.compile(r"[0-9a-f]{32}")


def _key_signer(actor, invoice: Invoice) -> signing.Signer:
    return signing.Signer(salt=f"invoicing.payment-key.{invoice.pk}.{actor.pk}")


def payment_key_issue(*, actor, invoice: Invoice) -> str:
    """A fresh idempotency key for one pay form of ``invoice`` shown to ``actor`` (signed: only the
    server makes them, and one is good for that invoice and that person only)."""
    return _key_signer(actor, invoice).sign(uuid.uuid4().hex)


def _request_key(actor, invoice: Invoice, value: str) -> str | None:
    """The stored key for a key that came back from a pay form, or None when it is not one we issued
    for this invoice and this person."""
    try:
        nonce = _key_signer(actor, invoice).unsign((value or "").strip()[:200])
    except signing.BadSignature:
        return None
    return f"pay-{actor.pk}-{nonce}" if _NONCE.fullmatch(nonce) else None


def invoice_pay(*, actor, invoice: Invoice, payment_method: PaymentMethod, idempotency_key: str) -> Payment:
    """A person pays: charge ``payment_method`` for the invoice's amount due, with the key of the pay
    form (``payment_key_issue``). Returns the attempt (see its status)."""
    if actor is None or not getattr(actor, "pk", None) or not has_action(actor, Action.PAY, invoice.profile):
        raise PermissionDenied(_("You may not pay invoices of this billing profile."))
    key = _request_key(actor, invoice, idempotency_key)
    if key is None:
        raise ValidationError(_("This payment form has expired; it has been renewed. Check the details and "
                                "confirm the payment again."), code="payment_key")
    return _attempt(actor=actor, invoice=invoice, payment_method=payment_method, key=key)


def _attempt(*, actor, invoice: Invoice, payment_method: PaymentMethod, key: str) -> Payment:
    """One payment attempt under ``key`` (already scoped: a person's, or one the system made)."""
    if payment_method.profile_id != invoice.profile_id:
        raise ValidationError({"payment_method": _("Choose one of this profile's payment methods.")})
    if payment_method.kind == PaymentMethod.Kind.WIRE_TRANSFER:
        raise ValidationError({"payment_method": _("A wire transfer is paid from your bank; choose a card or a "
                                                   "bank account to pay here.")})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("profile").get(pk=invoice.pk)
        earlier = Payment.objects.filter(invoice=invoice, idempotency_key=key).first()
        if earlier is not None:
            return earlier  # a double click or a retried request: the same answer, no second charge
        if invoice.status == Invoice.Status.PAID:
            raise ValidationError(_("This invoice is already paid."))
        if invoice.status == Invoice.Status.VOID:
            raise ValidationError(_("This invoice is void and cannot be paid."))
        if invoice.amount_due <= 0:
            raise ValidationError(_("Nothing is due on this invoice."))
        result = _charge(payment_method, invoice, key)
        status = {"succeeded": Payment.Status.SUCCEEDED, "declined": Payment.Status.DECLINED}.get(
            result.status, Payment.Status.FAILED)
        payment = Payment.objects.create(
            invoice=invoice, payment_method=payment_method, method_label=payment_method.label[:80],
            amount=invoice.amount_due, currency=invoice.currency, status=status, reference=result.reference,
            failure_reason=result.reason[:200], idempotency_key=key,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        activity.record(actor=actor, verb=f"payment.{status}", target=invoice,
                        changes={"amount": str(invoice.amount_due), "method": payment_method.label,
                                 "reason": result.reason})
        if status == Payment.Status.SUCCEEDED:
            _mark_paid(invoice, actor)
            receipt_on_commit(payment, payer=actor)
    return payment


def payment_record_transfer(*, actor, invoice: Invoice, amount, reference: str) -> Payment:
    """Support records a received wire transfer or cheque; the invoice becomes paid."""
    if actor is not None:
        require_support(actor, SupportAction.RECORD_TRANSFER)
    reference = clean_text(reference, field="reference", max_length=REFERENCE_MAX_LENGTH,
                           required_message=_("Enter the bank reference or cheque number."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        try:
            value = round_money(to_decimal(amount), invoice.currency)
        except (ValueError, TypeError):
            raise ValidationError({"amount": _("Enter an amount.")}) from None
        if not invoice.is_open:
            raise ValidationError(_("Invoice %(number)s is %(status)s; nothing to record.")
                                  % {"number": invoice.number, "status": invoice.get_status_display()})
        if value != invoice.amount_due:
            raise ValidationError({"amount": _("The amount must equal the amount due, %(due)s.")
                                   % {"due": format_money(invoice.amount_due, invoice.currency)}})
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    invoice=invoice, method_label=str(_("Wire transfer / cheque")), amount=value,
                    currency=invoice.currency, status=Payment.Status.SUCCEEDED, reference=reference,
                    idempotency_key="transfer", recorded_by=actor if getattr(actor, "pk", None) else None)
        except IntegrityError:
            raise ValidationError(_("A payment is already recorded for this invoice.")) from None
        activity.record(actor=actor, verb="payment.transfer_recorded", target=invoice,
                        changes={"amount": str(value), "reference": reference})
        _mark_paid(invoice, actor)
        receipt_on_commit(payment)  # the payer is the customer's company: its invoice recipients
    return payment


def autocharge_method(profile) -> PaymentMethod | None:
    """The method an invoice of the profile is charged to automatically: its default card or bank account."""
    return profile.payment_methods.filter(
        is_default=True, kind__in=[PaymentMethod.Kind.CARD, PaymentMethod.Kind.BANK_ACCOUNT]).first()


def pays_automatically(invoice: Invoice) -> bool:
    """The invoice says it will be charged to a card or debited from a bank account: the means recorded at
    its issue, under the profile's lock, from the same default method ``autocharge_method`` finds (no query)."""
    return invoice.payment_means in (Invoice.PaymentMeans.CARD, Invoice.PaymentMeans.BANK_ACCOUNT)


def invoice_autocharge(*, invoice_id: int) -> Payment | None:
    """Charge the profile's default card (or debit its default bank account, as the invoice says it
    will) for a newly issued invoice (key: ``autocharge-<n>``, one per attempt, on this invoice)."""
    invoice = Invoice.objects.select_related("profile").get(pk=invoice_id)
    if not invoice.is_open or invoice.amount_due <= 0:
        return None
    method = autocharge_method(invoice.profile)
    if method is None:
        return None
    attempts = autocharge_attempts(invoice_id=invoice.pk)
    if attempts.filter(status=Payment.Status.DECLINED).exists():
        return None  # a decline is the processor's final answer: a redelivered task does not try again
    attempt = attempts.count()
    try:
        return _attempt(actor=None, invoice=invoice, payment_method=method, key=f"autocharge-{attempt + 1}")
    except ValidationError:
        return None  # paid (or voided) by someone else meanwhile: nothing to charge


def _notify(invoice: Invoice, template: str, subject: str, **extra) -> None:
    recipients = billing_contacts(invoice.profile)
    if not recipients:
        return
    with translation.override(invoice.language):
        context = {"invoice": invoice, "amount_due": format_money(invoice.amount_due, invoice.currency,
                                                                 invoice.language), **extra}
        body = render_to_string(template, context)
        send_mail(subject % {"number": invoice.number}, body, settings.DEFAULT_FROM_EMAIL, recipients)


def notify_autocharge_failed(*, invoice_id: int, reason: str) -> None:
    """Tell the billing people that the automatic charge failed: once per invoice, however often the
    task runs: the notice is recorded under the invoice's lock, in the transaction that sends it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("profile").get(pk=invoice_id)
        if invoice.status == Invoice.Status.PAID or invoice.autocharge_failed_notified_at is not None:
            return
        invoice.autocharge_failed_notified_at = timezone.now()
        invoice.save(update_fields=["autocharge_failed_notified_at", "updated"])
        activity.record(actor=None, verb="payment.autocharge_failed", target=invoice, changes={"reason": reason})
        with translation.override(invoice.language):  # a failed send rolls the mark back: the next run sends
            _notify(invoice, "invoicing/email/payment_failed.txt", _("Payment of invoice %(number)s failed"),
                    reason=reason)


def invoices_mark_past_due(*, today: date) -> int:
    """Due invoices whose due date has passed become past due; each gets one notice e-mail."""
    count = 0
    for invoice_id in Invoice.objects.filter(status=Invoice.Status.DUE, due_date__lt=today).values_list(
            "pk", flat=True):
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("profile").get(pk=invoice_id)
            if invoice.status != Invoice.Status.DUE or invoice.due_date >= today:
                continue
            invoice.status = Invoice.Status.PAST_DUE
            send_notice = invoice.past_due_notified_at is None
            invoice.past_due_notified_at = invoice.past_due_notified_at or timezone.now()
            invoice.save(update_fields=["status", "past_due_notified_at", "updated"])
            activity.record(actor=None, verb="invoice.past_due", target=invoice, changes={"status": ["due",
                                                                                                   "past_due"]})
            if send_notice:
                with translation.override(invoice.language):
                    subject = _("Invoice %(number)s is past due")
                transaction.on_commit(lambda i=invoice, s=subject: _notify(i, "invoicing/email/past_due.txt", s))
            count += 1
    return count
