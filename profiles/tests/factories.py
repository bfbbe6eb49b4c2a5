from __future__ import annotations

import factory

from billing_admin.core.tests.factories import PASSWORD, UserFactory  # noqa: F401 - the apps' tests import them here
from profiles.models import BillingAccount, BillingProfile, InvoiceRecipient, PaymentMethod, Role, RoleAssignment
from profiles.services.roles import role_grant


class BillingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingAccount

    name = factory.Sequence(lambda n: f"Account {n} B.V.")
    country = "NL"
    sold_to_address = "Keizersgracht 1\n1015 CJ Amsterdam"
    tax_rate = 21


class BillingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingProfile

    account = factory.SubFactory(BillingAccountFactory)
    name = factory.Sequence(lambda n: f"Profile {n}")
    currency = factory.LazyAttribute(lambda o: o.account.currency)
    bill_to_address = "Damrak 1\n1012 LG Amsterdam"
    contact_name = "Pat Procurement"
    contact_email = factory.Sequence(lambda n: f"finance{n}@example.com")


class InvoiceRecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceRecipient

    profile = factory.SubFactory(BillingProfileFactory)
    email = factory.Sequence(lambda n: f"ap{n}@example.com")


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    profile = factory.SubFactory(BillingProfileFactory)
    kind = PaymentMethod.Kind.CARD
    card_brand = "Visa"
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = 2030
    card_holder = "Pat Procurement"
    gateway_token = factory.Sequence(lambda n: f"tok_sandbox_{n:08d}")


class WireTransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    profile = factory.SubFactory(BillingProfileFactory)
    kind = PaymentMethod.Kind.WIRE_TRANSFER


class RoleAssignmentFactory(factory.Factory):
    """A role granted through ``role_grant`` (guardian permissions and the activity log follow);
    on a profile by default, on an account with ``account=...`` and ``profile=None``."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    profile = factory.SubFactory(BillingProfileFactory)
    account = None
    role = Role.OWNER

    @classmethod
    def _create(cls, model_class, *, user, profile, account, role):
        return role_grant(actor=None, user_email=user.email, role=role, profile=profile, account=account)
