"""The catalogue (products and their prices), purchases and monthly subscriptions.

A purchase records its charges on the profile through invoicing's services; a subscription adds
one charge per month (the first prorated by day) until it is cancelled.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing_admin.core.models import TimeStampedModel
from billing_admin.core.money import round_money
from billing_admin.core.text import validate_no_control_characters
from invoicing.models import Charge, money_field
from profiles.models import BillingProfile

MAX_QUANTITY_LIMIT = 1_000_000  # whatever a product allows, never more in one purchase


class Product(TimeStampedModel):
    class Billing(models.TextChoices):
        ONE_TIME = "one_time", _("One-time")
        MONTHLY = "monthly", _("Monthly (recurring)")

    class Unit(models.TextChoices):
        WHOLE = "whole", _("Whole units")
        FRACTIONAL = "fractional", _("Fractional")

    sku = models.CharField(
        _("SKU"), max_length=40, unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and - only."))],
    )
    name = models.CharField(_("name"), max_length=120, validators=[validate_no_control_characters])
    description = models.TextField(_("description"), max_length=1000, blank=True,
                                   validators=[MaxLengthValidator(1000), validate_no_control_characters])
    unit_name = models.CharField(_("unit of measure"), max_length=30, help_text=_("e.g. licence, GB, hour"),
                                 validators=[validate_no_control_characters])
    unit = models.CharField(_("quantities"), max_length=10, choices=Unit.choices, default=Unit.WHOLE)
    billing = models.CharField(_("billing"), max_length=10, choices=Billing.choices, default=Billing.ONE_TIME)
    max_quantity = models.DecimalField(
        _("largest quantity per purchase"), max_digits=14, decimal_places=4, default=10_000,
        validators=[MinValueValidator(1)],
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(unit__in=["whole", "fractional"]), name="product_unit_valid"),
            models.CheckConstraint(condition=Q(billing__in=["one_time", "monthly"]), name="product_billing_valid"),
            models.CheckConstraint(
                condition=Q(max_quantity__gte=1) & Q(max_quantity__lte=MAX_QUANTITY_LIMIT),
                name="product_max_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def is_monthly(self) -> bool:
        return self.billing == self.Billing.MONTHLY


class Price(models.Model):
    """The product's price in one currency, per unit (per month for monthly products), at the
    currency's minor unit (EUR 2 decimals, JPY 0, KWD 3)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, validators=[RegexValidator(r"^[A-Z]{3}$")])
    unit_price = money_field(_("unit price"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="one_price_per_product_currency"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} {self.unit_price} {self.currency}"


class Purchase(models.Model):
    """One confirmed purchase. (purchaser, idempotency key) is unique: the key is issued by the server
    with the purchase form, so a double click or a retried request buys once."""

    purchaser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="purchases")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchases")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = money_field(_("unit price"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = money_field(_("amount charged now"))
    created_profile = models.BooleanField(_("created the default profile"), default=False)
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchaser", "idempotency_key"], name="purchase_key_unique_per_user"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity.normalize()} × {self.product.sku} → {self.profile}"


class Subscription(TimeStampedModel):
    """A monthly product on a profile. Charged per billing period of the profile (invoice day to the
    day before the next); ``next_charge_on`` is the first day not charged yet."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    purchase = models.OneToOneField(Purchase, on_delete=models.PROTECT, related_name="subscription")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = money_field(_("price per month"))
    currency = models.CharField(_("currency"), max_length=3)
    started_on = models.DateField(_("started on"))
    next_charge_on = models.DateField(_("next charge"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["started_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="subscription_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=["active", "cancelled"]), name="subscription_status_valid"),
            models.CheckConstraint(
                condition=Q(status="active", ends_on__isnull=True) | Q(status="cancelled", ends_on__isnull=False),
                name="subscription_cancelled_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} × {self.quantity.normalize()} ({self.profile})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def monthly_amount(self):
        """A full month at the current quantity."""
        return round_money(self.unit_price * self.quantity, self.currency)

    @property
    def next_charge_date(self):
        """The day of the next charge, or None once the subscription ends before it."""
        if self.ends_on is not None and self.next_charge_on > self.ends_on:
            return None
        return self.next_charge_on


class SubscriptionCharge(models.Model):
    """One charged period of a subscription: unique per start, so charging twice charges once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="periods")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("subscription charge")
        verbose_name_plural = _("subscription charges")
        ordering = ["subscription", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="one_charge_per_subscription_period"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start}–{self.period_end}"
