import io
import multiprocessing
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from billing_admin.core.money import format_money
from conftest import grant, support_engineer
from invoicing.models import Charge, CreditTransaction, Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.einvoice import einvoice_refusal, invoice_einvoice_xml
from invoicing.services.invoices import billing_period, billing_run, invoice_generate, invoice_void
from invoicing.services.payments import invoices_mark_past_due
from invoicing.services.pdf import invoice_html, render_pdf_bytes, safe_url_fetcher
from invoicing.tasks.documents import warm_up_pdf_renderer
from profiles.models import BillingProfile, Role, RoleAssignment
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, InvoiceRecipientFactory, UserFactory

pytestmark = pytest.mark.django_db
NOV1 = date(2026, 11, 1)


def buy(profile, *items):
    return purchase_record(actor=None, account=profile.account, profile=profile, items=[
        dict(product=f"SKU{i}", description=f"Item {i}", quantity=q, unit_price=p, credit_eligible=e,
             service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))
        for i, (q, p, e) in enumerate(items)
    ])


def pdf_text(invoice) -> str:
    invoice.pdf.open("rb")
    try:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf.read())).pages)
    finally:
        invoice.pdf.close()


def test_period_is_the_closed_month_before_the_invoice_day():
    assert billing_period(date(2026, 11, 1)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert billing_period(date(2026, 3, 15)) == (date(2026, 2, 15), date(2026, 3, 14))


@pytest.mark.parametrize(
    ("country", "rate", "items", "subtotal", "tax", "due"),
    [
        ("NL", 21, [("3", "33.335", True)], "100.01", "21.00", "121.01"),  # EUR: 100.005 → 100.01 half-up
        ("JP", 10, [("3", "333.5", True), ("1", "0.5", True)], "1002", "100", "1102"),  # JPY: 1000.5 → 1001, 0.5 → 1
        ("KW", 5, [("1", "1.2345", True)], "1.235", "0.062", "1.297"),  # KWD: 3 decimals, 0.06175 → 0.062
    ],
)
def test_amounts_round_half_up_per_line_in_the_currency(country, rate, items, subtotal, tax, due):
    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=rate))
    buy(profile, *items)
    invoice, created = invoice_generate(profile_id=profile.pk, period_start=date(2026, 10, 1),
                                        period_end=date(2026, 10, 31), issue_date=NOV1)
    assert created
    assert (invoice.subtotal, invoice.tax, invoice.amount_due) == (Decimal(subtotal), Decimal(tax), Decimal(due))
    assert invoice.subtotal - invoice.credits_applied + invoice.tax == invoice.amount_due


def test_credits_pay_eligible_lines_earliest_expiry_first_and_never_below_zero():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    late = credit_lot_add(actor=None, profile=profile, source="prepayment", amount="500",
                          start_date=date(2026, 1, 1), expiration_date=date(2027, 6, 30))
    early = credit_lot_add(actor=None, profile=profile, source="promotional", amount="30",
                           start_date=date(2026, 1, 1), expiration_date=date(2026, 12, 31))
    buy(profile, ("1", "50", True), ("1", "20", False))
    invoice = billing_run(day=NOV1) and Invoice.objects.get(profile=profile)
    assert invoice.credits_applied == Decimal("50.00")  # only the eligible 50, not the ineligible 20
    assert invoice.amount_due == Decimal("20.00")
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.remaining == 0 and early.status == "exhausted"  # the earliest expiry is used first
    assert late.remaining == Decimal("480.00")
    applied = CreditTransaction.objects.filter(invoice=invoice).order_by("pk")
    assert [(t.lot_id, t.amount) for t in applied] == [(early.pk, Decimal("-30")), (late.pk, Decimal("-20"))]
    assert applied.last().balance_after == Decimal("480.00")


