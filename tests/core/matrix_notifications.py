"""The role matrix rows of notifications and the holiday list (tests/test_role_matrix.py).

- The inbox: anyone logged in reads and marks their own notifications; another person's is 404.
- The holiday list is national: anyone logged in reads it; province staff of any province add and
  remove days (so it has nothing "foreign"); everyone else is refused.
Notifications and days are made when a row asks for its URL, fresh for each write that succeeds.
"""

from __future__ import annotations

import datetime as dt

from chanjiao.core.models import Holiday
from chanjiao.core.notifications import notify
from tests.test_role_matrix import ANY, API, PERSONAS, PROVINCE_ONLY, Row, World, fixed

FIRST_DAY = dt.date(2040, 1, 1)


def _day(w: World) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=1 + w.n())


def own_notification(template: str):
    def url(w: World, p: str):
        note = notify([w.users[p]], subject=f"矩阵通知{w.n()}", url="/")[0]
        return template.format(note.pk)

    return url


def others_notification(template: str):
    def url(w: World, p: str):
        note = notify([w.users[w.other_persona(p)]], subject=f"别人的通知{w.n()}")[0]
        return template.format(note.pk)

    return url


def holiday_to_remove(template: str):
    """A fresh day for province staff to remove; everyone else is asked about a day that stays."""

    def url(w: World, p: str):
        if PERSONAS[p][1] in PROVINCE_ONLY:
            holiday = Holiday.objects.create(date=_day(w), name="矩阵假日")
        else:
            holiday, _created = Holiday.objects.get_or_create(date=FIRST_DAY, defaults={"name": "矩阵元旦"})
        return template.format(holiday.date.isoformat())

    return url


def new_day(w: World, p: str) -> dict:
    return {"date": _day(w).isoformat(), "name": "矩阵假日"}


PAGE_ROWS = [
    Row("notifications/", "GET", ANY, fixed("/notifications/")),
    Row("notifications/read-all/", "POST", ANY, fixed("/notifications/read-all/"), ok=302, write=True),
    Row(
        "notifications/<int:pk>/read/",
        "POST",
        ANY,
        own_notification("/notifications/{}/read/"),
        foreign=others_notification("/notifications/{}/read/"),
        ok=302,
        write=True,
    ),
    Row("holidays/", "GET", ANY, fixed("/holidays/")),
    Row(
        "holidays/",
        "POST",
        PROVINCE_ONLY,
        fixed("/holidays/"),
        data=new_day,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "holidays/<str:day>/remove/",
        "POST",
        PROVINCE_ONLY,
        holiday_to_remove("/holidays/{}/remove/"),
        ok=302,
        write=True,
        audited=True,
    ),
]

API_ROWS = [
    Row(f"{API}/notifications", "GET", ANY, fixed(f"{API}/notifications")),
    Row(f"{API}/notifications/read-all", "POST", ANY, fixed(f"{API}/notifications/read-all"), write=True),
    Row(
        f"{API}/notifications/{{notification_id}}/read",
        "POST",
        ANY,
        own_notification(API + "/notifications/{}/read"),
        foreign=others_notification(API + "/notifications/{}/read"),
        write=True,
    ),
    Row(f"{API}/holidays", "GET", ANY, fixed(f"{API}/holidays")),
    Row(
        f"{API}/holidays",
        "POST",
        PROVINCE_ONLY,
        fixed(f"{API}/holidays"),
        data=new_day,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/holidays/{{date}}",
        "DELETE",
        PROVINCE_ONLY,
        holiday_to_remove(API + "/holidays/{}"),
        ok=204,
        write=True,
        audited=True,
    ),
]
