from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import (
    AppendOnlyAdmin,
    ReadOnlyInline,
    SupportAdmin,
    error_text,
    money_display,
)
from billing_admin.core.htmx import add_errors
from billing_admin.core.money import format_money
from billing_admin.core.permissions import SupportAction, support_may
from invoicing.models import CreditLot, CreditTransaction
from invoicing.services.credits import credit_adjust, credit_lot_add


class CreditLotAddForm(forms.ModelForm):
    class Meta:
        model = CreditLot
        fields = ("profile", "source", "original_amount", "start_date", "expiration_date", "reference")


class AdjustForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (negative to take credit away)"), max_digits=18, decimal_places=4)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError(_("The adjustment cannot be zero."))
        return amount


class CreditTransactionInline(ReadOnlyInline):
    model = CreditTransaction
    fields = ("created", "kind", "amount_money", "balance_after_money", "invoice", "description")
    amount_money = money_display("amount", _("amount"), lambda t: t.lot.currency)
    balance_after_money = money_display("balance_after", _("balance after"), lambda t: t.lot.currency)
    fields = ("created", "profile", "lot", "kind", "amount_money", "balance_after_money", "invoice", "description",
              "actor")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice", "lot", "profile", "actor")


@admin.register(CreditLot)
class CreditLotAdmin(SupportAdmin):
    """Lots are added through ``credit_lot_add`` and changed only by adjustments (with a reason)."""

    add_action = SupportAction.ADJUST_CREDIT
    list_display = ("profile", "source", "original_amount_money", "remaining_money", "start_date",
                    "expiration_date", "status")
    list_filter = ("status", "source", "currency")
    list_select_related = ("profile",)
    search_fields = ("profile__name", "reference")
    raw_id_fields = ("profile",)
    inlines = [CreditTransactionInline]
    original_amount_money = money_display("original_amount", _("original amount"))
    remaining_money = money_display("remaining", _("remaining"))
    LOT_FIELDS = ("profile", "source", "original_amount_money", "remaining_money", "start_date", "expiration_date",
                  "status", "reference", "created_by", "created")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile", "created_by")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CreditLotAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return CreditLotAddForm.Meta.fields if obj is None else self.LOT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.LOT_FIELDS

    def create(self, request, form):
        data = form.cleaned_data
        return credit_lot_add(actor=request.user, profile=data["profile"], source=data["source"],
                              amount=data["original_amount"], start_date=data["start_date"],
                              expiration_date=data["expiration_date"], reference=data.get("reference", ""))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        actions = []
        if support_may(request.user, SupportAction.ADJUST_CREDIT) and str(object_id).isdigit():
            actions = [{"url": reverse("admin:invoicing_creditlot_adjust", args=[object_id]), "label": _("Adjust")}]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "object_actions": actions})

    def get_urls(self):
        return [path("<int:lot_id>/adjust/", self.admin_site.admin_view(self.adjust_view),
                     name="invoicing_creditlot_adjust"), *super().get_urls()]

    def adjust_view(self, request, lot_id):
        if not support_may(request.user, SupportAction.ADJUST_CREDIT):
            raise PermissionDenied
        lot = get_object_or_404(CreditLot.objects.select_related("profile"), pk=lot_id)
        change_url = reverse("admin:invoicing_creditlot_change", args=[lot.pk])
        form = AdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credit_adjust(actor=request.user, lot=lot, amount=form.cleaned_data["amount"],
                              reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(error_text(exc)))
            else:
                self.message_user(request, _("The lot was adjusted."), messages.SUCCESS)
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Adjust credit lot"),
            "subtitle": str(lot), "object": lot, "form": form, "change_url": change_url,
            "summary": [(_("profile"), lot.profile.name), (_("status"), lot.get_status_display()),
                        (_("remaining"), format_money(lot.remaining, lot.currency)),
                        (_("original amount"), format_money(lot.original_amount, lot.currency))],
            "explanation": _("A positive amount gives credit back, a negative one takes it away; the lot stays "
                             "between zero and its original amount. The reason is written in the ledger."),
            "submit_label": _("Adjust"),
        }
        return TemplateResponse(request, "admin/object_action.html", context)


@admin.register(CreditTransaction)
class CreditTransactionAdmin(AppendOnlyAdmin):
    list_display = ("created", "profile", "lot", "kind", "amount_money", "balance_after_money", "invoice")
    list_filter = ("kind",)
    list_select_related = ("profile", "lot", "invoice")
    search_fields = ("profile__name", "invoice__number", "description")
    amount_money = money_display("amount", _("amount"), lambda t: t.lot.currency)
    balance_after_money = money_display("balance_after", _("balance after"), lambda t: t.lot.currency)
