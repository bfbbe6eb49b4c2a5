from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.models import PROFILE_ROLES


class GrantRoleForm(forms.Form):
    email = forms.EmailField(label=_("User's e-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in PROFILE_ROLES])


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in PROFILE_ROLES],
                             error_messages={"required": _("Choose a role."), "invalid_choice": _("Choose a role.")})
