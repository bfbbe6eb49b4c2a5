"""Every issued invoice PDF is a Factur-X / ZUGFeRD 2 hybrid (EN 16931): PDF/A-3b with the CII XML embedded."""

import io
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from billing_admin.core.money import format_money, round_money
from conftest import grant
from invoicing.models import Invoice
from invoicing.services.credits import credit_lot_add
from invoicing.services.einvoice import NotAnEInvoice, build_document, invoice_einvoice_xml
from invoicing.services.invoices import invoice_generate, invoice_void
from invoicing.services.pdf import invoice_pdf_bytes, invoice_render_pdf
from invoicing.tests.einvoice_rules import business_rule_failures, schematron_failures
from invoicing.tests.test_invoice_generation import buy, pdf_text
from profiles.models import Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
OCT1, OCT31, NOV1 = date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1)


def issue(country, rate, items, credit=None, tax_id="NL123456789B01"):
    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=rate, tax_id=tax_id))
    if credit:
        credit_lot_add(actor=None, profile=profile, source="promotional", amount=credit, start_date=OCT1,
                       expiration_date=date(2027, 1, 31), reference="PROMO-1")
    buy(profile, *items)
    invoice, _created = invoice_generate(profile_id=profile.pk, period_start=OCT1, period_end=OCT31, issue_date=NOV1)
    return invoice_render_pdf(invoice_id=invoice.pk)


def pdf_bytes(invoice) -> bytes:
    with invoice.pdf.open("rb") as f:
        return f.read()


def text(tree, path) -> str:
    return tree.findtext(path, namespaces=NS)


@pytest.mark.parametrize(
    ("country", "rate", "items", "credit", "decimals"),
    [
        ("NL", 21, [("3", "33.335", True), ("2", "10.00", False)], "50.00", 2),  # EUR, credits on one line
        ("US", 0, [("1", "1234.56", True)], None, 2),  # USD, zero rated
        ("JP", 10, [("3", "333.5", True), ("1", "0.5", True)], "100", 0),  # JPY: no decimals
    ],
)
def test_embedded_xml_validates_and_its_totals_equal_the_invoice(country, rate, items, credit, decimals):
    invoice = issue(country, rate, items, credit)
    data = pdf_bytes(invoice)
    filename, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True  # the official EN 16931 XSD
    tree = etree.fromstring(xml)
    assert text(tree, ".//rsm:ExchangedDocumentContext//ram:ID") == "urn:cen.eu:en16931:2017"
    assert text(tree, ".//rsm:ExchangedDocument/ram:ID") == invoice.number
    s = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    cur = invoice.currency
    expected = {
        "LineTotalAmount": invoice.subtotal, "AllowanceTotalAmount": invoice.credits_applied,
        "TaxBasisTotalAmount": invoice.subtotal - invoice.credits_applied, "TaxTotalAmount": invoice.tax,
        "GrandTotalAmount": invoice.total, "DuePayableAmount": invoice.amount_due,
    }
    for tag, value in expected.items():
        written = text(tree, s + tag)
        assert written == str(round_money(value, cur)), tag
        assert len(written.partition(".")[2]) == decimals, tag  # JPY 0, EUR/USD 2
    assert tree.find(s + "TaxTotalAmount", NS).get("currencyID") == cur
    # The lines add up to the line total; the allowances (credits, per lot) to the allowance total.
    lines = [Decimal(x.text) for x in tree.iterfind(".//ram:SpecifiedTradeSettlementLineMonetarySummation/"
                                                      "ram:LineTotalAmount", NS)]
    assert len(lines) == len(items) and sum(lines) == invoice.subtotal
    allowances = tree.findall(".//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge", NS)
    assert sum((Decimal(a.findtext("ram:ActualAmount", namespaces=NS)) for a in allowances), Decimal(0)) == \
        invoice.credits_applied
    assert bool(allowances) == bool(invoice.credits_applied)
    # Tax category and rate on every line.
    for tax in tree.iterfind(".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", NS):
        assert tax.findtext("ram:CategoryCode", namespaces=NS) == ("S" if rate else "Z")
        assert Decimal(tax.findtext("ram:RateApplicablePercent", namespaces=NS)) == Decimal(rate)
    # And the PDF a person reads says the same amount due.
    assert format_money(invoice.amount_due, cur, invoice.language) in pdf_text(invoice)


