"""Receipts: a successful payment (card, bank debit, recorded transfer) e-mails a receipt to the payer
and the profile's invoice recipients, in the invoice's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
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
    """E-mail the receipt of a successful payment; False when there is nothing to send."""
    payment = Payment.objects.select_related("invoice", "invoice__profile").get(pk=payment_id)
    if payment.status != Payment.Status.SUCCEEDED:
        return False
    message = build_receipt_email(payment, payer_email)
    if not message.to:
        return False
    message.send(fail_silently=False)
    with transaction.atomic():
        activity.record(actor=None, verb="payment.receipt_sent", target=payment.invoice,
                        changes={"payment": payment.pk, "to": list(message.to)})
    return True
