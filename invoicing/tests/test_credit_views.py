import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.models import CreditLot
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_adjust, credit_lot_add
from invoicing.services.invoices import invoice_generate
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader_with_credits(client):
    profile = BillingProfileFactory()
    today = date.today()
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="120.50", start_date=today,
                   expiration_date=today + timedelta(days=10), reference="=HYPERLINK(\"x\")")
    credit_lot_add(actor=None, profile=profile, source="prepayment", amount="1000", start_date=today,
                   expiration_date=today + timedelta(days=300))
    user = UserFactory()
    grant(user, Role.READER, profile)
    client.force_login(user)
    return profile


def test_credit_tabs_show_balance_lots_and_the_expiring_lot(client, reader_with_credits):
    profile = reader_with_credits
    balance = client.get(reverse("invoicing:profile-credit-balance", args=[profile.pk]))
    assert balance.status_code == 200
    assert "€1,120.50" in balance.text and "Credit added" in balance.text
    lots = client.get(reverse("invoicing:profile-credits", args=[profile.pk]))
    assert lots.text.count("Expires within 30 days") == 1 and "€120.50" in lots.text


def test_htmx_tab_click_gets_only_the_panel(client, reader_with_credits, htmx_headers):
    response = client.get(reverse("invoicing:profile-credits", args=[reader_with_credits.pk]), **htmx_headers)
    assert response.status_code == 200 and "<html" not in response.text and 'role="tabpanel"' in response.text


def test_profiles_without_credits_have_no_credit_tabs(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    overview = client.get(reverse("profiles:profile-overview", args=[profile.pk]))
    assert "Azure credit" not in overview.text
    for name in ("invoicing:profile-credit-balance", "invoicing:profile-credits", "invoicing:credit-transactions-csv"):
        assert client.get(reverse(name, args=[profile.pk])).status_code == 404


def test_strangers_get_404_on_credit_pages(client, reader_with_credits):
    client.force_login(UserFactory())
    assert client.get(reverse("invoicing:profile-credits", args=[reader_with_credits.pk])).status_code == 404


def test_csv_export_has_every_transaction_and_neutralises_formulas(client, reader_with_credits):
    response = client.get(reverse("invoicing:credit-transactions-csv", args=[reader_with_credits.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "date,kind,description,lot_reference,amount,balance_after,currency,invoice"
    assert len(lines) == 3
    assert "'=HYPERLINK" in response.content.decode()
    assert ",120.50,120.50,EUR," in lines[1] and ",1000.00,1120.50,EUR," in lines[2]


def test_balance_tab_query_count_does_not_grow_with_transactions(client, reader_with_credits,
                                                                  django_assert_max_num_queries):
    profile = reader_with_credits
    url = reverse("invoicing:profile-credit-balance", args=[profile.pk])
    with django_assert_max_num_queries(14):
        client.get(url)
    for _ in range(40):
        credit_lot_add(actor=None, profile=profile, source="goodwill", amount="1", start_date=date.today(),
                       expiration_date=date.today() + timedelta(days=5))
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.text.count("Credit added") == 42


def test_the_ledger_speaks_the_readers_language_whoever_wrote_the_row(client, reader_with_credits):
    """Rows written by the invoice run (in whatever language was active then) read in Dutch for a Dutch reader."""

    profile = reader_with_credits
    today = date.today()
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10", service_period_start=today - timedelta(days=30),
        service_period_end=today - timedelta(days=1))])
    invoice, _created = invoice_generate(profile_id=profile.pk, period_start=today - timedelta(days=30),
                               period_end=today - timedelta(days=1), issue_date=today)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    balance = client.get(reverse("invoicing:profile-credit-balance", args=[profile.pk]))
    assert f"Verrekend met factuur {invoice.number}" in balance.text
    assert "Applied to invoice" not in balance.text
    assert ">Tegoed toegevoegd<" in balance.text and ">Credit added<" not in balance.text  # the kind column
    csv = client.get(reverse("invoicing:credit-transactions-csv", args=[profile.pk])).content.decode()
    assert f"Verrekend met factuur {invoice.number}" in csv
    assert ",Tegoed toegevoegd," in csv and "Credit added" not in csv


def test_csv_export_keeps_negative_amounts_numeric_and_guards_text(client, reader_with_credits):
    """A spreadsheet must be able to add the amounts up: -180.53 is a number, not the text '-180.53;
    text that starts like a formula (a description, a reference) is still neutralised."""

    lot = CreditLot.objects.get(profile=reader_with_credits, source="prepayment")
    credit_adjust(actor=None, lot=lot, amount="-180.53", reason="-1+1 correction")
    response = client.get(reverse("invoicing:credit-transactions-csv", args=[reader_with_credits.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    adjustment = rows[-1]
    assert adjustment[4] == "-180.53" and adjustment[5] == "939.97"
    assert adjustment[2] == "'-1+1 correction"


def test_the_ledger_pages_by_50_newest_first_with_newer_and_older_links(client, reader_with_credits):
    profile = reader_with_credits
    for _ in range(50):  # 52 rows: 50 on the first page
        credit_lot_add(actor=None, profile=profile, source="goodwill", amount="1", start_date=date.today(),
                       expiration_date=date.today() + timedelta(days=5))
    url = reverse("invoicing:profile-credit-balance", args=[profile.pk])
    first = client.get(url).text
    assert first.count("Credit added") == 50
    assert 'href="?page=2">Older</a>' in first and ">Newer</a>" not in first
    second = client.get(url + "?page=2").text
    assert second.count("Credit added") == 2
    assert 'href="?page=1">Newer</a>' in second and ">Older</a>" not in second
