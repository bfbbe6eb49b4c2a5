"""Receipts: a successful payment (card, bank debit, recorded transfer) e-mails a receipt to the payer
and the profile's invoice recipients, in the invoice's language."""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import format_moment, format_money
from invoicing.models import Payment
from invoicing.services.email import invoice_recipients, invoice_url


def receipt_recipients(payment: Payment, payer_email: str = "") -> list[str]:
    seen, result = set(), []
    for email in [payer_email, *invoice_recipients(payment.invoice)]:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


def build_receipt_email(payment: Payment, payer_email: str = "") -> EmailMultiAlternatives:
    invoice = payment.invoice
    lang = invoice.language
    with translation.override(lang):
        context = {"invoice": invoice, "payment": payment, "seller": settings.SELLER,
                   "amount": format_money(payment.amount, payment.currency, lang),
                   "when": format_moment(payment.created, lang), "invoice_url": invoice_url(invoice)}
        subject = _("Receipt: invoice %(number)s is paid (%(amount)s)") % {"number": invoice.number,
                                                                          "amount": context["amount"]}
        text = render_to_string("invoicing/email/receipt.txt", context)
    return EmailMultiAlternatives(subject=subject.replace("\n", " "), body=text,
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=receipt_recipients(payment, payer_email))


def payment_send_receipt(*, payment_id: int, payer_email: str = "") -> bool:
    """E-mail the receipt of a successful payment once; False when there is nothing (more) to send.

    The payment is locked while the message goes out and its ``receipt_sent_at`` / ``receipt_sent_to`` are
    written in the same transaction, so a retried or redelivered task, or two workers at once, send it once:
    the second finds it sent and skips. Raises the SMTP/OS error (nothing recorded) for the task to retry."""
    smtp = get_connection(fail_silently=False)
    message = None
    try:
        with transaction.atomic():
            payment = (Payment.objects.select_for_update(of=("self",))
                       .select_related("invoice", "invoice__profile").get(pk=payment_id))
            if payment.status != Payment.Status.SUCCEEDED or payment.receipt_sent_at is not None:
                return False
            pending = build_receipt_email(payment, payer_email)
            if not pending.to:
                return False
            _record_sent(payment, pending)  # committed only if the server accepts the message
            smtp.open()
            pending.connection = smtp
            pending.send(fail_silently=False)
            message = pending
    except (OSError, smtplib.SMTPException):
        smtp.close()
        raise
    except DatabaseError:
        smtp.close()
        if message is None:
            raise  # nothing went out; the task retries
        # The server accepted it but the commit was lost with the connection: record it on a new one.
        connection.close_if_unusable_or_obsolete()
        with transaction.atomic():
            payment = Payment.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=payment_id)
            if payment.receipt_sent_at is None:
                _record_sent(payment, message)
        return True
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.close()
    return True


def _record_sent(payment: Payment, message: EmailMultiAlternatives) -> None:
    payment.receipt_sent_at = timezone.now()
    payment.receipt_sent_to = list(message.to)
    payment.save(update_fields=["receipt_sent_at", "receipt_sent_to"])
    activity.record(actor=None, verb="payment.receipt_sent", target=payment.invoice,
                    changes={"payment": payment.pk, "to": list(message.to)})
