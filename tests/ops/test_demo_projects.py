"""The demo's construction scenario: the 2023 cohort three years in, and the walkthrough's first steps
(the draft that trips the enterprise-share alert, returned, mended, resubmitted and accepted)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chanjiao.ops.demo_projects import COHORT_STARTS, seed_projects_scenario
from chanjiao.ops.demo_review import seed_review_scenario
from chanjiao.ops.reference import load_reference_seeds
from chanjiao.orgs.models import User
from chanjiao.orgs.selectors import actor_for
from chanjiao.projects import reports_services
from chanjiao.projects.models import PlanAlert, ProgressReport, Project, TaskBook

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(db):
    list(load_reference_seeds())
    seed_review_scenario()
    return seed_projects_scenario()


def _actor(username: str):
    return actor_for(User.objects.get(username=username))


def test_the_cohort_is_three_years_in_with_confirmed_task_books_and_no_alert(scenario):
    assert len(scenario.projects) == 4
    for project in scenario.projects:
        assert (project.starts_on, project.ends_on) == (COHORT_STARTS, dt.date(2026, 11, 30))
        assert TaskBook.objects.get(project=project, version=1).status == TaskBook.Status.CONFIRMED
    walk = scenario.walkthrough
    assert walk.organization.name == "无锡交通职业技术学院"
    statuses = dict(ProgressReport.objects.filter(project=walk).values_list("period", "status"))
    assert statuses == {1: "accepted", 2: "accepted", 3: "draft"}
    others = ProgressReport.objects.filter(project__in=scenario.projects).exclude(project=walk)
    assert set(others.values_list("status", flat=True)) == {"accepted"}
    assert not PlanAlert.objects.filter(is_open=True).exists()
    again = seed_projects_scenario()
    assert again.created == {"calls": 0, "projects": 0, "reports": 0}
    assert Project.objects.count() == 4


def test_the_walkthrough_draft_trips_the_enterprise_share_alert_until_mended(scenario):
    school = _actor("js_school_admin")
    province = _actor("js_province")
    report = ProgressReport.objects.get(project=scenario.walkthrough, period=3)
    report = reports_services.report_submit(actor=school, report=report)
    alert = PlanAlert.objects.get(project=scenario.walkthrough, rule="enterprise_share", is_open=True)
    assert alert.threshold == "33.3%"
    assert Decimal(alert.figure.rstrip("%")) < Decimal("33.3")
    report = reports_services.report_return(
        actor=province, report=report, reasons=["企业投入的设备和技术计入了学校自筹，请按来源更正"]
    )
    # the school moves the enterprises' part back to where it came from
    data = {
        "funding": [
            {"source": "enterprise", "kind": "equipment", "received": "2520000", "spent": "2268000"},
            {"source": "enterprise", "kind": "technology", "received": "1680000", "spent": "1512000"},
            *[
                {"source": f.source, "kind": f.kind, "received": str(f.received), "spent": str(f.spent)}
                for f in report.funding.all()
                if (f.source, f.kind) != ("school", "cash")
            ],
            {"source": "school", "kind": "cash", "received": "2268000", "spent": "2041200"},
        ]
    }
    report = reports_services.report_save(
        actor=school, project=scenario.walkthrough, period=3, data=data, row_version=report.row_version
    )
    reports_services.report_submit(actor=school, report=report)
    assert not PlanAlert.objects.filter(
        project=scenario.walkthrough, rule="enterprise_share", is_open=True
    ).exists()


def test_with_the_demo_aids_the_cohort_is_accepted_rectified_and_assessed(scenario):
    """The README's walkthrough after the report, through the services the pages call."""
    from chanjiao.ops.demo_projects import latest_assessment_round, submit_demo_self_assessments
    from chanjiao.ops.demo_review import submit_demo_sheets
    from chanjiao.projects import assessment_services as batches
    from chanjiao.projects.models import Assessment, AssessmentEntry, Rectification
    from chanjiao.review.assignment import assign_exact
    from chanjiao.review.conflicts import conflicts_compute
    from chanjiao.review.panel_services import panel_open

    province = _actor("js_province")
    school = _actor("js_school_admin")
    walk = scenario.walkthrough
    report = ProgressReport.objects.get(project=walk, period=3)
    reports_services.report_submit(actor=school, report=report)
    reports_services.report_accept(actor=_actor("js_province"), report=report)

    batch = batches.assessment_create(
        actor=province,
        data={
            "kind": "acceptance",
            "call_id": scenario.call.pk,
            "project_type_id": walk.project_type_id,
            "year": 2026,
            "project_ids": [p.pk for p in scenario.projects],
            "self_assessment_due": str(dt.date.today() + dt.timedelta(days=14)),
            "reviews_per_application": 3,
        },
    )
    entries = {e.project_id: e for e in AssessmentEntry.objects.filter(assessment=batch)}
    assert len(entries) == 4
    # the computed figures come from the reports: the walkthrough school's enterprise share is 30%
    assert Decimal(entries[walk.pk].inputs["enterprise_share"]) < Decimal("0.3334")
    assert entries[walk.pk].inputs["reports_on_time"] is True
    batches.self_assessment_save(
        actor=school,
        entry=entries[walk.pk],
        data={"self_assessment": "按任务书完成建设。", "self_score": "85"},
    )
    batches.self_assessment_submit(actor=school, entry=AssessmentEntry.objects.get(pk=entries[walk.pk].pk))
    assert submit_demo_self_assessments() == 3
    batch = batches.assessment_start_review(actor=province, assessment=Assessment.objects.get(pk=batch.pk))
    review_round = latest_assessment_round()
    assert review_round == batch.round
    conflicts_compute(actor=province, review_round=review_round)
    assign_exact(actor=province, review_round=review_round)
    assert submit_demo_sheets(review_round, leave_to=None) == 12
    panel_open(actor=province, review_round=review_round)
    batch = batches.assessment_conclude(actor=province, assessment=Assessment.objects.get(pk=batch.pk))
    graded = AssessmentEntry.objects.filter(assessment=batch)
    assert all(e.score is not None and e.grade for e in graded)

    # the walkthrough school is sent to rectify, mends, and passes the re-check
    entry = graded.get(project=walk)
    batches.entry_decide(
        actor=province,
        entry=entry,
        data={
            "decision": "rectify",
            "reason": "合作企业实际投入占比低于三分之一",
            "requirements": "补足合作企业投入并提交到位凭证",
            "deadline": str(dt.date.today() + dt.timedelta(days=30)),
        },
    )
    walk.refresh_from_db()
    assert walk.status == "rectifying"
    rectification = Rectification.objects.get(entry=entry)
    batches.rectification_submit(
        actor=school, rectification=rectification, data={"report": "企业设备已到位。"}
    )
    batches.rectification_recheck(
        actor=province,
        rectification=Rectification.objects.get(pk=rectification.pk),
        data={"passed": True, "note": "已补足"},
    )
    walk.refresh_from_db()
    assert walk.status == "accepted"

    # a final performance assessment gives the walkthrough project an outcome with its reason
    performance = batches.assessment_create(
        actor=province,
        data={
            "kind": "performance",
            "call_id": scenario.call.pk,
            "project_type_id": walk.project_type_id,
            "year": 2026,
            "is_final": True,
            "project_ids": [walk.pk],
            "self_assessment_due": str(dt.date.today() + dt.timedelta(days=14)),
            "reviews_per_application": 3,
        },
    )
    entry = AssessmentEntry.objects.get(assessment=performance)
    batches.self_assessment_save(
        actor=school, entry=entry, data={"self_assessment": "四技服务到账逐年增长。"}
    )
    batches.self_assessment_submit(actor=school, entry=AssessmentEntry.objects.get(pk=entry.pk))
    performance = batches.assessment_start_review(actor=province, assessment=performance)
    conflicts_compute(actor=province, review_round=performance.round)
    assign_exact(actor=province, review_round=performance.round)
    assert submit_demo_sheets(performance.round, leave_to=None) == 3
    panel_open(actor=province, review_round=performance.round)
    batches.assessment_conclude(actor=province, assessment=Assessment.objects.get(pk=performance.pk))
    batches.entry_decide(
        actor=province,
        entry=AssessmentEntry.objects.get(pk=entry.pk),
        data={"outcome": "reward", "reason": "建设成效显著、运行机制完善"},
    )
    entry.refresh_from_db()
    assert (entry.outcome, entry.result) == ("reward", "decided")
