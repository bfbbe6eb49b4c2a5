"""What the benchmarks share: their own PostgreSQL databases, a free port, and Django pointed at them.

A benchmark script calls ``configure_django`` at the top of its module, before it imports anything of the
project: Django reads its settings (the bench's own database, broker, mail sink, static and media
directories) once, at setup, and a model cannot be imported before that. The script's project imports
follow the call, at module level (``E402`` is allowed under ``bench/`` for this).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import django
import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

INVOICES_PER_PROFILE = 10


def configure_django(env: dict[str, str]) -> None:
    """Production settings (``DEBUG`` off) with ``env`` on top, then ``django.setup()``."""
    os.environ.update({"DJANGO_SETTINGS_MODULE": "billing_admin.settings", "DEBUG": "false", **env})
    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(url: str) -> tuple[str, str]:
    """(the maintenance database's URL on the same server, the database's name)."""
    return url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]


def ensure_database(url: str) -> None:
    """Create the database if it does not exist (its data is kept between runs)."""
    admin, name = _server(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    """Drop the database (closing its connections) and, unless ``drop_only``, create it empty."""
    admin, name = _server(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def insert_invoices(account) -> None:
    """Ten monthly invoices per profile of the account (the last one due), in one INSERT ... SELECT."""
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO invoicing_invoice (created, updated, number, sequence, year, period_start, period_end,
                issue_date, due_date, currency, language, account_name, sold_to_address, tax_id, profile_name,
                bill_to_address, contact_name, contact_email, po_number, payment_instructions, subtotal,
                credits_applied, tax_rate, tax, total, amount_due, status, paid_at, void_reason, pdf, pdf_sha256,
                email_status, email_attempts, email_last_error, email_recipients, payment_means, profile_id,
                account_id)
            SELECT now(), now(), 'BA' || p.account_id || '-' || p.id || '-' || s, s, 2026, ps, ps + 30, ps + 31,
                ps + 61, 'EUR', 'en', 'Bench B.V.', 'Bench 1', '', p.name, p.bill_to_address, p.contact_name,
                p.contact_email, p.po_number, '', st, 0, 21, round(st * 0.21, 2), st + round(st * 0.21, 2),
                st + round(st * 0.21, 2), CASE WHEN s = %(n)s THEN 'due' ELSE 'paid' END,
                CASE WHEN s = %(n)s THEN NULL ELSE now() END, '', '', '', 'sent', 1, '', '[]'::jsonb, 'transfer',
                p.id, p.account_id
            FROM profiles_billingprofile p,
                 generate_series(1, %(n)s) s,
                 LATERAL (SELECT (date '2025-12-01' + (s * 31)) AS ps,
                                 (100 + (p.id * 7 + s * 13) %% 900)::numeric AS st) x
            WHERE p.account_id = %(account)s
        """, {"n": INVOICES_PER_PROFILE, "account": account.pk})
