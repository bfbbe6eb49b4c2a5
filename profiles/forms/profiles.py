from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from profiles.models import BillingAccount, BillingProfile

INVOICE_DAY_HELP = _("A day from 1 to 28: the invoice is issued on that day every month.")
INVOICE_DAY_WIDGET = forms.NumberInput(attrs={"min": 1, "max": 28, "step": 1})


class InvoiceDayRange:
    """The browser's number input stops at 1 and 28 (the form field alone would say min="0"), and the form
    says so with the other fields' messages, not only once they are right and the model is validated."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["invoice_day"]
        field.widget.attrs.update(min=1, max=28)
        field.validators += [MinValueValidator(1), MaxValueValidator(28)]


class ProfileDetailsForm(InvoiceDayRange, forms.ModelForm):
    class Meta:
        model = BillingProfile
        fields = ("name", "bill_to_address", "contact_name", "contact_email", "invoice_language", "invoice_day")
        widgets = {"bill_to_address": forms.Textarea(attrs={"rows": 3}), "invoice_day": INVOICE_DAY_WIDGET}
        help_texts = {"invoice_day": INVOICE_DAY_HELP}


class PONumberForm(forms.ModelForm):
    class Meta:
        model = BillingProfile
        fields = ("po_number",)
        help_texts = {"po_number": _("Printed on every invoice of this profile. Leave empty for none.")}


class RecipientForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class ProfileCreateForm(InvoiceDayRange, forms.ModelForm):
    account = forms.ModelChoiceField(label=_("Billing account"), queryset=BillingAccount.objects.none())

    class Meta:
        model = BillingProfile
        fields = ("account", "name", "bill_to_address", "contact_name", "contact_email", "po_number",
                  "invoice_email_opt_in", "invoice_language", "invoice_day")
        widgets = {"bill_to_address": forms.Textarea(attrs={"rows": 3}), "invoice_day": INVOICE_DAY_WIDGET}
        help_texts = {"invoice_day": INVOICE_DAY_HELP}

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts if accounts is not None else BillingAccount.objects.none()

    def _post_clean(self):
        # Validation only: the service builds and saves the profile (currency comes from the account).
        pass


class AccountDetailsForm(forms.ModelForm):
    class Meta:
        model = BillingAccount
        fields = ["sold_to_address", "country", "tax_id", "payment_terms_days"]
        widgets = {"sold_to_address": forms.Textarea(attrs={"rows": 4})}
