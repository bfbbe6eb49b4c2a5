from django.contrib import admin

from billing_admin.core.admin_mixins import ReadOnlyAdminMixin
from invoicing.models import Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created", "invoice", "amount", "currency", "status", "method_label", "reference")
    list_filter = ("status", "currency")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "reference", "idempotency_key")
    readonly_fields = [f.name for f in Payment._meta.fields]
