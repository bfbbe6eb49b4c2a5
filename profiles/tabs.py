"""The tabs of the profile page. Each tab is a real URL. ``profiles`` registers its own tabs here;
higher apps register theirs (and the notices above the tabs) in ``profiles.registry``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from billing_admin.core.permissions import Action
from profiles.registry import Tab, notices_for, register_tab, tabs_for

OWN_TABS = [
    Tab("overview", _("Overview"), "profiles:profile-overview", order=10),
    Tab("permissions", _("Permissions"), "profiles:profile-permissions", order=20),
    Tab("payment-methods", _("Payment methods"), "profiles:profile-payment-methods", order=90),
    Tab("activity", _("Activity"), "profiles:profile-activity", order=95),
]
# Tabs only some people see: the activity view is for owners (those who may manage the roles).
TAB_ACTIONS = {"activity": Action.MANAGE_ROLES}


def register_own_tabs() -> None:
    for tab in OWN_TABS:
        register_tab(tab)


def profile_tab_context(request, profile, active: str) -> dict:
    """Context every tab template needs: the profile, the tab list, the active tab, the notices, can_* flags."""
    checker = getattr(request, "checker", None)
    tabs = [{"key": t.key, "label": t.label, "url": reverse(t.url_name, args=[profile.pk]), "active": t.key == active}
            for t in tabs_for(profile)
            if t.key not in TAB_ACTIONS or (checker is not None and checker.has(TAB_ACTIONS[t.key], profile))]
    flags = checker.flags(profile) if checker is not None else {}
    flags["can_view_account"] = checker.has(Action.VIEW_ACCOUNT, profile.account) if checker is not None else False
    return {"profile": profile, "account": profile.account, "tabs": tabs, "active_tab": active,
            "notices": notices_for(profile), **flags}
