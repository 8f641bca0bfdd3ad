"""API of the review's panel stage (mounted by chanjiao/api.py): the ranking, opening the panel, the
panel's overrides, the recommendation, the score workbook, and a panel expert's view.

No `from __future__ import annotations` here: ninja must see the types.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import InSchema, PagePagination
from chanjiao.core.errors import ConflictError
from chanjiao.core.exports import xlsx_response

from . import panel_selectors as panel
from . import panel_services, selectors
from .api import Mapped, app_ref, round_out
from .models import RankingOverride, ReviewRound, ScoreSheet
from .permissions import EXPERT_ROLES, READ_ROLES, STAFF_ROLES
from .schemas import ApplicationRef, Ref, ReviewRoundOut

router = Router(tags=["专家评审"])

XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "评分明细、汇总与排名（Excel，三个工作表）",
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        }
    }
}


# --- schemas -----------------------------------------------------------------------------------


class ProgressOut(Schema):
    application: ApplicationRef
    assigned: int
    submitted: int
    recused: int
    pending: int


class RankingRowOut(Schema):
    application: ApplicationRef
    rank: int | None = Field(description="名次；一票否决的为 null（列在最后，不推荐）")
    score: Decimal = Field(description="按本轮排序方法的得分")
    mean: Decimal
    trimmed_mean: Decimal
    trimmed: bool = Field(description="是否去掉了最高分和最低分（不少于5份评分表时）")
    zscore: Decimal
    sheets: int
    lowest: Decimal
    highest: Decimal
    spread: Decimal
    disagreement: bool
    vetoed: bool
    veto_codes: list[str]
    tied: bool
    tie_at_cut: bool = Field(description="并列且跨越推荐名额线：须专家组调整后才能确定推荐名单")
    recommended: bool
    overridden: bool
    override_reason: str | None
    other_ranks: dict[str, int | None] = Field(description="按另外两种排序方法的名次（不含专家组调整）")


class OverrideOut(Schema):
    id: int
    round_id: int
    application: ApplicationRef
    before_rank: int
    to_rank: int
    before_recommended: bool
    after_recommended: bool
    reason: str
    created_by: str
    created_at: dt.datetime


class RankingOut(Schema):
    round: Ref
    status: str
    status_display: str
    scores_open: bool = Field(description="专家组合议开始后为 true；此前只有评分进度，没有分数")
    method: str
    method_display: str
    quota: int | None
    quota_explained: str
    disagreement_threshold: Decimal
    sheets: int
    round_mean: Decimal | None
    round_std: Decimal | None
    open_places: int
    tie_message: str
    items: list[RankingRowOut]
    count: int
    progress: list[ProgressOut]
    overrides: list[OverrideOut]


class OverrideIn(InSchema):
    application_id: int
    to_rank: int = Field(description="调整后的名次（1 至参与排名的申报数）")
    reason: str = Field("", description="理由（必填）")


class EntryOut(Schema):
    application: ApplicationRef
    rank: int | None
    score: Decimal
    recommended: bool
    vetoed: bool
    tied: bool
    overridden: bool


class RecommendationOut(Schema):
    round: ReviewRoundOut
    items: list[EntryOut]
    count: int
    recommended: int


class SheetOut(Schema):
    id: int
    expert: str = Field(description="专家姓名（管理员、纪检监察）或代称“专家A”（专家组成员）")
    own: bool
    status: str
    scores: dict[str, Any]
    vetoes: list[str]
    comments: dict[str, str]
    overall_comment: str
    recommendation: str
    total: Decimal | None
    submitted_at: dt.datetime | None


class ApplicationScoresOut(Schema):
    application: ApplicationRef
    scores_open: bool
    row: RankingRowOut | None
    sheets: list[SheetOut]


class PanelOverrideOut(Schema):
    application: ApplicationRef
    before_rank: int
    to_rank: int
    reason: str
    created_at: dt.datetime


class ExpertPanelOut(Schema):
    round: Ref
    status: str
    me: str = Field(description="本人在本轮的代称")
    method: str
    method_display: str
    quota: int | None
    tie_message: str
    items: list[RankingRowOut]
    count: int
    sheets: list[SheetOut]
    overrides: list[PanelOverrideOut]


# --- building the outputs ----------------------------------------------------------------------


def local(value):
    return timezone.localtime(value) if value is not None else None


def row_out(row: panel.RankRow) -> dict:
    e, a = row.entry, row.aggregate
    return {
        "application": app_ref(row.application),
        "rank": e.rank,
        "score": e.score,
        "mean": a.mean,
        "trimmed_mean": a.trimmed_mean,
        "trimmed": a.trimmed,
        "zscore": a.zscore,
        "sheets": a.sheets,
        "lowest": a.lowest,
        "highest": a.highest,
        "spread": a.spread,
        "disagreement": a.disagreement,
        "vetoed": e.vetoed,
        "veto_codes": sorted(a.veto_codes),
        "tied": e.tied,
        "tie_at_cut": e.tie_at_cut,
        "recommended": e.recommended,
        "overridden": e.overridden,
        "override_reason": row.override.reason if row.override else None,
        "other_ranks": dict(row.other_ranks),
    }


def override_out(o: RankingOverride) -> dict:
    return {
        "id": o.pk,
        "round_id": o.round_id,
        "application": app_ref(o.application),
        "before_rank": o.before_rank,
        "to_rank": o.to_rank,
        "before_recommended": o.before_recommended,
        "after_recommended": o.after_recommended,
        "reason": o.reason,
        "created_by": (o.created_by.display_name or o.created_by.username) if o.created_by_id else "",
        "created_at": local(o.created_at),
    }


def sheet_out(s: ScoreSheet, who: str, own: bool = False) -> dict:
    open_ = s.status == ScoreSheet.Status.SUBMITTED
    return {
        "id": s.pk,
        "expert": who,
        "own": own,
        "status": s.status,
        "scores": dict(s.scores or {}) if open_ else {},
        "vetoes": list(s.vetoes or []) if open_ else [],
        "comments": dict(s.comments or {}) if open_ else {},
        "overall_comment": s.overall_comment if open_ else "",
        "recommendation": s.recommendation if open_ else "",
        "total": s.total if open_ else None,
        "submitted_at": local(s.submitted_at),
    }


def _progress_out(review_round: ReviewRound) -> list[dict]:
    return [
        {
            "application": app_ref(p.application),
            "assigned": p.assigned,
            "submitted": p.submitted,
            "recused": p.recused,
            "pending": p.pending,
        }
        for p in panel.round_progress(review_round)
    ]


def ranking_out(review_round: ReviewRound) -> dict:
    out = {
        "round": {"id": review_round.pk, "name": review_round.name},
        "status": review_round.status,
        "status_display": review_round.get_status_display(),
        "scores_open": panel.scores_open(review_round),
        "method": review_round.ranking_method,
        "method_display": review_round.get_ranking_method_display(),
        "quota": panel.round_quota(review_round),
        "quota_explained": panel.quota_explained(review_round),
        "disagreement_threshold": review_round.disagreement_threshold,
        "sheets": 0,
        "round_mean": None,
        "round_std": None,
        "open_places": 0,
        "tie_message": "",
        "items": [],
        "count": 0,
        "progress": [],
        "overrides": [],
    }
    if not out["scores_open"]:
        out["progress"] = _progress_out(review_round)
        return out
    ranking = panel.round_ranking(review_round)
    items = [row_out(r) for r in ranking.rows]
    out.update(
        {
            "sheets": ranking.aggregate.sheets,
            "round_mean": ranking.aggregate.mean,
            "round_std": ranking.aggregate.std,
            "open_places": ranking.open_places,
            "tie_message": ranking.tie_message(),
            "items": items,
            "count": len(items),
            "overrides": [override_out(o) for o in panel.overrides_of(review_round)],
        }
    )
    return out


# --- staff and the observer ---------------------------------------------------------------------


@router.get(
    "/review-rounds/{round_id}/ranking",
    response=RankingOut,
    summary="评分与排名：专家组合议前为评分进度；此后为按本轮排序方法的排名、推荐、并列和专家组调整",
)
def ranking(request, round_id: int):
    request.actor.require(*READ_ROLES)
    return ranking_out(selectors.round_get_for(actor=request.actor, pk=round_id))


@router.get(
    "/review-rounds/{round_id}/ranking/{application_id}",
    response=ApplicationScoresOut,
    summary="一项申报的全部评分表（专家姓名、各项得分、否决项、评语）和汇总",
)
def application_scores(request, round_id: int, application_id: int):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    application, sheets = panel.application_sheets(review_round, application_id)
    open_ = panel.scores_open(review_round)
    row = None
    if open_:
        ranking = panel.round_ranking(review_round)
        row = next((r for r in ranking.rows if r.entry.application == application.pk), None)
    return {
        "application": app_ref(application),
        "scores_open": open_,
        "row": row_out(row) if row is not None else None,
        "sheets": [sheet_out(s, s.expert.name) if open_ else _closed_sheet(s) for s in sheets],
    }


def _closed_sheet(s: ScoreSheet) -> dict:
    """Before the panel: whose sheet and its status, nothing of its content."""
    out = sheet_out(s, s.expert.name)
    out.update(
        scores={},
        vetoes=[],
        comments={},
        overall_comment="",
        recommendation="",
        total=None,
        submitted_at=None,
    )
    return out


@router.post(
    "/review-rounds/{round_id}/panel",
    response=ReviewRoundOut,
    summary="开始专家组合议（评审专家均已提交或回避，或评审截止时间已过；截止后未提交的记入审计日志）",
)
def panel_open(request, round_id: int):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    panel_services.panel_open(actor=request.actor, review_round=review_round)
    return round_out(selectors.round_get_for(actor=request.actor, pk=round_id))


@router.get(
    "/review-rounds/{round_id}/overrides",
    response=list[OverrideOut],
    summary="专家组调整排名的记录（理由、调整前后的名次和是否推荐）",
)
@paginate(PagePagination)
def override_list(request, round_id: int):
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    return Mapped(panel.overrides_of(review_round), override_out)


@router.post(
    "/review-rounds/{round_id}/overrides",
    response={201: OverrideOut},
    summary="专家组调整一项申报的名次（须写理由；仅在专家组合议阶段）",
)
def override_create(request, round_id: int, payload: OverrideIn):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    row = panel_services.ranking_override(
        actor=request.actor,
        review_round=review_round,
        application_id=payload.application_id,
        to_rank=payload.to_rank,
        reason=payload.reason,
    )
    return Status(201, override_out(panel.overrides_of(review_round).get(pk=row.pk)))


@router.post(
    "/review-rounds/{round_id}/recommendation",
    response=RecommendationOut,
    summary="确定推荐名单（并列跨越名额线或没有推荐名额时拒绝；各申报转为拟推荐或不予推荐并通知申报单位）",
)
def recommendation(request, round_id: int):
    request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    panel_services.recommendation_confirm(actor=request.actor, review_round=review_round)
    entries = list(review_round.results.select_related("application", "application__applicant"))
    return {
        "round": round_out(selectors.round_get_for(actor=request.actor, pk=round_id)),
        "items": [
            {
                "application": app_ref(e.application),
                "rank": e.rank,
                "score": e.score,
                "recommended": e.recommended,
                "vetoed": e.vetoed,
                "tied": e.tied,
                "overridden": e.overridden,
            }
            for e in sorted(entries, key=lambda e: (e.rank is None, e.rank or 0, e.pk))
        ],
        "count": len(entries),
        "recommended": sum(e.recommended for e in entries),
    }


@router.get(
    "/review-rounds/{round_id}/scores.xlsx",
    summary="导出评分（Excel：评分明细含专家姓名、汇总、排名）；专家组合议开始后",
    openapi_extra=XLSX_RESPONSE,
)
def scores_xlsx(request, round_id: int) -> HttpResponse:
    request.actor.require(*READ_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=round_id)
    if not panel.scores_open(review_round):
        raise ConflictError.single(
            "status",
            "panel.scores_not_open",
            _("专家组合议开始后才能导出评分（当前状态：%(status)s）")
            % {"status": review_round.get_status_display()},
        )
    content = panel.scores_workbook(panel.round_ranking(review_round))
    return xlsx_response(panel.scores_filename(review_round), content)


# --- a panel expert -----------------------------------------------------------------------------


@router.get(
    "/assigned-rounds/{round_id}/panel",
    response=ExpertPanelOut,
    summary="专家组合议（评审专家）：本轮各申报的评分表和排名，专家以“专家A”等代称；合议开始前为 404",
)
def expert_panel(request, round_id: int):
    request.actor.require(*EXPERT_ROLES)
    review_round, me = panel.panel_round_for_expert(actor=request.actor, round_id=round_id)
    ranking = panel.round_ranking(review_round)
    hidden = panel.conflicted_applications(review_round, me)
    letters = panel.expert_letters(review_round, [expert for _pk, _application, expert in ranking.counted])
    items = [row_out(r) for r in ranking.rows if r.entry.application not in hidden]
    return {
        "round": {"id": review_round.pk, "name": review_round.name},
        "status": review_round.status,
        "me": letters.get(me.pk, ""),
        "method": review_round.ranking_method,
        "method_display": review_round.get_ranking_method_display(),
        "quota": ranking.quota,
        # the tie in words names its applications: not to an expert in conflict with one of them
        "tie_message": "" if hidden & {e.application for e in ranking.tie_at_cut} else ranking.tie_message(),
        "items": items,
        "count": len(items),
        "sheets": [
            sheet_out(s, letters.get(s.expert_id, ""), own=s.expert_id == me.pk)
            for s in ranking.sheets
            if s.application_id not in hidden
        ],
        "overrides": [
            {
                "application": app_ref(o.application),
                "before_rank": o.before_rank,
                "to_rank": o.to_rank,
                "reason": o.reason,
                "created_at": local(o.created_at),
            }
            for o in panel.overrides_of(review_round)
            if o.application_id not in hidden
        ],
    }


@router.get(
    "/assigned-rounds/{round_id}/panel/scores.xlsx",
    summary="导出评分（评审专家：专家以“专家A”等代称，不含姓名）；合议开始前为 404",
    openapi_extra=XLSX_RESPONSE,
)
def expert_panel_xlsx(request, round_id: int) -> HttpResponse:
    request.actor.require(*EXPERT_ROLES)
    review_round, me = panel.panel_round_for_expert(actor=request.actor, round_id=round_id)
    ranking = panel.round_ranking(review_round)
    hidden = panel.conflicted_applications(review_round, me)
    letters = panel.expert_letters(review_round, [expert for _pk, _application, expert in ranking.counted])
    content = panel.scores_workbook(ranking, letters=letters, hidden=hidden)
    return xlsx_response(panel.scores_filename(review_round), content)
