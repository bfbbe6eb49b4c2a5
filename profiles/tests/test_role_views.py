"""Safe role changes on the Permissions tab, and re-enabling a disabled profile."""

import re

import pytest
from django.urls import reverse

from billing_admin.core.models import ActivityEvent
from conftest import grant
from profiles.models import BillingProfile, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    profile = BillingProfileFactory()
    user = UserFactory(first_name="Olga", last_name="Owner")
    own = grant(user, Role.OWNER, profile)
    grant(UserFactory(), Role.OWNER, profile)  # a second owner, so giving up one is allowed
    client.force_login(user)
    return dict(client=client, profile=profile, user=user, own=own)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_grant_form_starts_on_the_least_powerful_role(owner):
    page = owner["client"].get(reverse("profiles:profile-permissions", args=[owner["profile"].pk])).text
    grant_select = page[page.index('name="email"'):]
    assert re.search(r'<option value="reader"\s+selected>', grant_select)
    options = re.findall(r'<option value="(\w+)"', grant_select[:grant_select.index("</select>")])
    assert options == ["reader", "invoice_manager", "contributor", "owner"]


def test_success_messages_name_the_role_and_the_person(owner):
    client, profile = owner["client"], owner["profile"]
    UserFactory(email="pat@example.com", first_name="Pat", last_name="Jansen")
    granted = client.post(reverse("profiles:role-grant", args=[profile.pk]),
                          {"email": "pat@example.com", "role": "reader"}, follow=True)
    # Granting by address says the same whether the address has a sign-in (see test_invitations.py).
    assert "pat@example.com was given the role Reader" in granted.text
    assignment = RoleAssignment.objects.get(user__email="pat@example.com")
    changed = client.post(reverse("profiles:role-change", args=[profile.pk, assignment.pk]),
                          {"role": "contributor"}, follow=True)
    assert "Pat Jansen (pat@example.com) now has the role Contributor instead of Reader." in changed.text
    removed = client.post(reverse("profiles:role-remove", args=[profile.pk, assignment.pk]), follow=True)
    assert "Pat Jansen (pat@example.com) no longer has the role Contributor on this billing profile." in removed.text


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_removing_your_own_owner_role_asks_first_then_lands_on_the_list(owner, htmx):
    client, profile, own = owner["client"], owner["profile"], owner["own"]
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse("profiles:role-remove", args=[profile.pk, own.pk])
    ask = client.get(url, **headers)
    assert "You will lose access to" in ask.text and "Remove my role and lose access" in ask.text
    # A POST without the explicit confirmation only asks again.
    again = client.post(url, **headers)
    assert again.status_code == 200 and "You will lose access to" in again.text
    assert RoleAssignment.objects.filter(pk=own.pk).exists()
    done = client.post(url, {"confirm": "on"}, **headers)
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()
    target = done["HX-Redirect"] if htmx else done["Location"]
    assert target == reverse("profiles:profile-list")
    listing = client.get(target)
    assert listing.status_code == 200
    assert f"You no longer have the role Owner on {profile.name}." in listing.text
    assert ActivityEvent.objects.filter(verb="role.revoked", profile=profile).count() == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_downgrading_your_own_owner_role_asks_first_then_shows_the_tab_read_only(owner, htmx):
    client, profile, own = owner["client"], owner["profile"], owner["own"]
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse("profiles:role-change", args=[profile.pk, own.pk])
    ask = client.post(url, {"role": "reader"}, **headers)
    assert ask.status_code == 200
    assert "You are changing your own role to Reader. You will lose access" in ask.text
    own.refresh_from_db()
    assert own.role == "owner"
    done = client.post(url, {"role": "reader", "confirm": "on"}, **headers)
    own.refresh_from_db()
    assert own.role == "reader"
    target = done["HX-Redirect"] if htmx else done["Location"]
    tab = client.get(target)
    assert tab.status_code == 200 and f"You now have the role Reader on {profile.name}." in tab.text
    assert "Grant a role" not in tab.text  # read-only now


def test_an_account_owner_keeps_access_so_no_warning(client):
    profile = BillingProfileFactory()
    user = UserFactory()
    grant(user, Role.ACCOUNT_OWNER, profile.account)
    own = grant(user, Role.OWNER, profile)
    client.force_login(user)
    ask = client.get(reverse("profiles:role-remove", args=[profile.pk, own.pk]))
    assert "lose access" not in ask.text
    response = client.post(reverse("profiles:role-remove", args=[profile.pk, own.pk]))
    assert response["Location"] == reverse("profiles:profile-permissions", args=[profile.pk])
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()


def test_the_last_owner_removing_themselves_gets_a_message_not_an_error_page(client):
    profile = BillingProfileFactory()
    user = UserFactory()
    own = grant(user, Role.OWNER, profile)
    client.force_login(user)
    response = client.post(reverse("profiles:role-remove", args=[profile.pk, own.pk]), {"confirm": "on"},
                           follow=True)
    assert response.status_code == 200
    assert "is the last owner" in response.text
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def _disabled_profile():
    profile = BillingProfileFactory()
    BillingProfileFactory(account=profile.account, is_default=True)
    profile.status = BillingProfile.Status.DISABLED
    profile.save()
    return profile


@pytest.mark.parametrize("role, scope", [(Role.OWNER, "profile"), (Role.ACCOUNT_OWNER, "account")])
def test_owners_re_enable_a_disabled_profile_with_its_rules_stated(client, role, scope):
    profile = _disabled_profile()
    user = UserFactory()
    grant(user, role, profile if scope == "profile" else profile.account)
    client.force_login(user)
    overview = client.get(reverse("profiles:profile-overview", args=[profile.pk])).text
    assert "Re-enable this billing profile" in overview
    url = reverse("profiles:profile-enable", args=[profile.pk])
    page = client.get(url).text
    assert "New purchases can be made on this profile again." in page
    assert "does not become the account's default profile again" in page
    response = client.post(url, follow=True)
    assert "is active again" in response.text
    profile.refresh_from_db()
    assert profile.status == "active" and not profile.is_default
    event = ActivityEvent.objects.get(verb="profile.enabled", profile=profile)
    assert event.actor == user and event.changes == {"status": ["disabled", "active"]}


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.READER, None])
def test_others_may_not_re_enable(client, role):
    profile = _disabled_profile()
    user = UserFactory()
    if role:
        grant(user, role, profile)
    client.force_login(user)
    assert "Re-enable" not in client.get(reverse("profiles:profile-overview", args=[profile.pk])).text
    response = client.post(reverse("profiles:profile-enable", args=[profile.pk]))
    assert response.status_code == (403 if role else 404)
    profile.refresh_from_db()
    assert profile.status == "disabled"
