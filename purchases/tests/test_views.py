"""The purchase page and the Subscriptions tab over HTTP, plain and htmx."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.models import Charge
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, CardFactory, UserFactory
from purchases.models import Product, Purchase, Subscription
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop(profile):
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    CardFactory(profile=profile, is_default=True)
    licence = priced(ProductFactory(name="Visio Plan 2", sku="VISIO-2", unit_name="user"), EUR="15.00", USD="16.00")
    monthly = priced(ProductFactory(name="Teams Premium", sku="TEAMS-P", billing=Product.Billing.MONTHLY,
                                    unit_name="user"), EUR="7.99")
    return dict(profile=profile, owner=owner, licence=licence, monthly=monthly)


def key_in(page: str) -> str:
    return re.search(r'name="purchase_key" value="([^"]+)"', page).group(1)


def test_the_page_shows_price_tax_currency_and_the_payment_method_before_buying(client, shop):
    client.force_login(shop["owner"])
    page = client.get(reverse("purchases:purchase"), {"product": shop["licence"].pk, "quantity": "4",
                                                      "target": f"profile-{shop['profile'].pk}"}, **HX)
    text = page.text
    assert page.status_code == 200 and '<div id="purchase">' in text and "<html" not in text  # the fragment
    assert "€60.00" in text and "Tax (21%)" in text and "€12.60" in text and "€72.60" in text
    assert "Visa •••• 4242" in text and 'id="quote-currency">EUR<' in text
    assert f'action="/billing/profiles/{shop["profile"].pk}/purchase/"' in text
    assert Purchase.objects.count() == 0  # showing the price buys nothing


def test_confirming_twice_buys_once_and_shows_the_purchase(client, shop):
    client.force_login(shop["owner"])
    page = client.get(reverse("purchases:purchase"), {"product": shop["licence"].pk, "quantity": "4",
                                                      "target": f"profile-{shop['profile'].pk}"}).text
    url = reverse("purchases:profile-purchase", args=[shop["profile"].pk])
    data = {"product": shop["licence"].pk, "quantity": "4", "purchase_key": key_in(page)}
    first = client.post(url, data)
    second = client.post(url, data, **HX)  # the double click
    tab = reverse("purchases:profile-subscriptions", args=[shop["profile"].pk])
    assert first.status_code == 302 and first.url == tab
    assert second.status_code == 200 and second.headers["HX-Redirect"] == tab
    assert Purchase.objects.count() == 1 and Charge.objects.get().amount == Decimal("60.00")
    shown = client.get(tab).text
    assert "You bought 4 × Visio Plan 2 on" in shown and "€60.00" in shown


@pytest.mark.parametrize(("quantity", "message"), [
    ("0", "greater than zero"), ("-2", "greater than zero"), ("1.5", "whole number"),
    ("123456789012345678901", "far too large"), ("20000", "At most 10,000"), ("lots", "Enter a quantity")])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_quantities_re_render_the_form_with_the_reason_and_buy_nothing(client, shop, quantity, message, htmx):
    client.force_login(shop["owner"])
    url = reverse("purchases:profile-purchase", args=[shop["profile"].pk])
    response = client.post(url, {"product": shop["licence"].pk, "quantity": quantity,
                                 "purchase_key": purchase_key_issue(user=shop["owner"])}, **(HX if htmx else {}))
    assert response.status_code == 200 and message in response.text
    assert Purchase.objects.count() == 0 and Charge.objects.count() == 0


def test_a_product_without_a_price_in_the_profiles_currency_is_refused_on_the_page(client, shop):
    yen_only = priced(ProductFactory(name="Tokyo Support"), JPY="5000")
    client.force_login(shop["owner"])
    page = client.get(reverse("purchases:purchase"), {"product": yen_only.pk, "quantity": "1",
                                                      "target": f"profile-{shop['profile'].pk}"})
    assert "Tokyo Support has no price in EUR" in page.text and "Buy now" not in page.text


def test_a_disabled_profile_is_not_offered_and_a_post_to_it_is_refused(client, shop):
    profile = shop["profile"]
    BillingProfile.objects.filter(pk=profile.pk).update(status="disabled")
    client.force_login(shop["owner"])
    response = client.post(reverse("purchases:profile-purchase", args=[profile.pk]), {
        "product": shop["licence"].pk, "quantity": "1", "purchase_key": purchase_key_issue(user=shop["owner"])})
    assert response.status_code == 200 and "is disabled: it takes no new purchases" in response.text
    assert Purchase.objects.count() == 0
    assert client.get(reverse("purchases:purchase")).status_code == 403  # nothing left to buy on


def test_who_may_only_read_gets_403_on_the_page_and_no_buy_button(client, shop):
    reader = UserFactory()
    grant(reader, Role.READER, shop["profile"])
    client.force_login(reader)
    assert client.get(reverse("purchases:purchase")).status_code == 403
    tab = client.get(reverse("purchases:profile-subscriptions", args=[shop["profile"].pk])).text
    assert "Buy on this profile" not in tab
    assert ">Buy<" not in client.get(reverse("profiles:profile-list")).text


def test_the_first_purchase_page_says_it_creates_the_default_profile(client):
    account = BillingAccountFactory(name="Northwind Traders", country="KW", tax_rate=0)
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    product = priced(ProductFactory(name="Defender"), KWD="4.125")
    client.force_login(owner)
    page = client.get(reverse("purchases:purchase"), {"product": product.pk, "quantity": "2",
                                                      "target": f"account-{account.pk}"}).text
    assert "Northwind Traders has no billing profile yet" in page and "KWD" in page and "8.250" in page
    response = client.post(reverse("purchases:account-purchase", args=[account.pk]), {
        "product": product.pk, "quantity": "2", "purchase_key": key_in(page)}, follow=True)
    profile = BillingProfile.objects.get(account=account)
    assert response.redirect_chain[-1][0] == reverse("purchases:profile-subscriptions", args=[profile.pk])
    assert "it created the default billing profile" in response.text
    assert Charge.objects.get(profile=profile).amount == Decimal("8.250")


def test_the_tab_lists_subscriptions_and_owners_change_the_quantity_or_cancel(client, shop):
    profile, owner = shop["profile"], shop["owner"]
    bought = purchase_make(actor=owner, product=shop["monthly"], quantity="3", profile=profile,
                           purchase_key=purchase_key_issue(user=owner), today=date(2026, 11, 16))
    subscription = bought.subscription
    client.force_login(owner)
    url = reverse("purchases:profile-subscriptions", args=[profile.pk])
    tab = client.get(url, **HX)
    assert "Teams Premium" in tab.text and "€23.97" in tab.text and "Dec 1, 2026" in tab.text  # 3 × 7.99
    assert "<html" not in tab.text  # the fragment only
    change = reverse("purchases:subscription-quantity", args=[profile.pk, subscription.pk])
    refused = client.post(change, {"quantity": "0"}, **HX)
    assert refused.status_code == 200 and "greater than zero" in refused.text
    done = client.post(change, {"quantity": "5"}, **HX)
    assert done.status_code == 200 and "Teams Premium: 5 from the charge of" in done.text
    assert Subscription.objects.get(pk=subscription.pk).quantity == 5
    cancel = reverse("purchases:subscription-cancel", args=[profile.pk, subscription.pk])
    assert client.post(cancel).status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "cancelled" and subscription.ends_on is not None


def test_a_subscription_of_another_profile_is_not_found(client, shop):
    other = BillingProfileFactory()
    stranger = UserFactory()
    grant(stranger, Role.OWNER, other)
    bought = purchase_make(actor=stranger, product=shop["monthly"], quantity="1", profile=other,
                           purchase_key=purchase_key_issue(user=stranger))
    client.force_login(shop["owner"])
    url = reverse("purchases:subscription-cancel", args=[shop["profile"].pk, bought.subscription.pk])
    assert client.post(url).status_code == 404
    assert Subscription.objects.get(pk=bought.subscription.pk).status == "active"


def test_the_subscriptions_tab_costs_the_same_queries_with_one_subscription_or_thirty(client, shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profile, owner = shop["profile"], shop["owner"]
    client.force_login(owner)
    url = reverse("purchases:profile-subscriptions", args=[profile.pk])

    def buy(n):
        for _ in range(n):
            purchase_make(actor=owner, product=shop["monthly"], quantity="2", profile=profile,
                          purchase_key=purchase_key_issue(user=owner))
            purchase_make(actor=owner, product=shop["licence"], quantity="1", profile=profile,
                          purchase_key=purchase_key_issue(user=owner))

    def count(headers):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        return len(ctx.captured_queries)

    buy(1)
    few = (count({}), count(HX))
    buy(29)
    assert (count({}), count(HX)) == few
    assert max(few) <= 8, few  # the budget of every tab (tests/test_tab_query_budgets.py)
