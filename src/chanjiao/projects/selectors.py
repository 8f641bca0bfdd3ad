"""Every read of award decisions and projects, scoped to the acting person (DESIGN "Permissions").

- province staff and the observer: the projects and decisions of their province;
- city staff: their city's;
- an organisation's staff: its own projects and decisions, and those of the applications it is a
  partner of (共建单位);
- experts and learners: none.
Outside the scope is 404, never 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from chanjiao.applications.models import Application, BudgetLine, Partner, Status
from chanjiao.applications.selectors import applications_for
from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor
from chanjiao.review.models import Objection, Publicity, RankingEntry, ReviewRound
from chanjiao.review.selectors import selection_round_of

from .models import AwardDecision, Project

ZERO = Decimal("0.00")
PROVINCIAL_FUND = "provincial_fund"
ENTERPRISE = "enterprise"
# The applications a decision page lists: those publicised, and those already decided.
DECIDED_OR_PENDING = (Status.PUBLICISED, Status.AWARDED, Status.REJECTED)


def _get(qs: QuerySet, pk: Any):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


# --- projects ----------------------------------------------------------------------------------


def projects_for(actor: Actor) -> QuerySet[Project]:
    if not actor.is_authenticated or actor.organization is None or not actor.roles:
        return Project.objects.none()
    org = actor.organization
    scope = Q(pk__in=[])
    if actor.sees_province and actor.province_prefix:
        scope |= Q(province_code__startswith=actor.province_prefix)
    if actor.is_city_staff and actor.city_prefix:
        scope |= Q(city_code__startswith=actor.city_prefix)
    if actor.is_org_staff:
        scope |= Q(organization_id=org.pk)
        scope |= Q(application_id__in=Partner.objects.filter(organization_id=org.pk).values("application_id"))
    return Project.objects.filter(scope).select_related(
        "organization", "organization__region", "project_type", "call", "decision"
    )


def project_search(
    *,
    actor: Actor,
    project_type: str = "",
    city: str = "",
    status: str = "",
    start_batch: int | None = None,
    q: str = "",
    call: int | None = None,
) -> QuerySet[Project]:
    qs = projects_for(actor)
    if project_type:
        qs = qs.filter(project_type__code=project_type.strip())
    city = (city or "").strip()
    if city:
        qs = qs.filter(city_code__startswith=city[:4])
    if status:
        qs = qs.filter(status=status)
    if start_batch:
        qs = qs.filter(start_batch=start_batch)
    if call:
        qs = qs.filter(call_id=call)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(organization__name__icontains=q))
    return qs.order_by("-created_at", "-id")


def project_get_for(*, actor: Actor, pk: Any) -> Project:
    return _get(projects_for(actor), pk)


def partners_of(project: Project) -> QuerySet[Partner]:
    return (
        Partner.objects.filter(application_id=project.application_id)
        .select_related("organization", "organization__region")
        .order_by("position", "id")
    )


def budget_lines_of(application: Application) -> QuerySet[BudgetLine]:
    return BudgetLine.objects.filter(application=application).order_by("year", "source", "kind")


def requested_provincial_fund(application: Application) -> Decimal:
    """What the application asked of the provincial fund: its budget lines of that source."""
    total = budget_lines_of(application).filter(source=PROVINCIAL_FUND).aggregate(s=Sum("amount"))["s"]
    return (total or ZERO).quantize(ZERO)


def planned_totals(application: Application) -> tuple[Decimal, Decimal]:
    """(the total planned investment, the partner enterprises' part of it), from the budget lines."""
    sums = budget_lines_of(application).aggregate(
        total=Sum("amount"), enterprise=Sum("amount", filter=Q(source=ENTERPRISE))
    )
    return (sums["total"] or ZERO).quantize(ZERO), (sums["enterprise"] or ZERO).quantize(ZERO)


# --- decisions ---------------------------------------------------------------------------------


def decisions_for(actor: Actor) -> QuerySet[AwardDecision]:
    """The decisions on the applications the actor may read (the applications' own scope)."""
    if not actor.is_authenticated or actor.organization is None or not actor.roles:
        return AwardDecision.objects.none()
    return AwardDecision.objects.filter(application__in=applications_for(actor).values("pk")).select_related(
        "application",
        "application__applicant",
        "application__call",
        "application__project_type",
        "decided_by",
        "project",
    )


def decision_search(
    *,
    actor: Actor,
    round: int | None = None,  # noqa: A002 - the API's filter name
    call: int | None = None,
    outcome: str = "",
) -> QuerySet[AwardDecision]:
    qs = decisions_for(actor)
    if round:
        review_round = ReviewRound.objects.filter(pk=round).values("call_id", "project_type_id").first()
        if review_round is None:
            return qs.none()
        qs = qs.filter(
            application__call_id=review_round["call_id"],
            application__project_type_id=review_round["project_type_id"],
        )
    if call:
        qs = qs.filter(application__call_id=call)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-decided_at", "-id")


def decision_get_for(*, actor: Actor, pk: Any) -> AwardDecision:
    return _get(decisions_for(actor), pk)


def application_decision_get_for(*, actor: Actor, application_id: Any) -> AwardDecision:
    """The decision on one application the actor may read, or 404 (none yet, or out of scope)."""
    try:
        return decisions_for(actor).get(application_id=int(application_id))
    except (AwardDecision.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


# --- publicity, as the decision reads it --------------------------------------------------------


def publicity_of(review_round: ReviewRound | None) -> Publicity | None:
    if review_round is None:
        return None
    return Publicity.objects.filter(round=review_round).first()


def round_of(application: Application) -> ReviewRound | None:
    """The selection round whose list the application was publicised on."""
    return selection_round_of(application)


def decision_queue(actor: Actor, review_round: ReviewRound) -> QuerySet[Application]:
    """The round's publicised applications (and those already decided), each with its `rank` and
    `score` in the round, the provincial funds it asked for (`requested`) and the objections still
    open that name it (`objections_open`). The caller has found the round in the actor's scope."""
    entry = RankingEntry.objects.filter(round=review_round, application=OuterRef("pk"))
    requested = (
        BudgetLine.objects.filter(application=OuterRef("pk"), source=PROVINCIAL_FUND)
        .values("application")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    open_ = (
        Objection.objects.filter(
            publicity__round=review_round, application=OuterRef("pk"), answered_at__isnull=True
        )
        .values("application")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        applications_for(actor)
        .filter(
            call_id=review_round.call_id,
            project_type_id=review_round.project_type_id,
            status__in=DECIDED_OR_PENDING,
        )
        .select_related("award_decision", "project")
        .annotate(
            rank=Subquery(entry.values("rank")[:1]),
            score=Subquery(entry.values("score")[:1]),
            requested=Coalesce(
                Subquery(requested, output_field=DecimalField(max_digits=14, decimal_places=2)),
                Value(ZERO),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            objections_open=Coalesce(
                Subquery(open_, output_field=IntegerField()), Value(0), output_field=IntegerField()
            ),
        )
        .order_by(F("rank").asc(nulls_last=True), "id")
    )


def queue_application_get(actor: Actor, review_round: ReviewRound, pk: Any) -> Application:
    return _get(decision_queue(actor, review_round), pk)
