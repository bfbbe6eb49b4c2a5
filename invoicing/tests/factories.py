from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from invoicing.models import Charge
from profiles.tests.factories import BillingProfileFactory


class ChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Charge

    profile = factory.SubFactory(BillingProfileFactory)
    product = factory.Sequence(lambda n: f"SKU-{n:04d}")
    description = "Azure Virtual Machines D2s v5"
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    amount = factory.LazyAttribute(lambda o: o.quantity * o.unit_price)
    currency = factory.LazyAttribute(lambda o: o.profile.currency)
    service_period_start = date(2026, 10, 1)
    service_period_end = date(2026, 10, 31)
