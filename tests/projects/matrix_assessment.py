"""The role matrix rows of acceptance and performance assessment batches (tests/test_role_matrix.py),
and the data they are asked about (the pages' rows, tests/projects/matrix_assessment_pages.py,
import the builders below).

The projects are the award decisions' (tests/projects/matrix.py: the Hefei school's, the Wuhu
school's, the Nanjing school's), made the first time a row asks; each province's pack gets the
Jiangsu acceptance and performance indicator systems. The base batches (`base(w)`):
- Anhui: an acceptance batch over the Hefei and the Wuhu projects (`acceptance`), and a
  performance batch over the Wuhu project alone (`wuhu_only`: outside the Hefei bureau's and the
  Hefei school's scope);
- Jiangsu: an acceptance batch over the Nanjing project (`acceptance`).
Every batch is opened through `assessment_create`. A write that should succeed gets objects of its
own, made when its URL is asked for (fresh projects awarded in the province's round; a batch
driven through the review's own services as far as the write needs), so refused requests are
compared before and after with nothing else happening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from chanjiao.projects import assessment_services
from chanjiao.projects.assessment_selectors import (
    EXPERT_ROLES,
    MANAGE_ROLES,
    READ_ROLES,
    SCHOOL_ROLES,
    TRAIL_ROLES,
)
from chanjiao.projects.models import Assessment, AssessmentEntry, Project, Rectification
from tests.conftest import actor_of
from tests.projects.assessment_factories import (
    add_assessment_systems,
    drive_to_panel,
    make_experts,
    school_people,
    submit_self_assessments,
)
from tests.projects.matrix import FOREIGN_READS, READS, STAFF, data, project_url
from tests.projects.matrix_reports import fresh_project
from tests.test_role_matrix import API, Row, World

PROVINCE_OF_ORG = {"school": "anhui", "other_school": "anhui", "jiangsu_school": "jiangsu"}
DEPARTMENT = {"anhui": "province_dept", "jiangsu": "jiangsu_dept"}
# Who writes a self-assessment or a rectification report: the project's school's own staff. The
# Hefei enterprise's administrator has a writer's role but no project of its own: it finds none.
WRITERS = {"school_admin": "school", "school_staff": "school", "other_admin": "other_school"}
MANAGERS = {"province": "anhui", "jiangsu": "jiangsu"}

# The batch each persona reads, and one outside their scope (None: nothing of theirs to ask about).
BATCH_READS = {
    "province": ("anhui", "acceptance"),
    "observer": ("anhui", "acceptance"),
    "city": ("anhui", "acceptance"),
    "school_admin": ("anhui", "acceptance"),
    "school_staff": ("anhui", "acceptance"),
    "other_admin": ("anhui", "acceptance"),
    "jiangsu": ("jiangsu", "acceptance"),
    "enterprise": None,
}
BATCH_FOREIGN = {
    "province": ("jiangsu", "acceptance"),
    "observer": ("jiangsu", "acceptance"),
    "city": ("anhui", "wuhu_only"),
    "school_admin": ("anhui", "wuhu_only"),
    "school_staff": ("anhui", "wuhu_only"),
    "other_admin": ("jiangsu", "acceptance"),
    "jiangsu": ("anhui", "acceptance"),
    "enterprise": ("anhui", "acceptance"),
}
# The organisation whose entry (or rectification) each persona reads, and one outside their scope.
ENTRY_READS = {
    "province": "school",
    "observer": "school",
    "city": "school",
    "school_admin": "school",
    "school_staff": "school",
    "other_admin": "other_school",
    "jiangsu": "jiangsu_school",
    "enterprise": None,
}
ENTRY_FOREIGN = {
    "province": "jiangsu_school",
    "observer": "jiangsu_school",
    "city": "other_school",
    "school_admin": "other_school",
    "school_staff": "other_school",
    "other_admin": "school",
    "jiangsu": "school",
    "enterprise": "school",
}


def _province(persona: str) -> str:
    return "jiangsu" if persona == "jiangsu" else "anhui"


def _staff(w: World, province: str):
    return w.users[STAFF[province]]


@dataclass
class Base:
    batches: dict[tuple[str, str], Assessment] = field(default_factory=dict)
    entries: dict[str, AssessmentEntry] = field(default_factory=dict)  # org key → its acceptance entry


def _prepare(w: World) -> None:
    """The projects and calls of tests/projects/matrix.py, with the packs' assessment systems."""
    if w.__dict__.get("_assessment_systems"):
        return
    d = data(w)
    for side in d.sides.values():
        add_assessment_systems(side.round.call.pack)
    w.__dict__["_assessment_systems"] = True