def test_credits_larger_than_the_invoice_leave_nothing_negative():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=21))
    credit_lot_add(actor=None, profile=profile, source="prepayment", amount="1000",
                   start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1))
    buy(profile, ("2", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get(profile=profile)
    assert (invoice.subtotal, invoice.credits_applied, invoice.tax, invoice.amount_due) == (
        Decimal("20"), Decimal("20"), Decimal("0"), Decimal("0"))
    # Settled by credits at issue: nothing to pay, never past due, and support can still void it.
    assert invoice.status == "paid" and invoice.paid_at is not None
    text = pdf_text(invoice)
    assert "Nothing to pay: credits cover this invoice in full." in text
    assert "Please transfer" not in text
    assert "Nothing to pay" in mail.outbox[0].body
    assert invoices_mark_past_due(today=date(2027, 1, 1)) == 0
    invoice_void(actor=None, invoice=invoice, reason="wrong profile")
    assert Invoice.objects.get().status == "void" and Charge.objects.get().invoice is None


def test_the_pdf_shows_the_tax_rate_plainly_and_no_minus_zero_credit():
    profile = BillingProfileFactory(invoice_language="nl", account=BillingAccountFactory(tax_rate="21.00"))
    buy(profile, ("1", "100", True))
    billing_run(day=NOV1)
    text = pdf_text(Invoice.objects.get()).replace("\xa0", " ")
    assert "Btw (21%)" in text and "21,00%" not in text
    assert "-€ 0,00" not in text and "€ 0,00" in text
    assert "-€ 0,00" not in mail.outbox[0].body.replace("\xa0", " ")


def test_totals_reconcile_on_the_invoice_in_the_pdf_and_in_the_email():
    profile = BillingProfileFactory(po_number="PO-7781", account=BillingAccountFactory(tax_rate=21))
    InvoiceRecipientFactory(profile=profile, email="ap@example.com")
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="12.34",
                   start_date=date(2026, 1, 1), expiration_date=date(2026, 12, 31))
    buy(profile, ("7", "19.99", True), ("1", "5.55", False))
    summary = billing_run(day=NOV1)
    assert summary.line().startswith("1 invoices made, 1 e-mails sent")
    invoice = Invoice.objects.get(profile=profile)
    assert invoice.subtotal - invoice.credits_applied + invoice.tax == invoice.amount_due
    text = pdf_text(invoice)
    for amount in (invoice.subtotal, invoice.credits_applied, invoice.tax, invoice.amount_due):
        assert format_money(amount, "EUR", "en") in text
    assert invoice.number in text and "PO-7781" in text
    assert "VAT NL000000000B01" in text  # the seller's VAT id on one line, not squeezed under its label
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([profile.contact_email, "ap@example.com"])
    assert invoice.number in message.subject and "PO-7781" in message.subject
    assert format_money(invoice.amount_due, "EUR", "en") in message.subject
    html = message.alternatives[0][0]
    for amount in (invoice.subtotal, invoice.tax, invoice.amount_due):
        assert format_money(amount, "EUR", "en") in message.body and format_money(amount, "EUR", "en") in html
    credits = "-" + format_money(invoice.credits_applied, "EUR", "en")
    assert credits in message.body and credits in html and credits in text
    (name, content, mimetype), = message.attachments
    assert name == f"invoice-{invoice.number}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert message.alternatives and message.alternatives[0][1] == "text/html"


@pytest.mark.parametrize(("country", "lang", "quantity", "price", "shown", "amount"), [
    ("NL", "en", "500", "0.192", "€0.192", "€96.00"),
    ("NL", "nl", "120", "3.673", "€\xa03,673", "€\xa0440,76"),
    ("JP", "en", "120", "52.5", "¥52.5", "¥6,300"),
])
def test_the_pdf_prints_unit_prices_as_agreed_so_each_line_adds_up(country, lang, quantity, price, shown, amount):
    # Rounding €0.192 to €0.19 would print 500 × €0.19 = €96.00, which a reader cannot reconcile.
    profile = BillingProfileFactory(invoice_language=lang, account=BillingAccountFactory(country=country, tax_rate=0))
    buy(profile, (quantity, price, True))
    billing_run(day=NOV1)
    text = pdf_text(Invoice.objects.get(profile=profile)).replace("\xa0", " ")
    assert shown.replace("\xa0", " ") in text and amount.replace("\xa0", " ") in text


def test_dutch_invoice_is_written_in_dutch_with_dutch_money():
    profile = BillingProfileFactory(invoice_language="nl", account=BillingAccountFactory(tax_rate=0))
    buy(profile, ("1", "1234.5", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get(profile=profile)
    text = pdf_text(invoice)
    assert format_money(Decimal("1234.50"), "EUR", "nl") in text  # € 1.234,50
    assert "1.234,50" in text


@pytest.mark.parametrize(("lang", "seller", "sold_to", "bill_to", "not_there"), [
    ("nl", "Nederland", "Nederland", "Verenigde Staten van Amerika", "Netherlands"),
    ("en", "Netherlands", "The Netherlands", "United States", "Nederland"),  # English names stay as typed
])
def test_the_pdf_prints_country_names_in_the_invoice_language(settings, lang, seller, sold_to, bill_to, not_there):
    settings.SELLER = {**settings.SELLER, "address": "Herengracht 1\n1015 BA Amsterdam\nNetherlands"}
    account = BillingAccountFactory(country="NL", tax_rate=0,
                                    sold_to_address="Weena 70\n3012 CM Rotterdam\nThe Netherlands")
    profile = BillingProfileFactory(account=account, invoice_language=lang,
                                    bill_to_address="Contoso US\n500 5th Ave\nNew York, NY 10110\nUnited States")
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    lines = [line.strip() for line in pdf_text(Invoice.objects.get(profile=profile)).splitlines()]
    after = {line: lines[i + 1] for i, line in enumerate(lines[:-1])}
    assert (after["1015 BA Amsterdam"], after["3012 CM Rotterdam"], after["New York, NY 10110"]) == (
        seller, sold_to, bill_to)  # the rest of each address as typed
    assert not_there not in lines


def test_the_dutch_column_headings_of_the_pdf_do_not_run_into_each_other():
    """'Prijs per eenheid' is longer than 'Unit price': it ran into 'Bedrag' ("Prijs per eenheidBedrag")."""
    import pypdfium2

    profile = BillingProfileFactory(invoice_language="nl", account=BillingAccountFactory(tax_rate=0))
    buy(profile, ("120", "3.673", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get(profile=profile)
    invoice.pdf.open("rb")
    try:
        text = pypdfium2.PdfDocument(invoice.pdf.read())[0].get_textpage()
    finally:
        invoice.pdf.close()

    def span(word):  # (left, right) of the word's first occurrence on the page
        index, count = text.search(word, match_case=True).get_next()
        return text.get_charbox(index)[0], text.get_charbox(index + count - 1)[2]

    columns = [span(word) for word in ("Omschrijving", "Serviceperiode", "Aantal", "eenheid", "Bedrag")]
    for (_, right), (left, _) in zip(columns, columns[1:], strict=False):
        assert right < left, columns


def test_running_the_same_day_twice_bills_once():
    profile = BillingProfileFactory()
    buy(profile, ("1", "10", True))
    first = billing_run(day=NOV1)
    second = billing_run(day=NOV1)
    assert len(first.made) == 1 and second.made == [] and second.skipped == 1
    assert Invoice.objects.count() == 1
    assert len(mail.outbox) == 1
    invoice = Invoice.objects.get()
    assert invoice.email_status == "sent" and invoice.pdf_sha256


def test_opted_out_profile_gets_an_invoice_but_no_email():
    profile = BillingProfileFactory(invoice_email_opt_in=False)
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    assert Invoice.objects.get().email_status == "not_requested"
    assert mail.outbox == []


def test_no_charges_no_invoice():
    BillingProfileFactory()
    summary = billing_run(day=NOV1)
    assert summary.made == [] and Invoice.objects.count() == 0


def test_numbers_are_consecutive_per_account_and_year():
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(3)]
    for p in profiles:
        buy(p, ("1", "1", True))
    billing_run(day=NOV1)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"BA{account.pk}-2026-{n:06d}" for n in (1, 2, 3)]


def test_void_returns_charges_and_credits_and_the_next_run_reissues():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    lot = credit_lot_add(actor=None, profile=profile, source="promotional", amount="5",
                         start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1))
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    invoice_void(actor=support_engineer(), invoice=invoice, reason="Wrong PO number")
    lot.refresh_from_db()
    assert lot.remaining == Decimal("5") and Charge.objects.filter(invoice__isnull=True).count() == 1
    billing_run(day=NOV1)
    new = Invoice.objects.exclude(status="void").get()
    assert new.number != invoice.number and new.credits_applied == Decimal("5")


def test_a_voided_invoice_pdf_is_stamped_void_and_asks_for_nothing(django_capture_on_commit_callbacks):
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    issued_sha = invoice.pdf_sha256
    assert "VOID" not in pdf_text(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_void(actor=support_engineer(), invoice=invoice, reason="Wrong PO number")
    invoice.refresh_from_db()
    text = pdf_text(invoice)
    assert invoice.pdf_sha256 != issued_sha
    assert "VOID" in text and "must not be paid" in text and "Nothing to pay: this invoice is void." in text
    assert invoice.number in text and "Please transfer" not in text


def test_void_needs_a_reason_and_changes_nothing_without_one():
    profile = BillingProfileFactory()
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    with pytest.raises(Exception, match="Say why"):
        invoice_void(actor=None, invoice=invoice, reason=" ")
    invoice.refresh_from_db()
    assert invoice.status == "due"


def test_first_purchase_on_an_account_creates_its_default_profile_with_the_buyer_as_owner():
    account = BillingAccountFactory()
    outsider, buyer = UserFactory(), UserFactory()
    grant(buyer, Role.ACCOUNT_CONTRIBUTOR, account)
    item = dict(product="M365", description="Microsoft 365 E3", quantity="10", unit_price="36",
                service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))
    with pytest.raises(PermissionDenied):  # only who may buy on the account makes its first profile
        purchase_record(actor=outsider, account=account, items=[item])
    assert not BillingProfile.objects.filter(account=account).exists()
    (charge,) = purchase_record(actor=buyer, account=account, items=[item])
    profile = BillingProfile.objects.get(account=account)
    assert profile.is_default and charge.profile == profile and charge.amount == Decimal("360.00")
    assert RoleAssignment.objects.get(profile=profile).user == buyer


def test_bad_purchase_is_refused_and_writes_nothing():
    profile = BillingProfileFactory()
    with pytest.raises(Exception, match="quantity"):
        buy(profile, ("1", "10", True), ("0", "10", True))
    assert Charge.objects.count() == 0


def test_html_and_urls_in_user_text_print_as_text_and_fetch_nothing():
    nasty = '<img src="http://127.0.0.1:9/x.png">file:///etc/passwd'
    profile = BillingProfileFactory(po_number="PO<b>9</b>", contact_name=nasty,
                                    bill_to_address='<link rel="stylesheet" href="file:///etc/passwd">')
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    fetcher = safe_url_fetcher()
    render_pdf_bytes(invoice_html(invoice), fetcher=fetcher)
    assert all("etc/passwd" not in u and "127.0.0.1" not in u for u in fetcher.requested)
    assert fetcher.refused == []  # nothing even tried: our fonts and CSS only
    text = pdf_text(invoice)
    assert "PO<b>9</b>" in text and "file:///etc/passwd" in text


def test_the_fetcher_refuses_remote_and_foreign_file_urls():
    fetcher = safe_url_fetcher()
    html = ('<link rel="stylesheet" href="file:///etc/passwd"><img src="http://127.0.0.1:9/a.png">'
            '<img src="data:image/png;base64,AAAA"><p>x</p>')
    render_pdf_bytes(html, fetcher=fetcher)
    assert len(fetcher.refused) == 3


def test_re_rendering_an_invoice_gives_the_same_pdf():
    profile = BillingProfileFactory()
    buy(profile, ("1", "10", True))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    assert render_pdf_bytes(invoice_html(invoice)) == render_pdf_bytes(invoice_html(invoice))


@pytest.mark.parametrize(("country", "items", "credit"), [
    ("NL", [("3", "12.345", True), ("0.5", "99.99", False), ("7", "0.0105", True)], "25.50"),
    ("JP", [("2", "1234", True), ("3", "5", False)], "100"),
    ("KW", [("1.5", "10.125", True)], "3.333"),
    ("US", [("1", "10", True)], "500"),  # credits pay it all: nothing due
])
def test_the_pdf_made_right_after_issue_is_the_one_the_database_gives(country, items, credit):
    """The invoice run renders a new invoice from the objects it has just written (no second read); the
    PDF must be byte for byte the one rendered from the database afterwards (amounts, lines, credits)."""
    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=21))
    credit_lot_add(actor=None, profile=profile, source="prepayment", amount=credit, start_date=date(2026, 10, 1),
                   expiration_date=date(2027, 10, 1))
    buy(profile, *items)
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    invoice.pdf.open("rb")
    at_issue = invoice.pdf.read()
    invoice.pdf.close()
    reloaded = Invoice.objects.get(pk=invoice.pk)
    from_database = render_pdf_bytes(invoice_html(reloaded), einvoice_xml=None if einvoice_refusal(reloaded)
                                     else invoice_einvoice_xml(reloaded), stamp=datetime.combine(NOV1, time(0)))
    assert at_issue == from_database


