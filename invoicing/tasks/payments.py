"""Celery tasks: payments."""

from __future__ import annotations

from celery import shared_task

from billing_admin.core.dates import billing_today
from invoicing.services import pipeline
from invoicing.services.payments import invoices_mark_past_due


class TransientPaymentError(Exception):
    pass


@shared_task(bind=True, name="invoicing.autocharge_invoice", acks_late=True, max_retries=4)
def invoice_autocharge_task(self, invoice_id: int) -> str | None:
    def retry(payment):
        if self.request.retries < self.max_retries:
            raise self.retry(exc=TransientPaymentError(payment.failure_reason),
                             countdown=60 * 2 ** self.request.retries)

    payment = pipeline.autocharge(invoice_id, retry=retry)
    return payment.status if payment else None


@shared_task(name="invoicing.mark_past_due", acks_late=True)
def mark_past_due_task() -> int:
    return invoices_mark_past_due(today=billing_today())
