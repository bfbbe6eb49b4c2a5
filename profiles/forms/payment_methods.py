from django import forms
from django.utils.translation import gettext_lazy as _


class NoEchoTextInput(forms.TextInput):
    """Renders empty: a card number typed once is never written back into a page."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """The number and CVC are never rendered back: on an error the person types them again."""

    number = forms.CharField(label=_("Card number"), max_length=30,
                             widget=NoEchoTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}))
    exp_month = forms.IntegerField(label=_("Expiry month"), min_value=1, max_value=12,
                                   widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month"}))
    # Two digits as printed on the card (28) or four (2028); the service says what is wrong with it.
    exp_year = forms.IntegerField(label=_("Expiry year"), min_value=0, max_value=9999,
                                  widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year"}))
    cvc = forms.CharField(label=_("Security code (CVC)"), max_length=4,
                          widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}))
    holder = forms.CharField(label=_("Name on the card"), max_length=120,
                             widget=forms.TextInput(attrs={"autocomplete": "cc-name"}))


class BankAccountForm(forms.Form):
    holder = forms.CharField(label=_("Account holder"), max_length=120)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
