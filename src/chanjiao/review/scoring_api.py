"""API of the review's scoring stage (mounted by chanjiao/api.py): thin endpoints over
scoring_selectors and scoring_services, with this stage's schemas.

No `from __future__ import annotations` here: ninja must see the schema types.
"""

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from chanjiao.core.api_support import InSchema, PagePagination

from . import scoring_selectors, scoring_services, selectors
from .api import Mapped, app_ref, local
from .models import ScoreSheet
from .permissions import EXPERT_ROLES, READ_ROLES
from .schemas import ApplicationRef, ExpertRef, Ref
from .scoring_selectors import Layout

router = Router(tags=["专家评审"])

SHEET_READ_ROLES = (*READ_ROLES, *EXPERT_ROLES)


# --- schemas -----------------------------------------------------------------------------------------


class LeafOut(Schema):
    code: str
    name: str
    kind: str = Field(
        description="expert 专家评分；formula 按填报数据分档；gate 达标判定（遴选评审由专家按规则评分，"
        "验收、绩效评价按填报数据计算，见 computed）"
    )
    min: Decimal
    max: Decimal
    points: Decimal = Field(description="占总分的分值")
    description: str
    how: str = Field(description="formula、gate 指标的规则（分档或达标条件）")


class PartOut(Schema):
    code: str = Field(description="二级指标编号；末级指标直接在一级指标下时为空")
    name: str
    leaves: list[LeafOut]


class SectionOut(Schema):
    code: str
    name: str
    points: Decimal
    parts: list[PartOut]


class VetoOut(Schema):
    code: str
    name: str
    how: str


class TreeOut(Schema):
    indicator_system: Ref
    total: Decimal
    sections: list[SectionOut]
    vetoes: list[VetoOut]


class ComputedOut(Schema):
    code: str = Field(description="formula、gate 指标或一票否决项的编号")
    value: bool | Decimal | None = Field(
        description="按填报数据计算的分值（达标判定为 true / false；否决项为是否否决）；数据缺失时为空，由专家评定"
    )
    basis: str = Field(description="计算依据：数据名称、数值和单位")
    missing: bool


class SheetOut(Schema):
    id: int | None = Field(description="尚未保存过草稿时为空")
    assignment_id: int
    round: Ref
    application: ApplicationRef
    status: str = Field(description="not_started、draft、submitted、recused")
    status_display: str
    scores: dict[str, Any]
    vetoes: list[str]
    comments: dict[str, str]
    overall_comment: str
    recommendation: str
    recommendation_display: str
    total: Decimal | None = Field(description="提交时计算的总分")
    running_total: Decimal | None = Field(description="草稿按已填分值计算的总分（未填按0分）")
    row_version: int = Field(description="修改版本；保存和提交时以 expected_version 带回")
    submitted_at: dt.datetime | None
    review_deadline: dt.datetime | None
    tree: TreeOut | None = Field(description="本轮指标体系；未设置时为空")
    computed: list[ComputedOut] = Field(
        default_factory=list,
        description="验收、绩效评价轮次按填报数据计算的指标和否决项（计算所得的分值不能修改）；遴选评审为空",
    )


class SheetDetailOut(SheetOut):
    expert: ExpertRef
    recusal_reason: str


class SheetIn(InSchema):
    """A draft as a whole: what is left out is saved empty."""

    expected_version: int = Field(description="读到的修改版本（还没有评分表时为0）；不一致时 409")
    scores: dict[str, bool | Decimal | str | None] = Field(
        default_factory=dict, description='末级指标编号 → 分值，如 {"1.1.2": 3.5}；达标判定为 true / false'
    )
    vetoes: list[str] = Field(default_factory=list, description="勾选的一票否决项编号")
    comments: dict[str, str] = Field(default_factory=dict, description="一级指标编号 → 评审意见")
    overall_comment: str = ""
    recommendation: str = Field("", description="strong、recommend、reserved、not_recommended")


