"""Applications over the API: thin endpoints over selectors and services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` and `Header` types.
"""

from django.http import HttpResponse
from ninja import File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.exports import xlsx_response
from chanjiao.core.permissions import Actor

from . import outputs, permissions, selectors, services, snapshots, workflow
from .models import Application
from .schemas import (
    ApplicationCreateIn,
    ApplicationOut,
    ApplicationPatchIn,
    ApplicationRowOut,
    AttachmentOut,
    DiffOut,
    EndorseIn,
    PublicApplicationOut,
    PublicationOut,
    ReturnIn,
    SubmitIn,
    VersionedIn,
    VersionOut,
    VersionRowOut,
)

router = Router(tags=["申报"])


class Mapped:
    """A queryset seen through `fn`, sliced before mapping: pagination counts and slices the database."""

    def __init__(self, queryset, fn):
        self.queryset, self.fn = queryset, fn

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return [self.fn(item) for item in self.queryset[index]]


def _org(org) -> dict:
    return {"id": org.pk, "name": org.name, "kind": org.kind, "region_code": org.region_id}


def row_out(app: Application) -> dict:
    return {
        "id": app.pk,
        "call_id": app.call_id,
        "call_title": app.call.title,
        "project_type_id": app.project_type_id,
        "project_type_name": app.project_type.name,
        "applicant": _org(app.applicant),
        "city_code": app.city_code,
        "title": app.title,
        "status": app.status,
        "status_display": app.get_status_display(),
        "row_version": app.row_version,
        "city_rank": app.city_rank,
        "submitted_at": app.submitted_at,
        "created_at": app.created_at,
    }


def _history(app: Application) -> tuple[int, list]:
    """(how many versions, the return notes). A draft never submitted has neither: nothing is read."""
    count = getattr(app, "version_count", None)
    if app.first_submitted_at is None:
        return count or 0, list(app.return_notes.all()) if snapshots.already_read(app, "return_notes") else []
    if count is None:
        count = app.versions.count()
    return count, list(app.return_notes.all())


def detail_out(app: Application, actor: Actor) -> dict:
    """The whole draft. Sections already read or just written are not read again; each list is in
    its model's order (by code point, whatever the database's collation)."""
    snapshots.prefetch_sections(app)
    lines = sorted(app.budget_lines.all(), key=lambda x: (x.year, x.source, x.kind))
    totals = snapshots.Totals((line.year, line.source, line.kind, line.amount) for line in lines)
    version_count, return_notes = _history(app)
    return {
        **row_out(app),
        "summary": app.summary,
        "contact_name": app.contact_name,
        "contact_phone": app.contact_phone,
        "fields": app.fields or {},
        "partners": [
            {
                "organization": _org(p.organization),
                "role": p.role,
                "role_display": p.get_role_display(),
                "contribution": p.contribution,
                "contribution_amount": None
                if p.contribution_amount is None
                else snapshots.money(p.contribution_amount),
            }
            for p in sorted(app.partners.all(), key=lambda p: p.position)
        ],
        "programmes": [p.code for p in sorted(app.programmes.all(), key=lambda p: p.position)],
        "tasks": [
            {"task_code": t.task_code, "plan": t.plan, "yearly_targets": t.yearly_targets or {}}
            for t in sorted(app.tasks.all(), key=lambda t: t.task_code)
        ],
        "budget_lines": [
            {"year": x.year, "source": x.source, "kind": x.kind, "amount": snapshots.money(x.amount)}
            for x in lines
        ],
        "budget": totals.as_json(),
        "kpis": [
            {"kpi_code": k.kpi_code, "year": k.year, "value": snapshots.money(k.value)}
            for k in sorted(app.kpis.all(), key=lambda k: (k.kpi_code, k.year))
        ],
        "attachments": [
            {
                "id": a.pk,
                "spec_code": a.spec_code,
                "attachment_id": a.attachment_id,
                "original_name": a.attachment.original_name,
                "size": a.attachment.size,
                "sha256": a.attachment.sha256,
                "signed_by": sorted(o.pk for o in a.signed_by.all()),
            }
            for a in sorted(app.attachments.all(), key=lambda a: (a.spec_code, a.pk))
        ],
        "endorsed_at": app.endorsed_at,
        "accepted_at": app.accepted_at,
        "version_count": version_count,
        "return_notes": [
            {
                "reasons": n.reasons,
                "from_status": n.from_status,
                "version_number": n.version_number,
                "returned_by_org": n.returned_by_org,
                "created_at": n.created_at,
            }
            for n in return_notes
        ],
        "allowed_actions": [
            a for a in workflow.allowed_actions(app.status) if permissions.can(actor, app, a)
        ],
    }


