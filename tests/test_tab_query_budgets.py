"""Every tab of the profile page runs at most 8 queries, the same number for a profile with one of
everything as for one with many lots, ledger rows, invoices, grants and payment methods (the page
shows one page of each long list). Sessions, the user, the permissions and the profile cost one
query each."""

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.urls import reverse

from conftest import grant
from invoicing.services.credits import credit_lot_add
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role, RoleAssignment
from profiles.services.payment_methods import payment_method_add_card
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

BUDGET = 8
TABS = ["profiles:profile-overview", "profiles:profile-permissions", "invoicing:profile-credit-balance",
        "invoicing:profile-credits", "invoicing:profile-invoices", "profiles:profile-payment-methods"]


def add_data(profile, owner, *, start: int, n: int) -> None:
    """n more credit lots (each with its ledger row), invoices, grants and payment methods."""
    for i in range(start, start + n):
        credit_lot_add(actor=None, profile=profile, source="promotional", amount=str(10 + i),
                       start_date=date(2026, 1, 1), expiration_date=date(2030, 1, 1), reference=f"LOT-{i}")
        period_start = date(2020, 1, 1) + relativedelta(months=i)
        InvoiceFactory(profile=profile, period_start=period_start,
                       period_end=period_start + relativedelta(months=1, days=-1),
                       issue_date=period_start + relativedelta(months=1))
        payment_method_add_card(actor=None, profile=profile, number="4242424242424242", exp_month=1 + i % 12,
                                exp_year=2031 + i // 12, cvc="123", holder=f"Holder {i}")  # one card per expiry
    users = get_user_model().objects.bulk_create([UserFactory.build(email=f"member{start + i}@example.com")
                                                  for i in range(n)])
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, profile=profile, role=Role.READER, granted_by=owner)
                                        for u in users])


def queries_per_tab(client, profile) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name in TABS:
        url = reverse(name, args=[profile.pk])
        for label, headers in (("page", {}), ("htmx", {"HTTP_HX_REQUEST": "true"})):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, **headers)
            assert response.status_code == 200, url
            counts[f"{name} ({label})"] = len(ctx.captured_queries)
    return counts


def test_every_tab_runs_at_most_8_queries_and_the_same_number_with_many_rows(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    add_data(profile, owner, start=0, n=1)
    client.get(reverse("profiles:profile-list"))  # the first request after sign-in also touches the session
    small = queries_per_tab(client, profile)
    add_data(profile, owner, start=1, n=59)
    large = queries_per_tab(client, profile)
    assert large == small
    assert max(small.values()) <= BUDGET, small


def test_credit_tabs_show_one_page_of_lots_and_ledger_rows_with_a_link_to_the_next(client):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    for i in range(60):
        credit_lot_add(actor=None, profile=profile, source="promotional", amount=str(10 + i),
                       start_date=date(2026, 1, 1), expiration_date=date(2030, 1, 1), reference=f"LOT-{i:02d}")
    credits = client.get(reverse("invoicing:profile-credits", args=[profile.pk]))
    assert credits.text.count("LOT-") == 50
    assert "?page=2" in credits.text
    second = client.get(reverse("invoicing:profile-credits", args=[profile.pk]) + "?page=2")
    assert second.text.count("LOT-") == 10
    ledger = client.get(reverse("invoicing:profile-credit-balance", args=[profile.pk]))
    assert "?page=2" in ledger.text
