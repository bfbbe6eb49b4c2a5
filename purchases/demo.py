"""Demo data of the purchases app (called by ``seed_demo``): a small catalogue priced in EUR, USD,
JPY and KWD, an account with no profile yet (its first purchase creates one) and a subscription."""

from __future__ import annotations

from profiles.models import BillingProfile
from profiles.services.profiles import account_create
from purchases.models import Product
from purchases.services.catalogue import price_set, product_create
from purchases.services.purchases import purchase_key_issue, purchase_make

CATALOGUE = [
    # sku, name, description, unit name, quantities, billing, {currency: price}
    ("M365-BP", "Microsoft 365 Business Premium", "Office apps, Teams, Intune and Defender for business.",
     "user", Product.Unit.WHOLE, Product.Billing.MONTHLY,
     {"EUR": "20.60", "USD": "22.00", "JPY": "3298", "KWD": "6.750"}),
    ("TEAMS-PREM", "Teams Premium", "Intelligent recaps, webinars and advanced meeting protection.",
     "user", Product.Unit.WHOLE, Product.Billing.MONTHLY,
     {"EUR": "9.40", "USD": "10.00", "JPY": "1499", "KWD": "3.075"}),
    ("AZ-RES-D4S", "Azure Reserved VM D4s v5 (1 year)", "A year's reservation of one D4s v5 virtual machine.",
     "VM", Product.Unit.WHOLE, Product.Billing.ONE_TIME,
     {"EUR": "1175.00", "USD": "1252.00", "JPY": "187500", "KWD": "384.500"}),
    ("AZ-BACKUP-TB", "Azure Backup storage", "Prepaid backup storage, per terabyte.",
     "TB", Product.Unit.FRACTIONAL, Product.Billing.ONE_TIME,
     {"EUR": "45.00", "USD": "48.00", "JPY": "7200"}),  # no KWD price: the page says so
    ("SUPPORT-PRO", "Professional Direct support", "Faster answers from support engineers, per month.",
     "plan", Product.Unit.WHOLE, Product.Billing.MONTHLY, {"EUR": "935.00", "USD": "1000.00"}),
]


def seed_purchases(*, users: dict) -> None:
    """Registered with ``invoicing.hooks.register_demo_seeder``; ``users`` by e-mail name."""
    support, account_owner = users["support"], users["account-owner"]
    for sku, name, description, unit_name, unit, billing, prices in CATALOGUE:
        product = product_create(actor=support, sku=sku, name=name, description=description, unit_name=unit_name,
                                 unit=unit, billing=billing)
        for currency, amount in prices.items():
            price_set(actor=support, product=product, currency=currency, unit_price=amount)
    # An account without a profile: its first purchase creates the default profile (try it in KWD).
    account_create(actor=None, name="Northwind Traders K.S.C.", country="KW", tax_rate=0,
                   sold_to_address="Al Hamra Tower, floor 42\nSharq, Kuwait City\nKuwait", owner=account_owner)
    sales = BillingProfile.objects.get(name="Contoso Sales")
    purchase_make(actor=account_owner, product=Product.objects.get(sku="TEAMS-PREM"), quantity=8, profile=sales,
                  purchase_key=purchase_key_issue(user=account_owner))
