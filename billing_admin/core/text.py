"""Free text from people: how long it may be and which characters it may hold.

Every free-text field has a maximum in three places: the model (a validator, and a database
constraint where the column has no length of its own), the form (``maxlength``) and the service
(a ``ValidationError`` naming the field, never a silent cut). An address is at most
``ADDRESS_MAX_LENGTH`` characters on ``ADDRESS_MAX_LINES`` lines: enough for any postal address,
and an invoice stays one page.

NUL and the other control characters (except tab and line breaks) have no place in any text a
person types; PostgreSQL cannot even store NUL. ``NoControlCharactersMiddleware`` answers a request
carrying one with a 400 page that says so; ``validate_no_control_characters`` guards the models.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.template.response import TemplateResponse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

ADDRESS_MAX_LENGTH = 500
ADDRESS_MAX_LINES = 10
NAME_MAX_LENGTH = 120
REASON_MAX_LENGTH = 200
REFERENCE_MAX_LENGTH = 80

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def validate_no_control_characters(value) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(_("Remove the control characters (such as NUL) from this text."),
                              code="control_characters")


@deconstructible
class MaxLinesValidator:
    """At most ``limit`` lines (an address printed on an invoice)."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value) -> None:
        if isinstance(value, str) and len(value.splitlines()) > self.limit:
            raise ValidationError(
                ngettext_lazy("Use at most %(limit)d line.", "Use at most %(limit)d lines.", "limit"),
                code="max_lines", params={"limit": self.limit})

    def __eq__(self, other) -> bool:
        return isinstance(other, MaxLinesValidator) and other.limit == self.limit


def address_validators() -> list:
    """For an address ``TextField`` (with ``max_length=ADDRESS_MAX_LENGTH`` for the form)."""
    return [MaxLengthValidator(ADDRESS_MAX_LENGTH), MaxLinesValidator(ADDRESS_MAX_LINES),
            validate_no_control_characters]


def clean_text(value, *, field: str, max_length: int, required_message: str | None = None) -> str:
    """The stripped text, or a ValidationError on ``field`` when it is too long, holds control
    characters or (with ``required_message``) is empty. Services use it; nothing is cut silently."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required_message and not text:
        raise ValidationError({field: required_message})
    if len(text) > max_length:
        raise ValidationError({field: _("Use at most %(limit)d characters (this has %(length)d).")
                               % {"limit": max_length, "length": len(text)}})
    if has_control_characters(text):
        raise ValidationError({field: _("Remove the control characters (such as NUL) from this text.")})
    return text


def _values(querydict):
    for key, values in querydict.lists():
        yield key
        yield from values


class NoControlCharactersMiddleware:
    """A query parameter or form field with NUL or another control character gets a 400 page
    that says what is wrong, before any view or database sees it (PostgreSQL refuses NUL, which
    would otherwise be a server error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            suspicious = any(has_control_characters(v) for v in _values(request.GET)) or (
                request.method == "POST" and any(has_control_characters(v) for v in _values(request.POST)
                                                 if isinstance(v, str)))
        except Exception:  # noqa: BLE001 - an unreadable body is Django's to answer (400), not ours
            suspicious = False
        if suspicious or has_control_characters(request.path):
            response = TemplateResponse(request, "400.html", {"reason": _(
                "The request contains control characters (such as a NUL byte) that no text here may "
                "hold. Remove them and try again.")}, status=400)
            return response.render()
        return self.get_response(request)
