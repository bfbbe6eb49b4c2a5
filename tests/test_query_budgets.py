"""List and tab pages run a fixed number of queries whatever the number of profiles or grants."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Permission
from django.urls import reverse

from conftest import grant
from invoicing.tests.factories import CreditLotFactory, InvoiceFactory
from profiles.models import (
    BillingProfile,
    BillingProfileUserObjectPermission,
    InvoiceRecipient,
    Role,
    RoleAssignment,
)
from profiles.tests.factories import (
    BillingAccountFactory,
    BillingProfileFactory,
    CardFactory,
    UserFactory,
    WireTransferFactory,
)

pytestmark = pytest.mark.django_db


def many_profiles_for(user, n):
    account = BillingAccountFactory()
    profiles = BillingProfile.objects.bulk_create([
        BillingProfile(account=account, name=f"Dept {i:04d}", currency="EUR", bill_to_address="x", contact_name="y",
                       contact_email="y@example.com") for i in range(n)])
    view = Permission.objects.get(codename="view_billingprofile")
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, profile=p, role=Role.READER) for p in profiles])
    BillingProfileUserObjectPermission.objects.bulk_create([
        BillingProfileUserObjectPermission(user=user, permission=view, content_object=p) for p in profiles])
    return profiles


def count_queries(client, url, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_profile_list_query_count_is_fixed_from_1_to_1000_profiles(client, django_assert_max_num_queries):
    user = UserFactory()
    client.force_login(user)
    many_profiles_for(user, 1)
    small, _ = count_queries(client, reverse("profiles:profile-list"), django_assert_max_num_queries, 12)
    many_profiles_for(user, 999)
    large, page = count_queries(client, reverse("profiles:profile-list"), django_assert_max_num_queries, 12)
    assert large == small
    assert "Page 1 of 40" in page.text


def test_permissions_tab_query_count_is_fixed_with_1000_grants(client, django_assert_max_num_queries):
    profile = BillingProfileFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    client.force_login(owner)
    url = reverse("profiles:profile-permissions", args=[profile.pk])
    small, _ = count_queries(client, url, django_assert_max_num_queries, 16)
    users = [UserFactory.build(email=f"member{i}@example.com") for i in range(1000)]
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.bulk_create(users)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, profile=profile, role=Role.READER, granted_by=owner)
                                        for u in users])
    large, page = count_queries(client, url, django_assert_max_num_queries, 16)
    assert large == small
    assert page.text.count("member") >= 1000


def _grow(profile, start: int, stop: int) -> None:
    """Items ``start`` to ``stop`` of everything the tabs list: invoices, credit lots (with ledger rows),
    payment methods, extra recipients."""
    for i in range(start, stop):
        month = date(2025, 1, 1) + relativedelta(months=i)
        InvoiceFactory(profile=profile, period_start=month, period_end=month + relativedelta(months=1, days=-1),
                       issue_date=month + relativedelta(months=1))
        CreditLotFactory(profile=profile, amount=str(10 + i), expiration_date=date(2030, 1, 1) + timedelta(days=i))
        WireTransferFactory(profile=profile) if i == 0 else CardFactory(profile=profile, card_last4=f"{i:04d}")
        InvoiceRecipient.objects.create(profile=profile, email=f"ap{i}@example.com")


# The Overview and the Invoices tab also show the next-invoice preview (its charges, whether the period is
# already invoiced, the usable lots) and the Overview the spend chart (one query for 12 months).
BUDGET = {"profiles:profile-overview": 18, "invoicing:profile-invoices": 18}


@pytest.mark.parametrize("name", ["profiles:profile-overview", "invoicing:profile-credits",
                                  "invoicing:profile-credit-balance", "invoicing:profile-invoices",
                                  "profiles:profile-payment-methods"])
def test_tab_query_counts_are_the_same_with_1_and_with_25_of_everything(client, django_assert_max_num_queries,
                                                                        name):
    user = UserFactory()
    profile = many_profiles_for(user, 1)[0]
    client.force_login(user)
    url = reverse(name, args=[profile.pk])
    _grow(profile, 0, 1)
    client.get(url)  # warm the per-process caches (content types) so both sizes are counted alike
    small, _ = count_queries(client, url, django_assert_max_num_queries, BUDGET.get(name, 14))
    _grow(profile, 1, 25)
    large, _ = count_queries(client, url, django_assert_max_num_queries, BUDGET.get(name, 14))
    assert large == small
