"""The review's rows of the role matrix (tests/test_role_matrix.py), and the data they ask about.

Made the first time a row asks, in the matrix's own world, for each province (Anhui, where the
world's province staff and observer work, and Jiangsu, the other province):
- a pool of six experts (the `expert` persona is in Anhui's too);
- an assigned round (`main`) whose first application is the `expert` persona's to review;
- a round in setup (`solve`) for the solve, the draw and recomputing conflicts;
- a round in setup (`manual`) for assignments by hand;
- a call with no round (`open`), whose applications take exclusions;
- a call with no round at all (`fresh`) for setting rounds up.
Writes that succeed get fresh objects of their own, made when the URL is asked for, so that a
refused request is compared before and after with nothing else happening.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from chanjiao.applications.models import Application
from chanjiao.core.permissions import Role
from chanjiao.policy.models import Call, ProjectType
from chanjiao.review import assignment as assigning
from chanjiao.review.importers import COLUMNS
from chanjiao.review.models import (
    Assignment,
    AssignmentRun,
    Conflict,
    Exclusion,
    ExpertProfile,
    ReviewRound,
    ScoreSheet,
)
from chanjiao.review.permissions import (
    APPLICANT_ROLES,
    EXCLUSION_READ_ROLES,
    EXPERT_ROLES,
    READ_ROLES,
    STAFF_ROLES,
)
from tests.applications.factories import make_call, make_pack, make_project_type
from tests.conftest import actor_of
from tests.factories import make_org, make_person
from tests.test_role_matrix import API, Row, World, fixed

from .factories import make_application, make_expert

PROVINCES = ("anhui", "jiangsu")
DEPARTMENT = {"anhui": "province_dept", "jiangsu": "jiangsu_dept"}
STAFF = {"anhui": "province", "jiangsu": "jiangsu"}
# whose applications each province's rounds review (two each)
APPLICANTS = {"anhui": ("school", "other_school"), "jiangsu": ("jiangsu_school", "jiangsu_school")}
# the organisation each applicant persona applies for
APPLICANT_ORG = {"school_admin": "school", "school_staff": "school", "other_admin": "other_school"}
COMPUTED_KINDS = ("same_city", "education_group", "named", "exclusion", "same_group", "employer_is_party")


def province_of(persona: str) -> str:
    return "jiangsu" if persona == "jiangsu" else "anhui"


def other(province: str) -> str:
    return "anhui" if province == "jiangsu" else "jiangsu"


@dataclass
class Side:
    """One province's review data."""

    pool: list[ExpertProfile]
    main: ReviewRound
    solve: ReviewRound
    manual: ReviewRound
    fresh: tuple[Call, ProjectType]
    open_apps: list[Application]
    run: AssignmentRun
    assignment: Assignment
    spare: list[int] = field(default_factory=list)  # pool indices not yet used for a fresh pair


@dataclass
class Data:
    sides: dict[str, Side]
    expert_app: Application  # the `expert` persona reviews it
    expert_other: Application  # in the same round, assigned to someone else
    expert_profile: ExpertProfile


def _call(w: World, province: str, code: str) -> tuple[Call, ProjectType]:
    region = w.org(DEPARTMENT[province]).region
    pack = make_pack(region, code=f"matrix-review-{province}-{code}")
    project_type = make_project_type(pack)
    return make_call(pack, [project_type], limit=50), project_type


def _apps(
    w: World, province: str, call: Call, project_type: ProjectType, status: str = "under_review"
) -> list:
    return [
        make_application(call, project_type, w.org(key), status=status, created_by=w.users[STAFF[province]])
        for key in APPLICANTS[province]
    ]


def _round(w: World, province: str, code: str, **settings) -> ReviewRound:
    call, project_type = _call(w, province, code)
    _apps(w, province, call, project_type)
    return ReviewRound.objects.create(
        call=call,
        project_type=project_type,
        name=f"矩阵{code}",
        created_by=w.users[STAFF[province]],
        **settings,
    )


