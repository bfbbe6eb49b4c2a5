"""Benchmark: server time of every portal page and tab against the Django admin's profile changelist.

Builds its data set in a PostgreSQL database of its own (dropped and created by this script):
10,000 profiles in one account, 100,000 invoices, a reader with 500 profile grants, one profile
with 300 credit lots and their ledger. Then requests every page in-process through Django's test
Client with production settings (DEBUG off, collected static files), in interleaved rounds so that
the noise of a shared machine falls on every page alike, and prints per page: median and p95
server time, queries, bytes, and p95 as a ratio to the admin changelist's p95 in the same run.

    .venv/bin/python bench/pages.py [--requests 40] [--keep]
    (env: BENCH_PAGES_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_pages)

Django is pointed at the bench's own database at the top of the module (``common.configure_django``),
before the project's modules are imported: settings are read once, at setup.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

from common import INVOICES_PER_PROFILE, configure_django, insert_invoices, recreate_database

DB_URL = os.environ.get("BENCH_PAGES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_pages")
configure_django({
    "SECRET_KEY": "bench-" + uuid.uuid4().hex, "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false", "DATABASE_URL": DB_URL, "CELERY_BROKER_URL": "",
    "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"), "LOG_LEVEL": "ERROR", "AXES_ENABLED": "false",
})

from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing_admin.core.models import User
from invoicing.models import CreditLot, CreditTransaction, Invoice
from profiles.models import (
    BillingAccount,
    BillingAccountUserObjectPermission,
    BillingProfile,
    BillingProfileUserObjectPermission,
    InvoiceRecipient,
    PaymentMethod,
    Role,
    RoleAssignment,
)
from profiles.permissions import perms_for_role

PROFILES, READER_GRANTS, LOTS = 10_000, 500, 300


def build_data() -> dict:
    """The data set, in bulk. Returns the users and objects the pages are requested with."""
    password = "bench-pass-2026"
    admin = User.objects.create_superuser(email="support@bench.example", password=password)
    owner = User.objects.create_user(email="owner@bench.example", password=password)
    reader = User.objects.create_user(email="reader@bench.example", password=password)
    others = User.objects.bulk_create([User(email=f"person{i}@bench.example")
                                       for i in range(20)])
    account = BillingAccount.objects.create(name="Bench B.V.", country="NL", sold_to_address="Bench 1\nAmsterdam",
                                            tax_id="NL000099998B57", tax_rate=21)
    profiles = BillingProfile.objects.bulk_create([
        BillingProfile(account=account, name=f"Dept {i:05d}", currency="EUR", bill_to_address=f"Street {i}\nCity",
                       contact_name=f"Finance {i}", contact_email=f"finance{i}@bench.example",
                       po_number=f"PO-{i:05d}", is_default=(i == 0), invoice_day=1 + i % 28)
        for i in range(PROFILES)], batch_size=2000)
    heavy = profiles[0]
    PaymentMethod.objects.bulk_create(
        [PaymentMethod(profile=p, kind="bank_account", is_default=True, bank_holder=p.name,
                       iban_masked=f"NL**{p.pk % 10000:04d}", bic="ABNANL2A") for p in profiles]
        + [PaymentMethod(profile=heavy, kind="card", card_brand="Visa", card_last4=f"{4000 + i}", card_exp_month=12,
                         card_exp_year=2030, card_holder="Finance", gateway_token=f"tok_{i}") for i in range(5)],
        batch_size=5000)
    InvoiceRecipient.objects.bulk_create([InvoiceRecipient(profile=heavy, email=f"ap{i}@bench.example")
                                          for i in range(3)])
    insert_invoices(account)
    heavy_invoices = list(Invoice.objects.filter(profile=heavy).order_by("sequence"))
    today = date.today()
    lots = CreditLot.objects.bulk_create([
        CreditLot(profile=heavy, source=["promotional", "prepayment", "goodwill"][i % 3],
                  original_amount=Decimal(100 + i), remaining=Decimal(100 + i) if i % 2 else Decimal(50),
                  currency="EUR", start_date=today - timedelta(days=400 - i),
                  expiration_date=today + timedelta(days=i + 1), reference=f"LOT-{i:03d}")
        for i in range(LOTS)])
    ledger, balance = [], Decimal(0)
    for i, lot in enumerate(lots):
        balance += lot.original_amount
        ledger.append(CreditTransaction(profile=heavy, lot=lot, kind="credit_added", amount=lot.original_amount,
                                        balance_after=balance, description=""))
        if i % 2 == 0:
            spent = lot.original_amount - lot.remaining
            balance -= spent
            ledger.append(CreditTransaction(profile=heavy, lot=lot, kind="applied_to_invoice", amount=-spent,
                                            balance_after=balance, invoice=heavy_invoices[i % len(heavy_invoices)]))
    CreditTransaction.objects.bulk_create(ledger)

    def perm(codename, model):
        return Permission.objects.get(codename=codename, content_type__model=model)

    RoleAssignment.objects.create(user=owner, account=account, role=Role.ACCOUNT_OWNER)
    BillingAccountUserObjectPermission.objects.bulk_create([
        BillingAccountUserObjectPermission(user=owner, content_object=account, permission=perm(c, "billingaccount"))
        for c in perms_for_role(Role.ACCOUNT_OWNER)])
    granted = profiles[:READER_GRANTS]
    view = perm("view_billingprofile", "billingprofile")
    RoleAssignment.objects.bulk_create([RoleAssignment(user=reader, profile=p, role=Role.READER) for p in granted])
    BillingProfileUserObjectPermission.objects.bulk_create([
        BillingProfileUserObjectPermission(user=reader, content_object=p, permission=view) for p in granted])
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, profile=heavy, role=Role.CONTRIBUTOR, granted_by=owner)
                                        for u in others])
    with connection.cursor() as cur:
        # What autovacuum does after a bulk load: statistics for the planner, and the visibility map that lets
        # PostgreSQL answer from an index alone (the account page's sums of unpaid invoices).
        cur.execute("VACUUM ANALYZE")
    return {"admin": admin, "owner": owner, "reader": reader, "heavy": heavy, "account": account,
            "due_invoice": heavy_invoices[-1], "last_page": -(-PROFILES // 25),
            "reader_last_page": -(-READER_GRANTS // 25)}


def pages(d: dict) -> list[tuple[str, str, str, bool]]:
    """(label, user key, URL, htmx) of every page measured; the admin changelist first."""
    p = d["heavy"].pk
    lst = reverse("profiles:profile-list")
    tabs = [("overview", "profiles:profile-overview"), ("permissions", "profiles:profile-permissions"),
            ("credit balance", "invoicing:profile-credit-balance"), ("credits", "invoicing:profile-credits"),
            ("invoices", "invoicing:profile-invoices"), ("payment methods", "profiles:profile-payment-methods"),
            ("subscriptions", "purchases:profile-subscriptions"), ("activity", "profiles:profile-activity")]
    rows = [
        ("admin: profile changelist", "admin", reverse("admin:profiles_billingprofile_changelist"), False),
        ("admin: invoice changelist", "admin", reverse("admin:invoicing_invoice_changelist"), False),
        ("list: first page", "owner", lst, False),
        ("list: first page (htmx)", "owner", lst, True),
        ("list: search", "owner", lst + "?q=Dept+0042", False),
        ("list: search (htmx)", "owner", lst + "?q=Dept+0042", True),
        ("list: account filter", "owner", f"{lst}?account={d['account'].pk}", False),
        ("list: page 200", "owner", f"{lst}?page=200", False),
        ("list: last page", "owner", f"{lst}?page={d['last_page']}", False),
        ("list: last page (htmx)", "owner", f"{lst}?page={d['last_page']}", True),
        ("reader list: first page", "reader", lst, False),
        ("reader list: last page", "reader", f"{lst}?page={d['reader_last_page']}", False),
    ]
    for label, name in tabs:
        url = reverse(name, args=[p])
        rows += [(f"tab: {label}", "owner", url, False), (f"tab: {label} (htmx)", "owner", url, True)]
    rows += [
        ("tab: credit balance, page 5", "owner", reverse("invoicing:profile-credit-balance", args=[p]) + "?page=5",
         False),
        ("reader tab: overview", "reader", reverse("profiles:profile-overview", args=[p]), False),
        ("edit details form (htmx)", "owner", reverse("profiles:profile-edit-details", args=[p]), True),
        ("edit PO number form (htmx)", "owner", reverse("profiles:profile-edit-po", args=[p]), True),
        ("create profile", "owner", reverse("profiles:profile-create"), False),
        ("disable profile", "owner", reverse("profiles:profile-disable", args=[p]), False),
        ("pay invoice", "owner", reverse("invoicing:invoice-pay", args=[p, d["due_invoice"].pk]), False),
        ("invoice page", "owner", reverse("invoicing:invoice-detail", args=[p, d["due_invoice"].pk]), False),
        ("account page (10,000 profiles)", "owner", reverse("profiles:account-overview", args=[d["account"].pk]),
         False),
        ("account activity", "owner", reverse("profiles:account-activity", args=[d["account"].pk]), False),
        ("buy (catalogue, for the profile)", "owner", reverse("purchases:purchase") + f"?target=profile-{p}", False),
        ("help", "reader", reverse("help"), False),
        ("permissions CSV", "owner", reverse("profiles:role-csv", args=[p]), False),
        ("credit transactions CSV", "owner", reverse("invoicing:credit-transactions-csv", args=[p]), False),
    ]
    return rows


def measure(rows, clients, requests: int) -> dict[str, dict]:
    results = {label: {"times": []} for label, *_ in rows}
    headers = {"HTTP_HX_REQUEST": "true"}
    for label, who, url, htmx in rows:  # warm up; count queries and bytes once
        client = clients[who]
        for _ in range(2):
            response = client.get(url, **(headers if htmx else {}))
        if response.status_code != 200:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **(headers if htmx else {}))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        results[label].update(queries=len(queries), bytes=len(body))
    for _ in range(requests):  # interleaved rounds: a burst of load elsewhere hits every page alike
        for label, who, url, htmx in rows:
            client = clients[who]
            t0 = time.perf_counter()
            response = client.get(url, **(headers if htmx else {}))
            if response.streaming:
                b"".join(response.streaming_content)
            results[label]["times"].append(time.perf_counter() - t0)
    for r in results.values():
        times = sorted(r["times"])
        r["median"] = statistics.median(times) * 1000
        r["p95"] = statistics.quantiles(times, n=20, method="inclusive")[18] * 1000
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per page (default 40)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    recreate_database(DB_URL)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = build_data()
    print(f"data set: {PROFILES:,} profiles in one account, {PROFILES * INVOICES_PER_PROFILE:,} invoices, "
          f"a reader with {READER_GRANTS} grants, a profile with {LOTS} credit lots; "
          f"built in {time.perf_counter() - t0:.1f} s")
    clients = {}
    for who in ("admin", "owner", "reader"):
        clients[who] = Client()
        clients[who].force_login(data[who])
    rows = pages(data)
    try:
        results = measure(rows, clients, args.requests)
    finally:
        if not args.keep:
            connections.close_all()
            recreate_database(DB_URL, drop_only=True)
    base = results[rows[0][0]]["p95"]
    print(f"{args.requests} requests per page, interleaved; server time in-process (Django test Client), "
          f"DEBUG off, PostgreSQL")
    print(f"{'page':36} {'median ms':>9} {'p95 ms':>8} {'queries':>7} {'bytes':>9} {'p95/admin':>9}")
    for label, *_ in rows:
        r = results[label]
        print(f"{label:36} {r['median']:9.1f} {r['p95']:8.1f} {r['queries']:7d} {r['bytes']:9,d} "
              f"{r['p95'] / base:9.2f}")
    worst = max((r["p95"] / base, label) for label, r in results.items() if not label.startswith("admin"))
    print(f"slowest portal page: {worst[1]} at {worst[0]:.2f}x the admin profile changelist's p95")


if __name__ == "__main__":
    main()
