"""Every read of acceptance (验收) and performance assessment (绩效评价) batches, scoped to the actor.

- province staff and the observer: the batches of their province, every entry in them (the plans:
  纪检监察部门全程参与 — the observer sees acceptance as it sees review);
- city staff: the batches with a project of their city, and only those projects' entries;
- a school's staff (ORG_ADMIN / ORG_STAFF): the batches with a project of their organisation, and
  only its own entries and rectifications;
- experts score the batch's round through the review's own pages; here they, learners and anyone
  else read nothing.
Outside the scope is 404, never 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chanjiao.core.errors import NotFound
from chanjiao.core.models import AuditEntry
from chanjiao.core.permissions import Actor, Role
from chanjiao.policy.models import IndicatorSystem

from .models import Assessment, AssessmentEntry, Project, Rectification

MANAGE_ROLES = (Role.PROVINCE_ADMIN,)
SCHOOL_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
READ_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER, Role.CITY_ADMIN, Role.ORG_ADMIN, Role.ORG_STAFF)
# A batch that is not closed holds its projects: a project is in one open batch of a kind at a time.
OPEN_STATUSES = (
    Assessment.Status.SELF_ASSESSMENT,
    Assessment.Status.REVIEWING,
    Assessment.Status.CONCLUDED,
)
# Entry results that end a project's part in a batch.
FINAL_RESULTS = (
    AssessmentEntry.Result.PASSED,
    AssessmentEntry.Result.FAILED,
    AssessmentEntry.Result.DECIDED,
)
# Which project statuses each kind takes in (acceptance: only a project still under construction).
ACCEPTANCE_STATUSES = (Project.Status.UNDER_CONSTRUCTION,)
PERFORMANCE_REFUSED = (Project.Status.TERMINATED,)
# The grade lines when the batch sets none: the plans give none, so these are the platform's.
DEFAULT_EXCELLENT = Decimal("90")
DEFAULT_PASS = Decimal("60")


def _get(qs: QuerySet, pk: Any):
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def _entry_scope(actor: Actor) -> Q | None:
    """The entries the actor reads, as a filter on AssessmentEntry (None: none at all)."""
    if not actor.is_authenticated or actor.organization is None or not actor.roles:
        return None
    scope = Q(pk__in=[])
    reads = False
    if actor.sees_province and actor.province_prefix:
        scope |= Q(assessment__province_code__startswith=actor.province_prefix)
        reads = True
    if actor.is_city_staff and actor.city_prefix:
        scope |= Q(project__city_code__startswith=actor.city_prefix)
        reads = True
    if actor.has_role(*SCHOOL_ROLES):
        scope |= Q(project__organization_id=actor.organization.pk)
        reads = True
    return scope if reads else None


def assessments_for(actor: Actor) -> QuerySet[Assessment]:
    scope = _entry_scope(actor)
    if scope is None:
        return Assessment.objects.none()
    if actor.sees_province and actor.province_prefix:
        batch_scope = Q(province_code__startswith=actor.province_prefix)
    else:
        batch_scope = Q(pk__in=[])
    entries = AssessmentEntry.objects.filter(scope, assessment=OuterRef("pk"))
    return (
        Assessment.objects.filter(batch_scope | Q(Exists(entries)))
        .select_related("call", "call__pack", "project_type", "round", "created_by")
        .order_by("-created_at", "-id")
    )


def assessment_search(
    *, actor: Actor, kind: str = "", status: str = "", year: int | None = None, call: int | None = None
) -> QuerySet[Assessment]:
    qs = assessments_for(actor)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    if call:
        qs = qs.filter(call_id=call)
    return qs


def assessment_get_for(*, actor: Actor, pk: Any) -> Assessment:
    return _get(assessments_for(actor), pk)


def _entries(actor: Actor) -> QuerySet[AssessmentEntry]:
    scope = _entry_scope(actor)
    if scope is None:
        return AssessmentEntry.objects.none()
    return AssessmentEntry.objects.filter(scope).select_related(
        "assessment",
        "assessment__call",
        "assessment__project_type",
        "project",
        "project__organization",
        "project__project_type",
        "rectification",
        "decided_by",
    )


def entries_of(*, actor: Actor, assessment: Assessment) -> QuerySet[AssessmentEntry]:
    """The batch's entries the actor reads (school and city staff: their own projects'), by project."""
    return _entries(actor).filter(assessment=assessment).order_by("project__code", "id")


def entry_get_for(*, actor: Actor, pk: Any) -> AssessmentEntry:
    return _get(_entries(actor), pk)


def rectification_get_for(*, actor: Actor, pk: Any) -> Rectification:
    scope = _entry_scope(actor)
    if scope is None:
        raise NotFound
    entries = AssessmentEntry.objects.filter(scope).values("pk")
    qs = Rectification.objects.filter(entry__in=entries).select_related(
        "entry",
        "entry__assessment",
        "entry__project",
        "entry__project__organization",
        "rechecked_by",
        "created_by",
    )
    return _get(qs, pk)


def entries_of_project(*, actor: Actor, project: Project) -> QuerySet[AssessmentEntry]:
    """The project's entries in every batch (the project page's block), newest batch first; the
    caller has found the project in the actor's scope, the entries are scoped again all the same."""
    return _entries(actor).filter(project=project).order_by("-assessment__created_at", "-id")


