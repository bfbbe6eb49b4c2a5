"""Celery tasks: payments."""

from __future__ import annotations

from celery import shared_task

from billing_admin.core.dates import billing_today
from invoicing.models import Payment


class TransientPaymentError(Exception):
    pass


@shared_task(bind=True, name="invoicing.autocharge_invoice", acks_late=True, max_retries=4)
def invoice_autocharge_task(self, invoice_id: int) -> str | None:
    from invoicing.services.payments import invoice_autocharge, notify_autocharge_failed

    payment = invoice_autocharge(invoice_id=invoice_id)
    if payment is None or payment.status == Payment.Status.SUCCEEDED:
        return payment.status if payment else None
    if payment.status == Payment.Status.FAILED and self.request.retries < self.max_retries:
        raise self.retry(exc=TransientPaymentError(payment.failure_reason), countdown=60 * 2 ** self.request.retries)
    notify_autocharge_failed(invoice_id=invoice_id, reason=payment.failure_reason)
    return payment.status


@shared_task(name="invoicing.mark_past_due", acks_late=True)
def mark_past_due_task() -> int:
    from invoicing.services.payments import invoices_mark_past_due

    return invoices_mark_past_due(today=billing_today())
