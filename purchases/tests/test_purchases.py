"""Buying on a profile or on an account: charges, audit, idempotency, and every refusal writing nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing_admin.core.models import ActivityEvent
from conftest import grant
from invoicing.models import Charge
from invoicing.services.invoices import invoice_generate
from profiles.models import BillingProfile, Role, RoleAssignment
from profiles.services.profiles import profile_disable
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory
from purchases.models import Product, Purchase
from purchases.services.purchases import purchase_make
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 16)


@pytest.fixture
def owner(profile):
    user = UserFactory()
    grant(user, Role.OWNER, profile)
    return user


@pytest.fixture
def licence():
    return priced(ProductFactory(name="Contoso Office", sku="OFFICE-E3"), EUR="12.50", JPY="1800", KWD="3.250")


def written():
    return (Purchase.objects.count(), Charge.objects.count(), BillingProfile.objects.count(),
            ActivityEvent.objects.filter(verb__startswith="purchase").count())


def test_a_one_time_purchase_charges_the_profile_audited_and_lands_on_the_next_invoice(owner, profile, licence, key):
    bought = purchase_make(actor=owner, product=licence, quantity="3", purchase_key=key(owner), profile=profile,
                           today=TODAY)
    assert (bought.amount, bought.currency, bought.created_profile) == (Decimal("37.50"), "EUR", False)
    charge = bought.charge
    assert (charge.profile, charge.product, charge.amount, charge.purchased_by) == (profile, "OFFICE-E3",
                                                                                    Decimal("37.50"), owner)
    event = ActivityEvent.objects.get(verb="purchase.made")
    assert event.actor == owner and event.profile == profile and event.changes["amount"] == "37.50"
    invoice, _created = invoice_generate(profile_id=profile.pk, period_start=date(2026, 11, 1),
                                         period_end=date(2026, 11, 30), issue_date=date(2026, 12, 1))
    assert [(line.product, line.amount) for line in invoice.lines.all()] == [("OFFICE-E3", Decimal("37.50"))]
    assert invoice.tax == Decimal("7.88")  # 21 % of 37.50, half-up


def test_a_double_click_buys_once_and_another_users_key_buys_nothing(owner, profile, licence, key):
    token = key(owner)
    first = purchase_make(actor=owner, product=licence, quantity="2", purchase_key=token, profile=profile)
    again = purchase_make(actor=owner, product=licence, quantity="2", purchase_key=token, profile=profile)
    assert first.pk == again.pk and Charge.objects.count() == 1
    colleague = UserFactory()
    grant(colleague, Role.CONTRIBUTOR, profile)
    before = written()
    with pytest.raises(ValidationError, match="expired"):  # a key is the user's own: never someone else's
        purchase_make(actor=colleague, product=licence, quantity="2", purchase_key=token, profile=profile)
    with pytest.raises(ValidationError, match="expired"):  # nor one a client makes up
        purchase_make(actor=owner, product=licence, quantity="2", purchase_key="abc:def", profile=profile)
    with pytest.raises(ValidationError, match="expired"):  # a used key does not buy something else
        purchase_make(actor=owner, product=licence, quantity="5", purchase_key=token, profile=profile)
    assert written() == before


@pytest.mark.parametrize(("quantity", "message"), [
    ("0", "greater than zero"), ("-3", "greater than zero"), ("1.5", "whole number"),
    ("10001", "At most 10,000"), ("1e30", "At most"), ("NaN", "Enter a quantity"), ("abc", "Enter a quantity"),
    ("", "Enter a quantity"),
])
def test_bad_quantities_are_refused_with_a_message_and_nothing_written(owner, profile, licence, key, quantity,
                                                                          message):
    before = written()
    with pytest.raises(ValidationError, match=message):
        purchase_make(actor=owner, product=licence, quantity=quantity, purchase_key=key(owner), profile=profile)
    assert written() == before


def test_a_fractional_product_takes_fractions_up_to_four_decimals(owner, profile, key):
    storage = priced(ProductFactory(unit=Product.Unit.FRACTIONAL, unit_name="TB"), EUR="20.00")
    bought = purchase_make(actor=owner, product=storage, quantity="1.25", purchase_key=key(owner), profile=profile)
    assert bought.amount == Decimal("25.00")
    with pytest.raises(ValidationError, match="4 decimals"):
        purchase_make(actor=owner, product=storage, quantity="1.00001", purchase_key=key(owner), profile=profile)


def test_no_price_in_the_profiles_currency_is_refused(owner, key):
    usd_only = priced(ProductFactory(name="Fabrikam Tool"), USD="10.00")
    profile = BillingProfile.objects.get(role_assignments__user=owner)
    before = written()
    with pytest.raises(ValidationError, match="Fabrikam Tool has no price in EUR"):
        purchase_make(actor=owner, product=usd_only, quantity="1", purchase_key=key(owner), profile=profile)
    assert written() == before


def test_a_product_off_sale_is_refused(owner, profile, licence, key):
    licence.is_active = False
    licence.save()
    with pytest.raises(ValidationError, match="no longer on sale"):
        purchase_make(actor=owner, product=licence, quantity="1", purchase_key=key(owner), profile=profile)


def test_a_disabled_profile_takes_no_purchase(owner, profile, licence, key):
    BillingProfileFactory(account=profile.account)  # so the profile is not the account's last active one
    profile_disable(actor=None, profile=profile)
    before = written()
    with pytest.raises(ValidationError, match="is disabled"):
        purchase_make(actor=owner, product=licence, quantity="1", purchase_key=key(owner), profile=profile)
    assert written() == before


@pytest.mark.parametrize("role", [Role.READER, Role.INVOICE_MANAGER])
def test_who_may_only_read_or_pay_may_not_buy(profile, licence, key, role):
    user = UserFactory()
    grant(user, role, profile)
    before = written()
    with pytest.raises(PermissionDenied):
        purchase_make(actor=user, product=licence, quantity="1", purchase_key=key(user), profile=profile)
    assert written() == before


def test_account_contributors_buy_on_every_profile_and_account_readers_do_not(profile, licence, key):
    contributor, reader = UserFactory(), UserFactory()
    grant(contributor, Role.ACCOUNT_CONTRIBUTOR, profile.account)
    grant(reader, Role.ACCOUNT_READER, profile.account)
    assert purchase_make(actor=contributor, product=licence, quantity="1", purchase_key=key(contributor),
                         profile=profile).profile == profile
    with pytest.raises(PermissionDenied):
        purchase_make(actor=reader, product=licence, quantity="1", purchase_key=key(reader), account=profile.account)


def test_the_first_purchase_of_an_account_creates_its_default_profile(licence, key):
    account = BillingAccountFactory(country="JP", tax_rate=10, sold_to_address="1-1 Marunouchi\nTokyo")
    buyer = UserFactory(first_name="Kenji", last_name="Sato")
    grant(buyer, Role.ACCOUNT_CONTRIBUTOR, account)
    bought = purchase_make(actor=buyer, product=licence, quantity="2", purchase_key=key(buyer), account=account,
                           today=TODAY)
    profile = bought.profile
    assert bought.created_profile and (bought.amount, bought.currency) == (Decimal("3600"), "JPY")
    assert (profile.account, profile.is_default, profile.currency, profile.bill_to_address) == (
        account, True, "JPY", "1-1 Marunouchi\nTokyo")
    assert profile.contact_email == buyer.email
    assert RoleAssignment.objects.get(profile=profile).user == buyer  # the purchaser owns it
    assert ActivityEvent.objects.get(verb="purchase.made").changes["created_default_profile"] == profile.name
    # The second purchase lands on that profile; no second profile.
    purchase_make(actor=buyer, product=licence, quantity="1", purchase_key=key(buyer), account=account)
    assert BillingProfile.objects.filter(account=account).count() == 1
    assert Charge.objects.filter(profile=profile).count() == 2


def test_an_account_reader_cannot_make_the_first_purchase(licence, key):
    account = BillingAccountFactory()
    reader = UserFactory()
    grant(reader, Role.ACCOUNT_READER, account)
    with pytest.raises(PermissionDenied):
        purchase_make(actor=reader, product=licence, quantity="1", purchase_key=key(reader), account=account)
    assert not BillingProfile.objects.filter(account=account).exists()
