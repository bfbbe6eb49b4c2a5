"""Root test helpers shared by every app's tests and by tests/."""

from __future__ import annotations

import os
import threading
import time as clock
from datetime import UTC, datetime, time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from billing_admin.celery import app
from billing_admin.core.permissions import SUPPORT_GROUP, SUPPORT_READ_ONLY_GROUP, support_groups_sync
from profiles.models import BillingAccount, BillingProfile
from profiles.tests.factories import BillingProfileFactory, RoleAssignmentFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The fault suite's lines (tests/integration/conftest.py: fault_summary) travel in their tests' reports.
FAULT_PROPERTY = "fault-summary"


def grant(user, role: str, obj):
    """Give ``user`` ``role`` on a profile or an account through the real service (RoleAssignmentFactory)."""
    if isinstance(obj, BillingProfile):
        return RoleAssignmentFactory(user=user, role=role, profile=obj)
    if isinstance(obj, BillingAccount):
        return RoleAssignmentFactory(user=user, role=role, profile=None, account=obj)
    raise TypeError(obj)


def support_engineer(*, read_only: bool = False, **fields):
    """A staff user in the support group (or the read-only one) of the permission module."""
    from django.contrib.auth.models import Group

    support_groups_sync()
    user = UserFactory(is_staff=True, **fields)
    user.groups.set([Group.objects.get(name=SUPPORT_READ_ONLY_GROUP if read_only else SUPPORT_GROUP)])
    return user


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def require_postgres():
    """Skip (outside CI only) when the test database is not PostgreSQL."""
    if not is_postgres():
        if IN_CI:
            pytest.fail("CI must run this test on PostgreSQL (set DATABASE_URL).")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... to run it")


# Concurrency tests on PostgreSQL: sessions that wait for each other's row locks.
def wait_for_lock_waits(count: int, unless_done: threading.Thread | None = None) -> None:
    """Until ``count`` sessions of this database wait for a lock, or the thread ``unless_done`` has finished
    (or 5 s have passed). Inside a transaction PostgreSQL keeps showing the activity it first showed unless
    told to look again."""
    with connection.cursor() as cursor:
        for _ in range(500):
            if unless_done is not None and not unless_done.is_alive():
                return
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= count:
                return
            clock.sleep(0.01)


def run_in_thread(target, errors: list) -> threading.Thread:
    """Run ``target`` in a thread of its own (its own database connection, closed after); its exception goes
    to ``errors``."""
    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def queued_behind(hold, first, second) -> list:
    """In a transaction, ``hold()`` (it takes a lock); then ``first`` and ``second`` start in threads, each once
    the threads before it wait for a lock (or are done); then the transaction ends. Returns the errors of both
    once both are done."""
    errors, threads = [], []
    with transaction.atomic():
        hold()
        for waiting, target in enumerate((first, second), start=1):
            threads.append(run_in_thread(target, errors))
            wait_for_lock_waits(waiting, unless_done=threads[-1])
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def profile(db):
    return BillingProfileFactory()


@pytest.fixture
def billing_day(monkeypatch):
    """``billing_day(date)`` sets the billing date that ``billing_admin.core.dates.billing_today`` answers,
    in every module that imported the function (patching the function itself reaches only its own module)."""

    def set_day(day):
        noon = datetime.combine(day, time(12), tzinfo=UTC)
        monkeypatch.setattr("billing_admin.core.dates.timezone", SimpleNamespace(now=lambda: noon))

    return set_day


@pytest.fixture
def htmx_headers():
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _celery_eager_unless_real_worker(request, settings):
    """Unit tests run tasks in-process; integration tests marked ``integration`` use a real worker."""

    if request.node.get_closest_marker("integration"):
        yield
        return
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.3 s per user; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_asked(request):
    """A request in Dutch leaves Dutch active in this thread; every test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters (password reset) live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_terminal_summary(terminalreporter):
    if hasattr(terminalreporter.config, "workerinput"):
        return  # an xdist worker: the controller prints and writes every worker's lines
    lines = [value for outcome in ("passed", "failed") for report in terminalreporter.stats.get(outcome, [])
             if report.when == "call" for key, value in report.user_properties if key == FAULT_PROPERTY]
    if not lines:
        return
    terminalreporter.section("fault suite")
    for line in lines:
        terminalreporter.write_line(line)
    path = Path(__file__).resolve().parent / "var" / "fault-summary.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
