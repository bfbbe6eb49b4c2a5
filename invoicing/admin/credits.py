from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import ReadOnlyAdminMixin, ServiceAddAdminMixin
from billing_admin.core.htmx import add_errors
from invoicing.models import CreditLot, CreditTransaction
from invoicing.services.credits import credit_adjust, credit_lot_add


class CreditLotAddForm(forms.ModelForm):
    class Meta:
        model = CreditLot
        fields = ("profile", "source", "original_amount", "start_date", "expiration_date", "reference")


class AdjustForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (negative to take credit away)"), max_digits=18, decimal_places=4)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CreditTransactionInline(admin.TabularInline):
    model = CreditTransaction
    extra = 0
    can_delete = False
    fields = ("created", "kind", "amount", "balance_after", "invoice", "description")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


@admin.register(CreditLot)
class CreditLotAdmin(ServiceAddAdminMixin, admin.ModelAdmin):
    """Lots are added through ``credit_lot_add`` and changed only by adjustments (with a reason)."""

    list_display = ("profile", "source", "original_amount", "remaining", "currency", "start_date",
                    "expiration_date", "status")
    list_filter = ("status", "source", "currency")
    list_select_related = ("profile",)
    search_fields = ("profile__name", "reference")
    raw_id_fields = ("profile", "created_by")
    inlines = [CreditTransactionInline]
    actions = ["adjust"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CreditLotAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return CreditLotAddForm.Meta.fields if obj is None else [f.name for f in CreditLot._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else [f.name for f in CreditLot._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_support_permission(self, request, obj=None):
        """Adjusting credit is for staff who may change credit lots, not mere viewers."""
        return request.user.has_perm("invoicing.change_creditlot")

    def create_through_service(self, request, data):
        return credit_lot_add(actor=request.user, profile=data["profile"], source=data["source"],
                              amount=data["original_amount"], start_date=data["start_date"],
                              expiration_date=data["expiration_date"], reference=data.get("reference", ""))

    @admin.action(description=_("Adjust the remaining credit (with a reason)"), permissions=["support"])
    def adjust(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Adjust one lot at a time."), messages.ERROR)
            return None
        return redirect(reverse("admin:invoicing_creditlot_adjust", args=[queryset.get().pk]))

    def get_urls(self):
        return [path("<int:lot_id>/adjust/", self.admin_site.admin_view(self.adjust_view),
                     name="invoicing_creditlot_adjust"), *super().get_urls()]

    def adjust_view(self, request, lot_id):
        if not self.has_support_permission(request):
            raise PermissionDenied
        lot = get_object_or_404(CreditLot.objects.select_related("profile"), pk=lot_id)
        form = AdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credit_adjust(actor=request.user, lot=lot, amount=form.cleaned_data["amount"],
                              reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                self.message_user(request, _("The lot was adjusted."), messages.SUCCESS)
                return redirect("admin:invoicing_creditlot_change", lot.pk)
        context = {**self.admin_site.each_context(request), "title": _("Adjust credit lot"), "form": form,
                   "lot": lot, "opts": self.model._meta}
        return TemplateResponse(request, "admin/invoicing/adjust_lot.html", context)


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created", "profile", "lot", "kind", "amount", "balance_after", "invoice")
    list_filter = ("kind",)
    list_select_related = ("profile", "lot", "invoice")
    search_fields = ("profile__name", "invoice__number", "description")
    readonly_fields = [f.name for f in CreditTransaction._meta.fields]
