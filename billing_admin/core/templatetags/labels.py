"""``{{ invoice|choice_label:"status" }}``: what ``invoice.get_status_display`` shows, for tables.

Django's ``get_FOO_display()`` rebuilds a dict of the field's choices on every call, hashing (and so
translating) every lazy label; a table of 25 rows with a status column pays that 25 times. Here the labels
are translated once per model field and language in the process.
"""

from __future__ import annotations

import functools

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def choice_label(obj, field_name: str) -> str:
    value = getattr(obj, field_name)
    return _labels(type(obj), field_name, translation.get_language()).get(value, str(value))


@functools.lru_cache(maxsize=256)
def _labels(model, field_name: str, language: str | None) -> dict:
    """The field's choices as {value: label in ``language``} (which is the active language: the key only)."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}
