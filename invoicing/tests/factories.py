"""Factories of the invoicing app. Invoices, credit lots and payments are made through the real
services (a purchase, then ``invoice_generate``; ``credit_lot_add``; ``invoice_pay``), so a test
gets what a customer would have: numbers, lines, credits applied, the activity log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from invoicing.models import Charge, CreditLot, Invoice, Payment
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.invoices import invoice_generate
from invoicing.services.payments import invoice_pay, payment_key_issue
from profiles.models import Role
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, RoleAssignmentFactory


class ChargeFactory(factory.django.DjangoModelFactory):
    """A charge row as stored (for constraint tests); a purchase goes through ``purchase_record``."""

    class Meta:
        model = Charge

    profile = factory.SubFactory(BillingProfileFactory)
    product = factory.Sequence(lambda n: f"SKU-{n:04d}")
    description = "Azure Virtual Machines D2s v5"
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    amount = factory.LazyAttribute(lambda o: o.quantity * o.unit_price)
    currency = factory.LazyAttribute(lambda o: o.profile.currency)
    service_period_start = date(2026, 10, 1)
    service_period_end = date(2026, 10, 31)


class InvoiceFactory(factory.Factory):
    """An invoice issued by the real service: one charge (``quantity`` × ``unit_price``) bought for the
    period, then ``invoice_generate`` on ``issue_date``. Default: €10 for October 2026, issued 1 November."""

    class Meta:
        model = Invoice

    profile = factory.SubFactory(BillingProfileFactory)
    unit_price = "10"
    quantity = "1"
    credit_eligible = True
    period_start = date(2026, 10, 1)
    period_end = date(2026, 10, 31)
    issue_date = date(2026, 11, 1)

    @classmethod
    def _create(cls, model_class, *, profile, unit_price, quantity, credit_eligible, period_start, period_end,
                issue_date):
        purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
            product="VM", description="VM", quantity=quantity, unit_price=unit_price, credit_eligible=credit_eligible,
            service_period_start=period_start, service_period_end=period_end)])
        invoice, _created = invoice_generate(profile_id=profile.pk, period_start=period_start, period_end=period_end,
                                             issue_date=issue_date)
        return invoice


class CreditLotFactory(factory.Factory):
    """A lot added by ``credit_lot_add`` (with its ``credit_added`` ledger row)."""

    class Meta:
        model = CreditLot

    profile = factory.SubFactory(BillingProfileFactory)
    source = CreditLot.Source.PROMOTIONAL
    amount = "50"
    start_date = date(2026, 1, 1)
    expiration_date = date(2099, 1, 1)
    reference = ""

    @classmethod
    def _create(cls, model_class, **kwargs):
        return credit_lot_add(actor=None, **kwargs)


class PaymentFactory(factory.Factory):
    """The invoice paid with a sandbox card (``number`` decides the outcome) through ``invoice_pay``."""

    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    number = "4242424242424242"
    payer = None  # who pays: default a new invoice manager of the profile

    @classmethod
    def _create(cls, model_class, *, invoice, number, payer):
        if payer is None:
            payer = RoleAssignmentFactory(profile=invoice.profile, role=Role.INVOICE_MANAGER).user
        method = payment_method_add_card(actor=None, profile=invoice.profile, number=number, exp_month=12,
                                         exp_year=2031, cvc="123", holder="Pat")
        return invoice_pay(actor=payer, invoice=invoice, payment_method=method,
                           idempotency_key=payment_key_issue(actor=payer, invoice=invoice))
