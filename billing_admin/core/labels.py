"""A model field's choice labels in the active language, looked up once per field and language.

Django's ``get_FOO_display()`` rebuilds a dict of the field's choices on every call, hashing (and so
translating) every lazy label; a table or an export of hundreds of rows pays that on each row. Here the labels
are translated once per model field and language in the process.
"""

from __future__ import annotations

import functools

from django.utils import translation


def choice_labels(model, field_name: str) -> dict:
    """``{value: label}`` of ``model``'s ``field_name`` choices, in the active language."""
    return _labels(model, field_name, translation.get_language())


def choice_label(obj, field_name: str) -> str:
    """What ``obj.get_<field_name>_display()`` shows."""
    value = getattr(obj, field_name)
    return choice_labels(type(obj), field_name).get(value, str(value))


@functools.lru_cache(maxsize=256)
def _labels(model, field_name: str, language: str | None) -> dict:
    """The field's choices as {value: label in ``language``} (which is the active language: the key only)."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}
