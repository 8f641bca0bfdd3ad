"""The role matrix rows of publicity and objections (tests/test_role_matrix.py).

Made the first time a row asks, in the matrix's own world, for each province (Anhui, where the
world's province staff and observer work, and Jiangsu, the other province):
- a round whose recommendation is settled and never published (`waiting`): what a refused publish
  is asked about, and another province's staff get 404 on;
- a round publicised today for thirty days (`publicity`) with one unanswered objection.
The public pages and endpoints answer anyone, logged in or not. Writes that succeed get fresh
objects (a round to publish, an objection to answer), made when the URL is asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from chanjiao.review.models import Objection, Publicity, ReviewRound
from chanjiao.review.permissions import READ_ROLES, STAFF_ROLES
from tests.test_role_matrix import API, PUBLIC, Row, World

from .factories_publicity import make_recommended_round, publish_directly
from .matrix import APPLICANTS, DEPARTMENT, STAFF, is_staff, other, province_of


@dataclass
class Side:
    waiting: ReviewRound
    publicity: Publicity
    objection: Objection


def _recommended(w: World, province: str):
    return make_recommended_round(
        w.org(DEPARTMENT[province]).region,
        w.users[STAFF[province]],
        [w.org(APPLICANTS[province][0]).region],
        listed=2,
        not_listed=1,
    )


def _objection(publicity: Publicity, n: int) -> Objection:
    return Objection.objects.create(
        publicity=publicity, name=f"矩阵异议人{n}", phone="13800000000", content="矩阵异议"
    )


def sides(w: World) -> dict[str, Side]:
    cached = w.__dict__.get("_publicity")
    if cached is not None:
        return cached
    today = timezone.localdate()
    result = {}
    for province in ("anhui", "jiangsu"):
        waiting = _recommended(w, province).round
        rec = _recommended(w, province)
        publicity = publish_directly(
            rec, w.users[STAFF[province]], starts_on=today, ends_on=today + dt.timedelta(days=30)
        )
        result[province] = Side(waiting, publicity, _objection(publicity, w.n()))
    w.__dict__["_publicity"] = result
    return result


def side(w: World, p: str) -> Side:
    return sides(w)[province_of(p)]


def foreign(w: World, p: str) -> Side:
    return sides(w)[other(province_of(p))]


# --- URL builders ---------------------------------------------------------------------------------


def public(template: str):
    """The Anhui publicity, for anyone."""
    return lambda w, p: template.format(sides(w)["anhui"].publicity.pk)


def of_side(template: str, pick):
    return lambda w, p: template.format(pick(side(w, p)))


def of_foreign(template: str, pick):
    return lambda w, p: template.format(pick(foreign(w, p)))


def round_to_publish(template: str):
    """A fresh recommended round for a staff persona to publish; the waiting one for the rest."""

    def url(w: World, p: str):
        if is_staff(p):
            return template.format(_recommended(w, province_of(p)).round.pk)
        return template.format(side(w, p).waiting.pk)

    return url


def objection_to_answer(template: str):
    def url(w: World, p: str):
        s = side(w, p)
        if is_staff(p):
            return template.format(_objection(s.publicity, w.n()).pk)
        return template.format(s.objection.pk)

    return url


WAITING = lambda s: s.waiting.pk  # noqa: E731 - a pick, read as data
PUBLICISED = lambda s: s.publicity.round_id  # noqa: E731
PUBLICITY = lambda s: s.publicity.pk  # noqa: E731
OBJECTION = lambda s: s.objection.pk  # noqa: E731


# --- request bodies -------------------------------------------------------------------------------


def objection_body(w: World, p: str) -> dict:
    return {"name": f"矩阵异议人{w.n()}", "phone": "13800000000", "content": "矩阵异议"}


def record_body(w: World, p: str) -> dict:
    return {**objection_body(w, p), "channel": "letter"}


def publish_body(w: World, p: str) -> dict:
    return {"title": f"矩阵公示{w.n()}", "working_days": 5}


def answer_body(w: World, p: str) -> dict:
    return {"answer": "经核查，异议不成立。", "outcome": "dismissed"}


R = "/review"
PAGE_ROWS = [
    Row("review/publicity/", "GET", PUBLIC, lambda w, p: sides(w) and f"{R}/publicity/"),
    Row("review/publicity/<int:pk>/", "GET", PUBLIC, public(R + "/publicity/{}/")),
    Row(
        "review/publicity/<int:pk>/",
        "POST",
        PUBLIC,
        public(R + "/publicity/{}/"),
        data=objection_body,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/publicity/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/publicity/", PUBLICISED),
        foreign=of_foreign(R + "/rounds/{}/publicity/", PUBLICISED),
    ),
    Row(
        "review/rounds/<int:pk>/publicity/",
        "POST",
        STAFF_ROLES,
        round_to_publish(R + "/rounds/{}/publicity/"),
        foreign=of_foreign(R + "/rounds/{}/publicity/", WAITING),
        data=publish_body,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/rounds/<int:pk>/publicity/preview/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/publicity/preview/", WAITING),
        foreign=of_foreign(R + "/rounds/{}/publicity/preview/", WAITING),
    ),
    Row(
        "review/rounds/<int:pk>/publicity/objections/",
        "POST",
        STAFF_ROLES,
        of_side(R + "/rounds/{}/publicity/objections/", PUBLICISED),
        foreign=of_foreign(R + "/rounds/{}/publicity/objections/", PUBLICISED),
        data=record_body,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "review/objections/<int:pk>/answer/",
        "POST",
        STAFF_ROLES,
        objection_to_answer(R + "/objections/{}/answer/"),
        foreign=of_foreign(R + "/objections/{}/answer/", OBJECTION),
        data=answer_body,
        ok=302,
        write=True,
        audited=True,
    ),
]

API_ROWS = [
    Row(f"{API}/publicities", "GET", PUBLIC, lambda w, p: sides(w) and f"{API}/publicities"),
    Row(f"{API}/publicities/{{publicity_id}}", "GET", PUBLIC, public(API + "/publicities/{}")),
    Row(
        f"{API}/publicities/{{publicity_id}}/objections",
        "POST",
        PUBLIC,
        public(API + "/publicities/{}/objections"),
        data=objection_body,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/review-rounds/{{round_id}}/publicity",
        "POST",
        STAFF_ROLES,
        round_to_publish(API + "/review-rounds/{}/publicity"),
        foreign=of_foreign(API + "/review-rounds/{}/publicity", WAITING),
        data=publish_body,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/publicities/{{publicity_id}}/objections",
        "GET",
        READ_ROLES,
        of_side(API + "/publicities/{}/objections", PUBLICITY),
        foreign=of_foreign(API + "/publicities/{}/objections", PUBLICITY),
    ),
    Row(
        f"{API}/publicities/{{publicity_id}}/objections/record",
        "POST",
        STAFF_ROLES,
        of_side(API + "/publicities/{}/objections/record", PUBLICITY),
        foreign=of_foreign(API + "/publicities/{}/objections/record", PUBLICITY),
        data=record_body,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/objections/{{objection_id}}/answer",
        "POST",
        STAFF_ROLES,
        objection_to_answer(API + "/objections/{}/answer"),
        foreign=of_foreign(API + "/objections/{}/answer", OBJECTION),
        data=answer_body,
        ok=200,
        write=True,
        audited=True,
    ),
]
