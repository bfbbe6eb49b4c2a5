"""Paying an invoice: choose a card or bank account, confirm, see the result. Paid once only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from invoicing.forms.payments import PayForm
from invoicing.models import Payment
from invoicing.services.payments import invoice_pay, payment_key_issue
from invoicing.views.invoices import invoice_loader, invoices_context
from profiles.models import PaymentMethod
from profiles.tabs import profile_tab_context

TEMPLATE = "invoicing/pay_invoice.html"


@object_action_required(Action.PAY, invoice_loader)
def pay_invoice(request, invoice):
    profile = invoice.profile
    methods = list(profile.payment_methods.exclude(kind=PaymentMethod.Kind.WIRE_TRANSFER))
    default = next((m.pk for m in methods if m.is_default), methods[0].pk if methods else None)
    payment_error = None
    form = PayForm(request.POST or None, methods=methods,
                   initial={"payment_method": default,
                            "idempotency_key": payment_key_issue(actor=request.user, invoice=invoice)})
    invoices_url = reverse("invoicing:profile-invoices", args=[profile.pk])
    if request.method == "POST" and form.is_valid():
        method = next(m for m in methods if m.pk == form.cleaned_data["payment_method"])
        try:
            payment = invoice_pay(actor=request.user, invoice=invoice, payment_method=method,
                                  idempotency_key=form.cleaned_data["idempotency_key"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if payment.status == Payment.Status.SUCCEEDED:
                messages.success(request, _("Invoice %(number)s is paid. Thank you.") % {"number": invoice.number})
                return after_success(request, url=invoices_url, event="invoicePaid",
                                     render=lambda: render_page_or_partial(
                                         request, "invoicing/profile_invoices.html",
                                         invoices_context(request, profile)))
            # A new attempt gets a new key; the declined one stays stored with its reason.
            form = PayForm(methods=methods, initial={"payment_method": method.pk, "idempotency_key":
                                                     payment_key_issue(actor=request.user, invoice=invoice)})
            payment_error = _("The payment did not go through: %(reason)s The invoice is still due.") % {
                "reason": payment.failure_reason or _("unknown reason.")}
    if form.is_bound:
        # No attempt was made with the form's key (or it was not one we issued): the form shown again
        # carries a fresh one, never what the request sent.
        form.data = form.data.copy()
        form.data["idempotency_key"] = payment_key_issue(actor=request.user, invoice=invoice)
    context = profile_tab_context(request, profile, "invoices")
    context.update({"invoice": invoice, "form": form, "has_methods": bool(methods),
                    "payment_error": payment_error})
    return render_page_or_partial(request, TEMPLATE, context)
