from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing_admin.core.admin_mixins import ReadOnlyInline, SupportAdmin, SupportPermissions
from billing_admin.core.permissions import SupportAction
from profiles.models import BillingAccount, BillingProfile, InvoiceRecipient
from profiles.services import profiles as services


class InvoiceRecipientInline(SupportPermissions, admin.TabularInline):
    """Added and removed through the recipient services (limit, duplicates, activity log); a changed
    address is a removal and an addition, as on the pages."""

    model = InvoiceRecipient
    extra = 0
    fields = ("email",)
    add_action = change_action = delete_action = SupportAction.EDIT


class BillingProfileInline(ReadOnlyInline):
    model = BillingProfile
    fields = ("name", "currency", "po_number", "status", "is_default")
    show_change_link = True


class AccountForm(forms.ModelForm):
    owner_email = forms.EmailField(label=_("Account owner (e-mail of an existing user)"))

    class Meta:
        model = BillingAccount
        fields = ("name", "country", "sold_to_address", "tax_id", "tax_rate", "payment_terms_days")

    def clean_owner_email(self):
        email = self.cleaned_data["owner_email"]
        user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise ValidationError(_("No active user has this e-mail address."))
        return user


@admin.register(BillingAccount)
class BillingAccountAdmin(SupportAdmin):
    """Accounts are created with their owner and corrected through the account services; never deleted."""

    add_action = change_action = SupportAction.EDIT
    list_display = ("name", "country", "tax_id", "tax_rate", "payment_terms_days", "created")
    list_filter = ("country",)
    search_fields = ("name", "tax_id", "profiles__name", "profiles__po_number")
    inlines = [BillingProfileInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AccountForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ["name", "country", "sold_to_address", "tax_id", "tax_rate", "payment_terms_days"]
        return [*fields, "owner_email"] if obj is None else [*fields, "currency"]

    def get_readonly_fields(self, request, obj=None):
        return ("currency",) if obj is not None else ()

    @admin.display(description=_("currency"))
    def currency(self, obj):
        return obj.currency

    def activity_queryset(self, obj):
        return obj.activity.all()

    def create(self, request, form):
        data = form.cleaned_data
        return services.account_create(
            actor=request.user, support=True, owner=data["owner_email"], name=data["name"], country=data["country"],
            sold_to_address=data["sold_to_address"], tax_id=data["tax_id"], tax_rate=data["tax_rate"],
            payment_terms_days=data["payment_terms_days"])

    def update(self, request, obj, form):
        fields = {f: form.cleaned_data[f] for f in form.changed_data if f in services.ACCOUNT_FIELDS}
        return services.account_update(actor=request.user, support=True, account=obj, **fields)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = BillingProfile
        fields = ("account", "name", "po_number", "bill_to_address", "contact_name", "contact_email",
                  "invoice_email_opt_in", "invoice_language", "invoice_day", "status")


PROFILE_ADD_FIELDS = ("account", "name", "po_number", "bill_to_address", "contact_name", "contact_email",
                      "invoice_email_opt_in", "invoice_language", "invoice_day")


@admin.register(BillingProfile)
class BillingProfileAdmin(SupportAdmin):
    """Profiles are created, corrected, disabled and re-enabled through the profile services (the
    same checks as the pages: currency from the account, unique names, disabling blocked while
    anything is unpaid); a profile never moves to another account and is never deleted."""

    add_action = change_action = SupportAction.EDIT
    form = ProfileForm
    list_display = ("name", "account", "currency", "po_number", "contact_email", "status", "is_default")
    list_filter = ("status", "currency", "invoice_language", "invoice_email_opt_in")
    list_select_related = ("account",)
    search_fields = ("name", "po_number", "contact_name", "contact_email", "account__name", "recipients__email",
                     "payment_methods__card_last4", "payment_methods__iban_masked")
    autocomplete_fields = ("account",)
    inlines = [InvoiceRecipientInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            return PROFILE_ADD_FIELDS
        return (*PROFILE_ADD_FIELDS, "status", "currency", "is_default", "created", "updated")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("account", "currency", "is_default", "created", "updated")

    def activity_queryset(self, obj):
        return obj.activity.all()

    def create(self, request, form):
        data = form.cleaned_data
        return services.profile_create(actor=request.user, support=True, is_default=None,
                                       **{f: data[f] for f in PROFILE_ADD_FIELDS})

    def update(self, request, obj, form):
        changed = set(form.changed_data)
        profile = BillingProfile.objects.get(pk=obj.pk)
        fields = {f: form.cleaned_data[f] for f in changed & services.EDITABLE_FIELDS}
        if fields:
            profile = services.profile_update(actor=request.user, support=True, profile=profile, **fields)
        if "invoice_email_opt_in" in changed:
            profile = services.profile_set_invoice_email(actor=request.user, support=True, profile=profile,
                                                         opt_in=form.cleaned_data["invoice_email_opt_in"])
        if "status" in changed:
            switch = (services.profile_disable if form.cleaned_data["status"] == BillingProfile.Status.DISABLED
                      else services.profile_enable)
            profile = switch(actor=request.user, support=True, profile=profile)
        return profile

    def save_inline(self, request, form, formset, change):
        if formset.model is not InvoiceRecipient:
            return
        profile = form.instance
        formset.save(commit=False)  # only sorts the rows into new / changed / deleted; writes nothing
        for recipient in formset.deleted_objects:
            services.recipient_remove(actor=request.user, support=True,
                                      recipient=InvoiceRecipient.objects.select_related("profile").get(pk=recipient.pk))
        for recipient, _fields in formset.changed_objects:
            if recipient in formset.deleted_objects:
                continue
            services.recipient_remove(actor=request.user, support=True,
                                      recipient=InvoiceRecipient.objects.select_related("profile").get(pk=recipient.pk))
            services.recipient_add(actor=request.user, support=True, profile=profile, email=recipient.email)
        for recipient in formset.new_objects:
            services.recipient_add(actor=request.user, support=True, profile=profile, email=recipient.email)


@admin.register(InvoiceRecipient)
class InvoiceRecipientAdmin(SupportAdmin):
    """Extra recipients, added and removed through the recipient services."""

    add_action = delete_action = SupportAction.EDIT
    list_display = ("email", "profile", "created")
    list_select_related = ("profile",)
    search_fields = ("email", "profile__name")
    raw_id_fields = ("profile",)
    fields = ("profile", "email")

    def get_readonly_fields(self, request, obj=None):
        return ("profile", "email") if obj is not None else ()

    def create(self, request, form):
        return services.recipient_add(actor=request.user, support=True, profile=form.cleaned_data["profile"],
                                      email=form.cleaned_data["email"])

    def remove(self, request, obj):
        services.recipient_remove(actor=request.user, support=True, recipient=obj)
