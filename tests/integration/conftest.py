"""Real parts: PostgreSQL shared with a real ``celery worker`` process on Redis, and aiosmtpd on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from billing_admin.celery import app
from conftest import FAULT_PROPERTY, IN_CI

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"


def _fail_or_skip(reason: str):
    if IN_CI:
        pytest.fail(f"CI must run the integration tests: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 60, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def pg_url(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        _fail_or_skip("integration tests need PostgreSQL: set DATABASE_URL=postgres://...")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def redis_broker():
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        _fail_or_skip(f"integration tests need Redis at {BROKER}: {exc}")
    return BROKER


class SMTPSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""

    def __init__(self, port: int):
        self.port = port
        self.messages = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_sink():
    sink = SMTPSink(free_port())
    yield sink
    sink.stop()


class Worker:
    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.proc = env, log, None
        self._log_start = log.stat().st_size if log.exists() else 0

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "billing_admin", "worker", "--loglevel=INFO",
             "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-Q", self.env["CELERY_QUEUE"], "-n", f"it-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(lambda: b"ready" in self.log.read_bytes()[self._log_start:], timeout=60,
                 what="the celery worker to be ready")

    def kill(self):
        """SIGKILL the worker and its pool processes at once: no warm shutdown, no acks."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def use_broker(url: str) -> None:
    """Point this process's task producer at ``url`` (kombu keeps one connection pool per broker URL)."""

    app.conf.broker_url = url
    app.conf.broker_write_url = url  # broker_url itself gives way to a CELERY_BROKER_URL in the environment
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(pg_url, redis_broker, smtp_sink, settings, tmp_path):
    """Factory: ``celery_worker(**env)`` starts a real worker process on its own Redis queue.

    Keyword arguments override the worker's environment (e.g. ``CELERY_BROKER_URL``, ``PGAPPNAME``);
    ``celery_worker.queue`` is the queue's name.
    """

    queue = f"it-{uuid.uuid4().hex[:10]}"
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    env = {
        **os.environ, "DATABASE_URL": pg_url, "CELERY_BROKER_URL": redis_broker, "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}", "MEDIA_ROOT": str(media), "DEBUG": "true",
        "INVOICE_EMAIL_RETRY_SECONDS": "1", "CELERY_VISIBILITY_TIMEOUT": "5", "EMAIL_TIMEOUT": "3",
    }
    old = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)
    use_broker(redis_broker)
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    workers = []

    def start(**extra_env) -> Worker:
        worker = Worker({**env, **extra_env}, tmp_path / "worker.log")
        worker.start()
        workers.append(worker)
        return worker

    start.log = tmp_path / "worker.log"
    start.queue = queue
    yield start
    for worker in workers:
        worker.stop()
    use_broker(old[0])
    app.conf.task_default_queue, app.conf.task_always_eager = old[1], old[2]
    try:
        import redis

        client = redis.Redis.from_url(redis_broker)
        for key in client.scan_iter(match=f"{queue}*"):  # the queue and its priority lists
            client.delete(key)
    except Exception:  # noqa: BLE001, S110
        pass


# --- The fault suite ---------------------------------------------------------------------------
# Each fault test records one line (what was injected; invoices expected / issued / e-mailed /
# duplicated). They are printed at the end of the run, whatever ``-s`` says, and kept in
# var/fault-summary.txt so the README's reliability figures can be quoted from a real run. A line
# travels in its test's report (``user_properties``), so that with pytest-xdist the controller, which
# runs no test itself, still prints every worker's lines (the root conftest's pytest_terminal_summary).


@pytest.fixture
def fault_summary(request):
    started = time.monotonic()

    def keep(line: str) -> str:
        request.node.user_properties.append((FAULT_PROPERTY, line))
        return line

    def record(fault: str, *, injected: str, expected: int, issued: int, emailed: int, duplicated: int,
               extra: str = "") -> str:
        line = (f"{fault}: {injected}; invoices expected {expected} / issued {issued} / e-mailed {emailed} / "
                f"duplicated {duplicated}{'; ' + extra if extra else ''} ({time.monotonic() - started:.1f} s)")
        return keep(line)

    def free_line(fault: str, text: str) -> str:
        return keep(f"{fault}: {text} ({time.monotonic() - started:.1f} s)")

    record.line = free_line
    return record


def mail_counts(sink: SMTPSink, invoices) -> dict[str, int]:
    """How many e-mails the sink holds for each invoice number."""
    subjects = [str(m["Subject"]) for m in sink.messages]
    return {inv.number: sum(inv.number in s for s in subjects) for inv in invoices}


def queue_drained(broker: str, queue: str) -> bool:
    """Nothing waiting in the queue (any priority) and nothing delivered but unacknowledged: the
    workers are idle, and no redelivery of a task can still send a second e-mail."""
    import json

    import redis

    client = redis.Redis.from_url(broker)
    if any(client.llen(key) for key in client.scan_iter(match=f"{queue}*")):
        return False
    for raw in client.hvals("unacked"):
        try:
            if json.loads(raw)[2] == queue:
                return False
        except (ValueError, IndexError):
            continue
    return True


class RedisServer:
    """A private ``redis-server`` on a free loopback port that a test may kill and start again."""

    BINARY = "/usr/bin/redis-server"

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.proc = port, workdir, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [self.BINARY, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--protected-mode", "yes"],
            cwd=self.workdir, stdout=(self.workdir / "redis.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        import redis

        def up():
            try:
                return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
            except redis.RedisError:
                return False

        wait_for(up, timeout=20, what=f"redis-server on port {self.port}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    """Never the shared Redis: a server of this test's own, stopped at the end."""
    if not Path(RedisServer.BINARY).exists():
        _fail_or_skip(f"the Redis fault test needs {RedisServer.BINARY}")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(free_port(), workdir)
    server.start()
    yield server
    server.kill()
