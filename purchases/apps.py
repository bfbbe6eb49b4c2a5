from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    """The catalogue, purchases and subscriptions: layered above invoicing (it records charges there)."""

    name = "purchases"
    verbose_name = _("Catalogue and purchases")

    def ready(self):
        from invoicing.hooks import register_before_invoice, register_demo_seeder
        from purchases import profile_pages
        from purchases.demo import seed_purchases
        from purchases.services.subscriptions import subscriptions_charge_for_invoice

        profile_pages.register()
        register_before_invoice(subscriptions_charge_for_invoice)
        register_demo_seeder(seed_purchases)