def _pool(w: World, province: str) -> list[ExpertProfile]:
    region = w.org(DEPARTMENT[province]).region
    county = w.org(APPLICANTS[province][0]).region
    experts = []
    for i in range(6):
        kind = "enterprise" if i % 2 else "research"
        employer = make_org(f"矩阵专家单位{province}{i}", kind=kind, region=county)
        experts.append(make_expert(region, employer, name=f"矩阵专家{province}{i}", categories=["46"]))
    return experts


def data(w: World) -> Data:
    cached = w.__dict__.get("_review")
    if cached is not None:
        return cached
    sides = {}
    for province in PROVINCES:
        pool = _pool(w, province)
        main = _round(w, province, "main", status=ReviewRound.Status.ASSIGNED, reviews_per_application=2)
        solve = _round(w, province, "solve", reviews_per_application=2)
        manual = _round(w, province, "manual", reviews_per_application=5)
        fresh = _call(w, province, "fresh")
        open_call = _call(w, province, "open")
        open_apps = _apps(w, province, *open_call)
        staff = actor_of(w.users[STAFF[province]])
        run = assigning.assign_draw(actor=staff, review_round=solve, seed=20261122)
        first = Application.objects.filter(call=main.call).order_by("id")
        assignment = Assignment.objects.create(
            round=main,
            expert=pool[0],
            application=first[1],
            method="exact",
            created_by=w.users[STAFF[province]],
        )
        sides[province] = Side(
            pool, main, solve, manual, fresh, list(open_apps), run, assignment, spare=[1, 2, 3, 4, 5]
        )
    main = sides["anhui"].main
    apps = list(Application.objects.filter(call=main.call).order_by("id"))
    profile = ExpertProfile.objects.create(
        user=w.users["expert"], province_id="340000", employer=w.org("enterprise"), is_industry=True
    )
    Assignment.objects.create(
        round=main, expert=profile, application=apps[0], method="exact", created_by=w.users["province"]
    )
    d = Data(sides=sides, expert_app=apps[0], expert_other=apps[1], expert_profile=profile)
    w.__dict__["_review"] = d
    return d


def side(w: World, persona: str) -> Side:
    return data(w).sides[province_of(persona)]


def foreign_side(w: World, persona: str) -> Side:
    return data(w).sides[other(province_of(persona))]


def is_staff(persona: str) -> bool:
    return persona in STAFF.values()


# --- URL builders ------------------------------------------------------------------------------------


def prepared(path: str):
    """A fixed URL; asking for it first makes the data, so the request's own writes are all it changes."""

    def url(w: World, p: str):
        data(w)
        return path

    return url


def of_side(template: str, pick):
    return lambda w, p: template.format(*pick(side(w, p)))


def of_foreign(template: str, pick):
    return lambda w, p: template.format(*pick(foreign_side(w, p)))


def _remember(w: World, key: str, persona: str, value: Any) -> Any:
    w.__dict__.setdefault("_review_fresh", {})[(key, persona)] = value
    return value


def remembered(w: World, key: str, persona: str) -> Any:
    return w.__dict__.get("_review_fresh", {}).get((key, persona))


def fresh_user(key: str, template: str):
    """A person not yet in the pool, for a staff persona to add (others are refused before looking)."""

    def url(w: World, p: str):
        data(w)
        if is_staff(p):
            n = w.n()
            user = make_person(
                f"matrix_new_expert{n}", w.org("enterprise"), Role.EXPERT, display_name=f"新专家{n}"
            )
            _remember(w, key, p, user)
        return template

    return url


def fresh_conflict(template: str):
    """A computed conflict, not waived, in the persona's main round, for a staff persona to waive."""

    def url(w: World, p: str):
        s = side(w, p)
        if not is_staff(p):
            return None
        n = w.n()
        conflict = Conflict.objects.create(
            round=s.main,
            expert=s.pool[1 + n % 5],
            application=Application.objects.filter(call=s.main.call).order_by("id")[1],
            kind=COMPUTED_KINDS[n % len(COMPUTED_KINDS)],
            source="computed",
            details={"items": []},
        )
        return template.format(conflict.pk)

    return url


