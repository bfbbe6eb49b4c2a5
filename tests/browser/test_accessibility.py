"""axe-core on every page and tab, as each role, on a desktop and a phone, in English and Dutch.

No violation of impact serious or critical may remain; the moderate and minor ones are listed in
var/screenshots/axe-report.txt (and printed at the end of the run) so that they can be read and fixed.

To keep the matrix bounded the demo data is seeded once for the module and served by a live server of
this module (the ``live_server`` fixture would empty the database after every test); each (role,
viewport, language) has one browser context, signed in once with a session made on the server side.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings

from invoicing.models import Payment
from profiles.models import BillingProfile, PaymentMethod, RoleAssignment
from tests.browser.checks import portal_pages, sideways_problems, unlabelled_cells
from tests.browser.conftest import SCREENSHOTS

# The database is needed (the test database is set up for it), but only through the module's data: each test's
# own transaction stays empty.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("en", "nl")
ROLES = ("account-owner", "owner", "contributor", "reader", "invoice-manager")
BLOCKING = ("critical", "serious")
REPORT = SCREENSHOTS / "axe-report.txt"


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


class Matrix:
    """What axe found, page by page, and how long it took."""

    def __init__(self):
        self.started = time.monotonic()
        self.cpu_started = time.process_time()  # this process: the live server's threads and the test
        self.checked = []  # (who, viewport, language, page)
        self.skipped = []  # (who, page, status): pages a role may not open
        self.seconds = defaultdict(float)  # page -> seconds spent loading it and running axe, all views together
        self.passed = []  # how many axe rules passed, per page view
        self.review = Counter()  # rule -> elements axe could not decide on ("incomplete": for a person to look at)
        self.review_where = defaultdict(set)  # rule -> {"page: element (why)"}
        self.found = defaultdict(list)  # (impact, rule id, help) -> ["who/viewport/language/page: target", ...]

    def record(self, who, viewport, language, name, violations, passed):
        self.checked.append((who, viewport, language, name))
        self.passed.append(passed)
        for v in violations:
            where = f"{who}/{viewport}/{language}/{name}"
            for node in v["nodes"]:
                self.found[(v["impact"] or "minor", v["id"], v["help"])].append(f"{where}: {' '.join(node['target'])}")

    def blocking(self, who):
        return {key: [w for w in where if w.startswith(f"{who}/")] for key, where in self.found.items()
                if key[0] in BLOCKING and any(w.startswith(f"{who}/") for w in where)}

    def report(self) -> str:
        seconds = time.monotonic() - self.started
        by_impact = Counter()
        for (impact, _, _), where in self.found.items():
            by_impact[impact] += len(where)
        pages = sorted({c[3] for c in self.checked})
        lines = [
            f"axe-core on {len(self.checked)} page views: {len(pages)} pages"
            f" x roles {sorted({c[0] for c in self.checked})}"
            f" x viewports {sorted({c[1] for c in self.checked})} x languages {sorted({c[2] for c in self.checked})}"
            f" in {seconds:.0f} s (load average of the machine: {os.getloadavg()[0]:.1f};"
            f" CPU of the Django server and the test: {time.process_time() - self.cpu_started:.0f} s)",
            "violations (elements) by impact: "
            + ", ".join(f"{impact} {by_impact[impact]}" for impact in ("critical", "serious", "moderate", "minor")),
            f"pages: {', '.join(pages)}",
            f"axe rules passed per page view: {min(self.passed, default=0)} to {max(self.passed, default=0)}",
            "left for a person to review (axe could not decide), elements per rule: "
            + (", ".join(f"{rule} {n}" for rule, n in self.review.most_common()) or "none"),
            "seconds per page (load and axe, all its views): "
            + ", ".join(f"{name} {s:.1f}" for name, s in sorted(self.seconds.items(), key=lambda i: -i[1])),
            "not open to the role (403/404, as designed): "
            + ", ".join(sorted({f'{who}: {name} ({status})' for who, name, status in self.skipped})),
        ]
        for (impact, rule, help_text), where in sorted(self.found.items()):
            lines.append(f"\n[{impact}] {rule}: {help_text} ({len(where)} elements)")
            lines.extend(f"  {w}" for w in sorted(set(where))[:12])
            if len(set(where)) > 12:
                lines.append(f"  ... and {len(set(where)) - 12} more")
        for rule, where in sorted(self.review_where.items()):
            lines.append(f"\n[to review] {rule} ({self.review[rule]} elements)")
            lines.extend(f"  {w}" for w in sorted(where)[:12])
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def seeded(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, seeded once, served by a live server of this module; emptied again at the end."""
    from pytest_django.live_server_helper import LiveServer

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("axe-media"))
    with django_db_blocker.unblock():
        media.enable()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
            sessions = {who: session_cookie(f"{who}@example.com", server.url) for who in ROLES}
            yield server, demo_pages(), Matrix(), sessions, confirm_and_form_pages()
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", verbosity=0, interactive=False)
            connections.close_all()  # else the test database is still in use when pytest-django drops it
            media.disable()


