"""Writing the activity log: called by services inside their transaction."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from billing_admin.core.models import ActivityEvent


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def snapshot(obj, fields: list[str]) -> dict:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def event(*, actor, verb: str, target, changes: dict | None = None, profile=None, account=None) -> ActivityEvent:
    """One ActivityEvent, not yet written (``record`` writes one, ``record_all`` several in one INSERT).
    ``actor`` None means a task or the system.

    The scope comes from the target when not given: the target itself when it is a profile
    (an account), else its ``profile``, and that profile's account; a target that holds both ids
    (an invoice: the account it was issued under, its profile's account) gives them without a query.
    """
    profile_model = ActivityEvent._meta.get_field("profile").related_model
    account_model = ActivityEvent._meta.get_field("account").related_model
    scope = {}
    if profile is None and account is None and getattr(target, "profile_id", None) \
            and getattr(target, "account_id", None) and not isinstance(target, profile_model):
        # A target that names its profile and that profile's account (an invoice): their ids, neither row loaded.
        scope = {"profile_id": target.profile_id, "account_id": target.account_id}
    elif profile is None:
        profile = target if isinstance(target, profile_model) else getattr(target, "profile", None)
    if account is None and not scope:
        if isinstance(target, account_model):
            account = target
        elif profile is not None:
            account = profile.account
    label = ""
    if actor is not None:
        label = getattr(actor, "email", "") or str(actor)
    return ActivityEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label or "system",
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        **(scope or {"profile": profile, "account": account}),
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
    )


def record(*, actor, verb: str, target, changes: dict | None = None, profile=None, account=None) -> ActivityEvent:
    """Write one ActivityEvent (see ``event``)."""
    written = event(actor=actor, verb=verb, target=target, changes=changes, profile=profile, account=account)
    written.save(force_insert=True)
    return written


def record_all(events: list[ActivityEvent]) -> None:
    """Write the events of one change in one INSERT, in their order (``created`` as each was made)."""
    ActivityEvent.objects.bulk_create(events)


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value) or "—"
    return str(value)


def describe_changes(changes: dict | None) -> list[str]:
    """An event's changes for a person: ``field: before → after`` per changed field, ``field: value``
    for what was simply recorded (an e-mail added, a reason)."""
    lines = []
    for field, value in (changes or {}).items():
        if isinstance(value, (list, tuple)) and len(value) == 2 and not field.endswith(("to", "recipients")):
            lines.append(f"{field}: {_shown(value[0])} → {_shown(value[1])}")
        else:
            lines.append(f"{field}: {_shown(value)}")
    return lines
