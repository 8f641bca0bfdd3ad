"""The role matrix rows of the acceptance and performance pages (tests/test_role_matrix.py), and
their data.

The projects are the award decisions' (tests/projects/matrix.py: the Hefei school's, the Wuhu
school's, the Nanjing school's), their construction moved three years back so it has ended, with
the pack's acceptance and performance systems added to each province's pack. Each province has a
base acceptance batch over its projects (in self-assessment), and each entry of it a rectification
made directly (read pages only ask about them). A write that should succeed gets fresh objects of
its own, made when its URL is asked for (a fresh awarded project, its batch in the state the write
needs), so refused requests are compared before and after with nothing else happening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from chanjiao.core.permissions import Role
from chanjiao.projects import assessment_services, reports_selectors
from chanjiao.projects.models import Assessment, AssessmentEntry, Project, Rectification
from chanjiao.projects.permissions import READ_ROLES
from tests.conftest import actor_of
from tests.projects.assessment_factories import (
    add_assessment_systems,
    add_report,
    add_years,
    backdate,
    drive_to_panel,
    make_experts,
)
from tests.projects.matrix import FOREIGN_READS, READS, STAFF, data, project_url
from tests.projects.matrix_reports import fresh_project
from tests.test_role_matrix import Row, World

STAFF_ROLES = (Role.PROVINCE_ADMIN,)
SCHOOL_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
TRAIL_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
PROVINCE_OF = {"school": "anhui", "other_school": "anhui", "jiangsu_school": "jiangsu"}
# The organisation whose entry each persona reads (the enterprise reads none: it builds no project).
ENTRY_READS = {k: v for k, v in READS.items() if k != "enterprise"}
SCHOOL_WRITERS = {"school_admin": "school", "school_staff": "school", "other_admin": "other_school"}
STAFF_PROVINCE = {"province": "anhui", "jiangsu": "jiangsu"}


def _province(p: str) -> str:
    return "jiangsu" if p == "jiangsu" else "anhui"


def _other(province: str) -> str:
    return "anhui" if province == "jiangsu" else "jiangsu"


@dataclass
class Base:
    batches: dict[str, Assessment]  # province → its base acceptance batch
    entries: dict[str, AssessmentEntry]  # organisation key → its entry in the base batch
    rectifications: dict[str, Rectification]  # organisation key → a rectification of that entry


def _staff(w: World, province: str):
    return w.users[STAFF[province]]


def _ended(project: Project) -> Project:
    """Construction begun three years ago (so ended), with an accepted report for each period due."""
    backdate(project, add_years(timezone.localdate(), -3))
    for period in reports_selectors.report_periods(project):
        if period.due_on < timezone.localdate() and not project.reports.filter(period=period.number).exists():
            add_report(project, period.number, enterprise="8000000", school="8000000")
    return project


def _open(w: World, province: str, projects: list[Project]) -> Assessment:
    call = data(w).sides[province].round.call
    return assessment_services.assessment_create(
        actor=actor_of(_staff(w, province)),
        data={
            "kind": "acceptance",
            "call_id": call.pk,
            "project_type_id": projects[0].project_type_id,
            "project_ids": [p.pk for p in projects],
            "year": max(p.ends_on.year for p in projects),
            "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
            "reviews_per_application": 2,
        },
    )


def _rectification(entry: AssessmentEntry, staff, status: str = Rectification.Status.OPEN) -> Rectification:
    """Test set-up: the entry decided 限期整改 (made directly: the decision itself is a row of its own)."""
    AssessmentEntry.objects.filter(pk=entry.pk).update(
        result=AssessmentEntry.Result.RECTIFYING,
        grade=AssessmentEntry.Grade.FAIL,
        score="55.00",
        reason="运行机制不完善",
        decided_by=staff,
        decided_at=timezone.now(),
    )
    return Rectification.objects.create(
        entry=entry,
        requirements="完善运行管理制度",
        deadline=timezone.localdate() + dt.timedelta(days=30),
        status=status,
        report="已整改" if status == Rectification.Status.RESUBMITTED else "",
        resubmitted_at=timezone.now() if status == Rectification.Status.RESUBMITTED else None,
        created_by=staff,
    )


def base(w: World) -> Base:
    cached = w.__dict__.get("_assessment_pages")
    if cached is not None:
        return cached
    d = data(w)
    for side in d.sides.values():
        add_assessment_systems(side.round.call.pack)
    batches, entries, rects = {}, {}, {}
    for province, keys in (("anhui", ["school", "other_school"]), ("jiangsu", ["jiangsu_school"])):
        projects = [_ended(d.projects[k]) for k in keys]
        batch = _open(w, province, projects)
        batches[province] = batch
        for key, project in zip(keys, projects, strict=True):
            entries[key] = AssessmentEntry.objects.get(assessment=batch, project=project)
            rects[key] = _rectification(entries[key], _staff(w, province))
    result = Base(batches, entries, rects)
    w.__dict__["_assessment_pages"] = result
    return result


def _fresh_batch(w: World, org_key: str) -> Assessment:
    """A new batch over a fresh project of the organisation, construction ended."""
    base(w)
    project = _ended(fresh_project(w, org_key))
    return _open(w, PROVINCE_OF[org_key], [project])


def _concluded_entry(w: World, org_key: str) -> AssessmentEntry:
    """Test set-up: a fresh batch concluded (made directly), its entry graded 合格 and undecided."""
    batch = _fresh_batch(w, org_key)
    Assessment.objects.filter(pk=batch.pk).update(status=Assessment.Status.CONCLUDED)
    entry = batch.entries.get()
    AssessmentEntry.objects.filter(pk=entry.pk).update(score="75.00", grade=AssessmentEntry.Grade.PASS)
    return entry


def _submitted_batch(w: World, org_key: str) -> Assessment:
    batch = _fresh_batch(w, org_key)
    entry = batch.entries.get()
    if org_key == "jiangsu_school":
        # the Nanjing school has no person of its own in the matrix: its entry is submitted directly
        AssessmentEntry.objects.filter(pk=entry.pk).update(
            self_assessment="自评", self_submitted_at=timezone.now()
        )
    else:
        actor = actor_of(w.users["school_admin"])
        assessment_services.self_assessment_save(actor=actor, entry=entry, data={"self_assessment": "自评"})
        assessment_services.self_assessment_submit(actor=actor, entry=entry)
    return batch


def _panel_batch(w: World, org_key: str) -> Assessment:
    """A fresh batch whose round went through the review's own services to the panel."""
    batch = _submitted_batch(w, org_key)
    province = PROVINCE_OF[org_key]
    staff = _staff(w, province)
    assessment_services.assessment_start_review(actor=actor_of(staff), assessment=batch)
    batch.refresh_from_db()
    region = w.org("jiangsu_dept" if province == "jiangsu" else "province_dept").region
    drive_to_panel(batch, staff, make_experts(region, 3))
    return batch


