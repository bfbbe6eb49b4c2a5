"""A person in a real browser: sign in as a demo user, use every tab, edit inline, switch language."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from invoicing.models import Invoice
from profiles.models import BillingProfile
from tests.browser.checks import portal_pages, sideways_problems, unlabelled_cells

PASSWORD = "demo-pass-2026"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return BillingProfile.objects.get(name="Contoso Marketing")


def open_profile(page, login, email, profile):
    login(email, PASSWORD)
    page.get_by_role("link", name=profile.name).click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{profile.pk}/$"))


def test_every_tab_loads_in_place_and_back_forward_and_reload_work(page, login, screenshot, demo):
    open_profile(page, login, "owner@example.com", demo)
    tabs = [("Permissions", "permissions/"), ("Azure credit balance", "credit-balance/"),
            ("Azure credits", "credits/"), ("Invoices", "invoices/"), ("Payment methods", "payment-methods/"),
            ("Overview", "")]
    for name, suffix in tabs:
        page.get_by_role("tab", name=name, exact=True).click()
        page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/{re.escape(suffix)}$"))
        expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("tabpanel")).to_be_visible()
        screenshot(name.lower().replace(" ", "-"))
    page.go_back()
    page.wait_for_url(re.compile(r"/payment-methods/$"))
    expect(page.get_by_role("tab", name="Payment methods")).to_have_attribute("aria-selected", "true")
    page.go_back()
    page.wait_for_url(re.compile(r"/invoices/$"))
    page.get_by_text(Invoice.objects.filter(profile=demo).first().number).wait_for()
    page.go_forward()
    page.wait_for_url(re.compile(r"/payment-methods/$"))
    page.get_by_text("Visa •••• 4242").wait_for()
    page.reload()
    expect(page.get_by_role("tab", name="Payment methods")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()


def test_inline_po_number_edit_shows_the_error_first_then_saves(page, login, screenshot, demo):
    open_profile(page, login, "contributor@example.com", demo)
    page.get_by_role("link", name="Edit PO number").click()
    field = page.get_by_role("textbox", name="PO number")
    field.fill("PO<2026>!")
    page.get_by_role("button", name="Save").click()
    error = page.get_by_role("alert").filter(has_text="Use letters, digits")
    error.wait_for()
    screenshot("validation-error")
    assert BillingProfile.objects.get(pk=demo.pk).po_number == "PO-2026-0042"
    page.get_by_role("textbox", name="PO number").fill("PO-2027-0001")
    page.get_by_role("button", name="Save").click()
    page.locator("#po-value").filter(has_text="PO-2027-0001").wait_for()
    assert page.url.endswith(f"/billing/profiles/{demo.pk}/")  # no full reload needed, no navigation
    assert BillingProfile.objects.get(pk=demo.pk).po_number == "PO-2027-0001"
    screenshot("saved")


def test_email_invoices_switch_off_and_on(page, login, screenshot, demo):
    open_profile(page, login, "owner@example.com", demo)
    page.get_by_role("switch").click()
    page.get_by_text("Off: invoices are not e-mailed").wait_for()
    assert BillingProfile.objects.get(pk=demo.pk).invoice_email_opt_in is False
    screenshot("off")
    page.get_by_role("switch").click()
    page.get_by_text("On: every invoice is e-mailed").wait_for()
    assert BillingProfile.objects.get(pk=demo.pk).invoice_email_opt_in is True


def test_switching_the_language_to_dutch(page, login, screenshot, demo):
    open_profile(page, login, "reader@example.com", demo)
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("tab", name="Overzicht").wait_for()
    expect(page.get_by_role("tab", name="Facturen")).to_be_visible()
    expect(page.get_by_text("Hulp nodig? Neem contact op met ondersteuning")).to_be_visible()
    assert page.get_by_role("button", name="Details bewerken").count() == 0  # a reader has no controls
    page.get_by_role("tab", name="Facturen").click()
    page.get_by_text("€ 1.089,00").first.wait_for()  # money formatted the Dutch way
    screenshot("dutch")


def test_an_invoice_manager_pays_with_the_sandbox_card_and_sees_it_paid(page, login, screenshot, demo):
    invoice = Invoice.objects.filter(profile=demo, status="due").get()
    open_profile(page, login, "invoice-manager@example.com", demo)
    page.get_by_role("tab", name="Invoices").click()
    page.get_by_role("link", name=f"Pay invoice {invoice.number}").click()
    page.get_by_label("Visa •••• 4242").check()
    screenshot("pay-form")
    page.get_by_role("button", name="Confirm payment").click()
    page.get_by_text(f"Invoice {invoice.number} is paid. Thank you.").wait_for()
    row = page.locator(f"#invoice-{invoice.pk}")
    expect(row.get_by_text("Paid")).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    screenshot("paid")


def test_on_a_390px_phone_no_page_spills_sideways(page, login, screenshot, demo):
    """At 390 px every table is a stack of cards with labelled values, every control is on screen, and neither
    the page nor anything in it scrolls sideways. A screenshot of each page goes to var/screenshots/."""
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (("sign-in", "/accounts/login/"), ("password-reset", "/accounts/password_reset/")):
        page.goto(path)
        assert sideways_problems(page) == [], f"{name} at 390px"
        screenshot(name)
    login("account-owner@example.com", PASSWORD)
    for name, path in portal_pages(demo):
        response = page.goto(path)
        assert response.status == 200, f"{name}: {path} answered {response.status}"
        assert sideways_problems(page) == [], f"{name} ({path}) at 390px"
        assert unlabelled_cells(page) == [], f"{name} ({path}): values without their column's label"
        screenshot(name)


@pytest.mark.parametrize("width", [320, 768, 1024])
def test_in_dutch_no_page_spills_sideways_on_a_small_phone_a_tablet_or_a_small_laptop(page, login, demo, width):
    """Dutch has the longest words ('Factureringsprofielgegevens'); tables stack up to 900 px, wrap above."""
    login("account-owner@example.com", PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": page.evaluate("location.origin")}])
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in portal_pages(demo):
        page.goto(path)
        assert page.evaluate("document.documentElement.lang") == "nl"
        assert sideways_problems(page) == [], f"{name} ({path}) at {width}px"


def test_on_a_phone_an_invoice_row_is_a_card_with_labels_and_its_pay_button_on_screen(page, login, screenshot, demo):
    due = Invoice.objects.filter(profile=demo, status="due").get()
    page.set_viewport_size({"width": 390, "height": 844})
    login("invoice-manager@example.com", PASSWORD)
    page.goto(f"/billing/profiles/{demo.pk}/invoices/")
    row = page.locator(f"#invoice-{due.pk}")
    pay, pdf = row.get_by_role("link", name=f"Pay invoice {due.number}"), row.get_by_role("link", name="Download PDF")
    for link in (pay, pdf):
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{link} is off-screen: {box}"
    lefts = row.locator("td[data-label]").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().left)")
    assert len(lefts) == 6 and len(set(lefts)) == 1  # one card: its values stacked, one under the other
    due_date = row.locator("td[data-label='Due date']")
    assert "Due date" in due_date.evaluate("td => getComputedStyle(td, '::before').content")  # each says what it is
    screenshot("invoice-card")
    page.set_viewport_size({"width": 1280, "height": 900})  # on a desktop it is a row of a table again
    lefts = row.locator("td[data-label]").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().left)")
    assert len(set(lefts)) == 6
    assert due_date.evaluate("td => getComputedStyle(td, '::before').content") == "none"


def test_arrow_keys_move_between_tabs(page, login, demo):
    open_profile(page, login, "reader@example.com", demo)
    page.get_by_role("tab", name="Overview").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Permissions")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Payment methods")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Overview")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/billing/profiles/{demo.pk}/$"))



def test_switching_language_after_a_tab_click_stays_on_that_tab(page, login, demo):
    open_profile(page, login, "reader@example.com", demo)
    page.get_by_role("tab", name="Invoices").click()
    page.wait_for_url(re.compile(r"/invoices/$"))
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("tab", name="Facturen")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith(f"/billing/profiles/{demo.pk}/invoices/")
