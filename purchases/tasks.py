"""Celery tasks of the purchases app. Thin: one service call, safe to run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from purchases.services.subscriptions import subscriptions_charge_due


@shared_task(name="purchases.charge_subscriptions", acks_late=True)
def charge_subscriptions_task(day: str | None = None) -> int:
    """Daily: charge every subscription's periods that have started (the invoice run catches up too)."""
    return subscriptions_charge_due(today=date.fromisoformat(day) if day else None)
