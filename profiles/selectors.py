"""Reads for the profiles app."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Window

from billing_admin.core.models import ActivityEvent
from billing_admin.core.permissions import Action, PermissionChecker
from profiles.models import (
    BillingAccount,
    BillingProfile,
    Invitation,
    InvoiceRecipient,
    PaymentMethod,
    Role,
    RoleAssignment,
)
from profiles.permissions import accounts_with_action, profiles_with_action
from profiles.registry import account_cards_for, account_summaries_for, annotate_profile, list_columns


def profile_get(*, profile_id) -> BillingProfile | None:
    """The profile with its account and what higher apps annotate on it (one query), or None.
    Permission checks are the caller's (see core.views)."""
    try:
        return annotate_profile(BillingProfile.objects.select_related("account")).get(pk=int(profile_id))
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


def _page_of_ids(ordered: QuerySet, number, *, per_page: int, count_apart: bool = False, rows: bool = False):
    """A page of the ids of ``ordered`` (with ``rows``: of its model instances, where the columns cost nothing
    to read) and their total in one query. Like ``Paginator.get_page``, a page
    number that is not a number gives the first page and one past the end the last (a second query, only then).

    The total is by default ``COUNT(*) OVER ()``: one scan of the matching rows where a paginator's count and
    its page would scan them twice (the profile list, sorted by the account's name over a join that no index
    serves, and searched with ILIKE, which a separate count would evaluate twice). With ``count_apart`` it is a
    scalar subquery instead, which PostgreSQL computes once (an InitPlan) and which leaves the page free to be
    read in order from an index that matches the ordering, stopping after ``per_page`` entries (the account
    page: (account_id, name, id); the window would read all of a large account's rows first)."""
    try:
        # Past any real page but inside the database's integers: ?page=99999999999999999999 gives the
        # last page, not an OFFSET out of range (a server error).
        number = min(max(int(number), 1), 2**31 // per_page)
    except (TypeError, ValueError):
        number = 1
    if count_apart:
        total = Subquery(ordered.order_by().annotate(total=Func("pk", function="COUNT")).values("total"),
                         output_field=IntegerField())
    else:
        total = Window(Count("pk"))
    counted = ordered.annotate(total_rows=total)
    if not rows:
        counted = counted.values_list("pk", "total_rows", named=True)

    def fetch(n: int) -> list:
        return list(counted[(n - 1) * per_page:n * per_page])

    found = fetch(number)
    if not found and number > 1:
        number = max(1, -(-ordered.count() // per_page))
        found = fetch(number)
    paginator = Paginator(ordered.values_list("pk", flat=True), per_page)
    paginator.count = found[0].total_rows if found else 0
    return Page(found if rows else [row.pk for row in found], number, paginator)


def profile_list_page(user, *, query: str = "", account_id: str = "", page=None) -> dict:
    """The profile list: the visible profiles matching the search, a page of 25 with their default payment
    method and the columns higher apps registered, and the accounts to filter by.

    The page is chosen on the bare, ordered ids (a deferred join); only its 25 rows are then read with
    their columns. Counting and skipping to the last of 10,000 profiles costs as little as the first page,
    where an OFFSET over the annotated rows would compute every column of every skipped row."""
    visible = profiles_visible_to(user)
    profiles = visible
    if query:
        profiles = profiles.filter(Q(name__icontains=query) | Q(po_number__icontains=query)
                                   | Q(account__name__icontains=query))
    if account_id.isascii() and account_id.isdigit():  # not "²", which isdigit() too but int() refuses
        profiles = profiles.filter(account_id=int(account_id))
    ordering = ("account__name", "name", "pk")
    current = _page_of_ids(profiles.order_by(*ordering), page, per_page=25)
    default_method = PaymentMethod.objects.filter(profile=OuterRef("pk"), is_default=True)
    rows = BillingProfile.objects.filter(pk__in=list(current.object_list)).select_related("account").annotate(
        pm_kind=Subquery(default_method.values("kind")[:1]),
        pm_last4=Subquery(default_method.values("card_last4")[:1]),
        pm_iban=Subquery(default_method.values("iban_masked")[:1]),
        pm_brand=Subquery(default_method.values("card_brand")[:1]),
    )
    columns = list_columns()
    for column in columns:
        rows = column.annotate(rows)
    current.object_list = list(rows.order_by(*ordering))
    return {
        "page": current,
        "accounts": BillingAccount.objects.filter(pk__in=visible.values("account_id")).order_by("name"),
        "columns": columns,
        "can_create": accounts_with_action(user, Action.CREATE_PROFILE).exists(),
        "can_purchase": (profiles_with_action(user, Action.PURCHASE).filter(status=BillingProfile.Status.ACTIVE)
                         .exists() or accounts_with_action(user, Action.PURCHASE).exists()),
    }


def _loader(model, id_kwarg: str, *related: str):
    """A loader for ``object_action_required`` of a row that belongs to the profile in the URL:
    pops ``profile_id`` and ``id_kwarg``; another profile's row is None (404), like a missing one."""

    def load(kwargs: dict):
        try:
            return model.objects.select_related("profile", "profile__account", *related).get(
                pk=int(kwargs.pop(id_kwarg)), profile_id=int(kwargs.pop("profile_id")))
        except (model.DoesNotExist, ValueError, TypeError):
            return None

    return load


payment_method_loader = _loader(PaymentMethod, "method_id")
recipient_loader = _loader(InvoiceRecipient, "recipient_id")
role_assignment_loader = _loader(RoleAssignment, "assignment_id", "user")


def payment_methods_of(profile) -> list[PaymentMethod]:
    return list(profile.payment_methods.all())


def profile_overview_data(profile) -> dict:
    """The Overview tab's data: the default payment method and the extra invoice recipients."""
    return {"default_method": profile.payment_methods.filter(is_default=True).first(),
            "recipients": list(profile.recipients.all())}


def accounts_for_new_profile(user) -> QuerySet[BillingAccount]:
    """The accounts in which the user may create a profile."""
    return accounts_with_action(user, Action.CREATE_PROFILE).order_by("name")


def payment_methods_to_charge(profile) -> list[PaymentMethod]:
    """The profile's cards and bank accounts (a wire transfer is paid from the customer's bank)."""
    return list(profile.payment_methods.exclude(kind=PaymentMethod.Kind.WIRE_TRANSFER))


def billing_contacts(profile) -> list[str]:
    """Owners, contributors and invoice managers of the profile, directly or through its account."""
    roles = RoleAssignment.objects.filter(profile=profile, role__in=[Role.OWNER, Role.CONTRIBUTOR,
                                                                      Role.INVOICE_MANAGER])
    account_roles = RoleAssignment.objects.filter(account_id=profile.account_id, role__in=[
        Role.ACCOUNT_OWNER, Role.ACCOUNT_CONTRIBUTOR])
    emails = {a.user.email for a in roles.select_related("user")} | {
        a.user.email for a in account_roles.select_related("user")}
    return sorted(emails)


def gives_up_own_owner_role(*, actor, assignment: RoleAssignment, new_role: str | None = None) -> bool:
    """Whether ``actor`` changing ``assignment`` to ``new_role`` (None: removing it) takes away their own
    right to manage roles on its scope, with no account owner role left to fall back on."""
    if assignment.user_id != getattr(actor, "pk", None) or new_role == assignment.role:
        return False
    if assignment.role not in (Role.OWNER, Role.ACCOUNT_OWNER):
        return False
    if getattr(actor, "is_superuser", False):
        return False
    if assignment.profile_id:
        account_id = assignment.profile.account_id
        return not RoleAssignment.objects.filter(user=actor, account_id=account_id, role=Role.ACCOUNT_OWNER).exists()
    return True


def pending_invitations(*, profile=None, account=None) -> list:
    """Pending invitations of a profile or an account (expired ones too: they can be re-sent), one query."""
    scope = {"profile": profile} if profile is not None else {"account": account}
    return list(Invitation.objects.filter(status=Invitation.Status.PENDING, **scope).select_related("invited_by")
                .order_by("created", "pk"))


def account_get(*, account_id) -> BillingAccount | None:
    try:
        return BillingAccount.objects.get(pk=int(account_id))
    except (BillingAccount.DoesNotExist, ValueError, TypeError):
        return None


def account_loader(kwargs: dict) -> BillingAccount | None:
    """Loader for ``object_action_required``: pops ``account_id`` from the URL kwargs."""
    return account_get(account_id=kwargs.pop("account_id"))


ACCOUNT_PROFILES_PER_PAGE = 25


def account_page(*, account: BillingAccount, checker: PermissionChecker, page=None) -> dict:
    """What the billing account page shows, in a fixed number of queries whatever the number of profiles: a
    page of 25 of its profiles that ``checker``'s user may see (name order, ``page`` as the profile list takes
    it: a bad number gives the first page, one past the end the last) with what higher apps add to each of
    them (latest invoice, amount due), what they add about all the profiles the user may see (everything due,
    the spend chart), its roles and its pending invitations."""
    profiles_of_account = BillingProfile.objects.filter(account=account)
    # An account role sees them all: no permission filter per profile.
    every = checker.has_on_every_child(Action.VIEW, account, BillingProfile)
    visible = profiles_of_account if every else profiles_with_action(checker.user, Action.VIEW, profiles_of_account)
    ordering = ("name", "pk")
    current = _page_of_ids(visible.order_by(*ordering), page, per_page=ACCOUNT_PROFILES_PER_PAGE,
                            count_apart=True, rows=True)
    profiles = current.object_list
    summaries = account_summaries_for(account, None if every else visible, profiles)
    rows = [{"profile": p, "cells": [{"template": s["summary"].profile_template, "header": s["summary"].header,
                                      "data": s["data"]["per_profile"].get(p.pk)} for s in summaries]}
            for p in profiles]
    assignments = list(RoleAssignment.objects.filter(account=account).select_related("user", "granted_by")
                       .order_by("granted_at", "pk"))
    return {"rows": rows, "page": current, "summaries": summaries, "assignments": assignments,
            "cards": account_cards_for(account, current),
            "columns": [s["summary"].header for s in summaries]}


def activity_page(*, profile=None, account=None, page=None):
    """A page of 25 activity events of a profile, or of an account and all its profiles, newest first."""
    events = ActivityEvent.objects.select_related("profile").order_by("-created", "-pk")
    events = events.filter(profile=profile) if profile is not None else events.filter(account=account)
    return Paginator(events, 25).get_page(page)
