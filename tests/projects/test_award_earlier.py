"""An award made before the platform (历史立项) is recorded once, by the province, with its own start."""

from __future__ import annotations

import datetime as dt

import pytest

from chanjiao.applications.models import Status
from chanjiao.core.errors import ConflictError, Forbidden, ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.projects import services
from chanjiao.projects.models import AwardDecision, Project, TaskBook
from tests.conftest import actor_of
from tests.review.factories import make_application, make_review_call

from .factories import add_budget


@pytest.fixture
def submitted(regions, school):
    call, project_type = make_review_call(regions.anhui)
    app = make_application(call, project_type, school, status=Status.SUBMITTED)
    add_budget(app)
    return app


def test_an_earlier_award_makes_the_project_from_its_own_start(submitted, province_officer):
    decision = services.award_record_earlier(
        actor=actor_of(province_officer),
        application=submitted,
        approved_budget="10000000",
        starts_on=dt.date(2023, 12, 1),
        document_number="皖教〔2023〕12号",
    )
    project = Project.objects.get(decision=decision)
    assert (project.starts_on, project.ends_on, project.status) == (
        dt.date(2023, 12, 1),
        dt.date(2026, 11, 30),
        "under_construction",
    )
    assert project.code.startswith("34-2023-")
    submitted.refresh_from_db()
    assert submitted.status == Status.AWARDED
    assert TaskBook.objects.filter(project=project, version=1).exists()
    entry = AuditEntry.objects.get(action="award_decision.record_earlier")
    assert entry.changes["application_status"] == ["submitted", "awarded"]


def test_refusals_store_nothing(submitted, province_officer, school_admin):
    with pytest.raises(Forbidden):
        services.award_record_earlier(
            actor=actor_of(school_admin),
            application=submitted,
            approved_budget="1",
            starts_on=dt.date(2023, 12, 1),
        )
    with pytest.raises(ValidationFailed) as caught:
        services.award_record_earlier(
            actor=actor_of(province_officer),
            application=submitted,
            approved_budget="99000000",
            starts_on=services.today() + dt.timedelta(days=1),
        )
    codes = {e.code for e in caught.value.errors}
    assert codes == {"award.budget_above_request", "award.earlier_starts_in_future"}
    assert "申请：10000000.00元" in next(
        e.message for e in caught.value.errors if e.field == "approved_budget"
    )
    assert not AwardDecision.objects.exists()
    assert not Project.objects.exists()
    services.award_record_earlier(
        actor=actor_of(province_officer),
        application=submitted,
        approved_budget="1",
        starts_on=dt.date(2024, 1, 1),
    )
    with pytest.raises(ConflictError) as twice:
        services.award_record_earlier(
            actor=actor_of(province_officer),
            application=submitted,
            approved_budget="1",
            starts_on=dt.date(2024, 1, 1),
        )
    assert [e.code for e in twice.value.errors] == ["award.already_decided"]
    assert "作出决定（立项），不能再次决定" in twice.value.errors[0].message
    assert Project.objects.count() == 1