# --- URLs ---------------------------------------------------------------------------------------


def batch_url(template: str):
    return lambda w, p: template.format(base(w).batches[_province(p)].pk)


def foreign_batch_url(template: str):
    return lambda w, p: template.format(base(w).batches[_other(_province(p))].pk)


def entry_url(template: str, what: str = "entries"):
    def url(w: World, p: str):
        key = ENTRY_READS.get(p)
        if key is None:
            return None
        return template.format(getattr(base(w), what)[key].pk)

    return url


def foreign_entry_url(template: str, what: str = "entries"):
    return lambda w, p: template.format(getattr(base(w), what)[FOREIGN_READS.get(p, "other_school")].pk)


def staff_write_url(template: str, make):
    """Staff act on fresh objects of their province (`make(w, org_key)` → the object); anyone else
    (refused by role) is asked about the base batch's."""

    def url(w: World, p: str):
        if p in STAFF_PROVINCE:
            key = "jiangsu_school" if p == "jiangsu" else "school"
            return template.format(make(w, key).pk)
        return template.format(base(w).batches[_province(p)].pk)

    return url


def staff_entry_write_url(template: str, make, what: str = "entries"):
    def url(w: World, p: str):
        if p in STAFF_PROVINCE:
            key = "jiangsu_school" if p == "jiangsu" else "school"
            return template.format(make(w, key).pk)
        return template.format(getattr(base(w), what)[ENTRY_READS.get(p, "school")].pk)

    return url


def foreign_staff_entry_url(template: str, what: str = "entries"):
    def url(w: World, p: str):
        key = "school" if p == "jiangsu" else "jiangsu_school"
        return template.format(getattr(base(w), what)[key].pk)

    return url


def school_write_url(template: str, make=None, what: str = "entries"):
    """A school's staff write on their own entry (or a fresh one `make` gives); anyone else is asked
    about the base entry they read (and refused by role)."""

    def url(w: World, p: str):
        if p in SCHOOL_WRITERS:
            key = SCHOOL_WRITERS[p]
            obj = make(w, key) if make else getattr(base(w), what)[key]
            return template.format(obj.pk)
        key = ENTRY_READS.get(p)
        if key is None:
            return None
        return template.format(getattr(base(w), what)[key].pk)

    return url


def new_batch_url(w: World, p: str) -> str:
    if p in STAFF_PROVINCE:
        base(w)
        project = _ended(fresh_project(w, "jiangsu_school" if p == "jiangsu" else "school"))
        w.__dict__.setdefault("_new_batch_projects", {})[p] = project
    return "/projects/assessments/new/"


def prepared_url(path: str):
    def url(w: World, p: str):
        base(w)
        return path

    return url


# --- form data ----------------------------------------------------------------------------------


