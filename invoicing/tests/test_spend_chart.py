"""Spend over time on the Overview: a server-rendered SVG of the last 12 invoiced months and the estimate."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from guardian.shortcuts import assign_perm

from conftest import grant
from invoicing.models import Invoice
from invoicing.selectors import spend_by_month
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import billing_period, invoice_generate, invoice_void
from invoicing.views.overview import account_spend_card
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)


def bill(profile, day, amount):
    start, end = billing_period(day)
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price=amount, service_period_start=start,
        service_period_end=end)])
    return invoice_generate(profile_id=profile.pk, period_start=start, period_end=end, issue_date=day)[0]


@pytest.fixture
def profile(billing_day):
    billing_day(TODAY)
    profile = BillingProfileFactory(account=BillingAccountFactory(country="NL", tax_rate=0), invoice_day=1)
    bill(profile, date(2025, 11, 1), "999")  # 13 months ago: outside the chart
    bill(profile, date(2026, 1, 1), "100")
    bill(profile, date(2026, 6, 1), "250.50")
    september = bill(profile, date(2026, 9, 1), "7000")
    bill(profile, date(2026, 11, 1), "400")
    invoice_void(actor=None, invoice=september, reason="wrong")  # void: not spend; its charge goes to the next
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="123.45", service_period_start=date(2026, 11, 1),
        service_period_end=date(2026, 11, 30))])  # the open period: the estimate
    return profile


def test_twelve_months_oldest_first_without_void_invoices(profile):
    months = spend_by_month(profile=profile, today=TODAY)
    assert [m for m, _ in months][0] == date(2025, 12, 1) and [m for m, _ in months][-1] == date(2026, 11, 1)
    values = dict(months)
    assert values[date(2026, 1, 1)] == 100 and values[date(2026, 6, 1)] == Decimal("250.50")
    assert values[date(2026, 9, 1)] == 0 and values[date(2026, 11, 1)] == 400
    assert Invoice.objects.filter(profile=profile, status="void").count() == 1


def test_the_overview_draws_the_chart_as_svg_with_a_table_and_no_inline_style(client, profile):
    reader = UserFactory()
    grant(reader, Role.READER, profile)
    client.force_login(reader)
    response = client.get(reverse("profiles:profile-overview", args=[profile.pk]))
    text = response.text
    svg = text[text.index("<svg class=\"chart\""):text.index("</svg>")]
    assert svg.count('<rect class="bar"') == 13  # 12 months + the estimate
    heights = [float(h) for h in re.findall(r'<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"',
                                            svg)]
    assert max(heights) == heights[-1] and heights[0] == 0  # the estimate (€7,123.45) is the tallest
    assert heights[-2] == pytest.approx(heights[-1] * 400 / 7123.45, abs=0.2)  # November, to scale
    assert '<g class="month estimate">' in svg
    assert "June 2026</th><td class=\"num\">€250.50" in text and "November 2026 (estimate)" not in text
    assert "December 2026 (estimate)</th><td class=\"num\">€7,123.45" in text
    assert " style=" not in text and "<script>" not in text
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_overview_query_count_does_not_grow_with_invoices(client, profile, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    url = reverse("profiles:profile-overview", args=[profile.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for day in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)):
        bill(profile, day, "10")
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


def test_the_chart_s_lengths_stay_numbers_in_dutch(client, profile):
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    client.cookies["django_language"] = "nl"
    text = client.get(reverse("profiles:profile-overview", args=[profile.pk]), HTTP_ACCEPT_LANGUAGE="nl").text
    assert "Verloop van de uitgaven" in text
    rects = re.findall(r'<rect class="bar" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', text)
    assert len(rects) == 13
    assert all(re.fullmatch(r"\d+(\.\d)?", value) for rect in rects for value in rect)  # "15,2" is no SVG length


# --- the billing account page: spend per profile, side by side ---------------------------------------------
@pytest.fixture
def account(billing_day):
    billing_day(TODAY)
    account = BillingAccountFactory(country="NL", tax_rate=0)
    web = BillingProfileFactory(account=account, name="Web shop", invoice_day=1)
    lab = BillingProfileFactory(account=account, name="Lab", invoice_day=1)
    bill(web, date(2026, 6, 1), "300")
    bill(web, date(2026, 11, 1), "120")
    bill(lab, date(2026, 11, 1), "600")
    bill(lab, date(2025, 11, 1), "5000")  # 13 months ago: outside the chart
    return account


def account_page(client, account, **headers):
    return client.get(reverse("profiles:account-overview", args=[account.pk]), **headers)


def bars(svg):
    return re.findall(r'<rect class="bar( s\d)?" x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="([\d.]+)"><title>'
                      r'([^<]*)</title>', svg)


def test_the_account_page_draws_each_profile_side_by_side_with_a_table(client, account):
    reader = UserFactory()
    grant(reader, Role.ACCOUNT_READER, account)
    client.force_login(reader)
    response = account_page(client, account)
    text = response.text
    card = text[text.index('id="account-spend"'):]
    svg = card[card.index('<svg class="chart"'):card.index("</svg>")]
    drawn = bars(svg)
    assert len(drawn) == 24  # 12 months × 2 profiles; profiles in name order: Lab (s0), then Web shop (s1)
    assert {css for css, *_ in drawn} == {" s0", " s1"}
    by_title = {title: float(height) for _css, _x, height, title in drawn}
    assert by_title["Lab, November 2026: €600.00"] == max(by_title.values())
    assert by_title["Web shop, November 2026: €120.00"] == pytest.approx(by_title["Lab, November 2026: €600.00"] / 5,
                                                                         abs=0.2)  # one scale
    assert by_title["Web shop, June 2026: €300.00"] > 0 and by_title["Lab, June 2026: €0.00"] == 0
    november = [(x, title) for _css, x, _h, title in drawn if "November 2026" in title]
    assert [t.split(",")[0] for _x, t in sorted(november, key=lambda b: float(b[0]))] == ["Lab", "Web shop"]
    assert '<text class="max" x="4" y="12">€600.00</text>' in svg  # the tallest bar, never a sum of profiles
    table = card[card.index("<table"):card.index("</table>")]
    assert '<th scope="col" class="num">Lab</th><th scope="col" class="num">Web shop</th>' in table
    assert ('<th scope="row">November 2026</th><td class="num">€600.00</td><td class="num">€120.00</td>'
            in table)
    assert "December 2025" in table and "November 2025" not in table
    assert " style=" not in text and "<script>" not in text
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_account_chart_shows_only_the_profiles_the_viewer_may_see(client, account):
    lab = account.profiles.get(name="Lab")
    viewer = UserFactory()  # may see the account and one of its profiles, not the other
    assign_perm("view_billingaccount", viewer, account)
    assign_perm("view_billingprofile", viewer, lab)
    client.force_login(viewer)
    text = account_page(client, account).text
    card = text[text.index('id="account-spend"'):]
    assert "Web shop" not in text and "€300.00" not in card and "€120.00" not in card
    assert len(bars(card[:card.index("</svg>")])) == 12 and "€600.00" in card


def test_two_currencies_on_one_account_are_two_charts_never_added_up(client, account):
    dollars = BillingProfileFactory(account=account, name="US branch", currency="USD", invoice_day=1)
    bill(dollars, date(2026, 11, 1), "1000")
    assert BillingProfile.objects.filter(account=account).count() == 3
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)
    text = account_page(client, account).text
    card = text[text.index('id="account-spend"'):text.index("</section>", text.index('id="account-spend"'))]
    assert card.count('<svg class="chart"') == 2
    eur, usd = card.split('id="account-spend-USD"')
    assert "in EUR" in eur and '<text class="max" x="4" y="12">€600.00</text>' in eur and "US branch" not in eur
    assert '<text class="max" x="4" y="12">$1,000.00</text>' in usd and "Lab" not in usd
    assert len(bars(usd)) == 12 and len(bars(eur)) == 24
    for total in ("€1,600.00", "€1,720.00", "$1,600.00", "1,720.00", "1,600.00"):  # no sum across currencies
        assert total not in card


def test_the_account_page_s_queries_do_not_grow_with_profiles_or_invoices(client, account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert account_page(client, account).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(4):
        extra = BillingProfileFactory(account=account, name=f"Team {n}", invoice_day=1)
        bill(extra, date(2026, 3 + n, 1), "10")
        bill(extra, date(2026, 9, 1), "20")
    text = account_page(client, account).text
    assert len(bars(text[text.index('id="account-spend"'):])) == 12 * 6
    assert count() == before


def test_the_account_chart_in_dutch(client, account):
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)
    client.cookies["django_language"] = "nl"
    text = account_page(client, account, HTTP_ACCEPT_LANGUAGE="nl").text
    assert "Uitgaven per factureringsprofiel" in text
    rects = re.findall(r'<rect class="bar s\d" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', text)
    assert len(rects) == 24 and all(re.fullmatch(r"\d+(\.\d)?", v) for rect in rects for v in rect)


# --- many profiles: the 7 that spent most and the others' sum -----------------------------------------------
def chart_card(text):
    start = text.index('id="account-spend"')
    return text[start:text.index("</section>", start)]


def series_headers(card):
    table = card[card.index("<table"):card.index("</table>")]
    return re.findall(r'<th scope="col" class="num">([^<]*)</th>', table)


def with_eight_more(account):
    """Ten profiles: Web shop (€420 in 12 months), Lab (€600) and P1 … P8, which spent €100 … €800 in October."""
    for i in range(1, 9):
        bill(BillingProfileFactory(account=account, name=f"P{i}", invoice_day=1), date(2026, 10, 1), f"{100 * i}")
    return account


def test_ten_profiles_are_the_seven_that_spent_most_and_one_series_of_the_other_three(client, account):
    with_eight_more(account)
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)
    card = chart_card(account_page(client, account).text)
    # Most spent first; Lab and P6 spent as much (€600): name order.
    assert series_headers(card) == ["P8", "P7", "Lab", "P6", "P5", "Web shop", "P4", "Other profiles (3)"]
    assert len(bars(card)) == 12 * 8 and {css for css, *_ in bars(card)} == {f" s{i}" for i in range(8)}
    october = re.search(r'<th scope="row">October 2026</th>((?:<td class="num">[^<]*</td>)+)', card).group(1)
    assert re.findall(r">([^<]*)</td>", october) == [
        "€800.00", "€700.00", "€0.00", "€600.00", "€500.00", "€0.00", "€400.00", "€600.00"]  # P3 + P2 + P1
    by_title = {title: float(height) for _css, _x, height, title in bars(card)}
    assert by_title["Other profiles (3), October 2026: €600.00"] == by_title["P6, October 2026: €600.00"]
    assert ">P1<" not in card and "P2," not in card and "P3," not in card  # inside the others only


def test_five_profiles_are_still_five_series_in_name_order(client, account):
    for name, amount in (("Zeta", "50"), ("Alpha", "900"), ("Mid", "10")):
        bill(BillingProfileFactory(account=account, name=name, invoice_day=1), date(2026, 10, 1), amount)
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)
    card = chart_card(account_page(client, account).text)
    assert series_headers(card) == ["Alpha", "Lab", "Mid", "Web shop", "Zeta"]
    assert len(bars(card)) == 12 * 5 and "Other profiles" not in card


def test_the_others_are_only_those_the_viewer_may_see(client, account):
    with_eight_more(account)
    viewer = UserFactory()  # sees the account and 9 of its 10 profiles: not P1
    assign_perm("view_billingaccount", viewer, account)
    for profile in account.profiles.exclude(name="P1"):
        grant(viewer, Role.READER, profile)
    client.force_login(viewer)
    card = chart_card(account_page(client, account).text)
    assert series_headers(card)[-1] == "Other profiles (2)"
    assert '<th scope="row">October 2026</th>' in card
    october = re.search(r'<th scope="row">October 2026</th>((?:<td class="num">[^<]*</td>)+)', card).group(1)
    assert re.findall(r">([^<]*)</td>", october)[-1] == "€500.00"  # P3 + P2, never P1's €100


def first_page(account):
    return Paginator(list(BillingProfile.objects.filter(account=account).order_by("name", "pk")), 25).page(1)


def test_the_chart_takes_two_queries_whatever_the_number_of_profiles(account, django_assert_num_queries):
    page = first_page(account)
    with django_assert_num_queries(2):
        small = account_spend_card(account, page)
    with_eight_more(account)
    page = first_page(account)
    with django_assert_num_queries(2):
        large = account_spend_card(account, page)
    assert len(small["charts"][0]["series"]) == 2 and len(large["charts"][0]["series"]) == 8


def test_with_more_profiles_than_a_page_the_chart_shows_the_page_of_the_table_and_says_so(client, account):
    """A large account's chart follows the profile table's pages (its thousands of profiles' months are not
    summed again on every view); the totals still cover every profile."""
    for i in range(1, 29):  # 30 profiles: Lab, P01 … P28, Web shop
        bill(BillingProfileFactory(account=account, name=f"P{i:02d}", invoice_day=1), date(2026, 10, 1), "10")
    owner = UserFactory()
    grant(owner, Role.ACCOUNT_OWNER, account)
    client.force_login(owner)
    card = chart_card(account_page(client, account).text)
    assert "The billing profiles 1–25 of 30, as on this page of the table below." in card
    # Page 1 holds Lab and P01 … P24: Lab spent most, then the €10 ones in name order, 18 others summed.
    assert series_headers(card) == ["Lab", "P01", "P02", "P03", "P04", "P05", "P06", "Other profiles (18)"]
    card2 = chart_card(client.get(reverse("profiles:account-overview", args=[account.pk]) + "?page=2").text)
    assert "The billing profiles 26–30 of 30" in card2
    assert series_headers(card2) == ["P25", "P26", "P27", "P28", "Web shop"]
