"""What invoicing shows on the profile pages and what it asks before a profile changes.

Registered into ``profiles.registry`` from ``InvoicingConfig.ready()``: the Invoices tab and the
two credit tabs (which exist only for profiles that have ever had credits), the Overview's
next-invoice and spend cards, the past-due notice above the tabs, the list's latest-invoice
column, the invoices, amounts due and spend per profile chart on the billing account page,
and the rules that block disabling a profile or removing its only payment method.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing import selectors
from invoicing.models import Invoice
from invoicing.views.overview import account_spend_card, next_invoice_card, spend_card
from profiles import registry


def _past_due_notice(profile) -> dict | None:
    count = selectors.past_due_count(profile=profile)
    return {"past_due_count": count} if count else None


def _disable_blocked_by_open_invoices(profile) -> str | None:
    return _("It has unpaid invoices. Pay them first.") if selectors.has_open_invoices(profile.pk) else None


def _disable_blocked_by_credits(profile) -> str | None:
    return _("It still has active Azure credits.") if selectors.has_active_credits(profile.pk) else None


def _disable_blocked_by_charges(profile) -> str | None:
    return _("It has charges that are not invoiced yet.") if selectors.has_uninvoiced_charges(profile.pk) else None


def _last_method_blocked_by_open_invoices(profile) -> str | None:
    if selectors.has_open_invoices(profile.pk):
        return _("This is the profile's only payment method and it has unpaid invoices. Add another method first.")
    return None


def _last_method_blocked_by_charges(profile) -> str | None:
    if selectors.has_uninvoiced_charges(profile.pk):
        return _("This is the profile's only payment method and charges are waiting to be invoiced. "
                 "Add another method first.")
    return None


ACTIVITY_VERBS = {
    "purchase.recorded": gettext_lazy("Purchase recorded"),
    "credit.lot_added": gettext_lazy("Azure credit added"),
    "credit.applied": gettext_lazy("Azure credit applied to an invoice"),
    "credit.returned": gettext_lazy("Azure credit returned"),
    "credit.expired": gettext_lazy("Azure credit expired"),
    "credit.adjusted": gettext_lazy("Azure credit adjusted"),
    "invoice.issued": gettext_lazy("Invoice issued"),
    "invoice.pdf_rendered": gettext_lazy("Invoice PDF made"),
    "invoice.emailed": gettext_lazy("Invoice e-mailed"),
    "invoice.email_failed": gettext_lazy("Invoice e-mail failed"),
    "invoice.paid": gettext_lazy("Invoice paid"),
    "invoice.past_due": gettext_lazy("Invoice past due"),
    "invoice.voided": gettext_lazy("Invoice voided"),
    "payment.succeeded": gettext_lazy("Payment succeeded"),
    "payment.failed": gettext_lazy("Payment failed"),
    "payment.pending": gettext_lazy("Payment pending"),
    "payment.transfer_recorded": gettext_lazy("Transfer recorded"),
    "payment.receipt_sent": gettext_lazy("Receipt e-mailed"),
    "payment.autocharge_failed": gettext_lazy("Automatic card charge failed"),
}
ACTIVITY_FIELDS = {
    "charges": gettext_lazy("Charges"), "amount": gettext_lazy("Amount"), "currency": gettext_lazy("Currency"),
    "credits_applied": gettext_lazy("Credits applied"), "credits_returned": gettext_lazy("Credits returned"),
    "expired_amount": gettext_lazy("Expired amount"), "to": gettext_lazy("To"), "error": gettext_lazy("Error"),
    "number": gettext_lazy("Invoice number"), "amount_due": gettext_lazy("Amount due"),
    "reason": gettext_lazy("Reason"), "method": gettext_lazy("Payment method"),
    "reference": gettext_lazy("Reference"), "sha256": gettext_lazy("Checksum"),
}


def register() -> None:
    registry.register_overview_card(registry.Fragment("next-invoice", "invoicing/_next_invoice_card.html",
                                                      next_invoice_card))
    registry.register_overview_card(registry.Fragment("spend", "invoicing/_spend_card.html", spend_card))
    registry.register_activity_labels(verbs=ACTIVITY_VERBS, fields=ACTIVITY_FIELDS,
                                      values=dict(Invoice.Status.choices))
    registry.register_tab(registry.Tab("credit-balance", gettext_lazy("Azure credit balance"),
                                       "invoicing:profile-credit-balance", order=30,
                                       visible=selectors.profile_has_credits))
    registry.register_tab(registry.Tab("credits", gettext_lazy("Azure credits"), "invoicing:profile-credits",
                                       order=40, visible=selectors.profile_has_credits))
    registry.register_tab(registry.Tab("invoices", gettext_lazy("Invoices"), "invoicing:profile-invoices", order=50))
    for name in selectors.profile_annotations():
        registry.register_profile_annotation(name, lambda name=name: selectors.profile_annotations()[name])
    registry.register_notice(registry.Fragment("past-due", "invoicing/_profile_warnings.html", _past_due_notice))
    registry.register_list_column(registry.ListColumn(
        "latest-invoice", gettext_lazy("Latest invoice"), selectors.with_latest_invoice_status,
        "invoicing/_profile_list_latest_invoice.html", data={"status_labels": dict(Invoice.Status.choices)}))
    registry.register_account_summary(registry.AccountSummary(
        "invoices", gettext_lazy("Latest invoice and amount due"), "invoicing/_account_profile_invoice.html",
        "invoicing/_account_due.html", selectors.account_invoice_summary))
    registry.register_account_card(registry.AccountCard("spend", "invoicing/_account_spend_card.html",
                                                        account_spend_card))
    registry.register_disable_blocker("open-invoices", _disable_blocked_by_open_invoices)
    registry.register_disable_blocker("active-credits", _disable_blocked_by_credits)
    registry.register_disable_blocker("uninvoiced-charges", _disable_blocked_by_charges)
    registry.register_payment_method_removal_blocker("open-invoices", _last_method_blocked_by_open_invoices)
    registry.register_payment_method_removal_blocker("uninvoiced-charges", _last_method_blocked_by_charges)
