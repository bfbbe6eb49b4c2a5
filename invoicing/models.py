"""Money over time: charges, invoices, credits and payments. Every amount is a Decimal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing_admin.core.dates import billing_today
from billing_admin.core.models import TimeStampedModel
from billing_admin.core.money import format_day
from profiles.models import BillingAccount, BillingProfile, PaymentMethod


def money_field(verbose_name, **kwargs):
    """Amounts: 4 decimal places hold every ISO currency's minor unit (KWD has 3)."""
    kwargs.setdefault("max_digits", 18)
    kwargs.setdefault("decimal_places", 4)
    return models.DecimalField(verbose_name, **kwargs)


class Charge(models.Model):
    """What was bought on a profile; lands on exactly one (non-void) invoice."""

    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="charges")
    product = models.CharField(_("product / SKU"), max_length=60)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = money_field(_("unit price"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    service_period_start = models.DateField(_("service period start"))
    service_period_end = models.DateField(_("service period end"))
    credit_eligible = models.BooleanField(_("credits may pay for it"), default=True)
    invoice = models.ForeignKey(
        "Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="charges"
    )
    purchased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["service_period_start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="charge_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="charge_unit_price_non_negative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(service_period_end__gte=F("service_period_start")), name="charge_period_ordered"
            ),
        ]
        indexes = [models.Index(fields=["profile", "invoice"])]

    def __str__(self) -> str:
        return f"{self.product} – {self.description}"


class InvoiceSequence(models.Model):
    """Gapless invoice numbers per account and year, taken under a row lock."""

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="invoice_sequences")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "year"], name="one_sequence_per_account_year"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number_prefix}-{self.year}: {self.last_number}"


# "Unpaid": the one definition, used by ``Invoice.objects.open()``, ``OPEN`` and ``Invoice.is_open``.
OPEN_STATUSES = ("due", "past_due")
OPEN = Q(status__in=OPEN_STATUSES)


class InvoiceQuerySet(models.QuerySet):
    def open(self):
        """Unpaid: due or past due (not paid, not void)."""
        return self.filter(OPEN)

    def issued_for(self, *, profile_id: int, period_start: date, period_end: date):
        """The profile's (non-void) invoice for the period: at most one."""
        return self.filter(profile_id=profile_id, period_start=period_start, period_end=period_end).exclude(
            status="void")


