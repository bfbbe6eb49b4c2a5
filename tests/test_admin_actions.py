from datetime import date

import pytest
from django.urls import reverse

from billing_admin.core.models import ActivityEvent
from conftest import grant, support_engineer
from invoicing.models import CreditLot, CreditTransaction, Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.tests.factories import InvoiceFactory
from profiles.models import BillingProfileUserObjectPermission, PaymentMethod, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, CardFactory, UserFactory, WireTransferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = support_engineer()
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
    invoice = InvoiceFactory(profile=profile)
    url = reverse("admin:invoicing_invoice_transfer", args=[invoice.pk])
    wrong = staff.post(url, {"amount": "1.00", "reference": "NL-REF"})
    assert "must equal the amount due" in wrong.text
    staff.post(url, {"amount": str(invoice.amount_due), "reference": "NL-REF"})
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == "paid" and invoice.payments.get().reference == "NL-REF"


def test_read_only_support_cannot_void_record_or_adjust(client):
    client.force_login(support_engineer(read_only=True))
    profile = BillingProfileFactory()
    lot = credit_lot_add(actor=None, profile=profile, source="promotional", amount="5",
                         start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1))
    invoice = InvoiceFactory(profile=profile)
    page = client.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk]))
    void_url = reverse("admin:invoicing_invoice_void", args=[invoice.pk])
    assert page.status_code == 200 and void_url not in page.text and 'name="_save"' not in page.text
    assert client.post(void_url, {"reason": "because"}).status_code == 403
    assert client.post(reverse("admin:invoicing_invoice_transfer", args=[invoice.pk]),
                       {"amount": str(invoice.amount_due), "reference": "X"}).status_code == 403
    assert client.post(reverse("admin:invoicing_creditlot_adjust", args=[lot.pk]),
                       {"amount": "-5", "reason": "because"}).status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == "due"
    assert CreditLot.objects.get(pk=lot.pk).remaining == 0  # applied to the invoice, nothing adjusted


def test_support_voids_an_invoice_from_the_admin(staff):
    profile = BillingProfileFactory()
    invoice = InvoiceFactory(profile=profile)
    void_url = reverse("admin:invoicing_invoice_void", args=[invoice.pk])
    page = staff.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk]))
    assert void_url in page.text and 'name="_save"' not in page.text  # a button, and no Save on history
    without_reason = staff.post(void_url, {"reason": "  "})
    assert without_reason.status_code == 200 and "This field is required" in without_reason.text
    assert Invoice.objects.get(pk=invoice.pk).status == "due"
    done = staff.post(void_url, {"reason": "Wrong PO"}, follow=True)
    assert Invoice.objects.get(pk=invoice.pk).status == "void" and "is void" in done.text


def test_support_role_changes_name_the_support_engineer_in_the_grant_and_the_log(staff):
    profile, pat = BillingProfileFactory(), UserFactory()
    grant(UserFactory(), Role.OWNER, profile)
    staff.post(reverse("admin:profiles_roleassignment_add"), {"user": pat.pk, "profile": profile.pk, "role": "reader"})
    assignment = RoleAssignment.objects.get(user=pat)
    support = staff.session["_auth_user_id"]
    assert str(assignment.granted_by_id) == support
    staff.post(reverse("admin:profiles_roleassignment_change", args=[assignment.pk]), {"role": "contributor"})
    staff.post(reverse("admin:profiles_roleassignment_delete", args=[assignment.pk]), {"post": "yes"})
    events = ActivityEvent.objects.filter(verb__startswith="role.", changes__user=pat.email).order_by("pk")
    assert [e.verb for e in events] == ["role.granted", "role.changed", "role.revoked"]
    assert {str(e.actor_id) for e in events} == {support}


def test_a_refused_role_removal_in_the_admin_does_not_claim_success(staff):
    profile, owner = BillingProfileFactory(), UserFactory()
    only_owner = grant(owner, Role.OWNER, profile)
    response = staff.post(reverse("admin:profiles_roleassignment_delete", args=[only_owner.pk]), {"post": "yes"},
                          follow=True)
    assert "last owner" in response.text and "deleted successfully" not in response.text


