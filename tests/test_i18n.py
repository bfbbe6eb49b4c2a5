"""Every string a user can see has a Dutch translation that Django actually uses.

A fuzzy entry is ignored by gettext (the page shows English), so it counts as missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

from conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
SOURCES = ("billing_admin", "profiles", "invoicing", "purchases", "templates", "manage.py")


def _entries(path: Path) -> list[dict]:
    """msgid, msgstr (first plural form), context and fuzzy flag of each entry, read with Babel."""
    with path.open("rb") as f:
        catalog = read_po(f)
    entries = []
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        msgstr = message.string[0] if isinstance(message.string, tuple | list) else message.string
        entries.append({"msgid": msgid, "msgstr": msgstr or "", "context": message.context,
                        "plural": isinstance(message.id, tuple | list), "fuzzy": message.fuzzy})
    return entries


def test_the_dutch_catalogue_has_no_fuzzy_or_empty_translation():
    bad = [e["msgid"] for e in _entries(PO) if e["fuzzy"] or not e["msgstr"]]
    assert bad == [], f"untranslated or fuzzy in {PO.name}: {bad}"


def test_every_marked_string_is_in_the_dutch_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("CI must check the translations: install gettext")
        pytest.skip("gettext (xgettext) is not installed")
    copy = tmp_path / "src"
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        else:
            shutil.copy(src, copy / name)
    shutil.copytree(ROOT / "locale", copy / "locale")
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-location"], cwd=copy,
                   check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "DEBUG": "true"})
    known = {e["msgid"] for e in _entries(PO)}
    extracted = _entries(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")
    missing = sorted({e["msgid"] for e in extracted} - known)
    fuzzy = sorted(e["msgid"] for e in extracted if e["fuzzy"])
    assert (missing, fuzzy) == ([], []), "run `manage.py makemessages -l nl`, translate, then compilemessages"


def test_the_compiled_catalogue_says_what_the_po_file_says():
    """A .mo compiled before the last .po edit shows those strings in English: every entry must match."""
    stale = []
    with translation.override("nl"):
        for e in _entries(PO):
            if e["plural"]:
                continue
            got = translation.pgettext(e["context"], e["msgid"]) if e["context"] else translation.gettext(e["msgid"])
            if got != e["msgstr"]:
                stale.append(e["msgid"])
    assert stale == [], f"recompile the catalogue (manage.py compilemessages): {stale[:5]}"


@pytest.mark.django_db
def test_the_htmx_error_toast_speaks_the_users_language(client, user):
    """static/js/app.js shows these words when htmx gets a 403/404/5xx; they come from the page."""
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/billing/profiles/"})
    page = client.get("/billing/profiles/").text
    assert 'data-error-403="Dit mag u niet doen."' in page
    assert 'data-error-404="Niet gevonden. Misschien is het verwijderd."' in page
    assert 'data-error-other="Er ging iets mis. Probeer het opnieuw."' in page
