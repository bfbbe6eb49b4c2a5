"""After adding cards and paying with them, no full card number or CVC is anywhere."""

import io
import logging
from datetime import date

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from billing_admin.core import activity
from conftest import grant
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import billing_run
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, UserFactory

NUMBERS = ["4242424242424242", "5555555555554444"]
CVCS = ["987", "876"]
IBAN = "NL91ABNA0417164300"


@pytest.mark.django_db
def test_no_card_number_cvc_or_iban_in_rows_logs_mails_or_pdfs(client, caplog, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    caplog.set_level(logging.DEBUG)
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    for number, cvc in zip(NUMBERS, CVCS, strict=True):
        response = client.post(reverse("profiles:payment-method-add", args=[profile.pk, "card"]),
                               {"number": number, "exp_month": "11", "exp_year": "2030", "cvc": cvc,
                                "holder": "Pat"})
        assert response.status_code == 302
    client.post(reverse("profiles:payment-method-add", args=[profile.pk, "bank_account"]),
                {"holder": "Pat", "iban": IBAN, "bic": ""})
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    billing_run(day=date(2026, 11, 1))  # the default card is charged, the invoice e-mailed
    invoice = Invoice.objects.get()
    assert invoice.status == "paid"

    secrets = NUMBERS + CVCS + [IBAN, "4242 4242 4242 4242"]
    dump = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            dump.append(" ".join(str(v) for v in row.values()))
    database = "\n".join(dump)
    logs = caplog.text
    mails = "\n".join(m.message().as_string() for m in mail.outbox)
    invoice.pdf.open("rb")
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf.read())).pages)
    for secret in secrets:
        for where, text in (("database", database), ("logs", logs), ("e-mails", mails), ("PDF", pdf)):
            if secret in CVCS:
                assert f"cvc {secret}" not in text.lower() and f'"{secret}"' not in text, (secret, where)
            else:
                assert secret not in text, (secret, where)
    assert "4242" in pdf or "4242" in database  # the last four digits are what we keep



@pytest.mark.django_db
def test_an_error_after_tokenising_reports_no_card_number_cvc_or_iban(client, monkeypatch, settings):
    """A crash while saving (the database, the activity log) makes Django report the stack with its
    local variables (error e-mails, error trackers): the card number, CVC and IBAN are filtered out.
    (Not the default test IBAN: it is the seller's own, printed in every report's settings.)"""
    from django.views.debug import ExceptionReporter

    settings.DEBUG = False
    iban = " ".join(["DE89", "3704", "0044", "0532", "0130", "00"])  # not literally here: reports quote source
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(activity, "record", broken)
    posts = [("card", {"number": NUMBERS[0], "exp_month": "11", "exp_year": "2030", "cvc": CVCS[0],
                       "holder": "Pat"}),
             ("bank_account", {"holder": "Pat", "iban": iban, "bic": ""})]
    for kind, data in posts:
        with pytest.raises(RuntimeError) as failure:
            client.post(reverse("profiles:payment-method-add", args=[profile.pk, kind]), data)
        tb = failure.tb  # from where a server would start: the request handler, not the test client
        while "core/handlers/" not in tb.tb_frame.f_code.co_filename:
            tb = tb.tb_next
        reporter = ExceptionReporter(None, failure.type, failure.value, tb)
        report = reporter.get_traceback_text() + reporter.get_traceback_html()
        assert "the database went away" in report and "payment_method_add" in report
        for secret in (NUMBERS[0], iban, iban.replace(" ", ""), f"'{CVCS[0]}'", f"&#x27;{CVCS[0]}&#x27;"):
            assert secret not in report, (kind, secret)
