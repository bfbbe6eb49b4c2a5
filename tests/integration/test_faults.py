"""The fault suite: the invoice run and payments under injected failures, with real parts only.

Each test injects one fault into a real run (a Celery worker process on Redis, PostgreSQL, an
SMTP server on loopback), lets the run finish, and checks that every invoice was issued,
rendered and e-mailed exactly once with gapless numbers. Each records a summary line
(``fault_summary``) that the end of the test run prints.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.tasks.billing import daily_billing_task
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory
from tests.integration.conftest import mail_counts, queue_drained, wait_for

pytestmark = pytest.mark.integration
DAY = "2026-11-01"


def make_profiles(n: int, lines: int = 2):
    """``n`` opted-in profiles of one account (one number sequence), each with charges to bill on DAY."""
    account = BillingAccountFactory(tax_rate=21)
    profiles = []
    for i in range(n):
        profile = BillingProfileFactory(account=account, po_number=f"PO-{7100 + i}", invoice_day=1)
        purchase_record(actor=None, account=account, profile=profile, items=[
            dict(product=f"SKU-{j}", description=f"Cloud service {j}", quantity=str(j + 1), unit_price="12.345",
                 service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))
            for j in range(lines)])
        profiles.append(profile)
    return profiles


def outcome(sink, profiles) -> dict:
    """What the run left behind: issued, rendered, e-mailed (state and messages), duplicates, numbers."""
    invoices = list(Invoice.objects.filter(profile__in=profiles).order_by("sequence"))
    counts = mail_counts(sink, invoices)
    return {
        "invoices": invoices,
        "issued": len(invoices),
        "rendered": sum(bool(inv.pdf and inv.pdf_sha256) for inv in invoices),
        "sent_state": sum(inv.email_status == Invoice.EmailStatus.SENT for inv in invoices),
        "emailed": sum(1 for n in counts.values() if n >= 1),
        "duplicated": sum(n - 1 for n in counts.values() if n > 1),
        "per_profile": max((sum(1 for inv in invoices if inv.profile_id == p.pk) for p in profiles), default=0),
        "sequences": [inv.sequence for inv in invoices],
        "messages": len(sink.messages),
    }


def assert_exactly_once(result: dict, n: int):
    assert result["issued"] == n and result["per_profile"] == 1, result
    assert result["sequences"] == list(range(1, n + 1)), f"numbers not gapless: {result['sequences']}"
    assert result["rendered"] == n, result
    assert result["sent_state"] == n, result
    assert result["emailed"] == n and result["duplicated"] == 0, result
    assert result["messages"] == n, result


def settle(celery_worker, broker: str, n: int, profiles, timeout: float):
    """Wait until every invoice says it was sent and the queue is drained (no redelivery pending)."""
    wait_for(lambda: Invoice.objects.filter(profile__in=profiles, email_status="sent").count() == n,
             timeout=timeout, interval=0.25, what=f"all {n} invoices e-mailed")
    wait_for(lambda: queue_drained(broker, celery_worker.queue), timeout=30, interval=0.25,
             what="the queue to drain")


# --- Worker killed mid-run ---------------------------------------------------------------------

def test_worker_killed_mid_run_and_a_new_one_finishes_every_invoice_exactly_once(
        celery_worker, smtp_sink, redis_broker, fault_summary):
    n = 50
    profiles = make_profiles(n)
    smtp_sink.start()
    worker = celery_worker()
    daily_billing_task.delay(DAY)
    wait_for(lambda: len(smtp_sink.messages) >= 8, timeout=120, interval=0.02, what="the first e-mails")
    worker.kill()  # SIGKILL to the worker and its pool: tasks in hand are neither finished nor acknowledged
    killed_at = time.monotonic()
    at_kill = (Invoice.objects.filter(profile__in=profiles).count(), len(smtp_sink.messages))
    assert at_kill[1] < n, "the worker finished before it could be killed"
    # The tasks the dead worker held come back once the visibility timeout (5 s here) has passed;
    # the new worker restores them when it starts.
    time.sleep(max(0.0, 5.5 - (time.monotonic() - killed_at)))
    celery_worker()  # nothing else: no second daily run, no help from the test
    try:
        settle(celery_worker, redis_broker, n, profiles, timeout=150)
    finally:
        result = outcome(smtp_sink, profiles)
        fault_summary(
            "worker killed", injected=f"SIGKILL of the worker and its pool after {at_kill[0]} issued / {at_kill[1]} "
            f"e-mailed, new worker started", expected=n, issued=result["issued"], emailed=result["emailed"],
            duplicated=result["duplicated"], extra=f"numbers 1..{max(result['sequences'], default=0)}")
    assert_exactly_once(result, n)
