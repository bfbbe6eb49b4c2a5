"""The activity views of the profile and account pages: who changed what and when, "field: before → after",
in the reader's language. Verbs and fields are named through ``profiles.registry`` (each app registers its own);
values that are choices (roles, statuses, languages) are shown by their label."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_admin.core.models import ActivityEvent
from profiles.models import BillingAccount, BillingProfile, Invitation, PaymentMethod, Role
from profiles.registry import register_activity_labels, registry

OWN_VERBS = {
    "account.created": gettext_lazy("Billing account created"),
    "account.updated": gettext_lazy("Billing account details changed"),
    "profile.created": gettext_lazy("Billing profile created"),
    "profile.updated": gettext_lazy("Billing profile details changed"),
    "profile.invoice_email": gettext_lazy("E-mailed invoices switched"),
    "profile.recipient_added": gettext_lazy("Invoice recipient added"),
    "profile.recipient_removed": gettext_lazy("Invoice recipient removed"),
    "profile.disabled": gettext_lazy("Billing profile disabled"),
    "profile.enabled": gettext_lazy("Billing profile re-enabled"),
    "payment_method.added": gettext_lazy("Payment method added"),
    "payment_method.default_set": gettext_lazy("Default payment method set"),
    "payment_method.removed": gettext_lazy("Payment method removed"),
    "role.granted": gettext_lazy("Role granted"),
    "role.changed": gettext_lazy("Role changed"),
    "role.revoked": gettext_lazy("Role removed"),
    "invitation.sent": gettext_lazy("Invitation sent"),
    "invitation.resent": gettext_lazy("Invitation sent again"),
    "invitation.revoked": gettext_lazy("Invitation revoked"),
    "invitation.accepted": gettext_lazy("Invitation accepted"),
}
OWN_FIELDS = {
    "user": gettext_lazy("User"),
    "email": gettext_lazy("E-mail address"),
    "role": gettext_lazy("Role"),
    "new_user": gettext_lazy("New sign-in"),
    "kind": gettext_lazy("Kind"),
    "label": gettext_lazy("Payment method"),
}
# Values shown by their label: every choice of our models whose values are stored in the log.
CHOICES = {**dict(Role.choices), **dict(BillingProfile.Status.choices), **dict(PaymentMethod.Kind.choices),
           **dict(BillingProfile.Language.choices), **dict(Invitation.Status.choices)}


def register_own_labels() -> None:
    fields = dict(OWN_FIELDS)
    for model in (BillingProfile, BillingAccount):
        for f in model._meta.get_fields():
            if getattr(f, "verbose_name", None) and f.name not in fields:
                fields[f.name] = f.verbose_name
    register_activity_labels(verbs=OWN_VERBS, fields=fields, values=CHOICES)


# Only these fields hold choice values; a name or a PO number that happens to read "active" stays as it is.
CHOICE_FIELDS = {"role", "status", "kind", "invoice_language", "language"}
# Fields whose value is a list in itself, never a [before, after] pair.
LIST_FIELDS = {"to"}


def _value(value, *, choice: bool = False) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value(v, choice=choice) for v in value)
    if choice and isinstance(value, str) and value in registry.activity_values:
        return str(registry.activity_values[value])
    return str(value)


def describe(event: ActivityEvent) -> dict:
    """One line of the activity view."""
    changes = []
    for name, value in (event.changes or {}).items():
        label = str(registry.activity_fields.get(name, name.replace("_", " ")))
        choice = name in CHOICE_FIELDS
        if isinstance(value, list) and len(value) == 2 and name not in LIST_FIELDS:
            changes.append({"field": label, "before": _value(value[0], choice=choice),
                            "after": _value(value[1], choice=choice), "pair": True})
        else:
            changes.append({"field": label, "value": _value(value, choice=choice), "pair": False})
    return {
        "event": event,
        "who": event.actor_label or _("system"),
        "what": str(registry.activity_verbs.get(event.verb, event.verb)),
        "changes": changes,
    }
