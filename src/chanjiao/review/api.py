"""Expert review over the API: thin endpoints over selectors and services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` and `File` types.
"""

from django.utils import timezone
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from chanjiao.applications.snapshots import build as build_snapshot
from chanjiao.core.api_support import PagePagination

from . import assignment as assigning
from . import conflicts, importers, selectors, services
from .explain import affinity_words, assignment_lines
from .models import Assignment, AssignmentRun, Conflict, ExpertProfile, ReviewRound
from .panel_selectors import round_quota
from .permissions import APPLICANT_ROLES, EXCLUSION_READ_ROLES, EXPERT_ROLES, READ_ROLES, STAFF_ROLES
from .schemas import (
    AssignedDetailOut,
    AssignedOut,
    AssignmentIn,
    AssignmentOut,
    AvailabilityIn,
    AvailabilityOut,
    ComputeOut,
    ConflictIn,
    ConflictOut,
    CoverageOut,
    DrawIn,
    EducationGroupIn,
    EducationGroupOut,
    ExclusionIn,
    ExclusionOut,
    ExclusionsOut,
    ExpertProfileIn,
    ExpertProfileOut,
    ExpertProfilePatch,
    ImportOut,
    ReasonIn,
    ReplayOut,
    ReviewRoundIn,
    ReviewRoundOut,
    RoundSettings,
    RunDetailOut,
    RunOut,
)

router = Router(tags=["专家评审"])


class Mapped:
    """A queryset seen through `fn`, sliced before mapping: pagination counts and slices the database."""

    def __init__(self, queryset, fn):
        self.queryset, self.fn = queryset, fn

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return [self.fn(item) for item in self.queryset[index]]


def local(value):
    return timezone.localtime(value) if value is not None else None


