"""Reads of the publicity stage (公示).

- the public (no login): every publicity, current first, and each one's list: rank, applicant,
  city, project title and type. Never a score, and never an expert's name or sheet;
- province staff and the observer of the round's province: the objections with who raised them,
  how, and the answers;
- the award decision (projects app): `objections_open` on a publicity, for one application or all.
Outside the scope is 404, never 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from chanjiao.core.calendar import SpecialDay, special_days
from chanjiao.core.errors import NotFound
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor

from .models import Objection, Publicity, RankingEntry, ReviewRound
from .selectors import rounds_for

UPCOMING, OPEN, ENDED = "upcoming", "open", "ended"


def _get(qs: QuerySet, pk: Any):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def phase(publicity: Publicity, today: dt.date | None = None) -> str:
    """upcoming (before starts_on), open (starts_on … ends_on, objections taken) or ended."""
    today = today or timezone.localdate()
    if today < publicity.starts_on:
        return UPCOMING
    if today > publicity.ends_on:
        return ENDED
    return OPEN


# --- what anyone may read -------------------------------------------------------------------------


def publicities_public() -> QuerySet[Publicity]:
    """Every publicity: those open now first, then those to come, then the ended, newest first;
    each with `listed` (how many applications its list holds)."""
    today = timezone.localdate()
    return (
        Publicity.objects.select_related("round", "round__call", "round__project_type")
        .annotate(
            order=Case(
                When(starts_on__lte=today, ends_on__gte=today, then=Value(0)),
                When(starts_on__gt=today, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            listed=Count("round__results", filter=Q(round__results__recommended=True)),
        )
        .order_by("order", "-starts_on", "-id")
    )


def publicity_public_get(pk: Any) -> Publicity:
    """One publicity, for anyone; its list is `publicity_entries(publicity)`."""
    return _get(Publicity.objects.select_related("round", "round__call", "round__project_type"), pk)


def publicity_entries(publicity: Publicity) -> list[RankingEntry]:
    """The list as published: the round's recommended applications by rank, each with
    `city_name` (the applicant's city). Three queries whatever the length."""
    entries = list(
        RankingEntry.objects.filter(round_id=publicity.round_id, recommended=True)
        .select_related("application", "application__applicant", "application__project_type")
        .order_by("rank", "id")
    )
    codes = {e.application.city_code for e in entries}
    cities = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    for e in entries:
        e.city_name = cities.get(e.application.city_code, e.application.city_code)
    return entries


@dataclass(frozen=True)
class Period:
    """A publicity's period for people to read: its days off and its weekends worked."""

    starts_on: dt.date
    ends_on: dt.date
    working_days: int
    skipped: list[SpecialDay]
    worked: list[SpecialDay]


def publicity_period(starts_on: dt.date, ends_on: dt.date, working_days: int) -> Period:
    days = special_days(starts_on, ends_on)
    return Period(
        starts_on,
        ends_on,
        working_days,
        skipped=[d for d in days if not d.counts],
        worked=[d for d in days if d.counts],
    )


def objections_open(publicity: Publicity, application=None) -> QuerySet[Objection]:
    """The objections not yet answered: all of them, or those naming `application` or no project
    (an objection to the list as a whole concerns every application on it)."""
    qs = Objection.objects.filter(publicity=publicity, answered_at__isnull=True)
    if application is not None:
        qs = qs.filter(Q(application=application) | Q(application__isnull=True))
    return qs.order_by("received_at", "id")


# --- staff and the observer -----------------------------------------------------------------------


def publicities_for(actor: Actor) -> QuerySet[Publicity]:
    return Publicity.objects.filter(round__in=rounds_for(actor).values("pk")).select_related(
        "round", "round__call", "round__call__pack", "round__project_type", "published_by"
    )


def publicity_get_for(*, actor: Actor, pk: Any) -> Publicity:
    return _get(publicities_for(actor), pk)


def publicity_of(review_round: ReviewRound) -> Publicity | None:
    return (
        Publicity.objects.filter(round=review_round)
        .select_related("round", "round__call", "round__project_type", "published_by")
        .first()
    )


def recommended_entries(review_round: ReviewRound) -> QuerySet[RankingEntry]:
    """The list a round would publish (staff see it before publishing)."""
    return (
        RankingEntry.objects.filter(round=review_round, recommended=True)
        .select_related("application", "application__applicant", "application__project_type")
        .order_by("rank", "id")
    )


def objections_for(actor: Actor, publicity: Publicity) -> QuerySet[Objection]:
    """A publicity's objections, for the province staff and the observer of its round's province."""
    return (
        Objection.objects.filter(publicity=publicity, publicity__round__in=rounds_for(actor).values("pk"))
        .select_related(
            "publicity",
            "application",
            "application__applicant",
            "recorded_by",
            "answered_by",
        )
        .order_by("received_at", "id")
    )


def objection_get_for(*, actor: Actor, pk: Any) -> Objection:
    return _get(
        Objection.objects.filter(publicity__round__in=rounds_for(actor).values("pk")).select_related(
            "publicity", "publicity__round", "publicity__round__call", "publicity__round__call__pack"
        ),
        pk,
    )
