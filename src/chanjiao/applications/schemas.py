"""Input and output schemas of the applications API. Money is a decimal string in yuan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from chanjiao.core.api_support import InSchema

Amount = str | int | float  # parsed by the service, which names every bad amount


class ApplicationCreateIn(InSchema):
    call_id: int
    project_type_id: int
    title: str = Field("", max_length=200)


class PartnerIn(InSchema):
    organization_id: int | str
    role: str
    contribution: str = ""
    contribution_amount: Amount | None = None


class TaskIn(InSchema):
    task_code: str
    plan: str = ""
    yearly_targets: dict[str, str] = Field(default_factory=dict, description="建设年度（1、2、3…）→ 目标")


class BudgetLineIn(InSchema):
    year: int | str = Field(..., description="建设年度：1 为第一年")
    source: str = Field(..., description="资金来源代码，如 enterprise")
    kind: str = Field(..., description="投入方式代码，如 cash")
    amount: Amount = Field(..., description='金额（元），如 "1250000.00"')


class KpiIn(InSchema):
    kpi_code: str
    year: int | str
    value: Amount


class AttachmentSignersIn(InSchema):
    id: int
    signed_by: list[int | str] = Field(default_factory=list)


class ApplicationPatchIn(InSchema):
    """A draft save: each section present replaces what was there; absent sections are kept."""

    expected_version: int | None = Field(None, description="看到的修改版本；不一致时 409")
    title: str | None = None
    summary: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    fields: dict[str, Any] | None = None
    partners: list[PartnerIn] | None = None
    programmes: list[str] | None = None
    tasks: list[TaskIn] | None = None
    budget_lines: list[BudgetLineIn] | None = None
    kpis: list[KpiIn] | None = None
    attachments: list[AttachmentSignersIn] | None = None


class SubmitIn(InSchema):
    expected_version: int


class VersionedIn(InSchema):
    expected_version: int | None = None


class ReturnIn(InSchema):
    reasons: list[str]
    expected_version: int | None = None


class EndorseIn(InSchema):
    rank: int
    expected_version: int | None = None


class OrgRef(Schema):
    id: int
    name: str
    kind: str
    region_code: str


class PartnerOut(Schema):
    organization: OrgRef
    role: str
    role_display: str
    contribution: str
    contribution_amount: str | None


class TaskOut(Schema):
    task_code: str
    plan: str
    yearly_targets: dict[str, str]


class BudgetLineOut(Schema):
    year: int
    source: str
    kind: str
    amount: str


class KpiOut(Schema):
    kpi_code: str
    year: int
    value: str


class AttachmentOut(Schema):
    id: int
    spec_code: str
    attachment_id: int
    original_name: str
    size: int
    sha256: str
    signed_by: list[int]


class BudgetTotalsOut(Schema):
    total: str
    by_source: dict[str, str]
    by_kind: dict[str, str]
    by_year: dict[str, str]
    enterprise_total: str
    enterprise_share_percent: str | None


class ApplicationRowOut(Schema):
    id: int
    call_id: int
    call_title: str
    project_type_id: int
    project_type_name: str
    applicant: OrgRef
    city_code: str
    title: str
    status: str
    status_display: str
    row_version: int
    city_rank: int | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime


class ReturnNoteOut(Schema):
    reasons: list[str]
    from_status: str
    version_number: int | None
    returned_by_org: str
    created_at: dt.datetime


class ApplicationOut(ApplicationRowOut):
    summary: str
    contact_name: str
    contact_phone: str
    fields: dict[str, Any]
    partners: list[PartnerOut]
    programmes: list[str]
    tasks: list[TaskOut]
    budget_lines: list[BudgetLineOut]
    budget: BudgetTotalsOut
    kpis: list[KpiOut]
    attachments: list[AttachmentOut]
    endorsed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    version_count: int
    return_notes: list[ReturnNoteOut]
    allowed_actions: list[str] = Field(..., description="调用者此刻可执行的操作")


class VersionRowOut(Schema):
    number: int
    submitted_at: dt.datetime
    submitted_by: str


class VersionOut(VersionRowOut):
    snapshot: dict[str, Any]


class DiffEntryOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class DiffOut(Schema):
    a: int
    b: int
    changes: list[DiffEntryOut]


class PublicationOut(Schema):
    call_id: int
    received_list_published_at: dt.datetime


class PublicApplicationOut(Schema):
    applicant_name: str
    city_code: str
    project_type_name: str
    title: str
    first_submitted_at: dt.datetime
