"""Celery tasks of the core: the password reset e-mail.

A worker sends it, so a reset request does the same work whether or not the address belongs to anyone
(an SMTP round trip in the request made a known address answer measurably slower, which told who has an
account). The link points at ``SITE_URL``, never at the Host header of the request.
"""

from __future__ import annotations

from smtplib import SMTPException
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation


@shared_task(name="core.password_reset_mail", acks_late=True, autoretry_for=(OSError, SMTPException),
             retry_backoff=True, max_retries=3)
def password_reset_mail_task(email: str, language: str) -> None:
    form = PasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)
    with translation.override(language):
        form.save(domain_override=site.netloc, use_https=site.scheme == "https",
                  from_email=settings.DEFAULT_FROM_EMAIL)
