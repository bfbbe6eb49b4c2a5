"""What a new user tripped over (paying by transfer, honest status, forms and words), walked in a real
browser: the EPC QR code on the pay page is scanned back from its pixels, the past-due banner goes away
on paying, the list says past due and how much, forms say their limits, Dutch uses Microsoft's terms.

The demo data is seeded once for the module and served by one live server; the tests share one browser
context (signed out between tests). No test depends on another's payment: each pays or reads its own
invoice. Screenshots go to var/screenshots/ through conftest's ``screenshot`` fixture.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
import zxingcpp
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from billing_admin.celery import app
from invoicing.models import Invoice
from profiles.models import BillingAccount, BillingProfile

PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo once, committed, and a live server on it; the database is emptied again afterwards."""

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # as in every other test (conftest), before its function fixtures run
    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        try:
            call_command("seed_demo", stdout=io.StringIO())
        finally:
            app.conf.task_always_eager = eager
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            connections.close_all()  # else the test database is still in use when pytest-django drops it


@pytest.fixture(scope="module")
def shared_page(browser, demo_server):
    context = browser.new_context(base_url=demo_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []  # script errors and Content-Security-Policy refusals a user would not see
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page, problems
    context.close()


@pytest.fixture
def page(shared_page):
    """The module's page, signed out and in English at the start of each test (conftest's ``login`` and
    ``screenshot`` use it)."""
    page, problems = shared_page
    page.context.clear_cookies()
    problems.clear()
    yield page
    assert problems == [], f"the browser console reported errors: {problems}"


@pytest.fixture
def marketing():
    return BillingProfile.objects.get(name="Contoso Marketing")


def open_profile(page, login, email, profile, tab=""):
    login(email, PASSWORD)
    page.goto(f"/billing/profiles/{profile.pk}/{tab}")


def scan_qr_codes(png: bytes) -> list[str]:
    """What a banking app's scanner reads from these pixels (the bytes; ours are ASCII). Each code must have no
    ECI (symbology identifier ]Q1): scanners built on ZXing refuse the "binary" ECI 899."""
    from PIL import Image

    read = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), text_mode=zxingcpp.TextMode.HexECI)
    assert all(result.text.startswith("5D 51 31 ") for result in read), [result.text[:20] for result in read]
    return [result.bytes.decode() for result in read]


# --- Paying and status -------------------------------------------------------------------------------

def test_the_pay_page_shows_the_bank_details_and_an_epc_qr_code_that_scans(page, login, screenshot, marketing):
    invoice = Invoice.objects.get(profile=marketing, status="due")  # the wire-transfer profile's open invoice
    open_profile(page, login, "invoice-manager@example.com", marketing, "invoices/")
    page.get_by_role("link", name=f"Pay invoice {invoice.number}").click()
    page.wait_for_url(re.compile(rf"/invoices/{invoice.pk}/pay/$"))
    transfer = page.locator("section.transfer")
    expect(transfer.locator("#transfer-iban")).to_have_text(settings.SELLER["iban"])
    expect(transfer.locator("#transfer-bic")).to_have_text(settings.SELLER["bic"])
    expect(transfer.locator("#transfer-reference")).to_have_text(invoice.number)
    expect(transfer.locator("#transfer-amount")).to_have_text("€1,089.00")
    for label in ("Invoice number", "Billing period", "Due date", "Status"):
        expect(page.locator("dt", has_text=label).first).to_be_visible()
    screenshot("pay-by-transfer")

    codes = scan_qr_codes(page.locator("figure.epc-qr svg").screenshot())
    assert len(codes) == 1, "the EPC QR code did not scan"
    lines = codes[0].split("\n")
    # EPC069-12: service tag, version, character set (1 UTF-8, 2 ISO 8859-1), SEPA credit transfer, BIC, name,
    # IBAN, amount, purpose, structured or unstructured reference.
    assert lines[0:2] == ["BCD", "002"] and lines[2] in ("1", "2") and lines[3] == "SCT"
    assert lines[4:7] == [settings.SELLER["bic"], settings.SELLER["name"], settings.SELLER["iban"]]
    assert lines[7].startswith("EUR") and Decimal(lines[7][3:]) == invoice.outstanding == Decimal("1089.00")
    assert invoice.number in lines[9:], "the reference to quote is not in the code"

    transfer.get_by_role("button", name="Copy reference").click()
    expect(transfer.get_by_role("button", name="Copy reference")).to_have_text("Copied")
    page.reload()  # the pay page's URL is in the history: a reload stays on it
    expect(page.get_by_role("heading", name=f"Pay invoice {invoice.number}")).to_be_visible()


