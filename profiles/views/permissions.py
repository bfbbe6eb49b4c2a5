"""The Permissions tab: who has which role, directly or through the account; grant, change, remove."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.csv import csv_response
from billing_admin.core.htmx import render_page_or_partial, submit
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.forms.roles import ChangeRoleForm, GrantRoleForm
from profiles.selectors import profile_loader, role_assignment_loader, role_assignments_for_profile
from profiles.services import roles as role_services
from profiles.tabs import profile_tab_context

TEMPLATE = "profiles/profile_permissions.html"


def render_tab(request, profile, *, grant_form=None, change_errors=None):
    context = profile_tab_context(request, profile, "permissions")
    direct, inherited = role_assignments_for_profile(profile=profile)
    context.update({"direct": direct, "inherited": inherited, "grant_form": grant_form or GrantRoleForm(),
                    "change_form": ChangeRoleForm(), "change_errors": change_errors or {}})
    return render_page_or_partial(request, TEMPLATE, context)


def _tab_url(profile) -> str:
    return reverse("profiles:profile-permissions", args=[profile.pk])


def _show_change_errors(request, assignment, form):
    """A refused change is said on the assignment's row (and as a message on a whole page)."""
    error = " ".join(message for field_errors in form.errors.values() for message in field_errors)
    if not request.htmx:
        messages.error(request, error)
    return render_tab(request, assignment.profile, change_errors={assignment.pk: error})


@object_action_required(Action.VIEW, profile_loader)
def profile_permissions(request, profile):
    return render_tab(request, profile)


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def role_grant_view(request, profile):
    return submit(request, form=GrantRoleForm(request.POST), url=_tab_url(profile),
                  service=lambda data: role_services.role_grant(actor=request.user, user_email=data["email"],
                                                                role=data["role"], profile=profile),
                  success=lambda grant: _("%(email)s now has a role on this profile.") % {"email": grant.user.email},
                  show=lambda form: render_tab(request, profile, grant_form=form),
                  done=partial(render_tab, request, profile))


@require_POST
@object_action_required(Action.MANAGE_ROLES, role_assignment_loader)
def role_change_view(request, assignment):
    return submit(request, form=ChangeRoleForm(request.POST), url=_tab_url(assignment.profile),
                  service=lambda data: role_services.role_change(actor=request.user, assignment=assignment,
                                                                 role=data["role"]),
                  success=lambda _a: _("The role of %(email)s was changed.") % {"email": assignment.user.email},
                  show=partial(_show_change_errors, request, assignment),
                  done=partial(render_tab, request, assignment.profile))


@object_action_required(Action.MANAGE_ROLES, role_assignment_loader)
def role_remove_view(request, assignment):
    if request.method != "POST":
        context = {**profile_tab_context(request, assignment.profile, "permissions"), "assignment": assignment}
        return render_page_or_partial(request, "profiles/role_remove_confirm.html", context)
    return submit(request, url=_tab_url(assignment.profile), done=partial(render_tab, request, assignment.profile),
                  service=lambda _data: role_services.role_revoke(actor=request.user, assignment=assignment),
                  success=lambda _none: _("%(email)s no longer has a role on this profile.")
                  % {"email": assignment.user.email})


@object_action_required(Action.VIEW, profile_loader)
def role_assignments_csv(request, profile):
    direct, inherited = role_assignments_for_profile(profile=profile)
    rows = [(a.user.email, a.get_role_display(), _("this profile"), a.granted_by.email if a.granted_by else "",
             a.granted_at.isoformat()) for a in direct]
    rows += [(a.user.email, a.get_role_display(), _("account %(name)s") % {"name": a.account.name},
              a.granted_by.email if a.granted_by else "", a.granted_at.isoformat()) for a in inherited]
    return csv_response(f"roles-profile-{profile.pk}.csv", ["user", "role", "scope", "granted_by", "granted_at"],
                        rows)
