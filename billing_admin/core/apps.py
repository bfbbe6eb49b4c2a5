from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "billing_admin.core"
    label = "core"
    verbose_name = "Users"
