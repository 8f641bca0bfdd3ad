"""The projects API's input and output schemas. Outputs are built from plain dicts (api.py)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from chanjiao.core.api_support import InSchema

Amount = str | int | float  # parsed by the service, which names a bad amount


class Ref(Schema):
    id: int
    name: str


class OrgRef(Schema):
    id: int
    name: str
    kind: str = ""
    region_code: str = ""


class ApplicationRef(Schema):
    id: int
    title: str
    applicant: str
    status: str


class ProjectRef(Schema):
    id: int
    code: str


# --- decisions -------------------------------------------------------------------------------------


class AwardIn(InSchema):
    approved_budget: Amount = Field(
        ..., description='批准的省级财政支持（元），如 "10000000.00"；不超过申报书申请的省财政专项资金'
    )
    start_batch: int | None = Field(None, description="启动批次；不填时取申报通知的启动批次（未设时为1）")
    document_number: str = Field("", description="立项文号")


class RejectIn(InSchema):
    reasons: list[str] | str = Field(..., description="不予立项的理由：字符串列表，或每行一条的文本")


class DecisionOut(Schema):
    id: int
    application: ApplicationRef
    call: Ref
    project_type: Ref
    outcome: str
    outcome_display: str
    approved_budget: str | None
    start_batch: int | None
    reasons: list[str]
    document_number: str
    decided_by: str
    decided_at: dt.datetime
    project: ProjectRef | None


# --- projects --------------------------------------------------------------------------------------


class PartnerOut(Schema):
    organization: OrgRef
    role: str
    role_display: str
    contribution_amount: str | None


class ProjectOut(Schema):
    id: int
    code: str
    title: str
    call: Ref
    project_type: Ref
    project_type_code: str
    organization: OrgRef
    city_code: str
    province_code: str
    approved_budget: str
    planned_total: str
    planned_enterprise: str
    start_batch: int
    starts_on: dt.date
    construction_years: int
    ends_on: dt.date
    status: str
    status_display: str
    application_id: int
    decision_id: int
    document_number: str
    created_at: dt.datetime


class ProjectDetailOut(ProjectOut):
    partners: list[PartnerOut]
