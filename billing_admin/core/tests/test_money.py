from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency, list_currencies

from billing_admin.core.money import (
    _currency_pattern,
    currency_for_country,
    format_money,
    format_unit_price,
    minor_units,
    round_money,
)


@pytest.mark.parametrize(("country", "currency"), [
    ("NL", "EUR"), ("US", "USD"), ("GB", "GBP"), ("JP", "JPY"), ("CH", "CHF"), ("KW", "KWD"), ("de", "EUR")])
def test_currency_comes_from_the_country(country, currency):
    assert currency_for_country(country) == currency


@pytest.mark.parametrize(("currency", "units", "value", "rounded"), [
    ("EUR", 2, "2.345", "2.35"), ("EUR", 2, "2.344", "2.34"), ("EUR", 2, "-2.345", "-2.35"),
    ("JPY", 0, "100.5", "101"), ("JPY", 0, "100.49", "100"),
    ("KWD", 3, "1.2345", "1.235"), ("KWD", 3, "0.0005", "0.001"),
])
def test_rounding_is_half_up_to_the_minor_unit(currency, units, value, rounded):
    assert minor_units(currency) == units
    assert round_money(Decimal(value), currency) == Decimal(rounded)
    assert str(round_money(value, currency)) == rounded


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round_money(0.1, "EUR")


@pytest.mark.parametrize(("amount", "currency", "lang", "text"), [
    ("1234.5", "EUR", "en", "€1,234.50"), ("1234.5", "EUR", "nl", "€\xa01.234,50"),
    ("1234.5", "JPY", "en", "¥1,235"), ("1.2345", "KWD", "en", "KWD1.235"),
])
def test_formatting_follows_the_language(amount, currency, lang, text):
    assert format_money(Decimal(amount), currency, lang) == text


@pytest.mark.parametrize(("amount", "currency", "lang", "text"), [
    ("0.1920", "EUR", "en", "€0.192"), ("3.6730", "EUR", "nl", "€\xa03,673"), ("96.0000", "EUR", "en", "€96.00"),
    ("52.5000", "JPY", "en", "¥52.5"), ("53", "JPY", "en", "¥53"), ("1.2345", "KWD", "en", "KWD1.2345"),
])
def test_unit_prices_keep_their_decimals_and_show_at_least_the_minor_unit(amount, currency, lang, text):
    assert format_unit_price(Decimal(amount), currency, lang) == text


AMOUNTS = ["0", "-0", "-0.00", "0.001", "-0.001", "0.004", "0.005", "-0.005", "0.0005", "0.01", "-0.01", "0.1",
           "0.5", "-0.5", "0.995", "1", "-1", "1.5", "2.345", "-2.345", "9.999", "12.3456", "99.995", "100",
           "-100.5", "999.9995", "1000", "1234.5", "-1234.5", "12345.678", "99999.99", "100000", "-654321.0049",
           "1000000", "1234567.891", "-9876543210.12", "12345678901234.5678", "1E+3", "5E-7", "-0E+2"]


@pytest.mark.parametrize("lang", ["en", "nl", "de_CH", "fr", "hi", "ar"])
def test_money_is_formatted_as_babel_formats_it_for_every_currency(lang):
    """format_money looks Babel's pattern and symbols up once per (currency, language); its text must stay Babel's
    to the character: every currency Babel knows, positive, negative and negative zero, 0 to 4 minor units."""
    locale = Locale.parse(lang)
    for currency in sorted(list_currencies()):
        for text in AMOUNTS:
            expected = format_currency(round_money(Decimal(text), currency), currency, locale=locale,
                                       currency_digits=True)
            assert format_money(Decimal(text), currency, lang) == expected, (currency, text)


def test_the_shortcut_covers_en_and_nl_and_keeps_the_sign_of_negative_zero():
    for lang in ("en", "nl"):
        assert all(_currency_pattern(currency, Locale.parse(lang)) is not None for currency in list_currencies())
    assert format_money(Decimal("-0.001"), "EUR", "en") == "-€0.00"
    assert format_money(Decimal("-1234.5"), "EUR", "nl") == "€\xa0-1.234,50"
    assert format_money(Decimal("-1234.5"), "JPY", "en") == "-¥1,235"
    assert format_money(Decimal("-1234.5"), "KWD", "nl") == "KWD\xa0-1.234,500"