class Invoice(TimeStampedModel):
    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid")
        PAST_DUE = "past_due", _("Past due")
        VOID = "void", _("Void")

    class PaymentMeans(models.TextChoices):
        """How the invoice is to be paid, decided at issue from the profile's default method: only an
        invoice to be paid by transfer carries the transfer QR code (a card or debit one is charged)."""
        TRANSFER = "transfer", _("Bank transfer")
        CARD = "card", _("Card")
        BANK_ACCOUNT = "bank_account", _("Direct debit")
        NOTHING_DUE = "nothing_due", _("Nothing to pay")

    class EmailStatus(models.TextChoices):
        NOT_REQUESTED = "not_requested", _("Not requested")
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="invoices")
    # The profile's account at issue, whose numbering sequence gave the number: the account page sums and lists
    # the account's unpaid invoices from one index, without joining its (thousands of) profiles.
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="invoices",
                                verbose_name=_("billing account"), editable=False)
    number = models.CharField(_("invoice number"), max_length=40, unique=True)
    sequence = models.PositiveIntegerField(_("sequence"))
    year = models.PositiveSmallIntegerField(_("numbering year"))
    period_start = models.DateField(_("billing period start"))
    period_end = models.DateField(_("billing period end"))
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    # Frozen snapshot at issue.
    language = models.CharField(_("language"), max_length=2, default="en")
    account_name = models.CharField(_("sold-to name"), max_length=200)
    sold_to_address = models.TextField(_("sold-to address"))
    tax_id = models.CharField(_("tax / VAT id"), max_length=40, blank=True)
    profile_name = models.CharField(_("billing profile"), max_length=120)
    bill_to_address = models.TextField(_("bill-to address"))
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    po_number = models.CharField(_("PO number"), max_length=40, blank=True)
    payment_instructions = models.TextField(_("how to pay"), blank=True)
    payment_means = models.CharField(_("payment means"), max_length=12, choices=PaymentMeans.choices,
                                     default=PaymentMeans.TRANSFER)
    # Money: lines − credits + tax = amount due.
    subtotal = money_field(_("subtotal"))
    credits_applied = money_field(_("credits applied"), default=Decimal("0"))
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    tax = money_field(_("tax"), default=Decimal("0"))
    total = money_field(_("total"))
    amount_due = money_field(_("amount due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DUE)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=200, blank=True)
    # The PDF, stored through Django's storage API.
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    # E-mail delivery.
    email_status = models.CharField(
        _("e-mail status"), max_length=15, choices=EmailStatus.choices, default=EmailStatus.NOT_REQUESTED
    )
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_last_error = models.TextField(_("last e-mail error"), blank=True)
    email_sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_recipients = models.JSONField(_("e-mailed to"), default=list, blank=True)
    past_due_notified_at = models.DateTimeField(_("past-due notice sent at"), null=True, blank=True)
    autocharge_failed_notified_at = models.DateTimeField(_("failed-charge notice sent at"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "period_start", "period_end"],
                condition=~Q(status="void"),
                name="one_invoice_per_profile_period",
            ),
            models.UniqueConstraint(fields=["profile", "year", "sequence"], name="invoice_sequence_unique"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="invoice_subtotal_non_negative"),
            models.CheckConstraint(condition=Q(credits_applied__gte=0), name="invoice_credits_non_negative"),
            models.CheckConstraint(
                condition=Q(credits_applied__lte=F("subtotal")), name="invoice_credits_at_most_subtotal"
            ),
            models.CheckConstraint(condition=Q(tax__gte=0), name="invoice_tax_non_negative"),
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="invoice_amount_due_non_negative"),
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") - F("credits_applied") + F("tax"), 4)),
                name="invoice_total_reconciles",
            ),
            models.CheckConstraint(condition=Q(amount_due=F("total")), name="invoice_amount_due_is_total"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_period_ordered"
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
            models.CheckConstraint(
                condition=Q(status__in=["due", "paid", "past_due", "void"]), name="invoice_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["profile", "status"]),
            # The support console lists invoices newest first: a page of 100,000 reads 100 rows.
            models.Index(fields=["-issue_date", "-id"], name="invoice_newest_first"),
            # An account's unpaid ones (a tenth of its invoices, or less), due first: the billing account page
            # sums them from the index alone (PostgreSQL: an index-only scan of the included columns) and lists
            # the first ten due without reading any other invoice.
            models.Index(fields=["account", "due_date", "number"], include=["currency", "amount_due", "status"],
                         condition=OPEN, name="invoice_open_by_account"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def outstanding(self) -> Decimal:
        """What is still to be paid (zero once paid or void)."""
        return self.amount_due if self.is_open else Decimal("0")


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.CharField(_("product / SKU"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = money_field(_("unit price"))
    amount = money_field(_("amount"))
    service_period_start = models.DateField(_("service period start"))
    service_period_end = models.DateField(_("service period end"))
    credit_eligible = models.BooleanField(default=True)
    credits_applied = money_field(_("credits applied"), default=Decimal("0"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(credits_applied__gte=0) & Q(credits_applied__lte=F("amount")),
                name="line_credits_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class CreditLotQuerySet(models.QuerySet):
    def usable_on(self, day: date):
        """Active lots with credit left that may pay on ``day`` (start through expiration date, inclusive)."""
        return self.filter(status="active", remaining__gt=0, start_date__lte=day, expiration_date__gte=day)

    def expiring_within(self, days: int, *, today: date | None = None):
        """Active lots with credit left expiring from today (the billing date) through ``days`` later."""
        return self.filter(expiring_within(days, today=today))


def expiring_within(days: int, *, today: date | None = None) -> Q:
    """The one definition of "expiring soon", as a condition (for ``filter`` and aggregates); a lot in
    memory answers ``CreditLot.expires_within``, which says the same."""
    today = today or billing_today()
    return Q(status="active", remaining__gt=0, expiration_date__gte=today,
             expiration_date__lte=today + timedelta(days=days))


class CreditLot(TimeStampedModel):
    """The "Azure credits" tab: a lot of prepaid or promotional credit."""

    class Source(models.TextChoices):
        PROMOTIONAL = "promotional", _("Promotional credit")
        PREPAYMENT = "prepayment", _("Prepayment")
        GOODWILL = "goodwill", _("Goodwill credit")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        EXHAUSTED = "exhausted", _("Exhausted")
        CANCELED = "canceled", _("Canceled")

    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="credit_lots")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    original_amount = money_field(_("original amount"))
    remaining = money_field(_("remaining"))
    currency = models.CharField(_("currency"), max_length=3)
    start_date = models.DateField(_("start date"))
    expiration_date = models.DateField(_("expiration date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reference = models.CharField(_("reference / PO"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CreditLotQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit lot")
        verbose_name_plural = _("credit lots")
        ordering = ["expiration_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(original_amount__gt=0), name="lot_original_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("original_amount")),
                name="lot_remaining_within_original",
            ),
            models.CheckConstraint(
                condition=Q(expiration_date__gte=F("start_date")), name="lot_expiry_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "exhausted", "canceled"]), name="lot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.original_amount} {self.currency}"

    def expires_within(self, days: int, *, today: date | None = None) -> bool:
        """``expiring_within`` for this lot, without a query."""
        today = today or billing_today()
        return (self.status == self.Status.ACTIVE and self.remaining > 0
                and today <= self.expiration_date <= today + timedelta(days=days))


class CreditTransaction(models.Model):
    """The "Azure credit balance" tab: the ledger. balance_after of the last row = Σ lots' remaining."""

    class Kind(models.TextChoices):
        CREDIT_ADDED = "credit_added", _("Credit added")
        APPLIED_TO_INVOICE = "applied_to_invoice", _("Applied to invoice")
        RETURNED = "returned", _("Returned from void invoice")
        EXPIRED = "expired", _("Expired")
        ADJUSTMENT = "adjustment", _("Adjustment")

    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="credit_transactions")
    lot = models.ForeignKey(CreditLot, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = money_field(_("amount"))
    balance_after = money_field(_("balance after"))
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_transactions"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("credit transaction")
        verbose_name_plural = _("credit transactions")
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="credit_balance_never_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="credit_transaction_non_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def label(self) -> str:
        """What the ledger row says, in the reader's language (``description`` keeps the words of the
        moment it was written: a support engineer's adjustment reason is shown as written)."""
        if self.kind == self.Kind.APPLIED_TO_INVOICE and self.invoice_id:
            return gettext("Applied to invoice %(number)s") % {"number": self.invoice.number}
        if self.kind == self.Kind.RETURNED and self.invoice_id:
            return gettext("Returned from void invoice %(number)s") % {"number": self.invoice.number}
        if self.kind == self.Kind.EXPIRED:
            return gettext("Expired on %(date)s") % {"date": format_day(self.lot.expiration_date)}
        if self.kind == self.Kind.CREDIT_ADDED:
            return self.lot.get_source_display() + (f" · {self.lot.reference}" if self.lot.reference else "")
        return self.description


class Payment(models.Model):
    """Every payment attempt with its outcome; at most one succeeded payment per invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        DECLINED = "declined", _("Declined")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    method_label = models.CharField(_("payment method"), max_length=80, blank=True)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    # Scoped to the invoice: ``pay-<person id>-<nonce>`` for a person's attempt (see
    # invoicing.services.payments), ``autocharge-<n>`` and ``transfer`` for the system's own.
    idempotency_key = models.CharField(_("idempotency key"), max_length=80)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("time"), auto_now_add=True)
    # The receipt e-mail of a successful payment: when it went out and to whom (set once; the task skips a
    # payment whose receipt is sent, so a retried or redelivered task never mails it twice).
    receipt_sent_at = models.DateTimeField(_("receipt sent"), null=True, blank=True)
    receipt_sent_to = models.JSONField(_("receipt sent to"), default=list, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="succeeded"), name="one_successful_payment_per_invoice"
            ),
            models.UniqueConstraint(fields=["invoice", "idempotency_key"], name="payment_key_unique_per_invoice"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount} {self.get_status_display()}"
