"""E-invoices (DESIGN §5): the Factur-X / ZUGFeRD 2 CII XML of an issued invoice, EN 16931 profile.

The XML is built with drafthorse (the library pretix builds its ZUGFeRD invoices with) from the
invoice's frozen snapshot and its stored lines, so it says exactly what the PDF says:

- every line carries its product, quantity, unit price, amount (the line net amount), service
  period and its VAT category and rate;
- the credits applied are document-level allowances, one per credit lot that paid for the
  invoice (reason: the lot's source), in the line's VAT category;
- the totals are the invoice's own figures, at the currency's minor unit (JPY 0, EUR 2, KWD 3):
  line total = subtotal, allowance total = credits applied, tax basis = subtotal − credits,
  tax = tax, grand total = total, due payable = amount due.

The VAT category follows the account's rate: ``S`` (standard) above zero; at zero ``AE``
(reverse charge) for a buyer with a VAT id in another EU country, else ``Z`` (zero rated).
A void invoice has no valid e-invoice: ``invoice_einvoice_xml`` refuses it. Nor has an invoice in a
currency with more than two decimals (KWD, BHD, JOD ...): EN 16931 allows at most two decimals for
every amount (its BR-DEC rules, whatever the currency), and the Factur-X EXTENDED profile keeps
those rules, so no profile could carry the invoice's amounts to the fils. Its PDF is PDF/A-3b
without an embedded XML, and the invoice page says why (``einvoice_refusal``).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from billing_admin.core.money import ZERO, minor_units, round_money
from invoicing.models import CreditTransaction, Invoice

FACTURX_FILENAME = "factur-x.xml"
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
# The XMP property of the Factur-X PDF/A extension schema for this profile.
XMP_CONFORMANCE_LEVEL = "EN 16931"

EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}


class NotAnEInvoice(ValueError):
    """The invoice cannot be a valid e-invoice (it is void, or its currency has more than two decimals)."""


# EN 16931 BR-DEC: at most two decimals for every amount, in every currency and every Factur-X profile.
MAX_DECIMALS = 2



def payment_means_code(invoice: Invoice) -> str:
    """UNTDID 4461 code of how the invoice is paid (BT-81): SEPA / other credit transfer (58 / 30), bank
    card (48), SEPA / other direct debit (59 / 49)."""
    means, sepa = Invoice.PaymentMeans, invoice.currency == "EUR"
    if invoice.payment_means == means.CARD:
        return "48"
    if invoice.payment_means == means.BANK_ACCOUNT:
        return "59" if sepa else "49"
    return "58" if sepa else "30"

def einvoice_refusal(invoice: Invoice) -> str:
    """Why the invoice has no valid e-invoice (a sentence for the user), or '' when it has one."""
    if invoice.status == Invoice.Status.VOID:
        return _("A void invoice is not a valid e-invoice.")
    if minor_units(invoice.currency) > MAX_DECIMALS:
        return _("No e-invoice (EN 16931) for invoices in %(currency)s: the standard allows at most 2 decimals "
                 "for amounts, and %(currency)s has %(decimals)s.") % {
            "currency": invoice.currency, "decimals": minor_units(invoice.currency)}
    return ""


def _clean(text: str | None) -> str:
    """Printable text for XML: control characters (except newlines) dropped. Text printable throughout (most
    of it; a newline is not) is taken as it is, without a look at each character (~2.5 µs a line's description)."""
    text = str(text or "")
    if text.isprintable():
        return text.strip()
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable()).strip()


def _address_lines(text: str) -> list[str]:
    return [line.strip() for line in _clean(text).splitlines() if line.strip()]


def tax_category(*, rate: Decimal, seller_country: str, buyer_country: str, buyer_vat_id: str) -> tuple[str, str]:
    """(VAT category code, exemption reason code or '') for the account's tax rate."""
    if rate > 0:
        return "S", ""
    if buyer_vat_id and buyer_country in EU_COUNTRIES and buyer_country != seller_country:
        return "AE", "VATEX-EU-AE"
    return "Z", ""


