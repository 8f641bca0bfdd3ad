"""The role matrix rows of periodic reports and plan alerts (tests/test_role_matrix.py), and their data.

The projects are the award decisions' (tests/projects/matrix.py: the Hefei school's, with the Hefei
enterprise as partner; the Wuhu school's; the Nanjing school's). A write that should succeed gets a
fresh project of its own (a fresh publicised application awarded in its province's round), made when
its URL is asked for, so each persona's report is the first of its period and refused requests are
compared before and after with nothing else happening. Every other persona is asked about the
report of period 1 of the project it reads (`base_report`).
"""

from __future__ import annotations

from chanjiao.applications.models import Status
from chanjiao.core.permissions import Role
from chanjiao.projects import reports_selectors, services
from chanjiao.projects.models import ProgressReport, Project
from chanjiao.projects.permissions import READ_ROLES
from chanjiao.projects.reports_services import REVIEW_ROLES, WRITE_ROLES
from tests.conftest import actor_of
from tests.projects.factories import add_budget
from tests.projects.matrix import FOREIGN_READS, READS, STAFF, data, prepared, project_url
from tests.review.factories import make_application
from tests.test_role_matrix import API, Row, World

OVERDUE_ROLES = (*REVIEW_ROLES, Role.OBSERVER)
# Who writes a report: the building school's own staff. The Hefei enterprise's administrator has a
# writer's role and reads the Hefei school's project as its partner, but does not report on it.
WRITERS = {"school_admin", "school_staff", "other_admin"}
NOT_THE_BUILDER = {"enterprise": 403}
REVIEWERS = {"province": "school", "jiangsu": "jiangsu_school"}
FOREIGN_REVIEW = {"province": "jiangsu_school", "jiangsu": "school"}


def _province(org_key: str) -> str:
    return "jiangsu" if org_key == "jiangsu_school" else "anhui"


def fresh_project(w: World, org_key: str) -> Project:
    province = _province(org_key)
    side = data(w).sides[province]
    staff = w.users[STAFF[province]]
    app = make_application(
        side.round.call, side.round.project_type, w.org(org_key), status=Status.PUBLICISED, created_by=staff
    )
    add_budget(app)
    services.decision_award(actor=actor_of(staff), application=app, approved_budget="1000000.00")
    return Project.objects.get(application=app)


def _report(project: Project, status: str) -> ProgressReport:
    period = reports_selectors.report_periods(project)[0]
    return ProgressReport.objects.create(
        project=project,
        period=period.number,
        period_start=period.start,
        period_end=period.end,
        due_on=period.due_on,
        status=status,
    )


def base_report(w: World, org_key: str) -> ProgressReport:
    """Period 1's report of the organisation's matrix project (submitted), made once."""
    cache = w.__dict__.setdefault("_reports", {})
    if org_key not in cache:
        cache[org_key] = _report(data(w).projects[org_key], ProgressReport.Status.SUBMITTED)
    return cache[org_key]


def write_project_url(template: str):
    """A writer reports on a fresh project of their school; anyone else asks about the one they read."""

    def url(w: World, p: str):
        key = READS.get(p, "school")
        project = fresh_project(w, key) if p in WRITERS else data(w).projects[key]
        return template.format(project.pk)

    return url


def submit_url(template: str):
    def url(w: World, p: str):
        key = READS.get(p, "school")
        if p in WRITERS:
            return template.format(_report(fresh_project(w, key), ProgressReport.Status.DRAFT).pk)
        return template.format(base_report(w, key).pk)

    return url


def review_url(template: str):
    def url(w: World, p: str):
        if p in REVIEWERS:
            return template.format(
                _report(fresh_project(w, REVIEWERS[p]), ProgressReport.Status.SUBMITTED).pk
            )
        return template.format(base_report(w, READS.get(p, "school")).pk)

    return url


def foreign_report_url(template: str, foreign: dict[str, str]):
    return lambda w, p: template.format(base_report(w, foreign.get(p, "other_school")).pk)


def report_form(w: World, p: str) -> dict:
    return {
        "row_version": "",
        "action": "save",
        "narrative": f"矩阵进展{w.n()}",
        "f-school-cash-received": "1000000",
        "f-school-cash-spent": "200000",
        "eq-count": "1",
        "eq-0-action": "add",
        "eq-0-asset_number": f"M-{w.n()}",
        "eq-0-name": "工业机器人",
        "eq-0-value": "300000",
        "eq-0-source": "donation",
        "eq-0-changed_on": "2026-01-01",
        "eq-0-workstations": "2",
    }


