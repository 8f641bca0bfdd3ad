"""API of the project's periodic reports (定期上报) and plan alerts (预警): thin endpoints over
reports_selectors and reports_services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.applications.snapshots import money
from chanjiao.core.api_support import InSchema, PagePagination
from chanjiao.core.errors import ValidationFailed
from chanjiao.core.models import Attachment
from chanjiao.core.permissions import Role

from . import reports_selectors, reports_services
from .api import Mapped, local
from .permissions import READ_ROLES
from .reports_services import REVIEW_ROLES, WRITE_ROLES
from .selectors import project_get_for

router = Router(tags=["立项项目"])

Amount = str | int | float  # parsed by the service, which names a bad amount
# Who reads the overdue list: the province's staff and its observer.
OVERDUE_ROLES = (*REVIEW_ROLES, Role.OBSERVER)


class FundingIn(InSchema):
    source: str
    kind: str
    received: Amount = 0
    spent: Amount = 0


class EquipmentIn(InSchema):
    action: str = "add"
    asset_number: str
    name: str
    model: str = ""
    value: Amount = 0
    source: str = "purchase"
    changed_on: str
    workstations: Amount = 0


class UsageIn(InSchema):
    purpose: str
    group: str = ""
    hours: Amount = 0
    people: Amount = 0


class ReportIn(InSchema):
    row_version: int | None = Field(None, description="修改已有报告时必填（读取时的修改版本）；新建时不填")
    funding: list[FundingIn] = []
    equipment: list[EquipmentIn] = []
    usage: list[UsageIn] = []
    kpi_values: dict[str, Amount] = {}
    tech_service_income: dict[str, Amount] = {}
    narrative: str = ""
    evidence: list[int] = Field([], description="佐证材料（已上传附件的ID，须为建设单位的附件）")


class ReasonsIn(InSchema):
    reasons: list[str]


class EmptyIn(InSchema):
    pass


class PeriodOut(Schema):
    period: int
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    report_id: int | None
    status: str
    status_display: str


class ReportOut(Schema):
    id: int
    project_id: int
    period: int
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    status: str
    status_display: str
    narrative: str
    kpi_values: dict
    tech_service_income: dict
    funding: list[dict]
    equipment: list[dict]
    usage: list[dict]
    evidence: list[dict]
    return_reasons: list[str]
    row_version: int
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None


class AlertOut(Schema):
    id: int
    project: dict
    rule: str
    rule_display: str
    subject: str
    figure: str
    threshold: str
    message: str
    source_section: str
    is_open: bool
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class OverdueOut(Schema):
    project: dict
    school: str
    period: int
    due_on: dt.date
    days_overdue: int
    status: str


def report_out(r) -> dict:
    lines = reports_selectors.report_lines(r)
    return {
        "id": r.pk,
        "project_id": r.project_id,
        "period": r.period,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "due_on": r.due_on,
        "status": r.status,
        "status_display": r.get_status_display(),
        "narrative": r.narrative,
        "kpi_values": r.kpi_values or {},
        "tech_service_income": r.tech_service_income or {},
        "funding": [
            {"source": x.source, "kind": x.kind, "received": money(x.received), "spent": money(x.spent)}
            for x in lines["funding"]
        ],
        "equipment": [
            {
                "action": x.action,
                "asset_number": x.asset_number,
                "name": x.name,
                "model": x.model,
                "value": money(x.value),
                "source": x.source,
                "changed_on": x.changed_on.isoformat(),
                "workstations": x.workstations,
            }
            for x in lines["equipment"]
        ],
        "usage": [
            {"purpose": x.purpose, "group": x.group, "hours": str(x.hours), "people": x.people}
            for x in lines["usage"]
        ],
        "evidence": [{"id": a.pk, "name": a.original_name} for a in lines["evidence"]],
        "return_reasons": list(r.return_reasons or []),
        "row_version": r.row_version,
        "submitted_at": local(r.submitted_at),
        "reviewed_at": local(r.reviewed_at),
    }


def alert_out(a) -> dict:
    return {
        "id": a.pk,
        "project": {"id": a.project_id, "code": a.project.code, "title": a.project.title},
        "rule": a.rule,
        "rule_display": a.get_rule_display(),
        "subject": a.subject,
        "figure": a.figure,
        "threshold": a.threshold,
        "message": a.message,
        "source_section": a.source_section,
        "is_open": a.is_open,
        "opened_at": local(a.opened_at),
        "closed_at": local(a.closed_at),
    }


@router.get(
    "/projects/{project_id}/reports",
    response=list[PeriodOut],
    summary="项目的报告期（按政策包的报送频次）及各期定期报告的状态",
)
@paginate(PagePagination)
def report_periods(request, project_id: int):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    reports = reports_selectors.project_reports(project)
    out = []
    for p in reports_selectors.report_periods(project):
        r = reports.get(p.number)
        out.append(
            {
                "period": p.number,
                "period_start": p.start,
                "period_end": p.end,
                "due_on": p.due_on,
                "report_id": r.pk if r else None,
                "status": r.status if r else "",
                "status_display": r.get_status_display() if r else "",
            }
        )
    return out


def _evidence(request, project, ids: list[int]) -> list[Attachment]:
    found = list(Attachment.objects.filter(pk__in=ids, owner_organization_id=project.organization_id))
    missing = sorted(set(ids) - {a.pk for a in found})
    if missing:
        raise ValidationFailed.single(
            "evidence",
            "report.evidence_unknown",
            _("佐证材料须为建设单位已上传的附件（找不到：%(ids)s）") % {"ids": "、".join(map(str, missing))},
        )
    return found


@router.put(
    "/projects/{project_id}/reports/{period}",
    response={200: ReportOut, 201: ReportOut},
    summary="填报或保存某一报告期的定期报告草稿（新建不填row_version；修改须带读取时的row_version）",
)
def report_save(request, project_id: int, period: int, payload: ReportIn):
    request.actor.require(*WRITE_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    data = payload.dict()
    evidence = _evidence(request, project, data.pop("evidence")) if data.get("evidence") else []
    row_version = data.pop("row_version")
    report = reports_services.report_save(
        actor=request.actor,
        project=project,
        period=period,
        data=data,
        row_version=row_version,
        evidence=evidence,
    )
    out = report_out(reports_selectors.report_get_for(actor=request.actor, pk=report.pk))
    return Status(201, out) if row_version is None else out


@router.post("/reports/{report_id}/submit", response=ReportOut, summary="提交定期报告（建设单位）")
def report_submit(request, report_id: int, payload: EmptyIn = None):
    request.actor.require(*WRITE_ROLES)
    report = reports_selectors.report_get_for(actor=request.actor, pk=report_id)
    report = reports_services.report_submit(actor=request.actor, report=report)
    return report_out(reports_selectors.report_get_for(actor=request.actor, pk=report.pk))


@router.post(
    "/reports/{report_id}/return", response=ReportOut, summary="退回定期报告（省级管理员，须写明理由）"
)
def report_return(request, report_id: int, payload: ReasonsIn):
    request.actor.require(*REVIEW_ROLES)
    report = reports_selectors.report_get_for(actor=request.actor, pk=report_id)
    report = reports_services.report_return(actor=request.actor, report=report, reasons=payload.reasons)
    return report_out(reports_selectors.report_get_for(actor=request.actor, pk=report.pk))


@router.post("/reports/{report_id}/accept", response=ReportOut, summary="通过定期报告（省级管理员）")
def report_accept(request, report_id: int, payload: EmptyIn = None):
    request.actor.require(*REVIEW_ROLES)
    report = reports_selectors.report_get_for(actor=request.actor, pk=report_id)
    report = reports_services.report_accept(actor=request.actor, report=report)
    return report_out(reports_selectors.report_get_for(actor=request.actor, pk=report.pk))


class AlertFilters(Schema):
    rule: str = ""
    is_open: bool | None = True


@router.get("/plan-alerts", response=list[AlertOut], summary="计划预警（当前值、要求与依据；按规则筛选）")
@paginate(PagePagination)
def plan_alerts(request, filters: Query[AlertFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(reports_selectors.alerts_for(request.actor, **filters.dict()), alert_out)


@router.get("/reports/overdue", response=list[OverdueOut], summary="逾期未报送的定期报告（含建设单位）")
@paginate(PagePagination)
def reports_overdue(request):
    request.actor.require(*OVERDUE_ROLES)
    rows = reports_selectors.overdue_for(request.actor, today=timezone.localdate())
    return [
        {
            "project": {"id": x["project"].pk, "code": x["project"].code, "title": x["project"].title},
            "school": x["project"].organization.name,
            "period": x["period"].number,
            "due_on": x["period"].due_on,
            "days_overdue": x["days"],
            "status": x["report"].status if x["report"] else "",
        }
        for x in rows
    ]