def credits_by_lot(invoice: Invoice) -> list[tuple[str, Decimal]]:
    """(label, amount) of each credit lot that paid for the invoice, in the order they were applied."""
    if not invoice.credits_applied:
        return []  # no credit paid for it: nothing to look up
    given: dict[int, Decimal] = defaultdict(lambda: ZERO)
    labels: dict[int, str] = {}
    for entry in CreditTransaction.objects.filter(
            invoice=invoice, kind=CreditTransaction.Kind.APPLIED_TO_INVOICE).select_related("lot").order_by("pk"):
        given[entry.lot_id] -= entry.amount
        lot = entry.lot
        labels[entry.lot_id] = lot.get_source_display() + (f" {lot.reference}" if lot.reference else "")
    return [(labels[lot_id], amount) for lot_id, amount in given.items() if amount > 0]


class _Facts(NamedTuple):
    """What both CII builders derive from the invoice before writing it."""
    cur: str
    seller: dict
    seller_country: str
    buyer_country: str
    category: str
    exemption: str
    rate: Decimal
    money: Callable[[Decimal], Decimal]


def _facts(invoice: Invoice) -> _Facts:
    cur = invoice.currency
    seller = settings.SELLER
    seller_country = seller.get("country", "NL")
    buyer_country = str(invoice.profile.account.country)
    category, exemption = tax_category(rate=invoice.tax_rate, seller_country=seller_country,
                                       buyer_country=buyer_country, buyer_vat_id=invoice.tax_id)
    return _Facts(cur, seller, seller_country, buyer_country, category, exemption,
                  invoice.tax_rate.quantize(Decimal("0.01")), functools.partial(round_money, currency=cur))


