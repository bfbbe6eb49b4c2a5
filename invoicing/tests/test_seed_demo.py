import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from billing_admin.core.permissions import SupportAction, support_may
from invoicing.models import CreditLot, CreditTransaction, Invoice
from profiles.models import BillingProfile, PaymentMethod, Role, RoleAssignment

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def snapshot():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in (
        "core", "profiles", "invoicing", "guardian")}


def test_seeding_twice_leaves_the_same_data(seeded):
    before = snapshot()
    invoices = list(Invoice.objects.order_by("pk").values_list("number", "amount_due", "status"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == before
    assert list(Invoice.objects.order_by("pk").values_list("number", "amount_due", "status")) == invoices


def test_demo_has_every_role_on_one_profile_and_users_can_sign_in(seeded):
    marketing = BillingProfile.objects.get(name="Contoso Marketing")
    roles = dict(RoleAssignment.objects.filter(profile=marketing).values_list("user__email", "role"))
    assert roles == {"owner@example.com": Role.OWNER, "contributor@example.com": Role.CONTRIBUTOR,
                     "reader@example.com": Role.READER, "invoice-manager@example.com": Role.INVOICE_MANAGER}
    assert RoleAssignment.objects.filter(user__email="account-owner@example.com", role=Role.ACCOUNT_OWNER).exists()
    request = RequestFactory().post("/accounts/login/")
    for email in ("account-owner@example.com", "Owner@Example.com", "support@example.com",
                  "support-readonly@example.com"):
        assert authenticate(request, username=email, password="demo-pass-2026") is not None


def test_demo_has_a_support_engineer_and_a_read_only_one_and_no_superuser(seeded):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    support, viewer = users.get(email="support@example.com"), users.get(email="support-readonly@example.com")
    assert not users.filter(is_superuser=True).exists() and support.is_staff and viewer.is_staff
    assert all(support_may(support, a) for a in SupportAction)
    assert [a for a in SupportAction if support_may(viewer, a)] == [SupportAction.VIEW]


def test_demo_covers_currencies_payment_kinds_credits_and_past_invoices(seeded):
    assert set(BillingProfile.objects.values_list("currency", flat=True)) >= {"EUR", "USD", "JPY"}
    assert set(PaymentMethod.objects.values_list("kind", flat=True)) == {"card", "bank_account", "wire_transfer"}
    assert CreditLot.objects.filter(profile__name="Contoso Marketing").count() == 3
    assert not CreditLot.objects.filter(profile__name="Contoso Sales").exists()
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"paid", "due", "past_due"} <= statuses
    assert all(inv.pdf and inv.pdf_sha256 for inv in Invoice.objects.all())


def test_demo_credits_are_used_earliest_expiry_first_and_what_lapses_is_written_off(seeded):
    from django.db.models import Sum

    marketing = BillingProfile.objects.get(name="Contoso Marketing")
    goodwill = CreditLot.objects.get(profile=marketing, source="goodwill")
    assert (goodwill.status, goodwill.remaining) == ("expired", 0)
    kinds = list(goodwill.transactions.order_by("created", "pk").values_list("kind", flat=True))
    assert kinds == ["credit_added", "applied_to_invoice", "expired"]
    ledger = list(CreditTransaction.objects.filter(profile=marketing).order_by("created", "pk"))
    assert [t.created for t in ledger] == sorted(t.created for t in ledger)
    running = 0
    for entry in ledger:  # the history adds up, row by row, to the cent
        running += entry.amount
        assert entry.balance_after == running
    assert running == CreditLot.objects.filter(profile=marketing).aggregate(s=Sum("remaining"))["s"]
