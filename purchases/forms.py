"""Validation of the purchase page's fields (the services decide what may be bought)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
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
    purchase_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal"})


class PurchaseTargetForm(forms.Form):
    """Whom the purchase is billed to: ``profile-<id>`` or ``account-<id>``.

    The view resolves the value with one permission-checked lookup and passes the result as
    ``target`` (None: missing, malformed, or not the user's to buy on); the form says what is wrong.
    With ``profiles``/``accounts`` the field is a select of them, otherwise a hidden input."""

    target = forms.CharField(label=_("Billing profile"), max_length=40,
                             error_messages={"required": _("Choose a billing profile.")})

    def __init__(self, *args, target=None, profiles=None, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        if profiles is None and accounts is None:
            self.fields["target"].widget = forms.HiddenInput()
            return
        choices = [("", _("Choose a billing profile"))]
        choices += [(f"profile-{p.pk}", f"{p.account.name} · {p.name} ({p.currency})") for p in profiles or ()]
        choices += [(f"account-{a.pk}", _("%(account)s · new default billing profile (%(currency)s)")
                     % {"account": a.name, "currency": a.currency}) for a in accounts or ()]
        self.fields["target"].widget = forms.Select(choices=choices)

    def clean_target(self):
        if self.target is None:
            raise ValidationError(_("You may not buy on this billing profile: choose another one."),
                                  code="invalid_choice")
        return self.target