def test_seller_and_buyer_vat_ids_po_number_and_periods_are_in_the_xml(settings):
    invoice = issue("NL", 21, [("1", "100", True)])
    Invoice.objects.filter(pk=invoice.pk).update(po_number="PO-4711")
    invoice.refresh_from_db()
    tree = etree.fromstring(get_facturx_xml_from_pdf(invoice_pdf_bytes(invoice), check_xsd=True)[1])
    vat = {p.tag.split("}")[1]: [t.text for t in p.iterfind("ram:SpecifiedTaxRegistration/ram:ID", NS)]
           for p in tree.iterfind(".//ram:ApplicableHeaderTradeAgreement/*", NS)}
    assert vat["SellerTradeParty"] == [settings.SELLER["vat_id"]]
    assert vat["BuyerTradeParty"] == ["NL123456789B01"]
    assert text(tree, ".//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-4711"
    assert text(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:StartDateTime/*") \
        == "20261001"
    assert text(tree, ".//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*") == invoice.due_date.strftime("%Y%m%d")


def test_intra_eu_buyer_with_vat_id_at_zero_rate_is_reverse_charge():
    invoice = issue("DE", 0, [("1", "100", True)], tax_id="DE123456789")
    tree = etree.fromstring(get_facturx_xml_from_pdf(pdf_bytes(invoice))[1])
    assert text(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert text(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode") \
        == "VATEX-EU-AE"


def test_the_pdf_is_pdf_a_3b_with_the_factur_x_xmp_extension():
    invoice = issue("NL", 21, [("1", "100", True)])
    reader = PdfReader(io.BytesIO(pdf_bytes(invoice)))
    xmp = reader.xmp_metadata
    assert xmp is not None
    rdf = xmp.rdf_root.toxml()
    assert 'pdfaid:part="3"' in rdf and 'pdfaid:conformance="B"' in rdf
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in rdf
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in rdf
    assert "<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in rdf
    catalog = reader.trailer["/Root"]
    assert "/OutputIntents" in catalog  # sRGB output intent
    (filespec,) = [f.get_object() for f in catalog["/AF"]]
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"  # pypdf decodes /text#2Fxml
    assert reader.pdf_header == "%PDF-1.7"


@pytest.mark.parametrize(("country", "rate", "credit", "tax_id", "bare"), [
    ("NL", 21, "50.00", "NL123456789B01", False),  # credits: allowances; a buyer VAT id
    ("DE", 0, None, "DE123456789", False),  # reverse charge: exemption reason
    ("US", 0, None, "", False),  # no VAT id, zero rated
    ("JP", 10, "100", "", True),  # no decimals; no PO number, contact e-mail or seller VAT id; long addresses
])
def test_the_xml_is_byte_for_byte_what_drafthorse_serialises(settings, country, rate, credit, tax_id, bare):
    """We write the CII XML directly (drafthorse's model objects cost ~5 ms an invoice): the bytes must be the
    ones drafthorse's document of the same invoice serialises to."""

    if bare:
        settings.SELLER = {**settings.SELLER, "vat_id": "", "address": "Line 1\nLine 2\nLine 3\nLine 4"}
    invoice = issue(country, rate, [("3", "33.335", True), ("2", "10.00", False)], credit, tax_id=tax_id)
    Invoice.objects.filter(pk=invoice.pk).update(
        po_number="" if bare else "PO-<4711> & co", contact_email="" if bare else invoice.contact_email,
        sold_to_address="Keizersgracht 1\n\n1016 AA Amsterdam\nNoord-Holland\nNetherlands" if bare
        else invoice.sold_to_address)
    if bare:
        invoice.lines.filter(position=2).update(product="")
    invoice.refresh_from_db()
    assert invoice_einvoice_xml(invoice) == build_document(invoice).serialize(schema=None)


def test_the_users_text_is_escaped_and_cleaned_as_lxml_writes_it():
    """The XML is written as text and parsed: markup characters, quotes, control characters and carriage
    returns in what the user typed must come out as drafthorse's lxml elements write them, and mean the same."""
    invoice = issue("NL", 21, [("1", "100", True), ("2", "5", True)], tax_id="NL123456789B01")
    nasty = "Tom & Jerry's <b>\"VM\"</b> ]]> &amp; \x01\x1b\x7f\u200b\u2028ok\tend ✓"
    Invoice.objects.filter(pk=invoice.pk).update(
        account_name=nasty, profile_name="<Profile> & \"co\"", po_number="PO-<1>&'2'\x07",
        sold_to_address="Street & <1>\r\nCity \"X\"\r\n\x02\r\nNL", payment_instructions="Pay <now> &\r\nthanks",
        contact_email="b&c@example.com")
    invoice.lines.filter(position=1).update(product="SKU<&>\x03", description=nasty)
    invoice.lines.filter(position=2).update(product="P&2", description="\x04\x05 ")  # no description: the SKU
    invoice.refresh_from_db()
    xml = invoice_einvoice_xml(invoice)
    assert xml == build_document(invoice).serialize(schema=None)
    tree = etree.fromstring(xml)
    cleaned = "Tom & Jerry's <b>\"VM\"</b> ]]> &amp; okend ✓"  # control characters (a tab too) dropped
    assert [n.text for n in tree.iterfind(".//ram:SpecifiedTradeProduct/ram:Name", NS)] == [cleaned, "P&2"]
    assert text(tree, ".//ram:SpecifiedTradeProduct/ram:SellerAssignedID") == "SKU<&>"
    assert text(tree, ".//ram:BuyerTradeParty/ram:Name") == cleaned
    assert text(tree, ".//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-<1>&'2'"
    assert [text(tree, f".//ram:BuyerTradeParty//ram:{tag}") for tag in ("LineOne", "LineTwo", "LineThree")] == \
        ["Street & <1>", 'City "X"', "NL"]
    assert text(tree, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:Information") == "Pay <now> &\nthanks"
    assert b"<ram:Name>Tom &amp; Jerry's &lt;b&gt;\"VM\"&lt;/b&gt; ]]&gt; &amp;amp; okend \xe2\x9c\x93</ram:Name>" \
        in xml
    # Text that is not cleaned keeps a carriage return, written as lxml writes it (drafthorse, which parses
    # its output again, turns it into a newline).
    Invoice.objects.filter(pk=invoice.pk).update(contact_email="a\rb&c@example.com")
    invoice.refresh_from_db()
    node = etree.Element("URIID")
    node.text = "a\rb&c@example.com"
    assert etree.tostring(node) == b"<URIID>a&#13;b&amp;c@example.com</URIID>"
    xml = invoice_einvoice_xml(invoice)
    assert b'<ram:URIID schemeID="EM">a&#13;b&amp;c@example.com</ram:URIID>' in xml
    assert text(etree.fromstring(xml), ".//ram:URIUniversalCommunication/ram:URIID") == "a\rb&c@example.com"


def test_rendering_twice_gives_the_same_bytes():
    invoice = issue("KW", 5, [("1", "1.2345", True)], "0.5")
    assert invoice_pdf_bytes(invoice) == invoice_pdf_bytes(invoice)


def test_a_void_invoice_carries_the_void_and_no_e_invoice():
    invoice = issue("NL", 21, [("1", "100", True)])
    invoice_void(actor=None, invoice=invoice, reason="Wrong PO")
    invoice = invoice_render_pdf(invoice_id=invoice.pk, force=True)  # what the void enqueues on commit
    data = pdf_bytes(invoice)
    reader = PdfReader(io.BytesIO(data))
    assert reader.attachments == {}
    assert "VOID" in pdf_text(invoice)
    assert 'pdfaid:part="3"' in reader.xmp_metadata.rdf_root.toxml()
    assert "fx:DocumentFileName" not in reader.xmp_metadata.rdf_root.toxml()


def test_the_xml_alone_downloads_for_who_may_see_the_invoice_and_never_for_a_void_one(client):
    from django.urls import reverse

    invoice = issue("JP", 10, [("3", "333.5", True)], "100")
    url = reverse("invoicing:invoice-xml", args=[invoice.profile_id, invoice.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # an outsider learns nothing
    reader = UserFactory()
    grant(reader, Role.READER, invoice.profile)
    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    assert f"invoice-{invoice.number}-factur-x.xml" in response["Content-Disposition"]
    assert response.content == get_facturx_xml_from_pdf(pdf_bytes(invoice))[1]  # the same as embedded
    other = issue("NL", 21, [("1", "1", True)])
    assert client.get(reverse("invoicing:invoice-xml", args=[invoice.profile_id, other.pk])).status_code == 404
    invoice_void(actor=None, invoice=invoice, reason="Wrong PO")
    assert client.get(url).status_code == 404


# --- EN 16931 business rules, not only the XSD ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "rate", "items", "credit", "tax_id"),
    [
        ("NL", 21, [("3", "33.335", True), ("2", "10.00", False)], "50.00", "NL123456789B01"),  # EUR, credits
        # VAT 0.005 + 0.005: per line 0.02, BR-CO-17 0.01
        ("NL", 5, [("1", "0.10", True), ("1", "0.10", True)], None, ""),
        ("US", 0, [("1", "1234.56", True)], None, ""),  # USD, zero rated
        ("JP", 10, [("3", "333.5", True), ("1", "0.5", True), ("1", "1001", False)], "100", ""),  # JPY: no decimals
        ("DE", 0, [("1", "100", True)], None, "DE123456789"),  # intra-EU reverse charge
    ],
)
def test_the_official_en16931_schematrons_and_the_totals_rules_hold(country, rate, items, credit, tax_id):
    invoice = issue(country, rate, items, credit, tax_id=tax_id)
    _name, xml = get_facturx_xml_from_pdf(pdf_bytes(invoice), check_xsd=False)
    assert schematron_failures(xml) == []
    assert business_rule_failures(xml, decimals=0 if country == "JP" else 2) == []
    tree = etree.fromstring(xml)
    assert text(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount") == \
        str(round_money(invoice.tax, invoice.currency))  # the PDF's tax, to the cent
    assert format_money(invoice.tax, invoice.currency, invoice.language) in pdf_text(invoice)


line = st.tuples(st.sampled_from(["1", "2", "3", "0.5", "7", "12"]),
                 st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2), st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(country=st.sampled_from(["NL", "JP"]), rate=st.sampled_from(["21", "9", "5", "19", "7.7", "10", "0"]),
       items=st.lists(line, min_size=1, max_size=8),
       credit=st.one_of(st.none(), st.decimals(min_value=Decimal("1"), max_value=Decimal("2000"), places=0)))
@example(country="NL", rate="5", items=[("1", Decimal("0.10"), True)] * 2, credit=None)
@example(country="NL", rate="21", items=[("3", Decimal("0.05"), True)] * 3, credit=None)
def test_any_lines_and_credits_give_an_xml_whose_tax_follows_br_co_17_and_equals_the_invoice(country, rate, items,
                                                                                          credit):

    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=rate))
    if credit:
        credit_lot_add(actor=None, profile=profile, source="prepayment", amount=credit, start_date=OCT1,
                       expiration_date=date(2027, 1, 31))
    buy(profile, *[(q, str(price), eligible) for q, price, eligible in items])
    invoice, _created = invoice_generate(profile_id=profile.pk, period_start=OCT1, period_end=OCT31, issue_date=NOV1)
    xml = invoice_einvoice_xml(invoice)
    assert business_rule_failures(xml, decimals=0 if country == "JP" else 2) == []
    assert schematron_failures(xml) == []
    assert invoice.subtotal - invoice.credits_applied + invoice.tax == invoice.total == invoice.amount_due
    s = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    tree = etree.fromstring(xml)
    assert [text(tree, s + tag) for tag in ("TaxTotalAmount", "GrandTotalAmount", "DuePayableAmount")] == \
        [str(round_money(v, invoice.currency)) for v in (invoice.tax, invoice.total, invoice.amount_due)]


def test_a_kwd_invoice_is_no_e_invoice_as_en_16931_allows_two_decimals_in_every_profile(client):
    """EN 16931's BR-DEC rules allow at most two decimals for every amount, whatever the currency, and the
    Factur-X EXTENDED schematron keeps them: a KWD invoice (3 decimals, to the fils) cannot be a valid
    e-invoice. Its PDF stays PDF/A-3b without an embedded XML, and the page says why."""
    from django.urls import reverse

    invoice = issue("KW", 5, [("1", "1.2345", True), ("7", "0.333", True)], "0.5", tax_id="")
    assert invoice.currency == "KWD" and invoice.subtotal == Decimal("3.566")  # 1.235 + 2.331: fils count
    with pytest.raises(NotAnEInvoice):
        invoice_einvoice_xml(invoice)
    reader = PdfReader(io.BytesIO(pdf_bytes(invoice)))
    assert reader.attachments == {}
    rdf = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in rdf and "fx:DocumentFileName" not in rdf
    assert format_money(invoice.amount_due, "KWD", invoice.language) in pdf_text(invoice)  # to the fils
    # Why: even at the EXTENDED profile, the official Factur-X schematron refuses the third decimal.
    doc = build_document(invoice)
    doc.context.guideline_parameter.id = "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"
    extended = doc.serialize(schema=None)
    assert xml_check_xsd(extended, flavor="factur-x", level="extended") is True
    assert {"BR-DEC-09", "BR-DEC-12", "BR-DEC-18"} <= set(extended_schematron_failures(extended))
    owner = UserFactory()
    grant(owner, Role.OWNER, invoice.profile)
    client.force_login(owner)
    assert client.get(reverse("invoicing:invoice-xml", args=[invoice.profile_id, invoice.pk])).status_code == 404
    page = client.get(reverse("invoicing:invoice-detail", args=[invoice.profile_id, invoice.pk])).text
    assert reverse("invoicing:invoice-xml", args=[invoice.profile_id, invoice.pk]) not in page
    assert "at most 2 decimals" in page


def extended_schematron_failures(xml: bytes) -> list[str]:
    from pathlib import Path

    import facturx
    from saxonche import PySaxonProcessor

    path = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-extended" / "FACTUR-X_EXTENDED.xslt"
    with PySaxonProcessor(license=False) as saxon:
        report = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path)).transform_to_string(
            xdm_node=saxon.parse_xml(xml_text=xml.decode("utf-8")))
    return [f.get("id") for f in etree.fromstring(report.encode("utf-8")).iterfind(
        ".//{http://purl.oclc.org/dsdl/svrl}failed-assert")]