def busy_project_ids(kind: str, project_ids) -> set[int]:
    """Of `project_ids`, those already in a batch of `kind` that is not closed."""
    return set(
        AssessmentEntry.objects.filter(
            assessment__kind=kind, assessment__status__in=OPEN_STATUSES, project_id__in=list(project_ids)
        ).values_list("project_id", flat=True)
    )


def eligible_projects(*, actor: Actor, call, project_type, kind: str, year: int) -> QuerySet[Project]:
    """The projects of the call and type in the actor's province a new batch of `kind` for `year`
    may take: acceptance, those under construction whose construction ends by the end of `year`;
    performance, those not terminated; in both, none already in an unclosed batch of that kind.
    Only province staff make batches: anyone else gets none."""
    if not (actor.is_province_staff and actor.province_prefix):
        return Project.objects.none()
    qs = Project.objects.filter(
        call=call, project_type=project_type, province_code__startswith=actor.province_prefix
    )
    if kind == Assessment.Kind.ACCEPTANCE:
        qs = qs.filter(status__in=ACCEPTANCE_STATUSES, ends_on__year__lte=year)
    elif kind == Assessment.Kind.PERFORMANCE:
        qs = qs.exclude(status__in=PERFORMANCE_REFUSED)
    else:
        return Project.objects.none()
    busy = AssessmentEntry.objects.filter(
        project=OuterRef("pk"), assessment__kind=kind, assessment__status__in=OPEN_STATUSES
    )
    return (
        qs.filter(~Exists(busy)).select_related("organization", "project_type", "call").order_by("code", "id")
    )


def may_manage(actor: Actor, assessment: Assessment) -> bool:
    """Province staff of the batch's province."""
    return bool(
        actor.is_province_staff
        and actor.province_prefix
        and assessment.province_code.startswith(actor.province_prefix)
    )


def may_self_assess(actor: Actor, entry: AssessmentEntry) -> bool:
    """The project's own school staff (ORG_ADMIN / ORG_STAFF acting for it)."""
    org = actor.organization
    return bool(actor.has_role(*SCHOOL_ROLES) and org is not None and org.pk == entry.project.organization_id)


# --- the pack's rules, as the pages and the API show them --------------------------------------


def current_system(call, project_type, purpose: str) -> IndicatorSystem | None:
    """The current indicator system of `purpose` in the call's pack that applies to the type."""
    systems = IndicatorSystem.objects.filter(pack_id=call.pack_id, purpose=purpose, is_current=True).order_by(
        "code", "-version"
    )
    for system in systems:
        if not system.project_type_codes or project_type.code in system.project_type_codes:
            return system
    return None


def acceptance_rule(project_type) -> dict:
    """The pack's acceptance rule: {from_year, in_batches, section} (empty values when it gives none)."""
    spec = project_type.spec if isinstance(project_type.spec, dict) else {}
    rule = spec.get("acceptance") if isinstance(spec.get("acceptance"), dict) else {}
    try:
        from_year = int(rule.get("from_year")) if rule.get("from_year") is not None else None
    except (TypeError, ValueError):
        from_year = None
    return {
        "from_year": from_year,
        "in_batches": bool(rule.get("in_batches")),
        "section": str((rule.get("source") or {}).get("section", "")),
    }


# The pack names its performance outcomes reward / reduced_support / terminated; the platform's
# outcomes are the model's. Which pack outcome each one answers to (continue has none: the
# platform's default for a project that meets none of the pack's conditions).
PACK_OUTCOME = {
    AssessmentEntry.Outcome.REWARD: "reward",
    AssessmentEntry.Outcome.CONTINUE: None,
    AssessmentEntry.Outcome.REDUCED_SUPPORT: "reduced_support",
    AssessmentEntry.Outcome.ADJUST: "terminated",
    AssessmentEntry.Outcome.TERMINATE: "terminated",
}


def performance_outcomes(project_type) -> list[dict]:
    """Every outcome a performance entry may take, with the pack's condition and source section:
    [{code, name, pack_code, pack_name, condition, section, is_default}] in the model's order.
    An outcome the pack does not name is the platform's default (is_default True)."""
    spec = project_type.spec if isinstance(project_type.spec, dict) else {}
    performance = spec.get("performance") if isinstance(spec.get("performance"), dict) else {}
    listed = {o.get("code"): o for o in performance.get("outcomes") or [] if isinstance(o, dict)}
    whole = str((performance.get("source") or {}).get("section", ""))
    out = []
    for outcome in AssessmentEntry.Outcome:
        pack = listed.get(PACK_OUTCOME[outcome]) if PACK_OUTCOME[outcome] else None
        if pack is not None:
            out.append(
                {
                    "code": outcome.value,
                    "name": str(outcome.label),
                    "pack_code": pack.get("code", ""),
                    "pack_name": str(pack.get("name", "")),
                    "condition": str(pack.get("condition", "")),
                    "section": str((pack.get("source") or {}).get("section", "")) or whole,
                    "is_default": False,
                }
            )
        else:
            out.append(
                {
                    "code": outcome.value,
                    "name": str(outcome.label),
                    "pack_code": "",
                    "pack_name": "",
                    "condition": _("建设进展正常，未达到奖励、减小支持力度或调整中止的条件（平台默认）")
                    if outcome == AssessmentEntry.Outcome.CONTINUE
                    else "",
                    "section": "",
                    "is_default": True,
                }
            )
    return out


