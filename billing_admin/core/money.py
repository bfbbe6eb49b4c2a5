"""Money: currencies, rounding and formatting live here and nowhere else.

Amounts are ``Decimal`` from the form to the PDF. Rounding is half-up to the currency's minor
unit (JPY 0, EUR 2, KWD 3), as Babel's CLDR data says.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_territory_currencies,
    list_currencies,
)
from django.utils import timezone, translation

ZERO = Decimal("0")


class UnknownCurrency(ValueError):
    pass


def currency_for_country(country_code: str) -> str:
    """The legal-tender currency in use in a country today (NL→EUR, US→USD, JP→JPY ...)."""
    code = str(country_code or "").upper()
    currencies = get_territory_currencies(code, date.today(), tender=True)
    if not currencies:
        raise UnknownCurrency(f"No currency is known for country {code!r}.")
    return currencies[0]


def is_known_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows (EUR, USD, JPY, KWD ...)."""
    return bool(code) and code in list_currencies()


def minor_units(currency: str) -> int:
    return get_currency_precision(currency)


@functools.lru_cache(maxsize=512)
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("Money must never pass through float; use Decimal or str.")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {value!r}") from exc


def round_money(amount, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def _locale(language: str | None = None) -> Locale:
    return _parsed_locale((language or translation.get_language() or "en").replace("-", "_"))


@functools.lru_cache(maxsize=64)
def _parsed_locale(lang: str) -> Locale:
    """Babel's locale, parsed once per language and process (an invoice formats ~100 amounts and dates)."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_money(amount, currency: str, language: str | None = None) -> str:
    """Format an amount for display, e.g. € 1.234,50 (nl) or €1,234.50 (en)."""
    if amount is None:
        return ""
    return _format_money(str(round_money(amount, currency)), currency, _locale(language))


@functools.lru_cache(maxsize=8192)
def _format_money(value: str, currency: str, locale: Locale) -> str:
    """Babel's text for a rounded amount, remembered per process like days are: pages, charts and invoices print
    the same amounts again and again (an account chart ~100 on every view, 14 us each). Keyed by the amount's
    text, not the Decimal: -0.00 equals 0.00, but Babel prints it with its sign."""
    return format_currency(Decimal(value), currency, locale=locale, currency_digits=True)


def format_unit_price(amount, currency: str, language: str | None = None) -> str:
    """A unit price as agreed, never rounded to the minor unit: €0.192, ¥52.5, €3.00.

    Unit prices may carry more decimals than the currency (per-hour and per-GB prices do); rounding
    them for display would print lines whose quantity × unit price is not their amount.
    """
    if amount is None:
        return ""
    return _format_unit_price(str(to_decimal(amount).normalize()), currency, _locale(language))


@functools.lru_cache(maxsize=8192)
def _format_unit_price(value: str, currency: str, locale: Locale) -> str:
    """Remembered per process as amounts are (``_format_money``): a price list's prices recur on every invoice."""
    return format_currency(Decimal(value), currency, locale=locale, currency_digits=True, decimal_quantization=False)


def format_quantity(value, language: str | None = None) -> str:
    return _format_quantity(str(to_decimal(value).normalize()), _locale(language))


@functools.lru_cache(maxsize=8192)
def _format_quantity(value: str, locale: Locale) -> str:
    return format_decimal(Decimal(value), locale=locale)


def format_day(value: date | None, language: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _format_day(value, _locale(language), fmt)


@functools.lru_cache(maxsize=4096)
def _format_day(value: date, locale: Locale, fmt: str) -> str:
    """Remembered per process: an invoice prints the same few days (its period, its lines' service periods)
    dozens of times."""
    return babel_format_date(value, format=fmt, locale=locale)


def format_moment(value, language: str | None = None) -> str:
    """A point in time (aware datetime) in the active time zone: e.g. 25 Nov 2026, 16:05."""
    if value is None:
        return ""
    return format_datetime(timezone.localtime(value), format="medium", locale=_locale(language))
