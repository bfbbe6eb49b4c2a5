"""The portal says the state a user must act on: the list shows the most urgent invoice state and what is
outstanding, the credit balance tab the next expiry, and after paying the past-due banner goes away."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from billing_admin.core.dates import billing_today
from billing_admin.core.money import format_day
from conftest import grant
from invoicing.models import Invoice
from invoicing.services.payments import invoices_mark_past_due
from invoicing.tests.factories import CreditLotFactory, InvoiceFactory
from profiles.models import Role
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def signed_in(client, profile, role=Role.OWNER):
    user = UserFactory()
    grant(user, role, profile)
    client.force_login(user)
    return user


def test_after_paying_the_past_due_banner_is_gone_from_the_fragment_shown(client):
    profile = BillingProfileFactory()
    card = payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                                   exp_year=2031, cvc="123", holder="Pat")
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    invoices_mark_past_due(today=date(2027, 1, 1))
    signed_in(client, profile, Role.INVOICE_MANAGER)
    url = reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])
    before = client.get(url, **HX).text  # the fragment htmx swaps carries the banner...
    assert "has a past-due invoice" in before
    key = re.search(r'name="idempotency_key" value="([^"]+)"', before).group(1)
    after = client.post(url, {"payment_method": card.pk, "idempotency_key": key}, **HX).text
    assert f"Invoice {invoice.number} is paid" in after
    assert "has a past-due invoice" not in after  # ... so paying replaces it with the state after payment


def test_the_list_shows_past_due_before_a_newer_due_invoice_and_the_amount_outstanding(client):
    profile = BillingProfileFactory()
    old = InvoiceFactory(profile=profile, unit_price="100", period_start=date(2026, 9, 1),
                         period_end=date(2026, 9, 30))
    InvoiceFactory(profile=profile, unit_price="100")  # the latest, due
    Invoice.objects.filter(pk=old.pk).update(status=Invoice.Status.PAST_DUE)
    signed_in(client, profile)
    page = client.get(reverse("profiles:profile-list")).text
    assert 'class="status status-past_due">Past due</span>' in page
    assert "status-due" not in page and "outstanding: €242.00" in page


def test_a_paid_profile_shows_paid_and_nothing_outstanding(client):
    profile = BillingProfileFactory()
    InvoiceFactory(profile=profile, unit_price="100")
    Invoice.objects.update(status=Invoice.Status.PAID)
    signed_in(client, profile)
    page = client.get(reverse("profiles:profile-list")).text
    assert 'class="status status-paid">Paid</span>' in page and "outstanding" not in page


def test_the_credit_balance_tab_shows_the_next_expiry_date_and_amount(client):
    profile = BillingProfileFactory()
    today = billing_today()
    soon, later = today + timedelta(days=10), today + timedelta(days=100)
    CreditLotFactory(profile=profile, amount="50", start_date=today - timedelta(days=1), expiration_date=soon)
    CreditLotFactory(profile=profile, amount="30", start_date=today - timedelta(days=1), expiration_date=later)
    signed_in(client, profile)
    page = client.get(reverse("invoicing:profile-credit-balance", args=[profile.pk])).text
    assert "Next expiry" in page and "€50.00" in page and f"expires on {format_day(soon)}" in page
    assert "Expiring within 30 days" not in page
