"""Country names in the language of a document.

Addresses are free text, and most end with the country's name ("Netherlands"). A Dutch invoice
must print it in Dutch ("Nederland"): where an address's last line names a country (in English,
Dutch or a common short form), it is printed with django-countries' name in the document's
language. A line already naming the country in that language is left as typed; any other last
line (a postcode, a city) is left alone.
"""

from __future__ import annotations

import functools

from django.utils import translation
from django_countries import countries

NAME_LANGUAGES = ("en", "nl")
# Short forms people type that are not django-countries' names.
COMMON_NAMES = {
    "the netherlands": "NL", "holland": "NL", "united states": "US", "usa": "US", "u.s.a.": "US",
    "uk": "GB", "great britain": "GB", "south korea": "KR",
}


def _named_in(line: str) -> tuple[str, frozenset[str]]:
    """The country code a line names, and the languages in which it is named that way."""
    return _text_names(line.strip().lower())


@functools.lru_cache(maxsize=4096)
def _text_names(text: str) -> tuple[str, frozenset[str]]:
    """Remembered per process: a lookup goes through every country's name in each language (~2 ms), and
    the invoice run asks for the same seller, account and profile address lines again and again."""
    if code := COMMON_NAMES.get(text):
        return code, frozenset({"en"})
    found: dict[str, set[str]] = {}
    for language in NAME_LANGUAGES:
        if code := countries.by_name(text, language=language):
            found.setdefault(code, set()).add(language)
    if len(found) != 1:  # none, or a name that means two countries in two languages
        return "", frozenset()
    code, languages = next(iter(found.items()))
    return code, frozenset(languages)


def address_in_language(address: str, language: str) -> str:
    """``address`` with its last line, where it names a country, as that country's name in ``language``."""
    lines = address.rstrip().splitlines()
    if not lines:
        return address
    code, named_in = _named_in(lines[-1])
    if not code or language in named_in:
        return address.rstrip()
    with translation.override(language):
        lines[-1] = str(countries.name(code))
    return "\n".join(lines)
