"""Celery tasks of an issued invoice's documents (PDF, e-mail), and the runner that enqueues the
steps of ``invoicing.services.pipeline`` as tasks."""

from __future__ import annotations

import gc
import logging
import smtplib

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

from invoicing.services import pipeline
from invoicing.services.email import EmailNotSent, invoice_email_failed, invoice_render_and_send, invoice_send_email
from invoicing.services.pdf import invoice_render_pdf, renderer_warm_up
from invoicing.tasks.payments import invoice_autocharge_task

logger = logging.getLogger(__name__)

# A lost database connection (a restart, a failover, a terminated backend) or a network error is
# transient: the task runs again on a new connection; every step is idempotent.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)


@shared_task(name="invoicing.render_invoice_pdf", acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def render_invoice_pdf_task(invoice_id: int, force: bool = False) -> None:
    pipeline.after_pdf(invoice_render_pdf(invoice_id=invoice_id, force=force), QUEUE)


@shared_task(bind=True, name="invoicing.email_invoice", acks_late=True, max_retries=6)
def email_invoice_task(self, invoice_id: int) -> bool:
    try:
        return invoice_send_email(invoice_id=invoice_id)
    except (*TRANSIENT_ERRORS, smtplib.SMTPException) as exc:
        if self.request.retries >= self.max_retries:
            invoice_email_failed(invoice_id=invoice_id, error=f"{type(exc).__name__}: {exc}")
            return False
        countdown = min(2 ** self.request.retries * settings.INVOICE_EMAIL_RETRY_SECONDS, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc


@worker_process_init.connect
def warm_up_pdf_renderer(**kwargs) -> None:
    """Each pool process loads the fonts and stylesheets before its first task, not during it. Only a
    head start: a failure is logged and the first invoice prepares them itself (and reports its error).

    Then everything loaded so far (Django, the apps, Celery, the fonts and stylesheets: ~130,000 objects
    that live as long as the process) is frozen out of the cyclic garbage collector's way. A PDF render
    makes hundreds of thousands of short-lived objects, and each full collection walked all of those
    long-lived ones too: ~18 ms of every invoice, ~8 ms after the freeze."""
    try:
        renderer_warm_up()
    except Exception:  # noqa: BLE001 - the worker must start; the render task reports a real error
        logger.exception("could not warm up the PDF renderer in this worker process")
    gc.collect()
    gc.freeze()


class Queue:
    """The pipeline's runner on Celery workers: each step is a task (with its priority, see billing_admin.celery)."""

    def pdf(self, invoice_id: int, issued=None) -> None:
        render_invoice_pdf_task.delay(invoice_id)  # a task gets the id and reads the invoice

    def email(self, invoice_id: int) -> None:
        """Sent by the worker that rendered the PDF, right away: a task of its own per invoice cost a
        message, a delivery and an acknowledgement more. Only a failed send goes to the retrying task."""
        try:
            invoice_send_email(invoice_id=invoice_id)
        except (*TRANSIENT_ERRORS, smtplib.SMTPException):
            # This was the first attempt: the task goes on as its first retry, with the same backoff.
            email_invoice_task.apply_async((invoice_id,), countdown=settings.INVOICE_EMAIL_RETRY_SECONDS, retries=1)

    def autocharge(self, invoice_id: int) -> None:
        invoice_autocharge_task.delay(invoice_id)


class RenderHere(Queue):
    """The runner of a worker that just issued an invoice: it renders the PDF and sends the e-mail itself, in
    one transaction (``invoice_render_and_send``), instead of handing them to other tasks, saving a message,
    a delivery, an acknowledgement and a database connection per invoice. A refused e-mail goes to the
    retrying task; the automatic charge stays a task of its own (it retries)."""

    def pdf(self, invoice_id: int, issued=None) -> None:
        try:
            invoice, _sent = invoice_render_and_send(invoice_id=invoice_id, issued=issued)
        except EmailNotSent:  # the PDF is stored and the first attempt recorded: retried as in ``email``
            email_invoice_task.apply_async((invoice_id,), countdown=settings.INVOICE_EMAIL_RETRY_SECONDS, retries=1)
            return
        pipeline.after_pdf(invoice, self)  # an invoice that had its PDF already, still to be e-mailed


QUEUE = Queue()
RENDER_HERE = RenderHere()