def report_json(w: World, p: str) -> dict:
    return {
        "narrative": f"矩阵进展{w.n()}",
        "funding": [{"source": "enterprise", "kind": "equipment", "received": "500000", "spent": "0"}],
        "usage": [{"purpose": "social", "group": "veterans", "hours": "120", "people": 30}],
        "kpi_values": {"patents": 1},
        "tech_service_income": {"consulting": "80000"},
    }


def reasons_form(w: World, p: str) -> dict:
    return {"reasons": f"矩阵退回理由{w.n()}"}


def reasons_json(w: World, p: str) -> dict:
    return {"reasons": [f"矩阵退回理由{w.n()}"]}


def empty(w: World, p: str) -> dict:
    return {}


R = "/projects/reports"
PAGE_ROWS = [
    Row(
        "projects/<int:pk>/reports/",
        "GET",
        READ_ROLES,
        project_url("/projects/{}/reports/", READS),
        foreign=project_url("/projects/{}/reports/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/reports/<int:period>/",
        "GET",
        READ_ROLES,
        project_url("/projects/{}/reports/1/", READS),
        foreign=project_url("/projects/{}/reports/1/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/reports/<int:period>/",
        "POST",
        WRITE_ROLES,
        write_project_url("/projects/{}/reports/1/"),
        foreign=project_url("/projects/{}/reports/1/", FOREIGN_READS),
        data=report_form,
        ok=302,
        overrides=NOT_THE_BUILDER,
        write=True,
        audited=True,
    ),
    Row("projects/reports/equipment-row/", "GET", WRITE_ROLES, prepared(f"{R}/equipment-row/?i=3")),
    Row(
        "projects/reports/<int:report_id>/submit/",
        "POST",
        WRITE_ROLES,
        submit_url(R + "/{}/submit/"),
        foreign=foreign_report_url(R + "/{}/submit/", FOREIGN_READS),
        data=empty,
        ok=302,
        overrides=NOT_THE_BUILDER,
        write=True,
        audited=True,
    ),
    Row(
        "projects/reports/<int:report_id>/return/",
        "POST",
        REVIEW_ROLES,
        review_url(R + "/{}/return/"),
        foreign=foreign_report_url(R + "/{}/return/", FOREIGN_REVIEW),
        data=reasons_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/reports/<int:report_id>/accept/",
        "POST",
        REVIEW_ROLES,
        review_url(R + "/{}/accept/"),
        foreign=foreign_report_url(R + "/{}/accept/", FOREIGN_REVIEW),
        data=empty,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("projects/reports/overdue/", "GET", OVERDUE_ROLES, prepared(f"{R}/overdue/")),
    Row("projects/alerts/", "GET", READ_ROLES, prepared("/projects/alerts/")),
]

API_ROWS = [
    Row(
        f"{API}/projects/{{project_id}}/reports",
        "GET",
        READ_ROLES,
        project_url(API + "/projects/{}/reports", READS),
        foreign=project_url(API + "/projects/{}/reports", FOREIGN_READS),
    ),
    Row(
        f"{API}/projects/{{project_id}}/reports/{{period}}",
        "PUT",
        WRITE_ROLES,
        write_project_url(API + "/projects/{}/reports/1"),
        foreign=project_url(API + "/projects/{}/reports/1", FOREIGN_READS),
        data=report_json,
        ok=201,
        overrides=NOT_THE_BUILDER,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/reports/{{report_id}}/submit",
        "POST",
        WRITE_ROLES,
        submit_url(API + "/reports/{}/submit"),
        foreign=foreign_report_url(API + "/reports/{}/submit", FOREIGN_READS),
        data=empty,
        overrides=NOT_THE_BUILDER,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/reports/{{report_id}}/return",
        "POST",
        REVIEW_ROLES,
        review_url(API + "/reports/{}/return"),
        foreign=foreign_report_url(API + "/reports/{}/return", FOREIGN_REVIEW),
        data=reasons_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/reports/{{report_id}}/accept",
        "POST",
        REVIEW_ROLES,
        review_url(API + "/reports/{}/accept"),
        foreign=foreign_report_url(API + "/reports/{}/accept", FOREIGN_REVIEW),
        data=empty,
        write=True,
        audited=True,
    ),
    Row(f"{API}/plan-alerts", "GET", READ_ROLES, prepared(f"{API}/plan-alerts")),
    Row(f"{API}/reports/overdue", "GET", OVERDUE_ROLES, prepared(f"{API}/reports/overdue")),
]