def test_a_worker_process_warmed_up_at_start_renders_the_pdf_a_cold_process_renders():
    """Worker processes warm the renderer when they start (fonts, stylesheets, one small render); the
    invoices they render afterwards must be byte for byte what a process that never warmed up renders."""
    profile = BillingProfileFactory()
    buy(profile, ("3", "10.50", True), ("1", "99.99", False))
    billing_run(day=NOV1)
    invoice = Invoice.objects.get()
    html, xml = invoice_html(invoice), invoice_einvoice_xml(invoice)
    with multiprocessing.get_context("fork").Pool(1) as pool:  # a new pid: the renderer starts cold there
        cold = pool.apply(render_pdf_bytes, (html,), {"einvoice_xml": xml})
    warm_up_pdf_renderer()  # what Celery's worker_process_init runs in each pool process
    assert render_pdf_bytes(html, einvoice_xml=xml) == cold


def test_the_pdf_is_the_one_weasyprints_own_user_agent_stylesheet_gives():
    """Invoices render with a trimmed user-agent stylesheet (static/invoice/ua.css) for speed: the PDF must
    be the same, byte for byte, as with WeasyPrint's whole one. An element added to the invoice template
    that needs a rule of WeasyPrint's sheet fails here until ua.css has that rule."""
    from weasyprint import HTML

    eur = BillingProfileFactory(po_number="PO-7", invoice_language="nl", account=BillingAccountFactory(
        country="NL", tax_id="NL123456789B01"))
    credit_lot_add(actor=None, profile=eur, source="promotional", amount=Decimal("25.00"), start_date=date(2026, 10, 1),
                   expiration_date=date(2027, 1, 31))
    buy(eur, *[("3", "12.50", True)] * 30)  # two pages: the lines table breaks and repeats its header
    usd = BillingProfileFactory(account=BillingAccountFactory(country="US", tax_rate=0))
    buy(usd, ("1", "10", True))
    void = BillingProfileFactory()
    buy(void, ("2", "99.99", False))
    billing_run(day=NOV1)
    invoice_void(actor=None, invoice=Invoice.objects.get(profile=void), reason="Wrong quantity")
    invoices = list(Invoice.objects.order_by("pk"))
    assert len(invoices) == 3 and invoices[2].status == Invoice.Status.VOID
    for invoice in invoices:
        html = invoice_html(invoice)
        xml = invoice_einvoice_xml(invoice) if invoice.status != Invoice.Status.VOID else None
        same = render_pdf_bytes(html, einvoice_xml=xml) == render_pdf_bytes(html, einvoice_xml=xml, html_class=HTML)
        assert same, f"{invoice.number}: the PDF differs from the one WeasyPrint's user-agent stylesheet gives"
    assert len(PdfReader(io.BytesIO(render_pdf_bytes(invoice_html(invoices[0])))).pages) >= 2


def test_run_billing_command_prints_a_summary_and_refuses_a_bad_date(capsys):
    profile = BillingProfileFactory()
    buy(profile, ("1", "10", True))
    call_command("run_billing", "--date", "2026-11-01", "--dry-run")
    assert Invoice.objects.count() == 0
    call_command("run_billing", "--date", "2026-11-01")
    out = capsys.readouterr()
    assert "1 invoices made, 1 e-mails sent, 0 skipped, 0 failed" in out.out
    assert "1/1 profiles" in out.err
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_billing", "--date", "01-11-2026")