def foreign_conflict(template: str):
    def url(w: World, p: str):
        s = foreign_side(w, p)
        conflict = Conflict.objects.filter(round=s.main, waived_at__isnull=True).first()
        if conflict is None:
            conflict = Conflict.objects.create(
                round=s.main,
                expert=s.pool[5],
                application=Application.objects.filter(call=s.main.call).order_by("id")[1],
                kind="same_city",
                source="computed",
                details={"items": []},
            )
        return template.format(conflict.pk)

    return url


def fresh_assignment(template: str):
    """A hand-made assignment in the persona's manual round, for a staff persona to remove."""

    def url(w: World, p: str):
        s = side(w, p)
        if not is_staff(p):
            return template.format(s.assignment.pk)
        n = w.n()
        app = Application.objects.filter(call=s.manual.call).order_by("id")[n % 2]
        expert = next(
            e
            for e in s.pool
            if not Assignment.objects.filter(round=s.manual, expert=e, application=app).exists()
        )
        row = Assignment.objects.create(
            round=s.manual,
            expert=expert,
            application=app,
            method="manual",
            reason="矩阵",
            created_by=w.users[STAFF[province_of(p)]],
        )
        return template.format(row.pk)

    return url


def expert_app(template: str):
    return lambda w, p: template.format(data(w).expert_app.pk)


def expert_other(template: str):
    return lambda w, p: template.format(data(w).expert_other.pk)


def fresh_expert_app(template: str):
    """A new application assigned to the `expert` persona, for them to declare a conflict on."""

    def url(w: World, p: str):
        d = data(w)
        if p != "expert":
            return template.format(d.expert_app.pk)
        main = d.sides["anhui"].main
        app = make_application(
            main.call, main.project_type, w.org("other_school"), created_by=w.users["province"]
        )
        Assignment.objects.create(
            round=main,
            expert=d.expert_profile,
            application=app,
            method="exact",
            created_by=w.users["province"],
        )
        return template.format(app.pk)

    return url


# Exclusions: each applicant persona asks on their own organisation's application in the open call;
# province staff and the observer read those of their province.
def _open_app(w: World, org_key: str) -> Application:
    province = "jiangsu" if org_key.startswith("jiangsu") else "anhui"
    apps = data(w).sides[province].open_apps
    return next(a for a in apps if a.applicant_id == w.org(org_key).pk)


EXCLUSION_READS = {
    **dict.fromkeys(("school_admin", "school_staff", "province", "observer"), "school"),
    "other_admin": "other_school",
    "jiangsu": "jiangsu_school",
}
EXCLUSION_FOREIGN = {
    "province": "jiangsu_school",
    "observer": "jiangsu_school",
    "jiangsu": "school",
    "other_admin": "school",
}


def exclusion_app(template: str):
    def url(w: World, p: str):
        key = EXCLUSION_READS.get(p)
        return None if key is None else template.format(_open_app(w, key).pk)

    return url


def exclusion_foreign(template: str):
    return lambda w, p: template.format(_open_app(w, EXCLUSION_FOREIGN.get(p, "other_school")).pk)


def fresh_exclusion(template: str):
    def url(w: World, p: str):
        key = APPLICANT_ORG.get(p)
        if key is None:
            return None
        app = _open_app(w, key)
        row = Exclusion.objects.create(
            application=app, expert_name=f"回避专家{w.n()}", reason="矩阵", created_by=w.users[p]
        )
        return template.format(app.pk, row.pk)

    return url


def foreign_exclusion(template: str):
    def url(w: World, p: str):
        app = _open_app(w, "school" if p == "other_admin" else "other_school")
        row = Exclusion.objects.filter(application=app).first() or Exclusion.objects.create(
            application=app, expert_name=f"回避专家{w.n()}", reason="矩阵", created_by=w.users["province"]
        )
        return template.format(app.pk, row.pk)

    return url


# --- request bodies (plain values: nothing is written while they are made) --------------------------


