"""The publicity API's input and output schemas (ADR 0003: the stage keeps its own rooms).
Outputs are built from plain dicts in publicity_api.py; the public ones carry no score and no name
of an expert."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from chanjiao.core.api_support import InSchema

from .schemas import ApplicationRef, Ref


class PublicEntryOut(Schema):
    application_id: int
    rank: int | None
    applicant: str
    city: str
    title: str
    project_type: str


class DayOut(Schema):
    date: dt.date
    name: str


class PublicityOut(Schema):
    id: int
    title: str
    call: Ref
    project_type: Ref
    starts_on: dt.date
    ends_on: dt.date
    working_days: int
    phase: str = Field(description="upcoming（未开始）、open（公示中，受理异议）、ended（已结束）")
    phase_display: str
    listed: int = Field(description="名单中的项目数")
    published_at: dt.datetime


class PublicityDetailOut(PublicityOut):
    body: str
    contact: str
    entries: list[PublicEntryOut]
    days_skipped: list[DayOut] = Field(description="公示期内不计入的周末和节假日")
    days_worked: list[DayOut] = Field(description="公示期内调休上班、计入工作日的周末")
    objections_accepted: bool = Field(description="今天是否受理网上异议")


class PublishIn(InSchema):
    title: str = ""
    body: str = ""
    contact: str = Field("", description="异议受理联系方式")
    starts_on: dt.date | None = Field(None, description="公示开始日期；不填为今天，不能早于今天")
    working_days: int | None = Field(None, description="公示期（工作日，1–30）；不填时按评审轮次的设置")


class ObjectionIn(InSchema):
    application_id: int | None = Field(None, description="针对的项目（须在本次公示名单中）；对名单整体时不填")
    name: str = Field("", description="异议人姓名（实名，必填）")
    organization_name: str = ""
    phone: str = Field("", description="联系电话（必填）")
    email: str = Field("", description="电子邮箱；填写后答复也发送到该邮箱")
    content: str = Field("", description="异议内容和理由（必填）")


class ObjectionRecordIn(ObjectionIn):
    channel: str = Field("", description="letter（书面材料）、phone（电话）或 visit（来访）")
    received_on: dt.date | None = Field(None, description="收到日期；不填为今天，须在公示期内")


class ObjectionReceiptOut(Schema):
    id: int
    publicity_id: int
    application_id: int | None
    received_at: dt.datetime


class ObjectionOut(Schema):
    id: int
    publicity_id: int
    application: ApplicationRef | None
    name: str
    organization_name: str
    phone: str
    email: str
    content: str
    channel: str
    channel_display: str
    received_at: dt.datetime
    recorded_by: str | None
    answered: bool
    answer: str
    outcome: str
    outcome_display: str
    answered_by: str | None
    answered_at: dt.datetime | None


class AnswerIn(InSchema):
    answer: str = ""
    outcome: str = Field("", description="upheld（异议成立）、partly（部分成立）或 dismissed（异议不成立）")