def version_row(v) -> dict:
    return {
        "number": v.number,
        "submitted_at": v.submitted_at,
        "submitted_by": v.submitted_by.display_name or v.submitted_by.username,
    }


class ApplicationFilters(Schema):
    call: int | None = None
    status: str = ""
    q: str = ""
    city: str = ""


@router.get("/applications", response=list[ApplicationRowOut], summary="申报书列表（按权限范围）")
@paginate(PagePagination)
def application_list(request, filters: Query[ApplicationFilters]):
    request.actor.require(*permissions.READ_ROLES)
    return Mapped(selectors.application_search(actor=request.actor, **filters.dict()), row_out)


@router.post("/applications", response={201: ApplicationOut}, summary="创建申报书草稿（申报单位）")
def application_create(request, payload: ApplicationCreateIn):
    actor = request.actor
    actor.require(*permissions.APPLICANT_ROLES)
    call = selectors.call_get_for(actor=actor, pk=payload.call_id)
    project_type = next((t for t in call.project_types.all() if t.pk == payload.project_type_id), None)
    if project_type is None:
        from chanjiao.policy.models import ProjectType

        project_type = ProjectType.objects.filter(pk=payload.project_type_id, pack=call.pack).first()
    if project_type is None:
        from chanjiao.core.errors import NotFound

        raise NotFound
    app = services.application_create(actor=actor, call=call, project_type=project_type, title=payload.title)
    return Status(201, detail_out(app, actor))  # the new draft as written: nothing to read back


@router.get("/applications/{application_id}", response=ApplicationOut, summary="申报书详情")
def application_detail(request, application_id: int):
    request.actor.require(*permissions.READ_ROLES)
    app = selectors.application_get_for(actor=request.actor, pk=application_id)
    return detail_out(app, request.actor)


