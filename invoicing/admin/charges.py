from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import SupportAdmin, money_display
from billing_admin.core.money import format_quantity, format_unit_price
from billing_admin.core.permissions import SupportAction
from invoicing.models import Charge
from invoicing.services.charges import purchase_record


class PurchaseForm(forms.ModelForm):
    class Meta:
        model = Charge
        fields = ("profile", "product", "description", "quantity", "unit_price", "service_period_start",
                  "service_period_end", "credit_eligible")


@admin.register(Charge)
class ChargeAdmin(SupportAdmin):
    """Support records purchases here through ``purchase_record``; a recorded charge is history (void
    its invoice instead of editing it)."""

    add_action = SupportAction.EDIT
    list_display = ("product", "description", "profile", "amount_money", "service_period_start", "invoice")
    list_filter = ("currency", "credit_eligible")
    list_select_related = ("profile", "invoice")
    search_fields = ("product", "description", "profile__name", "invoice__number")
    raw_id_fields = ("profile",)
    form = PurchaseForm
    amount_money = money_display("amount", _("amount"))

    @admin.display(description=_("unit price"))
    def unit_price_shown(self, charge):
        return format_unit_price(charge.unit_price, charge.currency)

    @admin.display(description=_("quantity"))
    def quantity_shown(self, charge):
        return format_quantity(charge.quantity)

    def get_fields(self, request, obj=None):
        if obj is not None:
            return [{"amount": "amount_money", "unit_price": "unit_price_shown", "quantity": "quantity_shown"}.get(
                f.name, f.name) for f in Charge._meta.fields if f.name != "id"]
        return PurchaseForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def create(self, request, form):
        data = form.cleaned_data
        (charge,) = purchase_record(actor=request.user, account=data["profile"].account, profile=data["profile"],
                                    items=[{k: data[k] for k in PurchaseForm.Meta.fields if k != "profile"}])
        return charge
