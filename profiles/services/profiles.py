"""Account and profile services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing_admin.core import activity
from billing_admin.core.money import UnknownCurrency, currency_for_country
from billing_admin.core.permissions import Action, SupportAction, has_action, require_support
from profiles.models import BillingAccount, BillingProfile, InvoiceRecipient, Role, RoleAssignment
from profiles.registry import first_blocker, registry
from profiles.services.roles import role_grant

ACCOUNT_FIELDS = ["name", "country", "sold_to_address", "tax_id", "tax_rate", "payment_terms_days"]

PROFILE_FIELDS = [
    "name", "po_number", "bill_to_address", "contact_name", "contact_email",
    "invoice_email_opt_in", "invoice_language", "invoice_day", "status", "is_default",
]


def account_create(
    *, actor, name: str, country: str, sold_to_address: str, tax_id: str = "", tax_rate=0,
    payment_terms_days: int = 30, owner=None, support: bool = False,
) -> BillingAccount:
    """Create a billing account; ``owner`` (a user) becomes its account owner.

    ``support=True``: a support engineer in the Django admin; the account needs its owner then."""
    if actor is not None and support:
        require_support(actor, SupportAction.EDIT)
        if owner is None:
            raise ValidationError({"owner": _("Name the account's owner: every account keeps one.")})
    with transaction.atomic():
        account = BillingAccount(
            name=name, country=country, sold_to_address=sold_to_address, tax_id=tax_id, tax_rate=tax_rate,
            payment_terms_days=payment_terms_days,
        )
        account.full_clean()
        _require_currency(account)
        account.save()
        activity.record(actor=actor, verb="account.created", target=account,
                        changes={"name": name, "country": str(country)})
        if owner is not None:
            # Granted by the system, or by the support engineer who created the account (named in the log).
            role_grant(actor=actor if support else None, user_email=owner.email, role=Role.ACCOUNT_OWNER,
                       account=account, support=support)
    return account


def _check(actor, action: Action, obj, support: bool, message: str) -> None:
    """actor None = the system. ``support=True``: a support engineer in the Django admin, whose support
    role must allow correcting data; otherwise the actor's role on the object must allow ``action``."""
    if actor is None:
        return
    if support:
        require_support(actor, SupportAction.EDIT)
    elif not has_action(actor, action, obj):
        raise PermissionDenied(message)


def _require_currency(account: BillingAccount) -> None:
    try:
        account.currency  # noqa: B018 - the country must have a currency
    except UnknownCurrency:
        raise ValidationError({"country": _("No currency is known for this country.")}) from None


def account_update(*, actor, account: BillingAccount, support: bool = False, **fields) -> BillingAccount:
    """Change the account's details (sold-to, tax, terms, country); a country without a currency is
    refused, as the account's currency (that of its next profiles) comes from it, and so is one with
    another currency once the account has profiles (they and their invoices keep the account's)."""
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    _check(actor, Action.EDIT_ACCOUNT, account, support, _("You may not edit this billing account."))
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update(no_key=True).get(pk=account.pk)  # README, "Row locks"
        before = activity.snapshot(account, sorted(fields))
        old_currency = account.currency
        for name, value in fields.items():
            setattr(account, name, value.strip() if isinstance(value, str) else value)
        account.full_clean()
        _require_currency(account)
        if account.currency != old_currency and BillingProfile.objects.filter(account=account).exists():
            raise ValidationError({"country": _("The account's profiles bill in %(currency)s: choose a country "
                                                "that uses %(currency)s.") % {"currency": old_currency}})
        changes = activity.diff(before, activity.snapshot(account, sorted(fields)))
        if changes:
            account.save()
            activity.record(actor=actor, verb="account.updated", target=account, changes=changes)
    return account


