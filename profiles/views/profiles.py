"""Billing profiles list, create, and the Overview tab with its inline edits."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.money import currency_for_country
from billing_admin.core.permissions import Action
from billing_admin.core.views import checks_permissions_itself, object_action_required
from profiles.forms.profiles import PONumberForm, ProfileCreateForm, ProfileDetailsForm, RecipientForm
from profiles.models import InvoiceRecipient
from profiles.permissions import accounts_with_action
from profiles.selectors import profile_list_page, profile_loader
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


@checks_permissions_itself("create: limited to accounts where the user may create profiles")
def profile_create(request):
    accounts = accounts_with_action(request.user, Action.CREATE_PROFILE).order_by("name")
    if not accounts.exists():
        raise PermissionDenied(_("You may not create billing profiles."))
    form = ProfileCreateForm(request.POST or None, accounts=accounts,
                             initial={"invoice_email_opt_in": True, "invoice_day": 1, "invoice_language": "en"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            profile = profile_services.profile_create(actor=request.user, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Billing profile %(name)s was created.") % {"name": profile.name})
            return redirect("profiles:profile-overview", profile.pk)
    account = None
    account_value = form["account"].value()
    if account_value and str(account_value).isdigit():
        account = accounts.filter(pk=int(account_value)).first()
    account = account or (accounts.first() if accounts.count() == 1 else None)
    currency = currency_for_country(account.country.code) if account else ""
    context = {"form": form, "currency": currency, "account": account}
    if request.htmx and request.method == "GET" and request.GET.get("account"):
        return TemplateResponse(request, "profiles/profile_create.html#currency", context)
    return TemplateResponse(request, "profiles/profile_create.html", context)


def overview_context(request, profile, *, editing: str | None = None, form=None, recipient_form=None) -> dict:
    context = profile_tab_context(request, profile, "overview")
    context.update({
        "default_method": profile.payment_methods.filter(is_default=True).first(),
        "recipients": list(profile.recipients.all()),
        "editing": editing,
        "form": form,
        "recipient_form": recipient_form or RecipientForm(),
    })
    return context


@object_action_required(Action.VIEW, profile_loader)
def profile_overview(request, profile):
    return render_page_or_partial(request, OVERVIEW, overview_context(request, profile))


def _inline_edit(request, profile, *, section: str, form_class):
    url = reverse("profiles:profile-overview", args=[profile.pk])
    form = form_class(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form_class.Meta.fields}
        try:
            profile = profile_services.profile_update(actor=request.user, profile=profile, **fields)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return after_success(request, url=url, event="profileUpdated",
                                 render=lambda: render_page_or_partial(request, OVERVIEW,
                                                                       overview_context(request, profile)))
    if request.method == "POST":
        form.instance.refresh_from_db()  # the page keeps showing what is stored
    return render_page_or_partial(request, OVERVIEW, overview_context(request, profile, editing=section, form=form))


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
    profile = profile_services.profile_set_invoice_email(actor=request.user, profile=profile, opt_in=opt_in)
    messages.success(request, _("Invoices are now e-mailed as attachments.") if opt_in
                     else _("Invoices are no longer e-mailed."))
    return after_success(request, url=reverse("profiles:profile-overview", args=[profile.pk]),
                         event="profileUpdated",
                         render=lambda: render_page_or_partial(request, OVERVIEW, overview_context(request, profile)))


@require_POST
@object_action_required(Action.EDIT, profile_loader)
def profile_recipient_add(request, profile):
    form = RecipientForm(request.POST)
    if form.is_valid():
        try:
            profile_services.recipient_add(actor=request.user, profile=profile, email=form.cleaned_data["email"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(email)s will receive the invoices.") % form.cleaned_data)
            return after_success(
                request, url=reverse("profiles:profile-overview", args=[profile.pk]), event="profileUpdated",
                render=lambda: render_page_or_partial(request, OVERVIEW, overview_context(request, profile)))
    return render_page_or_partial(request, OVERVIEW, overview_context(request, profile, editing="recipients",
                                                                      recipient_form=form))


@require_POST
@object_action_required(Action.EDIT, profile_loader)
def profile_recipient_remove(request, profile, recipient_id: int):
    recipient = get_object_or_404(InvoiceRecipient, pk=recipient_id, profile=profile)
    try:
        profile_services.recipient_remove(actor=request.user, recipient=recipient)
    except ValidationError as exc:  # removed by a concurrent request: nothing left to do
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(email)s no longer receives the invoices.") % {"email": recipient.email})
    return after_success(request, url=reverse("profiles:profile-overview", args=[profile.pk]),
                         event="profileUpdated",
                         render=lambda: render_page_or_partial(request, OVERVIEW, overview_context(request, profile)))


@object_action_required(Action.DISABLE, profile_loader)
def profile_disable(request, profile):
    blocker = profile_services.disable_blocker(profile) if profile.is_active else None
    if request.method == "POST":
        try:
            profile_services.profile_disable(actor=request.user, profile=profile)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Billing profile %(name)s is disabled.") % {"name": profile.name})
        return redirect("profiles:profile-overview", profile.pk)
    context = profile_tab_context(request, profile, "overview")
    context["blocker"] = blocker
    return TemplateResponse(request, "profiles/profile_disable.html", context)
