"""Monthly subscriptions: the first month prorated by day to the cent on the next invoice (EUR, JPY,
KWD), each later month charged once, quantity changes from the next charge, cancel at period end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing_admin.core.models import ActivityEvent
from conftest import grant
from invoicing.models import Charge
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import billing_period, invoice_generate, invoices_generate
from invoicing.services.payments import payment_record_transfer
from profiles.models import Role
from profiles.services.profiles import profile_disable
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory
from purchases.models import Product, Subscription, SubscriptionCharge
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.services.subscriptions import (
    subscription_cancel,
    subscription_change_quantity,
    subscriptions_charge_due,
)
from purchases.tasks import charge_subscriptions_task
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db


def invoice_on(profile, day: date):
    start, end = billing_period(day)
    return invoice_generate(profile_id=profile.pk, period_start=start, period_end=end, issue_date=day)[0]


def subscribe(profile, product, quantity, today, user=None):
    user = user or UserFactory()
    grant(user, Role.OWNER, profile)
    return purchase_make(actor=user, product=product, quantity=quantity, purchase_key=purchase_key_issue(user=user),
                         profile=profile, today=today).subscription


@pytest.fixture
def monthly():
    product = ProductFactory(name="Teams Premium", sku="TEAMS-P", billing=Product.Billing.MONTHLY, unit_name="user")
    return priced(product, EUR="7.99", JPY="1190", KWD="2.475")


# Bought on 16 November (15 of November's 30 days left) and on 10 December (22 of 31 days).
@pytest.mark.parametrize(("country", "bought", "quantity", "expected"), [
    ("NL", date(2026, 11, 16), "7", Decimal("27.97")),   # 7 × 7.99 × 15/30 = 27.965 → 27.97 (half-up)
    ("JP", date(2026, 11, 16), "3", Decimal("1785")),    # 3 × 1190 × 15/30 = 1785
    ("KW", date(2026, 11, 16), "3", Decimal("3.713")),   # 3 × 2.475 × 15/30 = 3.7125 → 3.713
    ("NL", date(2026, 12, 10), "3", Decimal("17.01")),   # 3 × 7.99 × 22/31 = 17.0110 → 17.01
])
def test_a_subscription_bought_mid_month_is_prorated_to_the_cent_on_the_next_invoice(monthly, country, bought,
                                                                                     quantity, expected):
    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=0))
    subscription = subscribe(profile, monthly, quantity, bought)
    invoice = invoice_on(profile, date(bought.year + bought.month // 12, bought.month % 12 + 1, 1))
    (line,) = invoice.lines.all()
    assert (line.amount, invoice.currency, invoice.amount_due) == (expected, profile.currency, expected)
    assert line.service_period_start == bought and line.service_period_end.month == bought.month
    assert subscription.next_charge_on == date(bought.year + bought.month // 12, bought.month % 12 + 1, 1)


def test_each_later_month_is_charged_once_in_full_by_the_daily_task_or_else_by_the_invoice_run(monthly):
    profile = BillingProfileFactory()  # NL, 21 % tax, invoice day 1
    subscription = subscribe(profile, monthly, "2", date(2026, 11, 16))
    december = invoice_on(profile, date(2026, 12, 1))
    assert [line.amount for line in december.lines.all()] == [Decimal("7.99")]  # 2 × 7.99 × 15/30
    assert december.amount_due == Decimal("9.67")  # + 1.68 tax
    assert charge_subscriptions_task.delay("2026-12-01").get() == 1  # December, charged on its first day
    assert subscriptions_charge_due(today=date(2026, 12, 20)) == 0  # a second run charges nothing
    assert invoice_on(profile, date(2027, 1, 1)).lines.get().amount == Decimal("15.98")
    # No daily task ran in January: the invoice run that closes January charges it, once.
    assert invoice_on(profile, date(2027, 2, 1)).lines.get().amount == Decimal("15.98")
    subscription.refresh_from_db()
    assert subscription.next_charge_on == date(2027, 2, 1)
    assert list(SubscriptionCharge.objects.filter(subscription=subscription).values_list("period_start", flat=True)
                ) == [date(2026, 11, 16), date(2026, 12, 1), date(2027, 1, 1)]


def test_cancel_stops_the_next_months_charge(monthly):
    profile = BillingProfileFactory()
    owner = UserFactory()
    subscription = subscribe(profile, monthly, "1", date(2026, 11, 16), user=owner)
    subscription = subscription_cancel(actor=owner, subscription=subscription, today=date(2026, 11, 20))
    assert (subscription.status, subscription.ends_on, subscription.next_charge_date) == (
        "cancelled", date(2026, 11, 30), None)
    assert ActivityEvent.objects.filter(verb="subscription.cancelled", actor=owner).count() == 1
    assert invoice_on(profile, date(2026, 12, 1)).lines.get().amount == Decimal("4.00")  # 7.99 × 15/30, charged
    assert subscriptions_charge_due(today=date(2026, 12, 1)) == 0
    assert invoice_on(profile, date(2027, 1, 1)) is None  # nothing for December
    assert Charge.objects.filter(profile=profile).count() == 1


def test_cancelled_in_a_month_already_charged_it_ends_with_that_month(monthly):
    profile = BillingProfileFactory()
    owner = UserFactory()
    subscription = subscribe(profile, monthly, "1", date(2026, 11, 16), user=owner)
    subscriptions_charge_due(today=date(2026, 12, 1))
    subscription = subscription_cancel(actor=owner, subscription=subscription, today=date(2026, 12, 5))
    assert subscription.ends_on == date(2026, 12, 31)
    assert subscriptions_charge_due(today=date(2027, 1, 1)) == 0
    # No invoice on 1 December here: the next one takes November's part and all of December.
    assert [line.amount for line in invoice_on(profile, date(2027, 1, 1)).lines.all()] == [Decimal("4.00"),
                                                                                          Decimal("7.99")]
    assert invoice_on(profile, date(2027, 2, 1)) is None


def test_a_new_quantity_is_charged_from_the_next_charge_on(monthly):
    profile = BillingProfileFactory()
    owner = UserFactory()
    subscription = subscribe(profile, monthly, "2", date(2026, 11, 16), user=owner)
    subscription_change_quantity(actor=owner, subscription=subscription, quantity="5")
    assert ActivityEvent.objects.get(verb="subscription.quantity_changed").changes["quantity"] == ["2.0000", "5"]
    assert invoice_on(profile, date(2026, 12, 1)).lines.get().amount == Decimal("7.99")  # November kept 2
    subscriptions_charge_due(today=date(2026, 12, 1))
    assert invoice_on(profile, date(2027, 1, 1)).lines.get().amount == Decimal("39.95")  # 5 × 7.99


@pytest.mark.parametrize(("quantity", "message"), [("0", "greater than zero"), ("2.5", "whole number"),
                                                  ("-1", "greater than zero"), ("99999999", "At most")])
def test_bad_quantity_changes_are_refused_and_change_nothing(monthly, quantity, message):
    profile = BillingProfileFactory()
    owner = UserFactory()
    subscription = subscribe(profile, monthly, "2", date(2026, 11, 16), user=owner)
    with pytest.raises(ValidationError, match=message):
        subscription_change_quantity(actor=owner, subscription=subscription, quantity=quantity)
    subscription.refresh_from_db()
    assert subscription.quantity == 2
    assert not ActivityEvent.objects.filter(verb="subscription.quantity_changed").exists()


@pytest.mark.parametrize("role", [Role.READER, Role.INVOICE_MANAGER])
def test_readers_and_invoice_managers_may_not_change_or_cancel(monthly, role):
    profile = BillingProfileFactory()
    subscription = subscribe(profile, monthly, "2", date(2026, 11, 16))
    user = UserFactory()
    grant(user, role, profile)
    with pytest.raises(PermissionDenied):
        subscription_change_quantity(actor=user, subscription=subscription, quantity="3")
    with pytest.raises(PermissionDenied):
        subscription_cancel(actor=user, subscription=subscription)
    assert Subscription.objects.get(pk=subscription.pk).status == "active"


def test_a_profile_with_a_running_subscription_is_not_disabled_until_its_last_period_is_invoiced(monthly):
    profile = BillingProfileFactory()
    BillingProfileFactory(account=profile.account)  # not the account's last active profile
    owner = UserFactory()
    subscription = subscribe(profile, monthly, "1", date(2026, 11, 16), user=owner)

    def pay(day):
        invoice = invoice_on(profile, day)
        payment_record_transfer(actor=None, invoice=invoice, amount=invoice.amount_due, reference=f"REF-{day}")

    pay(date(2026, 12, 1))  # November is invoiced and paid: nothing else holds the profile
    with pytest.raises(ValidationError, match="subscriptions that are still charged"):
        profile_disable(actor=owner, profile=profile)
    subscription_cancel(actor=owner, subscription=subscription, today=date(2026, 12, 5))  # ends 31 December
    with pytest.raises(ValidationError, match="subscriptions that are still charged"):
        profile_disable(actor=owner, profile=profile)  # December is not charged yet
    subscriptions_charge_due(today=date(2026, 12, 5))
    pay(date(2027, 1, 1))
    assert profile_disable(actor=owner, profile=profile).status == "disabled"


def test_a_batch_of_the_invoice_run_charges_each_of_its_profiles_months_on_that_profile_s_invoice(monthly):
    """The invoice run issues profiles in batches; when no daily task charged December, the hook charges it for
    every profile of the batch with a subscription, each on its own invoice, and nothing to a profile without."""
    account = BillingAccountFactory()  # NL, 21 % tax
    two, three, none = (BillingProfileFactory(account=account) for _ in range(3))
    subscribe(two, monthly, "2", date(2026, 11, 16))
    subscribe(three, monthly, "3", date(2026, 11, 20))
    purchase_record(actor=None, account=account, profile=none, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10",
        service_period_start=date(2026, 12, 1), service_period_end=date(2026, 12, 31))])
    for day in (date(2026, 12, 1), date(2027, 1, 1)):  # November's prorated months, then December's
        start, end = billing_period(day)
        issued = invoices_generate(profile_ids=[two.pk, three.pk, none.pk], period_start=start, period_end=end,
                                   issue_date=day)
    amounts = {pk: [line.amount for line in invoice.lines.all()] for pk, (invoice, _made) in issued.invoices.items()}
    assert amounts == {two.pk: [Decimal("15.98")], three.pk: [Decimal("23.97")], none.pk: [Decimal("10.00")]}
