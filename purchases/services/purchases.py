"""Buying a product on a billing profile, or on an account (its default profile, which the first
purchase creates). Audited, and idempotent through a key the server issues with the form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_admin.core import activity
from billing_admin.core.dates import billing_today
from billing_admin.core.money import format_quantity, round_money, to_decimal
from billing_admin.core.permissions import Action, has_action
from invoicing.services.charges import charge_add, default_profile_for_purchase
from profiles.models import BillingAccount, BillingProfile
from purchases.models import Price, Product, Purchase, Subscription, SubscriptionCharge
from purchases.periods import billing_cycle, prorated_amount

KEY_SALT = "purchases.purchase-key"
KEY_MAX_AGE = 24 * 3600
FORM_EXPIRED = gettext_lazy("This purchase form has expired. Reload the page and try again.")


# --- the idempotency key: issued by the server, signed, and scoped to the user ---

def purchase_key_issue(*, user) -> str:
    """A fresh key for one purchase form, signed with the user's id: a client cannot choose a key,
    and one user's key never meets another user's purchase."""
    return signing.dumps({"u": user.pk, "k": secrets.token_hex(16)}, salt=KEY_SALT)


def purchase_key_read(*, user, token: str) -> str:
    try:
        data = signing.loads(str(token or "")[:200], salt=KEY_SALT, max_age=KEY_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(str(FORM_EXPIRED)) from None
    if not isinstance(data, dict) or data.get("u") != user.pk or not isinstance(data.get("k"), str):
        raise ValidationError(str(FORM_EXPIRED))
    return data["k"]


# --- validation and the quote the page shows ---

def clean_quantity(product: Product, value) -> Decimal:
    """A quantity the product can be bought in, or a ValidationError saying why not."""
    try:
        quantity = to_decimal(value)
    except (ValueError, TypeError):
        raise ValidationError({"quantity": _("Enter a quantity.")}) from None
    if not quantity.is_finite():
        raise ValidationError({"quantity": _("Enter a quantity.")})
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be greater than zero.")})
    if quantity > product.max_quantity:
        raise ValidationError({"quantity": _("At most %(max)s %(unit)s can be bought at once.")
                               % {"max": format_quantity(product.max_quantity), "unit": product.unit_name}})
    if product.unit == Product.Unit.WHOLE and quantity != quantity.to_integral_value():
        raise ValidationError({"quantity": _("%(product)s is sold in whole units (%(unit)s): enter a whole number.")
                               % {"product": product.name, "unit": product.unit_name}})
    if quantity.as_tuple().exponent < -4:
        raise ValidationError({"quantity": _("Use at most 4 decimals.")})
    return quantity


def price_for(product: Product, currency: str) -> Price:
    price = Price.objects.filter(product=product, currency=currency).first()
    if price is None:
        raise ValidationError({"product": _("%(product)s has no price in %(currency)s. Choose another product or a "
                                            "billing profile in another currency.")
                               % {"product": product.name, "currency": currency}})
    return price


def next_invoice_date(after: date, invoice_day: int) -> date:
    """The first invoice day after ``after``: the invoice that takes a charge ending on ``after``."""
    candidate = after.replace(day=invoice_day)
    return candidate if candidate > after else candidate + relativedelta(months=1)


@dataclass
class Quote:
    """What the page shows before the purchase is confirmed, and what the purchase charges."""

    product: Product
    quantity: Decimal
    currency: str
    unit_price: Decimal
    amount: Decimal  # charged now (a monthly product's first, prorated, period)
    monthly_amount: Decimal | None  # a monthly product's full month
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    period_start: date
    period_end: date
    days_charged: int
    days_in_period: int
    invoice_date: date
    next_charge_on: date | None


def purchase_quote(*, product: Product, quantity: Decimal, currency: str, tax_rate, invoice_day: int,
                   today: date) -> Quote:
    price = price_for(product, currency)
    if product.is_monthly:
        period_start, period_end = today, billing_cycle(today, invoice_day)[1]
        amount, charged, whole = prorated_amount(monthly=price.unit_price, quantity=quantity, start=period_start,
                                                 end=period_end, currency=currency, invoice_day=invoice_day)
        monthly = round_money(price.unit_price * quantity, currency)
        next_charge = period_end + timedelta(days=1)
    else:
        period_start = period_end = today
        amount, charged, whole = round_money(price.unit_price * quantity, currency), 1, 1
        monthly, next_charge = None, None
    tax_rate = to_decimal(tax_rate)
    tax = round_money(amount * tax_rate / 100, currency)
    return Quote(product=product, quantity=quantity, currency=currency, unit_price=price.unit_price, amount=amount,
                 monthly_amount=monthly, tax_rate=tax_rate, tax=tax, total=amount + tax, period_start=period_start,
                 period_end=period_end, days_charged=charged, days_in_period=whole,
                 invoice_date=next_invoice_date(period_end, invoice_day), next_charge_on=next_charge)


def charge_description(product: Product, start: date, end: date, charged: int, whole: int) -> str:
    """Stored on the charge and the invoice line; numbers and dates only, so it reads in any language."""
    if not product.is_monthly:
        return product.name[:200]
    text = f"{product.name} · {start.isoformat()} – {end.isoformat()}"
    if charged != whole:
        text += f" ({charged}/{whole})"
    return text[:200]


# --- the purchase ---

def purchase_make(*, actor, product: Product, quantity, purchase_key: str, profile: BillingProfile | None = None,
                  account: BillingAccount | None = None, today: date | None = None) -> Purchase:
    """Buy ``quantity`` of ``product`` on ``profile``, or on ``account``'s default profile (created by
    this purchase when the account has none, with ``actor`` as its owner).

    A one-time product becomes one charge; a monthly one a subscription and its first, prorated,
    charge. The same key twice returns the first purchase (a double click buys once).
    """
    if (profile is None) == (account is None):
        raise ValueError("Buy on exactly one of profile or account.")
    if actor is None or not getattr(actor, "pk", None):
        raise PermissionDenied(_("Only a signed-in person can buy."))
    key = purchase_key_read(user=actor, token=purchase_key)
    if not has_action(actor, Action.PURCHASE, profile if profile is not None else account):
        raise PermissionDenied(_("You may not buy on this billing profile.") if profile is not None
                               else _("You may not buy on this billing account."))
    quantity = clean_quantity(product, quantity)
    today = today or billing_today()
    with transaction.atomic():
        # One purchase at a time per account: the first purchases of an account make one profile, and a
        # repeated key finds the purchase it made.
        account = BillingAccount.objects.select_for_update(no_key=True).get(  # README, "Row locks"
            pk=profile.account_id if profile is not None else account.pk)
        earlier = Purchase.objects.filter(purchaser=actor, idempotency_key=key).select_related("profile").first()
        if earlier is not None:
            same_target = (earlier.profile_id == profile.pk if profile is not None
                           else earlier.profile.account_id == account.pk)
            if not same_target or earlier.product_id != product.pk or earlier.quantity != quantity:
                raise ValidationError(str(FORM_EXPIRED))
            return earlier
        product = Product.objects.get(pk=product.pk)
        if not product.is_active:
            raise ValidationError({"product": _("%(product)s is no longer on sale.") % {"product": product.name}})
        created = False
        if profile is None:
            profile, created = default_profile_for_purchase(actor=actor, account=account)
        profile = BillingProfile.objects.select_for_update(of=("self",)).select_related("account").get(pk=profile.pk)
        if not profile.is_active:
            raise ValidationError(_("The billing profile %(name)s is disabled: it takes no new purchases.")
                                  % {"name": profile.name})
        quote = purchase_quote(product=product, quantity=quantity, currency=profile.currency,
                               tax_rate=account.tax_rate, invoice_day=profile.invoice_day, today=today)
        purchase = Purchase(purchaser=actor, idempotency_key=key, profile=profile, product=product, quantity=quantity,
                            unit_price=quote.unit_price, currency=profile.currency, amount=quote.amount,
                            created_profile=created)
        purchase.full_clean(exclude=["charge"], validate_constraints=False)
        try:
            with transaction.atomic():
                purchase.save()
        except IntegrityError:  # the same key on another account at the same moment
            raise ValidationError(str(FORM_EXPIRED)) from None
        charge = charge_add(
            profile=profile, product=product.sku, quantity=quantity, unit_price=quote.unit_price, amount=quote.amount,
            description=charge_description(product, quote.period_start, quote.period_end, quote.days_charged,
                                           quote.days_in_period),
            service_period_start=quote.period_start, service_period_end=quote.period_end, purchased_by=actor)
        purchase.charge = charge
        purchase.save(update_fields=["charge"])
        changes = {"product": product.sku, "quantity": str(quantity), "amount": str(quote.amount),
                   "currency": profile.currency}
        if product.is_monthly:
            subscription = Subscription.objects.create(
                profile=profile, product=product, purchase=purchase, quantity=quantity, unit_price=quote.unit_price,
                currency=profile.currency, started_on=today, next_charge_on=quote.next_charge_on)
            SubscriptionCharge.objects.create(subscription=subscription, period_start=quote.period_start,
                                              period_end=quote.period_end, charge=charge)
            changes["subscription"] = subscription.pk
        if created:
            changes["created_default_profile"] = profile.name
        activity.record(actor=actor, verb="purchase.made", target=purchase, profile=profile, account=account,
                        changes=changes)
    return purchase