@router.patch(
    "/applications/{application_id}",
    response=ApplicationOut,
    summary="保存草稿（只检查格式：金额、代码、年度；不运行政策规则）",
)
def application_save(request, application_id: int, payload: ApplicationPatchIn):
    actor = request.actor
    actor.require(*permissions.APPLICANT_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    data = payload.dict(exclude_unset=True)
    expected = data.pop("expected_version", None)
    app = services.application_save_draft(actor=actor, application=app, data=data, expected_version=expected)
    return detail_out(app, actor)  # the sections just written are not read back


@router.post(
    "/applications/{application_id}/submit",
    response={201: VersionRowOut, 200: VersionRowOut},
    summary="提交（运行政策包全部规则，一次列出全部问题；Idempotency-Key 相同只提交一次）",
)
def application_submit(
    request,
    application_id: int,
    payload: SubmitIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    actor = request.actor
    actor.require(*permissions.APPLICANT_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id, for_rules=True)
    version, created = services.application_submit_once(
        actor=actor,
        application=app,
        expected_version=payload.expected_version,
        idempotency_key=idempotency_key,
    )
    return Status(201 if created else 200, version_row(version))


@router.post("/applications/{application_id}/withdraw", response=ApplicationRowOut, summary="撤回（截止前）")
def application_withdraw(request, application_id: int, payload: VersionedIn):
    actor = request.actor
    actor.require(*permissions.APPLICANT_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    return row_out(
        services.application_withdraw(actor=actor, application=app, expected_version=payload.expected_version)
    )


@router.post(
    "/applications/{application_id}/return",
    response=ApplicationRowOut,
    summary="退回修改（市级或省级，须写理由）",
)
def application_return(request, application_id: int, payload: ReturnIn):
    actor = request.actor
    actor.require(*permissions.RETURN_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    app = services.application_return(
        actor=actor, application=app, reasons=payload.reasons, expected_version=payload.expected_version
    )
    return row_out(app)


@router.post(
    "/applications/{application_id}/endorse",
    response=ApplicationRowOut,
    summary="市级推荐（排序，不超过名额）",
)
def application_endorse(request, application_id: int, payload: EndorseIn):
    actor = request.actor
    actor.require(*permissions.CITY_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    app = services.city_endorse(
        actor=actor, application=app, rank=payload.rank, expected_version=payload.expected_version
    )
    return row_out(app)


@router.post(
    "/applications/{application_id}/accept",
    response=ApplicationRowOut,
    summary="省级受理并进入评审（仅已推荐的）",
)
def application_accept(request, application_id: int, payload: VersionedIn):
    actor = request.actor
    actor.require(*permissions.PROVINCE_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    app = services.province_accept_into_review(
        actor=actor, application=app, expected_version=payload.expected_version
    )
    return row_out(app)


@router.get("/applications/{application_id}/versions", response=list[VersionRowOut], summary="已提交的版本")
def version_list(request, application_id: int):
    request.actor.require(*permissions.READ_ROLES)
    app = selectors.application_get_for(actor=request.actor, pk=application_id)
    return [version_row(v) for v in selectors.versions_for(actor=request.actor, application=app)]


@router.get(
    "/applications/{application_id}/versions/{number}", response=VersionOut, summary="某一版本的完整内容"
)
def version_detail(request, application_id: int, number: int):
    request.actor.require(*permissions.READ_ROLES)
    app = selectors.application_get_for(actor=request.actor, pk=application_id)
    version = selectors.version_get_for(actor=request.actor, application=app, number=number)
    return {**version_row(version), "snapshot": version.snapshot}


@router.get(
    "/applications/{application_id}/versions/{a}/diff/{b}", response=DiffOut, summary="两个版本逐项比较"
)
def version_diff(request, application_id: int, a: int, b: int):
    request.actor.require(*permissions.READ_ROLES)
    app = selectors.application_get_for(actor=request.actor, pk=application_id)
    va = selectors.version_get_for(actor=request.actor, application=app, number=a)
    vb = selectors.version_get_for(actor=request.actor, application=app, number=b)
    return {"a": a, "b": b, "changes": selectors.version_diff(va, vb)}


@router.post(
    "/applications/{application_id}/attachments",
    response={201: AttachmentOut},
    summary="上传申报附件（multipart：file、spec_code、signed_by）",
)
def attachment_upload(
    request,
    application_id: int,
    file: File[UploadedFile],
    spec_code: Form[str],
    signed_by: Form[list[int]] = None,  # noqa: B008 - ninja reads the default as "optional"
):
    actor = request.actor
    actor.require(*permissions.APPLICANT_ROLES)
    app = selectors.application_get_for(actor=actor, pk=application_id)
    link = services.application_attach(
        actor=actor, application=app, spec_code=spec_code, file=file, signed_by=signed_by or []
    )
    return Status(
        201,
        {
            "id": link.pk,
            "spec_code": link.spec_code,
            "attachment_id": link.attachment_id,
            "original_name": link.attachment.original_name,
            "size": link.attachment.size,
            "sha256": link.attachment.sha256,
            "signed_by": sorted(set(signed_by or ())),  # each checked by the service, or it refused
        },
    )


PDF_RESPONSE = {"responses": {200: {"description": "申报书 PDF", "content": {"application/pdf": {}}}}}
XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "Excel 汇总表",
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        }
    }
}


@router.get("/applications/{application_id}/pdf", summary="申报书 PDF", openapi_extra=PDF_RESPONSE)
def application_pdf(request, application_id: int):
    request.actor.require(*permissions.READ_ROLES)
    app = selectors.application_get_for(actor=request.actor, pk=application_id)
    return outputs.pdf_response(app)


@router.get(
    "/calls/{call_id}/applications.xlsx",
    summary="申报汇总表（每个申报一行：单位、所在市、类型、各来源投入、企业占比、状态）",
    openapi_extra=XLSX_RESPONSE,
)
def call_applications_xlsx(request, call_id: int) -> HttpResponse:
    actor = request.actor
    actor.require(*permissions.EXPORT_ROLES)
    call = selectors.call_get_for(actor=actor, pk=call_id)
    content = outputs.call_summary_xlsx(call, selectors.applications_for(actor).filter(call=call))
    return xlsx_response(outputs.summary_filename(call), content)


@router.post(
    "/calls/{call_id}/received-list/publish",
    response=PublicationOut,
    summary="公开受理名单（省级管理员）",
)
def received_list_publish(request, call_id: int):
    actor = request.actor
    actor.require(*permissions.PROVINCE_ROLES)
    call = selectors.call_get_for(actor=actor, pk=call_id)
    publication = services.received_list_publish(actor=actor, call=call)
    return {"call_id": call.pk, "received_list_published_at": publication.received_list_published_at}


@router.get(
    "/public/calls/{call_id}/applications",
    response=list[PublicApplicationOut],
    auth=None,
    summary="受理名单（公开；省级公开后可见）",
)
@paginate(PagePagination)
def public_received_list(request, call_id: int):
    call, _publication = selectors.published_call(call_id)
    return Mapped(
        selectors.received_list(call),
        lambda a: {
            "applicant_name": a.applicant.name,
            "city_code": a.city_code,
            "project_type_name": a.project_type.name,
            "title": a.title,
            "first_submitted_at": a.first_submitted_at,
        },
    )
