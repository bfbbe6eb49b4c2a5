"""The CSV export of the Permissions tab: every direct and inherited grant, safe in a spreadsheet,
only for those who may see the profile."""

import csv
import io

import pytest
from django.urls import reverse

from conftest import grant
from profiles.models import Role
from profiles.services.roles import role_grant
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile_with_grants():
    account = BillingAccountFactory(name="=HYPERLINK(\"http://evil.example\",\"x\")")
    profile = BillingProfileFactory(account=account)
    boss = UserFactory(email="boss@example.com")
    grant(boss, Role.ACCOUNT_OWNER, account)
    evil = UserFactory(email="=cmd|' /C calc'!A0@example.com")

    role_grant(actor=boss, user_email=evil.email, role=Role.READER, profile=profile)
    reader = UserFactory(email="reader@example.com")
    grant(reader, Role.READER, profile)
    return profile, reader


def test_the_export_lists_direct_and_inherited_grants_and_neutralises_formulas(client, profile_with_grants):
    profile, reader = profile_with_grants
    client.force_login(reader)
    response = client.get(reverse("profiles:role-csv", args=[profile.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["user", "role", "scope", "granted_by", "granted_at"]
    by_user = {row[0]: row for row in rows[1:]}
    assert set(by_user) == {"'=cmd|' /C calc'!A0@example.com", "reader@example.com", "boss@example.com"}
    evil = by_user["'=cmd|' /C calc'!A0@example.com"]
    assert evil[1:4] == ["Reader", "this profile", "boss@example.com"]
    assert by_user["boss@example.com"][1] == "Account owner"
    assert by_user["boss@example.com"][2].startswith("account ")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("who", ["nobody", "sibling_owner"])
def test_the_export_is_not_found_for_those_who_may_not_see_the_profile(client, profile_with_grants, who):
    profile, _reader = profile_with_grants
    user = UserFactory()
    if who == "sibling_owner":
        grant(user, Role.OWNER, BillingProfileFactory(account=profile.account))
    client.force_login(user)
    response = client.get(reverse("profiles:role-csv", args=[profile.pk]))
    assert response.status_code == 404 and b"evil" not in response.content
