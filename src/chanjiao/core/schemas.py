from __future__ import annotations

import datetime as dt

from django.urls import reverse
from ninja import Field, Schema

from . import selectors
from .api_support import InSchema


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None
    full_name: str
    in_pilot_zone: list[str] = []

    @staticmethod
    def resolve_in_pilot_zone(obj, context) -> list[str]:
        request = (context or {}).get("request")
        # One look-up of the zones per request, not one per region listed.
        members = getattr(request, "_pilot_zone_members", None)
        if members is None:
            members = selectors.pilot_zone_members()
            if request is not None:
                request._pilot_zone_members = members
        return selectors.zones_containing(obj.code, members)


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.original_name

    @staticmethod
    def resolve_download_url(obj) -> str:
        return reverse("api:attachment_download", kwargs={"attachment_id": obj.pk})


class JobOut(Schema):
    id: int
    kind: str
    label: str
    status: str
    done: int
    total: int
    percent: int
    result: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    url: str
    kind: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class ReadAllOut(Schema):
    marked: int


class HolidayOut(Schema):
    date: dt.date
    name: str
    is_workday: bool
    note: str


class HolidayIn(InSchema):
    date: dt.date | None = Field(None, description="日期（YYYY-MM-DD）")
    name: str = Field("", description="名称，如 国庆节")
    is_workday: bool = Field(False, description="调休上班（周末上班，计入工作日）；默认为放假")
    note: str = Field("", description="依据，如 国务院办公厅关于2027年部分节假日安排的通知")
