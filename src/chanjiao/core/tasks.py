"""Background work of the core app."""

from __future__ import annotations

from celery import shared_task

from . import notifications


@shared_task
def send_notification_emails(ids: list[int]) -> int:
    return notifications.send_emails(ids)


@shared_task
def send_plain_email(address: str, subject: str, body: str) -> bool:
    return notifications.send_plain_email(address, subject, body)
