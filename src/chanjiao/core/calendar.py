"""Working days: Monday to Friday, less the public holidays, plus the weekends worked (调休上班).

The holiday list is the `Holiday` table, kept by province staff from the State Council's yearly
notice. A period of N working days that starts on a day counts that day when it is a working day
(公示期自发布之日起5个工作日), so a publicity published on a Thursday with 5 working days ends on
the next Wednesday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


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
    real period (the longest Chinese holiday is nine days).
    """
    if days < 1:
        raise ValueError(f"a period needs at least one working day, not {days}")
    window = start + dt.timedelta(days=days * 3 + 30)
    exceptions = _exceptions(start, window)
    day, counted = start, 0
    while True:
        if is_working_day(day, exceptions):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)
        if day > window:  # a run of holidays longer than any notice sets: widen and go on
            window = day + dt.timedelta(days=days * 3 + 30)
            exceptions.update(_exceptions(day, window))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie in [start, end] (0 when end is before start)."""
    if end < start:
        return 0
    exceptions = _exceptions(start, end)
    return sum(1 for day in _days(start, end) if is_working_day(day, exceptions))


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)
