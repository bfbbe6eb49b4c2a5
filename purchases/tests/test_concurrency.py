"""On PostgreSQL, with real concurrent transactions: first purchases racing on an account make one
default profile, and one key submitted twice at the same moment buys once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from conftest import grant, require_postgres
from invoicing.models import Charge
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory
from purchases.models import Purchase
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls):
    """Run the calls in threads released together; returns what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_first_purchases_create_exactly_one_default_profile():
    require_postgres()
    account = BillingAccountFactory()
    product = priced(ProductFactory(), EUR="10.00")
    buyers = [UserFactory() for _ in range(4)]
    for buyer in buyers:
        grant(buyer, Role.ACCOUNT_OWNER if buyer is buyers[0] else Role.ACCOUNT_CONTRIBUTOR, account)
    keys = [purchase_key_issue(user=b) for b in buyers]
    results = race([
        (lambda b=b, k=k: purchase_make(actor=b, product=product, quantity="1", purchase_key=k, account=account))
        for b, k in zip(buyers, keys, strict=True)])
    assert all(isinstance(r, Purchase) for r in results), results
    profiles = BillingProfile.objects.filter(account=account)
    assert profiles.count() == 1 and profiles.get().is_default
    assert Purchase.objects.filter(created_profile=True).count() == 1
    assert Charge.objects.filter(profile=profiles.get()).count() == 4


def test_one_key_submitted_twice_at_once_buys_once():
    require_postgres()
    profile = BillingProfileFactory()
    buyer = UserFactory()
    grant(buyer, Role.OWNER, profile)
    product = priced(ProductFactory(), EUR="10.00")
    key = purchase_key_issue(user=buyer)
    results = race([lambda: purchase_make(actor=buyer, product=product, quantity="2", purchase_key=key,
                                          profile=profile)] * 2)
    assert all(isinstance(r, Purchase) for r in results), results
    assert results[0].pk == results[1].pk
    assert Charge.objects.filter(profile=profile).count() == 1
