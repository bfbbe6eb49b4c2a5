from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from profiles.models import PaymentMethod
from profiles.services.payment_methods import payment_method_remove, payment_method_set_default


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    """Support reads methods, makes one the default and removes one, through the same services as
    the pages: exactly one default stays, the last method of a profile with unpaid invoices stays,
    and the activity log names the support engineer. Methods are added by the customer only (a card
    must go through the payment gateway)."""

    list_display = ("__str__", "profile", "kind", "is_default", "created")
    list_filter = ("kind", "is_default")
    list_select_related = ("profile", "profile__account")
    search_fields = ("profile__name", "card_last4", "card_holder", "bank_holder", "iban_masked")
    actions = ["make_default"]
    # Never any full card number, CVC or IBAN here: the model cannot hold one.
    fields = ("profile", "kind", "is_default", "card_brand", "card_last4", "card_exp_month", "card_exp_year",
              "card_holder", "gateway_token", "bank_holder", "iban_masked", "bic", "created", "updated")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Make the selected payment method its profile's default"), permissions=["change"])
    def make_default(self, request, queryset):
        for method in queryset.select_related("profile"):
            try:
                payment_method_set_default(actor=request.user, method=method, support=True)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{method}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  messages.ERROR)

    def delete_model(self, request, obj):
        try:
            payment_method_remove(actor=request.user, method=obj, support=True)
        except (ValidationError, PermissionDenied) as exc:
            request._delete_refused = True
            self.message_user(request, f"{obj}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_delete_refused", False):  # not "deleted successfully": it was not
            return redirect("admin:profiles_paymentmethod_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("profile"):
            self.delete_model(request, obj)
