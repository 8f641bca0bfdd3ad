"""The role matrix rows of panel, ranking and the recommendation (tests/test_role_matrix.py).

Made the first time a row asks, in the matrix's own world (see tests/review/matrix.py), for each
province: a round in the panel stage (`panel`) with two applications, each scored by three experts of
the province's pool (the Anhui one also by the `expert` persona), and a quota of one. Reads ask about
it; an expert asked about Anhui's assigned round (`main`, theirs too, but not yet in the panel stage)
gets 404, as does staff asked about the other province's panel round. Writes that succeed get a fresh
round of their own, made when a staff persona's URL is asked for: an assigned round whose sheets are
all in (opening the panel), a round in the panel stage (settling the recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from chanjiao.applications.models import Application
from chanjiao.review.models import Assignment, ReviewRound, ScoreSheet
from chanjiao.review.permissions import EXPERT_ROLES, READ_ROLES, STAFF_ROLES
from tests.test_role_matrix import API, Row, World

from .matrix import PROVINCES, STAFF, _apps, _call, data, is_staff, other, province_of

R = "/review"
AR = f"{API}/review-rounds"


@dataclass
class PanelSide:
    round: ReviewRound
    apps: list[Application]


def _scored_round(w: World, province: str, status: str, *, with_expert: bool = False) -> ReviewRound:
    """A round of two applications, each scored by three experts of the pool (80/81/82 and 70/71/72):
    the first ranks first, the quota is one, so nothing ties at the cut."""
    review = data(w)
    side = review.sides[province]
    call, project_type = _call(w, province, f"panel{w.n()}")
    apps = sorted(_apps(w, province, call, project_type), key=lambda a: a.pk)
    staff = w.users[STAFF[province]]
    review_round = ReviewRound.objects.create(
        call=call,
        project_type=project_type,
        name=f"矩阵合议{w.n()}",
        created_by=staff,
        status=status,
        quota=1,
        reviews_per_application=3,
    )
    experts = list(side.pool[:3])
    if with_expert:
        experts.append(review.expert_profile)
    now = timezone.now()
    for i, expert in enumerate(experts):
        for j, app in enumerate(apps):
            assignment = Assignment.objects.create(
                round=review_round, expert=expert, application=app, method="exact", created_by=staff
            )
            ScoreSheet.objects.create(
                assignment=assignment,
                round=review_round,
                expert=expert,
                application=app,
                status=ScoreSheet.Status.SUBMITTED,
                scores={},
                comments={"1": "矩阵评语"},
                total=Decimal(80 - 10 * j + i),
                submitted_at=now,
            )
    return review_round


def panel_data(w: World) -> dict[str, PanelSide]:
    cached = w.__dict__.get("_panel")
    if cached is not None:
        return cached
    sides = {}
    for province in PROVINCES:
        review_round = _scored_round(w, province, ReviewRound.Status.PANEL, with_expert=province == "anhui")
        apps = list(Application.objects.filter(call=review_round.call).order_by("id"))
        sides[province] = PanelSide(review_round, apps)
    w.__dict__["_panel"] = sides
    return sides


def mine(w: World, p: str) -> PanelSide:
    return panel_data(w)[province_of(p)]


def theirs(w: World, p: str) -> PanelSide:
    return panel_data(w)[other(province_of(p))]


def panel_url(template: str):
    return lambda w, p: template.format(mine(w, p).round.pk)


def foreign_panel_url(template: str):
    return lambda w, p: template.format(theirs(w, p).round.pk)


def app_url(template: str):
    return lambda w, p: template.format(mine(w, p).round.pk, mine(w, p).apps[0].pk)


def foreign_app_url(template: str):
    return lambda w, p: template.format(theirs(w, p).round.pk, theirs(w, p).apps[0].pk)


def fresh_round(template: str, status: str):
    """A new round in `status` for a staff persona's write to succeed on; others are refused first."""

    def url(w: World, p: str):
        if not is_staff(p):
            return template.format(mine(w, p).round.pk)
        panel_data(w)
        return template.format(_scored_round(w, province_of(p), status).pk)

    return url


def expert_url(template: str):
    """The `expert` persona's panel round (Anhui's); others are refused before looking."""
    return lambda w, p: template.format(panel_data(w)["anhui"].round.pk)


def expert_foreign(template: str):
    """Anhui's assigned round: the expert reviews in it, but its panel has not begun (404)."""

    def url(w: World, p: str):
        panel_data(w)
        return template.format(data(w).sides["anhui"].main.pk)

    return url


def override_form(w: World, p: str) -> dict:
    return {"application": mine(w, p).apps[0].pk, "to_rank": 2, "reason": f"矩阵调整理由{w.n()}"}


