"""The Permissions tab: who has which role, directly or through the account; grant, change, remove."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.csv import csv_response
from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.forms.roles import ChangeRoleForm, GrantRoleForm
from profiles.models import RoleAssignment
from profiles.selectors import profile_loader, role_assignments_for_profile
from profiles.services import roles as role_services
from profiles.tabs import profile_tab_context

TEMPLATE = "profiles/profile_permissions.html"


def permissions_context(request, profile, *, grant_form=None, change_errors=None) -> dict:
    context = profile_tab_context(request, profile, "permissions")
    direct, inherited = role_assignments_for_profile(profile=profile)
    context.update({"direct": direct, "inherited": inherited, "grant_form": grant_form or GrantRoleForm(),
                    "change_form": ChangeRoleForm(), "change_errors": change_errors or {}})
    return context


def _tab_url(profile) -> str:
    return reverse("profiles:profile-permissions", args=[profile.pk])


def _assignment(profile, assignment_id) -> RoleAssignment:
    try:
        return RoleAssignment.objects.select_related("user", "profile", "profile__account").get(
            pk=assignment_id, profile=profile)
    except RoleAssignment.DoesNotExist:
        raise Http404 from None


@object_action_required(Action.VIEW, profile_loader)
def profile_permissions(request, profile):
    return render_page_or_partial(request, TEMPLATE, permissions_context(request, profile))


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def role_grant_view(request, profile):
    form = GrantRoleForm(request.POST)
    if form.is_valid():
        try:
            role_services.role_grant(actor=request.user, user_email=form.cleaned_data["email"],
                                     role=form.cleaned_data["role"], profile=profile)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(email)s now has a role on this profile.") % form.cleaned_data)
            return after_success(request, url=_tab_url(profile), event="rolesChanged",
                                 render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                       permissions_context(request, profile)))
    return render_page_or_partial(request, TEMPLATE, permissions_context(request, profile, grant_form=form))


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def role_change_view(request, profile, assignment_id: int):
    assignment = _assignment(profile, assignment_id)
    form = ChangeRoleForm(request.POST)
    errors = {}
    if form.is_valid():
        try:
            role_services.role_change(actor=request.user, assignment=assignment, role=form.cleaned_data["role"])
        except ValidationError as exc:
            errors[assignment.pk] = " ".join(exc.messages)
        else:
            messages.success(request, _("The role of %(email)s was changed.") % {"email": assignment.user.email})
            return after_success(request, url=_tab_url(profile), event="rolesChanged",
                                 render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                       permissions_context(request, profile)))
    else:
        errors[assignment.pk] = _("Choose a role.")
    if not request.htmx:
        messages.error(request, errors[assignment.pk])
    return render_page_or_partial(request, TEMPLATE, permissions_context(request, profile, change_errors=errors))


@object_action_required(Action.MANAGE_ROLES, profile_loader)
def role_remove_view(request, profile, assignment_id: int):
    assignment = _assignment(profile, assignment_id)
    if request.method == "POST":
        try:
            role_services.role_revoke(actor=request.user, assignment=assignment)
        except ValidationError as exc:  # the last owner; or removed by a concurrent request (a normal answer)
            (messages.info if getattr(exc, "code", None) == "already_removed" else messages.error)(
                request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(email)s no longer has a role on this profile.")
                             % {"email": assignment.user.email})
        return after_success(request, url=_tab_url(profile), event="rolesChanged",
                             render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                   permissions_context(request, profile)))
    context = profile_tab_context(request, profile, "permissions")
    context["assignment"] = assignment
    return render_page_or_partial(request, "profiles/role_remove_confirm.html", context)


@object_action_required(Action.VIEW, profile_loader)
def role_assignments_csv(request, profile):
    direct, inherited = role_assignments_for_profile(profile=profile)
    rows = [(a.user.email, a.get_role_display(), _("this profile"), a.granted_by.email if a.granted_by else "",
             a.granted_at.isoformat()) for a in direct]
    rows += [(a.user.email, a.get_role_display(), _("account %(name)s") % {"name": a.account.name},
              a.granted_by.email if a.granted_by else "", a.granted_at.isoformat()) for a in inherited]
    return csv_response(f"roles-profile-{profile.pk}.csv", ["user", "role", "scope", "granted_by", "granted_at"],
                        rows)
