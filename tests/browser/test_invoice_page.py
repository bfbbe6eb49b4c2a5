"""A person opens an invoice from the Invoices tab, reads it, and looks at the spend chart."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from invoicing.models import Invoice
from profiles.models import BillingProfile

PASSWORD = "demo-pass-2026"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return BillingProfile.objects.get(name="Contoso Marketing")


def test_the_invoice_page_from_its_number_and_the_spend_chart(page, login, screenshot, demo):
    invoice = Invoice.objects.filter(profile=demo).exclude(status="void").order_by("-issue_date", "-pk").first()
    login("invoice-manager@example.com", PASSWORD)
    page.get_by_role("link", name=demo.name).click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/$"))
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() >= 12
    expect(page.get_by_role("heading", name="Next invoice")).to_be_visible()
    expect(page.get_by_role("table", name="Spend per month")).to_be_attached()  # for screen readers
    screenshot("overview-with-chart")
    page.get_by_role("tab", name="Invoices", exact=True).click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/invoices/$"))
    page.get_by_role("link", name=invoice.number, exact=True).click()  # htmx swaps the panel, pushes the URL
    page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/invoices/{invoice.pk}/$"))
    expect(page.get_by_role("heading", name=re.compile(rf"Invoice {invoice.number}"))).to_be_visible()
    expect(page.get_by_role("table", name="Invoice lines")).to_be_visible()
    expect(page.get_by_role("link", name="Download XML")).to_be_visible()
    expect(page.get_by_role("heading", name="E-mail delivery")).to_be_visible()
    screenshot("invoice-page")
    page.reload()  # the page itself, without htmx
    expect(page.get_by_role("table", name="Invoice lines")).to_be_visible()
    page.get_by_role("link", name="All invoices").click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/invoices/$"))


def test_the_account_page_shows_spend_per_profile_side_by_side(page, login, screenshot, demo):
    account = demo.account
    profiles = BillingProfile.objects.filter(account=account).count()
    login("account-owner@example.com", PASSWORD)
    page.goto(f"/billing/accounts/{account.pk}/")
    expect(page.get_by_role("heading", name="Spend per billing profile")).to_be_visible()
    chart = page.locator("#account-spend svg.chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() == 12 * profiles
    expect(page.locator("#account-spend .legend li")).to_have_count(profiles)
    expect(page.get_by_role("table", name=re.compile("Spend per month and billing profile"))).to_be_attached()
    expect(page.get_by_role("button", name="Download ZIP")).to_be_visible()
    screenshot("account-spend")
