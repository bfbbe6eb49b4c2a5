"""Payment methods: only what may be stored is ever stored (brand, last 4, expiry, token; masked IBAN)."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from billing_admin.core import activity
from billing_admin.core.permissions import Action, SupportAction, has_action, require_support
from billing_admin.core.text import NAME_MAX_LENGTH, clean_text
from profiles.gateway import card_brand, get_gateway
from profiles.models import BillingProfile, PaymentMethod
from profiles.registry import first_blocker, registry

# Countries of the SEPA direct-debit scheme: bank accounts elsewhere are refused.
SEPA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "SM",
        "VA",
        "AD",
    ]
)


def _check(actor, profile, support: bool = False) -> None:
    """actor None = the system. ``support=True``: a support engineer in the Django admin."""
    if actor is not None and support:
        require_support(actor, SupportAction.MANAGE_PAYMENT_METHODS)
        return
    if actor is not None and not has_action(actor, Action.MANAGE_PAYMENT_METHODS, profile):
        raise PermissionDenied(_("You may not manage payment methods of this billing profile."))


def luhn_ok(number: str) -> bool:
    total, parity = 0, len(number) % 2
    for i, ch in enumerate(number):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@sensitive_variables("number", "digits", "cvc")
def validate_card(*, number: str, exp_month, exp_year, cvc: str, holder: str, today: date | None = None) -> dict:
    """Return the cleaned card data or raise ValidationError with a message per field."""
    today = today or date.today()
    errors: dict[str, str] = {}
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        errors["number"] = _("Enter the card number: 12 to 19 digits.")
    elif not luhn_ok(digits):
        errors["number"] = _("This card number is not valid. Check it for typing errors.")
    try:
        month, year = int(exp_month), int(exp_year)
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise ValueError
        if year < 2000:
            errors["exp_year"] = _("Enter a valid expiry year.")
        elif (year, month) < (today.year, today.month):
            errors["exp_month"] = _("This card has expired.")
        elif year > today.year + 20:
            errors["exp_year"] = _("Enter a valid expiry year.")
    except (TypeError, ValueError):
        errors["exp_month"] = _("Enter the expiry month (1-12) and year.")
        month = year = 0
    brand = card_brand(digits) if "number" not in errors else ""
    cvc = (cvc or "").strip()
    expected = 4 if brand == "American Express" else 3
    if not cvc.isdigit() or len(cvc) != expected:
        errors["cvc"] = _("Enter the %(n)d-digit security code from the card.") % {"n": expected}
    try:
        holder = clean_text(holder, field="holder", max_length=NAME_MAX_LENGTH,
                            required_message=_("Enter the name on the card."))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return {"number": digits, "exp_month": month, "exp_year": year, "cvc": cvc, "holder": holder}


def _create(profile: BillingProfile, actor, refuse_if=None, **fields) -> PaymentMethod:
    """Add a method; ``refuse_if(profile)`` (errors or None) is asked under the profile's row lock,
    so two concurrent requests cannot both pass a check such as "one wire transfer per profile"."""
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        errors = refuse_if(profile) if refuse_if else None
        if errors:
            raise ValidationError(errors)
        has_default = PaymentMethod.objects.filter(profile=profile, is_default=True).exists()
        method = PaymentMethod(profile=profile, is_default=not has_default, **fields)
        method.full_clean()
        method.save()
        activity.record(
            actor=actor,
            verb="payment_method.added",
            target=method,
            profile=profile,
            changes={"kind": method.kind, "label": method.label, "is_default": method.is_default},
        )
    return method


@sensitive_variables("number", "cvc", "card")
def payment_method_add_card(*, actor, profile, number, exp_month, exp_year, cvc, holder) -> PaymentMethod:
    _check(actor, profile)
    card = validate_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder=holder)
    token = get_gateway().tokenize(**card)  # the number and CVC go no further than this call

    def same_card(profile):
        cards = PaymentMethod.objects.filter(profile=profile, kind=PaymentMethod.Kind.CARD,
                                             card_exp_month=card["exp_month"], card_exp_year=card["exp_year"])
        cards = (cards.filter(card_fingerprint=token.fingerprint) if token.fingerprint
                 else cards.filter(card_brand=token.brand, card_last4=token.last4))
        existing = cards.first()
        if existing is not None:
            return {"number": _("This card is already a payment method of this profile (%(label)s).")
                    % {"label": existing.label}}
        return None

    return _create(
        profile,
        actor,
        refuse_if=same_card,
        kind=PaymentMethod.Kind.CARD,
        card_fingerprint=token.fingerprint,
        card_brand=token.brand,
        card_last4=token.last4,
        card_exp_month=card["exp_month"],
        card_exp_year=card["exp_year"],
        card_holder=card["holder"],
        gateway_token=token.token,
    )


def mask_iban(iban: IBAN) -> str:
    return f"{iban.country_code}•• {str(iban.compact)[-4:]}"


@sensitive_variables("iban", "parsed")
def payment_method_add_bank_account(*, actor, profile, holder, iban, bic) -> PaymentMethod:
    _check(actor, profile)
    errors: dict[str, str] = {}
    try:
        holder = clean_text(holder, field="holder", max_length=NAME_MAX_LENGTH,
                            required_message=_("Enter the account holder's name."))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    parsed = None
    try:
        parsed = IBAN(iban or "")
    except SchwiftyException:
        errors["iban"] = _("This IBAN is not valid. Check it for typing errors.")
    if parsed is not None and parsed.country_code not in SEPA_COUNTRIES:
        errors["iban"] = _("Bank accounts in %(country)s cannot be used; choose a card or wire transfer.") % {
            "country": parsed.country_code
        }
    bic_value = (bic or "").strip().upper()
    if bic_value:
        try:
            bic_value = str(BIC(bic_value))
        except SchwiftyException:
            errors["bic"] = _("This BIC is not valid.")
    elif parsed is not None and "iban" not in errors:
        try:
            bic_value = str(parsed.bic) if parsed.bic else ""
        except SchwiftyException:
            bic_value = ""
    if errors:
        raise ValidationError(errors)
    return _create(
        profile,
        actor,
        kind=PaymentMethod.Kind.BANK_ACCOUNT,
        bank_holder=holder,
        iban_masked=mask_iban(parsed),
        bic=bic_value[:11],
    )


def payment_method_add_wire_transfer(*, actor, profile) -> PaymentMethod:
    _check(actor, profile)

    def has_one(profile):
        if PaymentMethod.objects.filter(profile=profile, kind=PaymentMethod.Kind.WIRE_TRANSFER).exists():
            return {"kind": _("This profile already pays by cheque / wire transfer.")}
        return None

    return _create(profile, actor, refuse_if=has_one, kind=PaymentMethod.Kind.WIRE_TRANSFER)


def payment_method_set_default(*, actor, method: PaymentMethod, support: bool = False) -> PaymentMethod:
    _check(actor, method.profile, support)
    with transaction.atomic():
        BillingProfile.objects.select_for_update().get(pk=method.profile_id)
        PaymentMethod.objects.filter(profile_id=method.profile_id, is_default=True).exclude(pk=method.pk).update(
            is_default=False
        )
        method = PaymentMethod.objects.filter(pk=method.pk).first()
        if method is None:
            raise ValidationError(_("This payment method was already removed."))
        if not method.is_default:
            method.is_default = True
            method.save(update_fields=["is_default", "updated"])
            activity.record(
                actor=actor, verb="payment_method.default_set", target=method, changes={"label": method.label}
            )
    return method


def removal_blocker(method: PaymentMethod) -> str | None:
    """Why the method cannot be removed, or None: only the last method of a profile is ever held back,
    by the rules higher apps registered (unpaid invoices, charges waiting to be invoiced)."""
    if PaymentMethod.objects.filter(profile_id=method.profile_id).exclude(pk=method.pk).exists():
        return None
    return first_blocker(registry.payment_method_removal_blockers, method.profile)


def payment_method_remove(*, actor, method: PaymentMethod, support: bool = False) -> None:
    _check(actor, method.profile, support)
    with transaction.atomic():
        BillingProfile.objects.select_for_update().get(pk=method.profile_id)
        method = PaymentMethod.objects.filter(pk=method.pk).first()
        if method is None:  # removed meanwhile (a double click, another tab)
            raise ValidationError(_("This payment method was already removed."))
        reason = removal_blocker(method)
        if reason:
            raise ValidationError(reason)
        was_default = method.is_default
        label = method.label
        activity.record(
            actor=actor, verb="payment_method.removed", target=method, profile=method.profile, changes={"label": label}
        )
        profile_id = method.profile_id
        method.delete()
        if was_default:
            successor = PaymentMethod.objects.filter(profile_id=profile_id).order_by("created", "pk").first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated"])
