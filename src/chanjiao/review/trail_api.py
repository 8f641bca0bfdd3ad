"""The round's whole-process record over the API (mounted by chanjiao/api.py): province staff and
the observer read it, paged, or as an Excel file.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.exports import workbook_bytes, xlsx_response

from . import trail_selectors
from .permissions import READ_ROLES
from .selectors import round_get_for

router = Router(tags=["专家评审"])

XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "Excel 全过程记录",
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        }
    }
}


class TrailFilters(Schema):
    kind: list[str] = Field(
        default_factory=list,
        description="步骤类型，可重复："
        + "、".join(f"{code}（{label}）" for code, label in trail_selectors.KINDS),
    )
    since: dt.date | None = Field(None, description="开始日期（含），北京时间")
    until: dt.date | None = Field(None, description="结束日期（含），北京时间")


class ChangeRowOut(Schema):
    field: str
    name: str
    before: str
    after: str


class TrailEntryOut(Schema):
    id: int
    created_at: dt.datetime
    kind: str
    kind_display: str
    action: str
    action_display: str
    actor: str
    actor_id: int | None
    organization: str
    organization_id: int | None
    object_type: str
    object_type_display: str
    object_id: str
    object_repr: str
    reason: str
    changes: dict[str, Any]
    change_rows: list[ChangeRowOut]
    ip_address: str | None


def entry_out(item: trail_selectors.TrailItem) -> dict:
    e = item.entry
    return {
        "id": e.pk,
        "created_at": timezone.localtime(e.created_at),
        "kind": item.kind,
        "kind_display": item.kind_label,
        "action": e.action,
        "action_display": item.action_label,
        "actor": e.actor_name,
        "actor_id": e.actor_id,
        "organization": e.organization_name,
        "organization_id": e.organization_id,
        "object_type": e.object_type,
        "object_type_display": item.object_type_label,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "reason": item.reason,
        "changes": item.changes,
        "change_rows": [
            {"field": r["field"], "name": r["name"], "before": r["before"], "after": r["after"]}
            for r in item.rows
        ],
        "ip_address": e.ip_address,
    }


class Described:
    """The record's entries, sliced by the database and named a page at a time (a constant number
    of queries per page)."""

    def __init__(self, queryset):
        self.queryset = queryset

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return [entry_out(item) for item in trail_selectors.describe(self.queryset[index])]


@router.get(
    "/review-rounds/{round_id}/trail",
    response=list[TrailEntryOut],
    summary="评审轮次全过程记录（谁、代表哪个单位、何时、对什么、改了什么；按时间先后；纪检监察可读）",
)
@paginate(PagePagination)
def round_trail(request, round_id: int, filters: Query[TrailFilters]):
    request.actor.require(*READ_ROLES)
    qs = trail_selectors.round_trail(
        request.actor, round_id, kinds=filters.kind, since=filters.since, until=filters.until
    )
    return Described(qs)


@router.get(
    "/review-rounds/{round_id}/trail.xlsx",
    summary="评审轮次全过程记录（Excel；筛选条件同上）",
    openapi_extra=XLSX_RESPONSE,
)
def round_trail_xlsx(request, round_id: int, filters: Query[TrailFilters]) -> HttpResponse:
    request.actor.require(*READ_ROLES)
    review_round = round_get_for(actor=request.actor, pk=round_id)
    qs = trail_selectors.round_trail(
        request.actor, review_round, kinds=filters.kind, since=filters.since, until=filters.until
    )
    content = workbook_bytes(_("全过程记录"), trail_selectors.trail_headers(), trail_selectors.trail_rows(qs))
    return xlsx_response(trail_selectors.trail_filename(review_round), content)
