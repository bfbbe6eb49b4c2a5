from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class EmailUserManager(UserManager):
    """Users sign in with their e-mail address, matched case-insensitively."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):  # type: ignore[override]
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        # What support engineers may do in the admin: the codenames of permissions.SupportAction,
        # held through the support groups declared there (a test keeps the two lists equal).
        permissions = [
            ("support_view", "Support: see everything in the admin"),
            ("support_edit", "Support: correct accounts, profiles and recipients, record purchases"),
            ("support_manage_users", "Support: edit customers' user records"),
            ("support_manage_roles", "Support: grant, change and revoke roles"),
            ("support_manage_payment_methods", "Support: set the default or remove payment methods"),
            ("support_void", "Support: void invoices"),
            ("support_rerender", "Support: re-render invoice PDFs"),
            ("support_resend", "Support: re-send invoice e-mails"),
            ("support_record_transfer", "Support: record received transfers and cheques"),
            ("support_adjust_credit", "Support: add and adjust credit lots"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def __str__(self) -> str:
        return self.email


class ActivityEvent(models.Model):
    """One row per change a person or a task makes (profile, payment method, role, invoice, credit).

    Every app writes it (through ``billing_admin.core.activity.record``). The log is read per
    billing account and per billing profile, so it carries those two as a denormalised scope; the
    foreign keys name the models by label: a relation in the database, not an import of ``profiles``.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    verb = models.CharField(_("verb"), max_length=60)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.CharField(max_length=40)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(_("target"), max_length=200)
    account = models.ForeignKey(
        "profiles.BillingAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="activity"
    )
    profile = models.ForeignKey(
        "profiles.BillingProfile", on_delete=models.SET_NULL, null=True, blank=True, related_name="activity"
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("activity event")
        verbose_name_plural = _("activity log")
        ordering = ["-created", "-pk"]
        # The index keeps the name it was created with (the model moved here from ``profiles``).
        indexes = [models.Index(fields=["target_type", "target_id"], name="profiles_ac_target__489b5c_idx")]

    def __str__(self) -> str:
        return f"{self.actor_label or 'system'} {self.verb} {self.target_repr}"
