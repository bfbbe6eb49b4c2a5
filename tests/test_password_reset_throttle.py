"""Password reset sends a bounded number of e-mails: per address and per client, whether or not the
address belongs to anyone, and the answer never tells which."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase
from django.urls import reverse

from profiles.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def same_page(a: str, b: str) -> bool:
    """Equal but for their CSRF tokens."""
    token = re.compile(r"[A-Za-z0-9]{64}")
    return token.sub("", a) == token.sub("", b)


def post(client, email, ip):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def ask(client, email, ip="192.0.2.1"):
    """Ask for a reset and let a worker run what the request queued after its commit (the mail's task)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post(client, email, ip)


def test_one_address_gets_at_most_three_mails_an_hour_and_an_unknown_one_the_same_answer(client, mailoutbox,
                                                                                         settings):
    UserFactory(email="pat@example.com")
    known = [ask(client, "pat@example.com", ip=f"192.0.2.{i}") for i in range(5)]
    unknown = [ask(client, "nobody@example.com", ip=f"198.51.100.{i}") for i in range(5)]
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS == 3
    for answers in (known, unknown):
        assert [r.status_code for r in answers] == [302, 302, 302, 429, 429]
        assert all(r["Location"] == reverse("password_reset_done") for r in answers[:3])
        assert "Too many password reset requests" in answers[3].text
    assert same_page(known[3].text.replace("pat@example.com", "x"), unknown[3].text.replace("nobody@example.com", "x"))
    assert ask(client, "PAT@example.com ", ip="203.0.113.9").status_code == 429  # the same address


def test_one_client_gets_at_most_ten_requests_an_hour(client, mailoutbox):
    users = [UserFactory(email=f"user{i}@example.com") for i in range(12)]
    answers = [ask(client, u.email).status_code for u in users]
    assert answers == [302] * 10 + [429] * 2 and len(mailoutbox) == 10
    assert ask(client, users[11].email, ip="192.0.2.200").status_code == 302  # another client is not held up


def test_the_request_does_the_same_work_known_or_not_and_a_worker_sends_the_mail(
        client, mailoutbox, settings, django_capture_on_commit_callbacks):
    """Sending a reset mail in the request (an SMTP round trip) made a known address answer slower than
    an unknown one, which told who has an account. The request only queues the mail, for any address."""
    settings.SITE_URL = "https://billing.example.com"
    UserFactory(email="pat@example.com")
    queued = {}
    for email in ("pat@example.com", "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert post(client, email, ip="192.0.2.77").status_code == 302
        assert mailoutbox == [], "the request itself sent mail"
        queued[email] = callbacks
    assert len(queued["pat@example.com"]) == len(queued["nobody@example.com"]) == 1
    for callback in queued["pat@example.com"] + queued["nobody@example.com"]:
        callback()  # the worker's turn
    (mail,) = mailoutbox
    assert mail.to == ["pat@example.com"]
    assert "https://billing.example.com/accounts/reset/" in mail.body  # the site's address, not the Host header
