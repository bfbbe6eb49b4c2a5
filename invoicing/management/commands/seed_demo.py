"""Idempotent demo data: accounts in EUR, USD and JPY, profiles, a user for every role, payment
methods of each kind, charges, credits with a history, and real past invoices (PDFs and e-mails)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing_admin.core.permissions import SUPPORT_GROUP, SUPPORT_READ_ONLY_GROUP, support_groups_sync
from invoicing.hooks import run_demo_seeders
from invoicing.models import CreditTransaction, Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.invoices import billing_run
from invoicing.services.payments import invoices_mark_past_due, payment_record_transfer
from profiles.models import BillingAccount, InvoiceRecipient, Role
from profiles.services.payment_methods import (
    payment_method_add_bank_account,
    payment_method_add_card,
    payment_method_add_wire_transfer,
)
from profiles.services.profiles import account_create, profile_create
from profiles.services.roles import role_grant

PASSWORD = "demo-pass-2026"
USERS = [
    ("account-owner@example.com", "Anna", "Accountowner",
     "account owner of Contoso Nederland B.V., Fabrikam and Northwind (no profile yet: buy to create one)"),
    ("owner@example.com", "Olaf", "Owner", "owner of the profile Contoso Marketing"),
    ("contributor@example.com", "Carla", "Contributor", "contributor on Contoso Marketing"),
    ("reader@example.com", "Ruben", "Reader", "reader on Contoso Marketing"),
    ("invoice-manager@example.com", "Ines", "Invoicemanager", "invoice manager on Contoso Marketing"),
    ("support@example.com", "Sam", "Support", "support engineer (group Support): the Django admin at /admin/"),
    ("support-readonly@example.com", "Rita", "Readonly", "read-only support engineer: sees the admin, changes nothing"),
]
# Which support group each support user is in (the groups are declared in the permission module).
SUPPORT_USERS = {"support@example.com": SUPPORT_GROUP, "support-readonly@example.com": SUPPORT_READ_ONLY_GROUP}
MARKER_ACCOUNT = "Contoso Nederland B.V."


class Command(BaseCommand):
    help = "Create the demo data (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        if BillingAccount.objects.filter(name=MARKER_ACCOUNT).exists():
            self.stdout.write("Demo data is already present; nothing changed.")
        else:
            with transaction.atomic():
                self.seed()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(f"\nSign in at http://127.0.0.1:8000/ with password {PASSWORD!r} as:")
        for email, _first, _last, what in USERS:
            self.stdout.write(f"  {email:32} {what}")

    def users(self):
        User = get_user_model()
        support_groups_sync()
        users = {}
        for email, first, last, _what in USERS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=PASSWORD, first_name=first, last_name=last)
            if email in SUPPORT_USERS:  # staff, but no superuser: their group says what they may do
                user.is_staff = True
                user.save(update_fields=["is_staff"])
                user.groups.set([Group.objects.get(name=SUPPORT_USERS[email])])
            users[email.split("@")[0]] = user
        return users

    def seed(self):
        u = self.users()
        today = timezone.now().date()
        first = today.replace(day=1)
        months = [first - relativedelta(months=n) for n in (3, 2, 1)]  # three closed months
        owner = u["account-owner"]

        contoso = account_create(actor=None, name=MARKER_ACCOUNT, country="NL", tax_id="NL123456789B01",
                                 tax_rate=21, sold_to_address="Herengracht 500\n1017 CB Amsterdam\nNetherlands",
                                 owner=owner)
        marketing = profile_create(actor=owner, account=contoso, name="Contoso Marketing", po_number="PO-2026-0042",
                                   bill_to_address="Contoso Marketing\nSingel 250\n1016 AB Amsterdam",
                                   contact_name="Marieke de Vries", contact_email="finance-marketing@contoso.example",
                                   invoice_day=1, is_default=True)
        research = profile_create(actor=owner, account=contoso, name="Contoso R&D", invoice_language="nl",
                                  bill_to_address="Contoso R&D\nKanaalweg 4\n2628 EB Delft",
                                  contact_name="Pieter Jansen", contact_email="rd-finance@contoso.example",
                                  invoice_day=15)
        sales = profile_create(actor=owner, account=contoso, name="Contoso Sales", invoice_email_opt_in=False,
                               bill_to_address="Contoso Sales\nWeena 70\n3012 CM Rotterdam",
                               contact_name="Sanne Bakker", contact_email="sales-admin@contoso.example",
                               invoice_day=1)
        for key, role in (("owner", Role.OWNER), ("contributor", Role.CONTRIBUTOR), ("reader", Role.READER),
                          ("invoice-manager", Role.INVOICE_MANAGER)):
            role_grant(actor=owner, user_email=u[key].email, role=role, profile=marketing)
        InvoiceRecipient.objects.create(profile=marketing, email="accounts-payable@contoso.example")

        payment_method_add_wire_transfer(actor=owner, profile=marketing)
        payment_method_add_card(actor=owner, profile=marketing, number="4242 4242 4242 4242", exp_month=12,
                                exp_year=today.year + 3, cvc="123", holder="Marieke de Vries")
        payment_method_add_bank_account(actor=owner, profile=research, holder="Contoso Nederland B.V.",
                                        iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A")
        payment_method_add_card(actor=owner, profile=sales, number="5555555555554444", exp_month=6,
                                exp_year=today.year + 2, cvc="321", holder="Sanne Bakker")

        credit_lot_add(actor=u["support"], profile=marketing, source="promotional", amount="800",
                       start_date=months[0], expiration_date=today + timedelta(days=20), reference="AZ-PROMO-2026")
        # Expires first, so it pays the first invoice it can; the rest lapses and the ledger says so.
        credit_lot_add(actor=u["support"], profile=marketing, source="goodwill", amount="250",
                       start_date=months[0] + timedelta(days=4), expiration_date=months[1] + timedelta(days=9),
                       reference="CASE-20731")
        credit_lot_add(actor=u["support"], profile=marketing, source="prepayment", amount="2000",
                       start_date=months[1], expiration_date=today + relativedelta(months=9),
                       reference="PO-2026-0042")

        fabrikam = account_create(actor=None, name="Fabrikam, Inc.", country="US", tax_rate="8.25",
                                  sold_to_address="1 Microsoft Way\nRedmond, WA 98052\nUnited States", owner=owner)
        fab_it = profile_create(actor=owner, account=fabrikam, name="Fabrikam IT", po_number="4500012345",
                                bill_to_address="Fabrikam IT\n500 5th Ave\nNew York, NY 10110",
                                contact_name="Jordan Lee", contact_email="ap@fabrikam.example", invoice_day=1)
        payment_method_add_wire_transfer(actor=owner, profile=fab_it)

        tailspin = account_create(actor=None, name="Tailspin Toys K.K.", country="JP", tax_rate=10,
                                  sold_to_address="1-1 Marunouchi\nChiyoda-ku, Tokyo 100-0005\nJapan",
                                  owner=u["support"])
        purchase_record(actor=None, account=tailspin, items=[self.item(months[2], "AZ-VM-D2", "Virtual Machines",
                                                                      "120", "52.5")])

        for month in months:
            end = month + relativedelta(months=1) - timedelta(days=1)
            purchase_record(actor=None, account=contoso, profile=marketing, items=[
                self.item(month, "AZ-VM-D4S", "Azure Virtual Machines D4s v5", "744", "0.192", end=end),
                self.item(month, "AZ-BLOB-HOT", "Blob Storage, hot tier (GB)", "2048", "0.0184", end=end),
                self.item(month, "M365-E3", "Microsoft 365 E3 licences", "25", "36.00", end=end, eligible=False),
            ])
            purchase_record(actor=None, account=contoso, profile=sales, items=[
                self.item(month, "D365-SALES", "Dynamics 365 Sales Enterprise", "8", "95.00", end=end)])
            purchase_record(actor=None, account=fabrikam, profile=fab_it, items=[
                self.item(month, "AZ-SQL-GP", "Azure SQL Database, General Purpose", "744", "0.5044", end=end)])
            research_start = month.replace(day=15)
            purchase_record(actor=None, account=contoso, profile=research, items=[
                self.item(research_start, "AZ-GPU-NC", "GPU compute NC24ads A100 v4", "120", "3.673",
                          end=research_start + relativedelta(months=1) - timedelta(days=1))])
        # This month's usage, not invoiced yet (the estimated credit balance counts it).
        purchase_record(actor=None, account=contoso, profile=marketing, items=[
            self.item(first, "AZ-VM-D4S", "Azure Virtual Machines D4s v5", "500", "0.192", end=today)])

        for month in months[1:] + [first]:
            billing_run(day=month)
            if month.replace(day=15) <= today:
                billing_run(day=month.replace(day=15))
        oldest = Invoice.objects.filter(profile=marketing).order_by("issue_date").first()
        if oldest is not None and oldest.is_open:
            payment_record_transfer(actor=u["support"], invoice=oldest, amount=oldest.amount_due,
                                    reference="NL-BANK-REF-88412")
        invoices_mark_past_due(today=today)
        self.date_the_ledger()
        run_demo_seeders(users=u)  # what higher apps add (the catalogue, a subscription)

    @staticmethod
    def date_the_ledger():
        """Demo only: give each ledger entry the date it would have had (seeding runs in one moment)."""
        for entry in CreditTransaction.objects.select_related("invoice", "lot"):
            if entry.invoice_id:
                day = entry.invoice.issue_date
            elif entry.kind == CreditTransaction.Kind.EXPIRED:
                day = entry.lot.expiration_date + timedelta(days=1)
            else:
                day = entry.lot.start_date
            CreditTransaction.objects.filter(pk=entry.pk).update(
                created=datetime.combine(day, time(2, 0), tzinfo=UTC))

    @staticmethod
    def item(start, product, description, quantity, unit_price, end=None, eligible=True):
        return {"product": product, "description": description, "quantity": quantity, "unit_price": unit_price,
                "service_period_start": start, "service_period_end": end or start + relativedelta(months=1)
                - timedelta(days=1), "credit_eligible": eligible}
