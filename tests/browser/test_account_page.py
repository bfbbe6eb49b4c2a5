"""An account owner goes from a profile to its billing account, edits the sold-to details in place and reads what
changed in the account's activity."""

import re

import pytest
from playwright.sync_api import expect

from conftest import grant
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role
from profiles.tests.factories import PASSWORD, BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_account_owner_edits_the_account_and_reads_its_activity(page, login, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    account = BillingAccountFactory(name="Contoso Nederland B.V.", tax_id="NL111")
    profile = BillingProfileFactory(account=account, name="Marketing")
    invoice = InvoiceFactory(profile=profile)
    owner = UserFactory(email="account.owner@example.com")
    grant(owner, Role.ACCOUNT_OWNER, account)
    login(owner.email, PASSWORD)
    page.get_by_role("link", name="Marketing").click()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Contoso Nederland B.V.").click()
    page.wait_for_url(re.compile(rf"/billing/accounts/{account.pk}/$"))
    expect(page.get_by_role("heading", name="Everything due")).to_be_visible()
    expect(page.get_by_role("link", name=invoice.number).first).to_be_visible()
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Tax / VAT id").fill("NL222")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The billing account's details were saved.")).to_be_visible()
    expect(page.get_by_text("NL222")).to_be_visible()
    screenshot("account")
    page.get_by_role("link", name="Activity").click()
    expect(page.get_by_text("Tax / VAT id: NL111 → NL222")).to_be_visible()
    screenshot("activity")


def test_the_account_s_profiles_page_by_25_in_place(page, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    account = BillingAccountFactory(name="Fabrikam")
    for i in range(1, 31):
        BillingProfileFactory(account=account, name=f"Team {i:02d}")
    owner = UserFactory(email="fabrikam.owner@example.com")
    grant(owner, Role.ACCOUNT_OWNER, account)
    login(owner.email, PASSWORD)
    page.goto(f"/billing/accounts/{account.pk}/")
    profiles = page.get_by_role("table", name="Billing profiles of this account you may see")
    expect(profiles.get_by_role("link", name="Team 25")).to_be_visible()
    expect(profiles.get_by_role("link", name="Team 26")).to_have_count(0)
    pager = page.get_by_role("navigation", name="Pages of billing profiles")
    expect(pager).to_contain_text("Page 1 of 2")
    pager.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(rf"/billing/accounts/{account.pk}/\?page=2$"))
    expect(profiles.get_by_role("link", name="Team 26")).to_be_visible()
    expect(profiles.get_by_role("link", name="Team 01")).to_have_count(0)
    expect(pager).to_contain_text("Page 2 of 2")
