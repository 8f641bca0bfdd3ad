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
