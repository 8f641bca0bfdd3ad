"""The role matrix rows of award decisions and projects (tests/test_role_matrix.py), and their data.

Made the first time a row asks, in the matrix's own world, for each province (Anhui, where the
world's province staff and observer work, and Jiangsu, the other province): a selection round whose
list was publicised and whose publicity is over, with
- in Anhui: the Hefei school's application (the Hefei enterprise its partner) awarded, the Wuhu
  school's awarded (no partner), and one left pending;
- in Jiangsu: the Nanjing school's awarded, and one left pending.
A decision that should succeed gets a fresh publicised application of its own, made when its URL
is asked for, so that refused requests are compared before and after with nothing else happening.
The pending application keeps each round open (a round whose last application is decided closes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from chanjiao.applications.models import Application, Status
from chanjiao.projects import services
from chanjiao.projects.models import Project
from chanjiao.projects.permissions import DECIDE_ROLES, QUEUE_ROLES, READ_ROLES
from chanjiao.review.models import ReviewRound
from tests.conftest import actor_of
from tests.projects.factories import add_budget, make_publicised_round
from tests.review.factories import make_application
from tests.test_role_matrix import API, Row, World

STAFF = {"anhui": "province", "jiangsu": "jiangsu"}
DEPARTMENT = {"anhui": "province_dept", "jiangsu": "jiangsu_dept"}

# Whose project (and decision) each persona reads in their scope, and one outside it.
READS = {
    "province": "school",
    "observer": "school",
    "city": "school",  # the Hefei bureau: the Hefei school's
    "school_admin": "school",
    "school_staff": "school",
    "enterprise": "school",  # the Hefei enterprise is the Hefei school's partner
    "other_admin": "other_school",
    "jiangsu": "jiangsu_school",
}
FOREIGN_READS = {
    "province": "jiangsu_school",
    "observer": "jiangsu_school",
    "city": "other_school",  # Wuhu, another city
    "school_admin": "other_school",
    "school_staff": "other_school",
    "enterprise": "other_school",  # no partner of the Wuhu school's
    "other_admin": "school",
    "jiangsu": "school",
}


@dataclass
class Side:
    round: ReviewRound
    pending: Application


@dataclass
class Data:
    sides: dict[str, Side]
    awarded: dict[str, Application]  # organisation key → its awarded application
    projects: dict[str, Project] = field(default_factory=dict)


def province_of(persona: str) -> str:
    return "jiangsu" if persona == "jiangsu" else "anhui"


def other(province: str) -> str:
    return "anhui" if province == "jiangsu" else "jiangsu"


def data(w: World) -> Data:
    cached = w.__dict__.get("_projects")
    if cached is not None:
        return cached
    ends_on = timezone.localdate() - dt.timedelta(days=2)  # the publicity is over
    sides, awarded = {}, {}
    for province, applicants in (
        ("anhui", [("school", "enterprise"), ("other_school", None), ("school", None)]),
        ("jiangsu", [("jiangsu_school", None), ("jiangsu_school", None)]),
    ):
        staff = w.users[STAFF[province]]
        review_round, apps = make_publicised_round(
            w.org(DEPARTMENT[province]).region,
            staff,
            [w.org(key) for key, _partner in applicants],
            code=f"matrix-projects-{province}",
            ends_on=ends_on,
        )
        for app, (_key, partner) in zip(apps, applicants, strict=True):
            if partner is not None:
                app.partners.create(organization=w.org(partner), role="co_building_enterprise")
        for app, (key, _partner) in zip(apps[:-1], applicants[:-1], strict=True):
            services.decision_award(actor=actor_of(staff), application=app, approved_budget="1000000.00")
            awarded[key] = app
        sides[province] = Side(review_round, apps[-1])
    d = Data(sides=sides, awarded=awarded)
    d.projects = {key: Project.objects.get(application=app) for key, app in awarded.items()}
    w.__dict__["_projects"] = d
    return d


def prepared(path: str):
    """A fixed URL; asking for it first makes the data, so the request's own writes are all it changes."""

    def url(w: World, p: str):
        data(w)
        return path

    return url


def project_url(template: str, reads: dict[str, str]):
    """The project of the organisation `reads` names for the persona (the Hefei school's otherwise)."""
    return lambda w, p: template.format(data(w).projects[reads.get(p, "school")].pk)


def decision_url(template: str, reads: dict[str, str]):
    return lambda w, p: template.format(data(w).awarded[reads.get(p, "school")].pk)


