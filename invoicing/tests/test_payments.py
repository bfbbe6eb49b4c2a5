import re
import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from billing_admin.celery import app
from conftest import grant, require_postgres
from invoicing.models import Invoice, Payment
from invoicing.services import payments
from invoicing.services.payments import (
    invoice_pay,
    invoices_mark_past_due,
    payment_key_issue,
    payment_record_transfer,
)
from invoicing.tasks.payments import invoice_autocharge_task
from invoicing.tests.factories import InvoiceFactory, PaymentFactory
from profiles.gateway import ChargeResult, SandboxGateway
from profiles.models import Role
from profiles.services.payment_methods import payment_method_add_bank_account, payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.django_db


def card(profile, number="4242424242424242"):
    return payment_method_add_card(actor=None, profile=profile, number=number, exp_month=12, exp_year=2031,
                                   cvc="123", holder="Pat")


def payer(profile):
    """Someone who may pay the profile's invoices."""
    user = UserFactory()
    grant(user, Role.INVOICE_MANAGER, profile)
    return user


def form_key(client, url):
    """The key of the pay form as the page shows it."""
    page = client.get(url).text
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def test_paying_with_the_sandbox_card_marks_the_invoice_paid_once():
    profile = BillingProfileFactory()
    WireTransferFactory(profile=profile, is_default=True)
    invoice, method, user = InvoiceFactory(profile=profile, unit_price="100"), card(profile), payer(profile)
    k1, k2 = payment_key_issue(actor=user, invoice=invoice), payment_key_issue(actor=user, invoice=invoice)
    first = invoice_pay(actor=user, invoice=invoice, payment_method=method, idempotency_key=k1)
    again = invoice_pay(actor=user, invoice=invoice, payment_method=method, idempotency_key=k1)  # double click
    assert first.pk == again.pk and first.status == "succeeded"
    with pytest.raises(ValidationError, match="already paid"):
        invoice_pay(actor=user, invoice=invoice, payment_method=method, idempotency_key=k2)  # second tab
    invoice.refresh_from_db()
    assert invoice.status == "paid" and Payment.objects.filter(status="succeeded").count() == 1


def test_a_decline_leaves_the_invoice_due_and_says_why():
    payment = PaymentFactory(invoice=InvoiceFactory(unit_price="100"), number="4000000000000002")
    assert payment.status == "declined" and payment.failure_reason == "The card was declined."
    payment.invoice.refresh_from_db()
    assert payment.invoice.status == "due"


