"""A person invites a colleague in a real browser; the colleague accepts from the e-mailed link and signs in."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import grant
from profiles.models import Role
from profiles.tests.factories import PASSWORD, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "Correct-horse-battery-9"


def test_invite_a_colleague_who_accepts_and_signs_in(page, login, screenshot, settings, live_server):
    settings.SITE_URL = live_server.url
    profile = BillingProfileFactory(name="Finance EMEA")
    owner = UserFactory(email="owner.browser@example.com", first_name="Olga", last_name="Owner")
    grant(owner, Role.OWNER, profile)
    login(owner.email, PASSWORD)
    page.goto(f"/billing/profiles/{profile.pk}/permissions/")
    expect(page.get_by_label("Role", exact=True)).to_have_value("reader")
    page.get_by_label("User's e-mail address").fill("colleague@example.com")
    page.get_by_role("button", name="Grant", exact=True).click()
    row = page.locator("tr", has_text="colleague@example.com")
    expect(row).to_contain_text("Reader")
    expect(row.get_by_role("button", name=re.compile("Re-send"))).to_be_visible()
    screenshot("invited")
    [message] = mail.outbox
    link = re.search(r"https?://\S+/billing/invitations/\S+/", message.body).group(0)

    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    page.get_by_label("First name").fill("Cora")
    page.get_by_label("Last name").fill("Colleague")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and accept").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("Welcome! Sign in with colleague@example.com")).to_be_visible()
    login("colleague@example.com", NEW_PASSWORD)
    page.get_by_role("link", name="Finance EMEA").click()
    page.wait_for_url(re.compile(rf"/billing/profiles/{profile.pk}/$"))
    expect(page.get_by_role("heading", name="Finance EMEA")).to_be_visible()
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)  # a reader sees no controls
    screenshot("accepted")
