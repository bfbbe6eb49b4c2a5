"""Money: currencies, rounding and formatting live here and nowhere else.

Amounts are ``Decimal`` from the form to the PDF. Rounding is half-up to the currency's minor
unit (JPY 0, EUR 2, KWD 3), as Babel's CLDR data says.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
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
    """Format an amount for display, e.g. € 1.234,50 (nl) or €1,234.50 (en).

    The text is Babel's ``format_currency(round_money(amount), currency, locale, currency_digits=True)``,
    character for character, but the locale's pattern, symbols and the currency's digits are looked up once
    per (currency, language) instead of on every call (a chart formats a hundred amounts per request)."""
    if amount is None:
        return ""
    value = round_money(amount, currency)
    locale = _locale(language)
    pattern = _currency_pattern(currency, locale)
    if pattern is None or not value.is_finite():
        return format_currency(value, currency, locale=locale, currency_digits=True)
    return pattern.apply(value)


_QUOTED = re.compile(r"'([^']*)'")


def _unquote(text: str) -> str:
    """What Babel does to the text around the number: 'quoted' literals lose their quotes, '' is one quote."""
    return _QUOTED.sub(lambda m: m.group(1) or "'", text)


@dataclass(frozen=True)
class _CurrencyPattern:
    """A locale's standard currency pattern for one currency, with the symbol put in place: the steps of
    Babel's ``NumberPattern.apply`` for a plain ``#,##0.00``-like pattern and the currency's own digits."""

    prefix: tuple[str, str]  # (positive, negative)
    suffix: tuple[str, str]
    scale: int
    quantum: Decimal
    digits: int
    min_int: int
    grouping: tuple[int, int]
    group: str
    decimal: str

    def apply(self, value: Decimal) -> str:
        value = value.scaleb(self.scale)
        negative = int(value.is_signed())  # -0.00 too, as Babel
        value = abs(value).normalize()
        integer, _point, fraction = f"{value.quantize(self.quantum):f}".partition(".")
        if len(integer) < self.min_int:
            integer = "0" * (self.min_int - len(integer)) + integer
        size, grouped = self.grouping[0], ""
        while len(integer) > size:
            grouped = self.group + integer[-size:] + grouped
            integer = integer[:-size]
            size = self.grouping[1]
        number = integer + grouped
        if self.digits:
            number += self.decimal + fraction.ljust(self.digits, "0")
        return self.prefix[negative] + number + self.suffix[negative]


@functools.lru_cache(maxsize=2048)
def _currency_pattern(currency: str, locale: Locale) -> _CurrencyPattern | None:
    """The pattern of ``currency`` in ``locale``, or None where the shortcut would not give Babel's text to
    the character (scientific or significant-digit patterns, the currency's long name, which depends on the
    amount, quotes or currency signs in the locale's number symbols): those go through Babel every time."""
    pattern = locale.currency_formats["standard"]
    group, decimal_sign = get_group_symbol(locale), get_decimal_symbol(locale)
    symbol = get_currency_symbol(currency, locale)
    affixes = [*pattern.prefix, *pattern.suffix]
    if (pattern.exp_prec or "@" in pattern.pattern or not pattern.number_pattern
            or any("¤¤¤" in text for text in affixes)
            or any(sign in text for text in (group, decimal_sign) for sign in ("'", "¤"))):
        return None

    def put_symbol(text: str) -> str:
        if "¤" not in text:
            return text
        return text.replace("¤¤", currency.upper()).replace("¤", symbol)

    placed = [put_symbol(text) for text in affixes]
    if any(text.count("'") % 2 for text in placed):  # a quote Babel would pair across the number
        return None
    prefix, suffix = [_unquote(text) for text in placed[:2]], [_unquote(text) for text in placed[2:]]
    digits = get_currency_precision(currency)
    return _CurrencyPattern(prefix=(prefix[0], prefix[1]), suffix=(suffix[0], suffix[1]), scale=pattern.scale,
                            quantum=Decimal(1).scaleb(-digits), digits=digits, min_int=pattern.int_prec[0],
                            grouping=pattern.grouping, group=group, decimal=decimal_sign)


def format_unit_price(amount, currency: str, language: str | None = None) -> str:
    """A unit price as agreed, never rounded to the minor unit: €0.192, ¥52.5, €3.00.

    Unit prices may carry more decimals than the currency (per-hour and per-GB prices do); rounding
    them for display would print lines whose quantity × unit price is not their amount.
    """
    if amount is None:
        return ""
    value = to_decimal(amount).normalize()
    return format_currency(value, currency, locale=_locale(language), currency_digits=True,
                           decimal_quantization=False)


def format_quantity(value, language: str | None = None) -> str:
    return format_decimal(to_decimal(value).normalize(), locale=_locale(language))


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