def grade_lines(assessment: Assessment) -> dict:
    """The batch's grade lines: 优秀 ≥ excellent_min, 合格 ≥ pass_min (platform defaults 90 / 60,
    the plans give none)."""
    return {
        "excellent_min": assessment.excellent_min,
        "pass_min": assessment.pass_min,
        "is_default": (assessment.excellent_min, assessment.pass_min) == (DEFAULT_EXCELLENT, DEFAULT_PASS),
    }


def batch_counts(assessment: Assessment, entries: QuerySet[AssessmentEntry]) -> dict[str, int]:
    """How many of `entries` have submitted their self-assessment, and each result."""
    rows = list(entries.values_list("self_submitted_at", "result"))
    counts = {"entries": len(rows), "self_submitted": sum(1 for s, _r in rows if s is not None)}
    for result in AssessmentEntry.Result:
        counts[result.value] = sum(1 for _s, r in rows if r == result)
    return counts


# --- the batch's record ------------------------------------------------------------------------

TRAIL_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
# How the record names this stage's actions (others: core.audit.action_label).
TRAIL_ACTIONS = {
    "assessment.create": gettext_lazy("开启批次"),
    "assessment_entry.self_assessment_save": gettext_lazy("保存自评报告"),
    "assessment.self_assessment_submit": gettext_lazy("提交自评报告"),
    "assessment.start_review": gettext_lazy("开始专家评审"),
    "assessment.conclude": gettext_lazy("得出评审结论"),
    "assessment.decide": gettext_lazy("作出结论"),
    "assessment.close": gettext_lazy("批次结束"),
    "rectification.create": gettext_lazy("下达整改"),
    "rectification.submit": gettext_lazy("提交整改报告"),
    "rectification.recheck": gettext_lazy("整改复核"),
    "project.update": gettext_lazy("项目状态变化"),
    "review_round.create": gettext_lazy("开启评审轮次"),
    "review_round.update": gettext_lazy("评审轮次状态变化"),
}


def trail_action_label(action: str) -> str:
    from chanjiao.core.audit import action_label

    label = TRAIL_ACTIONS.get(action)
    return str(label) if label is not None else action_label(action)


def assessment_trail(*, actor: Actor, assessment: Assessment) -> QuerySet[AuditEntry]:
    """The batch's whole record from the audit log, in time order, for the province's staff and its
    observer (纪检监察部门全程参与): the batch, its entries (self-assessments, decisions), its
    rectifications, the projects' status changes it made and its round's opening and closing. The
    experts' side of the round (conflicts, assignments, sheets, the panel) is the review's own
    record of the round (review.trail_selectors, `/review-rounds/{round_id}/trail`)."""
    if not (
        actor.sees_province
        and actor.province_prefix
        and assessment.province_code.startswith(actor.province_prefix)
    ):
        raise NotFound
    entries = list(AssessmentEntry.objects.filter(assessment=assessment).values_list("pk", "project_id"))
    rectifications = Rectification.objects.filter(entry__assessment=assessment).values_list("pk", flat=True)
    scope = Q(object_type=Assessment._meta.label_lower, object_id=str(assessment.pk))
    scope |= Q(object_type=AssessmentEntry._meta.label_lower, object_id__in=[str(pk) for pk, _p in entries])
    scope |= Q(object_type=Rectification._meta.label_lower, object_id__in=[str(pk) for pk in rectifications])
    scope |= Q(
        object_type=Project._meta.label_lower,
        object_id__in=[str(p) for _pk, p in entries],
        action="project.update",
        created_at__gte=assessment.created_at,
    )
    if assessment.round_id:
        scope |= Q(
            object_type="review.reviewround",
            object_id=str(assessment.round_id),
            action__in=("review_round.create", "review_round.update"),
        )
    return AuditEntry.objects.filter(scope).order_by("created_at", "id")


# --- what the experts read -----------------------------------------------------------------------

EXPERT_ROLES = (Role.EXPERT,)


def entries_for_expert(actor: Actor) -> QuerySet[AssessmentEntry]:
    """The entries an expert reviews in a batch's round: the projects whose applications are
    assigned to them there (not as a reserve, no unwaived conflict, the round past its set-up), so
    they read the school's self-assessment and the figures beside their sheet. Nothing else."""
    from chanjiao.review.selectors import expert_assignments

    assigned = expert_assignments(actor).filter(
        round=OuterRef("assessment__round"), application=OuterRef("project__application")
    )
    return (
        AssessmentEntry.objects.filter(Exists(assigned))
        .select_related("assessment", "project", "project__organization")
        .order_by("-assessment__created_at", "project__code", "id")
    )
