"""Forms and words a new user tripped over: the invoice day says its range on the field, an empty PO
number reads "No PO number", the e-mail switch says its state, links only for what the person may do,
the card form says what really happens, and the create form's currency follows the account chosen."""

import re

import pytest
from django.urls import reverse

from conftest import grant
from profiles.models import Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def signed_in(client, profile, role=Role.OWNER):
    user = UserFactory()
    grant(user, role, profile)
    client.force_login(user)
    return client


def test_the_invoice_day_field_says_1_to_28_and_the_browser_stops_there(client):
    profile = BillingProfileFactory()
    page = signed_in(client, profile).get(reverse("profiles:profile-edit-details", args=[profile.pk]), **HX).text
    field = re.search(r'<input type="number" name="invoice_day"[^>]*>', page).group(0)
    assert 'min="1"' in field and 'max="28"' in field
    assert "A day from 1 to 28" in page and 'aria-describedby="id_invoice_day_helptext"' in field


def test_an_empty_po_number_reads_no_po_number_in_the_muted_style(client):
    profile = BillingProfileFactory(po_number="")
    page = signed_in(client, profile).get(reverse("profiles:profile-overview", args=[profile.pk])).text
    assert '<p class="muted" id="po-value">No PO number</p>' in page and ">None<" not in page


def test_the_email_switch_says_its_state_in_words(client):
    profile = BillingProfileFactory(invoice_email_opt_in=True)
    signed_in(client, profile)
    page = client.get(reverse("profiles:profile-overview", args=[profile.pk])).text
    switch = re.search(r'<button type="submit" role="switch".*?</button>', page, re.S).group(0)
    assert 'aria-checked="true"' in switch and ">On</span>" in switch and "E-mail invoices" in switch
    assert "Turn e-mail invoices off" not in page
    off = client.post(reverse("profiles:profile-invoice-email", args=[profile.pk]), {"opt_in": "off"}, **HX).text
    switch = re.search(r'<button type="submit" role="switch".*?</button>', off, re.S).group(0)
    assert 'aria-checked="false"' in switch and ">Off</span>" in switch


@pytest.mark.parametrize("role,shown", [(Role.OWNER, True), (Role.CONTRIBUTOR, True), (Role.READER, False),
                                        (Role.INVOICE_MANAGER, False)])
def test_manage_payment_methods_is_offered_only_to_who_may(client, role, shown):
    profile = BillingProfileFactory()
    page = signed_in(client, profile, role).get(reverse("profiles:profile-overview", args=[profile.pk])).text
    assert ("Manage payment methods" in page) is shown


def test_the_card_form_says_the_card_is_tokenised_and_never_stored(client):
    profile = BillingProfileFactory()
    signed_in(client, profile)
    page = client.get(reverse("profiles:payment-method-add", args=[profile.pk, "card"]), **HX).text
    assert "goes straight to our payment processor" not in page
    assert "receives a token" in page and "never stored" in page


def test_create_profile_currency_line_follows_the_account_chosen(client):
    creator = UserFactory()
    japan, swiss = BillingAccountFactory(country="JP"), BillingAccountFactory(country="CH", name="Zurich AG")
    grant(creator, Role.ACCOUNT_CONTRIBUTOR, japan)
    grant(creator, Role.ACCOUNT_CONTRIBUTOR, swiss)
    client.force_login(creator)
    url = reverse("profiles:profile-create")
    assert "<strong>—</strong>" in client.get(url).text  # two accounts, none chosen yet
    line = client.get(url, {"account": swiss.pk}, **HX).text
    assert 'id="currency"' in line and "<strong>CHF</strong>" in line
    assert "<strong>JPY</strong>" in client.get(url, {"account": japan.pk}, **HX).text


@pytest.mark.parametrize("day", ["0", "31"])
def test_an_invoice_day_out_of_range_is_refused_with_the_other_mistakes_at_once(client, day):
    """It was refused only once every other field was right: fix those, submit, and only then hear of 1 to 28."""
    account = BillingAccountFactory()
    user = UserFactory()
    grant(user, Role.ACCOUNT_OWNER, account)
    client.force_login(user)
    page = client.post(reverse("profiles:profile-create"), {"account": account.pk, "name": "Finance",
                                                             "invoice_language": "en", "invoice_day": day}).text
    assert re.search(r'id="id_invoice_day_error"[^>]*>\s*<li>[^<]*(1|28)', page), "no message on the invoice day"
    assert re.search(r'id="id_contact_email_error"', page)  # the other mistake in the same answer