def test_pay_page_double_submit_pays_once_and_a_decline_is_explained(client):
    profile = BillingProfileFactory()
    WireTransferFactory(profile=profile, is_default=True)
    manager = UserFactory()
    grant(manager, Role.INVOICE_MANAGER, profile)
    client.force_login(manager)
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    good, bad = card(profile), card(profile, "4000000000009995")
    url = reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])
    refused = client.post(url, {"payment_method": bad.pk, "idempotency_key": form_key(client, url)},
                          HTTP_HX_REQUEST="true")
    assert "insufficient funds" in refused.text and "still due" in refused.text
    key = form_key(client, url)
    for _ in range(2):  # the same form submitted twice
        client.post(url, {"payment_method": good.pk, "idempotency_key": key})
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.filter(invoice=invoice, status="succeeded").count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 2  # the decline is stored too


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_pay_once_on_postgresql():
    require_postgres()
    profile = BillingProfileFactory()
    invoice, method, user = InvoiceFactory(profile=profile, unit_price="100"), card(profile), payer(profile)
    results = []

    def pay(key):
        try:
            results.append(invoice_pay(actor=user, invoice=invoice, payment_method=method, idempotency_key=key).status)
        except ValidationError as exc:
            results.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(payment_key_issue(actor=user, invoice=invoice),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["This invoice is already paid.", "succeeded"]
    assert Payment.objects.filter(invoice=invoice, status="succeeded").count() == 1


def test_support_records_a_transfer_for_the_amount_due_only():
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    with pytest.raises(ValidationError, match="must equal the amount due"):
        payment_record_transfer(actor=None, invoice=invoice, amount="1", reference="REF")
    payment_record_transfer(actor=None, invoice=invoice, amount=str(invoice.amount_due), reference="NL-REF-1")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    with pytest.raises(ValidationError, match="nothing to record"):
        payment_record_transfer(actor=None, invoice=invoice, amount=str(invoice.amount_due), reference="again")


def test_autocharge_of_a_default_card_and_a_final_failure_tells_the_billing_people(mailoutbox):
    profile = BillingProfileFactory()
    owner, manager, reader = UserFactory(), UserFactory(), UserFactory()
    grant(owner, Role.OWNER, profile)
    grant(manager, Role.INVOICE_MANAGER, profile)
    grant(reader, Role.READER, profile)
    card(profile, "4000000000000002")  # the default: first method
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    assert invoice_autocharge_task.delay(invoice.pk).get() == "declined"
    (notice,) = mailoutbox
    assert sorted(notice.to) == sorted([owner.email, manager.email]) and invoice.number in notice.subject
    invoice.refresh_from_db()
    assert invoice.status == "due"


def test_past_due_invoices_get_one_notice_and_a_warning_on_the_profile(client, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    profile = BillingProfileFactory()
    contributor = UserFactory()
    grant(contributor, Role.CONTRIBUTOR, profile)
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices_mark_past_due(today=invoice.due_date) == 0  # due today: not yet past due
        assert invoices_mark_past_due(today=date(2027, 1, 1)) == 1
        assert invoices_mark_past_due(today=date(2027, 1, 2)) == 0
    assert Invoice.objects.get().status == "past_due" and len(mailoutbox) == 1
    client.force_login(contributor)
    page = client.get(reverse("profiles:profile-overview", args=[profile.pk]))
    assert "has a past-due invoice" in page.text


class ProcessorDownOnce(SandboxGateway):
    """The processor does not answer the first charge, then works again."""

    calls = 0

    def charge(self, **kwargs):
        ProcessorDownOnce.calls += 1
        if ProcessorDownOnce.calls == 1:
            return ChargeResult("failed_transient", "ch_timeout", "The card processor did not answer; try again later.")
        return super().charge(**kwargs)


@pytest.fixture
def eager_retries():
    app.conf.task_eager_propagates = False  # eager retries run inline; a Retry must not abort the test
    yield
    app.conf.task_eager_propagates = True


def test_autocharge_retries_a_processor_that_did_not_answer_and_then_pays(settings, eager_retries, mailoutbox):
    settings.PAYMENT_GATEWAY = "invoicing.tests.test_payments.ProcessorDownOnce"
    ProcessorDownOnce.calls = 0
    profile = BillingProfileFactory()
    grant(UserFactory(), Role.OWNER, profile)
    card(profile)
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    invoice_autocharge_task.delay(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == "paid" and mailoutbox == []  # nobody is told about a failure that healed
    assert list(invoice.payments.order_by("pk").values_list("status", flat=True)) == ["failed", "succeeded"]


def test_autocharge_gives_up_after_its_retries_and_tells_the_billing_people_once(eager_retries, mailoutbox):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    card(profile, "4000000000000119")  # the sandbox processor never answers for this card
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    invoice_autocharge_task.delay(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == "due"
    attempts = invoice.payments.values_list("status", flat=True)
    assert len(attempts) == invoice_autocharge_task.max_retries + 1 and set(attempts) == {"failed"}
    (notice,) = mailoutbox
    assert notice.to == [owner.email] and invoice.number in notice.subject
    assert "did not answer" in notice.body


class ProcessorRaises(SandboxGateway):
    def charge(self, **kwargs):
        raise ConnectionError("connection reset by peer")


def test_a_processor_error_is_stored_as_an_attempt_and_explained_on_the_page(client, settings, caplog):
    settings.PAYMENT_GATEWAY = "invoicing.tests.test_payments.ProcessorRaises"
    profile = BillingProfileFactory()
    manager = UserFactory()
    grant(manager, Role.INVOICE_MANAGER, profile)
    client.force_login(manager)
    invoice, method = InvoiceFactory(profile=profile, unit_price="100"), card(profile)
    url = reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])
    response = client.post(url, {"payment_method": method.pk, "idempotency_key": form_key(client, url)},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "did not answer" in response.text and "still due" in response.text
    (attempt,) = invoice.payments.all()
    assert attempt.status == "failed" and attempt.idempotency_key.startswith(f"pay-{manager.pk}-")
    invoice.refresh_from_db()
    assert invoice.status == "due"
    assert "ConnectionError" in caplog.text and invoice.number in caplog.text


def test_an_invoice_for_a_default_bank_account_is_debited_as_it_says(mailoutbox):
    profile = BillingProfileFactory()
    payment_method_add_bank_account(actor=None, profile=profile, holder="Pat", iban="NL91ABNA0417164300", bic="")
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    assert "will be debited from bank account NL•• 4300" in invoice.payment_instructions
    invoice_autocharge_task.delay(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert list(invoice.payments.values_list("status", "method_label")) == [("succeeded", "Bank account NL•• 4300")]


def test_autocharge_of_an_invoice_paid_meanwhile_charges_nothing(monkeypatch):
    profile = BillingProfileFactory()
    method = card(profile)
    invoice, user = InvoiceFactory(profile=profile, unit_price="100"), payer(profile)
    real_attempt = payments._attempt

    def someone_pays_first(**kwargs):  # a person pays in the page between the task's check and its charge
        monkeypatch.setattr(payments, "_attempt", real_attempt)
        payments.invoice_pay(actor=user, invoice=invoice, payment_method=method,
                             idempotency_key=payment_key_issue(actor=user, invoice=invoice))
        return real_attempt(**kwargs)

    monkeypatch.setattr(payments, "_attempt", someone_pays_first)
    assert payments.invoice_autocharge(invoice_id=invoice.pk) is None
    assert [p.recorded_by for p in invoice.payments.all()] == [user]


@pytest.mark.parametrize("sent", ["", "garbage", "not-ours:abc", "x" * 5000], ids=["empty", "garbage", "forged",
                                                                                    "long"])
def test_a_pay_form_with_an_empty_or_altered_key_says_so_and_carries_a_fresh_key(client, sent):
    profile = BillingProfileFactory()
    manager = payer(profile)
    client.force_login(manager)
    invoice, method = InvoiceFactory(profile=profile, unit_price="100"), card(profile)
    url = reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])
    response = client.post(url, {"payment_method": method.pk, "idempotency_key": sent}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "This payment form has expired; it has been renewed." in response.text
    fresh = re.search(r'name="idempotency_key" value="([^"]*)"', response.text).group(1)
    assert fresh and fresh != sent and (not sent or sent not in response.text)
    assert not invoice.payments.exists()
    client.post(url, {"payment_method": method.pk, "idempotency_key": fresh})  # confirming again pays
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_key_is_good_for_one_invoice_and_one_person_only():
    profile = BillingProfileFactory()
    invoice, method = InvoiceFactory(profile=profile, unit_price="100"), card(profile, "4000000000000002")
    other_invoice = InvoiceFactory(profile=BillingProfileFactory(account=profile.account), unit_price="50")
    alice, bob = payer(profile), payer(profile)
    alices = payment_key_issue(actor=alice, invoice=invoice)
    for actor, target in ((bob, invoice), (alice, other_invoice)):
        with pytest.raises((ValidationError, Exception), match="expired|may not pay"):
            invoice_pay(actor=actor, invoice=target, payment_method=method, idempotency_key=alices)
    attempt = invoice_pay(actor=alice, invoice=invoice, payment_method=method, idempotency_key=alices)
    assert attempt.idempotency_key.startswith(f"pay-{alice.pk}-") and attempt.status == "declined"
    with pytest.raises(PermissionDenied):
        invoice_pay(actor=None, invoice=invoice, payment_method=method, idempotency_key=alices)


def test_a_redelivered_autocharge_task_after_a_decline_charges_and_tells_once(mailoutbox):
    """Celery may deliver a task twice (a worker lost after the decline, before its acknowledgement): the
    card is not tried again and the billing people get one notice, not one per delivery."""
    profile = BillingProfileFactory()
    grant(UserFactory(), Role.OWNER, profile)
    card(profile, "4000000000000002")  # declined
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    assert invoice_autocharge_task.delay(invoice.pk).get() == "declined"
    invoice_autocharge_task.delay(invoice.pk).get()
    assert list(invoice.payments.values_list("status", flat=True)) == ["declined"]
    assert len(mailoutbox) == 1
