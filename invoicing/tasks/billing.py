"""Celery tasks of the invoice run. Thin: ids in, one service call, safe to run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import transaction
from django.db.models import Exists, OuterRef

from billing_admin.core.dates import billing_today
from invoicing.models import Invoice
from invoicing.selectors import profiles_due
from invoicing.services import pipeline
from invoicing.services.invoices import billing_period, invoice_generate
from invoicing.tasks.documents import QUEUE, RENDER_HERE, TRANSIENT_ERRORS, email_invoice_task, render_invoice_pdf_task


@shared_task(name="invoicing.daily_billing", acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def daily_billing_task(day: str | None = None) -> int:
    """Enqueue one invoice task per active profile whose invoice day is today; finish unfinished work."""
    billing_day = date.fromisoformat(day) if day else billing_today()
    start, end = billing_period(billing_day)
    invoiced = Invoice.objects.filter(profile=OuterRef("pk"), period_start=start, period_end=end).exclude(
        status=Invoice.Status.VOID)
    count = 0
    # The beat sweeps again hourly after the billing hour: only the profiles still without their invoice.
    for profile_id in profiles_due(billing_day).exclude(Exists(invoiced)).values_list("pk", flat=True):
        generate_invoice_task.delay(profile_id, billing_day.isoformat())
        count += 1
    # Recovery: a worker killed after issuing but before the PDF or the e-mail left the rest undone.
    for invoice_id in Invoice.objects.exclude(status=Invoice.Status.VOID).filter(pdf="").values_list("pk", flat=True):
        render_invoice_pdf_task.delay(invoice_id)
    for invoice_id in Invoice.objects.filter(email_status=Invoice.EmailStatus.PENDING).exclude(pdf="").values_list(
            "pk", flat=True):
        email_invoice_task.delay(invoice_id)
    return count


@shared_task(name="invoicing.generate_invoice", acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def generate_invoice_task(profile_id: int, day: str) -> int | None:
    billing_day = date.fromisoformat(day)
    start, end = billing_period(billing_day)
    invoice, created = invoice_generate(profile_id=profile_id, period_start=start, period_end=end,
                                        issue_date=billing_day)
    if created:  # this worker renders and mails the new invoice right after the commit
        transaction.on_commit(lambda: pipeline.after_issue(invoice, RENDER_HERE))
    elif invoice is not None and not invoice.pdf:
        # A redelivered task (the worker died after the commit, before the enqueue) finds the invoice
        # issued already and enqueues its missing PDF. Only then: two renders of one invoice side by
        # side would both write its file.
        QUEUE.pdf(invoice.pk)
    elif invoice is not None:
        # The worker died after the PDF, before the e-mail: send it now (nothing else would today).
        pipeline.after_pdf(invoice, QUEUE)
    return invoice.pk if invoice else None
