import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import grant
from profiles.models import PaymentMethod, Role
from profiles.services.payment_methods import (
    payment_method_add_bank_account,
    payment_method_add_card,
    payment_method_add_wire_transfer,
    payment_method_remove,
    payment_method_set_default,
)
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"number": "4242424242424241"}, "number", "not valid"),
    ({"exp_month": 1, "exp_year": 2020}, "exp_month", "expired"),
    ({"cvc": "12"}, "cvc", "3-digit"),
    ({"number": "378282246310005", "cvc": "123"}, "cvc", "4-digit"),  # American Express
    ({"holder": " "}, "holder", "name on the card"),
])
def test_bad_cards_are_refused_per_field_and_nothing_is_stored(data, field, message):
    profile = BillingProfileFactory()
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123", "holder": "Pat", **data}
    with pytest.raises(ValidationError) as error:
        payment_method_add_card(actor=None, profile=profile, **card)
    assert message in " ".join(error.value.message_dict[field])
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(("iban", "message"), [
    ("NL91ABNA0417164301", "not valid"),
    ("BR1500000000000010932840814P2", "cannot be used"),
])
def test_bad_or_foreign_ibans_are_refused(iban, message):
    profile = BillingProfileFactory()
    with pytest.raises(ValidationError, match=message):
        payment_method_add_bank_account(actor=None, profile=profile, holder="Pat", iban=iban, bic="")
    assert not PaymentMethod.objects.exists()


def test_only_masked_data_is_kept_and_the_first_method_is_the_default():
    profile = BillingProfileFactory()
    card = payment_method_add_card(actor=None, profile=profile, number="4242 4242 4242 4242", exp_month=12,
                                   exp_year=2031, cvc="123", holder="Pat")
    bank = payment_method_add_bank_account(actor=None, profile=profile, holder="Pat",
                                           iban="NL91 ABNA 0417 1643 00", bic="")
    assert (card.card_brand, card.card_last4, card.is_default) == ("Visa", "4242", True)
    assert bank.iban_masked == "NL•• 4300" and bank.bic == "ABNANL2A" and not bank.is_default
    assert "4242424242424242" not in card.gateway_token


def test_set_default_and_removing_the_default_promotes_the_next():
    profile = BillingProfileFactory()
    first = payment_method_add_wire_transfer(actor=None, profile=profile)
    second = payment_method_add_card(actor=None, profile=profile, number="5555555555554444", exp_month=1,
                                     exp_year=2031, cvc="123", holder="Pat")
    payment_method_set_default(actor=None, method=second)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [second]
    payment_method_remove(actor=None, method=second)
    first.refresh_from_db()
    assert first.is_default


def test_the_add_card_form_shows_errors_and_never_echoes_the_number(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    url = reverse("profiles:payment-method-add", args=[profile.pk, "card"])
    response = client.post(url, {"number": "4242424242424241", "exp_month": "12", "exp_year": "2031",
                                 "cvc": "123", "holder": "Pat"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "This card number is not valid" in response.text
    assert "4242424242424241" not in response.text and 'value="123"' not in response.text
    assert not PaymentMethod.objects.exists()
    ok = client.post(url, {"number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "123",
                           "holder": "Pat"})
    assert ok.status_code == 302 and PaymentMethod.objects.get().card_last4 == "4242"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_same_card_added_twice_is_refused_with_a_clear_message(client, htmx):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    url = reverse("profiles:payment-method-add", args=[profile.pk, "card"])
    card = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "123", "holder": "Pat"}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.post(url, card, **headers)
    again = client.post(url, {**card, "number": "4242 4242 4242 4242", "holder": "Pat Again"}, **headers)
    assert again.status_code == 200
    assert "This card is already a payment method of this profile (Visa •••• 4242)" in again.text
    assert PaymentMethod.objects.filter(profile=profile).count() == 1
    # Another card, or the same card on another profile, is fine.
    client.post(url, {**card, "number": "5555555555554444"}, **headers)
    assert PaymentMethod.objects.filter(profile=profile).count() == 2
    other = BillingProfileFactory(account=profile.account)
    payment_method_add_card(actor=None, profile=other, **{**card, "exp_month": 12, "exp_year": 2031})
    assert PaymentMethod.objects.filter(profile=other).count() == 1
