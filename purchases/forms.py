"""Validation of the purchase page's fields (the services decide what may be bought)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from purchases.models import Product


class PurchaseForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), label=_("Product"),
                                     empty_label=_("Choose a product"),
                                     error_messages={"required": _("Choose a product."),
                                                     "invalid_choice": _("This product is not on sale.")})
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=20, decimal_places=4, initial=1,
                                  error_messages={"required": _("Enter a quantity."),
                                                  "invalid": _("Enter a quantity, e.g. 5."),
                                                  "max_digits": _("This quantity is far too large."),
                                                  "max_whole_digits": _("This quantity is far too large."),
                                                  "max_decimal_places": _("Use at most 4 decimals.")})
    target = forms.ChoiceField(label=_("Billing profile"), required=True,
                               error_messages={"required": _("Choose a billing profile."),
                                               "invalid_choice": _("Choose one of the billing profiles listed.")})
    purchase_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, products, profiles=(), accounts=(), with_target=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal"})
        if with_target:
            choices = [("", _("Choose a billing profile"))]
            choices += [(f"profile-{p.pk}", f"{p.account.name} · {p.name} ({p.currency})") for p in profiles]
            choices += [(f"account-{a.pk}", _("%(account)s · new default billing profile (%(currency)s)")
                         % {"account": a.name, "currency": a.currency}) for a in accounts]
            self.fields["target"].choices = choices
        else:
            del self.fields["target"]
