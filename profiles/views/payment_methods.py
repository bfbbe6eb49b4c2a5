"""The Payment methods tab: add (card, bank account, wire transfer), set default, remove."""

from __future__ import annotations

from functools import partial

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import render_page_or_partial, submit
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.forms.payment_methods import BankAccountForm, CardForm
from profiles.models import PaymentMethod
from profiles.selectors import payment_method_loader, payment_methods_of, profile_loader
from profiles.services import payment_methods as pm_services
from profiles.tabs import profile_tab_context

TEMPLATE = "profiles/profile_payment_methods.html"
KINDS = {"card": CardForm, "bank_account": BankAccountForm, "wire_transfer": None}
ADD = {"card": pm_services.payment_method_add_card, "bank_account": pm_services.payment_method_add_bank_account,
       "wire_transfer": pm_services.payment_method_add_wire_transfer}


def render_tab(request, profile, *, adding: str | None = None, form=None):
    context = profile_tab_context(request, profile, "payment-methods")
    context.update({"payment_methods": payment_methods_of(profile), "adding": adding, "form": form,
                    "kinds": PaymentMethod.Kind.choices})
    return render_page_or_partial(request, TEMPLATE, context)


def _tab_url(profile) -> str:
    return reverse("profiles:profile-payment-methods", args=[profile.pk])


@object_action_required(Action.VIEW, profile_loader)
def profile_payment_methods(request, profile):
    return render_tab(request, profile)


@sensitive_variables("data", "form")
@sensitive_post_parameters("number", "cvc", "iban")
@object_action_required(Action.MANAGE_PAYMENT_METHODS, profile_loader)
def payment_method_add(request, profile, kind: str):
    if kind not in KINDS:
        raise Http404
    form = KINDS[kind](request.POST or None) if KINDS[kind] else None
    return submit(request, form=form, url=_tab_url(profile),
                  service=lambda data: ADD[kind](actor=request.user, profile=profile, **data),
                  success=lambda method: _("%(label)s was added.") % {"label": method.label},
                  show=lambda form: render_tab(request, profile, adding=kind, form=form),
                  done=partial(render_tab, request, profile))


@require_POST
@object_action_required(Action.MANAGE_PAYMENT_METHODS, payment_method_loader)
def payment_method_default(request, method):
    return submit(request, url=_tab_url(method.profile), done=partial(render_tab, request, method.profile),
                  service=lambda _data: pm_services.payment_method_set_default(actor=request.user, method=method),
                  success=lambda method: _("%(label)s is now the default payment method.") % {"label": method.label})


@object_action_required(Action.MANAGE_PAYMENT_METHODS, payment_method_loader)
def payment_method_remove(request, method):
    if request.method != "POST":
        context = profile_tab_context(request, method.profile, "payment-methods")
        context.update({"method": method, "blocker": pm_services.removal_blocker(method)})
        return render_page_or_partial(request, "profiles/payment_method_remove.html", context)
    return submit(request, url=_tab_url(method.profile), done=partial(render_tab, request, method.profile),
                  service=lambda _data: pm_services.payment_method_remove(actor=request.user, method=method),
                  success=lambda _none: _("%(label)s was removed.") % {"label": method.label})
