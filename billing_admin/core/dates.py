"""The billing date: one calendar for every date rule of the product.

Credit expiry, the invoice run and past-due marking all count in UTC dates (the daily tasks run
at a fixed UTC hour), so the pages and services use the same date, whatever the server's local
time zone or ``TIME_ZONE`` say.
"""

from __future__ import annotations

from datetime import UTC, date

from django.utils import timezone


def billing_today() -> date:
    return timezone.now().astimezone(UTC).date()
