"""The activity views of a profile and of a billing account: who changed what and when, "field: before → after",
paginated, in the reader's language; owners and account owners only (plain and HTMX), 404 for outsiders."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role
from profiles.services.profiles import profile_update
from profiles.services.roles import role_change
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE_ROLES = ["owner", "contributor", "reader", "invoice_manager"]
ACCOUNT_ROLES = ["account_owner", "account_contributor", "account_reader"]
WHO = PROFILE_ROLES + ACCOUNT_ROLES + ["nobody", "sibling_owner"]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    profile = BillingProfileFactory(po_number="PO-1")
    sibling = BillingProfileFactory(account=profile.account, name="Sibling")
    editor = UserFactory(email="editor@example.com")
    grant(editor, Role.OWNER, profile)
    profile_update(actor=editor, profile=profile, po_number="PO-2")
    colleague = UserFactory(email="colleague@example.com")
    assignment = grant(colleague, Role.READER, profile)
    role_change(actor=editor, assignment=assignment, role=Role.CONTRIBUTOR)
    InvoiceFactory(profile=profile)
    return dict(profile=profile, sibling=sibling, editor=editor)


def acting_user(who, w):
    user = UserFactory()
    if who in PROFILE_ROLES:
        grant(user, who, w["profile"])
    elif who in ACCOUNT_ROLES:
        grant(user, who, w["profile"].account)
    elif who == "sibling_owner":
        grant(user, Role.OWNER, w["sibling"])
    return user


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("view", ["profile", "account"])
@pytest.mark.parametrize("who", WHO)
def test_who_may_read_the_activity(client, world, who, view, htmx):
    client.force_login(acting_user(who, world))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if view == "profile":
        url = reverse("profiles:profile-activity", args=[world["profile"].pk])
        allowed, sees = {"owner", "account_owner"}, set(PROFILE_ROLES + ACCOUNT_ROLES)
    else:
        url = reverse("profiles:account-activity", args=[world["profile"].account.pk])
        allowed, sees = {"account_owner"}, set(ACCOUNT_ROLES)
    response = client.get(url, **headers)
    if who not in sees:
        assert response.status_code == 404
    elif who not in allowed:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert "PO number: PO-1 → PO-2" in response.text
        assert ("<html" in response.text) != htmx


def test_the_profile_activity_says_who_changed_what_and_when(client, world):
    client.force_login(world["editor"])
    page = client.get(reverse("profiles:profile-activity", args=[world["profile"].pk])).text
    row = page[page.index("Billing profile details changed") - 400:]
    assert "editor@example.com" in row and "PO number: PO-1 → PO-2" in row
    assert "Role changed" in page and "Role: Reader → Contributor" in page and "User: colleague@example.com" in page
    assert "Invoice issued" in page and "Purchase recorded" in page  # invoicing's events, named by invoicing
    assert "Sibling" not in page


def test_the_account_activity_covers_its_profiles(client, world):
    owner = acting_user("account_owner", world)
    client.force_login(owner)
    account_page = client.get(reverse("profiles:account-overview", args=[world["profile"].account.pk])).text
    activity_url = reverse("profiles:account-activity", args=[world["profile"].account.pk])
    assert activity_url in account_page
    page = client.get(activity_url).text
    assert "PO number: PO-1 → PO-2" in page and world["profile"].name in page and "Role granted" in page


def test_the_activity_speaks_the_readers_language(client, world):
    client.force_login(world["editor"])
    client.cookies["django_language"] = "nl"
    page = client.get(reverse("profiles:profile-activity", args=[world["profile"].pk])).text
    assert "PO-nummer: PO-1 → PO-2" in page
    assert "Rol: Factureringsprofiellezer → Bijdrager van factureringsprofiel" in page
    assert "Gegevens factureringsprofiel gewijzigd" in page


def test_the_activity_is_paginated(client, world, htmx_headers):
    for i in range(30):
        profile_update(actor=world["editor"], profile=world["profile"], po_number=f"PO-{100 + i}")
    client.force_login(world["editor"])
    url = reverse("profiles:profile-activity", args=[world["profile"].pk])
    first = client.get(url).text
    assert "PO-128 → PO-129" in first and "PO-1 → PO-2" not in first
    assert first.count('id="event-') == 25 and "Page 1 of 2" in first and "Older" in first
    second = client.get(url + "?page=2", **htmx_headers).text
    assert "<html" not in second and "PO-1 → PO-2" in second and "Newer" in second


def test_only_owners_see_the_activity_tab(client, world):
    url = reverse("profiles:profile-overview", args=[world["profile"].pk])
    activity_url = reverse("profiles:profile-activity", args=[world["profile"].pk])
    client.force_login(acting_user("contributor", world))
    assert activity_url not in client.get(url).text
    client.force_login(acting_user("owner", world))
    assert activity_url in client.get(url).text