def round_url(template: str, foreign: bool = False):
    def url(w: World, p: str):
        province = province_of(p)
        return template.format(data(w).sides[other(province) if foreign else province].round.pk)

    return url


def _fresh(w: World, province: str) -> Application:
    """A new publicised application in the province's round, for its staff to decide on."""
    side = data(w).sides[province]
    applicant = w.org("school" if province == "anhui" else "jiangsu_school")
    app = make_application(
        side.round.call,
        side.round.project_type,
        applicant,
        status=Status.PUBLICISED,
        created_by=w.users[STAFF[province]],
    )
    add_budget(app)
    return app


def decide_url(template: str, *, api: bool):
    """Staff of a province decide on a fresh application of their round; anyone else is asked about
    the pending one (and refused before it is looked at)."""

    def url(w: World, p: str):
        province = province_of(p)
        side = data(w).sides[province]
        app = _fresh(w, province) if p in STAFF.values() else side.pending
        return template.format(app.pk) if api else template.format(side.round.pk, app.pk)

    return url


def foreign_decide_url(template: str, *, api: bool):
    def url(w: World, p: str):
        side = data(w).sides[other(province_of(p))]
        return template.format(side.pending.pk) if api else template.format(side.round.pk, side.pending.pk)

    return url


def award_form(w: World, p: str) -> dict:
    return {"approved_budget": "1000000.00", "start_batch": "1", "document_number": f"矩阵〔2026〕{w.n()}号"}


def award_json(w: World, p: str) -> dict:
    return {"approved_budget": "1000000.00", "start_batch": 1, "document_number": f"矩阵〔2026〕{w.n()}号"}


def reasons(w: World, p: str) -> dict:
    return {"reasons": f"矩阵理由{w.n()}"}


def reasons_json(w: World, p: str) -> dict:
    return {"reasons": [f"矩阵理由{w.n()}"]}


D = "/projects/decisions"
PAGE_ROWS = [
    Row("projects/", "GET", READ_ROLES, prepared("/projects/")),
    Row("projects/export.xlsx", "GET", READ_ROLES, prepared("/projects/export.xlsx")),
    Row(
        "projects/<int:pk>/",
        "GET",
        READ_ROLES,
        project_url("/projects/{}/", READS),
        foreign=project_url("/projects/{}/", FOREIGN_READS),
    ),
    Row(
        "projects/decisions/<int:round_id>/",
        "GET",
        QUEUE_ROLES,
        round_url(D + "/{}/"),
        foreign=round_url(D + "/{}/", foreign=True),
    ),
    Row(
        "projects/decisions/<int:round_id>/applications/<int:application_id>/award/",
        "POST",
        DECIDE_ROLES,
        decide_url(D + "/{}/applications/{}/award/", api=False),
        foreign=foreign_decide_url(D + "/{}/applications/{}/award/", api=False),
        data=award_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/decisions/<int:round_id>/applications/<int:application_id>/reject/",
        "POST",
        DECIDE_ROLES,
        decide_url(D + "/{}/applications/{}/reject/", api=False),
        foreign=foreign_decide_url(D + "/{}/applications/{}/reject/", api=False),
        data=reasons,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/decisions/application/<int:application_id>/",
        "GET",
        READ_ROLES,
        decision_url(D + "/application/{}/", READS),
        foreign=decision_url(D + "/application/{}/", FOREIGN_READS),
    ),
]

API_ROWS = [
    Row(f"{API}/projects", "GET", READ_ROLES, prepared(f"{API}/projects")),
    Row(
        f"{API}/projects/{{project_id}}",
        "GET",
        READ_ROLES,
        project_url(API + "/projects/{}", READS),
        foreign=project_url(API + "/projects/{}", FOREIGN_READS),
    ),
    Row(f"{API}/award-decisions", "GET", READ_ROLES, prepared(f"{API}/award-decisions")),
    Row(
        f"{API}/applications/{{application_id}}/award",
        "POST",
        DECIDE_ROLES,
        decide_url(API + "/applications/{}/award", api=True),
        foreign=foreign_decide_url(API + "/applications/{}/award", api=True),
        data=award_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/applications/{{application_id}}/reject",
        "POST",
        DECIDE_ROLES,
        decide_url(API + "/applications/{}/reject", api=True),
        foreign=foreign_decide_url(API + "/applications/{}/reject", api=True),
        data=reasons_json,
        ok=201,
        write=True,
        audited=True,
    ),
]
