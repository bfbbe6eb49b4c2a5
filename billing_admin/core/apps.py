from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "billing_admin.core"
    label = "core"
    verbose_name = "Users"

    def ready(self):
        from billing_admin.core.permissions import support_groups_sync

        # The support groups follow the table in the permission module after every migrate.
        post_migrate.connect(support_groups_sync, sender=self, dispatch_uid="support_groups_sync")
