"""Spend over time on the Overview: a server-rendered SVG of the last 12 invoiced months and the estimate."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.models import Invoice
from invoicing.selectors import spend_by_month
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import billing_period, invoice_generate, invoice_void
from profiles.models import Role
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
def profile(monkeypatch):
    monkeypatch.setattr("billing_admin.core.dates.billing_today", lambda: TODAY)
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
    assert "Uitgaven in de tijd" in text
    rects = re.findall(r'<rect class="bar" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', text)
    assert len(rects) == 13
    assert all(re.fullmatch(r"\d+(\.\d)?", value) for rect in rects for value in rect)  # "15,2" is no SVG length