def test_the_past_due_banner_goes_away_on_paying(page, login, screenshot, marketing):
    invoice = Invoice.objects.get(profile=marketing, status="past_due")
    open_profile(page, login, "invoice-manager@example.com", marketing, "invoices/")
    banner = page.get_by_role("alert").filter(has_text="has a past-due invoice")
    expect(banner).to_be_visible()
    page.get_by_role("link", name=f"Pay invoice {invoice.number}").click()
    page.get_by_label("Visa •••• 4242").check()
    screenshot("before-paying")
    page.get_by_role("button", name="Confirm payment").click()
    page.get_by_text(f"Invoice {invoice.number} is paid. Thank you.").wait_for()
    expect(banner).to_have_count(0)  # without a reload
    screenshot("paid-no-banner")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    page.reload()
    expect(page.get_by_text("has a past-due invoice")).to_have_count(0)


def test_the_profile_list_shows_the_most_urgent_state_and_what_is_outstanding(page, login, screenshot):
    fabrikam = BillingProfile.objects.get(name="Fabrikam IT")
    open_invoices = Invoice.objects.filter(profile=fabrikam, status__in=("due", "past_due"))
    assert {i.status for i in open_invoices} == {"due", "past_due"}  # the newest is due, older ones past due
    outstanding = sum(i.outstanding for i in open_invoices)
    login("account-owner@example.com", PASSWORD)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Fabrikam IT", exact=True))
    expect(row.locator(".status")).to_have_text("Past due")
    expect(row.locator(".outstanding")).to_have_text(f"outstanding: ${outstanding:,.2f}")
    screenshot("list")


def test_the_credit_balance_tab_says_when_the_next_credit_expires(page, login, screenshot, marketing):
    lot = marketing.credit_lots.filter(status="active").order_by("expiration_date").first()
    open_profile(page, login, "reader@example.com", marketing, "credit-balance/")
    card = page.locator(".card").filter(has=page.locator("dt", has_text="Next expiry"))
    expect(card).to_contain_text(f"€{lot.remaining:,.2f}")
    expect(card).to_contain_text(f"expires on {lot.expiration_date:%b} {lot.expiration_date.day}, "
                                 f"{lot.expiration_date.year}")
    screenshot("credit-balance")


# --- Forms and words ----------------------------------------------------------------------------------

def test_create_profile_currency_follows_the_account_and_invoice_day_says_its_range(page, login, screenshot):
    fabrikam = BillingAccount.objects.get(name="Fabrikam, Inc.")
    login("account-owner@example.com", PASSWORD)
    page.goto("/billing/profiles/new/")
    currency = page.locator("#currency")
    expect(currency).to_contain_text("Currency: —")
    page.get_by_label("Billing account").select_option(str(fabrikam.pk))
    expect(currency).to_contain_text("Currency: USD")  # at once, no submit
    page.get_by_label("Billing account").select_option(label="Contoso Nederland B.V. (EUR)")
    expect(currency).to_contain_text("Currency: EUR")

    day = page.get_by_label("Invoice day")
    expect(day).to_have_attribute("min", "1")
    expect(day).to_have_attribute("max", "28")
    expect(page.get_by_text("A day from 1 to 28: the invoice is issued on that day every month.")).to_be_visible()
    day.fill("31")
    assert day.evaluate("field => field.validity.rangeOverflow")  # the browser knows it is out of range
    page.get_by_label("Name", exact=True).fill("Contoso Finance")
    screenshot("form")
    before = BillingProfile.objects.count()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert").filter(has_text="28")).to_be_visible()
    assert BillingProfile.objects.count() == before
    screenshot("invoice-day-refused")


