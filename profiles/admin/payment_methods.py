from django.contrib import admin

from profiles.models import PaymentMethod


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ("__str__", "profile", "kind", "is_default", "created")
    list_filter = ("kind", "is_default")
    list_select_related = ("profile", "profile__account")
    search_fields = ("profile__name", "card_last4", "card_holder", "bank_holder", "iban_masked")
    raw_id_fields = ("profile",)
    # Never any full card number, CVC or IBAN here: the model cannot hold one.
    readonly_fields = ("card_brand", "card_last4", "gateway_token", "iban_masked", "created", "updated")
