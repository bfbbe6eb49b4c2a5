"""Who pays and how: billing accounts, billing profiles, payment methods, roles."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from billing_admin.core.models import TimeStampedModel
from billing_admin.core.money import currency_for_country
from billing_admin.core.text import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    address_validators,
    validate_no_control_characters,
)


class BillingAccount(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[validate_no_control_characters])
    country = CountryField(_("country"))
    sold_to_address = models.TextField(_("sold-to address"), max_length=ADDRESS_MAX_LENGTH,
                                       validators=address_validators())
    tax_id = models.CharField(_("tax / VAT id"), max_length=40, blank=True)
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MinValueValidator(0), MaxValueValidator(180)]
    )

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        ordering = ["name", "pk"]
        permissions = [
            ("create_profile", "Create billing profiles in the account"),
            ("manage_account_roles", "Grant, change and remove account roles"),
            # Cascading profile permissions: held on the account, valid on all its profiles.
            ("view_profiles", "See all profiles of the account"),
            ("change_profiles", "Edit all profiles of the account"),
            ("manage_profiles_payment_methods", "Manage payment methods of all profiles"),
            ("pay_profiles_invoices", "Pay invoices of all profiles"),
            ("purchase_profiles", "Purchase on all profiles of the account (and create its first one)"),
            ("manage_profiles_roles", "Manage roles on all profiles"),
            ("disable_profiles", "Disable profiles of the account"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="account_tax_rate_0_100"
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("sold_to_address"), ADDRESS_MAX_LENGTH),
                                   name="account_sold_to_address_bounded"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def currency(self) -> str:
        return currency_for_country(self.country.code)

    @property
    def number_prefix(self) -> str:
        """Prefix of the account's invoice numbers, e.g. BA12."""
        return f"BA{self.pk}"


