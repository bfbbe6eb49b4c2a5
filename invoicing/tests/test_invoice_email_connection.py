"""The invoice run keeps its SMTP session open from one invoice e-mail to the next, and starts a new one when
the kept session no longer answers (the server restarted or timed it out), without a failed attempt."""

import socket

import pytest
from aiosmtpd.controller import Controller

from conftest import support_engineer
from invoicing.models import Invoice
from invoicing.services.email import invoice_send_email
from invoicing.services.pdf import invoice_render_pdf
from invoicing.tests.factories import InvoiceFactory
from profiles.tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db


class Server:
    """aiosmtpd on loopback, counting its sessions (EHLO) and the messages it accepts."""

    def __init__(self, port: int):
        self.port, self.sessions, self.messages = port, 0, 0
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.running = False

    def start(self):
        self.controller.start()
        self.running = True

    def stop(self):
        if self.running:
            self.controller.stop()
            self.running = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages += 1
        return "250 OK"


@pytest.fixture
def server(settings, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.MEDIA_ROOT = tmp_path
    running = Server(port)
    running.start()
    yield running
    running.stop()


def pending_invoice() -> Invoice:
    profile = BillingProfileFactory(contact_email="finance@example.com", invoice_email_opt_in=True)
    invoice = invoice_render_pdf(invoice_id=InvoiceFactory(profile=profile).pk)
    Invoice.objects.filter(pk=invoice.pk).update(email_status=Invoice.EmailStatus.PENDING)
    return invoice


def test_the_run_sends_its_invoices_over_one_smtp_session(server):
    invoices = [pending_invoice() for _ in range(3)]
    assert all(invoice_send_email(invoice_id=invoice.pk) for invoice in invoices)
    assert server.messages == 3 and server.sessions == 1


def test_after_the_server_restarts_the_next_invoice_goes_out_on_a_new_session_at_its_first_attempt(server):
    first, second = pending_invoice(), pending_invoice()
    assert invoice_send_email(invoice_id=first.pk)
    server.stop()  # drops the kept session
    restarted = Server(server.port)
    restarted.start()
    try:
        assert invoice_send_email(invoice_id=second.pk)
    finally:
        restarted.stop()
    second.refresh_from_db()
    assert restarted.messages == 1 and restarted.sessions == 1
    assert second.email_status == Invoice.EmailStatus.SENT and second.email_attempts == 1
    assert second.email_last_error == ""


def test_a_support_resend_uses_a_session_of_its_own(server):
    invoice = pending_invoice()
    assert invoice_send_email(invoice_id=invoice.pk)
    assert invoice_send_email(invoice_id=invoice.pk, resend=True, actor=support_engineer())
    assert invoice_send_email(invoice_id=pending_invoice().pk)
    assert server.messages == 3 and server.sessions == 2  # the run's one, kept; the re-send's own