class SubmitIn(InSchema):
    """Submits the stored draft; each part given here replaces the draft's before it is checked."""

    expected_version: int
    scores: dict[str, bool | Decimal | str | None] | None = None
    vetoes: list[str] | None = None
    comments: dict[str, str] | None = None
    overall_comment: str | None = None
    recommendation: str | None = None


class RecuseIn(InSchema):
    reason: str = ""


class RecusedOut(Schema):
    id: int
    assignment_id: int
    application_id: int
    status: str
    recusal_reason: str


class RoundSheetOut(Schema):
    assignment_id: int
    expert: ExpertRef
    application: ApplicationRef
    sheet_id: int | None = Field(description="尚未开始时为空")
    status: str
    status_display: str
    total: Decimal | None = Field(description="只有已提交的评分表给出总分")
    submitted_at: dt.datetime | None


# --- outputs -----------------------------------------------------------------------------------------


def tree_out(layout: Layout | None) -> dict | None:
    if layout is None:
        return None
    return {
        "indicator_system": {"id": layout.system_id, "name": layout.system_name},
        "total": layout.total,
        "sections": [
            {
                "code": s.code,
                "name": s.name,
                "points": s.points,
                "parts": [
                    {"code": p.code, "name": p.name, "leaves": [asdict(leaf) for leaf in p.leaves]}
                    for p in s.parts
                ],
            }
            for s in layout.sections
        ],
        "vetoes": [asdict(v) for v in layout.vetoes],
    }


def _status_display(status: str | None) -> str:
    if not status or status == scoring_selectors.NOT_STARTED:
        return str(scoring_selectors.NOT_STARTED_LABEL)
    return str(ScoreSheet.Status(status).label)


def computed_out(layout: Layout | None, sheet: ScoreSheet) -> list[dict]:
    computation = (
        scoring_selectors.computation_of(sheet.round, sheet.application_id, layout)
        if layout is not None
        else None
    )
    if computation is None:
        return []
    rows = []
    for rule in layout.rules:
        if rule.kind == "veto":
            value = None if computation.is_missing(rule.code) else rule.code in computation.vetoed
        else:
            raw = computation.result.values.get(rule.code)
            value = None if raw is None else (bool(raw) if rule.kind == "gate" else raw)
        rows.append(
            {
                "code": rule.code,
                "value": value,
                "basis": computation.basis.get(rule.code, ""),
                "missing": computation.is_missing(rule.code),
            }
        )
    return rows


def sheet_out(sheet: ScoreSheet, *, with_tree: bool = True) -> dict:
    review_round = sheet.round
    layout = scoring_selectors.layout_of(review_round)
    status = sheet.status if sheet.pk else scoring_selectors.NOT_STARTED
    running = None
    if layout is not None and sheet.status == ScoreSheet.Status.DRAFT:
        running = scoring_services.running_total(layout, {"scores": sheet.scores or {}})
    return {
        "id": sheet.pk,
        "assignment_id": sheet.assignment_id,
        "round": {"id": review_round.pk, "name": review_round.name},
        "application": app_ref(sheet.application),
        "status": status,
        "status_display": _status_display(status),
        "scores": dict(sheet.scores or {}),
        "vetoes": list(sheet.vetoes or []),
        "comments": dict(sheet.comments or {}),
        "overall_comment": sheet.overall_comment,
        "recommendation": sheet.recommendation,
        "recommendation_display": sheet.get_recommendation_display() if sheet.recommendation else "",
        "total": sheet.total,
        "running_total": running,
        "row_version": sheet.row_version,
        "submitted_at": local(sheet.submitted_at),
        "review_deadline": local(review_round.review_deadline),
        "tree": tree_out(layout) if with_tree else None,
        "computed": computed_out(layout, sheet),
    }


def _expert_ref(p) -> dict:
    return {"id": p.pk, "name": p.name, "employer": p.employer.name, "is_industry": p.is_industry}


# --- the expert's own sheet --------------------------------------------------------------------------


