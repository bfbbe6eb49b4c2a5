"""Invoice PDFs with WeasyPrint. Fonts and CSS are local; nothing is ever fetched from outside.

The URL fetcher refuses every URL except files inside ``static/invoice/``; user text is
autoescaped by the template, so HTML or URLs in a PO number print as text and fetch nothing.
Re-rendering an issued invoice gives the same bytes (fixed metadata, no timestamps).

Every invoice PDF is PDF/A-3b. An issued (non-void) invoice is a Factur-X / ZUGFeRD 2 hybrid
e-invoice: its CII XML (``services/einvoice.py``) is embedded as ``factur-x.xml`` (relationship
``Alternative``, MIME type ``text/xml``) and the XMP metadata carries the Factur-X properties with
their PDF/A extension schema. A void invoice's PDF is stamped VOID and embeds no XML; nor does the
PDF of an invoice in a currency with more than two decimals (``einvoice_refusal``).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import threading
from datetime import datetime, time
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import translation

from billing_admin.core import activity
from billing_admin.core.countries import address_in_language
from billing_admin.core.money import format_day, format_money, format_quantity, format_unit_price
from billing_admin.core.permissions import SupportAction, require_support
from invoicing.models import Invoice
from invoicing.selectors import bank_transfer_details
from invoicing.services.einvoice import FACTURX_FILENAME, einvoice_refusal, invoice_einvoice_xml, xmp_extension

ASSETS = (Path(settings.BASE_DIR) / "static" / "invoice").resolve()


class RefusedURL(ValueError):
    pass


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class SafeURLFetcher(URLFetcher):
        """Serve only our own invoice assets; refuse http(s), data, ftp and any other file.

        ``requested`` lists every URL WeasyPrint asked for, ``refused`` those it did not get.
        """

        def __init__(self):
            super().__init__(allowed_protocols=["file"], allow_redirects=False)
            self.requested: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(ASSETS) or not path.is_file():
                self.refused.append(url)
                raise RefusedURL(f"refused URL outside the invoice assets: {url[:80]}")
            return super().fetch(path.as_uri(), headers)

    return SafeURLFetcher


def safe_url_fetcher():
    return _fetcher_class()()


def invoice_html(invoice: Invoice) -> str:
    lang = invoice.language
    cur = invoice.currency
    with translation.override(lang):
        lines = [
            {"line": line, "quantity": format_quantity(line.quantity, lang),
             "unit_price": format_unit_price(line.unit_price, cur, lang),
             "amount": format_money(line.amount, cur, lang),
             "period": f"{format_day(line.service_period_start, lang)} – {format_day(line.service_period_end, lang)}"}
            for line in invoice.lines.all()
        ]
        context = {
            "invoice": invoice, "seller": settings.SELLER, "lines": lines, "lang": lang,
            # Country names in the invoice's language: "Nederland" on a Dutch invoice.
            "addresses": {"seller": address_in_language(settings.SELLER["address"], lang),
                          "sold_to": address_in_language(invoice.sold_to_address, lang),
                          "bill_to": address_in_language(invoice.bill_to_address, lang)},
            "m": {k: format_money(getattr(invoice, k), cur, lang)
                  for k in ("subtotal", "credits_applied", "tax", "total", "amount_due")},
            "d": {k: format_day(getattr(invoice, k), lang)
                  for k in ("issue_date", "due_date", "period_start", "period_end")},
            "terms_days": (invoice.due_date - invoice.issue_date).days,
            "voided_on": format_day(invoice.voided_at.date(), lang) if invoice.voided_at else "",
            "is_einvoice": not einvoice_refusal(invoice),
            "tax_rate": format_quantity(invoice.tax_rate, lang),
            # EUR invoices to be paid by transfer carry the EPC QR code ("GiroCode") that banking apps scan to
            # fill in the transfer; one the card or direct debit pays does not invite a second payment.
            "epc_svg": bank_transfer_details(invoice=invoice, amount=invoice.amount_due)["epc_svg"]
            if invoice.status != Invoice.Status.VOID and invoice.payment_means == Invoice.PaymentMeans.TRANSFER
            else "",
        }
        return render_to_string("invoicing/invoice_pdf.html", context)


_fonts = threading.local()


@atexit.register
def _release_fonts():
    """Free this thread's font configuration while WeasyPrint's C bindings still exist: freed at
    interpreter teardown instead, its ``__del__`` fails with "'NoneType' object is not callable"."""
    for name in ("css", "ua", "config"):
        if hasattr(_fonts, name):
            delattr(_fonts, name)


def _font_config():
    """One WeasyPrint font configuration per process and thread, reused for every invoice.

    A fresh one per document loads the system fonts and our @font-face files again each time and
    leaves ~240 KB behind per invoice in a long-lived worker; a shared one keeps the worker's
    memory flat, renders ~10% faster and gives the same bytes (fonts are keyed by their rule).
    """
    if getattr(_fonts, "pid", None) != os.getpid():  # a forked worker child builds its own
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config, _fonts.pid = FontConfiguration(), os.getpid()
    return _fonts.config


def _stylesheet():
    """invoice.css, parsed once per process and thread with the shared font configuration.

    Its @font-face fonts are registered with that configuration once, when the sheet is parsed,
    instead of for every invoice; parsing it per invoice cost ~10% of the render.
    """
    if getattr(_fonts, "css_pid", None) != os.getpid():
        from weasyprint import CSS

        _fonts.css = CSS(filename=str(ASSETS / "invoice.css"), url_fetcher=safe_url_fetcher(),
                         font_config=_font_config())
        _fonts.css_pid = os.getpid()
    return _fonts.css


def _user_agent_stylesheet():
    """``ua.css``: the rules of WeasyPrint's HTML user-agent stylesheet that the invoice's elements use.

    WeasyPrint matches every element against its whole user-agent sheet (forms, lists, ruby, frames,
    ``dir`` attributes ...); for the invoice that cost ~10% of the render for rules that never apply.
    The PDF is byte-for-byte the one WeasyPrint's own sheet gives (a test renders it both ways).
    """
    if getattr(_fonts, "ua_pid", None) != os.getpid():
        from weasyprint import CSS

        _fonts.ua, _fonts.ua_pid = CSS(filename=str(ASSETS / "ua.css"), url_fetcher=safe_url_fetcher()), os.getpid()
    return _fonts.ua


@functools.cache
def _invoice_html_class():
    """WeasyPrint's ``HTML`` with ``ua.css`` as its user-agent stylesheet (built on first use: WeasyPrint
    is imported only where a PDF is rendered)."""
    from weasyprint import HTML

    class InvoiceHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [_user_agent_stylesheet()]

    return InvoiceHTML


WARM_UP_HTML = ("<html lang='en'><body><h1>Invoice</h1><p><strong>Amount due</strong> 1,234.56</p>"
                "<table><tr><th>Product</th><td>Cloud service</td></tr></table></body></html>")


def renderer_warm_up() -> None:
    """Prepare this process to render invoices: the font configuration, both stylesheets and one small
    render (Pango's and HarfBuzz's first use of each font). A worker process calls it when it starts
    (``invoicing.tasks.documents``), so its first invoice costs what the others cost (~0.4 s less)."""
    render_pdf_bytes(WARM_UP_HTML)


def _facturx_metadata(metadata, extra: list):
    """The document's metadata, with the Factur-X XMP descriptions added to its one ``rdf:RDF``."""
    from xml.etree.ElementTree import fromstring, register_namespace, tostring

    from weasyprint.pdf.metadata import DocumentMetadata

    for prefix, uri in (("fx", "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"),
                        ("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
                        ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                        ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#")):
        register_namespace(prefix, uri)

    class FacturXMetadata(DocumentMetadata):
        def generate_rdf_metadata(self, variant, version, conformance):
            # Our own just-generated metadata, not untrusted input.
            rdf = fromstring(super().generate_rdf_metadata(variant, version, conformance))  # noqa: S314
            rdf.extend(extra)
            return tostring(rdf, encoding="utf-8")

    return FacturXMetadata(**vars(metadata))


def _xml_attachment_finisher(document, pdf):
    """Factur-X wants the embedded XML's MIME type to be text/xml (WeasyPrint guesses application/xml),
    and the catalog's /AF should name the file once (WeasyPrint 70 lists it twice)."""
    import pydyf

    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/EmbeddedFile" and "xml" in str(obj.get("Subtype", "")):
            obj["Subtype"] = "/text#2Fxml"
        extra = getattr(obj, "extra", None)
        if isinstance(extra, dict) and extra.get("Type") == "/EmbeddedFile" and "xml" in str(extra.get("Subtype")):
            extra["Subtype"] = "/text#2Fxml"


def render_pdf_bytes(html: str, fetcher=None, *, einvoice_xml: bytes | None = None, stamp=None,
                     html_class=None) -> bytes:
    """Render the invoice HTML as PDF/A-3b; with ``einvoice_xml`` a Factur-X hybrid embedding it.

    ``stamp`` (a datetime) dates the attachment, so re-rendering gives the same bytes. ``html_class``:
    WeasyPrint's ``HTML`` to render with its own user-agent stylesheet (tests compare the two).
    """
    from weasyprint import Attachment

    fetcher = fetcher or safe_url_fetcher()
    html_class = html_class or _invoice_html_class()
    document = html_class(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=[_stylesheet()], font_config=_font_config(), pdf_variant="pdf/a-3b")
    options = {"uncompressed_pdf": False, "custom_metadata": False, "pdf_identifier": b"billing-admin",
               "pdf_variant": "pdf/a-3b"}
    if einvoice_xml is None:
        return document.write_pdf(**options)
    stamp = stamp or datetime(2000, 1, 1)
    document.metadata = _facturx_metadata(document.metadata, xmp_extension(title=""))
    attachment = Attachment(string=einvoice_xml, name=FACTURX_FILENAME, relationship="Alternative",
                            description="Factur-X / ZUGFeRD invoice (EN 16931)", created=stamp, modified=stamp)
    return document.write_pdf(attachments=[attachment], finisher=_xml_attachment_finisher, **options)


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice's PDF: a Factur-X hybrid unless the invoice cannot be an e-invoice (void, KWD ...)."""
    xml = None if einvoice_refusal(invoice) else invoice_einvoice_xml(invoice)
    return render_pdf_bytes(invoice_html(invoice), einvoice_xml=xml,
                            stamp=datetime.combine(invoice.issue_date, time(0, 0)))


def invoice_render_pdf(*, invoice_id: int, force: bool = False, actor=None, issued: Invoice | None = None) -> Invoice:
    """Render and store the invoice PDF (idempotent: an existing PDF is kept unless ``force``).

    ``actor``: the support engineer who asked for it (None: the invoice run). ``issued``: the invoice as
    ``invoice_generate`` returned it in this process (see ``invoice_pdf_rendered``). Returns the invoice with
    its PDF and e-mail state as the locked row has them."""
    if actor is not None:
        require_support(actor, SupportAction.RERENDER)
    invoice, data = invoice_pdf_rendered(invoice_id=invoice_id, issued=issued, force=force)
    if data is not None:
        pdf_store(invoice, data, actor=actor, force=force)
    return invoice


def pdf_store(invoice: Invoice, data: bytes, *, actor=None, force: bool = False) -> None:
    """Store ``data`` as the invoice's PDF in a transaction of its own (see ``pdf_attach``)."""
    with transaction.atomic():
        if pdf_attach(invoice, data, force=force):
            invoice.save(update_fields=PDF_FIELDS)
            activity.record_all([pdf_rendered_event(invoice, actor)])


# The invoice's fields that ``pdf_attach`` sets; the caller saves them (with its own, in one UPDATE).
PDF_FIELDS = ["pdf", "pdf_sha256", "updated"]


def invoice_pdf_rendered(*, invoice_id: int, issued: Invoice | None = None,
                         force: bool = False) -> tuple[Invoice, bytes | None]:
    """The invoice and its PDF rendered now; ``None`` for the PDF when the invoice has one already (and not
    ``force``). Nothing is locked: ``pdf_attach`` stores the PDF under the row lock.

    ``issued``: the invoice as ``invoice_generate`` returned it in this process, committed, with the lines it
    wrote: nothing is read back (a test holds that the PDF is the one the database gives). Otherwise the
    invoice is read with its account (the e-invoice's buyer) and its lines (the PDF's and the XML's), once."""
    if issued is not None and issued.pk == invoice_id:
        invoice = issued
        prefetch_related_objects([invoice], "lines")
    else:
        invoice = Invoice.objects.select_related("profile__account").prefetch_related("lines").get(pk=invoice_id)
    if invoice.pdf and invoice.pdf_sha256 and not force:
        return invoice, None
    return invoice, invoice_pdf_bytes(invoice)


def pdf_attach(invoice: Invoice, data: bytes, *, force: bool = False) -> bool:
    """Inside the caller's transaction: lock the invoice's row and make ``data`` its PDF, unless the row holds
    one already (and not ``force``: then ``invoice`` takes the stored one). True when attached: the file is
    written and ``PDF_FIELDS`` are set on ``invoice``, for the caller to save. ``invoice.email_status`` and
    ``email_attempts`` take the row's either way.

    Under the lock only the row's PDF and e-mail state are read: the PDF was rendered from ``invoice`` as the
    caller read it, and its profile and account (the activity row's scope) came with it."""
    stored, stored_sha, invoice.email_status, invoice.email_attempts = (
        Invoice.objects.select_for_update().values_list("pdf", "pdf_sha256", "email_status", "email_attempts")
        .get(pk=invoice.pk))
    if stored and stored_sha and not force:
        invoice.pdf, invoice.pdf_sha256 = stored, stored_sha
        return False
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(data), save=False)
    invoice.pdf_sha256 = hashlib.sha256(data).hexdigest()
    if stored and stored != invoice.pdf.name:
        transaction.on_commit(lambda: invoice.pdf.storage.delete(stored))
    return True


def pdf_rendered_event(invoice: Invoice, actor=None):
    """The activity event of a PDF just attached (``pdf_attach``), not yet written."""
    return activity.event(actor=actor, verb="invoice.pdf_rendered", target=invoice,
                          changes={"sha256": invoice.pdf_sha256})
