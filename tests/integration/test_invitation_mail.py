"""An owner invites a new address; a real Celery worker mails the link through a real SMTP server; the link sets
a password; the new person signs in and sees what the role allows."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import grant
from profiles.models import Invitation, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, UserFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Correct-horse-battery-9"


def test_an_invitation_travels_through_a_real_worker_and_smtp(celery_worker, smtp_sink):
    profile = BillingProfileFactory(name="Contoso Marketing")
    owner = UserFactory(first_name="Olga", last_name="Owner")
    grant(owner, Role.OWNER, profile)
    smtp_sink.start()
    celery_worker()
    client = Client()
    client.force_login(owner)
    response = client.post(reverse("profiles:role-grant", args=[profile.pk]),
                           {"email": "invitee@example.com", "role": "contributor"})
    assert response.status_code == 302
    assert Invitation.objects.get(email="invitee@example.com").status == "pending"

    message = wait_for(lambda: next((m for m in smtp_sink.messages if m["To"] == "invitee@example.com"), None),
                       timeout=60, what="the invitation e-mail")
    assert message["Subject"] == "Olga Owner invites you to Contoso Marketing on Billing Admin"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(/billing/invitations/[^/\s]+/)", body).group(1)

    invitee = Client()
    assert invitee.get(link).status_code == 200
    accepted = invitee.post(link, {"first_name": "Ivo", "last_name": "Invitee", "password1": PASSWORD,
                                   "password2": PASSWORD})
    assert accepted.status_code == 302
    assert RoleAssignment.objects.get(user__email="invitee@example.com", profile=profile).role == "contributor"
    signed_in = invitee.post(reverse("login"), {"username": "invitee@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302
    # A contributor edits the profile but does not manage its roles.
    assert invitee.post(reverse("profiles:profile-edit-po", args=[profile.pk]), {"po_number": "PO-7"}).status_code \
        == 302
    profile.refresh_from_db()
    assert profile.po_number == "PO-7"
    assert invitee.post(reverse("profiles:role-grant", args=[profile.pk]),
                        {"email": "x@example.com", "role": "reader"}).status_code == 403
    assert invitee.get(link).status_code == 410
    # An existing user granted by address gets a notice through the same worker.
    UserFactory(email="known@example.com")
    client.post(reverse("profiles:role-grant", args=[profile.pk]), {"email": "known@example.com", "role": "reader"})
    wait_for(lambda: any(m["To"] == "known@example.com" for m in smtp_sink.messages), timeout=60,
             what="the role notice e-mail")