def test_overview_words_no_po_number_the_email_switch_and_payment_links_by_role(page, login, screenshot):
    sales = BillingProfile.objects.get(name="Contoso Sales")
    assert not sales.po_number and not sales.invoice_email_opt_in
    open_profile(page, login, "account-owner@example.com", sales)
    expect(page.locator("#po-value")).to_have_text("No PO number")
    expect(page.locator("#po-value")).to_have_class(re.compile(r"\bmuted\b"))
    switch = page.get_by_role("switch", name="E-mail invoices")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_contain_text("Off")
    expect(page.locator("#email-state")).to_have_text(re.compile(r"^Off: invoices are not e-mailed"))
    expect(page.get_by_role("link", name="Manage payment methods")).to_be_visible()
    screenshot("owner-overview")


@pytest.mark.parametrize("email", ["reader@example.com", "invoice-manager@example.com"])
def test_readers_and_invoice_managers_see_no_manage_payment_methods(page, login, screenshot, marketing, email):
    open_profile(page, login, email, marketing)
    expect(page.get_by_role("heading", name="Default payment method")).to_be_visible()
    expect(page.get_by_role("link", name="Manage payment methods")).to_have_count(0)
    expect(page.get_by_role("switch")).to_have_count(0)
    screenshot("overview")


def test_the_card_form_says_what_happens_to_the_card(page, login, screenshot, marketing):
    open_profile(page, login, "owner@example.com", marketing, "payment-methods/")
    page.get_by_role("link", name="Credit or debit card").click()
    form = page.locator("form").filter(has=page.get_by_label("Card number"))
    expect(form).to_contain_text("receives a token for the card")
    expect(form).to_contain_text("The card number and security code are never stored")
    expect(form).not_to_contain_text("goes straight to our payment processor")
    screenshot("card-form")


def test_dutch_uses_microsofts_billing_terms(page, login, screenshot, marketing):
    open_profile(page, login, "owner@example.com", marketing)
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("tab", name="Overzicht").wait_for()
    tabs = [tab.inner_text().strip() for tab in page.get_by_role("tab").all()]
    assert tabs[:5] == ["Overzicht", "Machtigingen", "Azure-kredietsaldo", "Azure-tegoeden", "Facturen"]
    assert "Betaalmethoden" in tabs
    expect(page.get_by_role("navigation", name="Kruimelpad")).to_contain_text(
        re.compile(r"Facturering\s*Facturen en betalingen\s*Factureringsprofielen"))
    expect(page.locator("dd", has_text=re.compile(r"^Engels$"))).to_be_visible()  # the invoice language
    screenshot("overzicht")
    page.get_by_role("tab", name="Machtigingen").click()
    panel = page.get_by_role("tabpanel")
    for role in ("Eigenaar van factureringsprofiel", "Bijdrager van factureringsprofiel",
                 "Factureringsprofiellezer", "Factuurmanager"):
        expect(panel.get_by_role("row").filter(has_text=role).first).to_be_visible()
    screenshot("machtigingen")


def test_the_help_page_offers_two_routes(page, screenshot):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Need help? Contact support").click()
    page.wait_for_url(re.compile(r"/help/$"))
    expect(page.get_by_role("link", name="Create a support request")).to_have_attribute(
        "href", re.compile(r"^(https?|mailto):"))
    expect(page.get_by_role("link", name="Contact business-product support")).to_have_attribute(
        "href", re.compile(r"^(https?|mailto):"))
    screenshot("help")
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", name="Hulp en ondersteuning")).to_be_visible()
    expect(page.get_by_role("heading", name="Vragen over Azure-kosten")).to_be_visible()
    expect(page.get_by_role("heading", name="Vragen over uw factureringsprofiel")).to_be_visible()
    expect(page.get_by_role("link", name="Hulp nodig? Neem contact op met ondersteuning")).to_be_visible()
    screenshot("help-nl")
