"""The role matrix over HTTP: every role (profile and account level, none, a sibling's) × every action,
plain and HTMX. Refused requests get 404 (no access) or 403 (may see, may not act) and change nothing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conftest import grant
from invoicing.models import Invoice
from invoicing.services.payments import payment_key_issue
from invoicing.tests.factories import InvoiceFactory
from profiles.models import Invitation, InvoiceRecipient, PaymentMethod, Role, RoleAssignment
from profiles.services.invitations import role_grant_or_invite
from profiles.tests.factories import BillingProfileFactory, CardFactory, UserFactory, WireTransferFactory
from purchases.models import Product, Purchase, Subscription
from purchases.services.purchases import purchase_key_issue, purchase_make
from purchases.tests.factories import ProductFactory, priced

pytestmark = pytest.mark.django_db

# The role matrix, written out independently of the code's own table (profiles.permissions.ROLE_ACTIONS).
EDIT = {"owner", "contributor", "account_owner", "account_contributor"}
PAY = EDIT | {"invoice_manager"}
PURCHASE = {"owner", "contributor", "account_owner", "account_contributor"}
ROLES_ADMIN = {"owner", "account_owner"}
ALL = {"owner", "contributor", "reader", "invoice_manager", "account_owner", "account_contributor",
       "account_reader"}
EXPECTED = {
    "view_overview": ALL, "view_permissions": ALL, "view_payment_methods": ALL, "view_invoices": ALL,
    "download_pdf": ALL,
    "edit_po": EDIT, "edit_details": EDIT, "email_off": EDIT, "add_recipient": EDIT,
    "add_payment_method": EDIT, "set_default_method": EDIT, "remove_method": EDIT,
    "pay": PAY,
    "grant_role": ROLES_ADMIN, "change_role": ROLES_ADMIN, "remove_role": ROLES_ADMIN,
    "disable": ROLES_ADMIN,
    "view_subscriptions": ALL,
    "purchase": PURCHASE, "change_subscription": PURCHASE, "cancel_subscription": PURCHASE,
    "enable": ROLES_ADMIN,
    "invite": ROLES_ADMIN, "resend_invitation": ROLES_ADMIN, "revoke_invitation": ROLES_ADMIN,
}
WHO = sorted(ALL) + ["nobody", "sibling_owner"]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    profile = BillingProfileFactory(po_number="PO-OLD")
    sibling = BillingProfileFactory(account=profile.account)
    keeper = UserFactory(email="keeper@example.com")
    grant(keeper, Role.OWNER, profile)  # a second owner so removing one is allowed
    target = UserFactory(email="target@example.com")
    victim = UserFactory(email="victim@example.com")
    victim_grant = grant(victim, Role.READER, profile)
    invitation = role_grant_or_invite(actor=None, email="invited@example.com", role=Role.READER, profile=profile)
    wire = WireTransferFactory(profile=profile, is_default=True)
    card = CardFactory(profile=profile, is_default=False)
    invoice = InvoiceFactory(profile=profile)
    # A stored file is enough to test who may download it; rendering is tested in invoicing/tests.
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(b"%PDF-1.7 matrix"))
    product = priced(ProductFactory(), EUR="10.00")
    monthly = priced(ProductFactory(billing=Product.Billing.MONTHLY), EUR="5.00")
    subscription = purchase_make(actor=keeper, product=monthly, quantity="2", profile=profile,
                                 purchase_key=purchase_key_issue(user=keeper)).subscription
    return dict(profile=profile, sibling=sibling, target=target, victim_grant=victim_grant, wire=wire, card=card,
                invoice=invoice, product=product, subscription=subscription,
                invitation=invitation)


def acting_user(who, w):
    user = UserFactory()
    if who in ("owner", "contributor", "reader", "invoice_manager"):
        grant(user, who, w["profile"])
    elif who.startswith("account_"):
        grant(user, who, w["profile"].account)
    elif who == "sibling_owner":
        grant(user, Role.OWNER, w["sibling"])
    return user


def state(w):
    p = w["profile"]
    p.refresh_from_db()
    return (p.po_number, p.name, p.invoice_email_opt_in, p.status,
            InvoiceRecipient.objects.filter(profile=p).count(),
            sorted(PaymentMethod.objects.filter(profile=p).values_list("pk", "is_default")),
            Invoice.objects.get(pk=w["invoice"].pk).status,
            sorted(RoleAssignment.objects.filter(profile=p).values_list("user__email", "role")),
            Purchase.objects.count(), Subscription.objects.filter(profile=p).values_list("quantity", "status").get(),
            sorted(Invitation.objects.filter(profile=p).values_list("email", "status", "nonce")))


def request_for(action, w, client, headers, user):
    p, inv = w["profile"], w["invoice"]
    pk = p.pk
    r = reverse
    if action.startswith("view_"):
        name = {"view_overview": "profiles:profile-overview", "view_permissions": "profiles:profile-permissions",
                "view_payment_methods": "profiles:profile-payment-methods",
                "view_invoices": "invoicing:profile-invoices",
                "view_subscriptions": "purchases:profile-subscriptions"}[action]
        return client.get(r(name, args=[pk]), **headers)
    if action == "download_pdf":
        return client.get(r("invoicing:invoice-pdf", args=[pk, inv.pk]), **headers)
    posts = {
        "edit_po": (r("profiles:profile-edit-po", args=[pk]), {"po_number": "PO-NEW"}),
        "edit_details": (r("profiles:profile-edit-details", args=[pk]), {
            "name": "Renamed", "bill_to_address": "x", "contact_name": "y", "contact_email": "y@example.com",
            "invoice_language": "en", "invoice_day": "1"}),
        "email_off": (r("profiles:profile-invoice-email", args=[pk]), {"opt_in": "off"}),
        "add_recipient": (r("profiles:profile-recipient-add", args=[pk]), {"email": "new@example.com"}),
        "add_payment_method": (r("profiles:payment-method-add", args=[pk, "bank_account"]), {
            "holder": "Contoso", "iban": "NL91ABNA0417164300", "bic": ""}),
        "set_default_method": (r("profiles:payment-method-default", args=[pk, w["card"].pk]), {}),
        "remove_method": (r("profiles:payment-method-remove", args=[pk, w["card"].pk]), {}),
        "pay": (r("invoicing:invoice-pay", args=[pk, inv.pk]), {
            "payment_method": w["card"].pk, "idempotency_key": payment_key_issue(actor=user, invoice=inv)}),
        "grant_role": (r("profiles:role-grant", args=[pk]), {"email": "target@example.com", "role": "reader"}),
        "change_role": (r("profiles:role-change", args=[pk, w["victim_grant"].pk]), {"role": "contributor"}),
        "remove_role": (r("profiles:role-remove", args=[pk, w["victim_grant"].pk]), {}),
        "disable": (r("profiles:profile-disable", args=[pk]), {}),
        "purchase": (r("purchases:profile-purchase", args=[pk]), {
            "product": w["product"].pk, "quantity": "3", "purchase_key": purchase_key_issue(user=user)}),
        "change_subscription": (r("purchases:subscription-quantity", args=[pk, w["subscription"].pk]),
                                {"quantity": "4"}),
        "cancel_subscription": (r("purchases:subscription-cancel", args=[pk, w["subscription"].pk]), {}),
        "enable": (r("profiles:profile-enable", args=[pk]), {}),
        "invite": (r("profiles:role-grant", args=[pk]), {"email": "new-colleague@example.com", "role": "reader"}),
        "resend_invitation": (r("profiles:invitation-resend", args=[pk, w["invitation"].pk]), {}),
        "revoke_invitation": (r("profiles:invitation-revoke", args=[pk, w["invitation"].pk]), {}),
    }
    url, data = posts[action]
    return client.post(url, data, **headers)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("who", WHO)
def test_role_matrix(client, world, who, action, htmx):
    user = acting_user(who, world)
    client.force_login(user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = state(world)
    response = request_for(action, world, client, headers, user)
    if who in ("nobody", "sibling_owner"):
        assert response.status_code == 404
        assert state(world) == before
    elif who not in EXPECTED[action]:
        assert response.status_code == 403
        assert state(world) == before
    else:
        assert response.status_code in (200, 302), response.status_code
        if action.startswith(("view_", "download")) or action in ("disable", "enable"):
            return  # disabling is refused by its own rule here (an unpaid invoice), and the profile is active
        assert state(world) != before, "an allowed action must have its effect"


def test_a_grant_on_one_profile_gives_nothing_on_its_sibling(client, world):
    user = UserFactory()
    grant(user, Role.OWNER, world["sibling"])
    client.force_login(user)
    assert client.get(reverse("profiles:profile-overview", args=[world["sibling"].pk])).status_code == 200
    assert client.get(reverse("profiles:profile-overview", args=[world["profile"].pk])).status_code == 404
    listing = client.get(reverse("profiles:profile-list")).text
    assert world["sibling"].name in listing and world["profile"].name not in listing


def test_account_roles_cascade_to_every_profile_of_the_account(client, world):
    user = UserFactory()
    grant(user, Role.ACCOUNT_READER, world["profile"].account)
    client.force_login(user)
    for profile in (world["profile"], world["sibling"]):
        page = client.get(reverse("profiles:profile-overview", args=[profile.pk]))
        assert page.status_code == 200 and "Edit details" not in page.text  # read-only: no controls


def test_readers_see_no_controls_and_owners_do(client, world):
    reader, owner = UserFactory(), UserFactory()
    grant(reader, Role.READER, world["profile"])
    grant(owner, Role.OWNER, world["profile"])
    url = reverse("profiles:profile-permissions", args=[world["profile"].pk])
    client.force_login(reader)
    assert "Grant a role" not in client.get(url).text
    client.force_login(owner)
    assert "Grant a role" in client.get(url).text