def _person(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def profile_out(p: ExpertProfile) -> dict:
    return {
        "id": p.pk,
        "user_id": p.user_id,
        "username": p.user.username,
        "name": p.name,
        "employer": {
            "id": p.employer_id,
            "name": p.employer.name,
            "kind": p.employer.kind,
            "region_code": p.employer.region_id,
        },
        "title": p.title,
        "is_industry": p.is_industry,
        "programme_categories": list(p.programme_categories or []),
        "industries": list(p.industries or []),
        "region_code": p.region_id,
        "is_active": p.is_active,
        "note": p.note,
        "created_at": local(p.created_at),
    }


def expert_ref(p: ExpertProfile) -> dict:
    return {"id": p.pk, "name": p.name, "employer": p.employer.name, "is_industry": p.is_industry}


def app_ref(a) -> dict:
    return {"id": a.pk, "title": a.title, "applicant": a.applicant.name}


def round_out(r: ReviewRound) -> dict:
    return {
        "id": r.pk,
        "call": {"id": r.call_id, "name": r.call.title},
        "project_type": {"id": r.project_type_id, "name": r.project_type.name},
        "kind": r.kind,
        "kind_display": r.get_kind_display(),
        "name": r.name,
        "indicator_system_id": r.indicator_system_id,
        "reviews_per_application": r.reviews_per_application,
        "load_cap": r.load_cap,
        "max_exclusions": r.max_exclusions,
        "exclusions_close_at": local(r.exclusions_close_at),
        "same_city_conflict": r.same_city_conflict,
        "reserves": r.reserves,
        "review_deadline": local(r.review_deadline),
        "ranking_method": r.ranking_method,
        "ranking_method_display": r.get_ranking_method_display(),
        "quota": r.quota,
        "quota_effective": round_quota(r),
        "disagreement_threshold": r.disagreement_threshold,
        "publicity_days": r.publicity_days,
        "status": r.status,
        "status_display": r.get_status_display(),
        "created_at": local(r.created_at),
    }


def conflict_out(c: Conflict) -> dict:
    return {
        "id": c.pk,
        "round_id": c.round_id,
        "expert": expert_ref(c.expert),
        "application": app_ref(c.application),
        "kind": c.kind,
        "kind_display": c.get_kind_display(),
        "source": c.source,
        "explanation": conflicts.conflict_text(c),
        "reason": c.reason,
        "details": c.details or {},
        "waived": c.is_waived,
        "waived_by": _person(c.waived_by) if c.waived_by_id else None,
        "waived_at": local(c.waived_at),
        "waive_reason": c.waive_reason,
        "created_at": local(c.created_at),
    }


def run_out(run: AssignmentRun) -> dict:
    result = {k: v for k, v in (run.result or {}).items() if k != "log"}
    return {
        "id": run.pk,
        "round_id": run.round_id,
        "method": run.method,
        "seed": run.seed,
        "created_at": local(run.created_at),
        "created_by": _person(run.created_by),
        "result": result,
    }


def assignment_out(a: Assignment) -> dict:
    return {
        "id": a.pk,
        "round_id": a.round_id,
        "expert": expert_ref(a.expert),
        "application": app_ref(a.application),
        "method": a.method,
        "affinity": a.affinity,
        "reserve": a.reserve,
        "reserve_rank": a.reserve_rank,
        "reason": a.reason,
        "explanation": a.explanation or {},
        "explanation_lines": assignment_lines(a.explanation),
        "created_at": local(a.created_at),
        "created_by": _person(a.created_by),
    }


# --- the pool --------------------------------------------------------------------------------------


class ExpertFilters(Schema):
    q: str = ""
    is_industry: bool | None = None
    category: str = ""
    industry: str = ""
    region: str = ""
    active: bool | None = None
    employer: int | None = None


@router.get(
    "/expert-profiles", response=list[ExpertProfileOut], summary="专家库（本省；可按领域、来源、地区筛选）"
)
@paginate(PagePagination)
def expert_list(request, filters: Query[ExpertFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(selectors.expert_search(actor=request.actor, **filters.dict()), profile_out)


@router.post("/expert-profiles", response={201: ExpertProfileOut}, summary="专家入库（本省省级管理员）")
def expert_create(request, payload: ExpertProfileIn):
    request.actor.require(*STAFF_ROLES)
    profile = services.expert_profile_create(actor=request.actor, data=payload.dict())
    return Status(201, profile_out(selectors.expert_get_for(actor=request.actor, pk=profile.pk)))


@router.post(
    "/expert-profiles/import",
    response=ImportOut,
    summary="按模板导入专家库（Excel；全部成功或全部不导入，列出每一行的问题）",
)
def expert_import(request, file: File[UploadedFile]):
    request.actor.require(*STAFF_ROLES)
    return importers.experts_import(actor=request.actor, file=file)


@router.get("/expert-profiles/{profile_id}", response=ExpertProfileOut, summary="专家详情")
def expert_detail(request, profile_id: int):
    request.actor.require(*READ_ROLES)
    return profile_out(selectors.expert_get_for(actor=request.actor, pk=profile_id))


@router.patch(
    "/expert-profiles/{profile_id}", response=ExpertProfileOut, summary="修改专家信息（本省省级管理员）"
)
def expert_update(request, profile_id: int, payload: ExpertProfilePatch):
    request.actor.require(*STAFF_ROLES)
    profile = selectors.expert_get_for(actor=request.actor, pk=profile_id)
    services.expert_profile_update(
        actor=request.actor, profile=profile, data=payload.dict(exclude_unset=True)
    )
    return profile_out(selectors.expert_get_for(actor=request.actor, pk=profile_id))


@router.get("/education-groups", response=list[EducationGroupOut], summary="职业教育集团（本省）")
def group_list(request):
    request.actor.require(*READ_ROLES)
    return [
        {"id": g.pk, "name": g.name, "members": [{"id": o.pk, "name": o.name} for o in g.members.all()]}
        for g in selectors.education_groups_for(request.actor)
    ]


@router.post("/education-groups", response={201: EducationGroupOut}, summary="登记职业教育集团及其成员单位")
def group_create(request, payload: EducationGroupIn):
    request.actor.require(*STAFF_ROLES)
    group = services.education_group_create(
        actor=request.actor, name=payload.name, member_ids=payload.member_ids
    )
    return Status(
        201,
        {
            "id": group.pk,
            "name": group.name,
            "members": [{"id": o.pk, "name": o.name} for o in group.members.all()],
        },
    )


# --- rounds ----------------------------------------------------------------------------------------


@router.get("/review-rounds", response=list[ReviewRoundOut], summary="评审轮次（本省的申报通知）")
@paginate(PagePagination)
def round_list(request):
    request.actor.require(*READ_ROLES)
    return Mapped(selectors.rounds_for(request.actor).order_by("-created_at", "-id"), round_out)


@router.post(
    "/review-rounds",
    response={201: ReviewRoundOut},
    summary="设置评审轮次（每项申报专家数、评审上限、回避设置等）",
)
def round_create(request, payload: ReviewRoundIn):
    request.actor.require(*STAFF_ROLES)
    review_round = services.review_round_create(actor=request.actor, data=payload.dict(exclude_unset=True))
    return Status(201, round_out(selectors.round_get_for(actor=request.actor, pk=review_round.pk)))


@router.get("/review-rounds/{round_id}", response=ReviewRoundOut, summary="评审轮次详情")
def round_detail(request, round_id: int):
    request.actor.require(*READ_ROLES)
    return round_out(selectors.round_get_for(actor=request.actor, pk=round_id))


@router.patch("/review-rounds/{round_id}", response=ReviewRoundOut, summary="修改评审轮次设置")
def round_update(request, round_id: int, payload: RoundSettings):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    services.review_round_update(
        actor=request.actor, review_round=review_round, data=payload.dict(exclude_unset=True)
    )
    return round_out(selectors.round_get_for(actor=request.actor, pk=round_id))


@router.post(
    "/review-rounds/{round_id}/availability",
    response=AvailabilityOut,
    summary="专家本轮是否参加、个人评审上限",
)
def availability_set(request, round_id: int, payload: AvailabilityIn):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    expert = selectors.expert_get_for(actor=request.actor, pk=payload.expert_id)
    row = services.availability_set(
        actor=request.actor,
        review_round=review_round,
        expert=expert,
        available=payload.available,
        load_cap=payload.load_cap,
        note=payload.note,
    )
    return {
        "expert_id": row.expert_id,
        "available": row.available,
        "load_cap": row.load_cap,
        "note": row.note,
    }


@router.get(
    "/review-rounds/{round_id}/applications",
    response=list[CoverageOut],
    summary="各申报的评审专家配备情况（已分配、应分配、行业企业专家、候补）",
)
@paginate(PagePagination)
def round_coverage(request, round_id: int):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    k = review_round.reviews_per_application
    return Mapped(
        selectors.coverage(review_round),
        lambda a: {
            "application": app_ref(a),
            "assigned": a.assigned,
            "needed": k,
            "industry_assigned": a.industry_assigned,
            "reserves": a.reserves,
        },
    )


# --- conflicts -------------------------------------------------------------------------------------


class ConflictFilters(Schema):
    kind: str = ""
    waived: bool | None = None
    q: str = ""
    application: int | None = None
    expert: int | None = None


@router.get(
    "/review-rounds/{round_id}/conflicts",
    response=list[ConflictOut],
    summary="回避关系及其依据（含豁免人和理由）",
)
@paginate(PagePagination)
def conflict_list(request, round_id: int, filters: Query[ConflictFilters]):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    return Mapped(
        selectors.conflict_search(actor=request.actor, review_round=review_round, **filters.dict()),
        conflict_out,
    )


@router.post(
    "/review-rounds/{round_id}/conflicts", response={201: ConflictOut}, summary="管理员认定回避（须写理由）"
)
def conflict_add(request, round_id: int, payload: ConflictIn):
    actor = request.actor
    actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=actor, pk=round_id)
    expert = selectors.expert_get_for(actor=actor, pk=payload.expert_id)
    application = selectors.round_application_get(review_round, payload.application_id)
    conflict = conflicts.conflict_add(
        actor=actor, review_round=review_round, expert=expert, application=application, reason=payload.reason
    )
    return Status(201, conflict_out(selectors.conflict_get_for(actor=actor, pk=conflict.pk)))


@router.post(
    "/review-rounds/{round_id}/conflicts/compute",
    response=ComputeOut,
    summary="按规则重新计算回避关系（分配前也会自动计算）",
)
def conflict_compute(request, round_id: int):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    return conflicts.conflicts_compute(actor=request.actor, review_round=review_round)


@router.post(
    "/conflicts/{conflict_id}/waive",
    response=ConflictOut,
    summary="豁免回避（须写理由；专家本人申报的不能豁免）",
)
def conflict_waive(request, conflict_id: int, payload: ReasonIn):
    request.actor.require(*STAFF_ROLES)
    conflict = selectors.conflict_get_for(actor=request.actor, pk=conflict_id)
    conflicts.conflict_waive(actor=request.actor, conflict=conflict, reason=payload.reason)
    return conflict_out(selectors.conflict_get_for(actor=request.actor, pk=conflict_id))


# --- assignment ------------------------------------------------------------------------------------


@router.post(
    "/review-rounds/{round_id}/assign",
    response={201: RunOut},
    summary="最优分配（精确求解；任一申报无法配齐时列出原因且不保存任何分配）",
)
def assign(request, round_id: int):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    run = assigning.assign_exact(actor=request.actor, review_round=review_round)
    return Status(201, run_out(run))


@router.post(
    "/review-rounds/{round_id}/draw",
    response={201: RunOut},
    summary="随机抽取（记录随机种子，同一种子可复现；含候补）",
)
def draw(request, round_id: int, payload: DrawIn):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    run = assigning.assign_draw(
        actor=request.actor, review_round=review_round, seed=payload.seed, reserves=payload.reserves
    )
    return Status(201, run_out(run))


@router.get("/review-rounds/{round_id}/runs", response=list[RunOut], summary="分配与抽取记录")
def run_list(request, round_id: int):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    return [
        run_out(r)
        for r in selectors.runs_for(request.actor).filter(round=review_round).order_by("-created_at", "-id")
    ]


@router.get(
    "/assignment-runs/{run_id}",
    response=RunDetailOut,
    summary="一次分配或抽取的输入与结果（抽取含随机种子和抽签记录）",
)
def run_detail(request, run_id: int):
    request.actor.require(*READ_ROLES)
    run = selectors.run_get_for(actor=request.actor, pk=run_id)
    return {**run_out(run), "result": run.result or {}, "parameters": run.parameters or {}}


@router.get(
    "/assignment-runs/{run_id}/replay", response=ReplayOut, summary="用记录的随机种子和输入重新抽取并比对"
)
def run_replay(request, run_id: int):
    request.actor.require(*READ_ROLES)
    run = selectors.run_get_for(actor=request.actor, pk=run_id)
    return assigning.draw_replay(run)


class AssignmentFilters(Schema):
    round: int | None = None
    application: int | None = None
    expert: int | None = None
    reserve: bool | None = None
    method: str = ""


@router.get("/assignments", response=list[AssignmentOut], summary="评审分配（含每项分配的说明）")
@paginate(PagePagination)
def assignment_list(request, filters: Query[AssignmentFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(selectors.assignment_search(actor=request.actor, **filters.dict()), assignment_out)


@router.post(
    "/assignments",
    response={201: AssignmentOut},
    summary="人工分配（须写理由；有回避关系、已达上限或不参加的专家被拒绝并说明原因）",
)
def assignment_add(request, payload: AssignmentIn):
    actor = request.actor
    actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=actor, pk=payload.round_id)
    expert = selectors.expert_get_for(actor=actor, pk=payload.expert_id)
    application = selectors.round_application_get(review_round, payload.application_id)
    row = assigning.assignment_add(
        actor=actor, review_round=review_round, expert=expert, application=application, reason=payload.reason
    )
    return Status(201, assignment_out(selectors.assignment_get_for(actor=actor, pk=row.pk)))


@router.get(
    "/assignments/{assignment_id}",
    response=AssignmentOut,
    summary="一项分配及其说明（匹配度、为何不是其他专家）",
)
def assignment_detail(request, assignment_id: int):
    request.actor.require(*READ_ROLES)
    return assignment_out(selectors.assignment_get_for(actor=request.actor, pk=assignment_id))


@router.post(
    "/assignments/{assignment_id}/remove", response={204: None}, summary="人工移除分配或候补（须写理由）"
)
def assignment_remove(request, assignment_id: int, payload: ReasonIn):
    request.actor.require(*STAFF_ROLES)
    row = selectors.assignment_get_for(actor=request.actor, pk=assignment_id)
    assigning.assignment_remove(actor=request.actor, assignment=row, reason=payload.reason)
    return Status(204, None)


# --- exclusions (申请回避) ---------------------------------------------------------------------------


def exclusions_out(application) -> dict:
    review_round, limit, open_ = services.exclusion_window(application)
    return {
        "items": [
            {
                "id": e.pk,
                "expert_name": e.expert_name,
                "employer_name": e.employer_name,
                "reason": e.reason,
                "created_at": local(e.created_at),
            }
            for e in selectors.exclusions_of(application)
        ],
        "limit": limit,
        "open": open_,
        "closes_at": local(review_round.exclusions_close_at) if review_round else None,
    }


@router.get(
    "/applications/{application_id}/exclusions", response=ExclusionsOut, summary="申请回避的专家（申报单位）"
)
def exclusion_list(request, application_id: int):
    request.actor.require(*EXCLUSION_READ_ROLES)
    application = selectors.exclusion_application_get_for(actor=request.actor, pk=application_id)
    return exclusions_out(application)


@router.post(
    "/applications/{application_id}/exclusions",
    response={201: ExclusionOut},
    summary="申请回避某位专家（须写理由；数量以评审轮次设置为限，分配前可申请）",
)
def exclusion_add(request, application_id: int, payload: ExclusionIn):
    request.actor.require(*APPLICANT_ROLES)
    application = selectors.exclusion_application_get_for(actor=request.actor, pk=application_id)
    row = services.exclusion_add(
        actor=request.actor,
        application=application,
        expert_name=payload.expert_name,
        employer_name=payload.employer_name,
        reason=payload.reason,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "expert_name": row.expert_name,
            "employer_name": row.employer_name,
            "reason": row.reason,
            "created_at": local(row.created_at),
        },
    )


@router.post(
    "/applications/{application_id}/exclusions/{exclusion_id}/remove",
    response={204: None},
    summary="撤回一项回避申请",
)
def exclusion_remove(request, application_id: int, exclusion_id: int):
    request.actor.require(*APPLICANT_ROLES)
    application = selectors.exclusion_application_get_for(actor=request.actor, pk=application_id)
    services.exclusion_remove(
        actor=request.actor, exclusion=selectors.exclusion_get(application, exclusion_id)
    )
    return Status(204, None)


# --- what an expert sees ---------------------------------------------------------------------------


def assigned_out(a: Assignment) -> dict:
    return {
        "assignment_id": a.pk,
        "round": {"id": a.round_id, "name": a.round.name},
        "review_deadline": local(a.round.review_deadline),
        "application": app_ref(a.application),
        "project_type": a.round.project_type.name,
        "affinity": a.affinity,
        "affinity_words": affinity_words((a.explanation or {}).get("affinity")),
    }


@router.get("/assigned-applications", response=list[AssignedOut], summary="分配给我评审的申报（评审专家）")
@paginate(PagePagination)
def assigned_list(request):
    request.actor.require(*EXPERT_ROLES)
    return Mapped(selectors.expert_assignments(request.actor), assigned_out)


@router.get(
    "/assigned-applications/{application_id}",
    response=AssignedDetailOut,
    summary="我评审的申报内容（最近提交的版本）；未分配或有回避关系时为 404",
)
def assigned_detail(request, application_id: int):
    request.actor.require(*EXPERT_ROLES)
    application, row = selectors.assigned_application_get_for(
        actor=request.actor, application_id=application_id
    )
    version = selectors.latest_version(application)
    content = version.snapshot if version is not None else build_snapshot(application)
    return {**assigned_out(row), "version": version.number if version else None, "content": content}


@router.post(
    "/assigned-applications/{application_id}/declare-conflict",
    response={201: ConflictOut},
    summary="专家本人申报回避（须写理由；申报后不再看到该申报）",
)
def declare_conflict(request, application_id: int, payload: ReasonIn):
    request.actor.require(*EXPERT_ROLES)
    _application, row = selectors.assigned_application_get_for(
        actor=request.actor, application_id=application_id
    )
    conflict = conflicts.conflict_declare(actor=request.actor, assignment=row, reason=payload.reason)
    conflict = Conflict.objects.select_related(
        "expert", "expert__user", "expert__employer", "application", "application__applicant", "waived_by"
    ).get(pk=conflict.pk)
    return Status(201, conflict_out(conflict))
