"""Invoices are append-only: seen and searched here; void, re-render, re-send and a recorded transfer
are the object actions of an invoice's page, each a confirmation form calling its service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import AppendOnlyAdmin, ReadOnlyInline, error_text, money_display
from billing_admin.core.htmx import add_errors
from billing_admin.core.money import format_money, format_quantity, format_unit_price
from billing_admin.core.permissions import SupportAction, support_may
from invoicing.models import OPEN, Invoice, InvoiceLine, InvoiceSequence
from invoicing.services.email import invoice_send_email
from invoicing.services.invoices import invoice_void
from invoicing.services.payments import payment_record_transfer
from invoicing.services.pdf import invoice_render_pdf
from profiles.models import BillingProfile


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("position", "product", "description", "quantity_shown", "unit_price_money", "amount_money",
              "credits_applied_money")
    amount_money = money_display("amount", _("amount"), lambda line: line.invoice.currency)
    credits_applied_money = money_display("credits_applied", _("credits applied"), lambda line: line.invoice.currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice", "charge")

    @admin.display(description=_("quantity"))
    def quantity_shown(self, line):
        return format_quantity(line.quantity)

    @admin.display(description=_("unit price"))
    def unit_price_money(self, line):  # unit prices keep their own decimals (€0.192)
        return format_unit_price(line.unit_price, line.invoice.currency)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("Shown in the activity log."))


class TransferForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), max_digits=18, decimal_places=4)
    reference = forms.CharField(label=_("Bank reference or cheque number"), max_length=80)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError(_("Enter an amount greater than zero."))
        return amount


class ConfirmForm(forms.Form):
    """An action with nothing to fill in: the button confirms it."""


@dataclass(frozen=True)
class ObjectAction:
    name: str
    label: str
    permission: SupportAction
    form: type[forms.Form]
    applies: Callable[[Invoice], bool]


class CurrencyFilter(admin.SimpleListFilter):
    """Currencies in use (read from the profiles, not a DISTINCT over every invoice)."""

    title = _("currency")
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        currencies = BillingProfile.objects.order_by("currency").values_list("currency", flat=True).distinct()
        return [(c, c) for c in currencies]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


class PastDueFilter(admin.SimpleListFilter):
    title = _("past due")
    parameter_name = "past_due"

    def lookups(self, request, model_admin):
        return [("yes", _("Unpaid after its due date")), ("no", _("Not past due"))]

    def queryset(self, request, queryset):
        late = OPEN & Q(due_date__lt=timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(AppendOnlyAdmin):
    list_display = ("number", "profile_name", "issue_date", "due_date", "amount_due_money", "status",
                    "email_status")
    list_filter = ("status", CurrencyFilter, PastDueFilter, "email_status")
    search_fields = ("number", "po_number", "profile_name", "account_name", "contact_email",
                     "profile__payment_methods__card_last4", "profile__payment_methods__iban_masked")
    inlines = [InvoiceLineInline]
    actions = ["rerender_pdf", "resend_email"]
    fields = ("number", "account", "profile", "status", "issue_date", "due_date", "period_start", "period_end",
              "po_number", "account_name", "profile_name", "contact_email", "subtotal_money", "credits_applied_money",
              "tax_rate", "tax_money", "total_money", "amount_due_money", "paid_at", "voided_at", "void_reason",
              "pdf_link", "email_status", "email_attempts", "email_sent_at", "email_recipients", "email_last_error")

    subtotal_money = money_display("subtotal", _("subtotal"))
    credits_applied_money = money_display("credits_applied", _("credits applied"))
    tax_money = money_display("tax", _("tax"))
    total_money = money_display("total", _("total"))
    amount_due_money = money_display("amount_due", _("amount due"))

    object_actions = (
        ObjectAction("void", _("Void invoice"), SupportAction.VOID, VoidForm,
                     lambda inv: inv.is_open),
        ObjectAction("transfer", _("Record transfer"), SupportAction.RECORD_TRANSFER, TransferForm,
                     lambda inv: inv.is_open),
        ObjectAction("rerender", _("Re-render PDF"), SupportAction.RERENDER, ConfirmForm, lambda inv: True),
        ObjectAction("resend", _("Re-send e-mail"), SupportAction.RESEND, ConfirmForm,
                     lambda inv: inv.status != Invoice.Status.VOID),
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pdf:
            return "—"
        url = reverse("invoicing:invoice-pdf", args=[obj.profile_id, obj.pk])
        return format_html('<a href="{}">{}</a> (sha256 {}…)', url, obj.pdf.name, obj.pdf_sha256[:12])

    # --- bulk actions on the list --------------------------------------------------------------
    def has_rerender_permission(self, request):
        return support_may(request.user, SupportAction.RERENDER)

    def has_resend_permission(self, request):
        return support_may(request.user, SupportAction.RESEND)

    @admin.action(description=_("Re-render the PDF"), permissions=["rerender"])
    def rerender_pdf(self, request, queryset):
        self._run_each(request, "rerender", queryset)

    @admin.action(description=_("Re-send the invoice e-mail"), permissions=["resend"])
    def resend_email(self, request, queryset):
        self._run_each(request, "resend", queryset)

    def _run_each(self, request, name: str, queryset):
        for invoice in queryset.select_related("profile"):
            try:
                self.message_user(request, self._run(request, name, invoice), messages.SUCCESS)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{invoice.number}: {error_text(exc)}", messages.ERROR)

    # --- object actions on the invoice's page --------------------------------------------------
    def _action(self, name: str) -> ObjectAction:
        return next(a for a in self.object_actions if a.name == name)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        actions = []
        if invoice is not None:
            actions = [{"url": reverse(f"admin:invoicing_invoice_{a.name}", args=[invoice.pk]), "label": a.label}
                       for a in self.object_actions if a.applies(invoice) and support_may(request.user, a.permission)]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "object_actions": actions})

    def get_urls(self):
        return [*(path(f"<int:invoice_id>/{a.name}/", self.admin_site.admin_view(self.action_view),
                       {"name": a.name}, name=f"invoicing_invoice_{a.name}") for a in self.object_actions),
                *super().get_urls()]

    def _run(self, request, name: str, invoice: Invoice, data: dict | None = None) -> str:
        """Call the action's service; returns the success message (raises ValidationError/PermissionDenied)."""
        data = data or {}
        if name == "void":
            invoice_void(actor=request.user, invoice=invoice, reason=data["reason"])
            return _("%(number)s is void.") % {"number": invoice.number}
        if name == "transfer":
            payment_record_transfer(actor=request.user, invoice=invoice, amount=data["amount"],
                                    reference=data["reference"])
            return _("%(number)s is paid.") % {"number": invoice.number}
        if name == "rerender":
            invoice_render_pdf(invoice_id=invoice.pk, force=True, actor=request.user)
            return _("The PDF of %(number)s was rendered again.") % {"number": invoice.number}
        if invoice.status == Invoice.Status.VOID:
            raise ValidationError(_("A void invoice is not sent."))
        try:
            invoice_render_pdf(invoice_id=invoice.pk, actor=request.user)
            sent = invoice_send_email(invoice_id=invoice.pk, resend=True, actor=request.user)
        except OSError as exc:  # SMTP refused or unreachable: recorded on the invoice, shown here
            raise ValidationError(_("The e-mail could not be sent: %(error)s") % {"error": exc}) from None
        if not sent:
            raise ValidationError(_("%(number)s was not sent.") % {"number": invoice.number})
        return _("%(number)s was e-mailed again.") % {"number": invoice.number}

    def action_view(self, request, invoice_id: int, name: str):
        action = self._action(name)
        if not support_may(request.user, action.permission):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice.objects.select_related("profile"), pk=invoice_id)
        change_url = reverse("admin:invoicing_invoice_change", args=[invoice.pk])
        initial = {"amount": invoice.amount_due} if name == "transfer" else None
        form = action.form(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                message = self._run(request, name, invoice, form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    exc = ValidationError(error_text(exc))
                add_errors(form, exc)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": action.label,
            "subtitle": invoice.number, "object": invoice, "form": form, "change_url": change_url,
            "summary": [(_("profile"), invoice.profile_name), (_("status"), invoice.get_status_display()),
                        (_("amount due"), format_money(invoice.amount_due, invoice.currency)),
                        (_("due date"), invoice.due_date)],
            "explanation": {
                "void": _("Voiding returns the charges to uninvoiced and the credits to their lots. The next run "
                          "issues a new invoice with a new number."),
                "transfer": _("The amount must equal the amount due; the invoice becomes paid."),
                "rerender": _("The PDF is rendered again from the invoice as issued."),
                "resend": _("The invoice is e-mailed again to its contact and extra recipients."),
            }[name],
            "submit_label": action.label,
        }
        return TemplateResponse(request, "admin/object_action.html", context, status=200)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(AppendOnlyAdmin):
    list_display = ("account", "year", "last_number")
    list_select_related = ("account",)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(AppendOnlyAdmin):
    list_display = ("invoice", "position", "description", "quantity", "amount_money", "credits_applied_money")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "description", "product")
    amount_money = money_display("amount", _("amount"), lambda line: line.invoice.currency)
    credits_applied_money = money_display("credits_applied", _("credits applied"), lambda line: line.invoice.currency)