def profile_create(
    *, actor, account: BillingAccount, name: str, bill_to_address: str, contact_name: str,
    contact_email: str, po_number: str = "", invoice_email_opt_in: bool = True,
    invoice_language: str = "en", invoice_day: int = 1, is_default: bool | None = None, support: bool = False,
) -> BillingProfile:
    """Create a profile in ``account``; its currency comes from the account's country.

    ``actor`` must be allowed to create profiles in the account (None: the system, e.g. a
    first purchase). A person who creates a profile becomes its owner unless the account's
    owner role already covers it; a support engineer (``support=True``) does not: the account's
    owners own it.
    """
    _check(actor, Action.CREATE_PROFILE, account, support, _("You may not create billing profiles in this account."))
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update(no_key=True).get(pk=account.pk)  # README, "Row locks"
        _require_currency(account)
        has_profiles = BillingProfile.objects.filter(account=account).exists()
        profile = BillingProfile(
            account=account, name=name.strip(), currency=currency_for_country(account.country.code),
            bill_to_address=bill_to_address, contact_name=contact_name, contact_email=contact_email,
            po_number=po_number.strip(), invoice_email_opt_in=invoice_email_opt_in,
            invoice_language=invoice_language, invoice_day=invoice_day,
            is_default=(not has_profiles) if is_default is None else is_default,
        )
        profile.full_clean(validate_constraints=False)
        if BillingProfile.objects.filter(account=account, name__iexact=profile.name).exists():
            raise ValidationError({"name": _("This account already has a billing profile with this name.")})
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:
            raise ValidationError({"name": _("This account already has a billing profile with this name.")}) from None
        activity.record(actor=actor, verb="profile.created", target=profile,
                        changes=activity.snapshot(profile, PROFILE_FIELDS))
        if support and not RoleAssignment.objects.filter(account=account, role=Role.ACCOUNT_OWNER).exists():
            raise ValidationError({"account": _("The account has no owner who would own the new profile.")})
        if actor is not None and getattr(actor, "pk", None) and not support:
            covered = RoleAssignment.objects.filter(
                user=actor, account=account, role=Role.ACCOUNT_OWNER
            ).exists()
            if not covered:
                role_grant(actor=None, user_email=actor.email, role=Role.OWNER, profile=profile)
    return profile


EDITABLE_FIELDS = {"name", "po_number", "bill_to_address", "contact_name", "contact_email", "invoice_language",
                   "invoice_day"}


def _check_edit(actor, profile, support: bool = False) -> None:
    _check(actor, Action.EDIT, profile, support, _("You may not edit this billing profile."))


