from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from chanjiao.core.api_support import InSchema

from .rules import rules_for


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in Beijing time with their offset (+08:00)."""
    return timezone.localtime(value) if value is not None else None


class RegionRef(Schema):
    code: str
    name: str


class SourceOut(Schema):
    plan: str
    section: str


class PackVersionOut(Schema):
    code: str
    version: str
    name: str
    is_current: bool
    sha256: str
    loaded_at: dt.datetime

    @staticmethod
    def resolve_loaded_at(obj) -> dt.datetime:
        return local(obj.loaded_at)


class PackOut(Schema):
    id: int
    code: str
    version: str
    name: str
    short_name: str
    issuer: str
    region: RegionRef
    is_current: bool
    sha256: str
    loaded_at: dt.datetime

    @staticmethod
    def resolve_loaded_at(obj) -> dt.datetime:
        return local(obj.loaded_at)


class PackDetailOut(PackOut):
    """A pack (the version asked for, or the current one), its versions and its document."""

    versions: list[PackVersionOut]
    content: dict[str, Any]
    project_type_count: int
    indicator_system_ids: list[int]


class ProjectTypeOut(Schema):
    id: int
    code: str
    name: str
    pack_code: str
    pack_version: str
    programme_code: str
    programme_name: str
    target_count: int | None

    @staticmethod
    def resolve_pack_code(obj) -> str:
        return obj.pack.code

    @staticmethod
    def resolve_pack_version(obj) -> str:
        return obj.pack.version


class RuleOut(Schema):
    code: str
    text: str
    source: SourceOut
    is_default: bool


class TaskOut(Schema):
    code: str
    title: str
    mandatory: bool
    source: SourceOut


class AttachmentOut(Schema):
    code: str
    name: str
    required: bool
    signed_by_all_partners: bool
    contents: list[str]
    source: SourceOut


class KpiOut(Schema):
    code: str
    name: str
    unit: str
    source: SourceOut


class FieldOut(Schema):
    code: str
    label: str
    type: str
    required: bool
    choices: list[list[str]]
    source: SourceOut | None


class CodeName(Schema):
    code: str
    name: str


class ProjectTypeDetailOut(ProjectTypeOut):
    """A project type with every rule an applicant must satisfy, each with its source."""

    rules: list[RuleOut]
    tasks: list[TaskOut]
    fields: list[FieldOut]
    attachments: list[AttachmentOut]
    kpis: list[KpiOut]
    funding_sources: list[CodeName]
    contribution_kinds: list[CodeName]
    eligible_kinds: list[str]
    eligible_levels: list[str]
    limit_per_applicant: int | None
    min_total_investment: str | None = Field(None, description="元，两位小数")
    min_enterprise_share: str | None = Field(None, description="分数或小数，如 1/3")
    construction_years: int | None
    spec: dict[str, Any]
    indicator_system_ids: list[int]

    @staticmethod
    def resolve_rules(obj) -> list:
        return rules_for(obj)

    @staticmethod
    def resolve_tasks(obj) -> list:
        return obj.tasks()

    @staticmethod
    def resolve_fields(obj) -> list:
        return [
            {**f.__dict__, "choices": [list(c) for c in f.choices], "source": f.source} for f in obj.fields()
        ]

    @staticmethod
    def resolve_attachments(obj) -> list:
        return [{**a.__dict__, "contents": list(a.contents)} for a in obj.attachments()]

    @staticmethod
    def resolve_kpis(obj) -> list:
        return obj.kpis()

    @staticmethod
    def resolve_funding_sources(obj) -> list:
        return [{"code": c, "name": n} for c, n in obj.funding_sources()]

    @staticmethod
    def resolve_contribution_kinds(obj) -> list:
        return [{"code": c, "name": n} for c, n in obj.contribution_kinds()]

    @staticmethod
    def resolve_min_total_investment(obj) -> str | None:
        value = obj.min_total_investment
        return f"{value:.2f}" if value is not None else None

    @staticmethod
    def resolve_min_enterprise_share(obj) -> str | None:
        value = obj.min_enterprise_share
        return str(value) if value is not None else None

    @staticmethod
    def resolve_indicator_system_ids(obj) -> list[int]:
        return [
            s.pk
            for s in obj.pack.indicator_systems.filter(is_current=True).order_by("code")
            if obj.code in s.project_type_codes
        ]


class IndicatorOut(Schema):
    code: str
    level: int
    name: str
    description: str
    method: str
    weight: str
    min_score: str | None
    max_score: str | None
    formula: dict[str, Any]
    is_default: bool
    source: SourceOut | None
    children: list[IndicatorOut]


IndicatorOut.model_rebuild()


class IndicatorSystemOut(Schema):
    id: int
    code: str
    version: int
    name: str
    purpose: str
    pack_code: str
    pack_version: str
    project_types: list[str]
    total: str
    inputs: list[dict[str, Any]]
    is_default: bool
    default_label: str | None = Field(None, description="平台默认（非官方）：计划未给出，由平台设定")
    is_current: bool
    note: str
    source: SourceOut
    created_at: dt.datetime
    indicators: list[IndicatorOut]
    vetoes: list[IndicatorOut]


class IndicatorSystemEditIn(InSchema):
    """A new version of an indicator system: the tree as a pack writes it (code, purpose and project types stay)."""

    name: str = Field(..., max_length=255)
    note: str = ""
    total: str | int = 100
    source: dict[str, str] | None = None
    inputs: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]]
    vetoes: list[dict[str, Any]] = []


class ExtensionOut(Schema):
    id: int
    applicant_id: int
    applicant_name: str
    until: dt.datetime
    reason: str
    granted_by: str
    granted_at: dt.datetime

    @staticmethod
    def resolve_applicant_name(obj) -> str:
        return obj.applicant.name

    @staticmethod
    def resolve_until(obj) -> dt.datetime:
        return local(obj.until)

    @staticmethod
    def resolve_granted_at(obj) -> dt.datetime:
        return local(obj.granted_at)

    @staticmethod
    def resolve_granted_by(obj) -> str:
        return str(obj.granted_by)


class CallOut(Schema):
    id: int
    title: str
    description: str
    pack_code: str
    pack_version: str
    project_types: list[CodeName]
    opens_at: dt.datetime
    closes_at: dt.datetime
    deadline: dt.datetime = Field(..., description="调用者本单位的截止时间（获准延期的为延期后的时间）")
    limit_per_applicant: int
    start_batch: int | None
    status: str = Field(..., description="draft | published | closed（已发布且已过截止时间）")
    published_at: dt.datetime | None
    catalogue_edition: str | None
    quotas: dict[str, int]

    @staticmethod
    def resolve_pack_code(obj) -> str:
        return obj.pack.code

    @staticmethod
    def resolve_pack_version(obj) -> str:
        return obj.pack.version

    @staticmethod
    def resolve_project_types(obj) -> list:
        return [{"code": t.code, "name": t.name} for t in obj.project_types.all()]

    @staticmethod
    def resolve_opens_at(obj) -> dt.datetime:
        return local(obj.opens_at)

    @staticmethod
    def resolve_closes_at(obj) -> dt.datetime:
        return local(obj.closes_at)

    @staticmethod
    def resolve_deadline(obj) -> dt.datetime:
        return local(getattr(obj, "applicant_deadline", None) or obj.closes_at)

    @staticmethod
    def resolve_published_at(obj) -> dt.datetime | None:
        return local(obj.published_at)

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.effective_status()

    @staticmethod
    def resolve_catalogue_edition(obj) -> str | None:
        return obj.catalogue_edition.code if obj.catalogue_edition_id else None

    @staticmethod
    def resolve_quotas(obj) -> dict[str, int]:
        return {q.city_id: q.quota for q in obj.quotas.all()}


class CallIn(InSchema):
    pack: str = Field(..., description="政策包代码，如 jiangsu-integration-platform")
    version: str | None = Field(None, description="政策包版本；不填为现行版本")
    title: str = Field(..., max_length=255)
    description: str = ""
    project_types: list[str] = Field(..., description="项目类型代码")
    opens_at: dt.datetime = Field(..., description="开始时间（带时区；不带时区按北京时间）")
    closes_at: dt.datetime
    limit_per_applicant: int | None = Field(None, description="每单位限报数；不填取项目类型的规定")
    start_batch: int | None = None
    catalogue_edition: str | None = Field(None, description="专业目录版本代码；不填为现行版本")
    quotas: dict[str, int] | None = Field(None, description='各地级市推荐名额，如 {"340100": 5}')


class CallPatch(InSchema):
    title: str | None = Field(None, max_length=255)
    description: str | None = None
    project_types: list[str] | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    limit_per_applicant: int | None = None
    start_batch: int | None = None
    catalogue_edition: str | None = None
    quotas: dict[str, int] | None = None


class ExtensionIn(InSchema):
    applicant_id: int
    until: dt.datetime = Field(..., description="延期后的截止时间（带时区；不带时区按北京时间）")
    reason: str = Field(..., max_length=2000)