def test_support_removes_and_defaults_payment_methods_through_the_services(staff):
    profile = BillingProfileFactory()
    default = WireTransferFactory(profile=profile, is_default=True)
    card = CardFactory(profile=profile, is_default=False)
    changelist = reverse("admin:profiles_paymentmethod_changelist")
    assert staff.get(reverse("admin:profiles_paymentmethod_add")).status_code == 403  # cards go through the gateway
    # Editing the flag by hand could leave two defaults or none: it is read-only, the action uses the service.
    staff.post(reverse("admin:profiles_paymentmethod_change", args=[card.pk]), {"is_default": "on"})
    assert PaymentMethod.objects.get(pk=card.pk).is_default is False
    staff.post(changelist, {"action": "make_default", "_selected_action": [card.pk]})
    assert list(PaymentMethod.objects.filter(profile=profile, is_default=True)) == [card]
    removed = staff.post(reverse("admin:profiles_paymentmethod_delete", args=[card.pk]), {"post": "yes"}, follow=True)
    assert "deleted successfully" in removed.text
    assert list(PaymentMethod.objects.filter(profile=profile, is_default=True)) == [default]  # promoted
    assert ActivityEvent.objects.filter(verb="payment_method.removed", actor__isnull=False).count() == 1
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="10",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    response = staff.post(reverse("admin:profiles_paymentmethod_delete", args=[default.pk]), {"post": "yes"},
                          follow=True)
    assert "only payment method" in response.text and "deleted successfully" not in response.text
    assert PaymentMethod.objects.filter(pk=default.pk, is_default=True).exists()


def test_deleting_a_person_in_the_admin_cannot_remove_the_last_owner(staff):
    from django.contrib.auth import get_user_model

    profile = BillingProfileFactory()
    only_owner, reader = UserFactory(), UserFactory()
    grant(only_owner, Role.OWNER, profile)
    grant(reader, Role.READER, profile)
    response = staff.post(reverse("admin:core_user_delete", args=[only_owner.pk]), {"post": "yes"}, follow=True)
    assert "last owner" in response.text and "deleted successfully" not in response.text
    assert get_user_model().objects.filter(pk=only_owner.pk).exists()
    assert RoleAssignment.objects.filter(user=only_owner, role=Role.OWNER).exists()
    staff.post(reverse("admin:core_user_delete", args=[reader.pk]), {"post": "yes"})
    assert not get_user_model().objects.filter(pk=reader.pk).exists()
    assert ActivityEvent.objects.filter(verb="role.revoked", changes__user=reader.email).exists()


def test_admin_pages_for_an_invoice_or_credit_lot_that_is_gone_say_not_found(staff):
    """A stale bookmark or a double-submitted form for a deleted row is a 404 page, not a server error."""
    assert staff.get(reverse("admin:invoicing_invoice_transfer", args=[987654])).status_code == 404
    assert staff.post(reverse("admin:invoicing_creditlot_adjust", args=[987654]),
                      {"amount": "-5", "reason": "because"}).status_code == 404


def test_support_adjusts_a_credit_lot_and_bad_amounts_are_explained_on_the_form(staff):
    lot = credit_lot_add(actor=None, profile=BillingProfileFactory(), source="promotional", amount="50",
                         start_date=date(2026, 1, 1), expiration_date=date(2099, 1, 1))
    url = reverse("admin:invoicing_creditlot_adjust", args=[lot.pk])
    too_much = staff.post(url, {"amount": "-80", "reason": "Goodwill reversed"})
    assert too_much.status_code == 200 and "The lot has only" in too_much.text
    assert CreditLot.objects.get(pk=lot.pk).remaining == 50 and lot.transactions.count() == 1
    staff.post(url, {"amount": "-20", "reason": "Goodwill partly reversed"})
    assert CreditLot.objects.get(pk=lot.pk).remaining == 30
    assert CreditTransaction.objects.filter(lot=lot, kind="adjustment", description="Goodwill partly reversed").exists()
