from django import forms
from django.utils.translation import gettext_lazy as _


class PayForm(forms.Form):
    payment_method = forms.TypedChoiceField(label=_("Pay with"), coerce=int, widget=forms.RadioSelect)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(m.pk, m.label) for m in methods]
