"""E-mailing an invoice with its PDF attached, to the contact and every extra recipient.

Delivery is claimed under the invoice's row lock, which is held while SMTP accepts the
message: two workers or a retried task never both send. The "sent" state is written before the
message goes out and committed right after the server accepted it (no QUIT in between: the
invoice run's SMTP session stays open for its next e-mail), and a commit lost with its database
connection is recorded again on a new one. Exactly-once cannot be had across SMTP: only a
process killed between the server's acceptance and that commit (one round trip) sends twice,
which we prefer over an invoice that silently never arrives. Even then the two copies are one
message to the recipients' mail systems: the invoice run's e-mail of an invoice always carries
the same Message-ID (a support engineer's re-send gets a new one: it is meant to arrive again).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import threading
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import format_day, format_money
from billing_admin.core.permissions import SupportAction, require_support
from invoicing.models import Invoice
from invoicing.services.pdf import PDF_FIELDS, invoice_pdf_rendered, pdf_attach, pdf_rendered_event, pdf_store
from profiles.models import InvoiceRecipient


def invoice_recipients(invoice: Invoice) -> list[str]:
    """The invoice's contact, then the profile's extra recipients, each address once. The invoice run reads the
    extra recipients of a batch's profiles in the transaction that issues their invoices (prefetched on each
    invoice's profile, as the contact is copied onto the invoice); otherwise they are read here."""
    if Invoice.profile.is_cached(invoice):
        extra = [recipient.email for recipient in invoice.profile.recipients.all()]
    else:
        extra = InvoiceRecipient.objects.filter(profile_id=invoice.profile_id).values_list("email", flat=True)
    emails = [invoice.contact_email, *extra]
    seen, result = set(), []
    for email in emails:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


def invoice_url(invoice: Invoice) -> str:
    """The invoice page's absolute address, for e-mails."""
    return settings.SITE_URL + reverse("invoicing:invoice-detail", args=[invoice.profile_id, invoice.pk])


def invoice_message_id(invoice: Invoice) -> str:
    """The Message-ID of the invoice run's e-mail of ``invoice``, the same on every attempt: mail systems that
    receive it twice (a worker killed after the server accepted it, before the commit) keep one copy."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<invoice-{invoice.number}@{domain}>"


def build_invoice_email(invoice: Invoice, *, resend: bool = False, pdf: bytes | None = None) -> EmailMultiAlternatives:
    """The invoice e-mail; ``resend``: a support engineer's re-send, with a Message-ID of its own. ``pdf``: the
    invoice's PDF as just rendered (otherwise read from its file)."""
    lang, cur = invoice.language, invoice.currency
    with translation.override(lang):
        context = {
            "invoice": invoice,
            "amount_due": format_money(invoice.amount_due, cur, lang),
            "m": {k: format_money(getattr(invoice, k), cur, lang)
                  for k in ("subtotal", "credits_applied", "tax", "total", "amount_due")},
            "due_date": format_day(invoice.due_date, lang),
            "seller": settings.SELLER,
            "invoice_url": invoice_url(invoice),
        }
        subject = _("Invoice %(number)s – %(amount)s due") % {"number": invoice.number,
                                                               "amount": context["amount_due"]}
        if invoice.po_number:
            subject += " – " + _("PO %(po)s") % {"po": invoice.po_number}
        text = render_to_string("invoicing/email/invoice.txt", context)
        html = render_to_string("invoicing/email/invoice.html", context)
    headers = {} if resend else {"Message-ID": invoice_message_id(invoice)}  # Django makes a new one otherwise
    message = EmailMultiAlternatives(subject=subject.replace("\n", " "), body=text,
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=invoice_recipients(invoice),
                                     headers=headers)
    message.attach_alternative(html, "text/html")
    if pdf is None:
        invoice.pdf.open("rb")
        try:
            pdf = invoice.pdf.read()
        finally:
            invoice.pdf.close()
    message.attach(f"invoice-{invoice.number}.pdf", pdf, "application/pdf")
    return message


_kept = threading.local()