def new_expert_form(w: World, p: str) -> dict:
    user = remembered(w, "page_expert", p)
    return {
        "username": user.username if user else "nobody",
        "employer": w.org("enterprise").uscc,
        "programme_categories": "46",
    }


def new_expert_json(w: World, p: str) -> dict:
    user = remembered(w, "api_expert", p)
    return {
        "user_id": user.pk if user else 0,
        "employer_id": w.org("enterprise").pk,
        "programme_categories": ["46"],
    }


def import_upload(w: World, p: str) -> dict:
    wb = Workbook()
    ws = wb.active
    ws.append([header for header, _key, _required in COLUMNS])
    n = w.n()
    values = {
        "username": f"matrix_import{n}",
        "display_name": f"导入专家{n}",
        "employer_uscc": w.org("enterprise").uscc,
        "employer_name": w.org("enterprise").name,
        "source": "行业企业",
    }
    ws.append([values.get(key, "") for _header, key, _required in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return {"file": SimpleUploadedFile("experts.xlsx", buf.getvalue())}


def group_form(w: World, p: str) -> dict:
    keys = ("jiangsu_school", "jiangsu_dept") if p == "jiangsu" else ("school", "other_school")
    return {
        "name": f"矩阵职教集团{w.n()}",
        "members": "\n".join(w.org(k).uscc or w.org(k).name for k in keys),
    }


def group_json(w: World, p: str) -> dict:
    keys = ("jiangsu_school", "jiangsu_dept") if p == "jiangsu" else ("school", "other_school")
    return {"name": f"矩阵职教集团{w.n()}", "member_ids": [w.org(k).pk for k in keys]}


def round_form(w: World, p: str) -> dict:
    call, project_type = side(w, p).fresh
    return {
        "call_type": f"{call.pk}:{project_type.pk}",
        "kind": "selection",
        "reviews_per_application": 5,
        "load_cap": 20,
        "max_exclusions": 3,
        "reserves": 2,
    }


def round_json(w: World, p: str) -> dict:
    call, project_type = side(w, p).fresh
    return {"call_id": call.pk, "project_type_id": project_type.pk, "kind": "selection"}


def settings_form(w: World, p: str) -> dict:
    return {
        "name": f"矩阵轮次{w.n()}",
        "reviews_per_application": 2,
        "load_cap": 20,
        "max_exclusions": 3,
        "reserves": 2,
    }


def availability_form(w: World, p: str) -> dict:
    return {"expert": side(w, p).pool[4].pk, "load_cap": 10 + w.n() % 5, "note": "矩阵"}


def availability_json(w: World, p: str) -> dict:
    return {"expert_id": side(w, p).pool[4].pk, "available": True, "load_cap": 10 + w.n() % 5}


def conflict_form(w: World, p: str) -> dict:
    s = side(w, p)
    app = Application.objects.filter(call=s.solve.call).order_by("id").first()
    return {"expert": s.pool[2].pk, "application": app.pk, "reason": "矩阵认定"}


def conflict_json(w: World, p: str) -> dict:
    s = side(w, p)
    app = Application.objects.filter(call=s.solve.call).order_by("id").first()
    return {"expert_id": s.pool[3].pk, "application_id": app.pk, "reason": "矩阵认定"}


def manual_form(w: World, p: str) -> dict:
    return {"expert": side(w, p).pool[1].pk, "reason": "矩阵人工分配"}


def manual_json(w: World, p: str) -> dict:
    s = side(w, p)
    app = Application.objects.filter(call=s.manual.call).order_by("id")[1]
    return {
        "round_id": s.manual.pk,
        "expert_id": s.pool[2].pk,
        "application_id": app.pk,
        "reason": "矩阵人工分配",
    }


def reason(w: World, p: str) -> dict:
    return {"reason": f"矩阵理由{w.n()}"}


def exclusion_body(w: World, p: str) -> dict:
    return {"expert_name": f"回避专家{w.n()}", "reason": "曾有业务往来"}


def _manual_app(s: Side, index: int) -> Application:
    return Application.objects.filter(call=s.manual.call).order_by("id")[index]


R = "/review"
ROUND = lambda s: (s.main.pk,)  # noqa: E731 - a pick, read as data
SOLVE = lambda s: (s.solve.pk,)  # noqa: E731
POOL0 = lambda s: (s.pool[0].pk,)  # noqa: E731
RUN = lambda s: (s.run.pk,)  # noqa: E731
ASSIGNMENT = lambda s: (s.assignment.pk,)  # noqa: E731
MANUAL_APP = lambda s: (s.manual.pk, _manual_app(s, 0).pk)  # noqa: E731
MAIN_APP = lambda s: (s.main.pk, Application.objects.filter(call=s.main.call).order_by("id")[1].pk)  # noqa: E731

PAGE_ROWS = [
    Row("review/experts/", "GET", READ_ROLES, prepared(f"{R}/experts/")),
    Row("review/experts/new/", "GET", STAFF_ROLES, fixed(f"{R}/experts/new/")),
    Row(
        "review/experts/new/",
        "POST",
        STAFF_ROLES,
        fresh_user("page_expert", f"{R}/experts/new/"),
        data=new_expert_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("review/experts/import/", "GET", STAFF_ROLES, fixed(f"{R}/experts/import/")),
    Row(
        "review/experts/import/",
        "POST",
        STAFF_ROLES,
        prepared(f"{R}/experts/import/"),
        data=import_upload,
        ok=302,
        write=True,
        audited=True,
        multipart=True,
    ),
    Row(
        "review/experts/import/template.xlsx", "GET", STAFF_ROLES, fixed(f"{R}/experts/import/template.xlsx")
    ),
    Row(
        "review/experts/<int:pk>/",
        "GET",
        READ_ROLES,
        of_side(R + "/experts/{}/", POOL0),
        foreign=of_foreign(R + "/experts/{}/", POOL0),
    ),
    Row(
        "review/experts/<int:pk>/edit/",
        "GET",
        STAFF_ROLES,
        of_side(R + "/experts/{}/edit/", POOL0),
        foreign=of_foreign(R + "/experts/{}/edit/", POOL0),
    ),
    Row(
        "review/experts/<int:pk>/edit/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/experts/{}/edit/", POOL0),
        foreign=of_foreign(R + "/experts/{}/edit/", POOL0),
        data=lambda w, p: {
            "employer": side(w, p).pool[0].employer.name,
            "title": f"职称{w.n()}",
            "is_active": "on",
        },
        ok=302,
        write=True,
        audited=True,
    ),
    Row("review/groups/", "GET", READ_ROLES, prepared(f"{R}/groups/")),
    Row(
        "review/groups/",
        "POST",
        STAFF_ROLES,
        prepared(f"{R}/groups/"),
        data=group_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("review/rounds/", "GET", READ_ROLES, prepared(f"{R}/rounds/")),
    Row("review/rounds/new/", "GET", STAFF_ROLES, prepared(f"{R}/rounds/new/")),
    Row(
        "review/rounds/new/",
        "POST",
        STAFF_ROLES,
        prepared(f"{R}/rounds/new/"),
        data=round_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/edit/",
        "GET",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/edit/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/edit/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/edit/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/edit/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/edit/", SOLVE),
        data=settings_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/availability/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/availability/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/availability/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/availability/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/availability/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/availability/", ROUND),
        data=availability_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/experts/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/experts/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/experts/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/conflicts/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/conflicts/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/conflicts/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/conflicts/compute/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/conflicts/compute/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/conflicts/compute/", SOLVE),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/conflicts/new/",
        "GET",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/conflicts/new/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/conflicts/new/", SOLVE),
    ),
    Row(
        "review/rounds/<int:pk>/conflicts/new/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/conflicts/new/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/conflicts/new/", SOLVE),
        data=conflict_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/assign/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/assign/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/assign/", SOLVE),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/draw/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/draw/", SOLVE),
        foreign=of_foreign(R + "/rounds/{}/draw/", SOLVE),
        data=lambda w, p: {"seed": w.n(), "reserves": 1},
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/applications/<int:application_id>/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/applications/{}/", MAIN_APP),
        foreign=of_foreign(R + "/rounds/{}/applications/{}/", MAIN_APP),
    ),
    Row(
        "review/rounds/<int:pk>/applications/<int:application_id>/add/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/applications/{}/add/", MANUAL_APP),
        foreign=of_foreign(R + "/rounds/{}/applications/{}/add/", MANUAL_APP),
        data=manual_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/conflicts/<int:pk>/waive/",
        "GET",
        STAFF_ROLES,
        fresh_conflict(R + "/conflicts/{}/waive/"),
        foreign=foreign_conflict(R + "/conflicts/{}/waive/"),
    ),
    Row(
        "review/conflicts/<int:pk>/waive/",
        "POST",
        STAFF_ROLES,
        fresh_conflict(R + "/conflicts/{}/waive/"),
        foreign=foreign_conflict(R + "/conflicts/{}/waive/"),
        data=reason,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/runs/<int:pk>/",
        "GET",
        READ_ROLES,
        of_side(R + "/runs/{}/", RUN),
        foreign=of_foreign(R + "/runs/{}/", RUN),
    ),
    Row(
        "review/assignments/<int:pk>/",
        "GET",
        READ_ROLES,
        of_side(R + "/assignments/{}/", ASSIGNMENT),
        foreign=of_foreign(R + "/assignments/{}/", ASSIGNMENT),
    ),
    Row(
        "review/assignments/<int:pk>/remove/",
        "POST",
        STAFF_ROLES,
        fresh_assignment(R + "/assignments/{}/remove/"),
        foreign=of_foreign(R + "/assignments/{}/remove/", ASSIGNMENT),
        data=reason,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("review/mine/", "GET", EXPERT_ROLES, prepared(f"{R}/mine/")),
    Row(
        "review/mine/<int:application_id>/",
        "GET",
        EXPERT_ROLES,
        expert_app(R + "/mine/{}/"),
        foreign=expert_other(R + "/mine/{}/"),
    ),
    Row(
        "review/mine/<int:application_id>/declare/",
        "GET",
        EXPERT_ROLES,
        expert_app(R + "/mine/{}/declare/"),
        foreign=expert_other(R + "/mine/{}/declare/"),
    ),
    Row(
        "review/mine/<int:application_id>/declare/",
        "POST",
        EXPERT_ROLES,
        fresh_expert_app(R + "/mine/{}/declare/"),
        foreign=expert_other(R + "/mine/{}/declare/"),
        data=reason,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("review/exclusions/", "GET", APPLICANT_ROLES, fixed(R + "/exclusions/")),
    Row(
        "review/exclusions/<int:application_id>/",
        "GET",
        EXCLUSION_READ_ROLES,
        exclusion_app(R + "/exclusions/{}/"),
        foreign=exclusion_foreign(R + "/exclusions/{}/"),
    ),
    Row(
        "review/exclusions/<int:application_id>/",
        "POST",
        APPLICANT_ROLES,
        lambda w, p: (
            None if p not in APPLICANT_ORG else f"{R}/exclusions/{_open_app(w, APPLICANT_ORG[p]).pk}/"
        ),
        foreign=exclusion_foreign(R + "/exclusions/{}/"),
        data=exclusion_body,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/exclusions/<int:application_id>/<int:exclusion_id>/remove/",
        "POST",
        APPLICANT_ROLES,
        fresh_exclusion(R + "/exclusions/{}/{}/remove/"),
        foreign=foreign_exclusion(R + "/exclusions/{}/{}/remove/"),
        ok=302,
        write=True,
        audited=True,
    ),
]

AR = f"{API}/review-rounds"
API_ROWS = [
    Row(f"{API}/expert-profiles", "GET", READ_ROLES, prepared(f"{API}/expert-profiles")),
    Row(
        f"{API}/expert-profiles",
        "POST",
        STAFF_ROLES,
        fresh_user("api_expert", f"{API}/expert-profiles"),
        data=new_expert_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/expert-profiles/import",
        "POST",
        STAFF_ROLES,
        prepared(f"{API}/expert-profiles/import"),
        data=import_upload,
        write=True,
        audited=True,
        multipart=True,
    ),
    Row(
        f"{API}/expert-profiles/{{profile_id}}",
        "GET",
        READ_ROLES,
        of_side(API + "/expert-profiles/{}", POOL0),
        foreign=of_foreign(API + "/expert-profiles/{}", POOL0),
    ),
    Row(
        f"{API}/expert-profiles/{{profile_id}}",
        "PATCH",
        STAFF_ROLES,
        of_side(API + "/expert-profiles/{}", POOL0),
        foreign=of_foreign(API + "/expert-profiles/{}", POOL0),
        data=lambda w, p: {"title": f"职称{w.n()}"},
        write=True,
        audited=True,
    ),
    Row(f"{API}/education-groups", "GET", READ_ROLES, prepared(f"{API}/education-groups")),
    Row(
        f"{API}/education-groups",
        "POST",
        STAFF_ROLES,
        prepared(f"{API}/education-groups"),
        data=group_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(AR, "GET", READ_ROLES, prepared(AR)),
    Row(AR, "POST", STAFF_ROLES, prepared(AR), data=round_json, ok=201, write=True, audited=True),
    Row(
        f"{AR}/{{round_id}}",
        "GET",
        READ_ROLES,
        of_side(AR + "/{}", ROUND),
        foreign=of_foreign(AR + "/{}", ROUND),
    ),
    Row(
        f"{AR}/{{round_id}}",
        "PATCH",
        STAFF_ROLES,
        of_side(AR + "/{}", SOLVE),
        foreign=of_foreign(AR + "/{}", SOLVE),
        data=lambda w, p: {"name": f"矩阵轮次{w.n()}"},
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/availability",
        "POST",
        STAFF_ROLES,
        of_side(AR + "/{}/availability", ROUND),
        foreign=of_foreign(AR + "/{}/availability", ROUND),
        data=availability_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/applications",
        "GET",
        READ_ROLES,
        of_side(AR + "/{}/applications", ROUND),
        foreign=of_foreign(AR + "/{}/applications", ROUND),
    ),
    Row(
        f"{AR}/{{round_id}}/conflicts",
        "GET",
        READ_ROLES,
        of_side(AR + "/{}/conflicts", ROUND),
        foreign=of_foreign(AR + "/{}/conflicts", ROUND),
    ),
    Row(
        f"{AR}/{{round_id}}/conflicts",
        "POST",
        STAFF_ROLES,
        of_side(AR + "/{}/conflicts", SOLVE),
        foreign=of_foreign(AR + "/{}/conflicts", SOLVE),
        data=conflict_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/conflicts/compute",
        "POST",
        STAFF_ROLES,
        of_side(AR + "/{}/conflicts/compute", SOLVE),
        foreign=of_foreign(AR + "/{}/conflicts/compute", SOLVE),
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/conflicts/{{conflict_id}}/waive",
        "POST",
        STAFF_ROLES,
        fresh_conflict(API + "/conflicts/{}/waive"),
        foreign=foreign_conflict(API + "/conflicts/{}/waive"),
        data=reason,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/assign",
        "POST",
        STAFF_ROLES,
        of_side(AR + "/{}/assign", SOLVE),
        foreign=of_foreign(AR + "/{}/assign", SOLVE),
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/draw",
        "POST",
        STAFF_ROLES,
        of_side(AR + "/{}/draw", SOLVE),
        foreign=of_foreign(AR + "/{}/draw", SOLVE),
        data=lambda w, p: {"seed": w.n()},
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/runs",
        "GET",
        READ_ROLES,
        of_side(AR + "/{}/runs", SOLVE),
        foreign=of_foreign(AR + "/{}/runs", SOLVE),
    ),
    Row(
        f"{API}/assignment-runs/{{run_id}}",
        "GET",
        READ_ROLES,
        of_side(API + "/assignment-runs/{}", RUN),
        foreign=of_foreign(API + "/assignment-runs/{}", RUN),
    ),
    Row(
        f"{API}/assignment-runs/{{run_id}}/replay",
        "GET",
        READ_ROLES,
        of_side(API + "/assignment-runs/{}/replay", RUN),
        foreign=of_foreign(API + "/assignment-runs/{}/replay", RUN),
    ),
    Row(f"{API}/assignments", "GET", READ_ROLES, prepared(f"{API}/assignments")),
    Row(
        f"{API}/assignments",
        "POST",
        STAFF_ROLES,
        prepared(f"{API}/assignments"),
        data=manual_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/assignments/{{assignment_id}}",
        "GET",
        READ_ROLES,
        of_side(API + "/assignments/{}", ASSIGNMENT),
        foreign=of_foreign(API + "/assignments/{}", ASSIGNMENT),
    ),
    Row(
        f"{API}/assignments/{{assignment_id}}/remove",
        "POST",
        STAFF_ROLES,
        fresh_assignment(API + "/assignments/{}/remove"),
        foreign=of_foreign(API + "/assignments/{}/remove", ASSIGNMENT),
        data=reason,
        ok=204,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/applications/{{application_id}}/exclusions",
        "GET",
        EXCLUSION_READ_ROLES,
        exclusion_app(API + "/applications/{}/exclusions"),
        foreign=exclusion_foreign(API + "/applications/{}/exclusions"),
    ),
    Row(
        f"{API}/applications/{{application_id}}/exclusions",
        "POST",
        APPLICANT_ROLES,
        lambda w, p: (
            None
            if p not in APPLICANT_ORG
            else f"{API}/applications/{_open_app(w, APPLICANT_ORG[p]).pk}/exclusions"
        ),
        foreign=exclusion_foreign(API + "/applications/{}/exclusions"),
        data=exclusion_body,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/applications/{{application_id}}/exclusions/{{exclusion_id}}/remove",
        "POST",
        APPLICANT_ROLES,
        fresh_exclusion(API + "/applications/{}/exclusions/{}/remove"),
        foreign=foreign_exclusion(API + "/applications/{}/exclusions/{}/remove"),
        ok=204,
        write=True,
        audited=True,
    ),
    Row(f"{API}/assigned-applications", "GET", EXPERT_ROLES, prepared(f"{API}/assigned-applications")),
    Row(
        f"{API}/assigned-applications/{{application_id}}",
        "GET",
        EXPERT_ROLES,
        expert_app(API + "/assigned-applications/{}"),
        foreign=expert_other(API + "/assigned-applications/{}"),
    ),
    Row(
        f"{API}/assigned-applications/{{application_id}}/declare-conflict",
        "POST",
        EXPERT_ROLES,
        fresh_expert_app(API + "/assigned-applications/{}/declare-conflict"),
        foreign=expert_other(API + "/assigned-applications/{}/declare-conflict"),
        data=reason,
        ok=201,
        write=True,
        audited=True,
    ),
]


def review_state() -> tuple:
    """What a refused write must leave as it was, in the review app."""
    from chanjiao.review.models import Availability, EducationGroup, RankingEntry, RankingOverride

    return (
        list(ExpertProfile.objects.order_by("pk").values_list("pk", "title", "is_active", "updated_at")),
        list(ReviewRound.objects.order_by("pk").values_list("pk", "name", "status", "updated_at")),
        list(Conflict.objects.order_by("pk").values_list("pk", "waived_at")),
        list(Assignment.objects.order_by("pk").values_list("pk", "expert_id", "application_id", "reserve")),
        AssignmentRun.objects.count(),
        Exclusion.objects.count(),
        list(Availability.objects.order_by("pk").values_list("pk", "available", "load_cap")),
        EducationGroup.objects.count(),
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version")),
        RankingOverride.objects.count(),
        RankingEntry.objects.count(),
    )
