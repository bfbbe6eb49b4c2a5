
import pytest
from django.urls import reverse

from conftest import grant
from profiles.models import BillingProfile, InvoiceRecipient, Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client):
    profile = BillingProfileFactory(po_number="PO-1")
    user = UserFactory()
    grant(user, Role.OWNER, profile)
    client.force_login(user)
    client.profile = profile
    return client


def test_direct_load_is_a_whole_page_and_htmx_gets_only_the_tab(owner_client, htmx_headers):
    url = reverse("profiles:profile-overview", args=[owner_client.profile.pk])
    full = owner_client.get(url)
    assert full.text.lstrip().startswith("<!doctype html>") and "Need help? Contact support" in full.text
    part = owner_client.get(url, **htmx_headers)
    assert "<html" not in part.text and 'role="tabpanel"' in part.text and 'role="tablist"' in part.text


def test_inline_po_edit_shows_the_error_next_to_the_field_and_changes_nothing(owner_client, htmx_headers):
    url = reverse("profiles:profile-edit-po", args=[owner_client.profile.pk])
    form = owner_client.get(url, **htmx_headers)
    assert 'name="po_number"' in form.text and "<html" not in form.text
    bad = owner_client.post(url, {"po_number": "PO<script>"}, **htmx_headers)
    assert bad.status_code == 200
    assert "Use letters, digits, spaces and . / _ # - only." in bad.text
    assert "PO&lt;script&gt;" in bad.text  # what they typed, escaped, for correction
    owner_client.profile.refresh_from_db()
    assert owner_client.profile.po_number == "PO-1"
    good = owner_client.post(url, {"po_number": "PO 2026/7"}, **htmx_headers)
    assert good.status_code == 200 and "HX-Trigger" not in good  # nothing listens to an event
    assert "PO 2026/7" in good.text and 'name="po_number"' not in good.text
    owner_client.profile.refresh_from_db()
    assert owner_client.profile.po_number == "PO 2026/7"


def test_without_javascript_a_valid_post_redirects(owner_client):
    url = reverse("profiles:profile-edit-po", args=[owner_client.profile.pk])
    response = owner_client.post(url, {"po_number": "PO-9"})
    assert response.status_code == 302 and response["Location"].endswith(f"/profiles/{owner_client.profile.pk}/")
    page = owner_client.get(response["Location"])
    assert "Saved." in page.text and "PO-9" in page.text


def test_email_invoice_switch_is_one_click_confirmed_by_the_server(owner_client, htmx_headers):
    url = reverse("profiles:profile-invoice-email", args=[owner_client.profile.pk])
    off = owner_client.post(url, {"opt_in": "off"}, **htmx_headers)
    assert "Invoices are no longer e-mailed." in off.text and 'aria-checked="false"' in off.text
    assert BillingProfile.objects.get(pk=owner_client.profile.pk).invoice_email_opt_in is False
    on = owner_client.post(url, {"opt_in": "on"}, **htmx_headers)
    assert 'aria-checked="true"' in on.text


def test_recipients_are_validated_and_deduplicated(owner_client, htmx_headers):
    url = reverse("profiles:profile-recipient-add", args=[owner_client.profile.pk])
    assert "Enter a valid email address." in owner_client.post(url, {"email": "not-an-email"}, **htmx_headers).text
    owner_client.post(url, {"email": "ap@example.com"}, **htmx_headers)
    dup = owner_client.post(url, {"email": "AP@example.com"}, **htmx_headers)
    assert "already receives the invoices" in dup.text
    assert InvoiceRecipient.objects.filter(profile=owner_client.profile).count() == 1
    recipient = InvoiceRecipient.objects.get()
    owner_client.post(reverse("profiles:profile-recipient-remove", args=[owner_client.profile.pk, recipient.pk]))
    assert not InvoiceRecipient.objects.exists()