def _mail_connection(*, keep: bool):
    """``(backend, kept)``: for the invoice run (``keep``), this process's and thread's SMTP connection, kept
    open from one invoice e-mail to the next; for a support engineer's re-send, or any other backend (files,
    the tests' outbox), a new one for this e-mail.

    A session per e-mail cost a TCP handshake (and a TLS one with a real relay), the greeting, EHLO and QUIT:
    four round trips, and on loopback ~1 ms of the worker's CPU and ~2 ms of the server's. A kept session
    that does not answer NOOP (the server timed it out, restarted or went away) is closed here, before an
    e-mail is claimed, and the send opens a new one."""
    backend = get_connection(fail_silently=False)
    if not keep or not isinstance(backend, SMTPBackend):
        return backend, False
    key = (os.getpid(), type(backend), backend.host, backend.port, backend.username, backend.use_tls,
           backend.use_ssl)
    held = getattr(_kept, "smtp", None)
    if held is not None and held[0] == key:
        backend = held[1]
        if backend.connection is not None:
            try:
                alive = backend.connection.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                _close(backend)
        return backend, True
    if held is not None:
        _close(held[1])  # the settings changed: another server
    _kept.smtp = (key, backend)
    return backend, True


def _close(backend) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        backend.close()
    backend.connection = None


def invoice_send_email(*, invoice_id: int, resend: bool = False, actor=None) -> bool:
    """Send the invoice e-mail if it is due to be sent; True when a message went out now.

    Raises the SMTP/OS error after recording the attempt, so the task can retry. ``actor``: the
    support engineer who re-sends it (None: the invoice run).
    """
    if actor is not None:
        require_support(actor, SupportAction.RESEND)
    smtp, kept = _mail_connection(keep=actor is None)
    message = None
    try:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
            if resend:
                if invoice.status == Invoice.Status.VOID:
                    return False
            elif invoice.email_status != Invoice.EmailStatus.PENDING:
                return False
            if not invoice.pdf:
                return False  # the render task sends it once the PDF exists
            pending = build_invoice_email(invoice, resend=resend)
            _record_sent(invoice, pending, actor)  # committed only if the server accepts the message
            smtp.open()  # a no-op on a kept session; a new one is opened here, after the claim
            pending.connection = smtp
            pending.send(fail_silently=False)
            message = pending
    except (OSError, smtplib.SMTPException) as exc:
        _close(smtp)  # whatever state the session is in, the next e-mail starts a new one
        _record_failure(invoice_id, f"{type(exc).__name__}: {exc}"[:500])
        raise
    except DatabaseError:
        _close(smtp)
        if message is None:
            raise  # nothing went out; the task retries
        # The server accepted the message but the commit was lost with its connection (a terminated
        # backend, a database restart): record the delivery on a new connection, never send it twice.
        connection.close_if_unusable_or_obsolete()
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
            if resend or invoice.email_status == Invoice.EmailStatus.PENDING:
                _record_sent(invoice, message, actor)
        return True
    if not kept:
        _close(smtp)  # the message is accepted and recorded; a failed close changes nothing
    return True


class EmailNotSent(Exception):  # noqa: N818 - it names what happened, as the SMTP errors do
    """``invoice_render_and_send``: the PDF is stored and the failed attempt recorded; the e-mail is to be
    sent again later. ``__cause__`` is the SMTP or network error."""


