"""The billing account page: sold-to details, its profiles and what is due on them, account roles and invitations."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.permissions import Action, PermissionChecker
from billing_admin.core.views import object_action_required
from profiles.forms.profiles import AccountDetailsForm
from profiles.forms.roles import AccountChangeRoleForm, AccountGrantRoleForm
from profiles.models import Invitation, RoleAssignment
from profiles.selectors import account_loader, account_page, gives_up_own_owner_role, pending_invitations
from profiles.services import invitations as invitation_services
from profiles.services import profiles as profile_services
from profiles.services import roles as role_services
from profiles.views.invitations import invitation_act
from profiles.views.permissions import (
    after_own_role_change,
    confirm_own_role_context,
    grant_message,
    person,
    role_label,
)

TEMPLATE = "profiles/account_overview.html"
CONFIRM_TEMPLATE = "profiles/account_role_confirm.html"


def _table_page(request) -> str | None:
    """The page of the profile table: ``?page=``; for an htmx request from the page (an edit form, a grant,
    whose answer re-renders the panel) the page the browser shows, so the table stays where the user was."""
    if "page" in request.GET:
        return request.GET["page"]
    current = request.htmx.current_url_abs_path if request.htmx else None
    return QueryDict(urlsplit(current).query).get("page") if current else None


def account_context(request, account, *, editing: bool = False, form=None, grant_form=None,
                    change_errors=None) -> dict:
    checker = request.checker
    can_manage = checker.has(Action.MANAGE_ACCOUNT_ROLES, account)
    context = {
        "account": account, **account_page(account=account, checker=request.checker, page=_table_page(request)),
        "can_edit_account": checker.has(Action.EDIT_ACCOUNT, account),
        "can_manage_account_roles": can_manage,
        "can_see_activity": can_manage,
        "editing": editing, "form": form,
        "grant_form": grant_form or AccountGrantRoleForm(), "change_form": AccountChangeRoleForm(),
        "change_errors": change_errors or {},
        "invitations": pending_invitations(account=account) if can_manage else [],
    }
    return context


def _url(account) -> str:
    return reverse("profiles:account-overview", args=[account.pk])


def _refreshed(request, account):
    request.checker = PermissionChecker(request.user)
    return render_page_or_partial(request, TEMPLATE, account_context(request, account))


def _done(request, account):
    return after_success(request, url=_url(account),
                         render=lambda: _refreshed(request, account))


@object_action_required(Action.VIEW_ACCOUNT, account_loader)
def account_overview(request, account):
    return render_page_or_partial(request, TEMPLATE, account_context(request, account))


@object_action_required(Action.EDIT_ACCOUNT, account_loader)
def account_edit(request, account):
    form = AccountDetailsForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in AccountDetailsForm.Meta.fields}
        try:
            account = profile_services.account_update(actor=request.user, account=account, **fields)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The billing account's details were saved."))
            return _done(request, account)
    if request.method == "POST":
        form.instance.refresh_from_db()  # the page keeps showing what is stored
    return render_page_or_partial(request, TEMPLATE, account_context(request, account, editing=True, form=form))


def _assignment(account, assignment_id) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_related("user", "account").filter(
        pk=assignment_id, account=account).first()
    if assignment is None:
        raise Http404
    return assignment


@require_POST
@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_role_grant(request, account):
    form = AccountGrantRoleForm(request.POST)
    if form.is_valid():
        try:
            invitation_services.role_grant_or_invite(actor=request.user, email=form.cleaned_data["email"],
                                                     role=form.cleaned_data["role"], account=account)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, grant_message(form.cleaned_data["email"], form.cleaned_data["role"]))
            return _done(request, account)
    return render_page_or_partial(request, TEMPLATE, account_context(request, account, grant_form=form))


@require_POST
@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_role_change(request, account, assignment_id: int):
    assignment = _assignment(account, assignment_id)
    form = AccountChangeRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return _done(request, account)
    role, old = form.cleaned_data["role"], assignment.role
    own = gives_up_own_owner_role(actor=request.user, assignment=assignment, new_role=role)
    if own and not form.cleaned_data["confirm"]:
        context = {"account": account, "assignment": assignment,
                   **confirm_own_role_context(role=role, scope_name=account.name)}
        return render_page_or_partial(request, CONFIRM_TEMPLATE, context)
    try:
        role_services.role_change(actor=request.user, assignment=assignment, role=role)
    except ValidationError as exc:
        errors = {assignment.pk: " ".join(exc.messages)}
        if not request.htmx:
            messages.error(request, errors[assignment.pk])
        return render_page_or_partial(request, TEMPLATE, account_context(request, account, change_errors=errors))
    if own:
        messages.success(request, _("You now have the role %(role)s on %(name)s.") % {
            "role": role_label(role), "name": account.name})
        return after_own_role_change(
            request, can_still_see=PermissionChecker(request.user).has(Action.VIEW_ACCOUNT, account),
            url=_url(account), fallback_url=reverse("profiles:profile-list"))
    messages.success(request, _("%(person)s now has the role %(role)s instead of %(old)s.") % {
        "person": person(assignment.user), "role": role_label(role), "old": role_label(old)})
    return _done(request, account)


@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_role_remove(request, account, assignment_id: int):
    assignment = _assignment(account, assignment_id)
    own = gives_up_own_owner_role(actor=request.user, assignment=assignment)
    if request.method == "POST" and (not own or request.POST.get("confirm")):
        try:
            role_services.role_revoke(actor=request.user, assignment=assignment)
        except ValidationError as exc:  # the last owner; or removed by a concurrent request (a normal answer)
            (messages.info if getattr(exc, "code", None) == "already_removed" else messages.error)(
                request, " ".join(exc.messages))
            return _done(request, account)
        if own:
            messages.success(request, _("You no longer have the role %(role)s on %(name)s.") % {
                "role": assignment.get_role_display(), "name": account.name})
            return after_own_role_change(
                request, can_still_see=PermissionChecker(request.user).has(Action.VIEW_ACCOUNT, account),
                url=_url(account), fallback_url=reverse("profiles:profile-list"))
        messages.success(request, _("%(person)s no longer has the role %(role)s on this billing account.") % {
            "person": person(assignment.user), "role": assignment.get_role_display()})
        return _done(request, account)
    context = {"account": account, "assignment": assignment, "own_role": False}
    if own:
        context.update(confirm_own_role_context(role=None, scope_name=account.name))
    return render_page_or_partial(request, CONFIRM_TEMPLATE, context)


def _invitation(account, invitation_id) -> Invitation:
    invitation = Invitation.objects.select_related("profile", "account").filter(
        pk=invitation_id, account=account).first()
    if invitation is None:
        raise Http404
    return invitation


@require_POST
@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_invitation_resend(request, account, invitation_id: int):
    return _after_invitation_act(request, account, invitation_act(request, _invitation(account, invitation_id),
                                                                  revoke=False))


@require_POST
@object_action_required(Action.MANAGE_ACCOUNT_ROLES, account_loader)
def account_invitation_revoke(request, account, invitation_id: int):
    return _after_invitation_act(request, account, invitation_act(request, _invitation(account, invitation_id),
                                                                  revoke=True))


def _after_invitation_act(request, account, outcome: tuple[str | None, str | None]):
    message, error = outcome
    if message:
        messages.success(request, message)
    if error:
        messages.error(request, error)
    return _done(request, account)
