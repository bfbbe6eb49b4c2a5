"""The billing account page: details, profiles with their latest invoice and amount due, everything due, account
roles and invitations. Who sees what, plain and HTMX; 404 for anyone without an account role."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from billing_admin.core.models import ActivityEvent
from conftest import grant
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_void
from invoicing.tests.factories import InvoiceFactory
from profiles.models import BillingProfile, Invitation, Role, RoleAssignment
from profiles.services.invitations import role_grant_or_invite
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT_ROLES = {"account_owner", "account_contributor", "account_reader"}
EXPECTED = {
    "view": ACCOUNT_ROLES,
    "edit": {"account_owner", "account_contributor"},
    "grant": {"account_owner"}, "invite": {"account_owner"}, "change": {"account_owner"},
    "remove": {"account_owner"}, "resend": {"account_owner"}, "revoke": {"account_owner"},
}
WHO = sorted(ACCOUNT_ROLES) + ["owner", "contributor", "reader", "invoice_manager", "nobody", "other_account_owner"]


@pytest.fixture
def world(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    account = BillingAccountFactory(name="Contoso Nederland B.V.", tax_id="NL123456789B01")
    marketing = BillingProfileFactory(account=account, name="Marketing")
    sales = BillingProfileFactory(account=account, name="Sales")
    keeper = UserFactory(email="keeper@example.com")
    grant(keeper, Role.ACCOUNT_OWNER, account)
    victim = UserFactory(email="victim@example.com")
    victim_grant = grant(victim, Role.ACCOUNT_READER, account)
    UserFactory(email="target@example.com")
    october = InvoiceFactory(profile=marketing, unit_price="100")
    november = InvoiceFactory(profile=marketing, unit_price="10", period_start=date(2026, 11, 1),
                              period_end=date(2026, 11, 30), issue_date=date(2026, 12, 1))
    Invoice.objects.filter(pk=october.pk).update(status=Invoice.Status.PAST_DUE)
    paid = InvoiceFactory(profile=sales, unit_price="50")
    Invoice.objects.filter(pk=paid.pk).update(status=Invoice.Status.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = role_grant_or_invite(actor=None, email="invited@example.com", role=Role.ACCOUNT_READER,
                                          account=account)
    other = BillingProfileFactory(name="Elsewhere")
    return dict(account=account, marketing=marketing, sales=sales, october=october, november=november, paid=paid,
                victim_grant=victim_grant, invitation=invitation, other=other)


def acting_user(who, w):
    user = UserFactory()
    if who in ACCOUNT_ROLES:
        grant(user, who, w["account"])
    elif who == "other_account_owner":
        grant(user, Role.ACCOUNT_OWNER, w["other"].account)
    elif who != "nobody":
        grant(user, who, w["marketing"])
    return user


def state(w):
    a = w["account"]
    a.refresh_from_db()
    return (a.sold_to_address, a.tax_id, a.payment_terms_days, str(a.country),
            sorted(RoleAssignment.objects.filter(account=a).values_list("user__email", "role")),
            sorted(Invitation.objects.filter(account=a).values_list("email", "status", "nonce")))


def request_for(action, w, client, headers):
    pk = w["account"].pk
    r = reverse
    if action == "view":
        return client.get(r("profiles:account-overview", args=[pk]), **headers)
    url, data = {
        "edit": (r("profiles:account-edit", args=[pk]), {"sold_to_address": "Dam 1\nAmsterdam", "country": "NL",
                                                          "tax_id": "NL999", "payment_terms_days": "14"}),
        "grant": (r("profiles:account-role-grant", args=[pk]), {"email": "target@example.com",
                                                                 "role": "account_reader"}),
        "invite": (r("profiles:account-role-grant", args=[pk]), {"email": "brand-new@example.com",
                                                                  "role": "account_reader"}),
        "change": (r("profiles:account-role-change", args=[pk, w["victim_grant"].pk]),
                   {"role": "account_contributor"}),
        "remove": (r("profiles:account-role-remove", args=[pk, w["victim_grant"].pk]), {}),
        "resend": (r("profiles:account-invitation-resend", args=[pk, w["invitation"].pk]), {}),
        "revoke": (r("profiles:account-invitation-revoke", args=[pk, w["invitation"].pk]), {}),
    }[action]
    return client.post(url, data, **headers)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("who", WHO)
def test_account_page_role_matrix(client, world, who, action, htmx):
    client.force_login(acting_user(who, world))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = state(world)
    response = request_for(action, world, client, headers)
    if who not in ACCOUNT_ROLES:
        assert response.status_code == 404  # a role on one profile does not show the account
        assert state(world) == before
    elif who not in EXPECTED[action]:
        assert response.status_code == 403
        assert state(world) == before
    else:
        assert response.status_code in (200, 302), response.status_code
        if action != "view":
            assert state(world) != before, "an allowed action must have its effect"
        if htmx and action == "view":
            assert "<html" not in response.text and "Account roles" in response.text


def test_the_page_shows_details_profiles_latest_invoices_and_everything_due(client, world):
    owner = acting_user("account_owner", world)
    client.force_login(owner)
    page = client.get(reverse("profiles:account-overview", args=[world["account"].pk])).text
    assert "NL123456789B01" in page and "Net 30 days" in page and "Netherlands" in page
    # Each profile with its status, latest invoice and what is due on it (tax 21 %).
    assert "Marketing" in page and "Sales" in page and "Active" in page
    assert world["november"].number in page and world["paid"].number in page
    assert "€133.10" in page  # Marketing: 121.00 past due + 12.10 due
    # Everything due across the profiles, with a link to each unpaid invoice.
    assert 'id="total-due-EUR">€133.10<' in page and 'id="past-due-EUR">€121.00<' in page
    for invoice in (world["october"], world["november"]):
        assert reverse("invoicing:invoice-pdf", args=[invoice.profile_id, invoice.pk]) in page
    assert page.count(world["paid"].number) == 1  # paid: the latest of Sales, not in "everything due"
    assert "Elsewhere" not in page
    # Roles and pending invitations with their controls.
    assert "victim@example.com" in page and "invited@example.com" in page and "Grant an account role" in page


def test_a_void_invoice_is_neither_a_profiles_latest_nor_due(client, world):
    invoice_void(actor=None, invoice=world["november"], reason="Issued twice")
    client.force_login(acting_user("account_owner", world))
    page = client.get(reverse("profiles:account-overview", args=[world["account"].pk])).text
    table = profile_table(page)
    marketing = table[table.index(">Marketing<"):]
    marketing = marketing[:marketing.index("</tr>")]
    assert world["october"].number in marketing and "€121.00" in marketing  # October's, past due
    assert world["november"].number not in page
    assert 'id="total-due-EUR">€121.00<' in page and 'id="past-due-EUR">€121.00<' in page


def test_readers_see_it_read_only(client, world):
    client.force_login(acting_user("account_reader", world))
    page = client.get(reverse("profiles:account-overview", args=[world["account"].pk])).text
    assert "Contoso Nederland B.V." in page and "€133.10" in page
    assert "Edit details" not in page and "Grant an account role" not in page and 'name="role"' not in page
    assert "invited@example.com" not in page


def test_the_profile_page_links_to_the_account_only_for_account_roles(client, world):
    url = reverse("profiles:profile-overview", args=[world["marketing"].pk])
    account_url = reverse("profiles:account-overview", args=[world["account"].pk])
    client.force_login(acting_user("account_reader", world))
    assert client.get(url).text.count(f'href="{account_url}"') == 2  # breadcrumb and header
    client.force_login(acting_user("owner", world))
    assert account_url not in client.get(url).text


def test_contributors_edit_the_details_through_the_service_audited(client, world, htmx_headers):
    client.force_login(acting_user("account_contributor", world))
    url = reverse("profiles:account-edit", args=[world["account"].pk])
    form = client.get(url, **htmx_headers)
    assert 'name="tax_id"' in form.text and "<html" not in form.text
    response = client.post(url, {"sold_to_address": "Dam 1\nAmsterdam", "country": "BE", "tax_id": "BE0123",
                                 "payment_terms_days": "14"}, **htmx_headers)
    assert "The billing account&#x27;s details were saved." in response.text or "details were saved" in response.text
    world["account"].refresh_from_db()
    assert (world["account"].tax_id, world["account"].payment_terms_days, str(world["account"].country)) == (
        "BE0123", 14, "BE")
    event = ActivityEvent.objects.get(verb="account.updated")
    assert event.changes["tax_id"] == ["NL123456789B01", "BE0123"] and event.changes["payment_terms_days"] == [30, 14]


@pytest.mark.parametrize("data, message", [
    ({"country": "US"}, "The account&#x27;s profiles bill in EUR"),
    ({"payment_terms_days": "500"}, "Ensure this value is less than or equal to 180."),
    ({"sold_to_address": ""}, "This field is required."),
])
def test_bad_details_get_a_message_and_change_nothing(client, world, data, message, htmx_headers):
    client.force_login(acting_user("account_owner", world))
    before = state(world)
    base = {"sold_to_address": "Dam 1", "country": "NL", "tax_id": "", "payment_terms_days": "30"}
    response = client.post(reverse("profiles:account-edit", args=[world["account"].pk]), {**base, **data},
                           **htmx_headers)
    assert response.status_code == 200 and message in response.text
    assert state(world) == before


def test_the_last_account_owner_cannot_be_removed(client, world):
    keeper = RoleAssignment.objects.get(user__email="keeper@example.com")
    client.force_login(keeper.user)
    response = client.post(reverse("profiles:account-role-remove", args=[world["account"].pk, keeper.pk]),
                           {"confirm": "on"}, follow=True)
    assert response.status_code == 200 and "is the last owner" in response.text
    assert RoleAssignment.objects.filter(pk=keeper.pk).exists()


def test_giving_up_your_own_account_owner_role_asks_then_lands_on_the_list(client, world):
    owner = acting_user("account_owner", world)
    mine = RoleAssignment.objects.get(user=owner)
    client.force_login(owner)
    url = reverse("profiles:account-role-remove", args=[world["account"].pk, mine.pk])
    assert "You will lose access to Contoso Nederland B.V." in client.get(url).text
    response = client.post(url, {"confirm": "on"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("profiles:profile-list")
    listing = client.get(reverse("profiles:profile-list"))
    assert "You no longer have the role Account owner on Contoso Nederland B.V." in listing.text


def test_inviting_to_the_account_mails_a_link_that_gives_the_account_role(client, world, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    client.force_login(acting_user("account_owner", world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profiles:account-role-grant", args=[world["account"].pk]),
                    {"email": "cfo@example.com", "role": "account_contributor"})
    [message] = mail.outbox
    assert "the role Account contributor on the billing account Contoso Nederland B.V." in message.body
    link = message.body.split("http://testserver")[1].split()[0]
    client.logout()
    client.post(link, {"first_name": "Cleo", "password1": "Correct-horse-9", "password2": "Correct-horse-9"})
    assert RoleAssignment.objects.get(user__email="cfo@example.com").account == world["account"]


def test_the_page_takes_the_same_number_of_queries_for_2_or_6_profiles(client, world):
    client.force_login(acting_user("account_owner", world))
    url = reverse("profiles:account-overview", args=[world["account"].pk])
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(4):
        InvoiceFactory(profile=BillingProfileFactory(account=world["account"], name=f"Extra {i}"))
        grant(UserFactory(), Role.ACCOUNT_READER, world["account"])
    assert BillingProfile.objects.filter(account=world["account"]).count() == 6
    assert count() == small


# --- an account with many profiles: a page of 25, totals over all ---------------------------------------------
@pytest.fixture
def many(settings, tmp_path):
    """Fabrikam with 30 profiles, Team 01 … Team 30, each with one unpaid €10.00 invoice (no tax); Team 30's is
    past due."""
    settings.MEDIA_ROOT = tmp_path
    account = BillingAccountFactory(name="Fabrikam", country="NL", tax_rate=0)
    profiles = [BillingProfileFactory(account=account, name=f"Team {i:02d}") for i in range(1, 31)]
    for profile in profiles:
        InvoiceFactory(profile=profile, unit_price="10")
    Invoice.objects.filter(profile=profiles[-1]).update(status=Invoice.Status.PAST_DUE)
    return account, profiles


def profile_table(text):
    start = text.index('id="profiles-heading"')
    return text[start:text.index("</section>", start)]


def listed(text, profiles):
    table = profile_table(text)
    return [p.name for p in profiles if f'href="{reverse("profiles:profile-overview", args=[p.pk])}"' in table]


def test_the_profile_table_shows_25_profiles_a_page(client, many):
    account, profiles = many
    client.force_login(acting_user("account_reader", {"account": account}))
    url = reverse("profiles:account-overview", args=[account.pk])
    first = client.get(url).text
    assert listed(first, profiles) == [f"Team {i:02d}" for i in range(1, 26)]
    assert "Page 1 of 2" in profile_table(first) and f'href="{url}?page=2#profiles-heading"' in first
    second = client.get(url, {"page": "2"}).text
    assert listed(second, profiles) == [f"Team {i:02d}" for i in range(26, 31)]
    assert "Page 2 of 2" in second and f'href="{url}?page=1#profiles-heading"' in second
    assert 'id="total-due-EUR">€300.00<' in second  # the page does not change the totals
    # HTMX: the next page swaps the panel only and puts the page in the address bar.
    partial = client.get(url, {"page": "2"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.text and listed(partial.text, profiles)[0] == "Team 26"
    assert f'hx-get="{url}?page=1" hx-push-url="true"' in partial.text


@pytest.mark.parametrize("page, shown", [("abc", 1), ("0", 1), ("-3", 1), ("99", 2), ("99999999999999999999", 2),
                                         ("²", 1)])
def test_a_bad_or_out_of_range_page_answers_with_the_first_or_the_last(client, many, page, shown):
    account, profiles = many
    client.force_login(acting_user("account_reader", {"account": account}))
    response = client.get(reverse("profiles:account-overview", args=[account.pk]), {"page": page})
    assert response.status_code == 200 and f"Page {shown} of 2" in response.text


def test_after_an_htmx_action_the_table_stays_on_the_page_the_user_was_on(client, many):
    account, profiles = many
    client.force_login(acting_user("account_owner", {"account": account}))
    url = reverse("profiles:account-overview", args=[account.pk])
    response = client.get(reverse("profiles:account-edit", args=[account.pk]), HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL=f"http://testserver{url}?page=2")
    assert 'name="tax_id"' in response.text and listed(response.text, profiles)[0] == "Team 26"


def test_totals_cover_every_profile_and_the_unpaid_list_shows_the_10_due_first(client, many):
    account, profiles = many
    client.force_login(acting_user("account_reader", {"account": account}))
    page = client.get(reverse("profiles:account-overview", args=[account.pk])).text
    assert 'id="total-due-EUR">€300.00<' in page and 'id="past-due-EUR">€10.00<' in page  # Team 30: page 2
    due = page[page.index('id="account-due"'):page.index("</section>", page.index('id="account-due"'))]
    shown = Invoice.objects.filter(number__in=re.findall(r'>(BA[^<]+)</a></td>', due))
    assert shown.count() == 10
    assert "And 20 more unpaid invoices." in due and 'href="#profiles-heading"' in due


def test_a_role_on_some_profiles_shows_only_those_in_table_totals_and_chart(client, many):
    account, profiles = many
    viewer = UserFactory()  # may see the account, and 2 of its 30 profiles
    assign_perm("view_billingaccount", viewer, account)
    for profile in (profiles[3], profiles[29]):
        grant(viewer, Role.READER, profile)
    client.force_login(viewer)
    page = client.get(reverse("profiles:account-overview", args=[account.pk])).text
    assert listed(page, profiles) == ["Team 04", "Team 30"] and "Page 1 of" not in page
    assert 'id="total-due-EUR">€20.00<' in page and 'id="past-due-EUR">€10.00<' in page
    assert "more unpaid" not in page
    chart = page[page.index('id="account-spend"'):]
    chart = chart[:chart.index("</section>")]
    assert re.findall(r'<th scope="col" class="num">([^<]*)</th>', chart) == ["Team 04", "Team 30"]
    assert "Team 05" not in page and "Other profiles" not in page


def test_totals_and_the_unpaid_list_count_no_other_accounts_invoices(client, many):
    """The sums read the account's unpaid invoices by the account they were issued to: another account's, in
    the same currency and on the same dates, never count."""
    account, profiles = many
    other = BillingAccountFactory(name="Contoso", country="NL", tax_rate=0)
    InvoiceFactory(profile=BillingProfileFactory(account=other, name="Contoso Sales"), unit_price="99")
    client.force_login(acting_user("account_reader", {"account": account}))
    page = client.get(reverse("profiles:account-overview", args=[account.pk])).text
    assert 'id="total-due-EUR">€300.00<' in page and "And 20 more unpaid invoices." in page
    assert "Contoso" not in page
    client.force_login(acting_user("account_reader", {"account": other}))
    page = client.get(reverse("profiles:account-overview", args=[other.pk])).text
    assert 'id="total-due-EUR">€99.00<' in page and "more unpaid" not in page and "Team 01" not in page


def test_the_page_takes_the_same_number_of_queries_for_3_or_40_profiles(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    account = BillingAccountFactory(country="NL", tax_rate=0)
    owner = acting_user("account_owner", {"account": account})
    client.force_login(owner)
    url = reverse("profiles:account-overview", args=[account.pk])

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        InvoiceFactory(profile=BillingProfileFactory(account=account, name=f"Unit {i:02d}"))
    small = count()
    for i in range(3, 40):
        InvoiceFactory(profile=BillingProfileFactory(account=account, name=f"Unit {i:02d}"))
    text = client.get(url).text
    assert "Page 1 of 2" in text and "Other profiles (18)" in text  # the chart follows the page: 25 - 7
    assert count() == small and count(page="2") == small
