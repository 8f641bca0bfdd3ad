from __future__ import annotations

from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination

from . import selectors, services
from .pages import attachment_response
from .schemas import AttachmentOut, JobOut, RegionOut

router = Router(tags=["基础数据"])


@router.get("/regions", response=list[RegionOut], summary="行政区划（可按上级、级别、名称、试验区筛选）")
@paginate(PagePagination)
def region_list(request, parent: str = "", level: str = "", q: str = "", pilot_zone: str = ""):
    return selectors.region_search(parent=parent, level=level, q=q, pilot_zone=pilot_zone)


@router.post(
    "/attachments",
    response={201: AttachmentOut},
    summary="上传附件（multipart；按内容识别类型，超过大小上限或类型不允许时 422）",
)
def attachment_upload(request, file: File[UploadedFile]):
    attachment = services.attachment_store(actor=request.actor, file=file)
    return Status(201, attachment)


@router.get("/attachments/{attachment_id}", response=AttachmentOut, summary="附件信息")
def attachment_detail(request, attachment_id: int):
    return selectors.attachment_get_for(actor=request.actor, pk=attachment_id)


@router.get(
    "/attachments/{attachment_id}/download",
    url_name="attachment_download",
    summary="下载附件",
    openapi_extra={
        "responses": {200: {"description": "文件内容", "content": {"application/octet-stream": {}}}}
    },
)
def attachment_download(request, attachment_id: int):
    attachment = selectors.attachment_get_for(actor=request.actor, pk=attachment_id)
    return attachment_response(attachment)


@router.get("/jobs/{job_id}", response=JobOut, summary="后台任务进度（仅创建人可见）")
def job_detail(request, job_id: int):
    return selectors.job_get_for(actor=request.actor, pk=job_id)