def override_json(w: World, p: str) -> dict:
    return {"application_id": mine(w, p).apps[0].pk, "to_rank": 2, "reason": f"矩阵调整理由{w.n()}"}


PAGE_ROWS = [
    Row(
        "review/rounds/<int:pk>/ranking/",
        "GET",
        READ_ROLES,
        panel_url(R + "/rounds/{}/ranking/"),
        foreign=foreign_panel_url(R + "/rounds/{}/ranking/"),
    ),
    Row(
        "review/rounds/<int:pk>/ranking/<int:application_id>/",
        "GET",
        READ_ROLES,
        app_url(R + "/rounds/{}/ranking/{}/"),
        foreign=foreign_app_url(R + "/rounds/{}/ranking/{}/"),
    ),
    Row(
        "review/rounds/<int:pk>/panel/open/",
        "POST",
        STAFF_ROLES,
        fresh_round(R + "/rounds/{}/panel/open/", ReviewRound.Status.ASSIGNED),
        foreign=foreign_panel_url(R + "/rounds/{}/panel/open/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/overrides/",
        "POST",
        STAFF_ROLES,
        panel_url(R + "/rounds/{}/overrides/"),
        foreign=foreign_panel_url(R + "/rounds/{}/overrides/"),
        data=override_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/recommendation/",
        "POST",
        STAFF_ROLES,
        fresh_round(R + "/rounds/{}/recommendation/", ReviewRound.Status.PANEL),
        foreign=foreign_panel_url(R + "/rounds/{}/recommendation/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/scores.xlsx",
        "GET",
        READ_ROLES,
        panel_url(R + "/rounds/{}/scores.xlsx"),
        foreign=foreign_panel_url(R + "/rounds/{}/scores.xlsx"),
    ),
    Row(
        "review/mine/rounds/<int:round_id>/panel/",
        "GET",
        EXPERT_ROLES,
        expert_url(R + "/mine/rounds/{}/panel/"),
        foreign=expert_foreign(R + "/mine/rounds/{}/panel/"),
    ),
    Row(
        "review/mine/rounds/<int:round_id>/panel/scores.xlsx",
        "GET",
        EXPERT_ROLES,
        expert_url(R + "/mine/rounds/{}/panel/scores.xlsx"),
        foreign=expert_foreign(R + "/mine/rounds/{}/panel/scores.xlsx"),
    ),
]

API_ROWS = [
    Row(
        f"{AR}/{{round_id}}/ranking",
        "GET",
        READ_ROLES,
        panel_url(AR + "/{}/ranking"),
        foreign=foreign_panel_url(AR + "/{}/ranking"),
    ),
    Row(
        f"{AR}/{{round_id}}/ranking/{{application_id}}",
        "GET",
        READ_ROLES,
        app_url(AR + "/{}/ranking/{}"),
        foreign=foreign_app_url(AR + "/{}/ranking/{}"),
    ),
    Row(
        f"{AR}/{{round_id}}/panel",
        "POST",
        STAFF_ROLES,
        fresh_round(AR + "/{}/panel", ReviewRound.Status.ASSIGNED),
        foreign=foreign_panel_url(AR + "/{}/panel"),
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/overrides",
        "GET",
        READ_ROLES,
        panel_url(AR + "/{}/overrides"),
        foreign=foreign_panel_url(AR + "/{}/overrides"),
    ),
    Row(
        f"{AR}/{{round_id}}/overrides",
        "POST",
        STAFF_ROLES,
        panel_url(AR + "/{}/overrides"),
        foreign=foreign_panel_url(AR + "/{}/overrides"),
        data=override_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/recommendation",
        "POST",
        STAFF_ROLES,
        fresh_round(AR + "/{}/recommendation", ReviewRound.Status.PANEL),
        foreign=foreign_panel_url(AR + "/{}/recommendation"),
        write=True,
        audited=True,
    ),
    Row(
        f"{AR}/{{round_id}}/scores.xlsx",
        "GET",
        READ_ROLES,
        panel_url(AR + "/{}/scores.xlsx"),
        foreign=foreign_panel_url(AR + "/{}/scores.xlsx"),
    ),
    Row(
        f"{API}/assigned-rounds/{{round_id}}/panel",
        "GET",
        EXPERT_ROLES,
        expert_url(API + "/assigned-rounds/{}/panel"),
        foreign=expert_foreign(API + "/assigned-rounds/{}/panel"),
    ),
    Row(
        f"{API}/assigned-rounds/{{round_id}}/panel/scores.xlsx",
        "GET",
        EXPERT_ROLES,
        expert_url(API + "/assigned-rounds/{}/panel/scores.xlsx"),
        foreign=expert_foreign(API + "/assigned-rounds/{}/panel/scores.xlsx"),
    ),
]
