"""Check-then-act under concurrency, on PostgreSQL with real transactions: many requests at once
(a double click, several tabs, a script) end as if they came one after another. Every check runs
under the profile's row lock; "already removed" is an answer, never a server error, and is
audited once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing_admin.core.models import ActivityEvent
from conftest import grant, require_postgres
from profiles.models import InvoiceRecipient, PaymentMethod, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 20
TIMEOUT = 120  # seconds for all requests together: a lock that is never released fails the test


def at_once(user, method: str, url: str, data=None, n: int = REQUESTS, headers=None) -> list[int]:
    """``n`` signed-in clients send the same request at the same moment; their status codes."""
    clients = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(n)
    statuses: list[int] = []

    def send(client):
        try:
            start.wait(timeout=TIMEOUT)
            response = getattr(client, method)(url, data or {}, **(headers or {}))
            statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - reported below as a failed request
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads), "requests still waiting: a lock was never released"
    return statuses


@pytest.fixture
def owner_and_profile():
    require_postgres()
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    return owner, profile


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_twenty_concurrent_add_wire_transfer_requests_make_one(owner_and_profile, htmx):
    owner, profile = owner_and_profile
    url = reverse("profiles:payment-method-add", args=[profile.pk, "wire_transfer"])
    statuses = at_once(owner, "post", url, headers={"HTTP_HX_REQUEST": "true"} if htmx else {})
    assert set(statuses) <= {200, 302}, statuses
    assert PaymentMethod.objects.filter(profile=profile, kind="wire_transfer").count() == 1
    assert ActivityEvent.objects.filter(profile=profile, verb="payment_method.added").count() == 1


def test_twenty_concurrent_adds_of_the_same_card_make_one(owner_and_profile):
    owner, profile = owner_and_profile
    url = reverse("profiles:payment-method-add", args=[profile.pk, "card"])
    card = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "123", "holder": "Pat"}
    statuses = at_once(owner, "post", url, card, headers={"HTTP_HX_REQUEST": "true"})
    assert set(statuses) == {200}, statuses
    assert PaymentMethod.objects.filter(profile=profile, kind="card").count() == 1


def test_twenty_concurrent_removals_of_a_role_never_fail_and_are_audited_once(owner_and_profile):
    owner, profile = owner_and_profile
    assignment = grant(UserFactory(), Role.READER, profile)
    url = reverse("profiles:role-remove", args=[profile.pk, assignment.pk])
    statuses = at_once(owner, "post", url, headers={"HTTP_HX_REQUEST": "true"})
    # The requests that found the grant gone before they started get 404 like any removed object;
    # the ones that raced the removal get the tab with "already removed". None is a server error.
    assert set(statuses) <= {200, 404}, statuses
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert ActivityEvent.objects.filter(profile=profile, verb="role.revoked").count() == 1


def test_twenty_concurrent_removals_of_a_recipient_write_one_audit_row(owner_and_profile):
    owner, profile = owner_and_profile
    recipient = InvoiceRecipient.objects.create(profile=profile, email="ap@example.com")
    url = reverse("profiles:profile-recipient-remove", args=[profile.pk, recipient.pk])
    statuses = at_once(owner, "post", url, headers={"HTTP_HX_REQUEST": "true"})
    assert set(statuses) <= {200, 404}, statuses
    assert not InvoiceRecipient.objects.filter(pk=recipient.pk).exists()
    assert ActivityEvent.objects.filter(profile=profile, verb="profile.recipient_removed").count() == 1
