"""Notifications: a message in each recipient's inbox and, once the transaction commits, by email.

`notify` is the one way to tell a person something happened (an application recommended,
publicised, awarded or rejected; a report returned; a reminder). It writes the inbox rows in the
caller's transaction, so a refused write notifies no one; the emails go after commit, through a
Celery task (in-process when no broker is set), with Django's email backend.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Notification


def notify(
    recipients: Iterable, *, subject: str, body: str = "", url: str = "", kind: str = ""
) -> list[Notification]:
    """One notification per distinct active recipient (users); returns the rows written."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen or not getattr(user, "is_active", True):
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, subject=subject[:200], body=body, url=url, kind=kind))
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk is not None]
    if not ids:  # a database that does not return keys from bulk_create
        ids = list(
            Notification.objects.filter(recipient_id__in=seen, subject=subject[:200], emailed_at__isnull=True)
            .order_by("-id")
            .values_list("pk", flat=True)[: len(rows)]
        )
    transaction.on_commit(lambda: _send_later(ids))
    return created


def _send_later(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.delay(ids)


def send_emails(ids: list[int]) -> int:
    """Emails the notifications `ids` not yet emailed to recipients with an address; returns how many."""
    from django.core.mail import send_mail

    sent = 0
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    for note in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient"):
        address = note.recipient.email
        if not address:
            continue
        link = f"\n\n{site}{note.url}" if note.url else ""
        send_mail(
            subject=note.subject, message=f"{note.body}{link}", from_email=None, recipient_list=[address]
        )
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
