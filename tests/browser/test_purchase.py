"""A person buys in a real browser: a subscription on a profile they own, then the first purchase of an
account without a profile, which creates its default profile."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import grant
from invoicing.models import Charge
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory
from purchases.models import Purchase, Subscription
from purchases.tests.factories import ProductFactory, priced
from tests.browser.checks import sideways_problems
from tests.browser.test_accessibility import axe_source

PASSWORD = "demo-pass-2026"
SERIOUS_AXE = """async () => (await axe.run()).violations
    .filter(v => v.impact === "serious" || v.impact === "critical").map(v => `${v.id}: ${v.nodes[0].target}`)"""
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


def _many_profiles(n: int):
    """An account owner (with a password) whose account has ``n`` profiles, Team 000 …, and a product in EUR."""
    account = BillingAccountFactory(name="Contoso B.V.")
    profiles = [BillingProfileFactory(account=account, name=f"Team {i:03d}") for i in range(n)]
    user = UserFactory(email="many@example.com")
    user.set_password(PASSWORD)
    user.save()
    grant(user, Role.ACCOUNT_OWNER, account)
    priced(ProductFactory(name="Visio Plan 2", sku="VISIO-2", unit_name="user"), EUR="15.00")
    return profiles


def test_with_many_profiles_the_buyer_searches_for_the_one_to_bill_with_and_without_javascript(
        page, login, screenshot, browser, live_server):
    profiles = _many_profiles(60)
    login("many@example.com", PASSWORD)
    page.context.add_init_script(script=axe_source())  # axe in every page from now on
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/billing/purchase/")
    results = page.locator("#target-results a")
    expect(results).to_have_count(25)  # not a select of all 60
    assert sideways_problems(page) == [] and page.evaluate(SERIOUS_AXE) == []
    page.get_by_label("Find a billing profile").fill("team 057")  # htmx searches as the buyer types
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("Team 057")
    screenshot("search")
    results.first.click()
    expect(page.locator("#target-fixed")).to_contain_text("Team 057")
    page.get_by_label("Product").select_option(label="Visio Plan 2 (VISIO-2)")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Show price").click()
    expect(page.locator("#quote-amount")).to_contain_text("€30.00")
    assert sideways_problems(page) == [] and page.evaluate(SERIOUS_AXE) == []
    screenshot("fixed-target-quote")
    page.get_by_label("Quantity").fill("5")  # typed after the quote: "Change" keeps it
    page.get_by_role("button", name="Change billing profile").click()
    expect(page.get_by_label("Find a billing profile")).to_be_visible()
    page.get_by_label("Find a billing profile").fill("team 058")
    page.get_by_role("button", name="Search").click()  # the form the swap just brought: submitted, not typed into
    expect(results).to_have_count(1)
    results.first.click()
    expect(page.locator("#target-fixed")).to_contain_text("Team 058")
    expect(page.get_by_label("Quantity")).to_have_value("5")

    # Without JavaScript: the search is a plain GET form, the results plain links.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    plain = context.new_page()
    plain.goto("/accounts/login/")
    plain.get_by_label(re.compile("e-mail", re.I)).fill("many@example.com")
    plain.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    plain.get_by_label(re.compile("password", re.I)).press("Enter")
    plain.wait_for_url(re.compile(r"/billing/"))
    plain.goto("/billing/purchase/")
    plain.get_by_label("Find a billing profile").fill("Team 059")
    plain.get_by_role("button", name="Search").click()
    plain.wait_for_url(re.compile(r"q=Team"))
    plain.get_by_role("link", name="Team 059").click()
    expect(plain.locator("#target-fixed")).to_contain_text("Team 059")
    plain.get_by_label("Product").select_option(label="Visio Plan 2 (VISIO-2)")
    plain.get_by_label("Quantity").press("Enter")  # Enter shows the price; it does not change the profile
    expect(plain.locator("#quote-amount")).to_contain_text("€15.00")
    plain.get_by_label("Quantity").fill("3")  # typed after the quote, then the profile changed
    plain.get_by_role("button", name="Change billing profile").click()
    plain.get_by_label("Find a billing profile").fill("Team 059")
    plain.get_by_role("button", name="Search").click()
    plain.get_by_role("link", name="Team 059").click()
    expect(plain.get_by_label("Quantity")).to_have_value("3")
    plain.get_by_role("button", name="Show price").click()
    plain.get_by_role("button", name="Buy now").click()
    expect(plain.get_by_text("You bought 3 × Visio Plan 2 on Team 059")).to_be_visible()
    context.close()
    assert Purchase.objects.get().profile == profiles[59]
