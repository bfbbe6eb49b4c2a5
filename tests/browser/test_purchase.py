"""A person buys in a real browser: a subscription on a profile they own, then the first purchase of an
account without a profile, which creates its default profile."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from invoicing.models import Charge
from profiles.models import BillingProfile
from purchases.models import Purchase, Subscription

PASSWORD = "demo-pass-2026"
pytestmark = pytest.mark.django_db(transaction=True)


def test_buying_a_subscription_and_the_first_purchase_of_an_account(page, login, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    marketing = BillingProfile.objects.get(name="Contoso Marketing")
    before = Purchase.objects.count()
    login("account-owner@example.com", PASSWORD)
    page.get_by_role("link", name="Buy", exact=True).click()
    page.wait_for_url(re.compile(r"/billing/purchase/$"))
    page.get_by_label("Product").select_option(label="Teams Premium (TEAMS-PREM)")
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Billing profile").select_option(label="Contoso Nederland B.V. · Contoso Marketing (EUR)")
    page.get_by_role("button", name="Show price").click()
    quote = page.locator("#quote")
    expect(quote).to_contain_text("€28.20")  # 3 × 9.40 per month
    expect(quote).to_contain_text("Tax (21%)")
    expect(page.locator("#quote-currency")).to_have_text("EUR")
    screenshot("quote")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{marketing.pk}/subscriptions/$"))
    expect(page.get_by_role("tab", name="Subscriptions")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("You bought 3 × Teams Premium on Contoso Marketing")).to_be_visible()
    expect(page.locator("#subscriptions")).to_contain_text("Teams Premium")
    screenshot("subscriptions")
    assert Purchase.objects.count() == before + 1
    assert Subscription.objects.filter(profile=marketing, quantity=3).count() == 1

    # The account without a profile: the page says the purchase creates one, and it does.
    page.get_by_role("link", name="Billing profiles").click()
    page.get_by_role("link", name="Buy", exact=True).click()
    page.get_by_label("Product").select_option(label="Azure Reserved VM D4s v5 (1 year) (AZ-RES-D4S)")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Billing profile").select_option(
        label="Northwind Traders K.S.C. · new default billing profile (KWD)")
    page.get_by_role("button", name="Show price").click()
    expect(page.locator("#creates-profile")).to_contain_text("Northwind Traders K.S.C. has no billing profile yet")
    expect(page.locator("#quote-amount")).to_contain_text("769.000")  # 2 × 384.500, KWD has 3 decimals
    screenshot("first-purchase")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(re.compile(r"/subscriptions/$"))
    expect(page.get_by_text("it created the default billing profile")).to_be_visible()
    created = BillingProfile.objects.get(account__name="Northwind Traders K.S.C.")
    assert created.is_default and created.currency == "KWD"
    assert Charge.objects.get(profile=created).amount == 769
