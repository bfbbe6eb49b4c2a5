"""Two invoice runs for the same day at once (two support engineers, a run beside the beat): one
set of invoices, and each run's summary reports only what that run did."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from conftest import require_postgres
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import billing_run
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
