"""Celery tasks of the invoice run. Thin: ids in, one service call, safe to run twice."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from billing_admin.core.dates import billing_today
from invoicing.models import Invoice
from invoicing.selectors import autocharge_attempts, profiles_due
from invoicing.services import pipeline
from invoicing.services.invoices import billing_period, invoice_generate, invoices_generate
from invoicing.services.payments import pays_automatically
from invoicing.tasks.documents import QUEUE, RENDER_HERE, TRANSIENT_ERRORS, email_invoice_task, render_invoice_pdf_task

logger = logging.getLogger(__name__)


@shared_task(name="invoicing.daily_billing", acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def daily_billing_task(day: str | None = None) -> int:
    """Enqueue the invoices of the active profiles whose invoice day is today, in batches; finish unfinished
    work. Returns how many profiles' invoices were enqueued."""
    billing_day = date.fromisoformat(day) if day else billing_today()
    start, end = billing_period(billing_day)
    invoiced = Invoice.objects.filter(profile=OuterRef("pk"), period_start=start, period_end=end).exclude(
        status=Invoice.Status.VOID)
    # The beat sweeps again hourly after the billing hour: only the profiles still without their invoice.
    count = enqueue_invoices(list(profiles_due(billing_day).exclude(Exists(invoiced)).order_by(
        "account_id", "pk").values_list("pk", flat=True)), billing_day)
    # Recovery: a worker killed after issuing but before the PDF or the e-mail left the rest undone.
    for invoice_id in Invoice.objects.exclude(status=Invoice.Status.VOID).filter(pdf="").values_list("pk", flat=True):
        render_invoice_pdf_task.delay(invoice_id)
    for invoice_id in Invoice.objects.filter(email_status=Invoice.EmailStatus.PENDING).exclude(pdf="").values_list(
            "pk", flat=True):
        email_invoice_task.delay(invoice_id)
    return count


# A run of few profiles is spread over at least this many tasks (or one per profile), so that every worker
# process takes a share instead of one process issuing and rendering a whole small run.
SPREAD_OVER_TASKS = 16


def enqueue_invoices(profile_ids: list[int], day: date) -> int:
    """Enqueue the profiles' invoices for ``day`` as tasks of consecutive profiles (give them sorted by account:
    a batch then spans few accounts, and batches that share one wait for each other on its number), at most
    ``INVOICE_BATCH_SIZE`` each and of sizes as even as can be; a small run over ``SPREAD_OVER_TASKS`` tasks.
    Returns how many profiles."""
    count = len(profile_ids)
    size = max(1, min(settings.INVOICE_BATCH_SIZE, -(-count // SPREAD_OVER_TASKS)))
    tasks = -(-count // size)
    for i in range(tasks):
        generate_invoices_task.delay(profile_ids[i * count // tasks:(i + 1) * count // tasks], day.isoformat())
    return count


@shared_task(name="invoicing.generate_invoices", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=5)
def generate_invoices_task(profile_ids: list[int], day: str) -> list[int]:
    """Issue the profiles' invoices in one transaction (``invoices_generate``), then render and mail each as
    ``generate_invoice_task`` does. A profile's failure stops no other's; the task raises it at the end (a
    transient one first: the task runs again, and finds issued what was)."""
    billing_day = date.fromisoformat(day)
    start, end = billing_period(billing_day)
    issued = invoices_generate(profile_ids=profile_ids, period_start=start, period_end=end, issue_date=billing_day)
    failures = list(issued.failures.values())
    for profile_id in profile_ids:
        invoice, created = issued.invoices.get(profile_id, (None, False))
        try:
            _after_generate(invoice, created)
        except Exception as exc:  # noqa: BLE001 - raised below, once the batch's other invoices are done
            logger.exception("the invoice of profile %s was issued; its PDF or e-mail failed", profile_id)
            failures.append(exc)
    if failures:
        raise next((exc for exc in failures if isinstance(exc, TRANSIENT_ERRORS)), failures[0])
    return [invoice.pk for invoice, _created in issued.invoices.values() if invoice is not None]


@shared_task(name="invoicing.generate_invoice", acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def generate_invoice_task(profile_id: int, day: str) -> int | None:
    """One profile's invoice (``generate_invoices_task`` of one; kept for tasks queued by earlier versions)."""
    billing_day = date.fromisoformat(day)
    start, end = billing_period(billing_day)
    invoice, created = invoice_generate(profile_id=profile_id, period_start=start, period_end=end,
                                        issue_date=billing_day)
    _after_generate(invoice, created)
    return invoice.pk if invoice else None


def _after_generate(invoice: Invoice | None, created: bool) -> None:
    """After the commit that issued ``invoice`` (``created``) or found it issued."""
    if created:  # this worker renders and mails the new invoice right after the commit
        transaction.on_commit(lambda: pipeline.after_issue(invoice, RENDER_HERE))
    elif invoice is not None and not invoice.pdf:
        # A redelivered task (the worker died after the commit, before the PDF) finds the invoice issued
        # already and enqueues its missing PDF. Only then: two renders of one invoice side by side would
        # both write its file. The dead worker queued the automatic charge after the PDF, so it did not for
        # this one: queued now unless an attempt exists (a second task of the first attempt finds its
        # payment by its idempotency key: one charge).
        QUEUE.pdf(invoice.pk)
        if pays_automatically(invoice) and not autocharge_attempts(invoice_id=invoice.pk).exists():
            QUEUE.autocharge(invoice.pk)
    elif invoice is not None and invoice.email_attempts == 0:
        # The worker died after the PDF, before the e-mail: send it now (nothing else would today). An e-mail
        # tried already has its retrying task, with its backoff.
        pipeline.after_pdf(invoice, QUEUE)
