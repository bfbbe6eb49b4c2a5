from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.models import Role

# Least powerful first: a grant starts on the role that can do the least harm.
PROFILE_ROLE_CHOICES = [(r.value, r.label) for r in (Role.READER, Role.INVOICE_MANAGER, Role.CONTRIBUTOR, Role.OWNER)]
ACCOUNT_ROLE_CHOICES = [(r.value, r.label) for r in (Role.ACCOUNT_READER, Role.ACCOUNT_CONTRIBUTOR,
                                                     Role.ACCOUNT_OWNER)]


class GrantRoleForm(forms.Form):
    email = forms.EmailField(label=_("User's e-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=PROFILE_ROLE_CHOICES, initial=Role.READER)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=PROFILE_ROLE_CHOICES,
                             error_messages={"required": _("Choose a role."), "invalid_choice": _("Choose a role.")})
    # Set by the confirmation page when people change or remove their own owner role.
    confirm = forms.BooleanField(required=False)


class AccountGrantRoleForm(GrantRoleForm):
    role = forms.ChoiceField(label=_("Role"), choices=ACCOUNT_ROLE_CHOICES, initial=Role.ACCOUNT_READER)


class AccountChangeRoleForm(ChangeRoleForm):
    role = forms.ChoiceField(label=_("Role"), choices=ACCOUNT_ROLE_CHOICES)


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
