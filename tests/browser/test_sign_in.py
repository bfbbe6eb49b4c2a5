import re

import pytest
from playwright.sync_api import expect

from conftest import grant
from profiles.models import Role
from profiles.tests.factories import PASSWORD, BillingProfileFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_signed_in_reader_sees_their_profile(page, login, screenshot):
    profile = BillingProfileFactory(name="Finance EMEA")
    reader = UserFactory(email="Reader.Case@Example.com")
    grant(reader, Role.READER, profile)
    login("reader.case@example.com", PASSWORD)  # e-mail matched case-insensitively
    page.get_by_role("link", name="Finance EMEA").click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{profile.pk}/$"))
    expect(page.get_by_role("heading", name="Finance EMEA")).to_be_visible()
    screenshot()
