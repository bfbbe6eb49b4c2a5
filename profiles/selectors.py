"""Reads for the profiles app."""

from __future__ import annotations

from django.db.models import QuerySet

from billing_admin.core.permissions import Action, profiles_with_action
from profiles.models import BillingProfile, RoleAssignment


def profile_get(*, profile_id) -> BillingProfile | None:
    """The profile with its account, or None. Permission checks are the caller's (see core.views)."""
    try:
        return BillingProfile.objects.select_related("account").get(pk=int(profile_id))
    except (BillingProfile.DoesNotExist, ValueError, TypeError):
        return None


def profile_loader(kwargs: dict) -> BillingProfile | None:
    """Loader for ``object_action_required``: pops ``profile_id`` from the URL kwargs."""
    return profile_get(profile_id=kwargs.pop("profile_id"))


def profiles_visible_to(user, *, action: Action = Action.VIEW) -> QuerySet[BillingProfile]:
    return profiles_with_action(user, action).select_related("account")


def role_assignments_for_profile(*, profile) -> tuple[list[RoleAssignment], list[RoleAssignment]]:
    """(direct grants on the profile, grants inherited from its account), two queries."""
    related = ("user", "granted_by", "account")
    direct = list(RoleAssignment.objects.filter(profile=profile).select_related(*related).order_by("granted_at", "pk"))
    inherited = list(RoleAssignment.objects.filter(account_id=profile.account_id).select_related(*related)
                     .order_by("granted_at", "pk"))
    return direct, inherited
