"""Celery tasks of the profiles app: the e-mails of invitations and of roles granted by address."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from profiles.invitation_mail import send_invitation_email, send_role_notice_email


@shared_task(bind=True, name="profiles.send_invitation", acks_late=True, max_retries=5)
def invitation_send_task(self, invitation_id: int) -> bool:
    try:
        return send_invitation_email(invitation_id)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc


@shared_task(bind=True, name="profiles.send_role_notice", acks_late=True, max_retries=5)
def role_granted_notice_task(self, assignment_id: int, language: str) -> bool:
    try:
        return send_role_notice_email(assignment_id, language)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc
