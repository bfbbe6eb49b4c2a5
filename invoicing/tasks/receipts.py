"""Celery task of a payment's receipt, and its enqueueing once the payment is committed."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import transaction

from invoicing.models import Payment
from invoicing.services.receipts import payment_send_receipt


@shared_task(bind=True, name="invoicing.send_receipt", acks_late=True, max_retries=6)
def send_receipt_task(self, payment_id: int, payer_email: str = "") -> bool:
    try:
        return payment_send_receipt(payment_id=payment_id, payer_email=payer_email)
    except (OSError, smtplib.SMTPException) as exc:
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc


def receipt_on_commit(payment: Payment, payer=None) -> None:
    """Send the receipt once the payment is committed (from inside the paying transaction)."""
    payer_email = getattr(payer, "email", "") or ""
    payment_id = payment.pk
    transaction.on_commit(lambda: send_receipt_task.delay(payment_id, payer_email))
