"""Paying an invoice: choose a card or bank account, confirm, see the result. Paid once only."""

from __future__ import annotations

from functools import partial

from django.urls import reverse
from django.utils.translation import gettext as _

from billing_admin.core.htmx import render_page_or_partial, submit
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from invoicing.forms.payments import PayForm
from invoicing.models import Payment
from invoicing.selectors import bank_transfer_details, invoice_loader
from invoicing.services.payments import invoice_pay, payment_key_issue
from invoicing.views.invoices import render_tab
from profiles.models import PaymentMethod
from profiles.selectors import payment_methods_to_charge
from profiles.tabs import profile_tab_context


class PaymentRefused(Exception):
    """The processor declined or failed: the attempt is stored, the invoice stays due."""

    def __init__(self, payment: Payment):
        self.payment = payment


def _pay(request, invoice, methods, data) -> Payment:
    method = next(m for m in methods if m.pk == data["payment_method"])
    payment = invoice_pay(actor=request.user, invoice=invoice, payment_method=method,
                          idempotency_key=data["idempotency_key"])
    if payment.status != Payment.Status.SUCCEEDED:
        raise PaymentRefused(payment)
    return payment


def _form(request, invoice, methods, data=None, method_id=None) -> PayForm:
    """The pay form; each one shown carries a key the server issued (a new attempt after a refused one)."""
    default = method_id or next((m.pk for m in methods if m.is_default), methods[0].pk if methods else None)
    return PayForm(data, methods=methods, initial={
        "payment_method": default, "idempotency_key": payment_key_issue(actor=request.user, invoice=invoice)})


def _pay_page(request, invoice, methods, form, payment_error=None):
    if form.is_bound:
        # No attempt was made with the form's key (or it was not one we issued): the form shown again
        # carries a fresh one, never what the request sent.
        form.data = form.data.copy()
        form.data["idempotency_key"] = payment_key_issue(actor=request.user, invoice=invoice)
    default = next((m for m in invoice.profile.payment_methods.all() if m.is_default), None)
    by_transfer = not methods or (default is not None and default.kind == PaymentMethod.Kind.WIRE_TRANSFER)
    context = {**profile_tab_context(request, invoice.profile, "invoices"), "invoice": invoice, "form": form,
               "has_methods": bool(methods), "payment_error": payment_error,
               "transfer": bank_transfer_details(invoice=invoice) if by_transfer and invoice.is_open else None}
    return render_page_or_partial(request, "invoicing/pay_invoice.html", context)


@object_action_required(Action.PAY, invoice_loader)
def pay_invoice(request, invoice):
    methods = payment_methods_to_charge(invoice.profile)
    try:
        return submit(request, form=_form(request, invoice, methods, request.POST or None),
                      service=partial(_pay, request, invoice, methods),
                      success=lambda _p: _("Invoice %(number)s is paid. Thank you.") % {"number": invoice.number},
                      url=reverse("invoicing:profile-invoices", args=[invoice.profile_id]),
                      show=partial(_pay_page, request, invoice, methods),
                      done=partial(render_tab, request, invoice.profile))
    except PaymentRefused as refused:
        reason = refused.payment.failure_reason or _("unknown reason.")
        form = _form(request, invoice, methods, method_id=refused.payment.payment_method_id)
        return _pay_page(request, invoice, methods, form,
                         _("The payment did not go through: %(reason)s The invoice is still due.") % {"reason": reason})
