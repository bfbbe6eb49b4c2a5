"""The tabs of the profile page. Each tab is a real URL; the credit tabs exist only for profiles
that have ever had a credit lot."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

TABS = [
    ("overview", _("Overview"), "profiles:profile-overview"),
    ("permissions", _("Permissions"), "profiles:profile-permissions"),
    ("credit-balance", _("Azure credit balance"), "invoicing:profile-credit-balance"),
    ("credits", _("Azure credits"), "invoicing:profile-credits"),
    ("invoices", _("Invoices"), "invoicing:profile-invoices"),
    ("payment-methods", _("Payment methods"), "profiles:profile-payment-methods"),
]
CREDIT_TABS = {"credit-balance", "credits"}


def profile_has_credits(profile) -> bool:
    from invoicing.models import CreditLot

    if not hasattr(profile, "_has_credits"):
        profile._has_credits = CreditLot.objects.filter(profile=profile).exists()
    return profile._has_credits


def profile_tab_context(request, profile, active: str) -> dict:
    """Context every tab template needs: the profile, the tab list, the active tab, can_* flags."""
    has_credits = profile_has_credits(profile)
    tabs = [
        {"key": key, "label": label, "url": reverse(url_name, args=[profile.pk]), "active": key == active}
        for key, label, url_name in TABS
        if has_credits or key not in CREDIT_TABS
    ]
    from invoicing.models import Invoice

    past_due_count = Invoice.objects.filter(profile=profile, status=Invoice.Status.PAST_DUE).count()
    checker = getattr(request, "checker", None)
    flags = checker.flags(profile) if checker is not None else {}
    return {"profile": profile, "account": profile.account, "tabs": tabs, "active_tab": active,
            "has_credits": has_credits, "past_due_count": past_due_count, **flags}
