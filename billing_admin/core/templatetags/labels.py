"""``{{ invoice|choice_label:"status" }}``: what ``invoice.get_status_display`` shows, for tables
(``billing_admin.core.labels``: translated once per field and language, not on every row)."""

from __future__ import annotations

from django import template

from billing_admin.core import labels

register = template.Library()
register.filter("choice_label", labels.choice_label)
