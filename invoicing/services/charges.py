"""Purchases: what was bought lands as charges on a profile."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import round_money, to_decimal
from billing_admin.core.permissions import Action, SupportAction, has_action, support_may
from invoicing.models import Charge
from profiles.models import BillingAccount, BillingProfile, Role
from profiles.services.profiles import profile_create
from profiles.services.roles import role_grant

PRODUCT_MAX_LENGTH = Charge._meta.get_field("product").max_length
DESCRIPTION_MAX_LENGTH = Charge._meta.get_field("description").max_length


def _clean_text(value, *, max_length: int, message: str) -> str:
    """The text as given, or a ValidationError: never cut short (an invoice prints what was bought)."""
    text = str(value if value is not None else "")
    if len(text) > max_length:
        raise ValidationError(message % {"max": max_length, "length": len(text)})
    return text


def _clean_product(product) -> str:
    return _clean_text(product, max_length=PRODUCT_MAX_LENGTH,
                       message=_("A product code may have at most %(max)s characters (this one has %(length)s)."))


def _clean_description(description) -> str:
    return _clean_text(description, max_length=DESCRIPTION_MAX_LENGTH,
                       message=_("A description may have at most %(max)s characters (this one has %(length)s)."))


def _clean_item(item: dict, currency: str) -> dict:
    try:
        quantity = to_decimal(item["quantity"])
        unit_price = to_decimal(item["unit_price"])
    except (KeyError, ValueError, TypeError):
        raise ValidationError(_("Each item needs a quantity and a unit price.")) from None
    if quantity <= 0:
        raise ValidationError(_("The quantity must be greater than zero."))
    if unit_price < 0:
        raise ValidationError(_("The unit price cannot be negative."))
    start, end = item["service_period_start"], item["service_period_end"]
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise ValidationError(_("The service period must end on or after its start."))
    return {
        "product": _clean_product(item.get("product")),
        "description": _clean_description(item.get("description")),
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": round_money(quantity * unit_price, currency),
        "currency": currency,
        "service_period_start": start,
        "service_period_end": end,
        "credit_eligible": bool(item.get("credit_eligible", True)),
    }


def default_profile_for_purchase(*, actor, account: BillingAccount) -> tuple[BillingProfile, bool]:
    """The profile a purchase on ``account`` lands on: its default profile, else its first active one.

    An account without any profile gets its default profile now (the first purchase creates it, as
    the billing profiles help page says): the account's sold-to address as bill-to, the purchaser as
    contact and owner. Call it inside the purchase's transaction, with the account row locked, so
    concurrent first purchases make one profile. Returns (profile, created).
    """
    active = account.profiles.filter(status=BillingProfile.Status.ACTIVE)
    profile = active.filter(is_default=True).first() or active.order_by("created", "pk").first()
    if profile is not None:
        return profile, False
    if account.profiles.exists():
        raise ValidationError(_("All billing profiles of this account are disabled."))
    if actor is not None and getattr(actor, "pk", None) and not support_may(actor, SupportAction.EDIT) \
            and not has_action(actor, Action.PURCHASE, account):
        raise PermissionDenied(_("You may not buy on this billing account."))
    profile = profile_create(
        actor=None, account=account, name=_("Default billing profile"),
        bill_to_address=account.sold_to_address,
        contact_name=(getattr(actor, "display_name", "") or account.name)[:120],
        contact_email=getattr(actor, "email", "") or "billing@example.com", is_default=True,
    )
    if getattr(actor, "pk", None):
        role_grant(actor=None, user_email=actor.email, role=Role.OWNER, profile=profile)
    return profile, True


def charge_add(*, profile: BillingProfile, product: str, description: str, quantity, unit_price, amount,
               service_period_start: date, service_period_end: date, credit_eligible: bool = True,
               purchased_by=None) -> Charge:
    """One charge with an amount the caller computed (a prorated month, say), validated and saved.

    For the caller's transaction: the caller checks who may buy and writes the activity event.
    """
    charge = Charge(
        profile=profile, product=_clean_product(product), description=_clean_description(description),
        quantity=to_decimal(quantity), unit_price=to_decimal(unit_price),
        amount=round_money(amount, profile.currency), currency=profile.currency,
        service_period_start=service_period_start, service_period_end=service_period_end,
        credit_eligible=credit_eligible, purchased_by=purchased_by if getattr(purchased_by, "pk", None) else None,
    )
    charge.full_clean()
    charge.save()
    return charge


def purchase_record(*, actor, account: BillingAccount, items: list[dict], profile: BillingProfile | None = None,
                    ) -> list[Charge]:
    """Record a purchase on ``profile`` (default: the account's default profile).

    An account without any profile gets its default profile first, with the purchaser as owner.
    """
    if not items:
        raise ValidationError(_("A purchase needs at least one item."))
    with transaction.atomic():
        BillingAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()  # README, "Row locks"
        if profile is None:
            profile, _created = default_profile_for_purchase(actor=actor, account=account)
        if actor is not None and getattr(actor, "pk", None) and not support_may(actor, SupportAction.EDIT) \
                and not has_action(actor, Action.PURCHASE, profile):
            raise PermissionDenied(_("You may not buy on this billing profile."))
        if profile.account_id != account.pk:
            raise ValidationError(_("The billing profile belongs to another account."))
        if not profile.is_active:
            raise ValidationError(_("The billing profile is disabled."))
        charges = []
        for item in items:
            charge = Charge(profile=profile, purchased_by=actor if getattr(actor, "pk", None) else None,
                            **_clean_item(item, profile.currency))
            charge.full_clean()
            charge.save()
            charges.append(charge)
        activity.record(actor=actor, verb="purchase.recorded", target=profile,
                        changes={"charges": len(charges), "amount": str(sum(c.amount for c in charges))})
    return charges
