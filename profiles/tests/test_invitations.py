"""Inviting people by e-mail address: the e-mail, the link, accepting, re-send, revoke, and bad input."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing_admin.core.models import ActivityEvent
from conftest import grant
from profiles.models import Invitation, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Correct-horse-battery-9"


@pytest.fixture
def owner(client, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    profile = BillingProfileFactory(name="Contoso Marketing")
    user = UserFactory(email="olga@example.com", first_name="Olga", last_name="Owner")
    grant(user, Role.OWNER, profile)
    client.force_login(user)
    return dict(client=client, profile=profile, user=user, commit=django_capture_on_commit_callbacks)


def post(owner, url, data=None, **headers):
    """A POST whose on-commit work (the e-mail task) runs, as it would after a real commit."""
    with owner["commit"](execute=True):
        return owner["client"].post(url, data or {}, **headers)


def invite(owner, email="new.person@example.com", role="reader", **headers):
    return post(owner, reverse("profiles:role-grant", args=[owner["profile"].pk]), {"email": email, "role": role},
                **headers)


def link_in(message) -> str:
    return re.search(r"http://testserver(/billing/invitations/[^/\s]+/)", message.body).group(1)


def state(profile):
    return (sorted(RoleAssignment.objects.filter(profile=profile).values_list("user__email", "role")),
            sorted(Invitation.objects.filter(profile=profile).values_list("email", "role", "status", "nonce")))


def test_inviting_a_new_address_e_mails_a_link_that_sets_a_password_and_starts_the_role(owner, client):
    response = invite(owner, "New.Person@example.com", follow=True)
    assert not RoleAssignment.objects.filter(user__email="new.person@example.com").exists()
    assert "New.Person@example.com was given the role Reader" in response.text
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.status) == ("new.person@example.com", "reader", "pending")
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    # Listed with role, inviter and expiry, with Re-send and Revoke.
    row = response.text[response.text.index('id="invitation-'):]
    assert "new.person@example.com" in row and "Reader" in row and "olga@example.com" in row and "Re-send" in row
    [message] = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert message.subject == "Olga Owner invites you to Contoso Marketing on Billing Admin"
    assert "the role Reader on the billing profile Contoso Marketing" in message.body
    link = link_in(message)

    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Set password and accept" in page.text
    short = client.post(link, {"first_name": "Nina", "password1": "short", "password2": "short"})
    assert "This password is too short" in short.text
    assert not RoleAssignment.objects.filter(user__email="new.person@example.com").exists()
    accepted = client.post(link, {"first_name": "Nina", "last_name": "New", "password1": NEW_PASSWORD,
                                  "password2": NEW_PASSWORD}, follow=True)
    assert "Welcome! Sign in with new.person@example.com" in accepted.text
    assignment = RoleAssignment.objects.get(user__email="new.person@example.com")
    assert assignment.role == "reader" and assignment.profile == owner["profile"]
    assert assignment.granted_by == owner["user"] and assignment.user.get_full_name() == "Nina New"
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_user == assignment.user
    verbs = list(ActivityEvent.objects.filter(profile=owner["profile"]).values_list("verb", flat=True))
    assert {"invitation.sent", "role.granted", "invitation.accepted"} <= set(verbs)

    # The new person signs in and sees what a reader may: the profile, no controls.
    signed_in = client.post(reverse("login"), {"username": "new.person@example.com", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    overview = client.get(reverse("profiles:profile-overview", args=[owner["profile"].pk]))
    assert overview.status_code == 200 and "Edit details" not in overview.text
    assert client.post(reverse("profiles:profile-edit-po", args=[owner["profile"].pk]),
                       {"po_number": "X"}).status_code == 403
    assert client.get(reverse("profiles:profile-overview", args=[BillingProfileFactory().pk])).status_code == 404
    # The link works once.
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and "already accepted" in again.text


def test_the_e_mail_is_written_in_the_inviters_language(owner):
    owner["client"].cookies["django_language"] = "nl"
    invite(owner)
    [message] = mail.outbox
    assert "nodigt u uit" in message.subject
    assert Invitation.objects.get().language == "nl"


def test_an_existing_user_gets_the_role_at_once_and_the_same_message(owner):
    UserFactory(email="pat@example.com")
    existing = invite(owner, "pat@example.com", follow=True)
    new = invite(owner, "nobody-yet@example.com", follow=True)

    def message_of(response):
        return [str(m) for m in response.context["messages"]][0].replace("pat@example.com", "X").replace(
            "nobody-yet@example.com", "X")

    assert message_of(existing) == message_of(new)
    assert RoleAssignment.objects.get(user__email="pat@example.com").role == "reader"
    assert not Invitation.objects.filter(email="pat@example.com").exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["nobody-yet@example.com", "pat@example.com"]
    notice = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    assert "the role Reader on the billing profile Contoso Marketing" in notice.body


@pytest.mark.parametrize("email, message", [
    ("not-an-address", "Enter a valid email address."),
    ("a" * 250 + "@example.com", "at most 254 characters"),
    ("olga@example.com", "already has the role Owner here"),
])
def test_bad_addresses_get_a_clear_message_and_change_nothing(owner, email, message, htmx_headers):
    before = state(owner["profile"])
    response = invite(owner, email, **htmx_headers)
    assert response.status_code == 200 and message in response.text
    assert state(owner["profile"]) == before and mail.outbox == []


def test_a_second_invitation_to_a_pending_address_says_so(owner):
    invite(owner)
    before = state(owner["profile"])
    response = invite(owner, "NEW.person@example.com", role="contributor")
    assert "already pending here. Re-send or revoke it instead." in response.text
    assert state(owner["profile"]) == before and len(mail.outbox) == 1


def test_inviting_is_throttled_per_person(owner, settings):
    settings.INVITATION_LIMIT_PER_HOUR = 2
    invite(owner, "a@example.com")
    invite(owner, "b@example.com")
    before = state(owner["profile"])
    response = invite(owner, "c@example.com")
    assert "the most allowed" in response.text
    assert state(owner["profile"]) == before and len(mail.outbox) == 2
    # Someone else's limit is their own.
    other = UserFactory()
    grant(other, Role.OWNER, owner["profile"])
    owner["client"].force_login(other)
    invite(owner, "c@example.com")
    assert Invitation.objects.filter(email="c@example.com").exists()


def test_re_send_gives_a_fresh_link_and_the_old_one_says_it_was_replaced(owner, client):
    invite(owner)
    old_link = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    assert "Expired" in owner["client"].get(reverse("profiles:profile-permissions", args=[owner["profile"].pk])).text
    response = post(owner, reverse("profiles:invitation-resend", args=[owner["profile"].pk, invitation.pk]),
                    follow=True)
    assert "sent to new.person@example.com again" in response.text
    new_link = link_in(mail.outbox[1])
    assert new_link != old_link
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    client.logout()
    assert "replaced by a newer one" in client.get(old_link).text
    assert client.get(new_link).status_code == 200
    assert ActivityEvent.objects.filter(verb="invitation.resent").count() == 1


def test_revoked_expired_and_tampered_links_say_so_and_change_nothing(owner, client):
    invite(owner)
    invite(owner, "second@example.com")
    first, second = Invitation.objects.order_by("pk")
    first_link, second_link = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    owner["client"].post(reverse("profiles:invitation-revoke", args=[owner["profile"].pk, first.pk]))
    second.expires_at = timezone.now() - timedelta(seconds=1)
    second.save()
    client.logout()
    before = state(owner["profile"])
    data = {"first_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    revoked = client.post(first_link, data)
    assert revoked.status_code == 410 and "This invitation was withdrawn." in revoked.text
    expired = client.post(second_link, data)
    assert expired.status_code == 410 and "This invitation has expired." in expired.text
    tampered = client.post(second_link.replace(second_link[-8:-2], "abcdef"), data)
    assert tampered.status_code == 400 and "This invitation link is not valid." in tampered.text
    assert client.get("/billing/invitations/garbage/").status_code == 400
    assert state(owner["profile"]) == before
    assert not RoleAssignment.objects.filter(user__email__in=["new.person@example.com", "second@example.com"])
    assert ActivityEvent.objects.filter(verb="invitation.revoked").count() == 1


def test_an_address_that_got_a_sign_in_meanwhile_keeps_its_password(owner, client):
    invite(owner)
    link = link_in(mail.outbox[0])
    person = UserFactory(email="new.person@example.com")
    password_hash = person.password
    client.logout()
    page = client.get(link)
    assert "already has a sign-in" in page.text and "password1" not in page.text
    client.post(link, {"password1": "hijack-attempt-123", "password2": "hijack-attempt-123"})
    person.refresh_from_db()
    assert person.password == password_hash
    assert RoleAssignment.objects.get(user=person).role == "reader"


def test_the_eml_file_backend_writes_the_invitation(owner, settings, tmp_path):
    settings.EMAIL_BACKEND = "billing_admin.core.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    invite(owner)
    [eml] = list(tmp_path.glob("*.eml"))
    assert b"To: new.person@example.com" in eml.read_bytes()
    assert b"/billing/invitations/" in eml.read_bytes()


@pytest.mark.parametrize("role, status", [(Role.CONTRIBUTOR, 403), (Role.READER, 403), (None, 404)])
def test_only_owners_re_send_or_revoke(owner, role, status):
    invite(owner)
    invitation = Invitation.objects.get()
    client = Client()
    other = UserFactory()
    if role:
        grant(other, role, owner["profile"])
    client.force_login(other)
    tab = client.get(reverse("profiles:profile-permissions", args=[owner["profile"].pk]))
    assert "new.person@example.com" not in tab.text
    for name in ("profiles:invitation-resend", "profiles:invitation-revoke"):
        assert client.post(reverse(name, args=[owner["profile"].pk, invitation.pk])).status_code == status
    invitation.refresh_from_db()
    assert invitation.status == "pending" and len(mail.outbox) == 1
