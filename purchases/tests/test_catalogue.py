"""Support manages the catalogue in the Django admin; every save goes through the audited services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from billing_admin.core.models import ActivityEvent
from conftest import grant, support_engineer
from profiles.tests.factories import UserFactory
from purchases.models import Product
from purchases.services.catalogue import price_set, product_create, product_update
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db


@pytest.fixture
def support():
    return support_engineer()


def admin_post(client, url, product: dict, prices: list[tuple[str, str]], initial=0, ids=()):
    data = {**product, "prices-TOTAL_FORMS": str(len(prices)), "prices-INITIAL_FORMS": str(initial),
            "prices-MIN_NUM_FORMS": "0", "prices-MAX_NUM_FORMS": "1000"}
    for i, (currency, amount) in enumerate(prices):
        data[f"prices-{i}-currency"], data[f"prices-{i}-unit_price"] = currency, amount
        if i < len(ids):
            data[f"prices-{i}-id"] = ids[i]
    return client.post(url, data)


PRODUCT = {"sku": "PROJ-P3", "name": "Project Plan 3", "description": "Project management", "unit_name": "user",
           "unit": "whole", "billing": "monthly", "max_quantity": "500", "is_active": "on"}


def test_support_adds_a_product_with_prices_through_the_services(client, support):
    client.force_login(support)
    response = admin_post(client, reverse("admin:purchases_product_add"), PRODUCT,
                          [("EUR", "28.10"), ("JPY", "4350"), ("KWD", "9.125")])
    assert response.status_code == 302, response.content[:2000]
    product = Product.objects.get(sku="PROJ-P3")
    assert dict(product.prices.values_list("currency", "unit_price")) == {
        "EUR": Decimal("28.10"), "JPY": Decimal("4350"), "KWD": Decimal("9.125")}
    events = ActivityEvent.objects.filter(actor=support).values_list("verb", flat=True)
    assert sorted(events) == ["product.created", "product.price_set", "product.price_set", "product.price_set"]


def test_a_price_finer_than_the_currency_is_refused_and_the_whole_save_rolled_back(client, support):
    product = priced(ProductFactory(name="Old name"), EUR="10.00")
    client.force_login(support)
    price = product.prices.get()
    url = reverse("admin:purchases_product_change", args=[product.pk])
    data = {k: getattr(product, k) for k in ("sku", "description", "unit_name", "unit", "billing")}
    response = admin_post(client, url, {**data, "name": "New name", "max_quantity": "10000", "is_active": "on"},
                          [("EUR", "11.00"), ("JPY", "12.5")], initial=1, ids=[price.pk])
    assert response.status_code == 200 and "JPY prices have at most 0 decimals" in response.text
    product.refresh_from_db()
    assert product.name == "Old name" and dict(product.prices.values_list("currency", "unit_price")) == {
        "EUR": Decimal("10.00")}


def test_read_only_support_cannot_add_products(client):
    client.force_login(support_engineer(read_only=True))
    assert client.get(reverse("admin:purchases_product_changelist")).status_code == 200
    response = admin_post(client, reverse("admin:purchases_product_add"), PRODUCT, [("EUR", "1.00")])
    assert response.status_code == 403 and not Product.objects.exists()
    with pytest.raises(PermissionDenied):
        product_create(actor=support_engineer(read_only=True), sku="X-2", name="X", unit_name="unit")


@pytest.mark.parametrize(("currency", "amount", "message"), [
    ("XYZ", "1", "not a known currency"), ("EUR", "-1", "zero or more"), ("KWD", "1.0005", "at most 3 decimals"),
    ("EUR", "abc", "Enter a price")])
def test_price_set_refuses_bad_prices(support, currency, amount, message):
    product = ProductFactory()
    with pytest.raises(ValidationError, match=message):
        price_set(actor=support, product=product, currency=currency, unit_price=amount)
    assert not product.prices.exists()


def test_only_support_with_the_permission_manages_the_catalogue():
    plain_staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        product_create(actor=plain_staff, sku="X-1", name="X", unit_name="unit")
    customer = UserFactory()
    with pytest.raises(PermissionDenied):
        price_set(actor=customer, product=ProductFactory(), currency="EUR", unit_price="1")


def test_billing_and_units_of_a_sold_product_stay_fixed(support, profile):
    product = priced(ProductFactory(), EUR="3.00")
    owner = UserFactory()
    grant(owner, "owner", profile)
    purchase_make(actor=owner, product=product, quantity="1", profile=profile,
                  purchase_key=purchase_key_issue(user=owner))
    with pytest.raises(ValidationError, match="cannot change once the product was sold"):
        product_update(actor=support, product=product, billing=Product.Billing.MONTHLY)
    product_update(actor=support, product=product, name="Renamed", is_active=False)
    product.refresh_from_db()
    assert (product.name, product.is_active, product.billing) == ("Renamed", False, "one_time")
