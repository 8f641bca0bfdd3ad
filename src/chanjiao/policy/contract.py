"""The contract between the policy app and the apps that apply its rules (applications, later projects).

The policy app turns a plan (a pack) into `ProjectType` and `Call` rows; the applications app collects
what a school submitted into `SubmissionFacts` and asks `chanjiao.policy.rules.evaluate` for every
broken rule. Nothing about a plan is hard-coded in the applications app: it reads the specs below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

# Funding sources and kinds of contribution: the codes every pack draws its lists from. The names stay
# Chinese strings (snapshots and the Excel and PDF outputs keep them as they are); gettext_noop only
# puts them in the catalogue, so a page can show them in English with {% translate name %}.
FUNDING_SOURCES = (
    ("provincial_fund", gettext_noop("省财政专项资金")),
    ("local_government", gettext_noop("地方政府")),
    ("sponsor", gettext_noop("举办方")),
    ("school", gettext_noop("学校自筹")),
    ("enterprise", gettext_noop("合作企业")),
    ("industry", gettext_noop("行业")),
    ("other", gettext_noop("其他")),
)
CONTRIBUTION_KINDS = (
    ("cash", gettext_noop("资金")),
    ("equipment", gettext_noop("设备")),
    ("technology", gettext_noop("技术")),
    ("knowledge", gettext_noop("知识")),
    ("facilities", gettext_noop("设施")),
    ("management", gettext_noop("管理")),
)
PARTNER_ROLES = (
    ("lead", gettext_noop("牵头单位")),
    ("co_building_enterprise", gettext_noop("共建企业")),
    ("local_government", gettext_noop("地方政府")),
    ("industry_association", gettext_noop("行业协会")),
    ("school", gettext_noop("合作院校")),
    ("other", gettext_noop("其他")),
)


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: the plan and its section, e.g. 江苏建设计划 三(二)."""

    plan: str
    section: str

    def __str__(self) -> str:
        return f"{self.plan} {self.section}"


@dataclass(frozen=True)
class TaskSpec:
    code: str  # "1" … "8"
    title: str  # 服务高水平专业群建设目标
    mandatory: bool
    source: Source


@dataclass(frozen=True)
class FieldSpec:
    """A field a project type asks of an application beyond the common ones."""

    code: str
    label: str
    type: str  # text | integer | decimal | choice | boolean | date
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    source: Source | None = None


@dataclass(frozen=True)
class AttachmentSpec:
    code: str  # co_building_agreement
    name: str  # 共建协议
    required: bool
    signed_by_all_partners: bool
    contents: tuple[str, ...]  # 各方责权利、设备与经费投入方式、使用和管理办法
    source: Source


@dataclass(frozen=True)
class KpiSpec:
    code: str  # tech_service_income
    name: str  # 四技到账经费
    unit: str  # 万元 | 项 | 个 | 人次
    source: Source


@dataclass(frozen=True)
class RuleDescription:
    """A rule as a person reads it on the project-type page: what, the requirement, and its source."""

    code: str  # the stable error code it raises, e.g. budget.enterprise_share_below_minimum
    text: str  # 合作企业投入不少于总投入的三分之一
    source: Source
    is_default: bool = False  # set by the platform where the plan gives no figure (平台默认（非官方）)


@dataclass(frozen=True)
class SubmissionFacts:
    """What a submitted application says, as plain values, for the rules to judge."""

    applicant_id: int
    applicant_kind: str  # an orgs.OrgKind value
    applicant_school_level: str  # an orgs.SchoolLevel value, or ""
    applicant_is_independent: bool
    applicant_region_code: str
    partners: tuple[tuple[int, str, str], ...]  # (organisation id, role, organisation kind)
    programme_codes: tuple[str, ...]
    task_codes: tuple[str, ...]
    budget_by_source: Mapping[str, Decimal]  # totals over years and kinds
    budget_by_kind: Mapping[str, Decimal]
    attachment_codes: tuple[str, ...]  # the AttachmentSpec codes attached
    signed_by: Mapping[str, tuple[int, ...]] = field(
        default_factory=dict
    )  # attachment code → signing org ids
    fields: Mapping[str, Any] = field(default_factory=dict)
    kpi_codes: tuple[str, ...] = ()
    other_applications_in_call: int = 0  # the applicant's other live applications in the same call
    now: dt.datetime | None = None  # server time of the submission
    # Added after the first version of the contract (a default keeps older callers working): the
    # applicant's administrative level when it is a department (an orgs.DeptLevel value), for the
    # project types only a city may apply for. Left empty, the rules read it from the organisation.
    applicant_dept_level: str = ""

    @property
    def budget_total(self) -> Decimal:
        return sum(self.budget_by_source.values(), Decimal("0"))

    @property
    def enterprise_total(self) -> Decimal:
        return self.budget_by_source.get("enterprise", Decimal("0"))
