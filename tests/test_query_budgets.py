"""List and tab pages run a fixed number of queries whatever the number of profiles or grants."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from conftest import grant
from invoicing.services.credits import credit_lot_add
from profiles.models import (
    BillingProfile,
    BillingProfileUserObjectPermission,
    Role,
    RoleAssignment,
)
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

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


def test_overview_and_credit_tabs_query_counts_do_not_grow(client, django_assert_max_num_queries):
    user = UserFactory()
    profile = many_profiles_for(user, 1)[0]
    client.force_login(user)
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="10", start_date=date(2026, 1, 1),
                   expiration_date=date(2030, 1, 1))
    for name in ("profiles:profile-overview", "invoicing:profile-credits", "invoicing:profile-invoices",
                 "profiles:profile-payment-methods"):
        count_queries(client, reverse(name, args=[profile.pk]), django_assert_max_num_queries, 14)
