"""Text nobody should send: far too long, too many lines, NUL and other control characters. Each is
refused with a message that says what is wrong, changes nothing and is never a server error."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from conftest import grant, support_engineer
from invoicing.services.credits import credit_adjust, credit_lot_add
from invoicing.services.invoices import invoice_void
from invoicing.services.payments import payment_record_transfer
from invoicing.tests.factories import InvoiceFactory
from profiles.models import BillingAccount, BillingProfile, PaymentMethod, Role
from profiles.services.payment_methods import payment_method_add_bank_account, payment_method_add_card
from profiles.services.profiles import account_create, profile_update
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADERS = [{}, {"HTTP_HX_REQUEST": "true"}]


@pytest.fixture
def owner_client(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    client.profile = profile
    return client


def details(profile, **changes):
    data = {"name": profile.name, "bill_to_address": profile.bill_to_address, "contact_name": profile.contact_name,
            "contact_email": profile.contact_email, "invoice_language": "en", "invoice_day": "1"}
    return {**data, **changes}


def issue(profile):
    return InvoiceFactory(profile=profile, unit_price="100")


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_a_100000_character_bill_to_address_is_refused_with_a_clear_message(owner_client, headers):
    profile = owner_client.profile
    url = reverse("profiles:profile-edit-details", args=[profile.pk])
    response = owner_client.post(url, details(profile, bill_to_address="Street 1 " * 11_112), **headers)
    assert response.status_code == 200
    assert "at most 500 characters" in response.text
    assert BillingProfile.objects.get(pk=profile.pk).bill_to_address == profile.bill_to_address


def test_an_address_of_too_many_lines_is_refused():
    profile = BillingProfileFactory()
    with pytest.raises(ValidationError, match="at most 10 lines"):
        profile_update(actor=None, profile=profile, bill_to_address="\n".join(f"line {i}" for i in range(11)))
    with pytest.raises(ValidationError, match="at most 500 characters"):
        account_create(actor=None, name="Big B.V.", country="NL", sold_to_address="x" * 501)
    assert not BillingAccount.objects.filter(name="Big B.V.").exists()


def test_the_database_refuses_an_over_long_address_written_past_the_services():
    profile = BillingProfileFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingProfile.objects.filter(pk=profile.pk).update(bill_to_address="x" * 501)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingAccount.objects.filter(pk=profile.account_id).update(sold_to_address="x" * 501)


def test_names_references_and_reasons_are_bounded_in_the_services_not_cut():
    profile = BillingProfileFactory()
    support = support_engineer()
    with pytest.raises(ValidationError, match="at most 120 characters"):
        payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                                exp_year=2031, cvc="123", holder="P" * 121)
    with pytest.raises(ValidationError, match="at most 120 characters"):
        payment_method_add_bank_account(actor=None, profile=profile, holder="P" * 121, iban="NL91ABNA0417164300",
                                        bic="")
    assert not PaymentMethod.objects.filter(profile=profile).exists()
    invoice = issue(profile)
    with pytest.raises(ValidationError, match="at most 80 characters"):
        payment_record_transfer(actor=support, invoice=invoice, amount=str(invoice.amount_due), reference="R" * 81)
    with pytest.raises(ValidationError, match="at most 200 characters"):
        invoice_void(actor=support, invoice=invoice, reason="because " * 30)
    invoice.refresh_from_db()
    assert invoice.status == "due" and not invoice.payments.exists()
    lot = credit_lot_add(actor=None, profile=profile, source="goodwill", amount="10", start_date=date(2026, 1, 1),
                         expiration_date=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="at most 200 characters"):
        credit_adjust(actor=support, lot=lot, amount="-1", reason="r" * 201)
    lot.refresh_from_db()
    assert lot.remaining == 10


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_a_card_holder_too_long_is_a_form_error(owner_client, headers):
    profile = owner_client.profile
    response = owner_client.post(reverse("profiles:payment-method-add", args=[profile.pk, "card"]), {
        "number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "123", "holder": "P" * 500},
        **headers)
    assert response.status_code == 200 and "at most 120 characters" in response.text
    assert not PaymentMethod.objects.filter(profile=profile).exists()


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%01", "account=%00", "q=%7F", "page=%00"])
def test_a_nul_or_control_character_in_a_query_is_a_400_that_says_why(owner_client, query):
    response = owner_client.get(reverse("profiles:profile-list") + "?" + query)
    assert response.status_code == 400
    assert "control characters" in response.text


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
@pytest.mark.parametrize("field", ["name", "bill_to_address", "contact_name"])
def test_a_nul_in_a_form_field_is_refused_and_changes_nothing(owner_client, field, headers):
    profile = owner_client.profile
    url = reverse("profiles:profile-edit-details", args=[profile.pk])
    response = owner_client.post(url, details(profile, **{field: "Acme\x00 Ltd"}), **headers)
    assert response.status_code == 400 and "control characters" in response.text
    assert getattr(BillingProfile.objects.get(pk=profile.pk), field) == getattr(profile, field)


def test_line_breaks_and_tabs_are_fine_and_services_refuse_control_characters(owner_client):
    profile = owner_client.profile
    url = reverse("profiles:profile-edit-details", args=[profile.pk])
    response = owner_client.post(url, details(profile, bill_to_address="Damrak 2\r\n1012 LG\tAmsterdam"))
    assert response.status_code == 302
    assert BillingProfile.objects.get(pk=profile.pk).bill_to_address.startswith("Damrak 2")
    with pytest.raises(ValidationError, match="control characters"):
        profile_update(actor=None, profile=profile, contact_name="Pat\x1b[31m")


def test_every_page_answers_a_nul_in_its_query_with_400_not_500(owner_client):
    """The pages with a search or a filter, and the rest, on whichever database runs the tests."""
    profile = owner_client.profile
    for name, args in (("profiles:profile-list", []), ("profiles:profile-overview", [profile.pk]),
                       ("profiles:profile-permissions", [profile.pk]), ("invoicing:profile-invoices", [profile.pk]),
                       ("profiles:profile-payment-methods", [profile.pk])):
        response = owner_client.get(reverse(name, args=args) + "?q=%00&page=1%00", HTTP_HX_REQUEST="true")
        assert response.status_code == 400, name


@pytest.mark.parametrize("query", ["account=%C2%B2", "account=99999999999999999999999", "page=99999999999999999999",
                                   "page=%C2%B2", "account=-1", "q=" + "x" * 5000, "q=%F0%9F%92%A9"])
def test_odd_query_values_on_the_list_and_create_pages_are_not_server_errors(client, query):
    """A superscript digit passes str.isdigit() but not int(); huge numbers overflow the database."""
    profile = BillingProfileFactory()
    user = UserFactory()
    grant(user, Role.ACCOUNT_OWNER, profile.account)
    client.force_login(user)
    for url in (reverse("profiles:profile-list"), reverse("profiles:profile-create")):
        for headers in HEADERS:
            assert client.get(f"{url}?{query}", **headers).status_code == 200, (url, query)
