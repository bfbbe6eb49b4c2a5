"""The purchase page's "bill to" choice for a user who may buy on a few or on thousands of billing profiles:
a select while there are at most 50, a search by name beyond (at most 25 listed), the target a profile's
"Buy" link names shown as fixed text, and every target sent looked up alone, with the purchase permission."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import grant
from invoicing.models import Charge
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory
from purchases.models import Purchase
from purchases.services.purchases import purchase_key_issue
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
PAGE = reverse("purchases:purchase")


@pytest.fixture
def licence():
    return priced(ProductFactory(name="Visio Plan 2", sku="VISIO-2", unit_name="user"), EUR="15.00")


@pytest.fixture
def buyer():
    """buyer(n): an account owner whose account has ``n`` profiles, Team 000 … (all purchasable)."""
    def make(n):
        account = BillingAccountFactory(name="Contoso B.V.")
        profiles = [BillingProfileFactory(account=account, name=f"Team {i:03d}") for i in range(n)]
        user = UserFactory()
        grant(user, Role.ACCOUNT_OWNER, account)
        return user, profiles
    return make


def queries(client, url, data=None, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {}, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def listed(page: str) -> list[str]:
    """The targets the page offers: options of the select, or links of the search results."""
    return (re.findall(r'<option value="((?:profile|account)-\d+)"', page)
            + re.findall(r"\?target=((?:profile|account)-\d+)", page))


def test_the_page_costs_the_same_queries_for_3_purchasable_profiles_as_for_60_and_does_not_grow(client, buyer,
                                                                                                licence):
    counts, pages = {}, {}
    warm_user, _profiles = buyer(1)
    client.force_login(warm_user)
    client.get(PAGE)  # the first request of a process reads what Django caches (content types ...)
    for name, n in (("few", 3), ("many", 60), ("more", 120)):
        user, profiles = buyer(n)
        client.force_login(user)
        counts[name], pages[name] = queries(client, PAGE)
        counts[name + " fixed"], _page = queries(client, PAGE, {"target": f"profile-{profiles[-1].pk}"})
        counts[name + " quote"], _page = queries(client, PAGE, {"target": f"profile-{profiles[-1].pk}",
                                                                "product": licence.pk, "quantity": "2"})
        counts[name + " search"], _page = queries(client, PAGE, {"q": "Team 00"})
    # For a target given (a profile's Buy link, or chosen), and with the price shown, 3 and 60 cost the same.
    assert counts["few fixed"] == counts["many fixed"] == counts["more fixed"], counts
    assert counts["few quote"] == counts["many quote"] == counts["more quote"], counts
    assert counts["many fixed"] < counts["few"]  # one lookup of that target, no list of targets
    # Choosing the target: a select of 3, or a search among 60 or 120, which asks the target first and so
    # reads no product list yet: fewer queries than the select's page, whatever the number of profiles.
    assert counts["many"] == counts["more"] < counts["few"], counts
    assert counts["many search"] == counts["more search"] <= counts["few"], counts
    # Three profiles: a select of the three. Sixty: a search, listing 25 of them, whatever their number.
    assert len(listed(pages["few"].text)) == 3 and '<select name="target"' in pages["few"].text
    assert len(listed(pages["many"].text)) == 25 and '<select name="target"' not in pages["many"].text
    assert len(listed(pages["more"].text)) == 25
    assert abs(len(pages["more"].content) - len(pages["many"].content)) < 100  # ids of more digits, no more rows


def test_a_target_given_by_the_profiles_buy_link_is_shown_as_text_with_a_button_to_change_it(client, buyer, licence):
    user, profiles = buyer(60)
    profile = profiles[42]
    client.force_login(user)
    # The "Buy on this profile" link of the profile's subscriptions tab.
    page = client.get(reverse("purchases:profile-purchase", args=[profile.pk]), follow=True).text
    fixed = re.search(r'<dl class="details" id="target-fixed">.*?</dl>', page, re.S).group(0)
    assert "Team 042" in fixed and "Contoso B.V. · EUR" in fixed and ">Change<" in fixed
    assert f'<input type="hidden" name="target" value="profile-{profile.pk}">' in page
    assert '<select name="target"' not in page and "Team 041" not in page  # no list of the other targets
    assert "Choose a product." not in page  # nothing was submitted yet: no error
    assert 'id="id_product"' in page and 'id="id_quantity"' in page

    quote = client.get(PAGE, {"product": licence.pk, "quantity": "3", "target": f"profile-{profile.pk}"}).text
    assert "€45.00" in quote and "Buy now" in quote and "Team 042" in quote
    # "Change" submits the form it is in: the quantity as typed since the quote (7, not 3) goes along.
    fixed = re.search(r'<dl class="details" id="target-fixed">.*?</dl>', quote, re.S).group(0)
    assert '<button type="submit" name="change" value="1" class="link">Change' in fixed
    chooser = client.get(PAGE, {"product": licence.pk, "quantity": "7", "target": f"profile-{profile.pk}",
                                "change": "1"}).text
    assert 'id="target-q"' in chooser and "Buy now" not in chooser and "Choose a billing profile." not in chooser
    # The product and quantity chosen so far go along with the search and with every target listed.
    assert f'<input type="hidden" name="product" value="{licence.pk}">' in chooser
    assert f"?target=profile-{profiles[0].pk}&amp;product={licence.pk}&amp;quantity=7" in chooser


def test_the_search_finds_a_profile_beyond_the_first_25_and_never_one_the_user_may_not_buy_on(client, buyer):
    user, profiles = buyer(60)
    late = profiles[57]
    elsewhere = BillingProfileFactory(name="Team 057 abroad")  # another account: not the user's
    only_read = BillingProfileFactory(name="Team 057 read-only")
    grant(user, Role.READER, only_read)
    disabled = profiles[56]
    BillingProfile.objects.filter(pk=disabled.pk).update(status="disabled")
    client.force_login(user)

    first = client.get(PAGE).text
    assert f"profile-{late.pk}" not in listed(first) and len(listed(first)) == 25

    found = client.get(PAGE, {"q": "team 05"}).text
    assert f"profile-{late.pk}" in listed(found) and "9 matches." in found  # 050 … 059 less the disabled 056
    assert f"profile-{elsewhere.pk}" not in listed(found) and f"profile-{only_read.pk}" not in listed(found)
    assert f"profile-{disabled.pk}" not in listed(found)

    none = client.get(PAGE, {"q": "abroad"}).text
    assert listed(none) == [] and "No billing profile you may buy on matches “abroad”." in none

    # With htmx the search swaps only the results.
    fragment = client.get(PAGE, {"q": "Team 057"}, **HX).text
    assert fragment.lstrip().startswith('<div id="target-results"') and "<html" not in fragment
    assert listed(fragment) == [f"profile-{late.pk}"]

    # At most 25 results, saying there are more.
    broad = client.get(PAGE, {"q": "Team"}).text
    assert len(listed(broad)) == 25 and "The first 25 matches" in broad


@pytest.mark.parametrize("value", ["elsewhere", "read-only", "profile-abc", "profile-²", "account-999999999", "x"])
def test_a_target_the_user_may_not_buy_on_is_refused_next_to_the_field(client, buyer, licence, value):
    user, profiles = buyer(3)
    elsewhere = BillingProfileFactory(name="Fabrikam Sales")
    only_read = BillingProfileFactory(name="Fabrikam Reads")
    grant(user, Role.READER, only_read)
    value = {"elsewhere": f"profile-{elsewhere.pk}", "read-only": f"profile-{only_read.pk}"}.get(value, value)
    client.force_login(user)
    page = client.get(PAGE, {"product": licence.pk, "quantity": "1", "target": value}).text
    assert "You may not buy on this billing profile: choose another one." in page
    assert 'aria-describedby="id_target_error"' in page and 'id="id_target_error"' in page
    assert "Buy now" not in page and "Fabrikam" not in page


def test_posting_a_target_of_another_account_is_refused_with_a_message_and_buys_nothing(client, buyer, licence):
    user, profiles = buyer(60)
    elsewhere = BillingProfileFactory(name="Fabrikam Sales")
    client.force_login(user)
    data = {"product": licence.pk, "quantity": "2", "purchase_key": purchase_key_issue(user=user),
            "target": f"profile-{elsewhere.pk}"}
    for headers in ({}, HX):
        response = client.post(PAGE, data, **headers)
        assert response.status_code == 200
        assert "You may not buy on this billing profile: choose another one." in response.text
        assert 'id="target-q-error"' in response.text and "Fabrikam" not in response.text
    # The profile's own purchase URL does not exist for this user.
    assert client.post(reverse("purchases:profile-purchase", args=[elsewhere.pk]), data).status_code == 404
    assert Purchase.objects.count() == 0 and Charge.objects.count() == 0

    # The same post with one of the user's own profiles buys there.
    own = dict(data, target=f"profile-{profiles[59].pk}")
    response = client.post(PAGE, own)
    assert response.status_code == 302
    assert response.url == reverse("purchases:profile-subscriptions", args=[profiles[59].pk])
    assert Purchase.objects.get().profile == profiles[59]


def test_changing_the_profile_with_hostile_product_and_quantity_shows_the_chooser_escaped_and_buys_nothing(
        client, buyer, licence):
    user, profiles = buyer(60)
    client.force_login(user)
    hostile = '"><script>alert(1)</script>' + "9" * 60
    page = client.get(PAGE, {"product": hostile, "quantity": "-2'\"<b>", "target": f"profile-{profiles[3].pk}",
                             "change": "1"})
    assert page.status_code == 200 and 'id="target-q"' in page.text  # the search to choose another profile
    assert "<script>alert(1)" not in page.text and "<b>" not in page.text
    # Carried along cut to 40 characters, as typed, for the form to judge once a profile is chosen.
    carried = '<input type="hidden" name="product" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
    assert carried + "9" * 13 + '">' in page.text
    assert not Purchase.objects.exists() and not Charge.objects.exists()