def invoice_render_and_send(*, invoice_id: int, issued: Invoice | None = None) -> tuple[Invoice, bool]:
    """The invoice run's step after issuing: render the PDF and, for an invoice to be e-mailed, store it and
    send the e-mail in one transaction, under one lock of the invoice's row. Returns ``(invoice, sent)``,
    ``sent`` when the e-mail went out now.

    Storing the PDF and claiming the delivery as two transactions cost a lock, a read of the row, an UPDATE, an
    INSERT and a commit more per invoice. Exactly-once holds as in ``invoice_send_email``: the claim is written
    in a savepoint before the message goes out and committed right after the server accepted it. If the
    server refuses it, the savepoint is undone and the PDF is committed with the failed attempt, then
    ``EmailNotSent`` is raised (the runner retries the e-mail alone). If the commit is lost after the server
    accepted the message, the PDF's file (written already) and the delivery are recorded on a new connection.

    An invoice that has its PDF already (a redelivered task), or whose row got one meanwhile, is returned with
    ``sent`` False: the runner e-mails it as any invoice with a PDF (``invoicing.services.pipeline``)."""
    invoice, data = invoice_pdf_rendered(invoice_id=invoice_id, issued=issued)
    if data is None:
        return invoice, False
    try:
        # Built before the lock, from the invoice as it was issued (what an e-mail shows never changes after):
        # the lock covers the claim and the send only.
        pending = build_invoice_email(invoice, pdf=data) if invoice.email_status == Invoice.EmailStatus.PENDING \
            else None
    except Exception:
        pdf_store(invoice, data)  # a message that cannot be built (a bug in its template) must not cost the PDF
        raise
    smtp, kept = _mail_connection(keep=True)
    message = failure = None
    try:
        with transaction.atomic():
            if not pdf_attach(invoice, data):
                return invoice, False
            events = [pdf_rendered_event(invoice)]
            if pending is None or invoice.email_status != Invoice.EmailStatus.PENDING:
                invoice.save(update_fields=PDF_FIELDS)
                activity.record_all(events)
                return invoice, False
            before = {name: getattr(invoice, name) for name in SENT_FIELDS}
            # The claim, in a savepoint undone below if the server refuses the message. Not released after the
            # send: the commit releases it, so only the commit lies between the server's acceptance and the
            # record of it (a worker killed in that window sends the e-mail twice, with one Message-ID).
            claim = transaction.savepoint()
            try:
                sent_event = _mark_sent(invoice, pending, None)
                invoice.save(update_fields=[*PDF_FIELDS, *SENT_FIELDS])
                activity.record_all([*events, sent_event])
                smtp.open()  # a no-op on a kept session
                pending.connection = smtp
                pending.send(fail_silently=False)
                message = pending
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - re-raised below, once the PDF is committed
                # The claim is undone: the PDF is committed without it, and the error raised after.
                transaction.savepoint_rollback(claim)
                failure = exc
                _close(smtp)
                for name, value in before.items():
                    setattr(invoice, name, value)
                fields = PDF_FIELDS
                if isinstance(exc, (OSError, smtplib.SMTPException)):  # the server's (or the network's) answer
                    invoice.email_attempts += 1
                    invoice.email_last_error = f"{type(exc).__name__}: {exc}"[:500]
                    fields = [*PDF_FIELDS, "email_attempts", "email_last_error"]
                invoice.save(update_fields=fields)
                activity.record_all([pdf_rendered_event(invoice)])  # new: the undone INSERT gave the old ones ids
    except DatabaseError:
        _close(smtp)
        if message is None:
            raise  # nothing went out and nothing is stored; the task retries
        # The server accepted the message but the commit was lost with its connection: the PDF's file is
        # written (its name and digest are on ``invoice``); record both on a new connection, send nothing again.
        connection.close_if_unusable_or_obsolete()
        with transaction.atomic():
            stored, status = Invoice.objects.select_for_update().values_list("pdf", "email_status").get(
                pk=invoice.pk)
            fields, events = [], []
            if not stored:
                fields, events = PDF_FIELDS, [pdf_rendered_event(invoice)]
            if status == Invoice.EmailStatus.PENDING:
                invoice.email_attempts = before["email_attempts"]
                events.append(_mark_sent(invoice, message, None))
                fields = [*fields, *SENT_FIELDS]
            if fields:
                invoice.save(update_fields=list(dict.fromkeys(fields)))
                activity.record_all(events)
        return invoice, True
    if isinstance(failure, (OSError, smtplib.SMTPException)):
        raise EmailNotSent(f"{type(failure).__name__}: {failure}") from failure
    if failure is not None:
        raise failure  # not the server: a bug to see, not a delivery to retry
    if not kept:
        _close(smtp)
    return invoice, True


# The invoice's fields that a delivery sets (``_mark_sent``).
SENT_FIELDS = ["email_status", "email_attempts", "email_sent_at", "email_recipients", "updated"]


def _mark_sent(invoice: Invoice, message: EmailMultiAlternatives, actor):
    """Set the delivery's fields on ``invoice`` (not saved); return its activity event (not written)."""
    invoice.email_status = Invoice.EmailStatus.SENT
    invoice.email_attempts += 1
    invoice.email_sent_at = timezone.now()
    invoice.email_recipients = list(message.to)
    # email_last_error stays: with the attempts it tells support what a delivery went through.
    return activity.event(actor=actor, verb="invoice.emailed", target=invoice, changes={"to": list(message.to)})


def _record_sent(invoice: Invoice, message: EmailMultiAlternatives, actor) -> None:
    event = _mark_sent(invoice, message, actor)
    invoice.save(update_fields=SENT_FIELDS)
    activity.record_all([event])


def _record_failure(invoice_id: int, error: str) -> None:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        invoice.email_attempts += 1
        invoice.email_last_error = error
        invoice.save(update_fields=["email_attempts", "email_last_error", "updated"])


def invoice_email_failed(*, invoice_id: int, error: str) -> None:
    """After the last retry: a visible failed state in the admin."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.email_status == Invoice.EmailStatus.SENT:
            return
        invoice.email_status = Invoice.EmailStatus.FAILED
        invoice.email_last_error = error[:500]
        invoice.save(update_fields=["email_status", "email_last_error", "updated"])
        activity.record(actor=None, verb="invoice.email_failed", target=invoice, changes={"error": error[:200]})
