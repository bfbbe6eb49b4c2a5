"""Two processes billing many profiles of one account at once on PostgreSQL: consecutive numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

SCRIPT = """
import django, os, sys
django.setup()
from datetime import date
from invoicing.services.invoices import invoice_generate
ids = [int(x) for x in sys.argv[1].split(",")]
for pid in ids:
    invoice_generate(profile_id=pid, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                     issue_date=date(2026, 11, 1))
"""


def test_two_processes_at_once_yield_consecutive_numbers_without_gaps_or_duplicates(pg_url, tmp_path):
    account = BillingAccountFactory()
    ids = []
    for _ in range(30):
        profile = BillingProfileFactory(account=account)
        purchase_record(actor=None, account=account, profile=profile, items=[dict(
            product="VM", description="VM", quantity="1", unit_price="9.99",
            service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
        ids.append(profile.pk)
    env = {**os.environ, "DATABASE_URL": pg_url, "DJANGO_SETTINGS_MODULE": "billing_admin.settings", "DEBUG": "true",
           "EMAIL_URL": "memorymail://", "MEDIA_ROOT": str(tmp_path), "CELERY_BROKER_URL": ""}
    # Both processes bill every profile, in opposite orders, at the same time.
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, ",".join(map(str, order))], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE) for order in (ids, ids[::-1])]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
    sequences = sorted(Invoice.objects.filter(profile__account=account).values_list("sequence", flat=True))
    assert sequences == list(range(1, 31))
    assert Invoice.objects.filter(profile_id__in=ids).values("profile").distinct().count() == 30
