from django.contrib import admin

from profiles.models import BillingAccount, BillingProfile, InvoiceRecipient


class InvoiceRecipientInline(admin.TabularInline):
    model = InvoiceRecipient
    extra = 0


class BillingProfileInline(admin.TabularInline):
    model = BillingProfile
    extra = 0
    fields = ("name", "currency", "po_number", "status", "is_default")
    readonly_fields = ("currency",)
    show_change_link = True


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "tax_id", "tax_rate", "created")
    list_filter = ("country",)
    search_fields = ("name", "tax_id", "profiles__name", "profiles__po_number")
    inlines = [BillingProfileInline]


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "currency", "po_number", "contact_email", "status", "is_default")
    list_filter = ("status", "currency", "invoice_language", "invoice_email_opt_in")
    list_select_related = ("account",)
    search_fields = ("name", "po_number", "contact_name", "contact_email", "account__name")
    autocomplete_fields = ("account",)
    readonly_fields = ("currency", "created", "updated")
    inlines = [InvoiceRecipientInline]


@admin.register(InvoiceRecipient)
class InvoiceRecipientAdmin(admin.ModelAdmin):
    list_display = ("email", "profile", "created")
    list_select_related = ("profile",)
    search_fields = ("email", "profile__name")
    raw_id_fields = ("profile",)
