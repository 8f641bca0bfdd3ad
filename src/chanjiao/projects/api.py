"""API of awarded projects and the province's award decisions: thin endpoints over selectors and services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.applications.selectors import application_get_for
from chanjiao.applications.snapshots import money
from chanjiao.core.api_support import PagePagination

from . import selectors, services
from .models import AwardDecision, Project
from .permissions import DECIDE_ROLES, READ_ROLES
from .schemas import AwardIn, DecisionOut, ProjectDetailOut, ProjectOut, RejectIn

router = Router(tags=["立项项目"])


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


def _org(org) -> dict:
    return {"id": org.pk, "name": org.name, "kind": org.kind, "region_code": org.region_id or ""}


def project_out(p: Project) -> dict:
    return {
        "id": p.pk,
        "code": p.code,
        "title": p.title,
        "call": {"id": p.call_id, "name": p.call.title},
        "project_type": {"id": p.project_type_id, "name": p.project_type.name},
        "project_type_code": p.project_type.code,
        "organization": _org(p.organization),
        "city_code": p.city_code,
        "province_code": p.province_code,
        "approved_budget": money(p.approved_budget),
        "planned_total": money(p.planned_total),
        "planned_enterprise": money(p.planned_enterprise),
        "start_batch": p.start_batch,
        "starts_on": p.starts_on,
        "construction_years": p.construction_years,
        "ends_on": p.ends_on,
        "status": p.status,
        "status_display": p.get_status_display(),
        "application_id": p.application_id,
        "decision_id": p.decision_id,
        "document_number": p.decision.document_number,
        "created_at": local(p.created_at),
    }


def project_detail_out(p: Project) -> dict:
    return {
        **project_out(p),
        "partners": [
            {
                "organization": _org(x.organization),
                "role": x.role,
                "role_display": x.get_role_display(),
                "contribution_amount": None
                if x.contribution_amount is None
                else money(x.contribution_amount),
            }
            for x in selectors.partners_of(p)
        ],
    }


def decision_out(d: AwardDecision) -> dict:
    app = d.application
    project = getattr(d, "project", None) if d.outcome == AwardDecision.Outcome.AWARDED else None
    return {
        "id": d.pk,
        "application": {
            "id": app.pk,
            "title": app.title,
            "applicant": app.applicant.name,
            "status": app.status,
        },
        "call": {"id": app.call_id, "name": app.call.title},
        "project_type": {"id": app.project_type_id, "name": app.project_type.name},
        "outcome": d.outcome,
        "outcome_display": d.get_outcome_display(),
        "approved_budget": None if d.approved_budget is None else money(d.approved_budget),
        "start_batch": d.start_batch,
        "reasons": list(d.reasons or []),
        "document_number": d.document_number,
        "decided_by": (d.decided_by.display_name or d.decided_by.username),
        "decided_at": local(d.decided_at),
        "project": {"id": project.pk, "code": project.code} if project is not None else None,
    }


# --- projects --------------------------------------------------------------------------------------


class ProjectFilters(Schema):
    project_type: str = ""
    city: str = ""
    status: str = ""
    start_batch: int | None = None
    q: str = ""
    call: int | None = None


@router.get(
    "/projects",
    response=list[ProjectOut],
    summary="立项项目（按项目类型代码、所在市、状态、启动批次、申报通知筛选；可搜索名称、编号、建设单位）",
)
@paginate(PagePagination)
def project_list(request, filters: Query[ProjectFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(selectors.project_search(actor=request.actor, **filters.dict()), project_out)


@router.get("/projects/{project_id}", response=ProjectDetailOut, summary="立项项目详情（含共建单位）")
def project_detail(request, project_id: int):
    request.actor.require(*READ_ROLES)
    return project_detail_out(selectors.project_get_for(actor=request.actor, pk=project_id))


# --- decisions -------------------------------------------------------------------------------------


class DecisionFilters(Schema):
    round: int | None = None
    call: int | None = None
    outcome: str = ""


@router.get(
    "/award-decisions",
    response=list[DecisionOut],
    summary="立项决定（立项或不予立项；按评审轮次、申报通知、决定筛选）",
)
@paginate(PagePagination)
def decision_list(request, filters: Query[DecisionFilters]):
    request.actor.require(*READ_ROLES)
    return Mapped(selectors.decision_search(actor=request.actor, **filters.dict()), decision_out)


def _decided(request, decision: AwardDecision) -> dict:
    return decision_out(selectors.decision_get_for(actor=request.actor, pk=decision.pk))


@router.post(
    "/applications/{application_id}/award",
    response={201: DecisionOut},
    summary="立项（公示期满且异议均已答复后；批准的省级财政支持不超过申请数；生成立项项目）",
)
def award(request, application_id: int, payload: AwardIn):
    request.actor.require(*DECIDE_ROLES)
    application = application_get_for(actor=request.actor, pk=application_id)
    decision = services.decision_award(
        actor=request.actor,
        application=application,
        approved_budget=payload.approved_budget,
        start_batch=payload.start_batch,
        document_number=payload.document_number,
    )
    return Status(201, _decided(request, decision))


@router.post(
    "/applications/{application_id}/reject",
    response={201: DecisionOut},
    summary="不予立项（须写明理由；公示期满且异议均已答复后）",
)
def reject(request, application_id: int, payload: RejectIn):
    request.actor.require(*DECIDE_ROLES)
    application = application_get_for(actor=request.actor, pk=application_id)
    decision = services.decision_reject(actor=request.actor, application=application, reasons=payload.reasons)
    return Status(201, _decided(request, decision))