def _year(projects: list[Project]) -> int:
    return max(p.ends_on.year for p in projects)


def open_for(w: World, province: str, projects: list[Project], *, kind: str = "acceptance") -> Assessment:
    """A batch opened by the province's staff through the service."""
    _prepare(w)
    side = data(w).sides[province]
    return assessment_services.assessment_create(
        actor=actor_of(_staff(w, province)),
        data={
            "kind": kind,
            "call_id": side.round.call_id,
            "project_type_id": side.round.project_type_id,
            "project_ids": [p.pk for p in projects],
            "year": _year(projects) if kind == "acceptance" else timezone.localdate().year,
            "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
            "reviews_per_application": 2,
        },
    )


def base(w: World) -> Base:
    cached = w.__dict__.get("_assessments")
    if cached is not None:
        return cached
    _prepare(w)
    projects = data(w).projects
    b = Base()
    b.batches[("anhui", "acceptance")] = open_for(w, "anhui", [projects["school"], projects["other_school"]])
    b.batches[("anhui", "wuhu_only")] = open_for(w, "anhui", [projects["other_school"]], kind="performance")
    b.batches[("jiangsu", "acceptance")] = open_for(w, "jiangsu", [projects["jiangsu_school"]])
    for key, project in projects.items():
        b.entries[key] = AssessmentEntry.objects.get(
            assessment=b.batches[(PROVINCE_OF_ORG[key], "acceptance")], project=project
        )
    w.__dict__["_assessments"] = b
    return b


def experts_of(w: World, province: str):
    cache = w.__dict__.setdefault("_assessment_experts", {})
    if province not in cache:
        cache[province] = make_experts(w.org(DEPARTMENT[province]).region, 3)
    return cache[province]


def reviewing_batch(w: World, province: str, org_keys: list[str]) -> Assessment:
    """A fresh batch over fresh projects of the organisations, every self-assessment in, the review begun."""
    batch = open_for(w, province, [fresh_project(w, key) for key in org_keys])
    submit_self_assessments(batch)
    assessment_services.assessment_start_review(actor=actor_of(_staff(w, province)), assessment=batch)
    return batch


def panel_batch(w: World, province: str, org_keys: list[str]) -> Assessment:
    """A fresh batch whose round's panel has opened (the experts scored through the review)."""
    batch = reviewing_batch(w, province, org_keys)
    drive_to_panel(batch, _staff(w, province), experts_of(w, province))
    return batch


def concluded_batch(w: World, province: str, org_keys: list[str]) -> Assessment:
    batch = panel_batch(w, province, org_keys)
    assessment_services.assessment_conclude(actor=actor_of(_staff(w, province)), assessment=batch)
    return batch


