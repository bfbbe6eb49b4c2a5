"""The Invoices tab, the invoice page, and the permission-checked PDF, XML and month ZIP downloads."""

from __future__ import annotations

import zipfile
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from billing_admin.core.htmx import render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import checks_permissions_itself, object_action_required
from invoicing.models import Payment
from invoicing.selectors import invoice_detail, invoice_loader, invoices_for, invoices_issued_in
from invoicing.services.einvoice import NotAnEInvoice, einvoice_refusal, invoice_einvoice_xml
from invoicing.views.overview import next_invoice_card
from profiles.models import BillingProfile
from profiles.permissions import profiles_with_action
from profiles.selectors import account_get, profile_loader
from profiles.tabs import profile_tab_context


def render_tab(request, profile):
    context = {**profile_tab_context(request, profile, "invoices"), "invoices": list(invoices_for(profile=profile)),
               "next_invoice": next_invoice_card(profile)}
    return render_page_or_partial(request, "invoicing/profile_invoices.html", context)


@object_action_required(Action.VIEW, profile_loader)
def profile_invoices(request, profile):
    return render_tab(request, profile)


@object_action_required(Action.VIEW, invoice_loader)
def invoice_pdf(request, invoice):
    if not invoice.pdf:
        raise Http404("The PDF of this invoice is not ready yet.")
    return FileResponse(invoice.pdf.open("rb"), as_attachment=True, filename=f"invoice-{invoice.number}.pdf",
                        content_type="application/pdf")


@object_action_required(Action.VIEW, invoice_loader)
def invoice_xml(request, invoice):
    """The invoice's e-invoice alone: the Factur-X (EN 16931) CII XML embedded in its PDF. None (404) for a void
    one or one in a currency with more than two decimals."""
    try:
        xml = invoice_einvoice_xml(invoice)
    except NotAnEInvoice:
        raise Http404("This invoice has no valid e-invoice.") from None
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}-factur-x.xml"'
    return response


@object_action_required(Action.VIEW, invoice_loader)
def invoice_page(request, invoice):
    """The invoice as a page: header, lines, credits per lot, tax, totals, payments, e-mail delivery."""
    context = profile_tab_context(request, invoice.profile, "invoices")
    context.update({"invoice": invoice, "einvoice_refusal": einvoice_refusal(invoice),
                    **invoice_detail(invoice=invoice)})
    return render_page_or_partial(request, "invoicing/invoice_detail.html", context)


@object_action_required(Action.VIEW, invoice_loader)
def payment_receipt(request, invoice, payment_id: int):
    """The receipt of one successful payment of the invoice."""
    payment = invoice.payments.filter(pk=payment_id, status=Payment.Status.SUCCEEDED).first()
    if payment is None:
        raise Http404
    context = profile_tab_context(request, invoice.profile, "invoices")
    context.update({"invoice": invoice, "payment": payment, "seller": settings.SELLER})
    return render_page_or_partial(request, "invoicing/payment_receipt.html", context)


class _ZipStream:
    """A write-only file for ``zipfile`` whose bytes are taken out as they come (no seeking)."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def zip_stream(files):
    """Yield a ZIP archive of ``(name, open_file)`` pairs piece by piece, one file in memory at a time."""
    stream = _ZipStream()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for name, opener in files:
            with opener() as source, archive.open(name, "w") as target:
                while chunk := source.read(64 * 1024):
                    target.write(chunk)
                    yield stream.take()
            yield stream.take()
    yield stream.take()


def _month(request) -> date | None:
    """The first day of the month asked for with ``?month=YYYY-MM``, or None."""
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


def _zip_response(invoices, filename: str):
    files = [(f"invoice-{inv.number}.pdf", lambda inv=inv: inv.pdf.open("rb")) for inv in invoices]
    response = StreamingHttpResponse(zip_stream(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@object_action_required(Action.VIEW, profile_loader)
def invoices_zip(request, profile):
    """All PDFs of the invoices issued in one month (``?month=YYYY-MM``), as a streamed ZIP."""
    first = _month(request)
    if first is None:
        messages.error(request, _("Choose a month to download."))
        return redirect("invoicing:profile-invoices", profile.pk)
    invoices = [inv for inv in invoices_issued_in(profiles=[profile], month=first) if inv.pdf]
    if not invoices:
        messages.error(request, _("No invoice PDFs for that month."))
        return redirect("invoicing:profile-invoices", profile.pk)
    return _zip_response(invoices, f"invoices-{first:%Y-%m}-profile-{profile.pk}.zip")


@checks_permissions_itself("the account's profiles whose invoices the user may see")
def account_invoices_zip(request, account_id: int):
    """All PDFs of the invoices issued in one month on the account's profiles that the user may see (a role on
    one profile: that profile's), as a streamed ZIP. No visible profile on the account: 404, as for no account."""
    profiles = list(profiles_with_action(request.user, Action.VIEW, BillingProfile.objects.filter(
        account_id=account_id)).values_list("pk", flat=True))
    if not profiles:
        raise Http404

    def back(message: str):
        messages.error(request, message)
        account = account_get(account_id=account_id)
        if request.checker.has(Action.VIEW_ACCOUNT, account):
            return redirect("profiles:account-overview", account_id)
        return redirect("profiles:profile-list")

    first = _month(request)
    if first is None:
        return back(_("Choose a month to download."))
    invoices = [inv for inv in invoices_issued_in(profiles=profiles, month=first) if inv.pdf]
    if not invoices:
        return back(_("No invoice PDFs for that month."))
    return _zip_response(invoices, f"invoices-{first:%Y-%m}-account-{account_id}.zip")
