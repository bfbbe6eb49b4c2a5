from django import forms
from django.utils.translation import gettext_lazy as _


class PayForm(forms.Form):
    payment_method = forms.TypedChoiceField(label=_("Pay with"), coerce=int, widget=forms.RadioSelect)
    # Checked by the service (a key the server issued for this invoice and person); an empty or
    # altered one gets a message on top of the form and a fresh key, never a silent hidden error.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, strip=True)

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(m.pk, m.label) for m in methods]