@pytest.fixture(scope="module")
def matrix(request, seeded):
    matrix = seeded[2]
    yield matrix
    text = matrix.report()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture:
        with capture.global_and_fixture_disabled():  # printed whatever pytest captures
            reporter.write_line("")
            for line in text.splitlines()[:60]:
                reporter.write_line(line)
            reporter.write_line(f"(the whole report: {REPORT})")


def confirm_and_form_pages() -> list[tuple[str, str]]:
    """The forms and confirmations behind the controls (edit, add, remove, disable): the account owner opens them."""

    profile = BillingProfile.objects.get(name="Contoso Marketing")
    base = f"/billing/profiles/{profile.pk}/"
    method = PaymentMethod.objects.filter(profile=profile).order_by("pk").first()
    role = RoleAssignment.objects.filter(profile=profile).order_by("pk").first()
    payment = Payment.objects.filter(invoice__profile=profile, status=Payment.Status.SUCCEEDED).order_by("pk").first()
    return [
        ("edit-po-number", f"{base}edit/po-number/"), ("add-bank-account", f"{base}payment-methods/add/bank_account/"),
        ("add-wire-transfer", f"{base}payment-methods/add/wire_transfer/"),
        ("remove-payment-method", f"{base}payment-methods/{method.pk}/remove/"), ("disable-profile", f"{base}disable/"),
        ("remove-role", f"{base}permissions/{role.pk}/remove/"),
        ("receipt", f"{base}invoices/{payment.invoice_id}/payments/{payment.pk}/receipt/"),
        ("edit-account", f"/billing/accounts/{profile.account_id}/edit/"),
    ]


def demo_pages() -> list[tuple[str, str]]:
    return portal_pages(BillingProfile.objects.get(name="Contoso Marketing"))


ANONYMOUS_PAGES = [("sign-in", "/accounts/login/"), ("password-reset", "/accounts/password_reset/"), ("help", "/help/")]


def session_cookie(email: str, url: str) -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": url}


# axe's default rules, and 'label-content-name-mismatch' (WCAG 2.5.3 Label in Name, level A; still marked
# experimental by axe, so off by default): a control's visible words are part of its accessible name.
START_AXE = """() => { window.axeResult = axe.run(document, {
  resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}}}); }"""


