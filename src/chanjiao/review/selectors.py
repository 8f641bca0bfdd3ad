"""Every read of the expert review, scoped to the acting person (DESIGN "Permissions").

- province staff and the observer: their province's pool, groups and rounds (the rounds of calls
  opened from a pack of their province), with conflicts, waivers, assignments and draws;
- an expert: the applications assigned to them, never one they are in conflict with (unless staff
  waived that conflict with a reason); anything else is 404;
- an applicant's staff: the exclusions they asked for on their own applications.
Outside the scope is 404, never 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from chanjiao.applications.models import Application, ApplicationVersion, Status
from chanjiao.applications.selectors import application_get_for
from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor, Role

from .models import (
    Assignment,
    AssignmentRun,
    Availability,
    Conflict,
    EducationGroup,
    Exclusion,
    ExpertProfile,
    ReviewRound,
)

# Applications a selection round reviews: those the province took into review.
UNDER_REVIEW = (Status.UNDER_REVIEW,)


def _province(actor: Actor) -> str | None:
    """The two-digit province whose review the actor reads, or None."""
    if not actor.is_authenticated or actor.organization is None or not actor.sees_province:
        return None
    return actor.province_prefix or None


def _get(qs: QuerySet, pk: Any):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


# --- the pool ----------------------------------------------------------------------------------


def experts_for(actor: Actor) -> QuerySet[ExpertProfile]:
    province = _province(actor)
    if province is None:
        return ExpertProfile.objects.none()
    return ExpertProfile.objects.filter(province_id=province + "0000").select_related(
        "user", "employer", "employer__region", "region"
    )


def expert_search(
    *,
    actor: Actor,
    q: str = "",
    is_industry: bool | None = None,
    category: str = "",
    industry: str = "",
    region: str = "",
    active: bool | None = None,
    employer: int | None = None,
) -> QuerySet[ExpertProfile]:
    qs = experts_for(actor)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(user__display_name__icontains=q)
            | Q(user__username__icontains=q)
            | Q(employer__name__icontains=q)
            | Q(title__icontains=q)
        )
    if is_industry is not None:
        qs = qs.filter(is_industry=is_industry)
    if category:
        qs = qs.filter(categories_text__contains=f",{category.strip()},")
    if industry:
        qs = qs.filter(industries_text__contains=f",{industry.strip()},")
    if region:
        prefix = region.strip()
        while len(prefix) > 2 and prefix.endswith("00"):
            prefix = prefix[:-2]
        qs = qs.filter(
            Q(region__code__startswith=prefix)
            | Q(region__isnull=True, employer__region__code__startswith=prefix)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    if employer:
        qs = qs.filter(employer_id=employer)
    return qs.order_by("user__display_name", "id")


def expert_get_for(*, actor: Actor, pk: Any) -> ExpertProfile:
    return _get(experts_for(actor), pk)


def education_groups_for(actor: Actor) -> QuerySet[EducationGroup]:
    province = _province(actor)
    if province is None:
        return EducationGroup.objects.none()
    return (
        EducationGroup.objects.filter(province_id=province + "0000")
        .prefetch_related("members")
        .order_by("name", "id")
    )


# --- rounds -------------------------------------------------------------------------------------


def rounds_for(actor: Actor) -> QuerySet[ReviewRound]:
    province = _province(actor)
    if province is None:
        return ReviewRound.objects.none()
    return ReviewRound.objects.filter(call__pack__region__code__startswith=province).select_related(
        "call", "call__pack", "project_type", "indicator_system", "created_by"
    )


def round_get_for(*, actor: Actor, pk: Any) -> ReviewRound:
    return _get(rounds_for(actor), pk)


def _subject_applications(review_round: ReviewRound) -> QuerySet[Application]:
    return Application.objects.filter(review_subjects__round=review_round)


def round_applications(review_round: ReviewRound) -> QuerySet[Application]:
    """The applications a round reviews: a selection round, its call's applications of its type
    taken into review; an acceptance or performance round, the subjects its batch named."""
    if review_round.kind == ReviewRound.Kind.SELECTION:
        qs = Application.objects.filter(
            call_id=review_round.call_id,
            project_type_id=review_round.project_type_id,
            status__in=UNDER_REVIEW,
        )
    else:
        qs = _subject_applications(review_round)
    return qs.select_related("applicant", "applicant__region").order_by("id")


def round_pool(review_round: ReviewRound) -> QuerySet[ExpertProfile]:
    """The experts a round draws on: the active experts of its province's pool."""
    return (
        ExpertProfile.objects.filter(province_id=review_round.province_code + "0000", is_active=True)
        .select_related("user", "employer", "employer__region", "region")
        .order_by("id")
    )


