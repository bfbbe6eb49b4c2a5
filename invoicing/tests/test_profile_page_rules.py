"""What invoicing registers into the profile pages: the rules that block disabling a profile or
removing its only payment method (unpaid invoices, active credits, charges waiting to be invoiced)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoicing.services.charges import purchase_record
from invoicing.tests.factories import CreditLotFactory, InvoiceFactory
from profiles.models import PaymentMethod, Role
from profiles.services.payment_methods import payment_method_add_wire_transfer, payment_method_remove
from profiles.tests.factories import BillingProfileFactory, RoleAssignmentFactory

pytestmark = pytest.mark.django_db

CARD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2031", "cvc": "123", "holder": "Pat"}
HEADERS = [{}, {"HTTP_HX_REQUEST": "true"}]


@pytest.fixture
def owner_client(client):
    profile = BillingProfileFactory(po_number="PO-1")
    BillingProfileFactory(account=profile.account)  # not the account's last active profile
    client.force_login(RoleAssignmentFactory(profile=profile, role=Role.OWNER).user)
    client.profile = profile
    return client


def _buy(profile):
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="1",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])


def _refused_to_disable(client, reason: str) -> None:
    profile = client.profile
    url = reverse("profiles:profile-disable", args=[profile.pk])
    page = client.get(url).text
    assert reason in page and 'type="submit" class="danger"' not in page
    refused = client.post(url, follow=True)
    assert f"cannot be disabled: {reason}" in refused.text
    profile.refresh_from_db()
    assert profile.status == "active"


def test_disable_is_refused_saying_why_while_charges_wait(owner_client):
    _buy(owner_client.profile)
    _refused_to_disable(owner_client, "It has charges that are not invoiced yet.")


def test_disable_is_refused_saying_why_while_an_invoice_is_unpaid(owner_client):
    assert InvoiceFactory(profile=owner_client.profile).status == "due"
    _refused_to_disable(owner_client, "It has unpaid invoices. Pay them first.")


def test_disable_is_refused_saying_why_while_credits_are_active(owner_client):
    CreditLotFactory(profile=owner_client.profile)
    _refused_to_disable(owner_client, "It still has active Azure credits.")


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_the_last_method_stays_while_an_invoice_is_unpaid_and_the_page_says_why(owner_client, headers):
    profile = owner_client.profile
    owner_client.post(reverse("profiles:payment-method-add", args=[profile.pk, "card"]), CARD)
    InvoiceFactory(profile=profile)
    only = PaymentMethod.objects.get()
    response = owner_client.post(reverse("profiles:payment-method-remove", args=[profile.pk, only.pk]),
                                 follow=True, **headers)
    assert "it has unpaid invoices" in response.text
    assert PaymentMethod.objects.filter(pk=only.pk, is_default=True).exists()


def test_the_last_method_stays_while_charges_wait_to_be_invoiced(owner_client):
    profile = owner_client.profile
    only = payment_method_add_wire_transfer(actor=None, profile=profile)
    _buy(profile)
    with pytest.raises(ValidationError, match="only payment method"):
        payment_method_remove(actor=None, method=only)
    page = owner_client.get(reverse("profiles:payment-method-remove", args=[profile.pk, only.pk]))
    assert "charges are waiting to be invoiced" in page.text
    assert PaymentMethod.objects.filter(pk=only.pk).exists()