def new_batch_form(w: World, p: str) -> dict:
    project = w.__dict__.get("_new_batch_projects", {}).get(p)
    if project is None:
        return {"kind": "acceptance"}
    return {
        "kind": "acceptance",
        "subject": f"{project.call_id}-{project.project_type_id}",
        "year": str(project.ends_on.year),
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        "excellent_min": "90",
        "pass_min": "60",
        "project_ids": [str(project.pk)],
    }


def self_assessment_form(w: World, p: str) -> dict:
    return {"self_assessment": f"矩阵自评{w.n()}", "self_score": "80", "action": "save"}


def decide_form(w: World, p: str) -> dict:
    return {"decision": "pass", "reason": f"矩阵验收通过{w.n()}"}


def rectification_form(w: World, p: str) -> dict:
    return {"report": f"矩阵整改报告{w.n()}"}


def recheck_form(w: World, p: str) -> dict:
    return {"passed": "1", "note": f"矩阵复核{w.n()}"}


def _open_rectification(w: World, key: str) -> Rectification:
    entry = _concluded_entry(w, key)
    return _rectification(entry, _staff(w, PROVINCE_OF[key]))


def _resubmitted_rectification(w: World, key: str) -> Rectification:
    entry = _concluded_entry(w, key)
    return _rectification(entry, _staff(w, PROVINCE_OF[key]), Rectification.Status.RESUBMITTED)


A = "/projects/assessments"
PAGE_ROWS = [
    Row("projects/assessments/", "GET", READ_ROLES, prepared_url(f"{A}/")),
    Row("projects/assessments/new/", "GET", STAFF_ROLES, prepared_url(f"{A}/new/?kind=acceptance")),
    Row(
        "projects/assessments/new/",
        "POST",
        STAFF_ROLES,
        new_batch_url,
        data=new_batch_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/assessments/<int:pk>/",
        "GET",
        READ_ROLES,
        batch_url(A + "/{}/"),
        foreign=foreign_batch_url(A + "/{}/"),
        # the Hefei enterprise builds no project of a batch: it is asked about one outside its scope
        overrides={"enterprise": 404},
    ),
    Row(
        "projects/assessments/<int:pk>/export.xlsx",
        "GET",
        READ_ROLES,
        batch_url(A + "/{}/export.xlsx"),
        foreign=foreign_batch_url(A + "/{}/export.xlsx"),
        overrides={"enterprise": 404},
    ),
    Row(
        "projects/assessments/<int:pk>/trail/",
        "GET",
        TRAIL_ROLES,
        batch_url(A + "/{}/trail/"),
        foreign=foreign_batch_url(A + "/{}/trail/"),
    ),
    Row(
        "projects/assessments/<int:pk>/start-review/",
        "POST",
        STAFF_ROLES,
        staff_write_url(A + "/{}/start-review/", _submitted_batch),
        foreign=foreign_batch_url(A + "/{}/start-review/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/assessments/<int:pk>/conclude/",
        "POST",
        STAFF_ROLES,
        staff_write_url(A + "/{}/conclude/", _panel_batch),
        foreign=foreign_batch_url(A + "/{}/conclude/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/assessments/entries/<int:pk>/",
        "GET",
        READ_ROLES,
        entry_url(A + "/entries/{}/"),
        foreign=foreign_entry_url(A + "/entries/{}/"),
    ),
    Row(
        "projects/assessments/entries/<int:pk>/",
        "POST",
        SCHOOL_ROLES,
        school_write_url(A + "/entries/{}/"),
        foreign=foreign_entry_url(A + "/entries/{}/"),
        data=self_assessment_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/assessments/entries/<int:pk>/decide/",
        "POST",
        STAFF_ROLES,
        staff_entry_write_url(A + "/entries/{}/decide/", _concluded_entry),
        foreign=foreign_staff_entry_url(A + "/entries/{}/decide/"),
        data=decide_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/rectifications/<int:pk>/",
        "GET",
        READ_ROLES,
        entry_url("/projects/rectifications/{}/", "rectifications"),
        foreign=foreign_entry_url("/projects/rectifications/{}/", "rectifications"),
    ),
    Row(
        "projects/rectifications/<int:pk>/",
        "POST",
        SCHOOL_ROLES,
        school_write_url("/projects/rectifications/{}/", _open_rectification, "rectifications"),
        foreign=foreign_entry_url("/projects/rectifications/{}/", "rectifications"),
        data=rectification_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/rectifications/<int:pk>/recheck/",
        "POST",
        STAFF_ROLES,
        staff_entry_write_url(
            "/projects/rectifications/{}/recheck/", _resubmitted_rectification, "rectifications"
        ),
        foreign=foreign_staff_entry_url("/projects/rectifications/{}/recheck/", "rectifications"),
        data=recheck_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/<int:pk>/assessments/",
        "GET",
        READ_ROLES,
        project_url("/projects/{}/assessments/", READS),
        foreign=project_url("/projects/{}/assessments/", FOREIGN_READS),
    ),
]
API_ROWS: list = []
