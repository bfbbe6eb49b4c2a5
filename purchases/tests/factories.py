from __future__ import annotations

from decimal import Decimal

import factory

from purchases.models import Price, Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_name = "licence"
    unit = Product.Unit.WHOLE
    billing = Product.Billing.ONE_TIME


def priced(product: Product, **prices) -> Product:
    """priced(product, EUR="10.00", JPY="1500")"""
    for currency, amount in prices.items():
        Price.objects.create(product=product, currency=currency, unit_price=Decimal(amount))
    return product
