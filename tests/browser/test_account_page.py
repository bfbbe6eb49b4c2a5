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
