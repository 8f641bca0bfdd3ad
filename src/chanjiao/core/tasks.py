"""Background work of the core app."""

from __future__ import annotations

from celery import shared_task

from .notifications import send_emails


@shared_task
def send_notification_emails(ids: list[int]) -> int:
    return send_emails(ids)
