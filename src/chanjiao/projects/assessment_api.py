"""API of acceptance (验收) and performance assessment (绩效评价) batches: thin endpoints over
assessment_selectors and assessment_services.

Who may call what (the role matrix, tests/projects/matrix_assessment.py, asks every persona):
- reads: province staff and the observer (their province), city staff (their city's projects),
  a school's staff (their own projects); outside that scope 404;
- opening, running and concluding a batch, deciding an entry, re-checking a rectification:
  province staff (PROVINCE_ADMIN) of the batch's province;
- the self-assessment and the rectification report: the project's own school staff.

The experts score the batch's round through the review's own endpoints (`/review-rounds/{id}/…`,
`/score-sheets/…`, the panel's ranking), whose id the batch gives as `round_id`.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import InSchema, PagePagination
from chanjiao.core.errors import NotFound
from chanjiao.core.models import Attachment
from chanjiao.policy.models import Call, ProjectType

from . import assessment_selectors as sel
from . import assessment_services as svc
from .api import Mapped, local
from .assessment_selectors import EXPERT_ROLES, MANAGE_ROLES, READ_ROLES, SCHOOL_ROLES, TRAIL_ROLES
from .models import Assessment, AssessmentEntry, Rectification
from .selectors import project_get_for

router = Router(tags=["验收与绩效评价"])

Number = str | int | float  # parsed by the service, which names a bad value


# --- input --------------------------------------------------------------------------------------


class AssessmentIn(InSchema):
    kind: str = Field(..., description="acceptance（验收）或 performance（绩效评价）")
    call_id: int
    project_type_id: int
    project_ids: list[int] = Field(..., description="列入本批次的立项项目ID")
    year: Number = Field(
        ..., description="年度：验收为组织验收的年度（建设期须在该年底前结束），绩效评价为评价年度"
    )
    is_final: bool = Field(False, description="期末绩效评价（仅绩效评价；按建设期各年合计）")
    batch: int | None = Field(None, description="批次，不填则取该通知、类型、年度的下一个批次")
    self_assessment_due: str = Field(..., description="自评报告截止日期（ISO 8601 日期）")
    excellent_min: Number | None = Field(None, description="优秀分数线（仅验收；不填为平台默认90分）")
    pass_min: Number | None = Field(None, description="合格分数线（仅验收；不填为平台默认60分）")
    name: str = Field("", description="名称，不填按通知、类型、批次生成")
    reviews_per_application: int | None = Field(None, description="每个项目的评审专家数（评审轮次设置）")
    load_cap: int | None = None
    review_deadline: str | None = Field(None, description="专家评审截止时间（带时区的 ISO 8601 时间）")
    same_city_conflict: bool | None = None
    reserves: int | None = None
    ranking_method: str | None = Field(None, description="mean、trimmed_mean 或 zscore")
    disagreement_threshold: Number | None = None


class SelfAssessmentIn(InSchema):
    self_assessment: str = ""
    self_score: Number | None = Field(None, description="自评得分，0–100，可不填")
    attachment_ids: list[int] | None = Field(
        None, description="佐证材料（建设单位已上传附件的ID）；不填则不变"
    )


class DecideIn(InSchema):
    decision: str | None = Field(None, description="验收：pass（通过）、rectify（限期整改）或 fail（不通过）")
    outcome: str | None = Field(
        None, description="绩效评价：reward、continue、reduced_support、adjust 或 terminate"
    )
    reason: str = Field("", description="结论理由（必填）")
    requirements: str = Field("", description="整改要求（限期整改时必填）")
    deadline: str | None = Field(None, description="整改期限（限期整改时必填，ISO 8601 日期）")


class RectificationIn(InSchema):
    report: str = ""
    attachment_ids: list[int] = []


class RecheckIn(InSchema):
    passed: bool | None = Field(None, description="复核结论：true 通过，false 不通过")
    note: str = Field("", description="复核意见（必填）")


class EmptyIn(InSchema):
    pass


# --- output -------------------------------------------------------------------------------------


class AssessmentOut(Schema):
    id: int
    kind: str
    kind_display: str
    name: str
    call: dict
    project_type: dict
    province_code: str
    batch: int
    year: int
    is_final: bool
    round_id: int | None
    round_status: str
    self_assessment_due: dt.date
    excellent_min: str
    pass_min: str
    status: str
    status_display: str
    created_at: dt.datetime


class AssessmentDetailOut(AssessmentOut):
    indicator_system: dict | None
    grade_lines: dict
    acceptance_rule: dict
    outcomes: list[dict]
    counts: dict
    may_manage: bool


class RectificationOut(Schema):
    id: int
    entry_id: int
    project: dict
    requirements: str
    deadline: dt.date
    status: str
    status_display: str
    report: str
    attachments: list[dict]
    resubmitted_at: dt.datetime | None
    recheck_note: str
    rechecked_at: dt.datetime | None
    created_at: dt.datetime


class EntryOut(Schema):
    id: int
    assessment_id: int
    assessment_name: str
    kind: str
    project: dict
    organization: dict
    self_assessment: str
    self_score: str | None
    self_attachments: list[dict]
    self_submitted_at: dt.datetime | None
    inputs: dict
    score: str | None
    vetoed: bool
    grade: str
    grade_display: str
    outcome: str
    outcome_display: str
    reason: str
    result: str
    result_display: str
    decided_at: dt.datetime | None
    rectification: RectificationOut | None


class EligibleOut(Schema):
    id: int
    code: str
    title: str
    organization: dict
    status: str
    status_display: str
    starts_on: dt.date
    ends_on: dt.date


def _text(value) -> str | None:
    return None if value is None else str(value)


def _files(qs) -> list[dict]:
    return [{"id": a.pk, "name": a.original_name} for a in qs]


def _project(p) -> dict:
    return {
        "id": p.pk,
        "code": p.code,
        "title": p.title,
        "status": p.status,
        "status_display": p.get_status_display(),
    }


def assessment_out(a: Assessment) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_display": a.get_kind_display(),
        "name": a.name,
        "call": {"id": a.call_id, "name": a.call.title},
        "project_type": {"id": a.project_type_id, "name": a.project_type.name, "code": a.project_type.code},
        "province_code": a.province_code,
        "batch": a.batch,
        "year": a.year,
        "is_final": a.is_final,
        "round_id": a.round_id,
        "round_status": a.round.status if a.round_id else "",
        "self_assessment_due": a.self_assessment_due,
        "excellent_min": str(a.excellent_min),
        "pass_min": str(a.pass_min),
        "status": a.status,
        "status_display": a.get_status_display(),
        "created_at": local(a.created_at),
    }


def assessment_detail_out(actor, a: Assessment) -> dict:
    system = a.round.indicator_system if a.round_id else None
    lines = sel.grade_lines(a)
    return {
        **assessment_out(a),
        "indicator_system": None
        if system is None
        else {
            "id": system.pk,
            "code": system.code,
            "name": system.name,
            "version": system.version,
            "is_default": system.is_default,
            "source_section": system.source_section,
        },
        "grade_lines": {
            "excellent_min": str(lines["excellent_min"]),
            "pass_min": str(lines["pass_min"]),
            "is_default": lines["is_default"],
        },
        "acceptance_rule": sel.acceptance_rule(a.project_type),
        "outcomes": sel.performance_outcomes(a.project_type) if a.kind == Assessment.Kind.PERFORMANCE else [],
        "counts": sel.batch_counts(a, sel.entries_of(actor=actor, assessment=a)),
        "may_manage": sel.may_manage(actor, a),
    }


def rectification_out(r: Rectification, project) -> dict:
    return {
        "id": r.pk,
        "entry_id": r.entry_id,
        "project": _project(project),
        "requirements": r.requirements,
        "deadline": r.deadline,
        "status": r.status,
        "status_display": r.get_status_display(),
        "report": r.report,
        "attachments": _files(r.attachments.all()),
        "resubmitted_at": local(r.resubmitted_at),
        "recheck_note": r.recheck_note,
        "rechecked_at": local(r.rechecked_at),
        "created_at": local(r.created_at),
    }


def entry_out(e: AssessmentEntry) -> dict:
    try:
        rectification = e.rectification
    except Rectification.DoesNotExist:
        rectification = None
    return {
        "id": e.pk,
        "assessment_id": e.assessment_id,
        "assessment_name": e.assessment.name,
        "kind": e.assessment.kind,
        "project": _project(e.project),
        "organization": {"id": e.project.organization_id, "name": e.project.organization.name},
        "self_assessment": e.self_assessment,
        "self_score": _text(e.self_score),
        "self_attachments": _files(e.self_attachments.all()),
        "self_submitted_at": local(e.self_submitted_at),
        "inputs": e.inputs or {},
        "score": _text(e.score),
        "vetoed": e.vetoed,
        "grade": e.grade,
        "grade_display": e.get_grade_display() if e.grade else "",
        "outcome": e.outcome,
        "outcome_display": e.get_outcome_display() if e.outcome else "",
        "reason": e.reason,
        "result": e.result,
        "result_display": e.get_result_display(),
        "decided_at": local(e.decided_at),
        "rectification": None if rectification is None else rectification_out(rectification, e.project),
    }


def _with_files(qs):
    return qs.prefetch_related(
        Prefetch("self_attachments", queryset=Attachment.objects.order_by("id")),
        Prefetch("rectification__attachments", queryset=Attachment.objects.order_by("id")),
    )


def _entry(actor, pk) -> dict:
    return entry_out(sel.entry_get_for(actor=actor, pk=pk))


# --- batches ------------------------------------------------------------------------------------


class AssessmentFilters(Schema):
    kind: str = ""
    status: str = ""
    year: int | None = None
    call: int | None = None


@router.get(
    "/assessments", response=list[AssessmentOut], summary="验收与绩效评价批次（按类型、状态、年度筛选）"
)
@paginate(PagePagination)
def assessment_list(request, filters: Query[AssessmentFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(sel.assessment_search(actor=request.actor, **filters.dict()), assessment_out)


@router.post(
    "/assessments",
    response={201: AssessmentDetailOut},
    summary="开启验收或绩效评价批次（省级管理员；同时开启该批次的专家评审轮次）",
)
def assessment_create(request, payload: AssessmentIn):
    request.actor.require(*MANAGE_ROLES)
    batch = svc.assessment_create(actor=request.actor, data=payload.dict())
    return Status(
        201, assessment_detail_out(request.actor, sel.assessment_get_for(actor=request.actor, pk=batch.pk))
    )


class EligibleFilters(Schema):
    call_id: int
    project_type_id: int
    kind: str
    year: int


@router.get(
    "/assessments/eligible-projects",
    response=list[EligibleOut],
    summary="可列入新批次的项目（省级管理员；验收：建设期在该年底前结束且仍在建设中；均不含已在未结束批次中的项目）",
)
@paginate(PagePagination)
def eligible_projects(request, filters: Query[EligibleFilters]):
    request.actor.require(*MANAGE_ROLES)
    call = Call.objects.filter(
        pk=filters.call_id, pack__region__code__startswith=request.actor.province_prefix
    ).first()
    project_type = (
        ProjectType.objects.filter(pk=filters.project_type_id, calls=call).first() if call else None
    )
    if call is None or project_type is None:
        raise NotFound
    qs = sel.eligible_projects(
        actor=request.actor, call=call, project_type=project_type, kind=filters.kind, year=filters.year
    )
    return Mapped(
        qs,
        lambda p: {
            "id": p.pk,
            "code": p.code,
            "title": p.title,
            "organization": {"id": p.organization_id, "name": p.organization.name},
            "status": p.status,
            "status_display": p.get_status_display(),
            "starts_on": p.starts_on,
            "ends_on": p.ends_on,
        },
    )


@router.get(
    "/assessments/{assessment_id}",
    response=AssessmentDetailOut,
    summary="批次详情：指标体系、分数线、计划的验收规则、绩效评价结果及其条件与依据、进度",
)
def assessment_detail(request, assessment_id: int):
    request.actor.require(*READ_ROLES)
    return assessment_detail_out(request.actor, sel.assessment_get_for(actor=request.actor, pk=assessment_id))


@router.get(
    "/assessments/{assessment_id}/entries",
    response=list[EntryOut],
    summary="批次中的项目：自评、计算指标、专家评分、等级或结果、整改（学校和市级只见本单位、本市项目）",
)
@paginate(PagePagination)
def assessment_entries(request, assessment_id: int):
    request.actor.require(*READ_ROLES)
    batch = sel.assessment_get_for(actor=request.actor, pk=assessment_id)
    return Mapped(_with_files(sel.entries_of(actor=request.actor, assessment=batch)), entry_out)


@router.post(
    "/assessments/{assessment_id}/start-review",
    response=AssessmentDetailOut,
    summary="结束学校自评、开始专家评审（省级管理员；自评未全部提交时须过截止日期）",
)
def assessment_start_review(request, assessment_id: int, payload: EmptyIn = None):
    request.actor.require(*MANAGE_ROLES)
    batch = sel.assessment_get_for(actor=request.actor, pk=assessment_id)
    svc.assessment_start_review(actor=request.actor, assessment=batch)
    return assessment_detail_out(request.actor, sel.assessment_get_for(actor=request.actor, pk=batch.pk))


@router.post(
    "/assessments/{assessment_id}/conclude",
    response=AssessmentDetailOut,
    summary="按专家评审排名得出各项目得分与等级（省级管理员；评审轮次须已进入专家组合议）",
)
def assessment_conclude(request, assessment_id: int, payload: EmptyIn = None):
    request.actor.require(*MANAGE_ROLES)
    batch = sel.assessment_get_for(actor=request.actor, pk=assessment_id)
    svc.assessment_conclude(actor=request.actor, assessment=batch)
    return assessment_detail_out(request.actor, sel.assessment_get_for(actor=request.actor, pk=batch.pk))


class TrailOut(Schema):
    id: int
    created_at: dt.datetime
    action: str
    action_display: str
    actor: str
    organization: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]


def trail_out(e) -> dict:
    return {
        "id": e.pk,
        "created_at": local(e.created_at),
        "action": e.action,
        "action_display": sel.trail_action_label(e.action),
        "actor": e.actor_name,
        "organization": e.organization_name,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "changes": e.changes or {},
    }


@router.get(
    "/assessments/{assessment_id}/trail",
    response=list[TrailOut],
    summary="批次全过程记录：开启、自评、评审开始与结论、逐项结论、整改与复核、项目状态变化（省级管理员与纪检监察；专家评审过程见评审轮次的全过程记录）",
)
@paginate(PagePagination)
def assessment_trail(request, assessment_id: int):
    request.actor.require(*TRAIL_ROLES)
    batch = sel.assessment_get_for(actor=request.actor, pk=assessment_id)
    return Mapped(sel.assessment_trail(actor=request.actor, assessment=batch), trail_out)


# --- entries ------------------------------------------------------------------------------------


class ExpertEntryOut(Schema):
    id: int
    assessment_id: int
    assessment_name: str
    kind: str
    round_id: int | None
    application_id: int
    project: dict
    organization: dict
    self_assessment: str
    self_score: str | None
    self_attachments: list[dict]
    self_submitted_at: dt.datetime | None
    inputs: dict


def expert_entry_out(e: AssessmentEntry) -> dict:
    return {
        "id": e.pk,
        "assessment_id": e.assessment_id,
        "assessment_name": e.assessment.name,
        "kind": e.assessment.kind,
        "round_id": e.assessment.round_id,
        "application_id": e.project.application_id,
        "project": {"id": e.project_id, "code": e.project.code, "title": e.project.title},
        "organization": {"id": e.project.organization_id, "name": e.project.organization.name},
        "self_assessment": e.self_assessment if e.self_submitted_at else "",
        "self_score": _text(e.self_score) if e.self_submitted_at else None,
        "self_attachments": _files(e.self_attachments.all()) if e.self_submitted_at else [],
        "self_submitted_at": local(e.self_submitted_at),
        "inputs": e.inputs or {},
    }


@router.get(
    "/assessment-entries/assigned",
    response=list[ExpertEntryOut],
    summary="评审专家：分配给本人评审的验收或绩效评价项目的学校自评报告（已提交的）和计算指标",
)
@paginate(PagePagination)
def entries_for_expert(request):
    request.actor.require(*EXPERT_ROLES)
    qs = sel.entries_for_expert(request.actor).prefetch_related(
        Prefetch("self_attachments", queryset=Attachment.objects.order_by("id"))
    )
    return Mapped(qs, expert_entry_out)


@router.get("/assessment-entries/{entry_id}", response=EntryOut, summary="批次中的一个项目")
def entry_detail(request, entry_id: int):
    request.actor.require(*READ_ROLES)
    return _entry(request.actor, entry_id)


@router.put(
    "/assessment-entries/{entry_id}/self-assessment",
    response=EntryOut,
    summary="保存自评报告（建设单位；提交前可多次保存）",
)
def self_assessment_save(request, entry_id: int, payload: SelfAssessmentIn):
    request.actor.require(*SCHOOL_ROLES)
    entry = sel.entry_get_for(actor=request.actor, pk=entry_id)
    svc.self_assessment_save(actor=request.actor, entry=entry, data=payload.dict())
    return _entry(request.actor, entry.pk)


@router.post(
    "/assessment-entries/{entry_id}/self-assessment/submit",
    response=EntryOut,
    summary="提交自评报告（建设单位；提交后不能修改）",
)
def self_assessment_submit(request, entry_id: int, payload: EmptyIn = None):
    request.actor.require(*SCHOOL_ROLES)
    entry = sel.entry_get_for(actor=request.actor, pk=entry_id)
    svc.self_assessment_submit(actor=request.actor, entry=entry)
    return _entry(request.actor, entry.pk)


@router.post(
    "/assessment-entries/{entry_id}/decide",
    response=EntryOut,
    summary="作出结论（省级管理员；验收：通过、限期整改或不通过；绩效评价：奖励、继续支持、减小支持、调整或中止；须写明理由）",
)
def entry_decide(request, entry_id: int, payload: DecideIn):
    request.actor.require(*MANAGE_ROLES)
    entry = sel.entry_get_for(actor=request.actor, pk=entry_id)
    data: dict[str, Any] = payload.dict()
    svc.entry_decide(actor=request.actor, entry=entry, data=data)
    return _entry(request.actor, entry.pk)


@router.get(
    "/projects/{project_id}/assessments",
    response=list[EntryOut],
    summary="项目参加过的验收与绩效评价（最新的在前）",
)
@paginate(PagePagination)
def project_assessments(request, project_id: int):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    return Mapped(_with_files(sel.entries_of_project(actor=request.actor, project=project)), entry_out)


# --- rectification ------------------------------------------------------------------------------


def _rectification(actor, pk) -> dict:
    r = sel.rectification_get_for(actor=actor, pk=pk)
    return rectification_out(r, r.entry.project)


@router.get("/rectifications/{rectification_id}", response=RectificationOut, summary="整改")
def rectification_detail(request, rectification_id: int):
    request.actor.require(*READ_ROLES)
    return _rectification(request.actor, rectification_id)


@router.post(
    "/rectifications/{rectification_id}/submit",
    response=RectificationOut,
    summary="提交整改报告（建设单位；须在整改期限内）",
)
def rectification_submit(request, rectification_id: int, payload: RectificationIn):
    request.actor.require(*SCHOOL_ROLES)
    r = sel.rectification_get_for(actor=request.actor, pk=rectification_id)
    svc.rectification_submit(actor=request.actor, rectification=r, data=payload.dict())
    return _rectification(request.actor, r.pk)


@router.post(
    "/rectifications/{rectification_id}/recheck",
    response=RectificationOut,
    summary="复核整改（省级管理员；通过则通过验收，不通过则未通过验收；须写明复核意见）",
)
def rectification_recheck(request, rectification_id: int, payload: RecheckIn):
    request.actor.require(*MANAGE_ROLES)
    r = sel.rectification_get_for(actor=request.actor, pk=rectification_id)
    svc.rectification_recheck(actor=request.actor, rectification=r, data=payload.dict())
    return _rectification(request.actor, r.pk)
