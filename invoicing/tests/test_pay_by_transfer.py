"""The pay page says how to pay by bank transfer: the seller's IBAN and BIC, the amount, the reference
to quote, copy buttons and, for EUR invoices, an EPC QR code ("GiroCode") that banking apps scan."""

import re
from decimal import Decimal

import pytest
import segno.helpers
import zxingcpp
from django.conf import settings
from django.urls import reverse

from conftest import grant
from invoicing.selectors import EPC_QR_MASK, epc_data, epc_qr_svg
from invoicing.services.einvoice import invoice_einvoice_xml
from invoicing.services.pdf import invoice_html, invoice_pdf_bytes
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role
from profiles.services.payment_methods import payment_method_add_bank_account, payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.django_db


def pay_page(profile, invoice):
    user = UserFactory()
    grant(user, Role.INVOICE_MANAGER, profile)
    from django.test import Client
    client = Client()
    client.force_login(user)
    response = client.get(reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk]))
    assert response.status_code == 200
    return response.text


def scan_svg(svg: str) -> list[bytes]:
    """The bytes a scanner reads off the inline SVG's QR code: its stroked rows drawn as pixels (4 per module, as
    the SVG's scale), then zxing-cpp's reader. Anything else in the SVG than our light square and dark rows
    fails here, and so does a code that is not what the EPC guidelines ask: error correction level M, version
    13 at most, and no ECI (ZXing-based scanners refuse ECI 899, "binary")."""
    from PIL import Image

    background, rows = re.fullmatch(
        r'<svg width="\d+" height="\d+" class="epc-qr"><title>[^<]*</title><g transform="scale\(4\)">'
        r'<path fill="#fff" d="M0 0h(\d+)v\1h-\1z"/><path class="qrline" stroke="#000" d="((?:M\d+ \d+\.5h\d+)+)"/>'
        r"</g></svg>", svg).groups()
    image = Image.new("L", (int(background) * 4, int(background) * 4), 255)
    for x, y, run in re.findall(r"M(\d+) (\d+)\.5h(\d+)", rows):
        image.paste(0, (int(x) * 4, int(y) * 4, (int(x) + int(run)) * 4, (int(y) + 1) * 4))
    codes = [r for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.HexECI)
             if r.format == zxingcpp.BarcodeFormat.QRCode]
    for code in codes:
        assert code.text.startswith("5D 51 31 "), "the code carries an ECI (its symbology identifier is not ]Q1)"
        assert code.ec_level == "M" and int(code.extra["Version"]) <= 13, code.extra
        assert int(code.extra["DataMask"]) == EPC_QR_MASK, code.extra  # the one mask: no search of all eight
    return [bytes.fromhex(code.text[len("5D 51 31 "):]) for code in codes]


def test_wire_transfer_profile_sees_iban_bic_amount_reference_and_an_epc_qr_code():
    profile = BillingProfileFactory()
    WireTransferFactory(profile=profile, is_default=True)
    payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                            exp_year=2031, cvc="123", holder="Pat")  # a card too: the default still rules
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    page = pay_page(profile, invoice)
    amount = invoice.outstanding.quantize(Decimal("0.01"))
    seller = settings.SELLER
    for shown in (seller["iban"], seller["bic"], invoice.number, invoice.get_status_display()):
        assert shown in page
    assert f'data-copy="{seller["iban"]}"' in page and f'data-copy="{invoice.number}"' in page
    assert f'data-copy="{amount}"' in page
    # The payload is a valid EPC QR (BCD 002, SEPA credit transfer) with our IBAN, the amount and the reference.
    payload = segno.helpers._make_epc_qr_data(seller["name"], seller["iban"], amount,
                                              text=invoice.number, bic=seller["bic"]).decode()
    lines = payload.split("\n")
    assert lines[0:2] == ["BCD", "002"] and lines[3] == "SCT" and lines[4] == seller["bic"]
    assert lines[5:8] == [seller["name"], seller["iban"], f"EUR{amount.normalize():f}"]
    assert lines[-1] == invoice.number and Decimal(lines[7][3:]) == amount == Decimal("121.00")
    # ... and the page shows a QR code that scans as exactly that payload, as inline SVG without style attributes.
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    assert scan_svg(svg) == [payload.encode()]
    assert "style=" not in svg and "<script" not in page.split("<main")[-1]


def test_no_card_or_bank_account_still_shows_the_bank_details():
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    page = pay_page(profile, invoice)
    assert settings.SELLER["iban"] in page and invoice.number in page and "<svg" in page
    assert "Confirm payment" not in page


def test_non_eur_invoice_gets_the_bank_details_but_no_epc_qr_code():
    profile = BillingProfileFactory(account__country="US")
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    page = pay_page(profile, invoice)
    assert settings.SELLER["iban"] in page and "<svg" not in page


def test_card_profile_pays_by_card_without_transfer_details():
    profile = BillingProfileFactory()
    payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                            exp_year=2031, cvc="123", holder="Pat")
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    page = pay_page(profile, invoice)
    assert "Confirm payment" in page and settings.SELLER["iban"] not in page
    assert invoice.number in page and "Due date" in page


