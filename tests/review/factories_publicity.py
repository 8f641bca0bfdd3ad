"""Builders for the publicity tests: a round whose recommendation is settled (RECOMMENDED, with its
frozen ranking and its applications recommended or not), and a publicity made directly with the
dates a test needs. The step before publicity is another stage's; these make its outcome by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from chanjiao.applications.models import Application, Status
from chanjiao.core.permissions import Role
from chanjiao.review.models import Publicity, RankingEntry, ReviewRound
from tests.factories import make_person

from .factories import make_application, make_review_call, make_round, make_school

_serial = itertools.count(1)


@dataclass
class Recommended:
    round: ReviewRound
    listed: list[Application]  # on the recommended list, by rank
    not_listed: list[Application] = field(default_factory=list)


def make_recommended_round(
    region_of_call,
    creator,
    school_regions,
    *,
    listed: int = 2,
    not_listed: int = 1,
    status: str = ReviewRound.Status.RECOMMENDED,
    **settings,
) -> Recommended:
    """A round in `status` with `listed` + `not_listed` applications ranked 1…n, the first `listed`
    recommended (status "recommended"), the others not ("not_recommended"). Each applicant is a
    new school in one of `school_regions`, in turn, with a staff member (the application's author)."""
    n = next(_serial)
    call, project_type = make_review_call(region_of_call, code=f"publicity-{region_of_call.code}-{n}")
    review_round = make_round(call, project_type, creator, status=status, name=f"公示测试轮次{n}", **settings)
    apps = []
    for i in range(listed + not_listed):
        school = make_school(school_regions[i % len(school_regions)])
        recommended = i < listed
        app = make_application(
            call,
            project_type,
            school,
            status=Status.RECOMMENDED if recommended else Status.NOT_RECOMMENDED,
            title=f"产教融合集成平台{n}-{i + 1}",
        )
        score = Decimal("90.00") - i
        RankingEntry.objects.create(
            round=review_round,
            application=app,
            rank=i + 1,
            score=score,
            mean=score,
            trimmed_mean=score,
            zscore=Decimal("0.50") - Decimal(i) / 10,
            sheets=5,
            spread=Decimal("6.00"),
            recommended=recommended,
        )
        apps.append(app)
    return Recommended(review_round, apps[:listed], apps[listed:])


def publish_directly(
    rec: Recommended, creator, *, starts_on: dt.date, ends_on: dt.date, working_days: int = 5
) -> Publicity:
    """The publicised state as publicity_publish leaves it, with any dates (past ones included)."""
    publicity = Publicity.objects.create(
        round=rec.round,
        title=f"{rec.round.name}拟立项项目公示",
        contact="省教育厅职成处 0551-62831234",
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=working_days,
        published_by=creator,
    )
    rec.round.status = ReviewRound.Status.PUBLICISED
    rec.round.save()
    Application.objects.filter(pk__in=[a.pk for a in rec.listed]).update(status=Status.PUBLICISED)
    return publicity


def add_member(organization, role: str = Role.ORG_ADMIN, *, email: str = "", active: bool = True):
    """A person of the applicant with an email address (or none), for notifications."""
    n = next(_serial)
    user = make_person(f"member_{n}", organization, role, email=email, display_name=f"成员{n}")
    if not active:
        user.memberships.update(is_active=False)
    return user
