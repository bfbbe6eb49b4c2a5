from django import template

from billing_admin.core import money as money_lib

register = template.Library()


@register.simple_tag
def money(amount, currency, language=None):
    """{% money invoice.total invoice.currency %} → formatted for the active language."""
    return money_lib.format_money(amount, currency, language)


@register.filter
def day(value, fmt="medium"):
    return money_lib.format_day(value, fmt=fmt)


@register.simple_tag
def unit_price(amount, currency):
    """{% unit_price line.unit_price line.currency %}: as agreed, never rounded to the minor unit."""
    return money_lib.format_unit_price(amount, currency)


@register.filter
def quantity(value):
    return money_lib.format_quantity(value) if value is not None else ""


@register.filter
def moment(value):
    return money_lib.format_moment(value)
