import datetime as dt

from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination

from . import selectors, services
from .pages import attachment_response
from .permissions import Role
from .schemas import (
    AttachmentOut,
    HolidayIn,
    HolidayOut,
    JobOut,
    NotificationOut,
    ReadAllOut,
    RegionOut,
)

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


# --- the inbox -----------------------------------------------------------------------------------------


@router.get(
    "/notifications", response=list[NotificationOut], summary="我的通知（最新在前；unread=true 只看未读）"
)
@paginate(PagePagination)
def notification_list(request, unread: bool | None = None):
    return selectors.notification_search(actor=request.actor, unread=unread)


@router.post("/notifications/read-all", response=ReadAllOut, summary="将我的全部未读通知标为已读")
def notifications_read_all(request):
    return {"marked": services.notifications_read_all(actor=request.actor)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="将一条通知标为已读")
def notification_read(request, notification_id: int):
    note = selectors.notification_get_for(actor=request.actor, pk=notification_id)
    return services.notification_read(actor=request.actor, notification=note)


# --- the holiday list ----------------------------------------------------------------------------------


@router.get(
    "/holidays", response=list[HolidayOut], summary="节假日表（全国；放假日与调休上班日，可按年份筛选）"
)
@paginate(PagePagination)
def holiday_list(request, year: int | None = None):
    return selectors.holidays_search(year=year)


@router.post(
    "/holidays",
    response={201: HolidayOut},
    summary="登记一个放假日或调休上班日（省级管理员；同一日期只能登记一次）",
)
def holiday_add(request, payload: HolidayIn):
    request.actor.require(Role.PROVINCE_ADMIN)
    holiday = services.holiday_add(actor=request.actor, **payload.dict())
    return Status(201, holiday)


@router.delete("/holidays/{date}", response={204: None}, summary="从节假日表删除一天（省级管理员）")
def holiday_remove(request, date: dt.date):
    request.actor.require(Role.PROVINCE_ADMIN)
    services.holiday_remove(actor=request.actor, holiday=selectors.holiday_get(date))
    return Status(204, None)
