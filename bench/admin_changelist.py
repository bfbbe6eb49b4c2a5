"""Benchmark: the support console's invoice list at 100,000 invoices against its profile list.

Fills a PostgreSQL database with N invoices (1,000 profiles, N/1,000 invoices each, written with
bulk inserts: the rows are what the invoice run writes, the run itself is not what is measured),
then opens the admin's invoice and profile lists (first page, a later page, a status filter, a
search by invoice number) as a support engineer, each several times, and prints the median time,
the number of queries and whether any query counted the whole invoice table.

    .venv/bin/python bench/admin_changelist.py [--invoices 100000]
    (env: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_admin)

Django is pointed at the bench's own database at the top of the module (``common.configure_django``),
before the project's modules are imported: settings are read once, at setup.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

from common import configure_django, ensure_database

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_admin")
# DEBUG off as in production: static files come from collectstatic's manifest, in a directory of its own.
configure_django({"DATABASE_URL": DB_URL, "SECRET_KEY": "bench", "ALLOWED_HOSTS": "testserver",
                  "SECURE_SSL_REDIRECT": "false", "CELERY_BROKER_URL": "",
                  "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-")})

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing_admin.core.models import User
from billing_admin.core.permissions import SUPPORT_GROUP, support_groups_sync
from invoicing.models import Invoice
from profiles.models import BillingAccount, BillingProfile


def fill(invoices: int, profiles: int = 1000) -> None:
    if Invoice.objects.count() >= invoices:
        return
    account = BillingAccount.objects.create(name="Bench B.V.", country="NL", sold_to_address="Bench 1")
    made = BillingProfile.objects.bulk_create([
        BillingProfile(account=account, name=f"Bench profile {n:04d}", currency="EUR", bill_to_address="Bench 1",
                       contact_name="Bench", contact_email=f"bench{n}@example.com", is_default=n == 0)
        for n in range(profiles)])
    per_profile = invoices // profiles
    batch = []
    sequence = 0
    for month in range(per_profile):
        start = date(2000, 1, 1) + timedelta(days=31 * month)
        start = start.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for profile in made:
            sequence += 1
            amount = Decimal(100 + sequence % 900)
            status = ("paid", "due", "past_due", "void")[sequence % 4]
            batch.append(Invoice(
                profile=profile, account=account, number=f"BA{account.pk}-{start.year}-{sequence:07d}",
                sequence=sequence, year=start.year, period_start=start, period_end=end,
                issue_date=end + timedelta(days=1), due_date=end + timedelta(days=31), currency="EUR",
                account_name=account.name,
                sold_to_address="Bench 1", profile_name=profile.name, bill_to_address="Bench 1",
                contact_email=profile.contact_email, po_number=f"PO-{sequence}", subtotal=amount, total=amount,
                amount_due=amount, status=status))
            if len(batch) == 5000:
                Invoice.objects.bulk_create(batch)
                batch = []
    Invoice.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client, url: str, params: dict, rounds: int = 7) -> tuple[float, int, bool]:
    times, queries, counted = [], 0, False
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
        counted = counted or any("COUNT(*)" in q["sql"] and 'FROM "invoicing_invoice"' in q["sql"]
                                 and "WHERE" not in q["sql"] for q in ctx.captured_queries)
    return statistics.median(times) * 1000, queries, counted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    ensure_database(DB_URL)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    fill(args.invoices)
    support_groups_sync()
    engineer, _ = User.objects.get_or_create(email="bench-support@example.com", defaults={"is_staff": True})
    engineer.groups.set([engineer.groups.model.objects.get(name=SUPPORT_GROUP)])
    client = Client()
    client.force_login(engineer)

    print(f"{Invoice.objects.count():,} invoices, "
          f"{Invoice.objects.values('profile').distinct().count():,} profiles")
    invoices = reverse("admin:invoicing_invoice_changelist")
    profiles = reverse("admin:profiles_billingprofile_changelist")
    number = Invoice.objects.order_by("pk").values_list("number", flat=True)[args.invoices // 2]
    print(f"{'page':48} {'median ms':>10} {'queries':>8}  whole-table COUNT(*)")
    for label, page, params in (
        ("profiles, first page", profiles, {}),
        ("invoices, first page", invoices, {}),
        ("invoices, page 500", invoices, {"p": "500"}),
        ("invoices, status = past due", invoices, {"status__exact": "past_due"}),
        ("invoices, past due filter", invoices, {"past_due": "yes"}),
        ("invoices, search by number", invoices, {"q": number}),
    ):
        ms, queries, counted = measure(client, page, params)
        print(f"{label:48} {ms:10.1f} {queries:8d}  {'yes' if counted else 'no'}")


if __name__ == "__main__":
    main()
