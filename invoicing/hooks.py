"""What higher layers add to the invoice run and the demo data, registered from their ``AppConfig.ready()``.

``register_before_invoice(fn)``: ``fn(profile_ids=[...], period_end=...)`` runs inside the transaction
that issues those profiles' invoices (``invoices_generate``: their rows locked), before their uninvoiced
charges are gathered; it may add charges whose service period ends by ``period_end`` (e.g. the
monthly charges of subscriptions). It must be idempotent: a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

BeforeInvoice = Callable[..., None]
_before_invoice: list[BeforeInvoice] = []


def register_before_invoice(fn: BeforeInvoice) -> BeforeInvoice:
    if fn not in _before_invoice:
        _before_invoice.append(fn)
    return fn


def run_before_invoice(*, profile_ids: list[int], period_end: date) -> None:
    for fn in list(_before_invoice):
        fn(profile_ids=profile_ids, period_end=period_end)


# ``fn(users=...)``: seed_demo calls it after its own data (``users``: the demo users by e-mail name).
DemoSeeder = Callable[..., None]
_demo_seeders: list[DemoSeeder] = []


def register_demo_seeder(fn: DemoSeeder) -> DemoSeeder:
    if fn not in _demo_seeders:
        _demo_seeders.append(fn)
    return fn


def run_demo_seeders(*, users: dict) -> None:
    for fn in list(_demo_seeders):
        fn(users=users)