@router.get(
    "/assigned-applications/{application_id}/sheet",
    response=SheetOut,
    summary="我的评分表（含本轮指标体系和已填内容）；未分配、候补或已回避时为 404",
)
def sheet_get(request, application_id: int):
    request.actor.require(*EXPERT_ROLES)
    return sheet_out(scoring_selectors.sheet_of(request.actor, application_id))


@router.put(
    "/assigned-applications/{application_id}/sheet",
    response=SheetOut,
    summary="保存评分表草稿（整表保存；须带回读到的 expected_version）",
)
def sheet_save(request, application_id: int, payload: SheetIn):
    request.actor.require(*EXPERT_ROLES)
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    data = payload.dict(exclude={"expected_version"})
    saved = scoring_services.sheet_save(
        actor=request.actor, assignment=sheet.assignment, data=data, expected_version=payload.expected_version
    )
    return sheet_out(saved)


@router.post(
    "/assigned-applications/{application_id}/sheet/submit",
    response=SheetOut,
    summary="提交评分表（每个末级指标有分、每个一级指标有评审意见、选定推荐意见；评审截止后不能提交）",
)
def sheet_submit(request, application_id: int, payload: SubmitIn):
    request.actor.require(*EXPERT_ROLES)
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    data = payload.dict(exclude={"expected_version"}, exclude_none=True)
    submitted = scoring_services.sheet_submit(
        actor=request.actor, assignment=sheet.assignment, expected_version=payload.expected_version, data=data
    )
    return sheet_out(submitted)


@router.post(
    "/assigned-applications/{application_id}/sheet/recuse",
    response=RecusedOut,
    summary="回避（须写理由；回避后不再看到该申报，已提交的评分表不能回避）",
)
def sheet_recuse(request, application_id: int, payload: RecuseIn):
    request.actor.require(*EXPERT_ROLES)
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    recused = scoring_services.sheet_recuse(
        actor=request.actor, assignment=sheet.assignment, reason=payload.reason
    )
    return {
        "id": recused.pk,
        "assignment_id": recused.assignment_id,
        "application_id": recused.application_id,
        "status": recused.status,
        "recusal_reason": recused.recusal_reason,
    }


# --- staff and the observer ----------------------------------------------------------------------------


def round_sheet_out(row) -> dict:
    status = row.sheet_status or scoring_selectors.NOT_STARTED
    return {
        "assignment_id": row.pk,
        "expert": _expert_ref(row.expert),
        "application": app_ref(row.application),
        "sheet_id": row.sheet_id,
        "status": status,
        "status_display": _status_display(status),
        # SQLite gives a Case's decimal unrounded (87.8900000000000)
        "total": row.sheet_total.quantize(scoring_selectors.CENT) if row.sheet_total is not None else None,
        "submitted_at": local(row.sheet_submitted_at),
    }


@router.get(
    "/review-rounds/{round_id}/sheets",
    response=list[RoundSheetOut],
    summary="评分进度：每位评审专家每项申报的评分表状态（只给出已提交评分表的总分）",
)
@paginate(PagePagination)
def round_sheets(request, round_id: int, status: str = "", application: int | None = None):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    qs = scoring_selectors.sheets_of_round(request.actor, review_round)
    if status == scoring_selectors.NOT_STARTED:
        qs = qs.filter(sheet__isnull=True)
    elif status:
        qs = qs.filter(sheet__status=status)
    if application:
        qs = qs.filter(application_id=application)
    return Mapped(qs, round_sheet_out)


@router.get(
    "/score-sheets/{sheet_id}",
    response=SheetDetailOut,
    summary="一份评分表（省级管理员、纪检监察：本省已提交的；评审专家：本人的）",
)
def sheet_detail(request, sheet_id: int):
    request.actor.require(*SHEET_READ_ROLES)
    sheet = scoring_selectors.sheet_get_for(actor=request.actor, pk=sheet_id)
    return {
        **sheet_out(sheet),
        "expert": _expert_ref(sheet.expert),
        "recusal_reason": sheet.recusal_reason,
    }
