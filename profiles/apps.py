from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Billing accounts and profiles")

    def ready(self):
        from profiles.activity_view import register_own_labels
        from profiles.permissions import register_scopes
        from profiles.tabs import register_own_tabs

        register_scopes()
        register_own_tabs()
        register_own_labels()
