"""Notifications: a message in each recipient's inbox and, once the transaction commits, by email.

`notify` is the one way to tell a person something happened (an application recommended,
publicised, awarded or rejected; an objection received; a report returned; a reminder). It writes
the inbox rows in the caller's transaction, so a refused write notifies no one; the emails go after
commit, through a Celery task (in-process when no broker is set), with Django's email backend.

Email is a courtesy on top of the inbox: a mail server that is down, or a broker that cannot be
reached, is logged and leaves the notification unmailed (`emailed_at` empty); it never turns a
write that has committed into an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    """An email subject is one header line: line breaks would make Django refuse the message."""
    return " ".join(str(text).split())


def notify(
    recipients: Iterable, *, subject: str, body: str = "", url: str = "", kind: str = ""
) -> list[Notification]:
    """One notification per distinct active recipient (users); returns the rows written."""
    seen: set[int] = set()
    rows = []
    subject = _one_line(subject)[:200]
    for user in recipients:
        if user is None or user.pk in seen or not getattr(user, "is_active", True):
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, subject=subject, body=body, url=url, kind=kind))
    if not rows:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        created = Notification.objects.bulk_create(rows)
    else:  # keys are needed for the emails: save one by one where bulk_create does not return them
        for row in rows:
            row.save()
        created = rows
    ids = [n.pk for n in created]
    transaction.on_commit(lambda: _send_later(ids), robust=True)
    return created


def _send_later(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.delay(ids)


def send_emails(ids: list[int]) -> int:
    """Emails the notifications `ids` not yet emailed to recipients with an address; returns how many.

    A message the mail server refuses is logged and left unmailed; the others still go.
    """
    from django.core.mail import send_mail

    sent = 0
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    for note in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient"):
        address = note.recipient.email
        if not address:
            continue
        link = f"\n\n{site}{note.url}" if note.url else ""
        try:
            send_mail(
                subject=_one_line(note.subject),
                message=f"{note.body}{link}",
                from_email=None,
                recipient_list=[address],
            )
        except Exception:  # an SMTP or network failure: the inbox row stays, unmailed
            logger.exception("notification %s: email to %s failed", note.pk, address)
            continue
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def email_after_commit(address: str, *, subject: str, body: str) -> None:
    """An email to someone without an account (an objector who left an address), after commit."""
    if not address:
        return
    transaction.on_commit(lambda: _email_later(address, _one_line(subject), body), robust=True)


def _email_later(address: str, subject: str, body: str) -> None:
    from .tasks import send_plain_email

    send_plain_email.delay(address, subject, body)


def send_plain_email(address: str, subject: str, body: str) -> bool:
    from django.core.mail import send_mail

    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[address])
    except Exception:
        logger.exception("email to %s failed", address)
        return False
    return True


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
