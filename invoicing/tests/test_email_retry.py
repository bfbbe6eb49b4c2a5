import smtplib
from datetime import date

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from billing_admin.celery import app
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.tasks.billing import daily_billing_task, generate_invoice_task
from profiles.tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db
CALLS = {"n": 0, "fail_first": 0}


class FlakySMTP(BaseEmailBackend):
    def send_messages(self, messages):
        CALLS["n"] += 1
        if CALLS["n"] <= CALLS["fail_first"]:
            raise smtplib.SMTPServerDisconnected("connection refused by test")
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "invoicing.tests.test_email_retry.FlakySMTP"
    CALLS.update(n=0, fail_first=0)
    app.conf.task_eager_propagates = False  # eager retries run inline; a Retry must not abort the test
    yield CALLS
    app.conf.task_eager_propagates = True


def _issue():
    profile = BillingProfileFactory()
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    return profile


def test_daily_task_bills_and_an_smtp_outage_is_retried_until_the_mail_goes_out(
        flaky, django_capture_on_commit_callbacks):
    flaky["fail_first"] = 2
    _issue()
    with django_capture_on_commit_callbacks(execute=True):
        daily_billing_task.delay("2026-11-01")
    invoice = Invoice.objects.get()
    assert invoice.email_status == "sent" and len(mail.outbox) == 1
    assert invoice.email_attempts == 3  # two failures recorded, then the send


def test_smtp_down_for_good_ends_in_a_visible_failed_state(flaky, django_capture_on_commit_callbacks):
    flaky["fail_first"] = 100
    profile = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        generate_invoice_task.delay(profile.pk, "2026-11-01")
    invoice = Invoice.objects.get()
    assert invoice.email_status == "failed"
    assert "SMTPServerDisconnected" in invoice.email_last_error and invoice.email_attempts == 7
    assert mail.outbox == []
