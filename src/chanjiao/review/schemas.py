"""The review API's input and output schemas. Outputs are built from plain dicts (api.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from chanjiao.core.api_support import InSchema


class OrgRef(Schema):
    id: int
    name: str
    kind: str = ""
    region_code: str = ""


class Ref(Schema):
    id: int
    name: str


class ExpertRef(Schema):
    id: int
    name: str
    employer: str
    is_industry: bool


class ApplicationRef(Schema):
    id: int
    title: str
    applicant: str


# --- the pool --------------------------------------------------------------------------------------


class ExpertProfileOut(Schema):
    id: int
    user_id: int
    username: str
    name: str
    employer: OrgRef
    title: str
    is_industry: bool
    programme_categories: list[str]
    industries: list[str]
    region_code: str | None
    is_active: bool
    note: str
    created_at: dt.datetime


class ExpertProfileIn(InSchema):
    user_id: int
    employer_id: int
    title: str = ""
    is_industry: bool | None = Field(
        None, description="来自行业企业；不填时按工作单位类型（企业、行业协会为是）"
    )
    programme_categories: list[str] = Field(default_factory=list, description="两位专业大类代码，如 46")
    industries: list[str] = Field(default_factory=list, description="GB/T 4754-2017 行业代码，如 C、38、3821")
    region: str | None = Field(None, description="所在地区（6位行政区划代码）；不填时取工作单位所在地区")
    note: str = ""


class ExpertProfilePatch(InSchema):
    employer_id: int | None = None
    title: str | None = None
    is_industry: bool | None = None
    programme_categories: list[str] | None = None
    industries: list[str] | None = None
    region: str | None = None
    is_active: bool | None = None
    note: str | None = None


class ImportOut(Schema):
    created: int
    updated: int
    accounts_created: int


class EducationGroupIn(InSchema):
    name: str
    member_ids: list[int]


class EducationGroupOut(Schema):
    id: int
    name: str
    members: list[Ref]


# --- rounds ----------------------------------------------------------------------------------------


class RoundSettings(InSchema):
    name: str | None = None
    indicator_system_id: int | None = None
    reviews_per_application: int | None = Field(None, description="每项申报的评审专家数 k（默认5）")
    load_cap: int | None = Field(None, description="每位专家在本通知同类评审中的评审上限（默认20）")
    max_exclusions: int | None = Field(None, description="每项申报可申请回避的专家数（默认3）")
    exclusions_close_at: dt.datetime | None = None
    same_city_conflict: bool | None = Field(None, description="同城专家回避（默认否）")
    reserves: int | None = Field(None, description="随机抽取时每项申报的候补人数（默认2）")
    review_deadline: dt.datetime | None = None
    ranking_method: str | None = Field(
        None,
        description="排序方法：mean（算术平均分）、trimmed_mean（去掉一个最高分和一个最低分，默认）、"
        "zscore（按专家标准化）；专家组合议开始后不能再改",
    )
    quota: int | None = Field(
        None,
        description="本批推荐名额（≥1）；null 为项目类型目标数量 ÷ 分批启动批次数；专家组合议开始后不能再改",
    )
    disagreement_threshold: Decimal | None = Field(
        None, description="分歧提示阈值（分，≥0，默认15）；专家组合议开始后不能再改"
    )
    publicity_days: int | None = Field(None, description="公示期（工作日，1–30，默认5）")


class ReviewRoundIn(RoundSettings):
    call_id: int
    project_type_id: int
    kind: str = Field(
        "selection", description="selection（遴选评审）、acceptance（验收评审）、performance（绩效评价）"
    )


class ReviewRoundOut(Schema):
    id: int
    call: Ref
    project_type: Ref
    kind: str
    kind_display: str
    name: str
    indicator_system_id: int | None
    reviews_per_application: int
    load_cap: int
    max_exclusions: int
    exclusions_close_at: dt.datetime | None
    same_city_conflict: bool
    reserves: int
    review_deadline: dt.datetime | None
    ranking_method: str
    ranking_method_display: str
    quota: int | None
    quota_effective: int | None = Field(
        description="实际使用的推荐名额（未设时按项目类型计算；无法确定时为 null）"
    )
    disagreement_threshold: Decimal
    publicity_days: int
    status: str
    status_display: str
    created_at: dt.datetime


class AvailabilityIn(InSchema):
    expert_id: int
    available: bool = True
    load_cap: int | None = Field(None, description="本专家的评审上限；不填时用本轮的")
    note: str = ""


class AvailabilityOut(Schema):
    expert_id: int
    available: bool
    load_cap: int | None
    note: str


class CoverageOut(Schema):
    application: ApplicationRef
    assigned: int
    needed: int
    industry_assigned: int
    reserves: int


# --- conflicts -------------------------------------------------------------------------------------


class ConflictOut(Schema):
    id: int
    round_id: int
    expert: ExpertRef
    application: ApplicationRef
    kind: str
    kind_display: str
    source: str
    explanation: str
    reason: str
    details: dict[str, Any]
    waived: bool
    waived_by: str | None
    waived_at: dt.datetime | None
    waive_reason: str
    created_at: dt.datetime


class ConflictIn(InSchema):
    expert_id: int
    application_id: int
    reason: str = ""


class ReasonIn(InSchema):
    reason: str = ""


class ComputeOut(Schema):
    created: int
    updated: int
    removed: int
    assignments_removed: int
    total: int


# --- assignment ------------------------------------------------------------------------------------


class DrawIn(InSchema):
    seed: int | None = Field(None, description="随机种子；不填时随机生成并记录")
    reserves: int | None = Field(None, description="每项申报的候补人数；不填时用本轮的")


class RunOut(Schema):
    id: int
    round_id: int
    method: str
    seed: int | None
    created_at: dt.datetime
    created_by: str
    result: dict[str, Any]


class RunDetailOut(RunOut):
    parameters: dict[str, Any]


class ReplayOut(Schema):
    seed: int | None
    inputs_intact: bool
    same: bool
    applications: int
    differences: list[int]


class AssignmentOut(Schema):
    id: int
    round_id: int
    expert: ExpertRef
    application: ApplicationRef
    method: str
    affinity: int
    reserve: bool
    reserve_rank: int | None
    reason: str
    explanation: dict[str, Any]
    explanation_lines: list[str]
    created_at: dt.datetime
    created_by: str


class AssignmentIn(InSchema):
    round_id: int
    expert_id: int
    application_id: int
    reason: str = ""


# --- exclusions and the expert's own ----------------------------------------------------------------


class ExclusionIn(InSchema):
    expert_name: str = ""
    employer_name: str = ""
    reason: str = ""


class ExclusionOut(Schema):
    id: int
    expert_name: str
    employer_name: str
    reason: str
    created_at: dt.datetime


class ExclusionsOut(Schema):
    items: list[ExclusionOut]
    limit: int
    open: bool
    closes_at: dt.datetime | None


class AssignedOut(Schema):
    assignment_id: int
    round: Ref
    review_deadline: dt.datetime | None
    application: ApplicationRef
    project_type: str
    affinity: int
    affinity_words: str


class AssignedDetailOut(AssignedOut):
    version: int | None
    content: dict[str, Any]
