"""Two workers with the same receipt task at once (a redelivered task beside the first): one e-mail."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core import mail
from django.db import connection

from conftest import require_postgres
from invoicing.models import Payment
from invoicing.services.invoices import invoice_generate
from invoicing.services.receipts import payment_send_receipt
from invoicing.tests.test_invoice_generation import buy
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_sending_the_same_receipt_at_once_send_one_e_mail():
    require_postgres()
    profile = BillingProfileFactory(account=BillingAccountFactory(country="NL", tax_rate=21),
                                    contact_email="finance@example.com")
    buy(profile, ("1", "100", True))
    invoice, _created = invoice_generate(profile_id=profile.pk, period_start=date(2026, 10, 1),
                                         period_end=date(2026, 10, 31), issue_date=date(2026, 11, 1))
    # A payment recorded as succeeded whose receipt task has not run yet.
    payment = Payment.objects.create(invoice=invoice, amount=invoice.amount_due, currency=invoice.currency,
                                     status=Payment.Status.SUCCEEDED, idempotency_key="transfer", reference="B-1")
    mail.outbox = []
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait(timeout=60)
            results.append(payment_send_receipt(payment_id=payment.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["finance@example.com"]
    payment.refresh_from_db()
    assert payment.receipt_sent_to == ["finance@example.com"] and payment.receipt_sent_at is not None
