"""The Payment methods tab: add (card, bank account, wire transfer), set default, remove."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from profiles.forms.payment_methods import BankAccountForm, CardForm
from profiles.models import PaymentMethod
from profiles.selectors import profile_loader
from profiles.services import payment_methods as pm_services
from profiles.tabs import profile_tab_context

TEMPLATE = "profiles/profile_payment_methods.html"
KINDS = {"card": CardForm, "bank_account": BankAccountForm, "wire_transfer": None}


def methods_context(request, profile, *, adding: str | None = None, form=None) -> dict:
    context = profile_tab_context(request, profile, "payment-methods")
    context.update({"payment_methods": list(profile.payment_methods.all()), "adding": adding, "form": form,
                    "kinds": PaymentMethod.Kind.choices})
    return context


def _tab_url(profile) -> str:
    return reverse("profiles:profile-payment-methods", args=[profile.pk])


def _method(profile, method_id) -> PaymentMethod:
    try:
        return PaymentMethod.objects.select_related("profile").get(pk=method_id, profile=profile)
    except PaymentMethod.DoesNotExist:
        raise Http404 from None


@object_action_required(Action.VIEW, profile_loader)
def profile_payment_methods(request, profile):
    return render_page_or_partial(request, TEMPLATE, methods_context(request, profile))


@sensitive_variables("data", "form")
@sensitive_post_parameters("number", "cvc", "iban")
@object_action_required(Action.MANAGE_PAYMENT_METHODS, profile_loader)
def payment_method_add(request, profile, kind: str):
    if kind not in KINDS:
        raise Http404
    form_class = KINDS[kind]
    form = form_class(request.POST or None) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        data = form.cleaned_data if form else {}
        try:
            if kind == "card":
                method = pm_services.payment_method_add_card(actor=request.user, profile=profile, **data)
            elif kind == "bank_account":
                method = pm_services.payment_method_add_bank_account(actor=request.user, profile=profile, **data)
            else:
                method = pm_services.payment_method_add_wire_transfer(actor=request.user, profile=profile)
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return after_success(request, url=_tab_url(profile),
                                     render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                           methods_context(request, profile)))
            add_errors(form, exc)
        else:
            messages.success(request, _("%(label)s was added.") % {"label": method.label})
            return after_success(request, url=_tab_url(profile), event="paymentMethodsChanged",
                                 render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                       methods_context(request, profile)))
    return render_page_or_partial(request, TEMPLATE, methods_context(request, profile, adding=kind, form=form))


@require_POST
@object_action_required(Action.MANAGE_PAYMENT_METHODS, profile_loader)
def payment_method_default(request, profile, method_id: int):
    try:
        method = pm_services.payment_method_set_default(actor=request.user, method=_method(profile, method_id))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(label)s is now the default payment method.") % {"label": method.label})
    return after_success(request, url=_tab_url(profile), event="paymentMethodsChanged",
                         render=lambda: render_page_or_partial(request, TEMPLATE, methods_context(request, profile)))


@object_action_required(Action.MANAGE_PAYMENT_METHODS, profile_loader)
def payment_method_remove(request, profile, method_id: int):
    method = _method(profile, method_id)
    if request.method == "POST":
        try:
            pm_services.payment_method_remove(actor=request.user, method=method)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(label)s was removed.") % {"label": method.label})
        return after_success(request, url=_tab_url(profile), event="paymentMethodsChanged",
                             render=lambda: render_page_or_partial(request, TEMPLATE,
                                                                   methods_context(request, profile)))
    context = profile_tab_context(request, profile, "payment-methods")
    context.update({"method": method, "blocker": pm_services.removal_blocker(method)})
    return render_page_or_partial(request, "profiles/payment_method_remove.html", context)
