"""The fault suite, money: concurrent pays, a card pay racing a recorded transfer, concurrent credit
adjustments, all at once on PostgreSQL (threads released together by a barrier)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import grant
from invoicing.models import CreditLot, CreditTransaction, Invoice, Payment
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_adjust, credit_lot_add
from invoicing.services.invoices import billing_period, invoice_generate
from invoicing.services.payments import invoice_pay, payment_key_issue, payment_record_transfer
from profiles.models import Role
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.postgres


def race(n: int, action) -> list[tuple[str, object]]:
    """Run ``action(i)`` in ``n`` threads released at the same instant; each outcome is ("ok", value),
    ("refused", message) for a ValidationError, or ("error", repr) for anything else (a 500 in a view)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", action(i))
        except ValidationError as exc:
            results[i] = ("refused", " ".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a paying thread hung"
    return results


def issued_invoice(amount="100.00"):
    """A due invoice of a profile that pays by wire transfer (no automatic charge), with a card to pay by."""
    profile = BillingProfileFactory()
    WireTransferFactory(profile=profile, is_default=True)
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price=amount,
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    start, end = billing_period(date(2026, 11, 1))
    invoice, _ = invoice_generate(profile_id=profile.pk, period_start=start, period_end=end,
                                  issue_date=date(2026, 11, 1))
    card = payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                                   exp_year=2031, cvc="123", holder="Pat")
    manager = UserFactory()
    grant(manager, Role.INVOICE_MANAGER, profile)
    return invoice, card, manager


def test_twenty_concurrent_pays_with_one_key_and_with_twenty_keys_make_one_payment(pg_url, fault_summary):
    invoice, card, manager = issued_invoice()
    key = payment_key_issue(actor=manager, invoice=invoice)  # one pay form submitted 20 times at once
    same = race(20, lambda i: invoice_pay(actor=manager, invoice=invoice, payment_method=card, idempotency_key=key))
    other, card2, manager2 = issued_invoice()
    keys = [payment_key_issue(actor=manager2, invoice=other) for _ in range(20)]  # 20 tabs, 20 forms
    different = race(20, lambda i: invoice_pay(actor=manager2, invoice=other, payment_method=card2,
                                               idempotency_key=keys[i]))
    same_payments = Payment.objects.filter(invoice=invoice)
    diff_payments = Payment.objects.filter(invoice=other)
    fault_summary.line("concurrent pays", (
        f"20 at once with one key: {same_payments.filter(status='succeeded').count()} payment, "
        f"{sum(r[0] == 'ok' for r in same)} same answers, {sum(r[0] == 'error' for r in same)} errors; "
        f"20 with different keys: {diff_payments.filter(status='succeeded').count()} payment, "
        f"{sum(r[0] == 'refused' for r in different)} refused as already paid, "
        f"{sum(r[0] == 'error' for r in different)} errors"))
    assert [r for r in same + different if r[0] == "error"] == []
    # One key: every request gets the one payment back.
    assert same_payments.count() == 1 and same_payments.get().status == "succeeded"
    assert {r[1].pk for r in same} == {same_payments.get().pk}
    # Twenty keys: one pays, nineteen are told it is paid already.
    assert diff_payments.count() == 1 and diff_payments.get().status == "succeeded"
    assert sorted(r[0] for r in different) == ["ok"] + ["refused"] * 19
    assert all("already paid" in r[1] for r in different if r[0] == "refused"), different
    for inv in (invoice, other):
        inv.refresh_from_db()
        assert inv.status == Invoice.Status.PAID


def test_a_card_pay_racing_a_recorded_transfer_pays_once(pg_url, fault_summary):
    winners = {"card": 0, "transfer": 0}
    races = 6
    for _ in range(races):
        invoice, card, manager = issued_invoice()

        key = payment_key_issue(actor=manager, invoice=invoice)

        def act(i, invoice=invoice, card=card, manager=manager, key=key):
            if i == 0:
                return invoice_pay(actor=manager, invoice=invoice, payment_method=card, idempotency_key=key)
            return payment_record_transfer(actor=None, invoice=invoice, amount=invoice.amount_due,
                                           reference="NL-BANK-REF-1")

        results = race(2, act)
        assert [r for r in results if r[0] == "error"] == []
        payments = Payment.objects.filter(invoice=invoice, status="succeeded")
        assert payments.count() == 1, list(payments.values("method_label", "reference"))
        loser = results[1] if results[0][0] == "ok" else results[0]
        assert loser[0] == "refused" and "paid" in loser[1].lower(), results  # "already paid" / "is Paid"
        winners["card" if results[0][0] == "ok" else "transfer"] += 1
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID
    fault_summary.line("card pay vs transfer", f"{races} races: one payment each "
                       f"(card won {winners['card']}, transfer won {winners['transfer']}), 0 errors")


def test_concurrent_credit_adjustments_never_take_a_lot_below_zero(pg_url, fault_summary):
    profile = BillingProfileFactory()
    lot = credit_lot_add(actor=None, profile=profile, source="promotional", amount="100.00",
                         start_date=date(2026, 1, 1), expiration_date=date(2099, 12, 31))
    results = race(20, lambda i: credit_adjust(actor=None, lot=lot, amount="-7.00", reason=f"correction {i}"))
    lot.refresh_from_db()
    entries = CreditTransaction.objects.filter(profile=profile).order_by("pk")
    accepted = sum(r[0] == "ok" for r in results)
    fault_summary.line("concurrent credit adjustments", (
        f"20 × −7.00 at once on a 100.00 lot: {accepted} accepted, {sum(r[0] == 'refused' for r in results)} "
        f"refused, {sum(r[0] == 'error' for r in results)} errors; remaining {lot.remaining:.2f}, lowest balance "
        f"{min(e.balance_after for e in entries):.2f}"))
    assert [r for r in results if r[0] == "error"] == []
    assert accepted == 14 and lot.remaining == Decimal("2.00")
    assert all(e.balance_after >= 0 for e in entries)
    assert entries.last().balance_after == sum(CreditLot.objects.filter(profile=profile).values_list(
        "remaining", flat=True))
    assert all("only" in r[1] for r in results if r[0] == "refused")
