"""The whole day's billing through a real Celery worker on Redis, real SMTP, real PDFs."""

from __future__ import annotations

import io
import time
import uuid
from datetime import date

import pytest
from django.db import connection
from pypdf import PdfReader

from billing_admin.core.money import format_money
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.tasks.billing import daily_billing_task
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration
DAY = "2026-11-01"


def make_profiles(n: int):
    account = BillingAccountFactory(tax_rate=21)
    profiles = []
    for i in range(n):
        profile = BillingProfileFactory(account=account, po_number=f"PO-{4100 + i}", invoice_day=1)
        purchase_record(actor=None, account=account, profile=profile, items=[
            dict(product=f"SKU-{j}", description=f"Cloud service {j}", quantity=str(j + 1), unit_price="12.345",
                 service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))
            for j in range(5)])
        profiles.append(profile)
    return profiles


def attachment_text(message) -> tuple[str, str]:
    (part,) = [p for p in message.iter_attachments()]
    data = part.get_payload(decode=True)
    return part.get_filename(), "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def assert_one_correct_email_per_invoice(sink, profiles):
    invoices = list(Invoice.objects.filter(profile__in=profiles).order_by("number"))
    assert len(invoices) == len(profiles)
    numbers = [inv.number for inv in invoices]
    assert len(set(numbers)) == len(numbers)
    subjects = [m["Subject"] for m in sink.messages]
    for invoice in invoices:
        mine = [m for m in sink.messages if invoice.number in m["Subject"]]
        assert len(mine) == 1, f"{invoice.number}: {len(mine)} e-mails ({subjects})"
        filename, text = attachment_text(mine[0])
        assert filename == f"invoice-{invoice.number}.pdf"
        assert invoice.number in text and invoice.po_number in text
        assert format_money(invoice.amount_due, invoice.currency, "en") in text


def test_a_real_worker_bills_the_day_and_mails_every_pdf(celery_worker, smtp_sink):
    profiles = make_profiles(4)
    smtp_sink.start()
    celery_worker()
    daily_billing_task.delay(DAY)
    wait_for(lambda: len(smtp_sink.messages) >= 4, timeout=90, what="4 invoice e-mails")
    assert_one_correct_email_per_invoice(smtp_sink, profiles)
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == [1, 2, 3, 4]  # gapless
    daily_billing_task.delay(DAY)  # the same day again: nothing new
    wait_for(lambda: Invoice.objects.filter(email_status="sent").count() == 4, timeout=30, what="sent state")
    time.sleep(3)
    assert len(smtp_sink.messages) == 4 and Invoice.objects.count() == 4


def test_a_worker_killed_halfway_and_started_again_bills_each_profile_exactly_once(celery_worker, smtp_sink):
    profiles = make_profiles(8)
    smtp_sink.start()
    worker = celery_worker()
    daily_billing_task.delay(DAY)
    wait_for(lambda: Invoice.objects.exists(), timeout=60, interval=0.05, what="the first invoice")
    worker.kill()
    assert len(smtp_sink.messages) < 8, "the worker finished before it could be killed"
    celery_worker()
    daily_billing_task.delay(DAY)  # what the next beat (or support) does; every step is idempotent
    wait_for(lambda: Invoice.objects.filter(email_status="sent").count() == 8, timeout=120, what="all 8 sent")
    assert_one_correct_email_per_invoice(smtp_sink, profiles)


def test_smtp_down_at_first_the_email_arrives_once_it_is_back(celery_worker, smtp_sink):
    profiles = make_profiles(1)
    celery_worker()  # the SMTP server is not listening yet
    daily_billing_task.delay(DAY)
    wait_for(lambda: Invoice.objects.filter(email_attempts__gte=1).exists(), timeout=60, what="a failed attempt")
    invoice = Invoice.objects.get()
    assert invoice.email_status == "pending" and invoice.email_last_error
    smtp_sink.start()
    wait_for(lambda: smtp_sink.messages, timeout=60, what="the e-mail after SMTP came back")
    wait_for(lambda: Invoice.objects.filter(email_status="sent").exists(), timeout=30, what="sent state")
    assert_one_correct_email_per_invoice(smtp_sink, profiles)


def test_with_conn_max_age_a_worker_keeps_its_database_connection_from_one_invoice_to_the_next(
        celery_worker, smtp_sink):
    """CONN_MAX_AGE, as the README advises for workers, is honoured: a pool process reuses its
    connection across tasks (Celery's Django fixup otherwise closes it around every task, so each
    invoice paid for a new PostgreSQL backend)."""
    profiles = make_profiles(6)
    smtp_sink.start()
    name = f"it-reuse-{uuid.uuid4().hex[:8]}"
    celery_worker(CONN_MAX_AGE="300", PGAPPNAME=name)
    daily_billing_task.delay(DAY)
    wait_for(lambda: Invoice.objects.filter(email_status="sent").count() == 6, timeout=90, what="6 sent")
    assert_one_correct_email_per_invoice(smtp_sink, profiles)
    time.sleep(1)  # the last task has finished (its commit is what made the invoice "sent")
    with connection.cursor() as cursor:
        cursor.execute("SELECT backend_start FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = %s", [name])
        started = [row[0] for row in cursor.fetchall()]
    first_issued = Invoice.objects.order_by("created").values_list("created", flat=True).first()
    assert 1 <= len(started) <= 2, f"{len(started)} connections held by a worker of 2 processes"
    # The process that ran the day's task connected before the first invoice and still holds that
    # connection after the last one.
    assert min(started) < first_issued