def coverage(review_round: ReviewRound) -> QuerySet[Application]:
    """The round's applications, each with `assigned` (reviewers, reserves not counted),
    `industry_assigned` and `reserves`, for the per-application results. An expert who recused
    (their score sheet says so) is no longer a reviewer."""
    live = Q(review_assignments__round=review_round, review_assignments__reserve=False) & ~Q(
        review_assignments__sheet__status="recused"
    )
    return reviewed_applications(review_round).annotate(
        assigned=Count("review_assignments", filter=live),
        industry_assigned=Count(
            "review_assignments", filter=live & Q(review_assignments__expert__is_industry=True)
        ),
        reserves=Count(
            "review_assignments",
            filter=Q(review_assignments__round=review_round, review_assignments__reserve=True),
        ),
    )


def round_application_get(review_round: ReviewRound, pk: Any) -> Application:
    return _get(round_applications(review_round), pk)


def availabilities_of(review_round: ReviewRound) -> dict[int, Availability]:
    return {a.expert_id: a for a in Availability.objects.filter(round=review_round)}


def expert_loads(review_round: ReviewRound) -> QuerySet[ExpertProfile]:
    """The round's pool, each expert with `assigned` (reviews in this round, reserves not counted)."""
    return round_pool(review_round).annotate(
        assigned=Count(
            "assignments",
            filter=Q(assignments__round=review_round, assignments__reserve=False),
        )
    )


# --- conflicts ----------------------------------------------------------------------------------


def conflicts_for(actor: Actor) -> QuerySet[Conflict]:
    return Conflict.objects.filter(round__in=rounds_for(actor).values("pk")).select_related(
        "round",
        "expert",
        "expert__user",
        "expert__employer",
        "application",
        "application__applicant",
        "waived_by",
        "created_by",
    )


def conflict_search(
    *,
    actor: Actor,
    review_round: ReviewRound,
    kind: str = "",
    waived: bool | None = None,
    q: str = "",
    application: int | None = None,
    expert: int | None = None,
) -> QuerySet[Conflict]:
    qs = conflicts_for(actor).filter(round=review_round)
    if kind:
        qs = qs.filter(kind=kind)
    if waived is not None:
        qs = qs.filter(waived_at__isnull=not waived)
    if application:
        qs = qs.filter(application_id=application)
    if expert:
        qs = qs.filter(expert_id=expert)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(expert__user__display_name__icontains=q)
            | Q(application__title__icontains=q)
            | Q(application__applicant__name__icontains=q)
        )
    return qs.order_by("application_id", "expert_id", "kind")


def conflict_get_for(*, actor: Actor, pk: Any) -> Conflict:
    return _get(conflicts_for(actor), pk)


def unwaived_conflict(round_ref="round", expert_ref="expert", application_ref="application") -> Exists:
    return Exists(
        Conflict.objects.filter(
            round=OuterRef(round_ref),
            expert=OuterRef(expert_ref),
            application=OuterRef(application_ref),
            waived_at__isnull=True,
        )
    )


# --- assignments and runs -----------------------------------------------------------------------


def assignments_for(actor: Actor) -> QuerySet[Assignment]:
    return Assignment.objects.filter(round__in=rounds_for(actor).values("pk")).select_related(
        "round",
        "expert",
        "expert__user",
        "expert__employer",
        "application",
        "application__applicant",
        "created_by",
        "run",
    )


def assignment_search(
    *,
    actor: Actor,
    round: int | None = None,  # noqa: A002 - the API's filter name
    application: int | None = None,
    expert: int | None = None,
    reserve: bool | None = None,
    method: str = "",
) -> QuerySet[Assignment]:
    qs = assignments_for(actor)
    if round:
        qs = qs.filter(round_id=round)
    if application:
        qs = qs.filter(application_id=application)
    if expert:
        qs = qs.filter(expert_id=expert)
    if reserve is not None:
        qs = qs.filter(reserve=reserve)
    if method:
        qs = qs.filter(method=method)
    return qs.order_by("round_id", "application_id", "reserve", "reserve_rank", "-affinity", "expert_id")


def assignment_get_for(*, actor: Actor, pk: Any) -> Assignment:
    return _get(assignments_for(actor), pk)


def runs_for(actor: Actor) -> QuerySet[AssignmentRun]:
    return AssignmentRun.objects.filter(round__in=rounds_for(actor).values("pk")).select_related(
        "round", "created_by"
    )


def run_get_for(*, actor: Actor, pk: Any) -> AssignmentRun:
    return _get(runs_for(actor), pk)


# --- what an expert sees -------------------------------------------------------------------------


def expert_assignments(actor: Actor) -> QuerySet[Assignment]:
    """The actor's own reviews: assigned to them (reserves are not), with no unwaived conflict.

    Only a person acting in an expert role sees them; the conflict check is in the query itself,
    so a conflict found after the assignment hides the application at once, whatever path made it.
    """
    if not actor.is_authenticated or actor.organization is None or not actor.has_role(Role.EXPERT):
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(expert__user=actor.user, reserve=False)
        .exclude(round__status=ReviewRound.Status.SETUP)
        .filter(~unwaived_conflict())
        .select_related(
            "round", "round__call", "round__project_type", "application", "application__applicant", "expert"
        )
        .order_by("round__review_deadline", "round_id", "application_id")
    )


