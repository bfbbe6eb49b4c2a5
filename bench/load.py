"""Load test: 50 signed-in people for 60 s against gunicorn on loopback (locust, headless).

Builds its own PostgreSQL database (1,000 profiles in one account; 50 people who may read every
profile of the account and edit their own, which has 12 invoices with a PDF, 5 credit lots and a
ledger), starts gunicorn as production would (gunicorn.conf.py, DEBUG off, collected static files,
WhiteNoise), and runs bench/locustfile.py: sign in, one inline edit, then list pages, tabs, htmx
fragments and PDF downloads. Prints requests/s, p50/p95/p99 and errors per request and in total.

    make install-bench && .venv/bin/python bench/load.py [--users 50] [--seconds 60]
    (env: BENCH_LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_load)

Django is pointed at the bench's own database at the top of the module (``common.configure_django``),
before the project's modules are imported: settings are read once, at setup. gunicorn gets the same
environment.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from common import INVOICES_PER_PROFILE, ROOT, configure_django, free_port, insert_invoices, recreate_database

DB_URL = os.environ.get("BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load")
WORK = Path(tempfile.mkdtemp(prefix="bench-load-"))
PORT = free_port()
configure_django({
    "SECRET_KEY": "bench-" + uuid.uuid4().hex, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false", "DATABASE_URL": DB_URL, "CELERY_BROKER_URL": "", "AXES_ENABLED": "false",
    "STATIC_ROOT": str(WORK / "static"), "MEDIA_ROOT": str(WORK / "media"), "LOG_LEVEL": "WARNING",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_ACCESS_LOG": "", "CONN_MAX_AGE": "60"})

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connections

from billing_admin.core.models import User
from invoicing.models import CreditLot, CreditTransaction, Invoice
from invoicing.services.pdf import invoice_html, render_pdf_bytes
from profiles.models import (
    BillingAccount,
    BillingAccountUserObjectPermission,
    BillingProfile,
    BillingProfileUserObjectPermission,
    PaymentMethod,
    Role,
    RoleAssignment,
)
from profiles.permissions import perms_for_role

PROFILES, PEOPLE = 1_000, 50


def build_data(people: int) -> tuple[list[int], dict[int, int]]:
    account = BillingAccount.objects.create(name="Load B.V.", country="NL", sold_to_address="Load 1\nAmsterdam",
                                            tax_rate=21)
    profiles = BillingProfile.objects.bulk_create([
        BillingProfile(account=account, name=f"Dept {i:03d}", currency="EUR", bill_to_address=f"Street {i}\nCity",
                       contact_name=f"Finance {i}", contact_email=f"finance{i}@bench.example",
                       po_number=f"PO-{i:05d}", is_default=(i == 0)) for i in range(PROFILES)])
    PaymentMethod.objects.bulk_create([PaymentMethod(profile=p, kind="bank_account", is_default=True,
                                                     bank_holder=p.name, iban_masked=f"NL**{p.pk % 10000:04d}")
                                       for p in profiles])
    insert_invoices(account)
    password = make_password("bench-pass-2026")
    users = User.objects.bulk_create([User(email=f"person{i}@bench.example", password=password)
                                      for i in range(people)])
    own = profiles[:people]

    def perm(codename, model):
        return Permission.objects.get(codename=codename, content_type__model=model)

    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, account=account, role=Role.ACCOUNT_READER) for u in users]
        + [RoleAssignment(user=u, profile=p, role=Role.CONTRIBUTOR) for u, p in zip(users, own, strict=True)])
    BillingAccountUserObjectPermission.objects.bulk_create([
        BillingAccountUserObjectPermission(user=u, content_object=account, permission=perm(c, "billingaccount"))
        for u in users for c in perms_for_role(Role.ACCOUNT_READER)])
    BillingProfileUserObjectPermission.objects.bulk_create([
        BillingProfileUserObjectPermission(user=u, content_object=p, permission=perm(c, "billingprofile"))
        for u, p in zip(users, own, strict=True) for c in perms_for_role(Role.CONTRIBUTOR)])
    today = date.today()
    for p in own:
        lots = CreditLot.objects.bulk_create([
            CreditLot(profile=p, source="prepayment", original_amount=Decimal(100), remaining=Decimal(100),
                      currency="EUR", start_date=today - timedelta(days=30),
                      expiration_date=today + timedelta(days=90 + i),
                      reference=f"LOT-{i}") for i in range(5)])
        CreditTransaction.objects.bulk_create([
            CreditTransaction(profile=p, lot=lot, kind="credit_added", amount=lot.original_amount,
                              balance_after=Decimal(100 * (i + 1))) for i, lot in enumerate(lots)])
    # One real PDF, stored for the latest invoice of each person's profile (downloads read the stored file).
    latest = {inv.profile_id: inv for inv in Invoice.objects.filter(profile__in=own, sequence=INVOICES_PER_PROFILE)}
    pdf = render_pdf_bytes(invoice_html(next(iter(latest.values()))))
    for invoice in latest.values():
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(pdf), save=True)
    return [p.pk for p in own], {pid: inv.pk for pid, inv in latest.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=PEOPLE)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    args = parser.parse_args()
    recreate_database(DB_URL)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    own, invoices = build_data(args.users)
    print(f"data set: {PROFILES:,} profiles, {args.users} people, built in {time.perf_counter() - t0:.1f} s")

    connections.close_all()

    log = open(WORK / "gunicorn.log", "wb")  # noqa: SIM115
    server_env = {**os.environ, "WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
                              cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        locust_env = {**os.environ, "BENCH_PROFILES": ",".join(map(str, own)),
                      "BENCH_INVOICES": ",".join(f"{k}:{v}" for k, v in invoices.items())}
        subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                        "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.seconds}s",
                        "--host", f"http://127.0.0.1:{PORT}", "--csv", str(WORK / "locust"), "--only-summary",
                        "--loglevel", "WARNING"], env=locust_env, check=False, stdout=subprocess.DEVNULL)
    finally:
        server.terminate()
        server.wait(timeout=60)
        recreate_database(DB_URL, drop_only=True)

    with open(WORK / "locust_stats.csv") as f:
        rows = list(csv.DictReader(f))
    print(f"{args.users} signed-in sessions for {args.seconds} s against gunicorn ({args.workers} workers x "
          f"{args.threads} threads) on loopback, DEBUG off, PostgreSQL; locust on the same machine")
    print(f"{'request':32} {'count':>6} {'errors':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in rows:
        print(f"{row['Name'][:32]:32} {row['Request Count']:>6} {row['Failure Count']:>6} "
              f"{float(row['Requests/s']):6.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}")
    failures = (WORK / "locust_failures.csv").read_text().strip().splitlines()[1:]
    for line in failures[:10]:
        print("failure:", line)


if __name__ == "__main__":
    main()
