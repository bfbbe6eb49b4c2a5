"""The help page offers two routes, each configured as a URL or an e-mail address: a support request
about Azure charges, and business-product support for the billing profile. Every page links to it."""

import pytest
from django.test import Client

from billing_admin.core.tests.factories import UserFactory
from billing_admin.core.tests.test_settings import run

pytestmark = pytest.mark.django_db


def test_the_footer_of_every_page_leads_to_the_help_page_with_both_routes(settings, client):
    settings.SUPPORT_AZURE_CHARGES = "https://support.example.com/azure/new-request"
    settings.SUPPORT_BILLING_PROFILE = "mailto:billing-desk@example.com"
    client.force_login(UserFactory())
    page = client.get("/billing/profiles/")
    assert '<a href="/help/">Need help? Contact support</a>' in page.text
    help_page = client.get("/help/")
    assert help_page.status_code == 200
    text = help_page.text
    assert "Questions about Azure charges" in text and "Questions about your billing profile" in text
    assert 'href="https://support.example.com/azure/new-request">Create a support request</a>' in text
    assert ('href="mailto:billing-desk@example.com?subject=Question%20about%20a%20billing%20profile">'
            "Contact business-product support</a>") in text
    assert "Or e-mail billing-desk@example.com." in text


def test_the_help_page_needs_no_sign_in_and_speaks_dutch(settings):
    settings.SUPPORT_AZURE_CHARGES = "mailto:azure@example.com"
    client = Client()
    assert '<a href="/help/">' in client.get("/accounts/login/").text  # the sign-in page's footer too
    client.post("/i18n/setlang/", {"language": "nl", "next": "/help/"})
    text = client.get("/help/").text
    assert "Hulp en ondersteuning" in text
    assert "Vragen over Azure-kosten" in text and "Vragen over uw factureringsprofiel" in text
    assert 'href="mailto:azure@example.com?subject=Vraag%20over%20Azure-kosten"' in text


def test_a_route_given_as_a_bare_address_becomes_a_mailto_link_and_a_wrong_one_stops_start_up():
    code = "from django.conf import settings as s; print(s.SUPPORT_AZURE_CHARGES, s.SUPPORT_BILLING_PROFILE)"
    result = run("shell", "-c", code, DEBUG="true", SUPPORT_AZURE_CHARGES="azure@example.com",
                 SUPPORT_BILLING_PROFILE="https://help.example.com/billing")
    assert result.stdout.splitlines()[-1].split() == ["mailto:azure@example.com", "https://help.example.com/billing"]
    result = run("check", DEBUG="true", SUPPORT_BILLING_PROFILE="ftp://example.com/help")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "SUPPORT_BILLING_PROFILE must be an https:// URL or an e-mail address" in result.stderr
