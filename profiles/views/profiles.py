"""Billing profiles list, create, and the Overview tab with its inline edits."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import render_page_or_partial, submit
from billing_admin.core.money import currency_for_country
from billing_admin.core.permissions import Action
from billing_admin.core.views import checks_permissions_itself, object_action_required
from profiles import registry
from profiles.forms.profiles import PONumberForm, ProfileCreateForm, ProfileDetailsForm, RecipientForm
from profiles.selectors import (
    accounts_for_new_profile,
    profile_get,
    profile_list_page,
    profile_loader,
    profile_overview_data,
    recipient_loader,
)
from profiles.services import profiles as profile_services
from profiles.tabs import profile_tab_context

OVERVIEW = "profiles/profile_overview.html"


@checks_permissions_itself("lists only the profiles the user may see")
def profile_list(request):
    query = (request.GET.get("q") or "").strip()[:100]
    account_id = request.GET.get("account") or ""
    context = profile_list_page(request.user, query=query, account_id=account_id, page=request.GET.get("page"))
    context.update({"query": query, "account_id": account_id})
    return render_page_or_partial(request, "profiles/profile_list.html", context, partial="results")


def _create_page(request, form, accounts):
    """The create form, with the currency of the chosen account (the only one, if there is one)."""
    account_value = request.GET.get("account") if request.method == "GET" else form["account"].value()
    text = str(account_value or "")
    # ASCII digits only: "²" passes str.isdigit() but int() refuses it.
    account = accounts.filter(pk=int(text)).first() if text.isascii() and text.isdigit() else None
    account = account or (accounts.first() if accounts.count() == 1 else None)
    context = {"form": form, "currency": currency_for_country(account.country.code) if account else "",
               "account": account}
    if request.htmx and request.method == "GET" and request.GET.get("account"):
        return TemplateResponse(request, "profiles/profile_create.html#currency", context)
    return TemplateResponse(request, "profiles/profile_create.html", context)


@checks_permissions_itself("create: limited to accounts where the user may create profiles")
def profile_create(request):
    accounts = accounts_for_new_profile(request.user)
    if not accounts.exists():
        raise PermissionDenied(_("You may not create billing profiles."))
    form = ProfileCreateForm(request.POST or None, accounts=accounts,
                             initial={"invoice_email_opt_in": True, "invoice_day": 1, "invoice_language": "en"})
    return submit(request, form=form, show=lambda form: _create_page(request, form, accounts),
                  service=lambda data: profile_services.profile_create(actor=request.user, **data),
                  success=lambda profile: _("Billing profile %(name)s was created.") % {"name": profile.name},
                  url=lambda profile: reverse("profiles:profile-overview", args=[profile.pk]))


def render_overview(request, profile, *, editing: str | None = None, form=None, recipient_form=None):
    context = {**profile_tab_context(request, profile, "overview"), **profile_overview_data(profile),
               "editing": editing, "form": form, "recipient_form": recipient_form or RecipientForm(),
               "overview_cards": registry.overview_cards_for(profile)}
    return render_page_or_partial(request, OVERVIEW, context)


def _overview_url(profile) -> str:
    return reverse("profiles:profile-overview", args=[profile.pk])


@object_action_required(Action.VIEW, profile_loader)
def profile_overview(request, profile):
    return render_overview(request, profile)


def _inline_edit(request, profile, *, section: str, form_class):
    def show(form):
        if request.method == "POST":
            form.instance.refresh_from_db()  # the page keeps showing what is stored
        return render_overview(request, profile, editing=section, form=form)

    fields = form_class.Meta.fields
    return submit(request, form=form_class(request.POST or None, instance=profile), url=_overview_url(profile),
                  service=lambda data: profile_services.profile_update(
                      actor=request.user, profile=profile, **{name: data[name] for name in fields}),
                  success=lambda _profile: _("Saved."), show=show, done=partial(render_overview, request, profile))


@object_action_required(Action.EDIT, profile_loader)
def profile_edit_details(request, profile):
    return _inline_edit(request, profile, section="details", form_class=ProfileDetailsForm)


@object_action_required(Action.EDIT, profile_loader)
def profile_edit_po(request, profile):
    return _inline_edit(request, profile, section="po", form_class=PONumberForm)


@require_POST
@object_action_required(Action.EDIT, profile_loader)
def profile_invoice_email(request, profile):
    opt_in = request.POST.get("opt_in") == "on"
    return submit(request, url=_overview_url(profile), done=lambda: render_overview(request, profile_get(
                      profile_id=profile.pk)),
                  service=lambda _data: profile_services.profile_set_invoice_email(
                      actor=request.user, profile=profile, opt_in=opt_in),
                  success=lambda saved: _("Invoices are now e-mailed as attachments.") if saved.invoice_email_opt_in
                  else _("Invoices are no longer e-mailed."))


@require_POST
@object_action_required(Action.EDIT, profile_loader)
def profile_recipient_add(request, profile):
    return submit(request, form=RecipientForm(request.POST), url=_overview_url(profile),
                  service=lambda data: profile_services.recipient_add(actor=request.user, profile=profile,
                                                                      email=data["email"]),
                  success=lambda recipient: _("%(email)s will receive the invoices.") % {"email": recipient.email},
                  show=lambda form: render_overview(request, profile, editing="recipients", recipient_form=form),
                  done=partial(render_overview, request, profile))


@require_POST
@object_action_required(Action.EDIT, recipient_loader)
def profile_recipient_remove(request, recipient):
    return submit(request, url=_overview_url(recipient.profile), done=partial(render_overview, request,
                                                                             recipient.profile),
                  service=lambda _data: profile_services.recipient_remove(actor=request.user, recipient=recipient),
                  success=lambda _none: _("%(email)s no longer receives the invoices.") % {"email": recipient.email})


@object_action_required(Action.DISABLE, profile_loader)
def profile_disable(request, profile):
    if request.method != "POST":
        context = {**profile_tab_context(request, profile, "overview"),
                   "blocker": profile_services.disable_blocker(profile) if profile.is_active else None}
        return TemplateResponse(request, "profiles/profile_disable.html", context)
    return submit(request, url=_overview_url(profile),
                  service=lambda _data: profile_services.profile_disable(actor=request.user, profile=profile),
                  success=lambda _p: _("Billing profile %(name)s is disabled.") % {"name": profile.name})


@object_action_required(Action.DISABLE, profile_loader)
def profile_enable(request, profile):
    if request.method != "POST":
        return TemplateResponse(request, "profiles/profile_enable.html",
                                profile_tab_context(request, profile, "overview"))
    return submit(request, url=_overview_url(profile),
                  service=lambda _data: profile_services.profile_enable(actor=request.user, profile=profile),
                  success=lambda p: _("Billing profile %(name)s is active again.") % {"name": p.name})

