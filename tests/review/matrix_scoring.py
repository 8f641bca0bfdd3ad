"""The role matrix rows of scoring (score sheets) (tests/test_role_matrix.py), and the data they ask
about.

Made the first time a row asks, in the matrix's own world, for each province (Anhui, where the
world's province staff, observer and `expert` persona work, and Jiangsu, the other province): a
round being scored, with the worked example's indicator system (scoring_factories), and two
applications:
- in Anhui, the `expert` persona reviews the first (a draft of theirs) and another pool expert the
  second (submitted): the persona's own sheet, and one that is not theirs;
- in Jiangsu, a pool expert has submitted a sheet on the first: the other province's sheet.
Writes that succeed (saving, submitting, recusing) get a fresh application assigned to the
`expert` persona, made when the URL is asked for, so that refused requests are compared before
and after with nothing else happening.
"""

from __future__ import annotations

from dataclasses import dataclass

from chanjiao.applications.models import Application
from chanjiao.review.models import ReviewRound, ScoreSheet
from chanjiao.review.permissions import EXPERT_ROLES, READ_ROLES
from tests.test_role_matrix import API, Row, World

from .factories import make_application
from .matrix import _call, data, province_of
from .scoring_factories import assign, full_sheet, make_scoring_system, scoring_round, submitted_sheet

# --- the matrix's data ----------------------------------------------------------------------------------


@dataclass
class Side:
    round: ReviewRound
    apps: list[Application]
    submitted: ScoreSheet  # a pool expert's submitted sheet


@dataclass
class Scoring:
    sides: dict[str, Side]
    own: ScoreSheet  # the `expert` persona's draft (Anhui)


def scoring(w: World) -> Scoring:
    cached = w.__dict__.get("_scoring")
    if cached is not None:
        return cached
    review = data(w)
    sides = {}
    for province in ("anhui", "jiangsu"):
        call, project_type = _call(w, province, "scoring")
        staff = w.users["jiangsu" if province == "jiangsu" else "province"]
        system = make_scoring_system(call.pack, code=f"matrix-scoring-{province}")
        review_round = scoring_round(call, project_type, staff, system, name=f"矩阵评分{province}")
        keys = ("jiangsu_school", "jiangsu_school") if province == "jiangsu" else ("school", "other_school")
        apps = [make_application(call, project_type, w.org(k), created_by=staff) for k in keys]
        other = assign(review_round, review.sides[province].pool[0], apps[1], staff)
        sides[province] = Side(review_round, apps, submitted_sheet(other))
    anhui = sides["anhui"]
    mine = assign(anhui.round, review.expert_profile, anhui.apps[0], w.users["province"])
    own = ScoreSheet.objects.create(
        assignment=mine,
        round=anhui.round,
        expert=review.expert_profile,
        application=anhui.apps[0],
        scores={"1.1": "6"},
        comments={"1": "矩阵草稿"},
    )
    result = Scoring(sides, own)
    w.__dict__["_scoring"] = result
    return result


def side(w: World, persona: str) -> Side:
    return scoring(w).sides[province_of(persona)]


def foreign_side(w: World, persona: str) -> Side:
    return scoring(w).sides["anhui" if province_of(persona) == "jiangsu" else "jiangsu"]


def own_app(template: str):
    """The application the `expert` persona scores (others are refused before looking)."""
    return lambda w, p: template.format(scoring(w).own.application_id)


def others_app(template: str):
    """An application of the same round assigned to another expert: 404 for the persona."""
    return lambda w, p: template.format(scoring(w).sides["anhui"].apps[1].pk)


def fresh_app(template: str):
    """A new application assigned to the `expert` persona, for a write that succeeds."""

    def url(w: World, p: str):
        s = scoring(w)
        if p != "expert":
            return template.format(s.own.application_id)
        anhui = s.sides["anhui"]
        app = make_application(
            anhui.round.call, anhui.round.project_type, w.org("other_school"), created_by=w.users["province"]
        )
        assign(anhui.round, s.own.expert, app, w.users["province"])
        return template.format(app.pk)

    return url


def round_url(template: str):
    return lambda w, p: template.format(side(w, p).round.pk)


def foreign_round_url(template: str):
    return lambda w, p: template.format(foreign_side(w, p).round.pk)


def sheet_url(template: str):
    """Staff and the observer: their province's submitted sheet; the expert: their own draft."""

    def url(w: World, p: str):
        s = scoring(w)
        return template.format(s.own.pk if p == "expert" else side(w, p).submitted.pk)

    return url