def test_details_edit_refuses_a_name_taken_in_the_account(owner_client):
    BillingProfileFactory(account=owner_client.profile.account, name="Taken")
    url = reverse("profiles:profile-edit-details", args=[owner_client.profile.pk])
    response = owner_client.post(url, {"name": "taken", "bill_to_address": "x", "contact_name": "y",
                                       "contact_email": "y@example.com", "invoice_language": "en",
                                       "invoice_day": "29"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 28." in response.text
    response = owner_client.post(url, {"name": "taken", "bill_to_address": "x", "contact_name": "y",
                                       "contact_email": "y@example.com", "invoice_language": "en",
                                       "invoice_day": "5"})
    assert "already has a billing profile with this name" in response.text
    owner_client.profile.refresh_from_db()
    assert owner_client.profile.name != "taken"


def test_create_profile_currency_from_the_account_and_creator_becomes_owner(client):
    account = BillingAccountFactory(country="JP")
    creator = UserFactory()
    grant(creator, Role.ACCOUNT_CONTRIBUTOR, account)
    client.force_login(creator)
    assert "Create billing profile" in client.get(reverse("profiles:profile-list")).text
    form = client.get(reverse("profiles:profile-create"), {"account": account.pk}, HTTP_HX_REQUEST="true")
    assert "JPY" in form.text
    other = BillingAccountFactory(country="CH", name="Zurich AG")
    grant(creator, Role.ACCOUNT_CONTRIBUTOR, other)
    page = client.get(reverse("profiles:profile-create")).text  # without JavaScript: the currency is in the choice
    assert f'<option value="{other.pk}">Zurich AG (CHF)</option>' in page
    bad = client.post(reverse("profiles:profile-create"), {"account": account.pk, "name": ""})
    assert bad.status_code == 200 and "This field is required." in bad.text
    assert not BillingProfile.objects.exists()
    response = client.post(reverse("profiles:profile-create"), {
        "account": account.pk, "name": "Tokyo office", "bill_to_address": "Tokyo", "contact_name": "Aiko",
        "contact_email": "aiko@example.com", "po_number": "", "invoice_email_opt_in": "on",
        "invoice_language": "en", "invoice_day": "1"})
    profile = BillingProfile.objects.get()
    assert response.status_code == 302 and profile.currency == "JPY"
    assert profile.role_assignments.get().user == creator


def test_users_who_may_not_create_get_no_button_and_403(client):
    reader = UserFactory()
    grant(reader, Role.READER, BillingProfileFactory())
    client.force_login(reader)
    assert "Create billing profile" not in client.get(reverse("profiles:profile-list")).text
    assert client.get(reverse("profiles:profile-create")).status_code == 403


def test_disable_works_when_nothing_blocks_and_refuses_the_last_active_profile(owner_client):
    profile = owner_client.profile
    url = reverse("profiles:profile-disable", args=[profile.pk])
    assert "last active billing profile" in owner_client.get(url).text
    BillingProfileFactory(account=profile.account)
    owner_client.post(url)
    profile.refresh_from_db()
    assert profile.status == "disabled"


def test_profile_list_search_and_account_filter(client):
    user = UserFactory()
    a, b = BillingAccountFactory(name="Alpha"), BillingAccountFactory(name="Beta")
    for account, name, po in ((a, "Marketing", "PO-77"), (a, "Sales", ""), (b, "Research", "")):
        grant(user, Role.READER, BillingProfileFactory(account=account, name=name, po_number=po))
    client.force_login(user)
    url = reverse("profiles:profile-list")
    found = client.get(url, {"q": "po-77"}).text
    assert "Marketing" in found and "Sales" not in found
    only_beta = client.get(url, {"account": b.pk}).text
    assert "Research" in only_beta and "Marketing" not in only_beta
    fragment = client.get(url, {"q": "nothing"}, HTTP_HX_REQUEST="true")
    assert "No billing profile matches." in fragment.text and "<html" not in fragment.text


def test_failed_sign_ins_are_throttled_with_a_message(client, settings):
    UserFactory(email="pat@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "pat@example.com", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "pat@example.com", "password": "test-pass-2026"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_language_switch_works_signed_out_and_speaks_dutch(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert "Inloggen" in page.text and 'lang="nl"' in page.text


def test_only_owners_see_and_may_use_disable(client):
    profile = BillingProfileFactory()
    BillingProfileFactory(account=profile.account)
    contributor = UserFactory()
    grant(contributor, Role.CONTRIBUTOR, profile)
    client.force_login(contributor)
    overview = client.get(reverse("profiles:profile-overview", args=[profile.pk])).text
    assert "Disable this billing profile" not in overview
    assert client.post(reverse("profiles:profile-disable", args=[profile.pk])).status_code == 403
    profile.refresh_from_db()
    assert profile.status == "active"


def _described_by_ids_exist(html: str) -> None:
    """Every id an input points to with aria-describedby is in the page (a screen reader reads it)."""
    import re

    ids = set(re.findall(r'\bid="([^"]+)"', html))
    pointed = [i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()]
    assert pointed, "no field points to its help text or error"
    assert [i for i in pointed if i not in ids] == []


def test_field_errors_and_help_are_announced_with_the_field(owner_client, htmx_headers):
    url = reverse("profiles:profile-edit-po", args=[owner_client.profile.pk])
    bad = owner_client.post(url, {"po_number": "PO<x>"}, **htmx_headers).text
    assert 'aria-invalid="true"' in bad
    _described_by_ids_exist(bad)
    recipient = owner_client.post(reverse("profiles:profile-recipient-add", args=[owner_client.profile.pk]),
                                  {"email": "not-an-address"}, **htmx_headers).text
    assert "Enter a valid email address." in recipient and 'aria-invalid="true"' in recipient
    _described_by_ids_exist(recipient)


def test_create_form_errors_are_tied_to_their_fields(client):
    account = BillingAccountFactory(country="NL")
    creator = UserFactory()
    grant(creator, Role.ACCOUNT_OWNER, account)
    client.force_login(creator)
    bad = client.post(reverse("profiles:profile-create"), {"account": "", "name": ""}).text
    assert bad.count('aria-invalid="true"') >= 2  # the account and the name
    _described_by_ids_exist(bad)
    assert not BillingProfile.objects.exists()


def test_failed_sign_in_says_so_next_to_the_fields(client):
    UserFactory(email="pat@example.com")
    page = client.post(reverse("login"), {"username": "pat@example.com", "password": "wrong"}).text
    assert "did not match" in page and 'aria-invalid="true"' in page
    _described_by_ids_exist(page)


def test_password_reset_in_our_layout_sets_a_new_password(client, mailoutbox, django_capture_on_commit_callbacks):
    import re

    user = UserFactory(email="pat@example.com")
    form = client.get(reverse("password_reset"))
    assert "Need help? Contact support" in form.text and "<title>Reset your password" in form.text
    assert 'class="breadcrumb"' not in form.text  # signed out: no billing path
    with django_capture_on_commit_callbacks(execute=True):  # the mail's task, queued after the commit
        done = client.post(reverse("password_reset"), {"email": "PAT@example.com"}, follow=True)
    assert "Check your e-mail" in done.text and "Need help? Contact support" in done.text
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["pat@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    choose = client.get(link, follow=True)
    assert "Choose a new password" in choose.text and "Need help? Contact support" in choose.text
    mismatch = client.post(choose.redirect_chain[-1][0], {"new_password1": "Cobalt-river-8841",
                                                          "new_password2": "Cobalt-river-8842"})
    assert mismatch.status_code == 200 and 'aria-invalid="true"' in mismatch.text
    user.refresh_from_db()
    assert not user.check_password("Cobalt-river-8841")
    complete = client.post(choose.redirect_chain[-1][0], {"new_password1": "Cobalt-river-8841",
                                                          "new_password2": "Cobalt-river-8841"}, follow=True)
    assert "Your password is set" in complete.text
    user.refresh_from_db()
    assert user.check_password("Cobalt-river-8841")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your e-mail" in done.text and mailoutbox == []
