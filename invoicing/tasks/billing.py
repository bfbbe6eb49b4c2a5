"""Celery tasks of the invoice run. Thin: ids in, one service call, safe to run twice."""

from __future__ import annotations

import smtplib
from datetime import date

from celery import shared_task
from django.conf import settings

from billing_admin.core.dates import billing_today
from invoicing.models import Invoice


@shared_task(name="invoicing.daily_billing", acks_late=True)
def daily_billing_task(day: str | None = None) -> int:
    """Enqueue one invoice task per active profile whose invoice day is today; finish unfinished work."""
    from invoicing.services.invoices import profiles_due

    billing_day = date.fromisoformat(day) if day else billing_today()
    count = 0
    for profile_id in profiles_due(billing_day).values_list("pk", flat=True):
        generate_invoice_task.delay(profile_id, billing_day.isoformat())
        count += 1
    # Recovery: a worker killed after issuing but before the PDF or the e-mail left the rest undone.
    for invoice_id in Invoice.objects.exclude(status=Invoice.Status.VOID).filter(pdf="").values_list("pk", flat=True):
        render_invoice_pdf_task.delay(invoice_id)
    for invoice_id in Invoice.objects.filter(email_status=Invoice.EmailStatus.PENDING).exclude(pdf="").values_list(
            "pk", flat=True):
        email_invoice_task.delay(invoice_id)
    return count


@shared_task(name="invoicing.generate_invoice", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def generate_invoice_task(profile_id: int, day: str) -> int | None:
    from invoicing.services.invoices import billing_period, invoice_generate

    billing_day = date.fromisoformat(day)
    start, end = billing_period(billing_day)
    issued_before = Invoice.objects.filter(profile_id=profile_id, period_start=start, period_end=end).exclude(
        status=Invoice.Status.VOID).exists()
    invoice = invoice_generate(profile_id=profile_id, period_start=start, period_end=end, issue_date=billing_day)
    # A new invoice enqueues its PDF on commit. A redelivered task (the worker died after the commit,
    # before that enqueue) finds the invoice issued already and enqueues the missing PDF itself.
    # Enqueuing both would have two workers render the same invoice side by side.
    if invoice is not None and issued_before and not invoice.pdf:
        render_invoice_pdf_task.delay(invoice.pk)
    return invoice.pk if invoice else None


@shared_task(name="invoicing.render_invoice_pdf", acks_late=True)
def render_invoice_pdf_task(invoice_id: int, force: bool = False) -> None:
    from invoicing.services.pdf import invoice_render_pdf

    invoice = invoice_render_pdf(invoice_id=invoice_id, force=force)
    if invoice.email_status == Invoice.EmailStatus.PENDING:
        email_invoice_task.delay(invoice_id)


@shared_task(bind=True, name="invoicing.email_invoice", acks_late=True, max_retries=6)
def email_invoice_task(self, invoice_id: int) -> bool:
    from invoicing.services.email import invoice_email_failed, invoice_send_email

    try:
        return invoice_send_email(invoice_id=invoice_id)
    except (OSError, smtplib.SMTPException) as exc:
        if self.request.retries >= self.max_retries:
            invoice_email_failed(invoice_id=invoice_id, error=f"{type(exc).__name__}: {exc}")
            return False
        countdown = min(2 ** self.request.retries * settings.INVOICE_EMAIL_RETRY_SECONDS, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc
