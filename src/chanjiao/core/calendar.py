"""Working days: Monday to Friday, less the public holidays, plus the weekends worked (调休上班).

The holiday list is the `Holiday` table, kept by province staff from the State Council's yearly
notice (国务院办公厅关于部分节假日安排的通知; the 2026 arrangement ships as a seed). A period of N
working days that starts on a day counts that day when it is a working day (公示期自发布之日起5个
工作日), so a publicity published on a Thursday with 5 working days ends on the next Wednesday; a
period that starts on a Sunday begins on the Monday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

# The longest run of days off a notice sets is nine (春节 2026: 2月15日–23日); a window of three
# calendar days per working day and a month more covers any real period in one read.
WINDOW_PER_DAY = 3
WINDOW_EXTRA = 30


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """date → is a working day, for the days in [start, end] the holiday list names."""
    from .models import Holiday

    return dict(Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday"))


def is_working_day(day: dt.date, exceptions: dict[dt.date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = _exceptions(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def working_days_from(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` working days beginning on `start` (counted if it works).

    `days` must be at least 1. The holiday list is read once for a window wide enough for any
    real period, and again only if a run of days off outlasts it.
    """
    if days < 1:
        raise ValueError(f"a period needs at least one working day, not {days}")
    window = start + dt.timedelta(days=days * WINDOW_PER_DAY + WINDOW_EXTRA)
    exceptions = _exceptions(start, window)
    day, counted = start, 0
    while True:
        if is_working_day(day, exceptions):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)
        if day > window:
            window = day + dt.timedelta(days=days * WINDOW_PER_DAY + WINDOW_EXTRA)
            exceptions.update(_exceptions(day, window))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie in [start, end] (0 when end is before start)."""
    if end < start:
        return 0
    exceptions = _exceptions(start, end)
    return sum(1 for day in _days(start, end) if is_working_day(day, exceptions))


@dataclass(frozen=True)
class SpecialDay:
    """A day of a period that is not an ordinary weekday: skipped (a weekend or a holiday), or a
    weekend worked (调休上班), which counts."""

    date: dt.date
    name: str
    counts: bool


def special_days(start: dt.date, end: dt.date) -> list[SpecialDay]:
    """The days in [start, end] a period counts differently from Monday–Friday, in order: weekends
    and holidays (skipped, with the holiday's name or 周末) and weekends worked (counted)."""
    from .models import Holiday

    if end < start:
        return []
    listed = {h.date: h for h in Holiday.objects.filter(date__gte=start, date__lte=end)}
    out = []
    for day in _days(start, end):
        holiday = listed.get(day)
        if holiday is not None:
            out.append(SpecialDay(day, holiday.name, holiday.is_workday))
        elif day.weekday() >= 5:
            out.append(SpecialDay(day, _("周末"), False))
    return out


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)