class BillingProfile(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")

    class Language(models.TextChoices):
        EN = "en", _("English")
        NL = "nl", _("Dutch")

    account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH, validators=[validate_no_control_characters])
    currency = models.CharField(
        _("currency"), max_length=3, validators=[RegexValidator(r"^[A-Z]{3}$")], editable=False
    )
    po_number = models.CharField(
        _("PO number"), max_length=40, blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9 ./_#-]*$", _("Use letters, digits, spaces and . / _ # - only."))],
    )
    bill_to_address = models.TextField(_("bill-to address"), max_length=ADDRESS_MAX_LENGTH,
                                       validators=address_validators())
    contact_name = models.CharField(_("contact name"), max_length=NAME_MAX_LENGTH,
                                    validators=[validate_no_control_characters])
    contact_email = models.EmailField(_("contact e-mail"))
    invoice_email_opt_in = models.BooleanField(_("e-mail invoices as attachments"), default=True)
    invoice_language = models.CharField(
        _("invoice language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    invoice_day = models.PositiveSmallIntegerField(
        _("invoice day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_default = models.BooleanField(_("default profile of the account"), default=False)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        ordering = ["account__name", "name", "pk"]
        permissions = [
            ("manage_payment_methods", "Add, remove and set default payment methods"),
            ("pay_invoices", "Pay invoices"),
            ("purchase", "Purchase with the profile's payment method"),
            ("manage_roles", "Grant, change and remove roles"),
            ("disable_billingprofile", "Disable the profile"),
        ]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="profile_name_unique_in_account"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_default=True), name="one_default_profile_per_account"
            ),
            models.CheckConstraint(
                condition=Q(invoice_day__gte=1) & Q(invoice_day__lte=28), name="profile_invoice_day_1_28"
            ),
            models.CheckConstraint(condition=Q(status__in=["active", "disabled"]), name="profile_status_valid"),
            models.CheckConstraint(condition=~Q(currency=""), name="profile_currency_set"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("bill_to_address"), ADDRESS_MAX_LENGTH),
                                   name="profile_bill_to_address_bounded"),
        ]
        # The billing account page's table: its page of 25 profiles in name order is read from this index and
        # stops after 25 entries, where a sort would read all of a large account's profiles.
        indexes = [models.Index(fields=["account", "name", "id"], name="profile_account_name_id")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class InvoiceRecipient(models.Model):
    """An extra address that receives the profile's invoices (besides the contact)."""

    profile = models.ForeignKey(BillingProfile, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField(_("e-mail address"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("extra invoice recipient")
        verbose_name_plural = _("extra invoice recipients")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint("profile", Lower("email"), name="recipient_unique_per_profile"),
        ]

    def __str__(self) -> str:
        return self.email


class PaymentMethod(TimeStampedModel):
    """Only what may be stored: never a full card number, CVC or full IBAN."""

    class Kind(models.TextChoices):
        CARD = "card", _("Credit or debit card")
        BANK_ACCOUNT = "bank_account", _("Bank account")
        WIRE_TRANSFER = "wire_transfer", _("Cheque / wire transfer")

    profile = models.ForeignKey(BillingProfile, on_delete=models.CASCADE, related_name="payment_methods")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_default = models.BooleanField(_("default"), default=False)
    # card
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(
        _("last 4 digits"), max_length=4, blank=True, validators=[RegexValidator(r"^\d{4}$")]
    )
    card_exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    card_holder = models.CharField(_("card holder"), max_length=NAME_MAX_LENGTH, blank=True,
                                   validators=[validate_no_control_characters])
    gateway_token = models.CharField(_("gateway token"), max_length=80, blank=True)
    card_fingerprint = models.CharField(_("card fingerprint"), max_length=64, blank=True, editable=False)
    # bank account
    bank_holder = models.CharField(_("account holder"), max_length=NAME_MAX_LENGTH, blank=True,
                                   validators=[validate_no_control_characters])
    iban_masked = models.CharField(_("IBAN (masked)"), max_length=12, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile"], condition=Q(is_default=True), name="one_default_payment_method"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["card", "bank_account", "wire_transfer"]), name="payment_method_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="card")
                | (Q(card_last4__regex=r"^[0-9]{4}$") & ~Q(gateway_token="") & Q(card_exp_month__gte=1)
                   & Q(card_exp_month__lte=12)),
                name="card_has_last4_token_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(kind="bank_account") | ~Q(iban_masked=""), name="bank_account_has_masked_iban"
            ),
            models.UniqueConstraint(
                fields=["profile"], condition=Q(kind="wire_transfer"), name="one_wire_transfer_per_profile",
                violation_error_message=_("This profile already pays by cheque / wire transfer."),
            ),
            models.UniqueConstraint(
                fields=["profile", "card_fingerprint", "card_exp_month", "card_exp_year"],
                condition=Q(kind="card") & ~Q(card_fingerprint=""), name="card_once_per_profile",
                violation_error_message=_("This card is already a payment method of this profile."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.CARD:
            return f"{self.card_brand or 'Card'} •••• {self.card_last4}"
        if self.kind == self.Kind.BANK_ACCOUNT:
            return f"{_('Bank account')} {self.iban_masked}"
        return str(_("Cheque / wire transfer"))


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    CONTRIBUTOR = "contributor", _("Contributor")
    READER = "reader", _("Reader")
    INVOICE_MANAGER = "invoice_manager", _("Invoice manager")
    ACCOUNT_OWNER = "account_owner", _("Account owner")
    ACCOUNT_CONTRIBUTOR = "account_contributor", _("Account contributor")
    ACCOUNT_READER = "account_reader", _("Account reader")


PROFILE_ROLES = (Role.OWNER, Role.CONTRIBUTOR, Role.READER, Role.INVOICE_MANAGER)
ACCOUNT_ROLES = (Role.ACCOUNT_OWNER, Role.ACCOUNT_CONTRIBUTOR, Role.ACCOUNT_READER)


class RoleAssignment(models.Model):
    """The source of truth for who may do what; guardian permissions are derived from it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    profile = models.ForeignKey(
        BillingProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    account = models.ForeignKey(
        BillingAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["granted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(profile__isnull=False, account__isnull=True, role__in=[r.value for r in PROFILE_ROLES]))
                | (Q(profile__isnull=True, account__isnull=False, role__in=[r.value for r in ACCOUNT_ROLES])),
                name="role_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "profile"], condition=Q(profile__isnull=False), name="one_role_per_user_per_profile"
            ),
            models.UniqueConstraint(
                fields=["user", "account"], condition=Q(account__isnull=False), name="one_role_per_user_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.scope}"

    @property
    def scope(self):
        return self.profile if self.profile_id else self.account


class Invitation(models.Model):
    """A role waiting for someone who has no sign-in yet. The e-mailed link is signed and carries the
    invitation's id and nonce; a re-send draws a new nonce, so only the latest link works."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("e-mail address"), max_length=254)
    profile = models.ForeignKey(
        BillingProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    account = models.ForeignKey(
        BillingAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    nonce = models.CharField(max_length=32, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(profile__isnull=False, account__isnull=True, role__in=[r.value for r in PROFILE_ROLES]))
                | (Q(profile__isnull=True, account__isnull=False, role__in=[r.value for r in ACCOUNT_ROLES])),
                name="invitation_scope_matches_role",
            ),
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "revoked"]),
                                   name="invitation_status_valid"),
            models.UniqueConstraint(Lower("email"), "profile", condition=Q(status="pending", profile__isnull=False),
                                    name="one_pending_invitation_per_profile"),
            models.UniqueConstraint(Lower("email"), "account", condition=Q(status="pending", account__isnull=False),
                                    name="one_pending_invitation_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.email} – {self.get_role_display()}"

    @property
    def scope(self):
        return self.profile if self.profile_id else self.account

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


# --- django-guardian direct foreign key permission tables (guardian's documented fast path) ---


class BillingAccountUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(BillingAccount, on_delete=models.CASCADE)


class BillingAccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(BillingAccount, on_delete=models.CASCADE)


class BillingProfileUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(BillingProfile, on_delete=models.CASCADE)


class BillingProfileGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(BillingProfile, on_delete=models.CASCADE)
