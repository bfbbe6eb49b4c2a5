from datetime import date

import pytest
from django.urls import reverse

from conftest import grant
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.invoices import invoice_generate
from profiles.models import BillingProfileUserObjectPermission, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_support_grants_and_revokes_roles_through_the_services(staff):
    profile, pat = BillingProfileFactory(), UserFactory()
    owner = UserFactory()
    grant(owner, Role.OWNER, profile)
    staff.post(reverse("admin:profiles_roleassignment_add"), {"user": pat.pk, "profile": profile.pk, "role": "reader"})
    assignment = RoleAssignment.objects.get(user=pat)
    assert BillingProfileUserObjectPermission.objects.filter(user=pat, content_object=profile).exists()
    staff.post(reverse("admin:profiles_roleassignment_delete", args=[assignment.pk]), {"post": "yes"})
    assert not BillingProfileUserObjectPermission.objects.filter(user=pat).exists()
    only_owner = RoleAssignment.objects.get(user=owner)
    response = staff.post(reverse("admin:profiles_roleassignment_delete", args=[only_owner.pk]), {"post": "yes"},
                          follow=True)
    assert "last owner" in response.text and RoleAssignment.objects.filter(pk=only_owner.pk).exists()


def test_support_records_a_wire_transfer_and_the_invoice_is_paid(staff):
    profile = BillingProfileFactory()
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    invoice = invoice_generate(profile_id=profile.pk, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                               issue_date=date(2026, 11, 1))
    url = reverse("admin:invoicing_invoice_transfer", args=[invoice.pk])
    wrong = staff.post(url, {"amount": "1.00", "reference": "NL-REF"})
    assert "must equal the amount due" in wrong.text
    staff.post(url, {"amount": str(invoice.amount_due), "reference": "NL-REF"})
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == "paid" and invoice.payments.get().reference == "NL-REF"
