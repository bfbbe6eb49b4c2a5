"""The Dutch portal uses the terms of Microsoft's nl-NL help page on billing profiles, which the product
follows: Factureringsprofielen, Facturering › Facturen en betalingen, Overzicht, Machtigingen,
Azure-kredietsaldo, Azure-tegoeden, the role names, and the invoice language "Engels"."""

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.tests.factories import CreditLotFactory
from profiles.models import BillingProfile, Role
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dutch_owner(client):
    profile = BillingProfileFactory(invoice_language=BillingProfile.Language.EN)
    CreditLotFactory(profile=profile)
    user = UserFactory()
    grant(user, Role.OWNER, profile)
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/billing/profiles/"})
    client.profile = profile
    return client


def test_the_dutch_overview_uses_the_microsoft_terms(dutch_owner):
    page = dutch_owner.get(reverse("profiles:profile-overview", args=[dutch_owner.profile.pk])).text
    for term in ("Facturering", "Facturen en betalingen", "Factureringsprofielen", ">Overzicht<", ">Machtigingen<",
                 ">Azure-kredietsaldo<", ">Azure-tegoeden<", "<dd>Engels</dd>"):
        assert term in page, term
    assert "actuurprofiel" not in page and "English" not in page.split("<main")[1].split("</main>")[0]


def test_the_dutch_permissions_tab_names_the_roles_as_microsoft_does(dutch_owner):
    page = dutch_owner.get(reverse("profiles:profile-permissions", args=[dutch_owner.profile.pk])).text
    for role in ("Eigenaar van factureringsprofiel", "Bijdrager van factureringsprofiel", "Factureringsprofiellezer",
                 "Factuurmanager"):
        assert role in page, role


# One Dutch word for each thing: the word a reader would otherwise meet in two forms, and the one used.
AVOIDED = {
    r"\b[Vv]ervallen\b": "a voided invoice is 'ongeldig (gemaakt)': 'vervallen' reads as overdue beside 'vervaldatum'",
    r"\bhoogstens\b": "'maximaal'",
    r"\b[Mm]eld u aan\b|\baanmelding\b|\baangemelde\b": "'inloggen', as on the sign-in button",
    r"\bpdf": "'PDF', as in Microsoft's terms",
    r"\bsupport\b": "'ondersteuning'",
    r"\bToegepast tegoed\b": "'Verrekend tegoed'",
    r"\bAccount(eigenaar|bijdrager|lezer)\b": "'Eigenaar/Bijdrager/Lezer van factureringsaccount'",
}


def test_the_dutch_catalogue_uses_one_word_for_each_thing():
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[1] / "locale" / "nl" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        translations = [s for m in read_po(po) if m.id
                        for s in (m.string if isinstance(m.string, tuple) else (m.string,))]
    found = [f"{text!r}: use {instead}" for pattern, instead in AVOIDED.items()
             for text in translations if re.search(pattern, text)]
    assert found == []
