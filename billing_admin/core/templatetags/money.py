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
