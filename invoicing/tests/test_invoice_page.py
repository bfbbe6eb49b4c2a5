"""The invoice as a page, its receipts, and the receipt e-mails."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from billing_admin.core.money import format_money
from conftest import grant, support_engineer
from invoicing.models import Invoice, Payment
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.email import build_invoice_email
from invoicing.services.invoices import invoice_generate
from invoicing.services.payments import invoice_pay, payment_key_issue, payment_record_transfer
from invoicing.services.pdf import invoice_render_pdf
from invoicing.tasks.receipts import send_receipt_task
from invoicing.tests.test_invoice_generation import buy
from invoicing.tests.test_payments import card
from profiles.models import Role
from profiles.tests.factories import (
    BillingAccountFactory,
    BillingProfileFactory,
    InvoiceRecipientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
OCT1, OCT31, NOV1 = date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1)


@pytest.fixture
def invoice():
    profile = BillingProfileFactory(account=BillingAccountFactory(country="NL", tax_rate=21), po_number="PO-77",
                                    contact_email="finance@example.com")
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="30", start_date=OCT1,
                   expiration_date=date(2026, 11, 30), reference="PROMO-A")
    credit_lot_add(actor=None, profile=profile, source="prepayment", amount="500", start_date=OCT1,
                   expiration_date=date(2027, 9, 30))
    buy(profile, ("2", "40.00", True), ("1", "12.50", False))
    return invoice_generate(profile_id=profile.pk, period_start=OCT1, period_end=OCT31, issue_date=NOV1)[0]


def page(client, invoice, **headers):
    return client.get(reverse("invoicing:invoice-detail", args=[invoice.profile_id, invoice.pk]), **headers)


def test_the_page_shows_the_stored_invoice_its_credits_per_lot_and_totals(client, invoice):
    reader = UserFactory()
    grant(reader, Role.READER, invoice.profile)
    client.force_login(reader)
    response = page(client, invoice)
    assert response.status_code == 200
    text = response.text
    assert invoice.number in text and "PO-77" in text
    for line in invoice.lines.all():
        assert line.description in text
    # FIFO by expiry: the promotional lot (30, expires first) then 50 of the prepayment; 12.50 is not eligible.
    assert "PROMO-A" in text and "-€30.00" in text and "-€50.00" in text
    assert invoice.credits_applied == 80
    for amount in (invoice.subtotal, invoice.tax, invoice.total, invoice.amount_due):
        assert format_money(amount, "EUR", "en") in text
    assert reverse("invoicing:invoice-xml", args=[invoice.profile_id, invoice.pk]) in text
    assert "No payments yet." in text
    assert reverse("invoicing:invoice-pay", args=[invoice.profile_id, invoice.pk]) not in text  # a reader may not pay


def test_outsiders_get_404_htmx_gets_the_panel_and_the_number_links_to_the_page(client, invoice, htmx_headers):
    client.force_login(UserFactory())
    assert page(client, invoice).status_code == 404
    manager = UserFactory()
    grant(manager, Role.INVOICE_MANAGER, invoice.profile)
    client.force_login(manager)
    fragment = page(client, invoice, **htmx_headers)
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'role="tabpanel"' in fragment.text
    assert reverse("invoicing:invoice-pay", args=[invoice.profile_id, invoice.pk]) in fragment.text  # may pay
    tab = client.get(reverse("invoicing:profile-invoices", args=[invoice.profile_id]))
    assert f'href="{reverse("invoicing:invoice-detail", args=[invoice.profile_id, invoice.pk])}"' in tab.text
    other = BillingProfileFactory()
    assert client.get(reverse("invoicing:invoice-detail", args=[other.pk, invoice.pk])).status_code == 404


def test_attempts_and_receipts_on_the_page_and_a_receipt_by_e_mail(client, invoice, django_capture_on_commit_callbacks):
    profile = invoice.profile
    InvoiceRecipientFactory(profile=profile, email="ap@example.com")
    owner = UserFactory(email="owner@example.com")
    grant(owner, Role.OWNER, profile)
    declined = card(profile, "4000000000000002")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_pay(actor=owner, invoice=invoice, payment_method=declined,
                    idempotency_key=payment_key_issue(actor=owner, invoice=invoice))
    assert mail.outbox == []  # no receipt for a declined attempt
    good = card(profile)
    with django_capture_on_commit_callbacks(execute=True):
        paid = invoice_pay(actor=owner, invoice=invoice, payment_method=good,
                           idempotency_key=payment_key_issue(actor=owner, invoice=invoice))
    assert paid.status == Payment.Status.SUCCEEDED
    (receipt,) = mail.outbox
    assert receipt.to == ["owner@example.com", "finance@example.com", "ap@example.com"]
    assert invoice.number in receipt.subject and format_money(invoice.amount_due, "EUR", "en") in receipt.body
    client.force_login(owner)
    text = page(client, invoice).text
    assert "Declined" in text and "The card was declined." in text and "Succeeded" in text
    receipt_url = reverse("invoicing:payment-receipt", args=[profile.pk, invoice.pk, paid.pk])
    assert receipt_url in text
    declined_payment = Payment.objects.get(status="declined")
    assert reverse("invoicing:payment-receipt", args=[profile.pk, invoice.pk, declined_payment.pk]) not in text
    shown = client.get(receipt_url)
    assert shown.status_code == 200 and f"{invoice.number}-R{paid.pk}" in shown.text
    assert client.get(reverse("invoicing:payment-receipt", args=[profile.pk, invoice.pk, declined_payment.pk])
                      ).status_code == 404


def test_a_recorded_transfer_mails_a_dutch_receipt_to_the_invoice_recipients(invoice,
                                                                             django_capture_on_commit_callbacks):

    Invoice.objects.filter(pk=invoice.pk).update(language="nl")
    invoice.refresh_from_db()
    support = support_engineer(email="support@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_transfer(actor=support, invoice=invoice, amount=invoice.amount_due, reference="BANK-1")
    (receipt,) = mail.outbox
    assert receipt.to == ["finance@example.com"]  # not the support engineer who recorded it
    assert "Ontvangstbewijs" in receipt.subject and "BANK-1" in receipt.body
    assert format_money(invoice.amount_due, "EUR", "nl") in receipt.body


def test_the_page_keeps_its_query_count_whatever_the_number_of_lines(client, invoice, django_assert_max_num_queries):
    owner = UserFactory()
    grant(owner, Role.OWNER, invoice.profile)
    client.force_login(owner)
    with django_assert_max_num_queries(25):
        assert page(client, invoice).status_code == 200


def test_the_invoice_e_mail_links_its_number_to_the_page(invoice, settings):
    settings.SITE_URL = "https://billing.example.com"
    message = build_invoice_email(invoice_render_pdf(invoice_id=invoice.pk))
    url = "https://billing.example.com" + reverse("invoicing:invoice-detail", args=[invoice.profile_id, invoice.pk])
    assert f"{invoice.number}: {url}" in message.body
    assert f'<a href="{url}">{invoice.number}</a>' in message.alternatives[0][0]


def test_the_zip_of_a_month_holds_exactly_that_months_visible_pdfs(client):
    import io
    import zipfile

    profile = BillingProfileFactory()
    numbers = []
    for day in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 15)):
        start = date(day.year, day.month - 1, day.day)
        buy_in(profile, start, day)
        inv, _created = invoice_generate(profile_id=profile.pk, period_start=start, period_end=day, issue_date=day)
        invoice_render_pdf(invoice_id=inv.pk)
        numbers.append(inv.number)
    other = BillingProfileFactory(account=profile.account)
    buy_in(other, date(2026, 10, 1), date(2026, 11, 1))
    invoice_render_pdf(invoice_id=invoice_generate(profile_id=other.pk, period_start=date(2026, 10, 1),
                                                   period_end=date(2026, 11, 1), issue_date=date(2026, 11, 1))[0].pk)
    reader = UserFactory()
    grant(reader, Role.READER, profile)
    client.force_login(reader)
    url = reverse("invoicing:invoices-zip", args=[profile.pk])
    response = client.get(url, {"month": "2026-11"})
    assert response.status_code == 200 and response.streaming and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [f"invoice-{n}.pdf" for n in numbers[1:]]
    assert archive.read(f"invoice-{numbers[1]}.pdf").startswith(b"%PDF-1.7")
    bad = client.get(url, {"month": "11/2026"}, follow=True)
    assert "Choose a month to download." in bad.text
    assert "No invoice PDFs for that month." in client.get(url, {"month": "2025-01"}, follow=True).text
    assert client.get(reverse("invoicing:invoices-zip", args=[other.pk]), {"month": "2026-11"}).status_code == 404
    tab = client.get(reverse("invoicing:profile-invoices", args=[profile.pk])).text
    assert 'type="month" id="zip-month" name="month" required value="2026-11"' in tab


def buy_in(profile, start, end):
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10", service_period_start=start,
        service_period_end=end)])


def test_a_second_run_of_the_receipt_task_sends_no_second_e_mail_and_the_page_says_when_and_to_whom(
        client, invoice, django_capture_on_commit_callbacks):

    owner = UserFactory(email="owner@example.com")
    grant(owner, Role.OWNER, invoice.profile)
    with django_capture_on_commit_callbacks(execute=True):
        paid = invoice_pay(actor=owner, invoice=invoice, payment_method=card(invoice.profile),
                           idempotency_key=payment_key_issue(actor=owner, invoice=invoice))
    assert len(mail.outbox) == 1
    # A redelivered or retried task (acks_late), with and without the payer's address: nothing more goes out.
    assert send_receipt_task.apply(args=[paid.pk, "owner@example.com"]).get() is False
    assert send_receipt_task.apply(args=[paid.pk]).get() is False
    assert len(mail.outbox) == 1
    paid.refresh_from_db()
    assert paid.receipt_sent_at is not None
    assert paid.receipt_sent_to == ["owner@example.com", "finance@example.com"]
    client.force_login(owner)
    text = page(client, invoice).text
    assert "Receipt sent" in text and "owner@example.com, finance@example.com" in text
    support = support_engineer(read_only=True)
    client.force_login(support)
    admin_page = client.get(reverse("admin:invoicing_payment_change", args=[paid.pk])).text
    assert "Receipt sent" in admin_page and "finance@example.com" in admin_page  # support sees it too


def test_the_account_zip_of_a_month_holds_the_pdfs_of_exactly_the_profiles_the_user_may_see(client):
    import io
    import zipfile

    account = BillingAccountFactory()
    first, second = BillingProfileFactory(account=account, name="A"), BillingProfileFactory(account=account, name="B")
    numbers = {}
    for profile in (first, second):
        for day in (date(2026, 10, 1), date(2026, 11, 1)):
            start = date(day.year, day.month - 1, day.day)
            buy_in(profile, start, day)
            inv, _created = invoice_generate(profile_id=profile.pk, period_start=start, period_end=day, issue_date=day)
            invoice_render_pdf(invoice_id=inv.pk)
            numbers[profile.pk, day.month] = inv.number
    elsewhere = BillingProfileFactory()  # another account's invoice of the same month
    buy_in(elsewhere, date(2026, 10, 1), date(2026, 11, 1))
    invoice_render_pdf(invoice_id=invoice_generate(profile_id=elsewhere.pk, period_start=date(2026, 10, 1),
                                                   period_end=date(2026, 11, 1), issue_date=date(2026, 11, 1))[0].pk)
    url = reverse("invoicing:account-invoices-zip", args=[account.pk])

    def names(user):
        client.force_login(user)
        response = client.get(url, {"month": "2026-11"})
        assert response.status_code == 200 and response.streaming and response["Content-Type"] == "application/zip"
        return sorted(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist())

    account_reader = UserFactory()
    grant(account_reader, Role.ACCOUNT_READER, account)
    assert names(account_reader) == sorted(f"invoice-{numbers[p.pk, 11]}.pdf" for p in (first, second))
    page_text = client.get(reverse("profiles:account-overview", args=[account.pk])).text
    assert f'action="{url}"' in page_text and 'name="month" required value="2026-11"' in page_text
    bad = client.get(url, {"month": "nope"}, follow=True)
    assert bad.redirect_chain[-1][0] == reverse("profiles:account-overview", args=[account.pk])
    assert "Choose a month to download." in bad.text
    assert "No invoice PDFs for that month." in client.get(url, {"month": "2025-01"}, follow=True).text

    one_profile = UserFactory()  # a role on one profile of the account: that profile's PDFs only
    grant(one_profile, Role.INVOICE_MANAGER, second)
    assert names(one_profile) == [f"invoice-{numbers[second.pk, 11]}.pdf"]
    assert client.get(reverse("profiles:account-overview", args=[account.pk])).status_code == 404

    outsider = UserFactory()
    grant(outsider, Role.OWNER, elsewhere)
    client.force_login(outsider)
    assert client.get(url, {"month": "2026-11"}).status_code == 404
    assert client.get(reverse("invoicing:account-invoices-zip", args=[999999]), {"month": "2026-11"}
                      ).status_code == 404
