from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing_admin.core.htmx import add_errors
from invoicing.models import Invoice, InvoiceLine, InvoiceSequence
from invoicing.services.email import invoice_send_email
from invoicing.services.invoices import invoice_void
from invoicing.services.payments import payment_record_transfer
from invoicing.services.pdf import invoice_render_pdf


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ("position", "product", "description", "quantity", "unit_price", "amount", "credits_applied")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TransferForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), max_digits=18, decimal_places=4)
    reference = forms.CharField(label=_("Bank reference or cheque number"), max_length=80)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "profile", "issue_date", "due_date", "amount_due", "currency", "status",
                    "email_status", "email_attempts")
    list_filter = ("status", "email_status", "currency")
    list_select_related = ("profile", "profile__account")
    search_fields = ("number", "po_number", "profile__name", "account_name", "contact_email")
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]
    actions = ["rerender_pdf", "resend_email", "void_invoices", "record_transfer"]
    readonly_fields = ("pdf_link",)

    def get_readonly_fields(self, request, obj=None):
        # An issued invoice never changes its money or lines: everything is read-only.
        return [f.name for f in Invoice._meta.fields if f.name != "pdf"] + ["pdf_link"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pdf:
            return "—"
        url = reverse("invoicing:invoice-pdf", args=[obj.profile_id, obj.pk])
        return format_html('<a href="{}">{}</a> (sha256 {}…)', url, obj.pdf.name, obj.pdf_sha256[:12])

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_support_permission(self, request, obj=None):
        """Re-render, re-send, void and record payments: for staff who may change invoices, not mere viewers."""
        return request.user.has_perm("invoicing.change_invoice")

    def _require_support(self, request):
        if not self.has_support_permission(request):
            raise PermissionDenied

    @admin.action(description=_("Re-render the PDF"), permissions=["support"])
    def rerender_pdf(self, request, queryset):
        for invoice in queryset:
            invoice_render_pdf(invoice_id=invoice.pk, force=True, actor=request.user)
        self.message_user(request, _("Re-rendered %(n)d PDF(s).") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Re-send the invoice e-mail"), permissions=["support"])
    def resend_email(self, request, queryset):
        sent, failed = 0, []
        for invoice in queryset:
            try:
                invoice_render_pdf(invoice_id=invoice.pk, actor=request.user)
                if invoice_send_email(invoice_id=invoice.pk, resend=True, actor=request.user):
                    sent += 1
            except Exception as exc:  # noqa: BLE001 - shown to the support engineer
                failed.append(f"{invoice.number}: {exc}")
        self.message_user(request, _("Sent %(n)d e-mail(s).") % {"n": sent}, messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=_("Void the invoice (charges and credits return)"), permissions=["support"])
    def void_invoices(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(reverse("admin:invoicing_invoice_void") + f"?ids={ids}")

    @admin.action(description=_("Record a received wire transfer or cheque"), permissions=["support"])
    def record_transfer(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Record one payment at a time."), messages.ERROR)
            return None
        return redirect(reverse("admin:invoicing_invoice_transfer", args=[queryset.get().pk]))

    def transfer_view(self, request, invoice_id):
        self._require_support(request)
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        form = TransferForm(request.POST or None, initial={"amount": invoice.amount_due})
        if request.method == "POST" and form.is_valid():
            try:
                payment_record_transfer(actor=request.user, invoice=invoice, amount=form.cleaned_data["amount"],
                                        reference=form.cleaned_data["reference"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                self.message_user(request, _("%(number)s is paid.") % {"number": invoice.number}, messages.SUCCESS)
                return redirect("admin:invoicing_invoice_change", invoice.pk)
        context = {**self.admin_site.each_context(request), "title": _("Record a wire transfer or cheque"),
                   "form": form, "invoices": [invoice], "opts": self.model._meta}
        return TemplateResponse(request, "admin/invoicing/void_invoices.html", context)

    def get_urls(self):
        return [path("void/", self.admin_site.admin_view(self.void_view), name="invoicing_invoice_void"),
                path("<int:invoice_id>/transfer/", self.admin_site.admin_view(self.transfer_view),
                     name="invoicing_invoice_transfer"),
                *super().get_urls()]

    def void_view(self, request):
        self._require_support(request)
        ids = [int(x) for x in request.GET.get("ids", "").split(",") if x.isdigit()]
        invoices = list(Invoice.objects.filter(pk__in=ids))
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            for invoice in invoices:
                try:
                    invoice_void(actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"])
                    self.message_user(request, _("Voided %(n)s.") % {"n": invoice.number}, messages.SUCCESS)
                except ValidationError as exc:
                    self.message_user(request, f"{invoice.number}: {' '.join(exc.messages)}", messages.ERROR)
            return redirect("admin:invoicing_invoice_changelist")
        context = {**self.admin_site.each_context(request), "title": _("Void invoices"), "form": form,
                   "invoices": invoices, "opts": self.model._meta}
        return TemplateResponse(request, "admin/invoicing/void_invoices.html", context)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(admin.ModelAdmin):
    list_display = ("account", "year", "last_number")
    list_select_related = ("account",)
    readonly_fields = ("account", "year", "last_number")

    def has_add_permission(self, request):
        return False


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    list_display = ("invoice", "position", "description", "quantity", "unit_price", "amount", "credits_applied")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "description", "product")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in InvoiceLine._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
