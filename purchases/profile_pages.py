"""What purchases shows on the profile pages and what it asks before a profile changes.

Registered into ``profiles.registry`` from ``PurchasesConfig.ready()``: the Subscriptions tab, and
the rule that a profile with a running subscription is not disabled (its next month would have
nowhere to go).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles import registry
from purchases.selectors import has_running_subscriptions


def _disable_blocked_by_subscriptions(profile) -> str | None:
    if has_running_subscriptions(profile_id=profile.pk):
        return _("It has subscriptions that are still charged. Cancel them first; the profile can be disabled "
                 "once their last period is invoiced.")
    return None


def register() -> None:
    registry.register_tab(registry.Tab("subscriptions", gettext_lazy("Subscriptions"),
                                       "purchases:profile-subscriptions", order=80))
    registry.register_disable_blocker("purchases.subscriptions", _disable_blocked_by_subscriptions)
