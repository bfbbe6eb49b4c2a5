"""The catalogue, managed by support engineers in the Django admin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import is_known_currency, minor_units, round_money, to_decimal
from billing_admin.core.permissions import SupportAction, support_may
from purchases.models import Price, Product

PRODUCT_FIELDS = ["sku", "name", "description", "unit_name", "unit", "billing", "max_quantity", "is_active"]
# Once bought, what a purchase or a subscription relied on stays as it was.
FIXED_ONCE_SOLD = {"sku", "unit", "billing"}


def _check(actor) -> None:
    if actor is not None and not support_may(actor, SupportAction.EDIT):
        raise PermissionDenied(_("You may not manage the catalogue."))


def product_create(*, actor, sku: str, name: str, unit_name: str, description: str = "",
                   unit: str = Product.Unit.WHOLE, billing: str = Product.Billing.ONE_TIME,
                   max_quantity=10_000, is_active: bool = True) -> Product:
    _check(actor)
    with transaction.atomic():
        product = Product(sku=(sku or "").strip().upper(), name=(name or "").strip(), description=description.strip(),
                          unit_name=(unit_name or "").strip(), unit=unit, billing=billing,
                          max_quantity=to_decimal(max_quantity), is_active=is_active)
        product.full_clean()
        product.save()
        activity.record(actor=actor, verb="product.created", target=product,
                        changes=activity.snapshot(product, PRODUCT_FIELDS))
    return product


def product_update(*, actor, product: Product, **fields) -> Product:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check(actor)
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        before = activity.snapshot(product, PRODUCT_FIELDS)
        for name, value in fields.items():
            if name == "sku":
                value = (value or "").strip().upper()
            setattr(product, name, value.strip() if isinstance(value, str) and name != "sku" else value)
        product.full_clean()
        changes = activity.diff(before, activity.snapshot(product, PRODUCT_FIELDS))
        if FIXED_ONCE_SOLD & set(changes) and product.purchases.exists():
            raise ValidationError(_("SKU, quantities and billing cannot change once the product was sold; "
                                    "take it off sale and add a new product instead."))
        if changes:
            product.save()
            activity.record(actor=actor, verb="product.updated", target=product, changes=changes)
    return product


def price_set(*, actor, product: Product, currency: str, unit_price) -> Price:
    """Set the product's price in ``currency`` (a new price applies to purchases from now on)."""
    _check(actor)
    currency = (currency or "").strip().upper()
    if not is_known_currency(currency):
        raise ValidationError({"currency": _("%(code)s is not a known currency code.") % {"code": currency}})
    try:
        value = to_decimal(unit_price)
    except (ValueError, TypeError):
        raise ValidationError({"unit_price": _("Enter a price.")}) from None
    if not value.is_finite() or value < 0:
        raise ValidationError({"unit_price": _("Enter a price of zero or more.")})
    if round_money(value, currency) != value:
        raise ValidationError({"unit_price": _("%(currency)s prices have at most %(digits)s decimals.")
                               % {"currency": currency, "digits": minor_units(currency)}})
    with transaction.atomic():
        Product.objects.select_for_update().get(pk=product.pk)
        price = Price.objects.filter(product=product, currency=currency).first()
        before = str(price.unit_price) if price else None
        if price is None:
            price = Price(product=product, currency=currency, unit_price=value)
        else:
            price.unit_price = value
        price.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                price.save()
        except IntegrityError:
            raise ValidationError(_("This price could not be saved; check the amount.")) from None
        if before is None or to_decimal(before) != value:
            activity.record(actor=actor, verb="product.price_set", target=product,
                            changes={f"price {currency}": [before, str(value)]})
    return price


def price_remove(*, actor, price: Price) -> None:
    _check(actor)
    with transaction.atomic():
        activity.record(actor=actor, verb="product.price_removed", target=price.product,
                        changes={f"price {price.currency}": [str(price.unit_price), None]})
        price.delete()
