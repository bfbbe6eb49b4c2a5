"""The Payment methods tab over HTTP, plain and HTMX: bad input is explained next to its field and
stores nothing; exactly one default; the last method stays while something is unpaid (it says why)."""


import pytest
from django.urls import reverse

from conftest import grant
from profiles.models import PaymentMethod, Role
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

CARD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2031", "cvc": "123", "holder": "Pat"}
BANK = {"holder": "Contoso", "iban": "NL91 ABNA 0417 1643 00", "bic": ""}
HEADERS = [{}, {"HTTP_HX_REQUEST": "true"}]


@pytest.fixture
def owner_client(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    return client, profile


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
@pytest.mark.parametrize(("kind", "data", "field", "message"), [
    ("card", {"number": "4242424242424241"}, "number", "This card number is not valid"),
    ("card", {"number": "4242"}, "number", "12 to 19 digits"),
    ("card", {"exp_month": "1", "exp_year": "2020"}, "exp_month", "This card has expired"),
    ("card", {"exp_year": "20"}, "exp_month", "This card has expired"),
    ("card", {"exp_year": "1999"}, "exp_year", "Enter a valid expiry year"),
    ("card", {"exp_month": "13"}, "exp_month", "less than or equal to 12"),
    ("card", {"cvc": "12"}, "cvc", "3-digit security code"),
    ("card", {"cvc": "abc"}, "cvc", "3-digit security code"),
    ("card", {"holder": ""}, "holder", "This field is required"),
    ("bank_account", {"iban": "NL91ABNA0417164301"}, "iban", "This IBAN is not valid"),
    ("bank_account", {"iban": "BR1500000000000010932840814P2"}, "iban", "Bank accounts in BR cannot be used"),
    ("bank_account", {"bic": "NOTABIC"}, "bic", "This BIC is not valid"),
])
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_stored(owner_client, headers, kind, data,
                                                                        field, message):
    client, profile = owner_client
    url = reverse("profiles:payment-method-add", args=[profile.pk, kind])
    response = client.post(url, {**(CARD if kind == "card" else BANK), **data}, **headers)
    assert response.status_code == 200
    text = response.text
    assert message in text
    # The message sits with its field: after the field's input, before the next field's label.
    assert text.index(f'name="{field}"') < text.index(message.replace("'", "&#x27;"))
    assert not PaymentMethod.objects.exists()
    assert "4242424242424241" not in text  # a card number is typed again, never written back


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_a_two_digit_expiry_year_is_understood(owner_client, headers):
    client, profile = owner_client
    client.post(reverse("profiles:payment-method-add", args=[profile.pk, "card"]), {**CARD, "exp_year": "31"},
                **headers)
    assert PaymentMethod.objects.get().card_exp_year == 2031


@pytest.mark.parametrize("headers", HEADERS, ids=["plain", "htmx"])
def test_exactly_one_default_through_add_make_default_and_remove(owner_client, headers):
    client, profile = owner_client
    for kind, data in (("card", CARD), ("bank_account", BANK), ("wire_transfer", {})):
        client.post(reverse("profiles:payment-method-add", args=[profile.pk, kind]), data, **headers)
    card, bank, wire = PaymentMethod.objects.order_by("pk")
    assert [m.is_default for m in (card, bank, wire)] == [True, False, False]  # the first one added

    def defaults():
        return list(PaymentMethod.objects.filter(is_default=True).values_list("pk", flat=True))

    client.post(reverse("profiles:payment-method-default", args=[profile.pk, wire.pk]), **headers)
    assert defaults() == [wire.pk]
    page = client.get(reverse("profiles:profile-payment-methods", args=[profile.pk]))
    assert page.text.index(f'id="method-{wire.pk}"') < page.text.index("Default")
    client.post(reverse("profiles:payment-method-remove", args=[profile.pk, wire.pk]), **headers)
    assert defaults() == [card.pk]  # the oldest one left takes over
    client.post(reverse("profiles:payment-method-remove", args=[profile.pk, card.pk]), **headers)
    assert defaults() == [bank.pk]