def applications_for_expert(actor: Actor) -> QuerySet[Application]:
    """The applications the actor reviews (see expert_assignments)."""
    return Application.objects.filter(
        pk__in=expert_assignments(actor).values("application_id")
    ).select_related("applicant", "call", "project_type")


def assigned_application_get_for(*, actor: Actor, application_id: Any) -> tuple[Application, Assignment]:
    """The application and the actor's assignment to it, or 404 (not assigned, or in conflict)."""
    try:
        assignment = expert_assignments(actor).filter(application_id=int(application_id)).first()
    except (ValueError, TypeError):
        raise NotFound from None
    if assignment is None:
        raise NotFound
    return assignment.application, assignment


def latest_version(application: Application) -> ApplicationVersion | None:
    return ApplicationVersion.objects.filter(application=application).order_by("-number").first()


# --- exclusions ---------------------------------------------------------------------------------


def exclusion_application_get_for(*, actor: Actor, pk: Any) -> Application:
    """An application whose exclusions the actor may read: their own organisation's (applicant
    staff, not a partner's), or one of their province's (province staff, observer)."""
    application = application_get_for(actor=actor, pk=pk)
    if actor.sees_province:
        return application
    if actor.is_org_staff and application.applicant_id == actor.organization.pk:
        return application
    raise NotFound


def exclusions_of(application: Application) -> QuerySet[Exclusion]:
    return (
        Exclusion.objects.filter(application=application)
        .select_related("created_by")
        .order_by("created_at", "id")
    )


def exclusion_get(application: Application, pk: Any) -> Exclusion:
    return _get(exclusions_of(application), pk)


def selection_round_of(application: Application) -> ReviewRound | None:
    """The selection round that will review the application, once the province has set it up."""
    return (
        ReviewRound.objects.filter(
            call_id=application.call_id,
            project_type_id=application.project_type_id,
            kind=ReviewRound.Kind.SELECTION,
        )
        .select_related("call", "call__pack")
        .first()
    )


def assignments_of_round(review_round: ReviewRound) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(round=review_round)
        .select_related("expert", "expert__user", "expert__employer", "application")
        .order_by("application_id", "reserve", "reserve_rank", "-affinity", "expert_id")
    )


def with_assignments(applications: QuerySet[Application], review_round: ReviewRound) -> QuerySet[Application]:
    return applications.prefetch_related(
        Prefetch(
            "review_assignments",
            queryset=assignments_of_round(review_round),
            to_attr="round_assignments",
        )
    )


# --- what a round has reviewed (reads after the later stages move its applications on) -----------

REVIEWED = (
    Status.UNDER_REVIEW,
    Status.RECOMMENDED,
    Status.NOT_RECOMMENDED,
    Status.PUBLICISED,
    Status.AWARDED,
    Status.REJECTED,
)


def reviewed_applications(review_round: ReviewRound) -> QuerySet[Application]:
    """The applications a round reviews or has reviewed: under review, and those the panel, the
    publicity and the award decision have moved on. For reading the round after the fact (the
    observer's every step); assignment works on `round_applications`, those still under review.
    A later round's subjects stay its subjects whatever becomes of them."""
    if review_round.kind != ReviewRound.Kind.SELECTION:
        return round_applications(review_round)
    return (
        Application.objects.filter(
            call_id=review_round.call_id,
            project_type_id=review_round.project_type_id,
            status__in=REVIEWED,
        )
        .select_related("applicant", "applicant__region")
        .order_by("id")
    )


def reviewed_application_get(review_round: ReviewRound, pk: Any) -> Application:
    return _get(reviewed_applications(review_round), pk)


def own_applications_for_exclusions(actor: Actor) -> QuerySet[Application]:
    """The acting organisation's own applications that review may still concern (not drafts nor
    withdrawn), each with its number of exclusions, for the applicant's 申请回避 list."""
    if not actor.is_authenticated or actor.organization is None or not actor.is_org_staff:
        return Application.objects.none()
    return (
        Application.objects.filter(applicant=actor.organization)
        .exclude(status__in=(Status.DRAFT, Status.WITHDRAWN))
        .select_related("call", "project_type")
        .annotate(exclusion_count=Count("review_exclusions"))
        .order_by("-call__opens_at", "id")
    )


def selection_rounds_by_call_and_type(applications: list[Application]) -> dict[tuple[int, int], ReviewRound]:
    """The selection rounds of these applications' calls and types, in one query, keyed by
    (call, project type): what `selection_round_of` finds for each, for a list of them."""
    calls = {a.call_id for a in applications}
    types = {a.project_type_id for a in applications}
    rounds = ReviewRound.objects.filter(
        call_id__in=calls, project_type_id__in=types, kind=ReviewRound.Kind.SELECTION
    )
    return {(r.call_id, r.project_type_id): r for r in rounds}
