"""The Permissions tab: who has which role, directly or through the account; grant (or invite), change, remove."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing_admin.core.csv import csv_response
from billing_admin.core.htmx import after_success, render_page_or_partial, submit
from billing_admin.core.permissions import Action, PermissionChecker
from billing_admin.core.views import object_action_required
from profiles.forms.roles import ChangeRoleForm, GrantRoleForm
from profiles.models import Role
from profiles.selectors import (
    gives_up_own_owner_role,
    pending_invitations,
    profile_loader,
    role_assignment_loader,
    role_assignments_for_profile,
)
from profiles.services import invitations as invitation_services
from profiles.services import roles as role_services
from profiles.tabs import profile_tab_context

TEMPLATE = "profiles/profile_permissions.html"
CONFIRM_TEMPLATE = "profiles/role_remove_confirm.html"


def person(user) -> str:
    """How messages name a person: their name and address, or the address alone."""
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


def role_label(role: str) -> str:
    return str(Role(role).label)


def grant_message(email: str, role: str) -> str:
    """The same answer whether or not the address has a sign-in (both get an e-mail)."""
    return _("%(email)s was given the role %(role)s and gets an e-mail about it. Someone without a sign-in yet "
             "sets one up from that e-mail; until then the invitation is listed as pending.") % {
        "email": email.strip(), "role": role_label(role)}


def render_tab(request, profile, *, grant_form=None, change_errors=None):
    request.checker = PermissionChecker(request.user)  # a role change makes the request's answers stale
    context = profile_tab_context(request, profile, "permissions")
    direct, inherited = role_assignments_for_profile(profile=profile)
    context.update({"direct": direct, "inherited": inherited, "grant_form": grant_form or GrantRoleForm(),
                    "change_form": ChangeRoleForm(), "change_errors": change_errors or {},
                    "invitations": pending_invitations(profile=profile) if context.get("can_manage_roles") else []})
    return render_page_or_partial(request, TEMPLATE, context)


# The invitation views render the refreshed tab with this name.
refreshed_tab = render_tab


def _tab_url(profile) -> str:
    return reverse("profiles:profile-permissions", args=[profile.pk])


def _show_change_errors(request, assignment, form):
    """A refused change is said on the assignment's row (and as a message on a whole page)."""
    error = " ".join(message for field_errors in form.errors.values() for message in field_errors)
    if not request.htmx:
        messages.error(request, error)
    return render_tab(request, assignment.profile, change_errors={assignment.pk: error})


def after_own_role_change(request, *, can_still_see: bool, url: str, fallback_url: str):
    """People who changed or removed their own owner role land on a page they may still see, with the message
    waiting there: the tab while they can see the profile, else the list (never a 404)."""
    target = url if can_still_see else fallback_url
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def confirm_own_role_context(*, role: str | None, scope_name: str) -> dict:
    """What the confirmation page says before people give up their own owner role."""
    if role is None:
        warning = _("You are removing your own role. You will lose access to %(name)s: you will no longer be "
                    "able to manage its roles, and nobody can undo this for you but another owner.") % {
            "name": scope_name}
    else:
        warning = _("You are changing your own role to %(role)s. You will lose access to what only owners may do "
                    "on %(name)s, including managing its roles, and only another owner can give it back.") % {
            "role": role_label(role), "name": scope_name}
    return {"own_role": True, "warning": warning, "new_role": role}


@object_action_required(Action.VIEW, profile_loader)
def profile_permissions(request, profile):
    return render_tab(request, profile)


@require_POST
@object_action_required(Action.MANAGE_ROLES, profile_loader)
def role_grant_view(request, profile):
    return submit(request, form=GrantRoleForm(request.POST), url=_tab_url(profile),
                  service=lambda data: invitation_services.role_grant_or_invite(
                      actor=request.user, email=data["email"], role=data["role"], profile=profile),
                  success=lambda _r: grant_message(request.POST.get("email", ""), request.POST.get("role")),
                  show=lambda form: render_tab(request, profile, grant_form=form),
                  done=partial(render_tab, request, profile))


def _own_role_done(request, profile, message: str):
    messages.success(request, message)
    return after_own_role_change(request, can_still_see=PermissionChecker(request.user).has(Action.VIEW, profile),
                                 url=_tab_url(profile), fallback_url=reverse("profiles:profile-list"))


@require_POST
@object_action_required(Action.MANAGE_ROLES, role_assignment_loader)
def role_change_view(request, assignment):
    profile, form, old = assignment.profile, ChangeRoleForm(request.POST), assignment.role
    role = form.data.get("role")
    if form.is_valid() and gives_up_own_owner_role(actor=request.user, assignment=assignment, new_role=role):
        if not form.cleaned_data["confirm"]:
            context = {**profile_tab_context(request, profile, "permissions"), "assignment": assignment,
                       **confirm_own_role_context(role=role, scope_name=profile.name)}
            return render_page_or_partial(request, CONFIRM_TEMPLATE, context)
        try:
            role_services.role_change(actor=request.user, assignment=assignment, role=role)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return after_success(request, url=_tab_url(profile), render=partial(render_tab, request, profile))
        return _own_role_done(request, profile, _("You now have the role %(role)s on %(name)s.") % {
            "role": role_label(role), "name": profile.name})
    return submit(request, form=form, url=_tab_url(profile),
                  service=lambda data: role_services.role_change(actor=request.user, assignment=assignment,
                                                                 role=data["role"]),
                  success=lambda a: _("%(person)s now has the role %(role)s instead of %(old)s.") % {
                      "person": person(a.user), "role": role_label(a.role), "old": role_label(old)},
                  show=partial(_show_change_errors, request, assignment),
                  done=partial(render_tab, request, profile))


@object_action_required(Action.MANAGE_ROLES, role_assignment_loader)
def role_remove_view(request, assignment):
    profile = assignment.profile
    own = gives_up_own_owner_role(actor=request.user, assignment=assignment)
    if request.method != "POST" or (own and not request.POST.get("confirm")):
        context = {**profile_tab_context(request, profile, "permissions"), "assignment": assignment}
        if own:
            context.update(confirm_own_role_context(role=None, scope_name=profile.name))
        return render_page_or_partial(request, CONFIRM_TEMPLATE, context)
    if own:
        try:
            role_services.role_revoke(actor=request.user, assignment=assignment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return after_success(request, url=_tab_url(profile), render=partial(render_tab, request, profile))
        return _own_role_done(request, profile, _("You no longer have the role %(role)s on %(name)s.") % {
            "role": assignment.get_role_display(), "name": profile.name})
    return submit(request, url=_tab_url(profile), done=partial(render_tab, request, profile),
                  service=lambda _data: role_services.role_revoke(actor=request.user, assignment=assignment),
                  success=lambda _none: _("%(person)s no longer has the role %(role)s on this billing profile.")
                  % {"person": person(assignment.user), "role": assignment.get_role_display()})


@object_action_required(Action.VIEW, profile_loader)
def role_assignments_csv(request, profile):
    direct, inherited = role_assignments_for_profile(profile=profile)
    rows = [(a.user.email, a.get_role_display(), _("this profile"), a.granted_by.email if a.granted_by else "",
             a.granted_at.isoformat()) for a in direct]
    rows += [(a.user.email, a.get_role_display(), _("account %(name)s") % {"name": a.account.name},
              a.granted_by.email if a.granted_by else "", a.granted_at.isoformat()) for a in inherited]
    return csv_response(f"roles-profile-{profile.pk}.csv", ["user", "role", "scope", "granted_by", "granted_at"],
                        rows)
