from django import forms
from django.contrib import admin

from billing_admin.core.admin_mixins import ServiceAddAdminMixin
from invoicing.models import Charge
from invoicing.services.charges import purchase_record


class PurchaseForm(forms.ModelForm):
    class Meta:
        model = Charge
        fields = ("profile", "product", "description", "quantity", "unit_price", "service_period_start",
                  "service_period_end", "credit_eligible")


@admin.register(Charge)
class ChargeAdmin(ServiceAddAdminMixin, admin.ModelAdmin):
    """Support records purchases here; saving goes through ``purchase_record``."""

    list_display = ("product", "description", "profile", "amount", "currency", "service_period_start", "invoice")
    list_filter = ("currency", "credit_eligible")
    list_select_related = ("profile", "invoice")
    search_fields = ("product", "description", "profile__name", "invoice__number")
    raw_id_fields = ("profile", "invoice", "purchased_by")
    form = PurchaseForm

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a recorded charge is history: void its invoice instead of editing it
            return [f.name for f in Charge._meta.fields]
        return ()

    def get_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in Charge._meta.fields]
        return PurchaseForm.Meta.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def create_through_service(self, request, data):
        (charge,) = purchase_record(actor=request.user, account=data["profile"].account, profile=data["profile"],
                                    items=[{k: data[k] for k in PurchaseForm.Meta.fields if k != "profile"}])
        return charge
