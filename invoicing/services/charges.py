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
        "product": str(item["product"])[:60],
        "description": str(item["description"])[:200],
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": round_money(quantity * unit_price, currency),
        "currency": currency,
        "service_period_start": start,
        "service_period_end": end,
        "credit_eligible": bool(item.get("credit_eligible", True)),
    }


def purchase_record(*, actor, account: BillingAccount, items: list[dict], profile: BillingProfile | None = None,
                    ) -> list[Charge]:
    """Record a purchase on ``profile`` (default: the account's default profile).

    An account without any profile gets its default profile first, with the purchaser as owner.
    """
    if not items:
        raise ValidationError(_("A purchase needs at least one item."))
    with transaction.atomic():
        BillingAccount.objects.select_for_update().filter(pk=account.pk).first()
        if profile is None:
            profile = account.profiles.filter(is_default=True).first() or account.profiles.first()
        if profile is None:
            profile = profile_create(
                actor=None, account=account, name=_("Default billing profile"),
                bill_to_address=account.sold_to_address,
                contact_name=getattr(actor, "display_name", "") or account.name,
                contact_email=getattr(actor, "email", "") or "billing@example.com", is_default=True,
            )
            if getattr(actor, "pk", None):
                role_grant(actor=None, user_email=actor.email, role=Role.OWNER, profile=profile)
        elif actor is not None and getattr(actor, "pk", None) and not support_may(actor, SupportAction.EDIT) \
                and not has_action(actor, Action.EDIT, profile):
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
