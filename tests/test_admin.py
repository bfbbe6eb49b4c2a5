import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from conftest import grant
from invoicing.models import CreditLot, Invoice
from invoicing.services.credits import credit_lot_add
from profiles.models import BillingProfile, Role, RoleAssignment
from profiles.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_model_is_registered():
    from django.apps import apps

    ours = [m for m in apps.get_models() if m._meta.app_label in ("core", "profiles", "invoicing", "purchases")
            and "ObjectPermission" not in m.__name__]
    missing = [m.__name__ for m in ours if m not in admin.site._registry]
    assert missing == []


def test_every_changelist_search_and_change_form_answers(staff_client):
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        changelist = staff_client.get(reverse(f"admin:{info}_changelist"))
        assert changelist.status_code == 200, info
        if model_admin.search_fields:
            assert staff_client.get(reverse(f"admin:{info}_changelist"), {"q": "Contoso"}).status_code == 200
        obj = model.objects.first()
        if obj is not None:
            assert staff_client.get(reverse(f"admin:{info}_change", args=[obj.pk])).status_code == 200, info


def test_invoice_search_by_number_and_po(staff_client):
    page = staff_client.get(reverse("admin:invoicing_invoice_changelist"), {"q": "PO-2026-0042"})
    marketing = Invoice.objects.filter(po_number="PO-2026-0042")
    assert marketing.exists() and all(inv.number in page.text for inv in marketing)
    assert not any(inv.number in page.text for inv in Invoice.objects.exclude(po_number="PO-2026-0042"))
    page = staff_client.get(reverse("admin:profiles_billingprofile_changelist"), {"q": "finance-marketing@contoso"})
    assert "Contoso Marketing" in page.text


@pytest.mark.parametrize("name", ["invoicing_invoice", "invoicing_charge", "invoicing_credittransaction",
                                  "profiles_billingprofile", "profiles_roleassignment", "core_activityevent"])
def test_changelists_do_not_run_a_query_per_row(staff_client, name, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_issued_invoices_cannot_be_edited(staff_client):
    invoice = Invoice.objects.first()
    url = reverse("admin:invoicing_invoice_change", args=[invoice.pk])
    response = staff_client.post(url, {"amount_due": "0.01", "po_number": "HACK"})
    invoice.refresh_from_db()
    assert response.status_code == 403 and invoice.po_number != "HACK"


def _queries(client, url, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(40) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)



def test_profile_change_form_does_not_run_a_query_per_role_row(staff_client, django_assert_max_num_queries):
    profile = BillingProfile.objects.get(name="Contoso Sales")
    url = reverse("admin:profiles_billingprofile_change", args=[profile.pk])
    before = _queries(staff_client, url, django_assert_max_num_queries)
    for _ in range(8):
        grant(UserFactory(), Role.READER, profile)
    RoleAssignment.objects.filter(profile=profile).update(granted_by=UserFactory())
    assert _queries(staff_client, url, django_assert_max_num_queries) == before


def test_credit_lot_change_form_does_not_run_a_query_per_transaction(staff_client, django_assert_max_num_queries):
    from datetime import date

    from django.db.models import Count, Q

    used = CreditLot.objects.annotate(n=Count("transactions", filter=Q(transactions__invoice__isnull=False))
                                      ).order_by("-n", "pk").first()
    assert used.transactions.filter(invoice__isnull=False).count() >= 2  # seed_demo applied it to invoices
    fresh = credit_lot_add(actor=None, profile=BillingProfile.objects.get(name="Contoso Sales"),
                           source="promotional", amount="100", start_date=date(2026, 1, 1),
                           expiration_date=date(2099, 1, 1))
    counts = [_queries(staff_client, reverse("admin:invoicing_creditlot_change", args=[lot.pk]),
                       django_assert_max_num_queries) for lot in (fresh, used)]
    assert counts[0] == counts[1]
