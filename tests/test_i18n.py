"""Every string a user can see has a Dutch translation that Django actually uses.

A fuzzy entry is ignored by gettext (the page shows English), so it counts as missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
SOURCES = ("billing_admin", "profiles", "invoicing", "templates", "manage.py")


def _entries(po_text: str) -> list[dict]:
    """Minimal .po reader: msgid, msgstr (first plural form) and flags of each entry."""
    entries, current, field = [], None, None
    for raw in po_text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current and current.get("msgid"):
                entries.append(current)
            current, field = None, None
            continue
        current = current or {"flags": "", "msgid": "", "msgstr": ""}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ")):
            field = "msgid" if line.startswith("msgid ") else None
            if field:
                current["msgid"] += line.split(" ", 1)[1][1:-1]
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            field = "msgstr"
            current["msgstr"] += line.split(" ", 1)[1][1:-1]
        elif line.startswith("msgstr["):
            field = None
        elif line.startswith('"') and field:
            current[field] += line[1:-1]
    return entries


def test_the_dutch_catalogue_has_no_fuzzy_or_empty_translation():
    bad = [e["msgid"] for e in _entries(PO.read_text()) if "fuzzy" in e["flags"] or not e["msgstr"]]
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
    known = {e["msgid"] for e in _entries(PO.read_text())}
    extracted = _entries((copy / "locale" / "nl" / "LC_MESSAGES" / "django.po").read_text())
    missing = sorted({e["msgid"] for e in extracted} - known)
    fuzzy = sorted(e["msgid"] for e in extracted if "fuzzy" in e["flags"])
    assert (missing, fuzzy) == ([], []), "run `manage.py makemessages -l nl`, translate, then compilemessages"


def test_the_compiled_catalogue_is_in_use():
    with translation.override("nl"):
        assert translation.gettext("Billing profiles") == "Factuurprofielen"
        assert translation.gettext("Record one payment at a time.") == "Registreer één betaling tegelijk."


@pytest.mark.django_db
def test_the_htmx_error_toast_speaks_the_users_language(client, user):
    """static/js/app.js shows these words when htmx gets a 403/404/5xx; they come from the page."""
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/billing/profiles/"})
    page = client.get("/billing/profiles/").text
    assert 'data-error-403="Dit mag u niet doen."' in page
    assert 'data-error-404="Niet gevonden. Misschien is het verwijderd."' in page
    assert 'data-error-other="Er ging iets mis. Probeer het opnieuw."' in page
