"""The billing period rule: a profile billed on date D gets the closed period from the same day of the
previous month through the day before D."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def billing_period(day: date) -> tuple[date, date]:
    return day - relativedelta(months=1), day - timedelta(days=1)
