"""ActivityEvent moved from profiles to core: a database with activity rows keeps them, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0001_initial"), ("profiles", "0002_po_number_characters")]
AFTER = [("core", "0002_activity_event_from_profiles"), ("profiles", "0003_activity_event_moves_to_core")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_and_its_content_type_and_can_be_undone():
    old = _migrate(BEFORE)
    User = old.get_model("core", "User")
    Account = old.get_model("profiles", "BillingAccount")
    ContentType = old.get_model("contenttypes", "ContentType")
    OldEvent = old.get_model("profiles", "ActivityEvent")
    actor = User.objects.create(email="pat@example.com")
    account = Account.objects.create(name="Contoso", country="NL", sold_to_address="x")
    target = ContentType.objects.get_or_create(app_label="profiles", model="billingaccount")[0]
    ContentType.objects.get_or_create(app_label="profiles", model="activityevent")
    OldEvent.objects.create(actor=actor, actor_label=actor.email, verb="account.created", target_type=target,
                            target_id=str(account.pk), target_repr="Contoso", account=account,
                            changes={"name": "Contoso"})
    try:
        new = _migrate(AFTER)
        event = new.get_model("core", "ActivityEvent").objects.get()
        assert (event.verb, event.actor_id, event.account_id, event.changes) == (
            "account.created", actor.pk, account.pk, {"name": "Contoso"})
        content_types = new.get_model("contenttypes", "ContentType").objects
        assert content_types.filter(app_label="core", model="activityevent").exists()
        assert not content_types.filter(app_label="profiles", model="activityevent").exists()

        back = _migrate(BEFORE)
        assert back.get_model("profiles", "ActivityEvent").objects.get().verb == "account.created"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
