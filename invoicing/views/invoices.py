"""The Invoices tab and the permission-checked PDF download."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse

from billing_admin.core.htmx import render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from invoicing.models import Payment
from invoicing.selectors import invoice_detail, invoice_loader, invoices_for, invoices_issued_in
from invoicing.services.einvoice import NotAnEInvoice, invoice_einvoice_xml
from invoicing.views.overview import next_invoice_card
from profiles.selectors import profile_loader
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
    """The invoice's e-invoice alone: the Factur-X (EN 16931) CII XML embedded in its PDF. None for a void one."""
    try:
        xml = invoice_einvoice_xml(invoice)
    except NotAnEInvoice:
        raise Http404("A void invoice has no valid e-invoice.") from None
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}-factur-x.xml"'
    return response


@object_action_required(Action.VIEW, invoice_loader)
def invoice_page(request, invoice):
    """The invoice as a page: header, lines, credits per lot, tax, totals, payments, e-mail delivery."""
    context = profile_tab_context(request, invoice.profile, "invoices")
    context.update({"invoice": invoice, **invoice_detail(invoice=invoice)})
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
    import zipfile

    stream = _ZipStream()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for name, opener in files:
            with opener() as source, archive.open(name, "w") as target:
                while chunk := source.read(64 * 1024):
                    target.write(chunk)
                    yield stream.take()
            yield stream.take()
    yield stream.take()


@object_action_required(Action.VIEW, profile_loader)
def invoices_zip(request, profile):
    """All PDFs of the invoices issued in one month (``?month=YYYY-MM``), as a streamed ZIP."""
    from datetime import date

    from django.contrib import messages
    from django.http import StreamingHttpResponse
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        messages.error(request, _("Choose a month to download."))
        return redirect("invoicing:profile-invoices", profile.pk)
    invoices = [inv for inv in invoices_issued_in(profile=profile, month=first) if inv.pdf]
    if not invoices:
        messages.error(request, _("No invoice PDFs for that month."))
        return redirect("invoicing:profile-invoices", profile.pk)
    files = [(f"invoice-{inv.number}.pdf", lambda inv=inv: inv.pdf.open("rb")) for inv in invoices]
    response = StreamingHttpResponse(zip_stream(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="invoices-{first:%Y-%m}-profile-{profile.pk}.zip"'
    return response
