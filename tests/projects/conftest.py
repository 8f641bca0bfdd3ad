from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from chanjiao.applications.models import Application
from chanjiao.orgs.models import User
from chanjiao.projects import services
from chanjiao.review.models import ReviewRound

from .factories import make_publicised_round

DECISION_DAY = dt.date(2026, 12, 1)  # the day after the publicity (ends 2026-11-30)


@dataclass
class Award:
    round: ReviewRound
    school_app: Application  # rank 1, the Hefei school's, with the Hefei enterprise as partner
    other_app: Application  # rank 2, the Wuhu school's, same partner


@pytest.fixture
def decided_on(monkeypatch):
    """Sets the day the services take as today (2026-12-01 unless told otherwise)."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(services, "today", lambda: day)

    set_day(DECISION_DAY)
    return set_day


@pytest.fixture
def award(
    regions,
    province_officer,
    school,
    other_school,
    enterprise,
    school_admin,
    school_staff,
    enterprise_contact,
    expert,
    decided_on,
) -> Award:
    for user in (school_admin, school_staff, enterprise_contact, expert):
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.cn")
    review_round, (first, second) = make_publicised_round(
        regions.anhui, province_officer, [school, other_school], partner=enterprise
    )
    return Award(review_round, first, second)