def build_document(invoice: Invoice):
    """The drafthorse ``Document`` of an issued invoice: the reference that ``cii_tree`` (what the invoice
    run writes) must match byte for byte, as the tests check."""
    from drafthorse.models.accounting import ApplicableTradeTax, TradeAllowanceCharge
    from drafthorse.models.document import Document
    from drafthorse.models.note import IncludedNote
    from drafthorse.models.party import TaxRegistration
    from drafthorse.models.payment import PaymentMeans, PaymentTerms
    from drafthorse.models.tradelines import LineItem

    cur, seller, seller_country, buyer_country, category, exemption, rate, money = _facts(invoice)

    doc = Document()
    doc.context.guideline_parameter.id = GUIDELINE_EN16931
    doc.header.id = invoice.number
    doc.header.type_code = "380"  # commercial invoice
    doc.header.issue_date_time = invoice.issue_date
    note = IncludedNote()
    note.content = _clean(f"{invoice.account_name} · {invoice.profile_name}")
    doc.header.notes.add(note)

    agreement = doc.trade.agreement
    agreement.seller.name = _clean(seller["name"])
    lines = _address_lines(seller["address"])
    for attr, text in zip(("line_one", "line_two", "line_three"), lines, strict=False):
        setattr(agreement.seller.address, attr, text)
    agreement.seller.address.country_id = seller_country
    if seller.get("vat_id"):
        agreement.seller.tax_registrations.add(TaxRegistration(id=("VA", _clean(seller["vat_id"]))))

    agreement.buyer.name = _clean(invoice.account_name)
    lines = _address_lines(invoice.sold_to_address)
    for attr, text in zip(("line_one", "line_two", "line_three"), lines, strict=False):
        setattr(agreement.buyer.address, attr, text)
    agreement.buyer.address.country_id = buyer_country
    if invoice.tax_id:
        agreement.buyer.tax_registrations.add(TaxRegistration(id=("VA", _clean(invoice.tax_id))))
    if invoice.contact_email:
        agreement.buyer.electronic_address.uri_ID = ("EM", invoice.contact_email)
    if invoice.po_number:
        agreement.buyer_reference = _clean(invoice.po_number)
        agreement.buyer_order.issuer_assigned_id = _clean(invoice.po_number)

    doc.trade.delivery.event.occurrence = invoice.period_end

    for line in invoice.lines.all():
        item = LineItem()
        item.document.line_id = str(line.position)
        if line.product:
            item.product.seller_assigned_id = _clean(line.product)
        item.product.name = _clean(line.description) or _clean(line.product)
        item.agreement.net.amount = line.unit_price
        item.delivery.billed_quantity = (line.quantity, "C62")
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = category
        item.settlement.trade_tax.rate_applicable_percent = rate
        item.settlement.period.start = line.service_period_start
        item.settlement.period.end = line.service_period_end
        item.settlement.monetary_summation.total_amount = money(line.amount)
        doc.trade.items.add(item)

    settlement = doc.trade.settlement
    settlement.currency_code = cur
    settlement.payment_reference = invoice.number
    settlement.period.start = invoice.period_start
    settlement.period.end = invoice.period_end

    for label, amount in credits_by_lot(invoice):
        allowance = TradeAllowanceCharge()
        allowance.indicator = False
        allowance.actual_amount = money(amount)
        allowance.reason_code = "95"  # discount
        allowance.reason = _clean(f"Prepaid credit: {label}")[:100]
        allowance.trade_tax.add(_category_tax(category, rate))
        settlement.allowance_charge.add(allowance)

    trade_tax = ApplicableTradeTax()
    trade_tax.type_code = "VAT"
    trade_tax.category_code = category
    trade_tax.rate_applicable_percent = rate
    trade_tax.basis_amount = money(invoice.subtotal - invoice.credits_applied)
    trade_tax.calculated_amount = money(invoice.tax)
    if exemption:
        trade_tax.exemption_reason_code = exemption
        trade_tax.exemption_reason = "Reverse charge"
    settlement.trade_tax.add(trade_tax)

    means = PaymentMeans()
    means.type_code = payment_means_code(invoice)
    if invoice.payment_instructions:
        means.information.add(_clean(invoice.payment_instructions))
    means.payee_account.iban = seller["iban"]
    means.payee_institution.bic = seller["bic"]
    settlement.payment_means.add(means)
    terms = PaymentTerms()
    terms.due = invoice.due_date
    settlement.terms.add(terms)

    summation = settlement.monetary_summation
    summation.line_total = money(invoice.subtotal)
    summation.charge_total = money(ZERO)
    summation.allowance_total = money(invoice.credits_applied)
    summation.tax_basis_total = money(invoice.subtotal - invoice.credits_applied)
    summation.tax_total = (money(invoice.tax), cur)
    summation.grand_total = money(invoice.total)
    summation.due_amount = money(invoice.amount_due)
    return doc


def _category_tax(category: str, rate: Decimal):
    from drafthorse.models.accounting import CategoryTradeTax

    tax = CategoryTradeTax()
    tax.type_code = "VAT"
    tax.category_code = category
    tax.rate_applicable_percent = rate
    return tax


@functools.cache
def _schema():
    """drafthorse's copy of the Factur-X EN 16931 XSD, loaded once per process (loading it costs ~60 ms)."""
    import drafthorse

    return etree.XMLSchema(file=str(Path(drafthorse.__file__).parent / "schema" / "Factur-X_1.0.07_EN16931.xsd"))


# The namespaces drafthorse declares on the root, used or not.
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# ``cii_tree`` writes the elements as XML text with these prefixes, inside a root that declares them.
RSM, RAM, UDT = "rsm:", "ram:", "udt:"
# The root declares them in drafthorse's order: the prefixes used (always these three) in alphabetical order,
# then the unused ones.
ROOT_NAMESPACES = {p: NAMESPACES[p] for p in ("ram", "rsm", "udt", "qdt", "xs", "xsi")}
_ROOT = RSM + "CrossIndustryInvoice"
_ROOT_START = f"<{_ROOT}" + "".join(f' xmlns:{p}="{uri}"' for p, uri in ROOT_NAMESPACES.items()) + ">"


