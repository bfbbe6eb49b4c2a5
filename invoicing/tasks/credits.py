"""Celery tasks: credits."""

from __future__ import annotations

from celery import shared_task

from billing_admin.core.dates import billing_today
from invoicing.services.credits import credit_lots_expire


@shared_task(name="invoicing.expire_credit_lots", acks_late=True)
def expire_credit_lots_task() -> int:
    return credit_lots_expire(today=billing_today())
