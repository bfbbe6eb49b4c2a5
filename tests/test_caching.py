"""What a browser or a proxy may keep: nothing of one customer's data. A URL that answers with a
whole page or an HTMX fragment says so (``Vary: HX-Request``), so no cache mixes the two up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conftest import grant
from invoicing.services.credits import credit_lot_add
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, CardFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    profile = BillingProfileFactory()
    CardFactory(profile=profile, is_default=True)
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    invoice = InvoiceFactory(profile=profile)
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(b"%PDF-1.7 cache"))
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="5", start_date=date.today(),
                   expiration_date=date.today() + timedelta(days=30))
    client.force_login(owner)
    return profile, invoice


def private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def varies_on_htmx(response) -> bool:
    return "hx-request" in {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_invoice_pdfs_and_csv_exports_are_not_stored(client, world):
    profile, invoice = world
    for url in (reverse("invoicing:invoice-pdf", args=[profile.pk, invoice.pk]),
                reverse("invoicing:credit-transactions-csv", args=[profile.pk]),
                reverse("profiles:role-csv", args=[profile.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert private(response), (url, response.get("Cache-Control"))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_pages_and_their_fragments_are_private_and_vary_on_hx_request(client, world, htmx):
    profile, invoice = world
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    urls = [reverse("profiles:profile-list"), reverse("profiles:profile-overview", args=[profile.pk]),
            reverse("profiles:profile-permissions", args=[profile.pk]),
            reverse("profiles:profile-payment-methods", args=[profile.pk]),
            reverse("invoicing:profile-invoices", args=[profile.pk]),
            reverse("invoicing:profile-credits", args=[profile.pk]),
            reverse("invoicing:profile-credit-balance", args=[profile.pk]),
            reverse("invoicing:invoice-pay", args=[profile.pk, invoice.pk])]
    for url in urls:
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        assert private(response), (url, response.get("Cache-Control"))
        assert varies_on_htmx(response), (url, response.get("Vary"))


def test_a_refusal_is_not_stored_either(client, world):
    profile, _ = world
    client.force_login(UserFactory())
    response = client.get(reverse("profiles:profile-overview", args=[profile.pk]))
    assert response.status_code == 404 and private(response)
