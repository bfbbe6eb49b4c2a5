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

from conftest import IN_CI

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

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "billing_admin", "worker", "--loglevel=INFO",
             "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-Q", self.env["CELERY_QUEUE"], "-n", f"it-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(lambda: b"ready" in self.log.read_bytes(), timeout=60, what="the celery worker to be ready")

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


@pytest.fixture
def celery_worker(pg_url, redis_broker, smtp_sink, settings, tmp_path):
    """Factory: ``celery_worker()`` starts a real worker process on its own Redis queue."""
    from billing_admin.celery import app

    queue = f"it-{uuid.uuid4().hex[:10]}"
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    env = {
        **os.environ, "DATABASE_URL": pg_url, "CELERY_BROKER_URL": redis_broker, "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}", "MEDIA_ROOT": str(media), "DEBUG": "true",
        "INVOICE_EMAIL_RETRY_SECONDS": "1", "CELERY_VISIBILITY_TIMEOUT": "5", "EMAIL_TIMEOUT": "3",
    }
    old = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = redis_broker, queue, False
    workers = []

    def start() -> Worker:
        worker = Worker(env, tmp_path / "worker.log")
        worker.start()
        workers.append(worker)
        return worker

    start.log = tmp_path / "worker.log"
    yield start
    for worker in workers:
        worker.stop()
    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = old
    try:
        import redis

        redis.Redis.from_url(redis_broker).delete(queue)
    except Exception:  # noqa: BLE001, S110
        pass
