"""API of the review's publicity stage (mounted by chanjiao/api.py): the public reads and objects
without logging in; province staff publish, record and answer; the observer reads.

No `from __future__ import annotations` here, as in api.py.
"""

from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination

from . import publicity_selectors as selectors
from . import publicity_services as services
from .api import Mapped, _person, app_ref, local
from .models import Objection, Publicity
from .permissions import READ_ROLES, STAFF_ROLES
from .publicity_schemas import (
    AnswerIn,
    ObjectionIn,
    ObjectionOut,
    ObjectionReceiptOut,
    ObjectionRecordIn,
    PublicityDetailOut,
    PublicityOut,
    PublishIn,
)
from .selectors import round_get_for

router = Router(tags=["专家评审"])


def _phase_display(phase: str) -> str:
    return {
        selectors.UPCOMING: _("即将开始"),
        selectors.OPEN: _("公示中"),
        selectors.ENDED: _("已结束"),
    }[phase]


def publicity_out(p: Publicity, listed: int | None = None) -> dict:
    phase = selectors.phase(p)
    return {
        "id": p.pk,
        "title": p.title,
        "call": {"id": p.round.call_id, "name": p.round.call.title},
        "project_type": {"id": p.round.project_type_id, "name": p.round.project_type.name},
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "working_days": p.working_days,
        "phase": phase,
        "phase_display": _phase_display(phase),
        "listed": p.listed if listed is None else listed,
        "published_at": local(p.published_at),
    }


def publicity_detail_out(p: Publicity) -> dict:
    entries = selectors.publicity_entries(p)
    period = selectors.publicity_period(p.starts_on, p.ends_on, p.working_days)
    return {
        **publicity_out(p, listed=len(entries)),
        "body": p.body,
        "contact": p.contact,
        "entries": [
            {
                "application_id": e.application_id,
                "rank": e.rank,
                "applicant": e.application.applicant.name,
                "city": e.city_name,
                "title": e.application.title,
                "project_type": e.application.project_type.name,
            }
            for e in entries
        ],
        "days_skipped": [{"date": d.date, "name": d.name} for d in period.skipped],
        "days_worked": [{"date": d.date, "name": d.name} for d in period.worked],
        "objections_accepted": selectors.phase(p) == selectors.OPEN,
    }


def objection_out(o: Objection) -> dict:
    return {
        "id": o.pk,
        "publicity_id": o.publicity_id,
        "application": app_ref(o.application) if o.application_id else None,
        "name": o.name,
        "organization_name": o.organization_name,
        "phone": o.phone,
        "email": o.email,
        "content": o.content,
        "channel": o.channel,
        "channel_display": o.get_channel_display(),
        "received_at": local(o.received_at),
        "recorded_by": _person(o.recorded_by) if o.recorded_by_id else None,
        "answered": o.is_answered,
        "answer": o.answer,
        "outcome": o.outcome,
        "outcome_display": o.get_outcome_display() if o.outcome else "",
        "answered_by": _person(o.answered_by) if o.answered_by_id else None,
        "answered_at": local(o.answered_at),
    }


def _objection(pk: int) -> Objection:
    return Objection.objects.select_related(
        "application", "application__applicant", "recorded_by", "answered_by"
    ).get(pk=pk)


# --- public: no login ------------------------------------------------------------------------------


@router.get(
    "/publicities",
    response=list[PublicityOut],
    auth=None,
    summary="公示（公开；公示中的在前，其次即将开始的，再次已结束的）",
)
@paginate(PagePagination)
def publicity_list(request):
    return Mapped(selectors.publicities_public(), publicity_out)


@router.get(
    "/publicities/{publicity_id}",
    response=PublicityDetailOut,
    auth=None,
    summary="一次公示及其名单（公开；名次、申报单位、所在市、项目名称和类型，不含分数和专家）",
)
def publicity_detail(request, publicity_id: int):
    return publicity_detail_out(selectors.publicity_public_get(publicity_id))


@router.post(
    "/publicities/{publicity_id}/objections",
    response={201: ObjectionReceiptOut},
    auth=None,
    summary="提出异议（公开；实名：姓名和联系电话必填；只在公示期内受理）",
)
def objection_submit(request, publicity_id: int, payload: ObjectionIn):
    publicity = selectors.publicity_public_get(publicity_id)
    row = services.objection_submit(data=payload.dict(), publicity=publicity)
    return Status(
        201,
        {
            "id": row.pk,
            "publicity_id": row.publicity_id,
            "application_id": row.application_id,
            "received_at": local(row.received_at),
        },
    )


# --- province staff and the observer ---------------------------------------------------------------


@router.post(
    "/review-rounds/{round_id}/publicity",
    response={201: PublicityDetailOut},
    summary="发布公示（本省省级管理员；推荐名单确定后；名单中的申报转为公示中并通知申报单位）",
)
def publicity_publish(request, round_id: int, payload: PublishIn):
    request.actor.require(*STAFF_ROLES)
    review_round = round_get_for(actor=request.actor, pk=round_id)
    publicity = services.publicity_publish(actor=request.actor, review_round=review_round, **payload.dict())
    return Status(201, publicity_detail_out(selectors.publicity_public_get(publicity.pk)))


@router.get(
    "/publicities/{publicity_id}/objections",
    response=list[ObjectionOut],
    summary="一次公示收到的异议及答复（本省省级管理员、纪检监察；answered=false 只看待答复的）",
)
@paginate(PagePagination)
def objection_list(request, publicity_id: int, answered: bool | None = None):
    request.actor.require(*READ_ROLES)
    publicity = selectors.publicity_get_for(actor=request.actor, pk=publicity_id)
    qs = selectors.objections_for(request.actor, publicity)
    if answered is not None:
        qs = qs.filter(answered_at__isnull=not answered)
    return Mapped(qs, objection_out)


@router.post(
    "/publicities/{publicity_id}/objections/record",
    response={201: ObjectionOut},
    summary="登记书面、电话或来访异议（本省省级管理员；须为公示期内收到的，期满后仍可补登记）",
)
def objection_record(request, publicity_id: int, payload: ObjectionRecordIn):
    request.actor.require(*STAFF_ROLES)
    publicity = selectors.publicity_get_for(actor=request.actor, pk=publicity_id)
    row = services.objection_record(actor=request.actor, publicity=publicity, data=payload.dict())
    return Status(201, objection_out(_objection(row.pk)))


@router.post(
    "/objections/{objection_id}/answer",
    response=ObjectionOut,
    summary="答复异议（本省省级管理员；处理意见和结论均必填，只能答复一次）",
)
def objection_answer(request, objection_id: int, payload: AnswerIn):
    request.actor.require(*STAFF_ROLES)
    objection = selectors.objection_get_for(actor=request.actor, pk=objection_id)
    services.objection_answer(
        actor=request.actor, objection=objection, answer=payload.answer, outcome=payload.outcome
    )
    return objection_out(_objection(objection.pk))
