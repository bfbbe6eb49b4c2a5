"""The activity views of a profile and of a billing account (owners and account owners only)."""

from __future__ import annotations

from billing_admin.core.htmx import render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.activity_view import describe
from profiles.selectors import account_loader, activity_page, profile_loader
from profiles.tabs import profile_tab_context


@object_action_required(Action.MANAGE_ROLES, profile_loader)
def profile_activity(request, profile):
    page = activity_page(profile=profile, page=request.GET.get("page"))
    context = profile_tab_context(request, profile, "activity")
    context.update(page=page, entries=[describe(e) for e in page], show_profile=False)
    return render_page_or_partial(request, "profiles/profile_activity.html", context)


@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_activity(request, account):
    page = activity_page(account=account, page=request.GET.get("page"))
    context = {"account": account, "page": page, "entries": [describe(e) for e in page], "show_profile": True}
    return render_page_or_partial(request, "profiles/account_activity.html", context)
