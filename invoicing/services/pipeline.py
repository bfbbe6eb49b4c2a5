"""The steps after an invoice is issued, stated once.

After issue: render its PDF and, for a profile paying by card or bank account, charge it
automatically. After the PDF: e-mail it, if the profile asked for invoices by e-mail. A charge
that does not go through (after the retries a runner may give it) sends one failure notice.

A *runner* performs each step: ``InProcess`` right away (``run_billing`` and the embedded
default), ``invoicing.tasks.documents.QUEUE`` as Celery tasks (the daily run on workers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from invoicing.models import Invoice, Payment
from invoicing.services.email import invoice_render_and_send, invoice_send_email
from invoicing.services.payments import invoice_autocharge, notify_autocharge_failed, pays_automatically


class Runner(Protocol):
    def pdf(self, invoice_id: int, issued: Invoice | None = None) -> None: ...

    def email(self, invoice_id: int) -> None: ...

    def autocharge(self, invoice_id: int) -> None: ...


def after_issue(invoice: Invoice, runner: Runner) -> None:
    try:
        runner.pdf(invoice.pk, issued=invoice)
    finally:
        # Whatever the PDF and e-mail step did: a task redelivered after it failed finds the invoice issued
        # and only queues what the invoice lacks (its PDF, its e-mail), never the charge.
        if pays_automatically(invoice):
            runner.autocharge(invoice.pk)


def after_pdf(invoice: Invoice, runner: Runner) -> None:
    if invoice.email_status == Invoice.EmailStatus.PENDING:
        runner.email(invoice.pk)


def autocharge(invoice_id: int, *, retry: Callable[[Payment], None] | None = None) -> Payment | None:
    """Charge the invoice automatically; a transient failure goes to ``retry`` (which raises to try again
    later) while the runner has retries left; any other failure sends the failure notice, once."""
    payment = invoice_autocharge(invoice_id=invoice_id)
    if payment is None or payment.status == Payment.Status.SUCCEEDED:
        return payment
    if payment.status == Payment.Status.FAILED and retry is not None:
        retry(payment)
    notify_autocharge_failed(invoice_id=invoice_id, reason=payment.failure_reason)
    return payment


class InProcess:
    """Runs every step now, in this process; counts the e-mails that went out."""

    def __init__(self):
        self.emailed = 0

    def pdf(self, invoice_id: int, issued: Invoice | None = None) -> None:
        # The PDF and the e-mail in one transaction; a refused e-mail raises EmailNotSent (the PDF is stored).
        invoice, sent = invoice_render_and_send(invoice_id=invoice_id, issued=issued)
        self.emailed += sent
        after_pdf(invoice, self)  # an invoice that had its PDF already, still to be e-mailed

    def email(self, invoice_id: int) -> None:
        if invoice_send_email(invoice_id=invoice_id):
            self.emailed += 1

    def autocharge(self, invoice_id: int) -> None:
        autocharge(invoice_id)
