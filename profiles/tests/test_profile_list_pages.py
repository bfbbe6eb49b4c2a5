"""The profile list's pages: the total and the rows of the page asked for, the last page for a number
past the end, the first for one that is not a number."""

import pytest
from django.urls import reverse

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
