"""A school's track record on its later applications: the conclusions of its projects' acceptance
and performance batches, read by province staff and the observer of its province, city staff of
its city and its own staff (404 for anyone else), and included by URL on the application pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Role
from chanjiao.projects import assessment_services
from chanjiao.projects.models import Assessment, AssessmentEntry, Project
from chanjiao.projects.record_views import record_organization_for, track_record
from tests.conftest import actor_of, client_for
from tests.factories import make_org, make_person
from tests.review.factories import make_application, make_review_call, make_round

from .assessment_factories import (
    acceptance_sheet,
    concluded_batch,
    entry_of,
    make_awarded_project,
    make_experts,
    make_world,
)


@pytest.fixture
def world(regions, province_officer):
    return make_world(regions.anhui, province_officer)


def url(org) -> str:
    return f"/projects/record/{org.pk}/"


def _batch(world, *, kind="acceptance", year=2025, status=Assessment.Status.CONCLUDED, is_final=False):
    return Assessment.objects.create(
        kind=kind,
        name=f"{year}年度{kind}",
        call=world.call,
        project_type=world.project_type,
        province_code="340000",
        year=year,
        is_final=is_final,
        self_assessment_due=dt.date(year, 12, 1),
        status=status,
        created_by=world.staff,
    )


def _entry(batch, project, **values) -> AssessmentEntry:
    return AssessmentEntry.objects.create(assessment=batch, project=project, **values)


@pytest.fixture
def record(world, school, province_officer):
    """The Hefei school's project accepted (合格) in 2025 and rewarded in its 2024 performance
    assessment; a second project with a batch still running."""
    first = make_awarded_project(world, school, title="第一期集成平台", reports=False)
    second = make_awarded_project(world, school, title="第二期集成平台", reports=False)
    decided = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    _entry(
        _batch(world, year=2025),
        first,
        score=Decimal("78.50"),
        grade=AssessmentEntry.Grade.PASS,
        result=AssessmentEntry.Result.PASSED,
        reason="建设任务基本完成，资金到位。",
        decided_by=province_officer,
        decided_at=decided,
    )
    _entry(
        _batch(world, kind="performance", year=2024),
        first,
        score=Decimal("92.00"),
        outcome=AssessmentEntry.Outcome.REWARD,
        result=AssessmentEntry.Result.DECIDED,
        reason="“四技”到账经费超过200万元。",
        decided_by=province_officer,
        decided_at=decided - dt.timedelta(days=300),
    )
    _entry(_batch(world, year=2026, status=Assessment.Status.REVIEWING), second)
    return first, second


def test_the_record_lists_each_project_and_how_it_ended(record, province_officer, school):
    first, second = record

    response = client_for(province_officer).get(url(school))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("第二期集成平台") < html.index("第一期集成平台")  # newest project first
    assert 'data-grade="pass"' in html
    assert "合格" in html
    assert "建设任务基本完成，资金到位。" in html
    assert "2026-03-02" in html
    assert 'data-outcome="reward"' in html
    assert "给予奖励" in html
    assert "“四技”到账经费超过200万元。" in html
    # acceptance 2025 above performance 2024: latest year first
    assert html.index('data-kind="acceptance"') < html.index('data-kind="performance"')
    # the running batch is counted, not shown as a conclusion
    assert 'data-ongoing="1"' in html
    assert html.count("data-record-entry") == 2


def test_the_record_is_scoped(
    record,
    school,
    other_school,
    regions,
    province_officer,
    observer,
    city_officer,
    school_admin,
    school_staff,
    other_school_admin,
    jiangsu_officer,
    expert,
):
    for user in (province_officer, observer, city_officer, school_admin, school_staff):
        assert client_for(user).get(url(school)).status_code == 200, user.username
    # outside the scope: another province, another city's bureau, another school: 404
    wuhu_bureau = make_person(
        "wuhu_city",
        make_org("芜湖市教育局", kind="department", region=regions.wuhu, dept_level="city"),
        Role.CITY_ADMIN,
    )
    for user in (jiangsu_officer, other_school_admin, wuhu_bureau):
        assert client_for(user).get(url(school)).status_code == 404, user.username
    assert client_for(city_officer).get(url(other_school)).status_code == 404
    assert client_for(school_admin).get(url(other_school)).status_code == 404
    # an expert reads no projects at all
    assert client_for(expert).get(url(school)).status_code == 403
    with pytest.raises(NotFound):
        record_organization_for(actor=actor_of(jiangsu_officer), org_id=school.pk)
    with pytest.raises(NotFound):
        record_organization_for(actor=actor_of(province_officer), org_id="x")


def test_an_organisation_without_projects(school, province_officer, enterprise, enterprise_contact):
    html = client_for(enterprise_contact).get(url(enterprise)).content.decode()

    assert "data-no-projects" in html


def test_reading_the_record_costs_the_same_however_many_projects(world, record, school):
    first, _second = record
    with CaptureQueriesContext(connection) as few:
        list(track_record(school))
    for i in range(3):
        project = make_awarded_project(world, school, title=f"更多项目{i}", reports=False)
        _entry(_batch(world, year=2020 + i), project, grade="excellent", result="passed")

    with CaptureQueriesContext(connection) as many:
        projects = track_record(school)

    assert len(projects) == 5
    assert len(many) == len(few)


def test_the_application_pages_load_the_record(record, school, school_admin, province_officer, regions):
    call, project_type = make_review_call(regions.anhui, code="later-call")
    later = make_application(call, project_type, school, title="新一轮申报")

    own = client_for(school_admin).get(f"/applications/{later.pk}/").content.decode()
    staff = client_for(province_officer).get(f"/applications/{later.pk}/").content.decode()

    expected = f'hx-get="/projects/record/{school.pk}/"'
    assert expected in own
    assert expected in staff


def test_the_review_application_page_loads_the_record(record, school, province_officer, regions):
    call, project_type = make_review_call(regions.anhui, code="later-review")
    review_round = make_round(call, project_type, province_officer)
    later = make_application(call, project_type, school, title="新一轮申报")

    html = (
        client_for(province_officer)
        .get(f"/review/rounds/{review_round.pk}/applications/{later.pk}/")
        .content.decode()
    )

    assert f'hx-get="/projects/record/{school.pk}/"' in html


def test_a_concluded_acceptance_shows_on_the_next_application(world, school, province_officer, regions):
    project = make_awarded_project(world, school, title="已验收集成平台")
    batch = concluded_batch(
        world, [project], make_experts(regions.anhui, 3), sheets={project.pk: acceptance_sheet("0.9")}
    )
    entry = entry_of(batch, project)
    assessment_services.entry_decide(
        actor=world.actor, entry=entry, data={"decision": "pass", "reason": "验收优秀，同意通过。"}
    )

    html = client_for(province_officer).get(url(school)).content.decode()

    assert "已验收集成平台" in html
    assert 'data-grade="excellent"' in html
    assert "验收优秀，同意通过。" in html
    assert Project.objects.get(pk=project.pk).status == Project.Status.ACCEPTED
