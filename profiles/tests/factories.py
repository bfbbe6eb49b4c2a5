from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from profiles.models import BillingAccount, BillingProfile, InvoiceRecipient, PaymentMethod

PASSWORD = "test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


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
