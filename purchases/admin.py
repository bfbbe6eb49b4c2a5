"""The catalogue in the Django admin: support engineers (the support action EDIT) manage products and
their prices here, every write through the catalogue services (rules and activity log); a refusal
rolls the whole save back and shows the form again with the message. Purchases and subscriptions
are shown only (they change through the portal's services)."""

from __future__ import annotations

from django.contrib import admin

from billing_admin.core.admin_mixins import AppendOnlyAdmin, SupportAdmin, SupportPermissions
from billing_admin.core.models import ActivityEvent
from billing_admin.core.permissions import SupportAction
from purchases.models import Price, Product, Purchase, Subscription, SubscriptionCharge
from purchases.services import catalogue


class PriceInline(SupportPermissions, admin.TabularInline):
    model = Price
    extra = 1
    fields = ("currency", "unit_price")
    add_action = change_action = delete_action = SupportAction.EDIT


@admin.register(Product)
class ProductAdmin(SupportAdmin):
    add_action = change_action = SupportAction.EDIT  # never deleted: take it off sale instead
    list_display = ("sku", "name", "billing", "unit", "unit_name", "is_active")
    list_filter = ("billing", "unit", "is_active")
    search_fields = ("sku", "name")
    fields = catalogue.PRODUCT_FIELDS
    inlines = [PriceInline]

    def activity_queryset(self, obj):
        return ActivityEvent.objects.filter(target_type__app_label="purchases", target_type__model="product",
                                            target_id=str(obj.pk))

    def create(self, request, form):
        return catalogue.product_create(actor=request.user, **{
            name: form.cleaned_data[name] for name in catalogue.PRODUCT_FIELDS if name in form.cleaned_data})

    def update(self, request, obj, form):
        return catalogue.product_update(actor=request.user, product=obj, **{
            name: form.cleaned_data[name] for name in form.changed_data if name in catalogue.PRODUCT_FIELDS})

    def save_inline(self, request, form, formset, change):
        product = form.instance
        for price_form in formset.forms:
            data = getattr(price_form, "cleaned_data", None)
            if not data:
                continue
            if data.get("DELETE"):
                if price_form.instance.pk:
                    catalogue.price_remove(actor=request.user, price=price_form.instance)
            elif price_form.has_changed():
                catalogue.price_set(actor=request.user, product=product, currency=data["currency"],
                                    unit_price=data["unit_price"])


@admin.register(Price)
class PriceAdmin(AppendOnlyAdmin):
    """Prices are set on their product's page."""

    list_display = ("product", "currency", "unit_price")
    list_select_related = ("product",)
    list_filter = ("currency",)
    search_fields = ("product__sku", "product__name")


@admin.register(Purchase)
class PurchaseAdmin(AppendOnlyAdmin):
    list_display = ("created", "product", "quantity", "amount", "currency", "profile", "purchaser", "created_profile")
    list_select_related = ("product", "profile", "purchaser")
    search_fields = ("product__sku", "profile__name", "purchaser__email")
    list_filter = ("currency", "created_profile")


@admin.register(Subscription)
class SubscriptionAdmin(AppendOnlyAdmin):
    list_display = ("product", "profile", "quantity", "unit_price", "currency", "started_on", "next_charge_on",
                    "status", "ends_on")
    list_select_related = ("product", "profile")
    search_fields = ("product__sku", "profile__name")
    list_filter = ("status", "currency")


@admin.register(SubscriptionCharge)
class SubscriptionChargeAdmin(AppendOnlyAdmin):
    list_display = ("subscription", "period_start", "period_end", "charge")
    list_select_related = ("subscription__product", "subscription__profile", "charge")
