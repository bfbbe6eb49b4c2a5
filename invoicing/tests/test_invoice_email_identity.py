"""However often the invoice run's e-mail of an invoice goes out, mail systems see one message: every attempt
carries the same Message-ID. A support engineer's re-send is meant to arrive again and gets a new one."""

import pytest

from conftest import support_engineer
from invoicing.models import Invoice
from invoicing.services.email import build_invoice_email, invoice_send_email
from invoicing.services.pdf import invoice_render_pdf
from invoicing.tests.factories import InvoiceFactory
from profiles.tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEFAULT_FROM_EMAIL = "Contoso Billing <billing@contoso.example>"

    def make():
        profile = BillingProfileFactory(contact_email="finance@example.com", invoice_email_opt_in=True)
        return invoice_render_pdf(invoice_id=InvoiceFactory(profile=profile).pk)
    return make


def test_every_attempt_at_an_invoice_carries_its_message_id_and_another_invoice_another(rendered):
    invoice, other = rendered(), rendered()
    ids = {build_invoice_email(invoice).message()["Message-ID"] for _ in range(3)}
    assert ids == {f"<invoice-{invoice.number}@contoso.example>"}
    assert build_invoice_email(other).message()["Message-ID"] == f"<invoice-{other.number}@contoso.example>"


def test_the_run_sends_with_the_invoices_message_id_and_a_support_resend_with_a_new_one(rendered, mailoutbox):
    invoice = rendered()
    Invoice.objects.filter(pk=invoice.pk).update(email_status=Invoice.EmailStatus.PENDING)
    assert invoice_send_email(invoice_id=invoice.pk)
    assert invoice_send_email(invoice_id=invoice.pk, resend=True, actor=support_engineer())
    run, resent = (message.message()["Message-ID"] for message in mailoutbox)
    assert run == f"<invoice-{invoice.number}@contoso.example>"
    assert resent != run and resent.endswith(">")