def profile_update(*, actor, profile: BillingProfile, support: bool = False, **fields) -> BillingProfile:
    """Change the profile's details; an invalid value changes nothing."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    _check_edit(actor, profile, support)
    with transaction.atomic():
        # The account first (a name is unique in it), then the profile (README, "Row locks").
        BillingAccount.objects.select_for_update(no_key=True).get(pk=profile.account_id)
        profile = BillingProfile.objects.select_for_update(of=("self",)).select_related("account").get(pk=profile.pk)
        before = activity.snapshot(profile, sorted(fields))
        for name, value in fields.items():
            setattr(profile, name, value.strip() if isinstance(value, str) else value)
        profile.full_clean(validate_constraints=False)
        if "name" in fields and BillingProfile.objects.filter(
                account_id=profile.account_id, name__iexact=profile.name).exclude(pk=profile.pk).exists():
            raise ValidationError({"name": _("This account already has a billing profile with this name.")})
        changes = activity.diff(before, activity.snapshot(profile, sorted(fields)))
        if changes:
            profile.save()
            activity.record(actor=actor, verb="profile.updated", target=profile, changes=changes)
    return profile


def profile_set_invoice_email(*, actor, profile: BillingProfile, opt_in: bool, support: bool = False
                              ) -> BillingProfile:
    _check_edit(actor, profile, support)
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.invoice_email_opt_in != opt_in:
            profile.invoice_email_opt_in = opt_in
            profile.save(update_fields=["invoice_email_opt_in", "updated"])
            activity.record(actor=actor, verb="profile.invoice_email", target=profile,
                            changes={"invoice_email_opt_in": [not opt_in, opt_in]})
    return profile


def recipient_add(*, actor, profile: BillingProfile, email: str, support: bool = False):
    _check_edit(actor, profile, support)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.contact_email.lower() == email.lower() or profile.recipients.filter(email__iexact=email).exists():
            raise ValidationError({"email": _("%(email)s already receives the invoices.") % {"email": email}})
        if profile.recipients.count() >= 20:
            raise ValidationError({"email": _("A profile can have at most 20 extra recipients.")})
        recipient = InvoiceRecipient.objects.create(profile=profile, email=email)
        activity.record(actor=actor, verb="profile.recipient_added", target=profile, changes={"email": email})
    return recipient


def recipient_remove(*, actor, recipient, support: bool = False) -> None:
    """Remove an extra recipient. Read again under the profile's lock: when a concurrent request
    removed it first, this one says so and writes no second audit row."""
    _check_edit(actor, recipient.profile, support)
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().get(pk=recipient.profile_id)
        if not InvoiceRecipient.objects.filter(pk=recipient.pk, profile=profile).exists():
            raise ValidationError(_("%(email)s was already removed.") % {"email": recipient.email},
                                  code="already_removed")
        activity.record(actor=actor, verb="profile.recipient_removed", target=profile,
                        changes={"email": recipient.email})
        InvoiceRecipient.objects.filter(pk=recipient.pk).delete()


def disable_blocker(profile: BillingProfile) -> str | None:
    """Why the profile cannot be disabled now, or None: the rules higher apps registered, then its own."""
    reason = first_blocker(registry.disable_blockers, profile)
    if reason:
        return reason
    if not BillingProfile.objects.filter(account_id=profile.account_id, status="active").exclude(
            pk=profile.pk).exists():
        return _("It is the account's last active billing profile.")
    return None


def profile_disable(*, actor, profile: BillingProfile, support: bool = False) -> BillingProfile:
    _check(actor, Action.DISABLE, profile, support, _("Only owners may disable a billing profile."))
    with transaction.atomic():
        BillingAccount.objects.select_for_update(no_key=True).get(pk=profile.account_id)  # README, "Row locks"
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.status == BillingProfile.Status.DISABLED:
            return profile
        reason = disable_blocker(profile)
        if reason:
            raise ValidationError(_("This billing profile cannot be disabled: %(reason)s") % {"reason": reason})
        profile.status = BillingProfile.Status.DISABLED
        was_default, profile.is_default = profile.is_default, False
        profile.save(update_fields=["status", "is_default", "updated"])
        if was_default:  # the account keeps a default profile for its next purchase
            successor = BillingProfile.objects.filter(account_id=profile.account_id, status="active").exclude(
                pk=profile.pk).order_by("created", "pk").first()
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated"])
        activity.record(actor=actor, verb="profile.disabled", target=profile, changes={"status": ["active",
                                                                                                "disabled"]})
    return profile


def profile_enable(*, actor, profile: BillingProfile, support: bool = False) -> BillingProfile:
    """Make a disabled profile active again (invoiced again from its next invoice day). It keeps its roles,
    payment methods, invoices and credits, and does not take the account's default back (the account kept a
    default when it was disabled)."""
    _check(actor, Action.DISABLE, profile, support, _("Only owners may re-enable a billing profile."))
    with transaction.atomic():
        BillingAccount.objects.select_for_update(no_key=True).get(pk=profile.account_id)  # README, "Row locks"
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.status == BillingProfile.Status.ACTIVE:
            return profile
        profile.status = BillingProfile.Status.ACTIVE
        # An account whose profiles were all disabled by support has no default: this one becomes it.
        if not BillingProfile.objects.filter(account_id=profile.account_id, is_default=True).exists():
            profile.is_default = True
        profile.save(update_fields=["status", "is_default", "updated"])
        activity.record(actor=actor, verb="profile.enabled", target=profile,
                        changes={"status": ["disabled", "active"]})
    return profile