def test_the_pay_link_puts_the_pay_page_in_the_browser_history(client):
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    user = UserFactory()
    grant(user, Role.INVOICE_MANAGER, profile)
    client.force_login(user)
    page = client.get(reverse("invoicing:profile-invoices", args=[profile.pk])).text
    pay_url = reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])
    link = page[page.index(f'href="{pay_url}"'):]
    assert 'hx-push-url="true"' in link[:link.index(">")]  # a reload stays on the pay page


def test_the_pdf_of_a_eur_invoice_carries_the_epc_qr_code_of_its_amount_due():
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    seller = settings.SELLER
    html = invoice_html(invoice)
    expected = segno.helpers._make_epc_qr_data(seller["name"], seller["iban"], Decimal("121.00"),
                                               text=invoice.number, bic=seller["bic"])
    assert scan_svg(html[html.index("<svg"):html.index("</svg>") + 6]) == [expected]
    usd = InvoiceFactory(profile=BillingProfileFactory(account__country="US"), unit_price="100")
    assert "<svg" not in invoice_html(usd)


def test_the_epc_qr_code_printed_on_the_pdf_scans_as_the_transfer_of_the_amount_due():
    """The page printed at 200 dpi, read by a barcode scanner as a banking app would read it."""
    import pypdfium2

    invoice = InvoiceFactory(profile=BillingProfileFactory(), unit_price="100")
    pdf = pypdfium2.PdfDocument(invoice_pdf_bytes(invoice))
    image = pdf[0].render(scale=200 / 72).to_pil()
    read = [r for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.HexECI)
            if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(read) == 1, "no scannable QR code on the PDF"
    # As the EPC guidelines ask, and as scanners built on ZXing need: no ECI (]Q1), level M, version 13 at most.
    assert read[0].text.startswith("5D 51 31 ") and read[0].ec_level == "M" and int(read[0].extra["Version"]) <= 13
    assert int(read[0].extra["DataMask"]) == EPC_QR_MASK
    codes = [r.bytes.decode() for r in read]
    lines = codes[0].split("\n")
    seller = settings.SELLER
    assert lines[:2] == ["BCD", "002"] and lines[3] == "SCT"
    assert lines[4:7] == [seller["bic"], seller["name"], seller["iban"]]
    assert lines[7].startswith("EUR") and Decimal(lines[7][3:]) == invoice.amount_due == Decimal("121.00")
    assert invoice.number in lines[9:]


@pytest.mark.parametrize("add_method", ["card", "bank_account"])
def test_an_invoice_paid_by_card_or_debit_carries_no_transfer_qr_code(add_method):
    """The PDF of a profile that pays by card or direct debit says the amount will be charged: a transfer
    QR code beside it would invite paying twice. Only invoices to be paid by transfer carry one."""

    profile = BillingProfileFactory()
    if add_method == "card":
        payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=12,
                                exp_year=2031, cvc="123", holder="Pat")
    else:
        payment_method_add_bank_account(actor=None, profile=profile, holder="Pat",
                                        iban="NL91ABNA0417164300", bic="ABNANL2A")
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    assert invoice.payment_means == add_method
    html = invoice_html(invoice)
    assert "<svg" not in html and "banking app" not in html
    assert ("will be charged" if add_method == "card" else "will be debited") in html
    # The e-invoice names the same means (UNTDID 4461: 48 bank card, 59 SEPA direct debit), not a transfer.
    xml = invoice_einvoice_xml(invoice).decode()
    means = xml[xml.index("SpecifiedTradeSettlementPaymentMeans"):]
    assert means[means.index("TypeCode>") + 9:].startswith("48" if add_method == "card" else "59")


def test_an_invoice_to_be_paid_by_transfer_says_so_and_carries_the_qr_code():
    profile = BillingProfileFactory()
    WireTransferFactory(profile=profile, is_default=True)
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    assert invoice.payment_means == "transfer"
    assert "<svg" in invoice_html(invoice)


def test_the_longest_epc_payload_still_fits_the_code_the_guidelines_allow():
    """331 bytes, the most an EPC QR code carries (name 70, IBAN 34, BIC 11, amount, remittance text 140):
    version 13 at most, level M, no ECI, and it scans as those bytes."""
    data = epc_data(name="N" * 70, iban="NL91ABNA0417164300", amount=Decimal("999999999.99"), text="t" * 140,
                    bic="ABNANL2AXXX")
    assert scan_svg(epc_qr_svg(data, title="EPC")) == [data]


def test_a_seller_name_outside_ascii_gets_a_pay_page_and_a_code_in_its_declared_character_set(settings):
    """"Müller" is written in ISO 8859-1 (the payload's third line says 2): the page showed nothing but an
    error before (the payload was read as UTF-8), and the code must carry those very bytes."""
    settings.SELLER = {**settings.SELLER, "name": "Müller & Söhne Cloud GmbH"}
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile, unit_price="100")
    page = pay_page(profile, invoice)
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    [data] = scan_svg(svg)
    assert data.split(b"\n")[2] == b"2" and data.split(b"\n")[5] == "Müller & Söhne Cloud GmbH".encode("latin-1")
    assert "Müller &amp; Söhne Cloud GmbH" in page
