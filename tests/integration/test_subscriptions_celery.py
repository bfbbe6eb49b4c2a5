"""Subscriptions through a real Celery worker on Redis: the daily task delivered twice charges the new
month once, and the invoice run that closes it bills the prorated first month and the full second."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conftest import grant
from invoicing.models import Invoice
from invoicing.tasks.billing import daily_billing_task
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, UserFactory
from purchases.models import Product, SubscriptionCharge
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.tasks import charge_subscriptions_task
from purchases.tests.factories import ProductFactory, priced
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_real_worker_charges_each_month_once_and_the_invoice_run_bills_it(celery_worker, smtp_sink):
    profile = BillingProfileFactory(invoice_day=1)
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    product = priced(ProductFactory(billing=Product.Billing.MONTHLY, name="Teams Premium"), EUR="7.99")
    subscription = purchase_make(actor=owner, product=product, quantity="3", profile=profile, today=date(2026, 11, 16),
                                 purchase_key=purchase_key_issue(user=owner)).subscription
    smtp_sink.start()
    celery_worker()
    for _ in range(2):  # delivered twice (a retried beat, two beats): one charge
        charge_subscriptions_task.delay("2026-12-01")
    wait_for(lambda: SubscriptionCharge.objects.filter(subscription=subscription).count() >= 2, timeout=60,
             what="December's charge")
    daily_billing_task.delay("2027-01-01")
    wait_for(lambda: Invoice.objects.filter(profile=profile).exists(), timeout=120, what="January's invoice")
    invoice = Invoice.objects.get(profile=profile)
    assert [line.amount for line in invoice.lines.order_by("position")] == [Decimal("11.99"), Decimal("23.97")]
    assert SubscriptionCharge.objects.filter(subscription=subscription).count() == 2
