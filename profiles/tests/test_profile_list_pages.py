"""The profile list's pages: the total and the rows of the page asked for, the last page for a number
past the end, the first for one that is not a number."""

import pytest
from django.urls import reverse

from billing_admin.core.permissions import Action
from profiles.models import BillingProfile
from profiles.permissions import profiles_with_action
from profiles.selectors import _page_of_ids
from profiles.tests.factories import UserFactory
from tests.test_query_budgets import many_profiles_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("asked", "shown", "first_row", "rows"), [
    ("1", "Page 1 of 3", "Dept 0000", 25), ("3", "Page 3 of 3", "Dept 0050", 10),
    ("99", "Page 3 of 3", "Dept 0050", 10), ("x", "Page 1 of 3", "Dept 0000", 25)])
def test_the_list_shows_the_page_asked_for_with_the_total(client, asked, shown, first_row, rows):
    user = UserFactory()
    many_profiles_for(user, 60)
    client.force_login(user)
    page = client.get(reverse("profiles:profile-list") + f"?page={asked}").text
    assert shown in page
    assert first_row in page
    assert page.count("Dept 00") == rows


def test_the_pages_links_keep_the_search_and_lead_to_the_next_and_previous_page(client):
    """One pager (templates/_pager.html) for every paged list: its links keep the search and filter."""
    user = UserFactory()
    many_profiles_for(user, 60)
    client.force_login(user)
    url = reverse("profiles:profile-list")
    first = client.get(url + "?q=Dept&page=1").text
    assert 'href="?q=Dept&amp;page=2">Next</a>' in first and ">Previous</a>" not in first
    middle = client.get(url + "?q=Dept&page=2").text
    assert 'href="?q=Dept&amp;page=1">Previous</a>' in middle and 'href="?q=Dept&amp;page=3">Next</a>' in middle
    assert '<span aria-current="page">Page 2 of 3</span>' in middle
    last = client.get(url + "?q=Dept&page=3").text
    assert "Dept 0050" in last and ">Next</a>" not in last


@pytest.mark.parametrize("asked", ["1", "2", "3", "4", "99", "x", None])
def test_counting_apart_gives_the_pages_and_total_the_window_gives(asked):
    """The account page counts with a scalar subquery (its page then comes from the (account, name, id) index),
    the list with ``COUNT(*) OVER ()``: the same ids, page number and total, past the end and for a viewer who
    sees only some of the account's profiles."""
    user = UserFactory()
    profiles = many_profiles_for(user, 60)
    BillingProfile.objects.bulk_create([BillingProfile(account=profiles[0].account, name=f"Hidden {i}", currency="EUR",
                                                       bill_to_address="x", contact_name="y",
                                                       contact_email="y@example.com") for i in range(7)])
    visible = profiles_with_action(user, Action.VIEW, BillingProfile.objects.filter(account=profiles[0].account))
    ordered = visible.order_by("name", "pk")
    window = _page_of_ids(ordered, asked, per_page=25)
    apart = _page_of_ids(ordered, asked, per_page=25, count_apart=True)
    assert list(apart.object_list) == list(window.object_list) and apart.object_list
    assert (apart.number, apart.paginator.count, apart.paginator.num_pages) == (
        window.number, window.paginator.count, window.paginator.num_pages)
    assert apart.paginator.count == 60
