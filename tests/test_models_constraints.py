"""The database itself holds the rules (run against PostgreSQL in CI)."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from invoicing.models import CreditLot, Invoice, Payment
from invoicing.tests.factories import ChargeFactory
from profiles.models import BillingProfile, PaymentMethod, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, CardFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def invoice(profile, number, **kw):
    values = dict(profile=profile, account=profile.account, number=number, sequence=int(number[-3:]), year=2026,
                  period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), issue_date=date(2026, 11, 1),
                  due_date=date(2026, 12, 1), currency="EUR", account_name="A", sold_to_address="x",
                  profile_name="p", bill_to_address="y", subtotal=Decimal("10"), credits_applied=Decimal("0"),
                  tax=Decimal("2.10"), total=Decimal("12.10"), amount_due=Decimal("12.10"))
    values.update(kw)
    return Invoice.objects.create(**values)


def test_user_emails_are_unique_case_insensitively():
    UserFactory(email="pat@example.com")
    refused(lambda: get_user_model().objects.create(email="PAT@example.com"))


def test_profile_names_are_unique_within_an_account_only():
    profile = BillingProfileFactory(name="Marketing")
    refused(lambda: BillingProfileFactory(account=profile.account, name="marketing"))
    assert BillingProfileFactory(name="Marketing").pk  # another account may use the name


def test_one_default_payment_method_per_profile_and_no_card_without_last4_and_token():
    card = CardFactory(is_default=True)
    refused(lambda: CardFactory(profile=card.profile, is_default=True))
    refused(lambda: PaymentMethod.objects.create(profile=card.profile, kind="card", card_last4="", gateway_token=""))


def test_one_invoice_per_profile_and_period_unless_void_and_numbers_unique():
    profile = BillingProfileFactory()
    first = invoice(profile, "BA1-2026-000001")
    refused(lambda: invoice(profile, "BA1-2026-000002"))
    refused(lambda: invoice(BillingProfileFactory(), "BA1-2026-000001"))
    Invoice.objects.filter(pk=first.pk).update(status="void")
    assert invoice(profile, "BA1-2026-000003").pk


def test_invoice_money_must_reconcile_and_stay_non_negative():
    profile = BillingProfileFactory()
    refused(lambda: invoice(profile, "BA1-2026-000001", total=Decimal("12.11"), amount_due=Decimal("12.11")))
    refused(lambda: invoice(profile, "BA1-2026-000002", credits_applied=Decimal("11"), tax=Decimal("0"),
                            total=Decimal("-1"), amount_due=Decimal("-1")))


def test_charges_and_payments_refuse_negative_amounts():
    refused(lambda: ChargeFactory(quantity=Decimal("1"), unit_price=Decimal("-1"), amount=Decimal("-1")))
    profile = BillingProfileFactory()
    inv = invoice(profile, "BA1-2026-000001")
    refused(lambda: Payment.objects.create(invoice=inv, amount=Decimal("0"), currency="EUR", idempotency_key="k"))


def test_only_one_successful_payment_per_invoice():
    inv = invoice(BillingProfileFactory(), "BA1-2026-000001")
    Payment.objects.create(invoice=inv, amount=Decimal("12.10"), currency="EUR", status="succeeded",
                           idempotency_key="a")
    refused(lambda: Payment.objects.create(invoice=inv, amount=Decimal("12.10"), currency="EUR",
                                           status="succeeded", idempotency_key="b"))


def test_a_credit_lot_stays_between_zero_and_its_original_amount():
    profile = BillingProfileFactory()
    lot = dict(profile=profile, source="promotional", currency="EUR", start_date=date(2026, 1, 1),
               expiration_date=date(2026, 12, 31))
    refused(lambda: CreditLot.objects.create(original_amount=Decimal("10"), remaining=Decimal("11"), **lot))
    refused(lambda: CreditLot.objects.create(original_amount=Decimal("10"), remaining=Decimal("-1"), **lot))
    assert CreditLot.objects.create(original_amount=Decimal("10"), remaining=Decimal("10"), **lot).pk


def test_a_role_matches_its_scope_and_a_user_has_one_role_per_scope():
    profile, user = BillingProfileFactory(), UserFactory()
    refused(lambda: RoleAssignment.objects.create(user=user, profile=profile, role="account_owner"))
    refused(lambda: RoleAssignment.objects.create(user=user, profile=profile, account=profile.account,
                                                  role="owner"))
    RoleAssignment.objects.create(user=user, profile=profile, role="reader")
    refused(lambda: RoleAssignment.objects.create(user=user, profile=profile, role="owner"))


def test_one_default_profile_per_account():
    profile = BillingProfileFactory(is_default=True)
    refused(lambda: BillingProfile.objects.create(account=profile.account, name="Other", currency="EUR",
                                                  bill_to_address="x", contact_name="y",
                                                  contact_email="y@example.com", is_default=True))
