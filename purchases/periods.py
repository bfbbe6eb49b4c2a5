"""Subscription periods follow the profile's billing period: from its invoice day to the day before
the next one, so each month's charge lands whole on one invoice. A part of a period (the first,
bought mid-period, or the last, after a change of invoice day) is prorated by day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from billing_admin.core.money import round_money, to_decimal


def billing_cycle(day: date, invoice_day: int) -> tuple[date, date]:
    """The profile's billing period that contains ``day`` (invoice day 1: the calendar month)."""
    start = day.replace(day=invoice_day) if day.day >= invoice_day else (
        day - relativedelta(months=1)).replace(day=invoice_day)
    return start, start + relativedelta(months=1) - timedelta(days=1)


def days(start: date, end: date) -> int:
    return (end - start).days + 1


def prorated_amount(*, monthly: Decimal, quantity: Decimal, start: date, end: date, currency: str,
                    invoice_day: int) -> tuple[Decimal, int, int]:
    """(amount, days charged, days in the period) for ``start``–``end`` within one billing period,
    rounded half-up once, at the end, to the currency's minor unit."""
    cycle_start, cycle_end = billing_cycle(start, invoice_day)
    charged, whole = days(start, min(end, cycle_end)), days(cycle_start, cycle_end)
    exact = to_decimal(monthly) * to_decimal(quantity) * Decimal(charged) / Decimal(whole)
    return round_money(exact, currency), charged, whole