def check(browser, server, matrix, who, pages, session=None):
    """Open one context per (viewport, language) for ``who`` and walk ``pages`` in all of them side by side:
    each page is loaded in every context and axe started there without waiting, then the results are
    collected, so axe in one context runs while the next context loads (the browser's processes share
    the work). On the phone each page is also checked for sideways spill and unlabelled table values."""
    source = axe_source()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    views = []
    for viewport, size in VIEWPORTS.items():
        for language in LANGUAGES:
            context = browser.new_context(base_url=server.url, viewport=size, locale="en-US")
            context.set_default_timeout(15_000)
            context.add_init_script(script=source)  # axe itself, in every page (an init script is not subject to CSP)
            cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": server.url}]
            if session:
                cookies.append(session)
            context.add_cookies(cookies)
            page = context.new_page()
            problems = []
            page.on("console", lambda msg, problems=problems:
                    problems.append((msg.text, msg.location.get("url", ""))) if msg.type == "error" else None)
            views.append((viewport, language, context, page, problems))
    layout = []
    try:
        for name, path in pages:
            started, loading, running = time.monotonic(), [], []
            for viewport, language, _, page, _ in views:  # the server answers; the browsers go on loading
                response = page.goto(path, wait_until="commit")
                if response.status in (403, 404) and session:
                    matrix.skipped.append((who, name, response.status))
                    continue
                assert response.status == 200, f"{who} {path}: {response.status}"
                loading.append((viewport, language, page))
            for viewport, language, page in loading:
                page.wait_for_load_state("load")
                assert page.evaluate("document.documentElement.lang") == language
                page.evaluate(START_AXE)
                running.append((viewport, language, page))
            for viewport, language, page in running:
                result = page.evaluate("() => window.axeResult")
                matrix.record(who, viewport, language, name, result["violations"], len(result["passes"]))
                for item in result["incomplete"]:
                    matrix.review[item["id"]] += len(item["nodes"])
                    matrix.review_where[item["id"]].update(
                        f"{name}: {' '.join(n['target'])} ({(n.get('any') or [{}])[0].get('message', '')})"
                        for n in item["nodes"])
                layout += [f"{viewport} {language} {name}: {p}" for p in sideways_problems(page)]
                if viewport == "phone":
                    layout += [f"{language} {name}: {p}" for p in unlabelled_cells(page)]
                    if language == "nl" and who in ("account-owner", "anonymous"):  # the longer words, seen
                        page.screenshot(path=str(SCREENSHOTS / f"phone-nl-{name}.png"), full_page=True)
            matrix.seconds[name] += time.monotonic() - started
    finally:
        for _, _, context, _, _ in views:
            context.close()
    assert layout == [], f"{who}: sideways spill (or, on the phone, values without labels)"
    paths = dict(pages)
    refused = {f"{server.url}{paths[name]}" for w, name, _ in matrix.skipped if w == who}
    for viewport, language, _, _, problems in views:
        problems = [text for text, url in problems if url not in refused]  # the 403/404 of a page not for them
        assert problems == [], f"{who} {viewport} {language}: the browser console reported {problems}"


@pytest.mark.parametrize("who", ROLES)
def test_no_serious_or_critical_axe_violation_for_a_role(browser, seeded, matrix, who):
    server, pages, _, sessions, more = seeded
    check(browser, server, matrix, who, pages + (more if who == "account-owner" else []), session=sessions[who])
    assert matrix.blocking(who) == {}, f"axe: serious or critical violations for {who}"
    assert min(matrix.passed) >= 15  # axe really ran its rules on every page
    assert {c[3] for c in matrix.checked if c[0] == who} >= {"profile-list", "overview", "invoices", "invoice-page"}


def test_no_serious_or_critical_axe_violation_signed_out(browser, seeded, matrix):
    server, *_ = seeded
    check(browser, server, matrix, "anonymous", ANONYMOUS_PAGES)
    assert matrix.blocking("anonymous") == {}, "axe: serious or critical violations on the pages before sign-in"


def test_every_page_was_checked_by_someone_in_every_viewport_and_language(seeded, matrix):
    """The roles together reach every page (the account owner all of them): none escaped the matrix."""
    if {c[0] for c in matrix.checked} != {*ROLES, "anonymous"}:
        pytest.skip("needs the tests of every role before it in the same run (some were deselected)")
    pages = seeded[1] + seeded[4]
    for viewport in VIEWPORTS:
        for language in LANGUAGES:
            seen = {c[3] for c in matrix.checked if c[1] == viewport and c[2] == language}
            assert seen >= {name for name, _ in pages + ANONYMOUS_PAGES}, (viewport, language)


def test_axe_reports_what_it_should_on_a_broken_page(browser):
    """The check can fail: a page with an unnamed image and an unlabelled field has critical violations."""
    page = browser.new_page()
    try:
        page.set_content("<html><body><img src='x.png'><input></body></html>")
        page.evaluate(axe_source())
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    finally:
        page.close()
    assert {(v["id"], v["impact"]) for v in result["violations"]} >= {("image-alt", "critical"), ("label", "critical")}
