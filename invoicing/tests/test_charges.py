"""Charges recorded for a purchase keep what was bought, word for word, or are refused with a message."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from invoicing.models import Charge
from invoicing.services.charges import purchase_record
from profiles.tests.factories import BillingProfileFactory

pytestmark = pytest.mark.django_db


def item(**overrides):
    return {"product": "VM-D2s", "description": "Virtual machine D2s v5", "quantity": "1", "unit_price": "50",
            "service_period_start": date(2026, 10, 1), "service_period_end": date(2026, 10, 31), **overrides}


@pytest.mark.parametrize(("field", "length", "words"), [("product", 61, "60"), ("description", 201, "200")])
def test_a_too_long_product_or_description_is_refused_not_cut_short(field, length, words):
    """A description cut at 200 characters would print another text on the invoice than was bought."""
    profile = BillingProfileFactory()
    with pytest.raises(ValidationError) as refused:
        purchase_record(actor=None, account=profile.account, profile=profile,
                        items=[item(), item(**{field: "x" * length})])
    assert words in " ".join(refused.value.messages)
    assert not Charge.objects.exists()  # the whole purchase, not its first item


def test_product_and_description_at_their_limits_are_kept_whole():
    profile = BillingProfileFactory()
    [charge] = purchase_record(actor=None, account=profile.account, profile=profile,
                               items=[item(product="p" * 60, description="d" * 200)])
    charge.refresh_from_db()
    assert (charge.product, charge.description) == ("p" * 60, "d" * 200)
