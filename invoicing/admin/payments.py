from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import AppendOnlyAdmin, money_display
from invoicing.models import Payment


@admin.register(Payment)
class PaymentAdmin(AppendOnlyAdmin):
    """Payments are history; a received transfer is recorded from its invoice's page."""

    list_display = ("created", "invoice", "amount_money", "status", "method_label", "reference", "receipt_sent_at")
    list_filter = ("status", "currency")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "reference", "method_label")
    amount_money = money_display("amount", _("amount"))
    fields = ("created", "invoice", "amount_money", "currency", "status", "method_label", "payment_method", "reference",
              "recorded_by", "receipt_sent_at", "receipt_sent_to")
    readonly_fields = fields

    def get_readonly_fields(self, request, obj=None):
        return self.fields