def foreign_sheet_url(template: str):
    """Another province's submitted sheet; for the expert, another expert's in their own round."""

    def url(w: World, p: str):
        s = scoring(w)
        sheet = s.sides["anhui"].submitted if p == "expert" else foreign_side(w, p).submitted
        return template.format(sheet.pk)

    return url


# --- request bodies -----------------------------------------------------------------------------------


def draft_form(w: World, p: str) -> dict:
    return {"expected_version": "0", "scores.1.1": "8", "comments.1": "矩阵草稿", "action": "save"}


def draft_json(w: World, p: str) -> dict:
    return {"expected_version": 0, "scores": {"1.1": 8}, "comments": {"1": "矩阵草稿"}}


def submit_json(w: World, p: str) -> dict:
    return {"expected_version": 0, **full_sheet()}


def recuse_body(w: World, p: str) -> dict:
    return {"reason": f"曾在该校兼职{w.n()}"}


R = "/review"
SHEET_READ_ROLES = (*READ_ROLES, *EXPERT_ROLES)

PAGE_ROWS = [
    Row(
        "review/mine/<int:application_id>/sheet/",
        "GET",
        EXPERT_ROLES,
        own_app(R + "/mine/{}/sheet/"),
        foreign=others_app(R + "/mine/{}/sheet/"),
    ),
    Row(
        "review/mine/<int:application_id>/sheet/",
        "POST",
        EXPERT_ROLES,
        fresh_app(R + "/mine/{}/sheet/"),
        foreign=others_app(R + "/mine/{}/sheet/"),
        data=draft_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/mine/<int:application_id>/sheet/total/",
        "POST",
        EXPERT_ROLES,
        own_app(R + "/mine/{}/sheet/total/"),
        foreign=others_app(R + "/mine/{}/sheet/total/"),
        data=draft_form,
    ),
    Row(
        "review/mine/<int:application_id>/recuse/",
        "GET",
        EXPERT_ROLES,
        own_app(R + "/mine/{}/recuse/"),
        foreign=others_app(R + "/mine/{}/recuse/"),
    ),
    Row(
        "review/mine/<int:application_id>/recuse/",
        "POST",
        EXPERT_ROLES,
        fresh_app(R + "/mine/{}/recuse/"),
        foreign=others_app(R + "/mine/{}/recuse/"),
        data=recuse_body,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/sheets/",
        "GET",
        READ_ROLES,
        round_url(R + "/rounds/{}/sheets/"),
        foreign=foreign_round_url(R + "/rounds/{}/sheets/"),
    ),
    Row(
        "review/sheets/<int:pk>/",
        "GET",
        SHEET_READ_ROLES,
        sheet_url(R + "/sheets/{}/"),
        foreign=foreign_sheet_url(R + "/sheets/{}/"),
    ),
]

API_ROWS = [
    Row(
        f"{API}/assigned-applications/{{application_id}}/sheet",
        "GET",
        EXPERT_ROLES,
        own_app(API + "/assigned-applications/{}/sheet"),
        foreign=others_app(API + "/assigned-applications/{}/sheet"),
    ),
    Row(
        f"{API}/assigned-applications/{{application_id}}/sheet",
        "PUT",
        EXPERT_ROLES,
        fresh_app(API + "/assigned-applications/{}/sheet"),
        foreign=others_app(API + "/assigned-applications/{}/sheet"),
        data=draft_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/assigned-applications/{{application_id}}/sheet/submit",
        "POST",
        EXPERT_ROLES,
        fresh_app(API + "/assigned-applications/{}/sheet/submit"),
        foreign=others_app(API + "/assigned-applications/{}/sheet/submit"),
        data=submit_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/assigned-applications/{{application_id}}/sheet/recuse",
        "POST",
        EXPERT_ROLES,
        fresh_app(API + "/assigned-applications/{}/sheet/recuse"),
        foreign=others_app(API + "/assigned-applications/{}/sheet/recuse"),
        data=recuse_body,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/review-rounds/{{round_id}}/sheets",
        "GET",
        READ_ROLES,
        round_url(API + "/review-rounds/{}/sheets"),
        foreign=foreign_round_url(API + "/review-rounds/{}/sheets"),
    ),
    Row(
        f"{API}/score-sheets/{{sheet_id}}",
        "GET",
        SHEET_READ_ROLES,
        sheet_url(API + "/score-sheets/{}"),
        foreign=foreign_sheet_url(API + "/score-sheets/{}"),
    ),
]
