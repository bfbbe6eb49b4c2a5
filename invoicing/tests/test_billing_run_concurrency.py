"""Two invoice runs for the same day at once (two support engineers, a run beside the beat): one
set of invoices, and each run's summary reports only what that run did."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from conftest import require_postgres, wait_for_lock_waits
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.invoices import billing_period, billing_run, invoice_generate
from profiles.models import BillingProfile
from profiles.tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 11, 1)


def test_two_parallel_runs_report_five_invoices_between_them_not_five_each():
    require_postgres()
    for _ in range(5):
        profile = BillingProfileFactory(invoice_day=1)
        purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
            product="VM", description="VM", quantity="1", unit_price="10",
            service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    start = threading.Barrier(2)
    summaries = []

    def run():
        try:
            start.wait(timeout=60)
            summaries.append(billing_run(day=DAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads) and len(summaries) == 2
    assert Invoice.objects.count() == 5
    made = [number for s in summaries for number in s.made]
    assert sorted(made) == sorted(Invoice.objects.values_list("number", flat=True))  # each once, by one run
    assert sum(s.emailed for s in summaries) == 5
    for s in summaries:
        assert len(s.made) + s.skipped == 5 and not s.failed
        assert s.line().startswith(f"{len(s.made)} invoices made, {s.emailed} e-mails sent, {s.skipped} skipped")


def test_a_credit_lot_granted_while_the_invoice_waits_for_the_profile_is_applied_to_that_invoice():
    """Support grants a profile its first credit while the invoice run waits for the profile's lock: once the
    grant commits, the invoice takes the credit (found in review: a check made with the lock's statement saw
    the profile as it was before the wait, so the credit waited for the next invoice, or expired unused)."""
    require_postgres()
    profile = BillingProfileFactory(invoice_day=1)
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="100",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    start, end = billing_period(DAY)
    waiting, issued = threading.Event(), []

    def issue():
        try:
            waiting.wait(timeout=60)
            issued.append(invoice_generate(profile_id=profile.pk, period_start=start, period_end=end,
                                           issue_date=DAY)[0])
        finally:
            connection.close()

    thread = threading.Thread(target=issue, daemon=True)
    with transaction.atomic():
        BillingProfile.objects.select_for_update().get(pk=profile.pk)  # support's grant holds the profile
        thread.start()
        waiting.set()
        wait_for_lock_waits(1)  # until the run's statement waits for that lock
        credit_lot_add(actor=None, profile=profile, source="promotional", amount="30",
                       start_date=date(2026, 1, 1), expiration_date=date(2026, 11, 30))
    thread.join(timeout=60)
    assert not thread.is_alive() and issued
    invoice = issued[0]
    assert invoice.credits_applied == Decimal("30.00") and invoice.subtotal == Decimal("100.00")
    assert Invoice.objects.get(pk=invoice.pk).credits_applied == Decimal("30.00")