def serialize(root) -> bytes:
    """The CII XML tree (``cii_tree``) as drafthorse's ``Document.serialize(schema=None)`` writes it, byte for
    byte, in one pass (drafthorse serialises, re-parses to indent, serialises, parses again to declare the
    unused namespaces and serialises a third time: ~2 ms of every invoice)."""
    etree.indent(root, "  ")
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _xml_text(text: str) -> str:
    """``text`` as XML character data: ``&``, ``<`` and ``>`` escaped, and a carriage return as ``&#13;`` (a
    parser would read a literal one as a newline). What the parser gives back is ``text`` itself, as lxml's
    ``.text`` would have stored it; a character XML cannot carry (``_clean`` drops them from the user's text)
    fails the parse, as ``.text`` refused it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xml_attr(value: str) -> str:
    """``value`` as the text of a double-quoted attribute (a parser would turn literal whitespace into spaces)."""
    return _xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _el(tag: str, *children: str, text=None, attrs: str = "") -> str:
    """An element as XML text, or '' when it would be empty (no text, no child): drafthorse leaves those out.
    ``tag`` has its prefix (``ram:ID``); ``attrs`` is written as given (`` schemeID="VA"``, a value escaped by
    ``_xml_attr``). Text, not an lxml element: ``cii_tree`` parses the whole document once (see there)."""
    if text is not None:
        text = _xml_text(str(text))
        return f"<{tag}{attrs}>{text}</{tag}>" if text else ""
    inner = "".join(children)
    return f"<{tag}{attrs}>{inner}</{tag}>" if inner else ""


def _date(tag: str, day) -> str:
    return _el(tag, _el(UDT + "DateTimeString", text=day.strftime("%Y%m%d"), attrs=' format="102"') if day else "")


def cii_tree(invoice: Invoice):
    """The CII XML tree of an issued invoice: the elements drafthorse's ``build_document`` gives, in its order,
    built directly (drafthorse's model objects cost ~5 ms per invoice; a test keeps the two byte-identical).

    The document is written as XML text (``_el``, the user's text escaped by ``_xml_text``) and parsed once:
    an lxml element per ``_el`` cost ~1.9 ms of CPU for 22 lines, the text and its parse ~0.4 ms. The bytes
    stay lxml's: ``serialize`` writes the parsed tree, so only what the text means has to be right, not how
    it is escaped."""
    cur, seller, seller_country, buyer_country, category, exemption, rate, money = _facts(invoice)

    def address(text: str, country: str):
        lines = _address_lines(text)[:3]
        return _el(RAM + "PostalTradeAddress", *(
            _el(RAM + tag, text=line) for tag, line in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False)),
            _el(RAM + "CountryID", text=country))

    def vat_id(value: str):
        return _el(RAM + "SpecifiedTaxRegistration", _el(RAM + "ID", text=_clean(value), attrs=' schemeID="VA"')) \
            if value else ""

    # What is the same on every line is written once: the tax, and the service period (mostly one for all lines).
    line_tax = _el(RAM + "ApplicableTradeTax", _el(RAM + "TypeCode", text="VAT"),
                   _el(RAM + "CategoryCode", text=category), _el(RAM + "RateApplicablePercent", text=rate))
    periods: dict[tuple, str] = {}

    def period(start, end) -> str:
        if (start, end) not in periods:
            periods[start, end] = _el(RAM + "BillingSpecifiedPeriod", _date(RAM + "StartDateTime", start),
                                      _date(RAM + "EndDateTime", end))
        return periods[start, end]

    def line_item(line):
        return _el(
            RAM + "IncludedSupplyChainTradeLineItem",
            _el(RAM + "AssociatedDocumentLineDocument", _el(RAM + "LineID", text=line.position)),
            _el(RAM + "SpecifiedTradeProduct",
                _el(RAM + "SellerAssignedID", text=_clean(line.product)) if line.product else "",
                _el(RAM + "Name", text=_clean(line.description) or _clean(line.product))),
            _el(RAM + "SpecifiedLineTradeAgreement",
                _el(RAM + "NetPriceProductTradePrice", _el(RAM + "ChargeAmount", text=line.unit_price))),
            _el(RAM + "SpecifiedLineTradeDelivery", _el(RAM + "BilledQuantity", text=line.quantity,
                                                    attrs=' unitCode="C62"')),
            _el(RAM + "SpecifiedLineTradeSettlement", line_tax,
                period(line.service_period_start, line.service_period_end),
                _el(RAM + "SpecifiedTradeSettlementLineMonetarySummation",
                    _el(RAM + "LineTotalAmount", text=money(line.amount)))))

    def allowance(label: str, amount: Decimal):
        return _el(
            RAM + "SpecifiedTradeAllowanceCharge",
            _el(RAM + "ChargeIndicator", _el(UDT + "Indicator", text="false")),
            _el(RAM + "ActualAmount", text=money(amount)),
            _el(RAM + "ReasonCode", text="95"),  # discount
            _el(RAM + "Reason", text=_clean(f"Prepaid credit: {label}")[:100]),
            _el(RAM + "CategoryTradeTax", _el(RAM + "TypeCode", text="VAT"), _el(RAM + "CategoryCode", text=category),
                _el(RAM + "RateApplicablePercent", text=rate)))

    po_number = _clean(invoice.po_number) if invoice.po_number else ""
    basis = money(invoice.subtotal - invoice.credits_applied)
    return etree.fromstring("".join([
        _ROOT_START,
        _el(RSM + "ExchangedDocumentContext",
            _el(RAM + "GuidelineSpecifiedDocumentContextParameter", _el(RAM + "ID", text=GUIDELINE_EN16931))),
        _el(RSM + "ExchangedDocument",
            _el(RAM + "ID", text=invoice.number),
            _el(RAM + "TypeCode", text="380"),  # commercial invoice
            _date(RAM + "IssueDateTime", invoice.issue_date),
            _el(RAM + "IncludedNote", _el(RAM + "Content", text=_clean(f"{invoice.account_name} · "
                                                                        f"{invoice.profile_name}")))),
        _el(RSM + "SupplyChainTradeTransaction",
            *(line_item(line) for line in invoice.lines.all()),
            _el(RAM + "ApplicableHeaderTradeAgreement",
                _el(RAM + "BuyerReference", text=po_number),
                _el(RAM + "SellerTradeParty", _el(RAM + "Name", text=_clean(seller["name"])),
                    address(seller["address"], seller_country), vat_id(seller.get("vat_id") or "")),
                _el(RAM + "BuyerTradeParty", _el(RAM + "Name", text=_clean(invoice.account_name)),
                    address(invoice.sold_to_address, buyer_country),
                    _el(RAM + "URIUniversalCommunication", _el(RAM + "URIID", text=invoice.contact_email,
                                                               attrs=' schemeID="EM"'))
                    if invoice.contact_email else "",
                    vat_id(invoice.tax_id)),
                _el(RAM + "BuyerOrderReferencedDocument", _el(RAM + "IssuerAssignedID", text=po_number))),
            _el(RAM + "ApplicableHeaderTradeDelivery",
                _el(RAM + "ActualDeliverySupplyChainEvent", _date(RAM + "OccurrenceDateTime", invoice.period_end))),
            _el(RAM + "ApplicableHeaderTradeSettlement",
                _el(RAM + "PaymentReference", text=invoice.number),
                _el(RAM + "InvoiceCurrencyCode", text=cur),
                _el(RAM + "SpecifiedTradeSettlementPaymentMeans",
                    _el(RAM + "TypeCode", text=payment_means_code(invoice)),
                    _el(RAM + "Information", text=_clean(invoice.payment_instructions))
                    if invoice.payment_instructions else "",
                    _el(RAM + "PayeePartyCreditorFinancialAccount", _el(RAM + "IBANID", text=seller["iban"])),
                    _el(RAM + "PayeeSpecifiedCreditorFinancialInstitution", _el(RAM + "BICID", text=seller["bic"]))),
                _el(RAM + "ApplicableTradeTax",
                    _el(RAM + "CalculatedAmount", text=money(invoice.tax)),
                    _el(RAM + "TypeCode", text="VAT"),
                    _el(RAM + "ExemptionReason", text="Reverse charge" if exemption else None),
                    _el(RAM + "BasisAmount", text=basis),
                    _el(RAM + "CategoryCode", text=category),
                    _el(RAM + "ExemptionReasonCode", text=exemption or None),
                    _el(RAM + "RateApplicablePercent", text=rate)),
                _el(RAM + "BillingSpecifiedPeriod", _date(RAM + "StartDateTime", invoice.period_start),
                    _date(RAM + "EndDateTime", invoice.period_end)),
                *(allowance(label, amount) for label, amount in credits_by_lot(invoice)),
                _el(RAM + "SpecifiedTradePaymentTerms", _date(RAM + "DueDateDateTime", invoice.due_date)),
                _el(RAM + "SpecifiedTradeSettlementHeaderMonetarySummation",
                    _el(RAM + "LineTotalAmount", text=money(invoice.subtotal)),
                    _el(RAM + "ChargeTotalAmount", text=money(ZERO)),
                    _el(RAM + "AllowanceTotalAmount", text=money(invoice.credits_applied)),
                    _el(RAM + "TaxBasisTotalAmount", text=basis),
                    _el(RAM + "TaxTotalAmount", text=money(invoice.tax),
                        attrs=f' currencyID="{_xml_attr(cur)}"'),
                    _el(RAM + "GrandTotalAmount", text=money(invoice.total)),
                    _el(RAM + "DuePayableAmount", text=money(invoice.amount_due))))),
        f"</{_ROOT}>"]))


def invoice_einvoice_xml(invoice: Invoice) -> bytes:
    """The CII XML (Factur-X EN 16931) of an issued invoice, validated against the XSD (with the schema
    parsed once per process, validating costs ~0.1 ms); ``NotAnEInvoice`` for one that cannot be a valid
    e-invoice (void, or in a currency with more than two decimals). ~0.75 ms of CPU for 22 lines (was
    ~2.3 ms with an lxml element built per ``_el``)."""
    if refusal := einvoice_refusal(invoice):
        raise NotAnEInvoice(refusal)
    root = cii_tree(invoice)
    _schema().assertValid(root)
    return serialize(root)


def xmp_extension(*, title: str) -> list:
    """The Factur-X XMP properties and their PDF/A extension schema (required for PDF/A-3 conformance),
    as ``rdf:Description`` elements to put in the document's XMP packet."""
    from xml.etree.ElementTree import Element, SubElement

    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    fx = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
    ext = "http://www.aiim.org/pdfa/ns/extension/"
    sch = "http://www.aiim.org/pdfa/ns/schema#"
    prop = "http://www.aiim.org/pdfa/ns/property#"
    resource = {f"{{{rdf}}}parseType": "Resource"}

    values = Element(f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
    for name, text in (("DocumentType", "INVOICE"), ("DocumentFileName", FACTURX_FILENAME),
                       ("Version", "1.0"), ("ConformanceLevel", XMP_CONFORMANCE_LEVEL)):
        SubElement(values, f"{{{fx}}}{name}").text = text

    schema = Element(f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
    bag = SubElement(SubElement(schema, f"{{{ext}}}schemas"), f"{{{rdf}}}Bag")
    item = SubElement(bag, f"{{{rdf}}}li", resource)
    SubElement(item, f"{{{sch}}}schema").text = "Factur-X PDFA Extension Schema"
    SubElement(item, f"{{{sch}}}namespaceURI").text = fx
    SubElement(item, f"{{{sch}}}prefix").text = "fx"
    seq = SubElement(SubElement(item, f"{{{sch}}}property"), f"{{{rdf}}}Seq")
    for name, description in (
        ("DocumentFileName", "The name of the embedded XML document"),
        ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        ("Version", "The actual version of the standard applying to the embedded XML document"),
        ("ConformanceLevel", "The conformance level of the embedded XML document"),
    ):
        li = SubElement(seq, f"{{{rdf}}}li", resource)
        SubElement(li, f"{{{prop}}}name").text = name
        SubElement(li, f"{{{prop}}}valueType").text = "Text"
        SubElement(li, f"{{{prop}}}category").text = "external"
        SubElement(li, f"{{{prop}}}description").text = description
    return [values, schema]
