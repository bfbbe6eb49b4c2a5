"""Every tab of the profile page: a direct load is the whole page with that tab selected, an htmx
click gets only the tab panel, and the invoices and payment-method tabs cost the same number of
queries with one row or many."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from conftest import grant
from invoicing.services.credits import credit_lot_add
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, CardFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.django_db

TABS = [("profiles:profile-overview", "Overview"), ("profiles:profile-permissions", "Permissions"),
        ("invoicing:profile-credit-balance", "Azure credit balance"), ("invoicing:profile-credits", "Azure credits"),
        ("invoicing:profile-invoices", "Invoices"), ("profiles:profile-payment-methods", "Payment methods")]


@pytest.fixture
def reader(client):
    profile = BillingProfileFactory(name="Finance EMEA")
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="10", start_date=date(2026, 1, 1),
                   expiration_date=date(2099, 1, 1))
    user = UserFactory()
    grant(user, Role.READER, profile)
    client.force_login(user)
    return profile


@pytest.mark.parametrize(("name", "label"), TABS)
def test_each_tab_is_a_whole_page_on_direct_load_and_a_panel_on_an_htmx_click(client, reader, htmx_headers,
                                                                              name, label):
    url = reverse(name, args=[reader.pk])
    full = client.get(url)
    assert full.status_code == 200 and full.text.lstrip().startswith("<!doctype html>")
    assert "<h1>Finance EMEA</h1>" in full.text and "Need help? Contact support" in full.text
    selected = f'aria-selected="true" aria-current="page" aria-controls="tab-panel" hx-get="{url}"'
    assert selected in full.text and full.text.count('aria-selected="true"') == 1
    panel = client.get(url, **htmx_headers)
    assert panel.status_code == 200 and "<html" not in panel.text and "<h1>" not in panel.text
    assert 'role="tabpanel"' in panel.text and selected in panel.text
    assert f">{label}</a>" in panel.text


def _invoice(profile, month: date):
    return InvoiceFactory(profile=profile, period_start=month, issue_date=month + relativedelta(months=1),
                          period_end=month + relativedelta(months=1) - timedelta(days=1))


def _count(client, url, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(30) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_invoices_and_payment_methods_tabs_cost_the_same_with_one_row_or_many(
        client, settings, tmp_path, django_assert_max_num_queries):
    settings.MEDIA_ROOT = tmp_path
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)  # an owner sees every control, the most costly page
    client.force_login(owner)
    WireTransferFactory(profile=profile, is_default=True)
    _invoice(profile, date(2026, 1, 1))
    invoices = reverse("invoicing:profile-invoices", args=[profile.pk])
    methods = reverse("profiles:profile-payment-methods", args=[profile.pk])
    before = _count(client, invoices, django_assert_max_num_queries), \
        _count(client, methods, django_assert_max_num_queries)
    for month in range(2, 8):
        _invoice(profile, date(2026, month, 1))
    for _ in range(5):
        CardFactory(profile=profile)
    after = _count(client, invoices, django_assert_max_num_queries), \
        _count(client, methods, django_assert_max_num_queries)
    assert profile.invoices.count() == 7 and profile.payment_methods.count() == 6
    assert after == before
