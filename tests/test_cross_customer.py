"""No leak across customers: ids of another profile's payment methods, role grants, invoices or
payment attempts, put into this profile's URLs and forms, change nothing and reveal nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import grant, support_engineer
from invoicing.models import Invoice, Payment
from invoicing.services.payments import invoice_autocharge, invoice_pay, payment_key_issue, payment_record_transfer
from invoicing.tests.factories import InvoiceFactory
from profiles.models import PaymentMethod, Role, RoleAssignment
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.django_db

HEADERS = [{}, {"HTTP_HX_REQUEST": "true"}]



def card(profile, number="4242424242424242"):
    return payment_method_add_card(actor=None, profile=profile, number=number, exp_month=12, exp_year=2031,
                                   cvc="123", holder="Pat")


@pytest.fixture
def two_customers():
    """Our profile (owned by ``me``) and a stranger's profile in another account, each with a card,
    a wire transfer, an invoice and a reader."""
    ours, theirs = BillingProfileFactory(), BillingProfileFactory()
    me, stranger = UserFactory(), UserFactory()
    grant(me, Role.OWNER, ours)
    grant(stranger, Role.OWNER, theirs)
    world = {"ours": ours, "theirs": theirs, "me": me, "stranger": stranger}
    for key, profile in (("ours", ours), ("theirs", theirs)):
        world[f"{key}_wire"] = WireTransferFactory(profile=profile, is_default=True)
        world[f"{key}_card"] = card(profile)
        world[f"{key}_invoice"] = InvoiceFactory(profile=profile, unit_price="100")
        world[f"{key}_reader"] = grant(UserFactory(), Role.READER, profile)
    return world


def snapshot():
    return (sorted(PaymentMethod.objects.values_list("pk", "profile_id", "is_default")),
            sorted(RoleAssignment.objects.values_list("pk", "user_id", "profile_id", "account_id", "role")),
            sorted(Invoice.objects.values_list("pk", "status")),
            sorted(Payment.objects.values_list("pk", "status")))


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
@pytest.mark.parametrize("name", ["profiles:payment-method-default", "profiles:payment-method-remove"])
def test_another_profiles_payment_method_in_our_url_is_not_found(client, two_customers, name, headers):
    w = two_customers
    client.force_login(w["me"])
    before = snapshot()
    url = reverse(name, args=[w["ours"].pk, w["theirs_card"].pk])
    assert client.get(url, **headers).status_code in (404, 405)
    assert client.post(url, {}, **headers).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
@pytest.mark.parametrize("name", ["profiles:role-change", "profiles:role-remove"])
def test_another_profiles_role_grant_in_our_url_is_not_found(client, two_customers, name, headers):
    w = two_customers
    client.force_login(w["me"])
    before = snapshot()
    url = reverse(name, args=[w["ours"].pk, w["theirs_reader"].pk])
    assert client.post(url, {"role": "owner"}, **headers).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_an_owner_of_another_account_cannot_grant_himself_a_role_here(client, two_customers, headers):
    w = two_customers
    client.force_login(w["stranger"])
    before = snapshot()
    response = client.post(reverse("profiles:role-grant", args=[w["ours"].pk]),
                           {"email": w["stranger"].email, "role": "owner"}, **headers)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_paying_with_another_profiles_card_is_refused_on_the_form(client, two_customers, headers):
    w = two_customers
    client.force_login(w["me"])
    before = snapshot()
    response = client.post(reverse("invoicing:invoice-pay", args=[w["ours"].pk, w["ours_invoice"].pk]),
                           {"payment_method": w["theirs_card"].pk, "idempotency_key": "k-cross"}, **headers)
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert snapshot() == before


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_another_invoices_payment_key_neither_pays_nor_answers_for_ours(client, two_customers, headers):
    """A key is one attempt on one invoice: replaying the stranger's key (of a declined or a paid
    attempt) on our invoice must not say "paid", must not show their outcome and pays nothing."""
    w = two_customers
    declined_card = card(w["theirs"], "4000000000009995")
    their_keys = [payment_key_issue(actor=w["stranger"], invoice=w["theirs_invoice"]) for _ in range(2)]
    declined = invoice_pay(actor=w["stranger"], invoice=w["theirs_invoice"], payment_method=declined_card,
                           idempotency_key=their_keys[0])
    paid = invoice_pay(actor=w["stranger"], invoice=w["theirs_invoice"], payment_method=w["theirs_card"],
                       idempotency_key=their_keys[1])
    assert (declined.status, paid.status) == ("declined", "succeeded")
    client.force_login(w["me"])
    url = reverse("invoicing:invoice-pay", args=[w["ours"].pk, w["ours_invoice"].pk])
    before = snapshot()
    for key in their_keys:
        response = client.post(url, {"payment_method": w["ours_card"].pk, "idempotency_key": key}, **headers)
        assert response.status_code == 200
        assert "This payment form has expired" in response.text
        assert "insufficient funds" not in response.text and "is paid" not in response.text
    assert snapshot() == before
    assert Invoice.objects.get(pk=w["ours_invoice"].pk).status == "due"


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_keys_shaped_like_the_systems_own_do_not_block_another_accounts_payments(client, two_customers, headers):
    """A customer who posts declined attempts on his own invoice with keys shaped like the ones the
    system makes for another account's invoice (its automatic charge, support's recorded transfer)
    changes nothing for that account: its card is still charged and support can still record a
    transfer."""

    w = two_customers
    declining = card(w["ours"], "4000000000000002")
    victim_card = BillingProfileFactory()
    card(victim_card)  # its default: the invoice is charged to it automatically
    target = InvoiceFactory(profile=victim_card, unit_price="100")
    # another account's invoice, paid by transfer
    victim_transfer = InvoiceFactory(profile=BillingProfileFactory(), unit_price="100")
    client.force_login(w["me"])
    url = reverse("invoicing:invoice-pay", args=[w["ours"].pk, w["ours_invoice"].pk])
    for key in (f"autocharge-{target.pk}-1", f"autocharge-{target.pk}-2", f"transfer-{victim_transfer.pk}",
                f"transfer-{target.pk}", "autocharge-1", "transfer"):
        response = client.post(url, {"payment_method": declining.pk, "idempotency_key": key}, **headers)
        assert response.status_code == 200
    payment = invoice_autocharge(invoice_id=target.pk)
    assert payment is not None and payment.status == "succeeded"
    target.refresh_from_db()
    assert target.status == "paid"
    support = support_engineer()
    transfer = payment_record_transfer(actor=support, invoice=victim_transfer,
                                       amount=str(victim_transfer.amount_due), reference="NL-BANK-1")
    assert transfer.status == "succeeded"
    assert Invoice.objects.get(pk=w["ours_invoice"].pk).status == "due"
