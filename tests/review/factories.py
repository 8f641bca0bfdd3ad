"""Builders for the review tests: a call in the test province with a project type, applications
taken into review, experts in the province's pool, a review round."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from chanjiao.applications.models import Application, Partner, ProgrammeChoice, Status
from chanjiao.core.permissions import Role
from chanjiao.review.models import ExpertProfile, ReviewRound
from tests.applications.factories import make_call, make_pack, make_project_type
from tests.factories import make_org, make_person

_serial = itertools.count(1)


def make_review_call(region, *, code: str = "review-test"):
    pack = make_pack(region, code=code)
    project_type = make_project_type(pack)
    call = make_call(pack, [project_type], limit=50)
    return call, project_type


def make_application(
    call,
    project_type,
    applicant,
    *,
    partners=(),
    programmes=("460101",),
    title: str = "",
    status: str = Status.UNDER_REVIEW,
    created_by=None,
    **fields,
) -> Application:
    n = next(_serial)
    now = timezone.now()
    if created_by is None:
        created_by = make_person(f"applicant_user_{n}", applicant, Role.ORG_STAFF)
    app = Application.objects.create(
        call=call,
        project_type=project_type,
        applicant=applicant,
        city_code=applicant.region_id[:4] + "00",
        slot=n,
        title=title or f"评审测试申报{n}",
        status=status,
        first_submitted_at=now - dt.timedelta(days=2),
        submitted_at=now - dt.timedelta(days=2),
        created_by=created_by,
        **fields,
    )
    for position, (org, role) in enumerate(partners):
        Partner.objects.create(application=app, organization=org, role=role, position=position)
    for position, code in enumerate(programmes):
        ProgrammeChoice.objects.create(application=app, code=code, position=position)
    return app


def make_expert(
    region,
    employer,
    *,
    name: str = "",
    is_industry: bool | None = None,
    categories=("46",),
    industries=(),
    username: str = "",
    expert_region=None,
    user=None,
) -> ExpertProfile:
    n = next(_serial)
    if user is None:
        user = make_person(
            username or f"expert_{n}", employer, Role.EXPERT, display_name=name or f"专家{n:03d}"
        )
    province = region.code[:2] + "0000"
    return ExpertProfile.objects.create(
        user=user,
        province_id=province,
        employer=employer,
        is_industry=employer.kind == "enterprise" if is_industry is None else is_industry,
        programme_categories=list(categories),
        industries=list(industries),
        region=expert_region,
    )


def make_round(call, project_type, creator, **settings) -> ReviewRound:
    settings.setdefault("name", "遴选评审")
    return ReviewRound.objects.create(call=call, project_type=project_type, created_by=creator, **settings)


def make_enterprise(region, name: str = "", **fields):
    n = next(_serial)
    return make_org(name or f"评审测试企业{n}", kind="enterprise", region=region, **fields)


def make_school(region, name: str = "", **fields):
    n = next(_serial)
    return make_org(
        name or f"评审测试学院{n}", kind="school", region=region, school_level="associate", **fields
    )
