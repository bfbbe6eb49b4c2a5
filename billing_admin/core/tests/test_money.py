from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal

from billing_admin.core.money import (
    currency_for_country,
    format_money,
    format_quantity,
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


def test_remembered_amounts_are_babels_text_and_negative_zero_keeps_its_sign():
    """Formatted amounts are remembered per process; an amount equal to one formatted before but written
    differently (-0.00 and 0.00 are equal Decimals) still gets Babel's own text for it."""
    for amount, lang in (("0", "en"), ("-0.001", "en"), ("-0", "nl"), ("0.00", "nl"), ("1234.5", "nl")):
        value = round_money(Decimal(amount), "EUR")
        expected = format_currency(value, "EUR", locale=lang, currency_digits=True)
        assert format_money(Decimal(amount), "EUR", lang) == expected
        assert format_money(Decimal(amount), "EUR", lang) == expected  # the remembered text, the same
    assert format_money(Decimal("-0.001"), "EUR", "en") != format_money(Decimal("0"), "EUR", "en")


def test_remembered_unit_prices_and_quantities_are_babels_text_for_each_language():
    """Unit prices and quantities are remembered per process too, keyed by the language as well: the same
    value asked for in English and in Dutch (and written as 100, 100.00 or 1E+2) gets each language's text."""
    for value in ("100", "100.00", "1E+2", "0.1920", "-0", "0", "1234.5"):
        for lang in ("en", "nl", "en"):
            normal = Decimal(value).normalize()
            assert format_unit_price(Decimal(value), "EUR", lang) == format_currency(
                normal, "EUR", locale=lang, currency_digits=True, decimal_quantization=False)
            assert format_quantity(Decimal(value), lang) == format_decimal(normal, locale=lang)
    assert format_quantity(Decimal("1234.5"), "nl") == "1.234,5" != format_quantity(Decimal("1234.5"), "en")
