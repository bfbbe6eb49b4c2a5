"""The worker that issued an invoice stores its PDF and sends its e-mail in one transaction
(``invoice_render_and_send``): what a customer and support see must be what the two steps gave apart:
the PDF they receive is the one stored, a refused e-mail leaves the PDF stored and the attempt recorded,
and a commit lost after the server accepted the message neither loses the PDF nor sends it twice."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocMemBackend
from django.db import OperationalError, connection
from django.template import TemplateSyntaxError

from billing_admin.core.models import ActivityEvent
from invoicing.models import Invoice
from invoicing.services.email import EmailNotSent, invoice_render_and_send, invoice_send_email
from invoicing.services.payments import pays_automatically
from invoicing.services.pdf import invoice_pdf_bytes, invoice_render_pdf
from invoicing.services.pipeline import after_issue
from invoicing.tasks.documents import RENDER_HERE
from invoicing.tests.factories import InvoiceFactory
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory


@pytest.fixture
def issued(settings, tmp_path):
    """An invoice just issued to a profile that gets its invoices by e-mail (no PDF yet)."""
    settings.MEDIA_ROOT = tmp_path

    def make():
        profile = BillingProfileFactory(contact_email="finance@example.com", invoice_email_opt_in=True)
        invoice = InvoiceFactory(profile=profile)
        assert invoice.email_status == Invoice.EmailStatus.PENDING and not invoice.pdf
        return invoice
    return make


def verbs(invoice) -> list[str]:
    return list(ActivityEvent.objects.filter(target_id=str(invoice.pk), verb__startswith="invoice.")
                .order_by("pk").values_list("verb", flat=True))


def stored_pdf(invoice) -> bytes:
    row = Invoice.objects.get(pk=invoice.pk)
    with row.pdf.open("rb") as f:
        return f.read()


def assert_pdf_stored_and_email_pending(invoice) -> Invoice:
    """What a failed e-mail must leave: the PDF stored (the one the database gives), the e-mail still to be
    sent, no "e-mailed" event. Returns the row."""
    row = Invoice.objects.get(pk=invoice.pk)
    assert row.pdf and stored_pdf(invoice) == invoice_pdf_bytes(row)
    assert row.email_status == Invoice.EmailStatus.PENDING and row.email_sent_at is None
    assert verbs(invoice) == ["invoice.issued", "invoice.pdf_rendered"]
    return row


class RefusingBackend(LocMemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"finance@example.com": (550, b"mailbox unavailable")})


class BrokenBackend(LocMemBackend):
    """Not the server: the message itself cannot go (e.g. an address Django cannot encode)."""

    def send_messages(self, messages):
        raise ValueError("Invalid address; only finance@example.com could be parsed")


@pytest.mark.django_db
def test_the_pdf_mailed_is_the_pdf_stored_and_both_steps_are_in_the_log_once(issued, mailoutbox):
    invoice = issued()
    returned, sent = invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    assert sent and returned.email_status == Invoice.EmailStatus.SENT
    row = Invoice.objects.get(pk=invoice.pk)
    assert row.email_status == Invoice.EmailStatus.SENT and row.email_attempts == 1
    assert row.email_recipients == ["finance@example.com"] and row.email_sent_at is not None
    (message,) = mailoutbox
    (name, attached, mimetype), = message.attachments
    assert attached == stored_pdf(invoice) == invoice_pdf_bytes(row)
    assert name == f"invoice-{invoice.number}.pdf" and mimetype == "application/pdf"
    assert verbs(invoice) == ["invoice.issued", "invoice.pdf_rendered", "invoice.emailed"]
    # Once done, it does nothing again: a redelivered task neither re-renders nor re-sends.
    assert invoice_render_and_send(invoice_id=invoice.pk)[1] is False
    assert len(mailoutbox) == 1 and verbs(invoice)[-1] == "invoice.emailed" and len(verbs(invoice)) == 3


@pytest.mark.django_db
def test_a_refused_email_leaves_the_pdf_stored_and_the_attempt_recorded_and_is_sent_again_later(
        issued, settings, mailoutbox):
    invoice = issued()
    settings.EMAIL_BACKEND = "invoicing.tests.test_render_and_send.RefusingBackend"
    with pytest.raises(EmailNotSent, match="SMTPRecipientsRefused"):
        invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    row = assert_pdf_stored_and_email_pending(invoice)
    assert row.email_attempts == 1 and "SMTPRecipientsRefused" in row.email_last_error
    assert row.email_recipients == []
    # The retry (the e-mail task) sends the stored PDF.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert invoice_send_email(invoice_id=invoice.pk)
    row.refresh_from_db()
    assert row.email_status == Invoice.EmailStatus.SENT and row.email_attempts == 2
    assert mailoutbox[0].attachments[0][1] == stored_pdf(invoice)


@pytest.mark.django_db(transaction=True)
def test_a_commit_lost_after_the_server_accepted_the_email_keeps_the_pdf_and_sends_it_once(
        issued, monkeypatch, mailoutbox):
    invoice = issued()
    real_commit, lost = connection.commit, []

    def commit_lost_once():
        if mail.outbox and not lost:  # the first commit after the server accepted the message
            lost.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit()

    monkeypatch.setattr(connection, "commit", commit_lost_once)
    returned, sent = invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    assert lost, "the commit was not lost: the test tested nothing"
    assert sent and len(mailoutbox) == 1
    row = Invoice.objects.get(pk=invoice.pk)
    assert row.email_status == Invoice.EmailStatus.SENT and row.email_attempts == 1
    assert row.pdf and stored_pdf(invoice) == mailoutbox[0].attachments[0][1]
    assert verbs(invoice) == ["invoice.issued", "invoice.pdf_rendered", "invoice.emailed"]


@pytest.mark.django_db
def test_an_invoice_that_has_its_pdf_already_is_left_to_the_email_step(issued, mailoutbox):
    invoice = issued()
    invoice_render_pdf(invoice_id=invoice.pk)  # e.g. a redelivered task's render ran first
    returned, sent = invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    assert sent is False and mailoutbox == []
    assert returned.email_status == Invoice.EmailStatus.PENDING  # the runner's after_pdf sends it
    assert verbs(invoice) == ["invoice.issued", "invoice.pdf_rendered"]


@pytest.mark.django_db
def test_an_email_that_cannot_be_built_still_leaves_the_pdf_stored(issued, monkeypatch, mailoutbox):
    invoice = issued()

    def broken_template(*args, **kwargs):
        raise TemplateSyntaxError("Invalid block tag on line 3: 'trans'")

    monkeypatch.setattr("invoicing.services.email.render_to_string", broken_template)
    with pytest.raises(TemplateSyntaxError):
        invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    assert_pdf_stored_and_email_pending(invoice)  # on the invoice page, downloadable; the e-mail still to go
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_database_error_while_claiming_the_email_still_charges_a_card_paying_invoice(issued, monkeypatch):
    """The charge is queued whatever the PDF and e-mail step does: the task's retry finds the invoice issued
    and only queues its missing PDF, so a charge skipped here would never be made."""
    invoice = issued()
    card = payment_method_add_card(actor=None, profile=invoice.profile, number="4242424242424242", exp_month=12,
                                   exp_year=2031, cvc="123", holder="Pat")
    invoice = Invoice.objects.get(pk=invoice.pk)  # issued before the card: pays by card from now on
    Invoice.objects.filter(pk=invoice.pk).update(payment_means=Invoice.PaymentMeans.CARD)
    invoice.payment_means = Invoice.PaymentMeans.CARD
    assert pays_automatically(invoice) and card.is_default

    def connection_dropped(events):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("invoicing.services.email.activity.record_all", connection_dropped)
    with pytest.raises(OperationalError):
        after_issue(invoice, RENDER_HERE)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert list(invoice.payments.values_list("status", flat=True)) == ["succeeded"]
    assert not invoice.pdf and invoice.email_status == Invoice.EmailStatus.PENDING  # the retry's work


@pytest.mark.django_db
def test_an_email_that_fails_other_than_at_the_server_still_leaves_the_pdf_stored(issued, settings, mailoutbox):
    invoice = issued()
    settings.EMAIL_BACKEND = "invoicing.tests.test_render_and_send.BrokenBackend"
    with pytest.raises(ValueError, match="Invalid address"):
        invoice_render_and_send(invoice_id=invoice.pk, issued=invoice)
    row = assert_pdf_stored_and_email_pending(invoice)
    assert row.email_attempts == 0 and row.email_last_error == ""  # not the server's answer: no attempt