def rectifications(w: World, province: str, org_keys: list[str]) -> list[Rectification]:
    """Fresh rectifications, one per organisation key (in order), of a concluded batch."""
    batch = concluded_batch(w, province, org_keys)
    actor = actor_of(_staff(w, province))
    out = []
    for entry in batch.entries.select_related("project").order_by("pk"):
        assessment_services.entry_decide(
            actor=actor,
            entry=entry,
            data={
                "decision": "rectify",
                "reason": "平台效益不足",
                "requirements": "补齐社会培训台账",
                "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            },
        )
        out.append(Rectification.objects.get(entry=entry))
    order = {p: i for i, p in enumerate(org_keys)}
    return sorted(out, key=lambda r: order.get(_org_key(w, r.entry.project), 0))


def _org_key(w: World, project: Project) -> str:
    return next(k for k, o in w.orgs.items() if o.pk == project.organization_id)


def base_rectifications(w: World) -> dict[str, Rectification]:
    """One open rectification per organisation (the Hefei and Wuhu schools', the Nanjing school's)."""
    cached = w.__dict__.get("_rectifications")
    if cached is None:
        anhui = rectifications(w, "anhui", ["school", "other_school"])
        jiangsu = rectifications(w, "jiangsu", ["jiangsu_school"])
        cached = {_org_key(w, r.entry.project): r for r in [*anhui, *jiangsu]}
        w.__dict__["_rectifications"] = cached
    return cached


# --- URLs -------------------------------------------------------------------------------------


def batch_url(template: str, reads: dict):
    def url(w: World, p: str):
        key = reads.get(p, ("anhui", "acceptance"))
        return None if key is None else template.format(base(w).batches[key].pk)

    return url


def entry_url(template: str, reads: dict):
    def url(w: World, p: str):
        key = reads.get(p, "school")
        return None if key is None else template.format(base(w).entries[key].pk)

    return url


def rectification_url(template: str, reads: dict):
    def url(w: World, p: str):
        key = reads.get(p, "school")
        return None if key is None else template.format(base_rectifications(w)[key].pk)

    return url


def create_url(w: World, p: str) -> str:
    """Staff of a province open a batch over a fresh project of theirs (made here, read by the data)."""
    base(w)
    if p in MANAGERS:
        key = "school" if MANAGERS[p] == "anhui" else "jiangsu_school"
        w.__dict__.setdefault("_fresh_for_batch", {})[p] = fresh_project(w, key)
    return f"{API}/assessments"


def create_json(w: World, p: str) -> dict:
    project = w.__dict__.get("_fresh_for_batch", {}).get(p) or data(w).projects["school"]
    side = data(w).sides[PROVINCE_OF_ORG[_org_key(w, project)]]
    return {
        "kind": "acceptance",
        "call_id": side.round.call_id,
        "project_type_id": side.round.project_type_id,
        "project_ids": [project.pk],
        "year": project.ends_on.year,
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
    }


def eligible_url(foreign: bool = False):
    def url(w: World, p: str):
        base(w)
        province = _province(p)
        if foreign:
            province = "jiangsu" if province == "anhui" else "anhui"
        side = data(w).sides[province]
        return (
            f"{API}/assessments/eligible-projects?call_id={side.round.call_id}"
            f"&project_type_id={side.round.project_type_id}&kind=performance&year={timezone.localdate().year}"
        )

    return url


def manage_batch_url(template: str, make):
    """Staff act on a fresh batch made by `make(w, province)`; anyone else is asked about the base one."""

    def url(w: World, p: str):
        if p in MANAGERS:
            province = MANAGERS[p]
            key = "school" if province == "anhui" else "jiangsu_school"
            return template.format(make(w, province, [key]).pk)
        return template.format(base(w).batches[("anhui", "acceptance")].pk)

    return url


def decide_url(template: str):
    def url(w: World, p: str):
        if p in MANAGERS:
            province = MANAGERS[p]
            key = "school" if province == "anhui" else "jiangsu_school"
            batch = concluded_batch(w, province, [key])
            return template.format(batch.entries.get().pk)
        return template.format(base(w).entries["school"].pk)

    return url


def submit_entry_url(template: str):
    """A writer submits the self-assessment of a fresh batch's entry of their school (its text saved)."""

    def url(w: World, p: str):
        if p in WRITERS:
            key = WRITERS[p]
            batch = open_for(w, PROVINCE_OF_ORG[key], [fresh_project(w, key)])
            entry = batch.entries.select_related("project", "project__organization").get()
            admin, _staff = school_people(entry.project.organization)
            assessment_services.self_assessment_save(
                actor=actor_of(admin), entry=entry, data={"self_assessment": "矩阵自评"}
            )
            return template.format(entry.pk)
        key = ENTRY_READS.get(p, "school")
        return None if key is None else template.format(base(w).entries[key].pk)

    return url


def rectification_submit_url(template: str):
    def url(w: World, p: str):
        if p in WRITERS:
            key = WRITERS[p]
            return template.format(rectifications(w, PROVINCE_OF_ORG[key], [key])[0].pk)
        key = ENTRY_READS.get(p, "school")
        return None if key is None else template.format(base_rectifications(w)[key].pk)

    return url


def recheck_url(template: str):
    def url(w: World, p: str):
        if p in MANAGERS:
            province = MANAGERS[p]
            key = "school" if province == "anhui" else "jiangsu_school"
            r = rectifications(w, province, [key])[0]
            admin, _staff = school_people(r.entry.project.organization)
            assessment_services.rectification_submit(
                actor=actor_of(admin), rectification=r, data={"report": "已整改"}
            )
            return template.format(r.pk)
        return template.format(base_rectifications(w)["school"].pk)

    return url


def self_assessment_json(w: World, p: str) -> dict:
    return {"self_assessment": f"矩阵自评{w.n()}", "self_score": 85}


def decide_json(w: World, p: str) -> dict:
    return {"decision": "pass", "reason": f"矩阵结论{w.n()}"}


def rectification_json(w: World, p: str) -> dict:
    return {"report": f"矩阵整改报告{w.n()}"}


def recheck_json(w: World, p: str) -> dict:
    return {"passed": True, "note": f"矩阵复核{w.n()}"}


def empty(w: World, p: str) -> dict:
    return {}


def prepared_list(path: str):
    def url(w: World, p: str):
        base(w)
        return path

    return url


A = f"{API}/assessments"
E = f"{API}/assessment-entries"
R = f"{API}/rectifications"
PAGE_ROWS: list = []
API_ROWS = [
    Row(A, "GET", READ_ROLES, prepared_list(A)),
    Row(A, "POST", MANAGE_ROLES, create_url, data=create_json, ok=201, write=True, audited=True),
    Row(
        f"{A}/eligible-projects",
        "GET",
        MANAGE_ROLES,
        eligible_url(),
        foreign=eligible_url(foreign=True),
    ),
    Row(
        f"{A}/{{assessment_id}}",
        "GET",
        READ_ROLES,
        batch_url(A + "/{}", BATCH_READS),
        foreign=batch_url(A + "/{}", BATCH_FOREIGN),
    ),
    Row(
        f"{A}/{{assessment_id}}/entries",
        "GET",
        READ_ROLES,
        batch_url(A + "/{}/entries", BATCH_READS),
        foreign=batch_url(A + "/{}/entries", BATCH_FOREIGN),
    ),
    Row(
        f"{A}/{{assessment_id}}/trail",
        "GET",
        TRAIL_ROLES,
        batch_url(A + "/{}/trail", BATCH_READS),
        foreign=batch_url(A + "/{}/trail", BATCH_FOREIGN),
    ),
    Row(
        f"{A}/{{assessment_id}}/start-review",
        "POST",
        MANAGE_ROLES,
        manage_batch_url(A + "/{}/start-review", lambda w, province, keys: _self_assessed(w, province, keys)),
        foreign=batch_url(A + "/{}/start-review", BATCH_FOREIGN),
        data=empty,
        write=True,
        audited=True,
    ),
    Row(
        f"{A}/{{assessment_id}}/conclude",
        "POST",
        MANAGE_ROLES,
        manage_batch_url(A + "/{}/conclude", panel_batch),
        foreign=batch_url(A + "/{}/conclude", BATCH_FOREIGN),
        data=empty,
        write=True,
        audited=True,
    ),
    Row(f"{E}/assigned", "GET", EXPERT_ROLES, prepared_list(f"{E}/assigned")),
    Row(
        f"{E}/{{entry_id}}",
        "GET",
        READ_ROLES,
        entry_url(E + "/{}", ENTRY_READS),
        foreign=entry_url(E + "/{}", ENTRY_FOREIGN),
    ),
    Row(
        f"{E}/{{entry_id}}/self-assessment",
        "PUT",
        SCHOOL_ROLES,
        entry_url(E + "/{}/self-assessment", ENTRY_READS),
        foreign=entry_url(E + "/{}/self-assessment", ENTRY_FOREIGN),
        data=self_assessment_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{E}/{{entry_id}}/self-assessment/submit",
        "POST",
        SCHOOL_ROLES,
        submit_entry_url(E + "/{}/self-assessment/submit"),
        foreign=entry_url(E + "/{}/self-assessment/submit", ENTRY_FOREIGN),
        data=empty,
        write=True,
        audited=True,
    ),
    Row(
        f"{E}/{{entry_id}}/decide",
        "POST",
        MANAGE_ROLES,
        decide_url(E + "/{}/decide"),
        foreign=entry_url(E + "/{}/decide", ENTRY_FOREIGN),
        data=decide_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/projects/{{project_id}}/assessments",
        "GET",
        READ_ROLES,
        project_url(API + "/projects/{}/assessments", READS),
        foreign=project_url(API + "/projects/{}/assessments", FOREIGN_READS),
    ),
    Row(
        f"{R}/{{rectification_id}}",
        "GET",
        READ_ROLES,
        rectification_url(R + "/{}", ENTRY_READS),
        foreign=rectification_url(R + "/{}", ENTRY_FOREIGN),
    ),
    Row(
        f"{R}/{{rectification_id}}/submit",
        "POST",
        SCHOOL_ROLES,
        rectification_submit_url(R + "/{}/submit"),
        foreign=rectification_url(R + "/{}/submit", ENTRY_FOREIGN),
        data=rectification_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{R}/{{rectification_id}}/recheck",
        "POST",
        MANAGE_ROLES,
        recheck_url(R + "/{}/recheck"),
        foreign=rectification_url(R + "/{}/recheck", ENTRY_FOREIGN),
        data=recheck_json,
        write=True,
        audited=True,
    ),
]


def _self_assessed(w: World, province: str, keys: list[str]) -> Assessment:
    """A fresh batch whose every self-assessment is in (ready for its review to start)."""
    batch = open_for(w, province, [fresh_project(w, key) for key in keys])
    submit_self_assessments(batch)
    return batch
