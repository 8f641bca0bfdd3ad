"""API of the construction task book (建设任务书) and its change requests (变更申请): thin endpoints.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import InSchema, PagePagination
from chanjiao.core.errors import ValidationFailed
from chanjiao.core.models import Attachment

from . import taskbook_selectors as tb_selectors
from . import taskbook_services as tb_services
from .api import Mapped
from .models import ChangeRequest, TaskBook
from .permissions import READ_ROLES
from .selectors import project_get_for

router = Router(tags=["立项项目"])

CONFIRM_ROLES, SUBMIT_ROLES, DECIDE_ROLES = (
    tb_services.CONFIRM_ROLES,
    tb_services.SUBMIT_ROLES,
    tb_services.DECIDE_ROLES,
)


def _local(value):
    return timezone.localtime(value) if value is not None else None


def _who(user) -> str:
    return "" if user is None else (user.display_name or user.username)


class TaskBookOut(Schema):
    id: int
    project_id: int
    version: int
    status: str
    status_display: str
    content: dict[str, Any]
    planned_total: str
    planned_enterprise: str
    change_request_id: int | None
    agreement_id: int | None
    agreement_name: str
    school_confirmed_by: str
    school_confirmed_at: dt.datetime | None
    province_confirmed_by: str
    province_confirmed_at: dt.datetime | None
    created_at: dt.datetime


class ChangeRequestOut(Schema):
    id: int
    project_id: int
    kind: str
    kind_display: str
    reason: str
    proposed: dict[str, Any]
    base_version: int
    status: str
    status_display: str
    created_by: str
    created_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_reason: str
    task_book_version: int | None


class DiffLineOut(Schema):
    section: str
    kind: str
    subject: str
    text: str


class ConfirmIn(InSchema):
    agreement_id: int | None = Field(
        None,
        description="共建协议附件的编号（先上传到 /attachments）；学校确认时，申报计划要求共建协议的必填",
    )


class ChangeRequestIn(InSchema):
    kind: str = Field(
        ...,
        description="变更类型：scope（建设内容）、budget（建设预算）、partner（合作企业）、leader（项目负责人）",
    )
    reason: str = Field(..., description="变更理由")
    proposed: dict[str, Any] = Field(
        ...,
        description="变更后的整节内容：scope 为 tasks 与/或 kpis，budget 为 budget（预算行列表），"
        "partner 为 partners，leader 为 leader（文本）",
    )


class DecideIn(InSchema):
    approve: bool = Field(..., description="true 批准（生成任务书新版本），false 不予批准（须写明理由）")
    reason: str = Field("", description="审核意见；不予批准时必填")


class DiffQuery(Schema):
    a: int = Field(..., description="较早的版本号")
    b: int = Field(..., description="较新的版本号")


def task_book_out(book: TaskBook) -> dict:
    total, enterprise = tb_services.budget_totals(book.content)
    return {
        "id": book.pk,
        "project_id": book.project_id,
        "version": book.version,
        "status": book.status,
        "status_display": book.get_status_display(),
        "content": book.content,
        "planned_total": str(total),
        "planned_enterprise": str(enterprise),
        "change_request_id": book.change_request_id,
        "agreement_id": book.agreement_id,
        "agreement_name": book.agreement.original_name if book.agreement_id else "",
        "school_confirmed_by": _who(book.school_confirmed_by),
        "school_confirmed_at": _local(book.school_confirmed_at),
        "province_confirmed_by": _who(book.province_confirmed_by),
        "province_confirmed_at": _local(book.province_confirmed_at),
        "created_at": _local(book.created_at),
    }


def change_request_out(cr: ChangeRequest) -> dict:
    book = TaskBook.objects.filter(change_request=cr).values_list("version", flat=True).first()
    return {
        "id": cr.pk,
        "project_id": cr.project_id,
        "kind": cr.kind,
        "kind_display": cr.get_kind_display(),
        "reason": cr.reason,
        "proposed": cr.proposed,
        "base_version": cr.base_version,
        "status": cr.status,
        "status_display": cr.get_status_display(),
        "created_by": _who(cr.created_by),
        "created_at": _local(cr.created_at),
        "decided_by": _who(cr.decided_by),
        "decided_at": _local(cr.decided_at),
        "decision_reason": cr.decision_reason,
        "task_book_version": book,
    }


@router.get(
    "/projects/{project_id}/task-books",
    response=list[TaskBookOut],
    summary="项目的建设任务书（各版本，新版本在前）",
)
@paginate(PagePagination)
def task_book_list(request, project_id: int):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    return Mapped(tb_selectors.task_books_of(request.actor, project), task_book_out)


@router.get(
    "/projects/{project_id}/task-books/diff",
    response=list[DiffLineOut],
    summary="两个版本任务书的差异（任务增删改、预算行新旧金额、绩效指标目标、负责人、合作单位）",
)
def task_book_diff(request, project_id: int, query: Query[DiffQuery]):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    a = tb_selectors.task_book_version_for(actor=request.actor, project=project, version=query.a)
    b = tb_selectors.task_book_version_for(actor=request.actor, project=project, version=query.b)
    return tb_selectors.task_book_diff(a, b)


@router.get(
    "/projects/{project_id}/task-books/{version}",
    response=TaskBookOut,
    summary="项目建设任务书的某一版本",
)
def task_book_detail(request, project_id: int, version: int):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    return task_book_out(
        tb_selectors.task_book_version_for(actor=request.actor, project=project, version=version)
    )


@router.post(
    "/task-books/{task_book_id}/confirm",
    response=TaskBookOut,
    summary="确认建设任务书（建设单位管理员先确认并附共建协议，省级管理员后确认）",
)
def task_book_confirm(request, task_book_id: int, payload: ConfirmIn):
    request.actor.require(*CONFIRM_ROLES)
    book = tb_selectors.task_book_get_for(actor=request.actor, pk=task_book_id)
    agreement = None
    if payload.agreement_id is not None:
        agreement = Attachment.objects.filter(pk=payload.agreement_id).first()
        if agreement is None:
            raise ValidationFailed.single(
                "agreement_id",
                "task_book.agreement_unknown",
                _("共建协议附件不存在（当前：%(id)s）") % {"id": payload.agreement_id},
            )
    book = tb_services.task_book_confirm(actor=request.actor, task_book=book, agreement=agreement)
    return task_book_out(tb_selectors.task_book_get_for(actor=request.actor, pk=book.pk))


@router.get(
    "/projects/{project_id}/change-requests",
    response=list[ChangeRequestOut],
    summary="项目的变更申请（新提出的在前）",
)
@paginate(PagePagination)
def change_request_list(request, project_id: int):
    request.actor.require(*READ_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    return Mapped(tb_selectors.change_requests_of(request.actor, project), change_request_out)


@router.post(
    "/projects/{project_id}/change-requests",
    response={201: ChangeRequestOut},
    summary="提出变更申请（建设单位管理员；须写明理由；按申报计划的规则检查；同时只能有一项待审核）",
)
def change_request_submit(request, project_id: int, payload: ChangeRequestIn):
    request.actor.require(*SUBMIT_ROLES)
    project = project_get_for(actor=request.actor, pk=project_id)
    cr = tb_services.change_request_submit(
        actor=request.actor,
        project=project,
        kind=payload.kind,
        reason=payload.reason,
        proposed=payload.proposed,
    )
    return Status(201, change_request_out(tb_selectors.change_request_get_for(actor=request.actor, pk=cr.pk)))


@router.post(
    "/change-requests/{change_request_id}/decide",
    response=ChangeRequestOut,
    summary="审核变更申请（省级管理员；批准即生成并确认任务书新版本；不予批准须写明理由）",
)
def change_request_decide(request, change_request_id: int, payload: DecideIn):
    request.actor.require(*DECIDE_ROLES)
    cr = tb_selectors.change_request_get_for(actor=request.actor, pk=change_request_id)
    tb_services.change_request_decide(
        actor=request.actor, change_request=cr, approve=payload.approve, reason=payload.reason
    )
    return change_request_out(tb_selectors.change_request_get_for(actor=request.actor, pk=cr.pk))


@router.post(
    "/change-requests/{change_request_id}/withdraw",
    response=ChangeRequestOut,
    summary="撤回待审核的变更申请（建设单位管理员）",
)
def change_request_withdraw(request, change_request_id: int):
    request.actor.require(*SUBMIT_ROLES)
    cr = tb_selectors.change_request_get_for(actor=request.actor, pk=change_request_id)
    tb_services.change_request_withdraw(actor=request.actor, change_request=cr)
    return change_request_out(tb_selectors.change_request_get_for(actor=request.actor, pk=cr.pk))
