from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import SupportAdmin, error_text
from billing_admin.core.permissions import SupportAction, support_may
from profiles.models import PaymentMethod
from profiles.services.payment_methods import payment_method_remove, payment_method_set_default


@admin.register(PaymentMethod)
class PaymentMethodAdmin(SupportAdmin):
    """Support reads methods, makes one the default and removes one, through the same services as
    the pages: exactly one default stays, the last method of a profile with unpaid invoices stays,
    and the activity log names the support engineer. Methods are added by the customer only (a card
    must go through the payment gateway); nothing is edited by hand."""

    delete_action = SupportAction.MANAGE_PAYMENT_METHODS
    list_display = ("__str__", "profile", "kind", "is_default", "created")
    list_filter = ("kind", "is_default")
    list_select_related = ("profile", "profile__account")
    search_fields = ("profile__name", "card_last4", "card_holder", "bank_holder", "iban_masked")
    actions = ["make_default"]
    # Never any full card number, CVC or IBAN here: the model cannot hold one.
    fields = ("profile", "kind", "is_default", "card_brand", "card_last4", "card_exp_month", "card_exp_year",
              "card_holder", "gateway_token", "bank_holder", "iban_masked", "bic", "created", "updated")
    readonly_fields = fields

    def has_manage_permission(self, request):
        return support_may(request.user, SupportAction.MANAGE_PAYMENT_METHODS)

    @admin.action(description=_("Make the selected payment method its profile's default"), permissions=["manage"])
    def make_default(self, request, queryset):
        for method in queryset.select_related("profile"):
            try:
                payment_method_set_default(actor=request.user, method=method, support=True)
            except Exception as exc:  # noqa: BLE001 - ValidationError / PermissionDenied, shown per method
                self.message_user(request, f"{method}: {error_text(exc)}", messages.ERROR)

    def remove(self, request, obj):
        payment_method_remove(actor=request.user, method=obj, support=True)
