"""Builders for policy tests: the shipped packs, a catalogue edition, calls and submission facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chanjiao.catalog.models import CatalogueEdition, Programme, ProgrammeCategory, ProgrammeClass
from chanjiao.core.seeds import load_seed as load_region_seed
from chanjiao.policy.contract import SubmissionFacts
from chanjiao.policy.models import Call, PolicyPack
from chanjiao.policy.services import load_shipped_packs

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def load_packs() -> tuple[PolicyPack, PolicyPack]:
    """Regions, the 皖江 pilot zone and both shipped packs; returns (anhui, jiangsu)."""
    load_region_seed()
    list(load_shipped_packs())
    return (
        PolicyPack.objects.get(code="anhui-wanjiang", is_current=True),
        PolicyPack.objects.get(code="jiangsu-integration-platform", is_current=True),
    )


def make_edition(code: str = "2024", programmes=("460101", "460102", "460103"), current: bool = True):
    edition = CatalogueEdition.objects.create(
        code=code, name=f"{code}年专业目录", year=int(code[:4]), is_current=current
    )
    category = ProgrammeCategory.objects.create(
        edition=edition, level="associate", code="46", name="装备制造大类"
    )
    klass = ProgrammeClass.objects.create(
        edition=edition, category=category, level="associate", code="4601", name="机械设计制造类"
    )
    for n, code_ in enumerate(programmes):
        Programme.objects.create(
            edition=edition, level="associate", code=code_, name=f"专业{n}", category=category, klass=klass
        )
    return edition


def make_call(
    pack: PolicyPack,
    *,
    types: list[str] | None = None,
    status: str = Call.Status.PUBLISHED,
    opens: dt.datetime | None = None,
    closes: dt.datetime | None = None,
    limit: int = 1,
    title: str = "测试申报通知",
    edition=None,
) -> Call:
    now = timezone.now()
    call = Call.objects.create(
        pack=pack,
        title=title,
        opens_at=opens or now - dt.timedelta(days=1),
        closes_at=closes or now + dt.timedelta(days=30),
        limit_per_applicant=limit,
        status=status,
        published_at=now if status == Call.Status.PUBLISHED else None,
        catalogue_edition=edition,
    )
    chosen = pack.project_types.all() if types is None else pack.project_types.filter(code__in=types)
    call.project_types.set(chosen)
    return call


def facts(**overrides: Any) -> SubmissionFacts:
    """A Jiangsu submission that satisfies every rule; override what a test breaks."""
    base: dict[str, Any] = {
        "applicant_id": 1,
        "applicant_kind": "school",
        "applicant_school_level": "associate",
        "applicant_is_independent": True,
        "applicant_region_code": "320102",
        "partners": ((2, "co_building_enterprise", "enterprise"),),
        "programme_codes": ("460101", "460102"),
        "task_codes": ("1", "2", "3", "4", "5", "6", "7"),
        "budget_by_source": {
            "provincial_fund": Decimal("10000000"),
            "enterprise": Decimal("12000000"),
            "school": Decimal("8000000"),
        },
        "budget_by_kind": {"cash": Decimal("20000000"), "equipment": Decimal("10000000")},
        "attachment_codes": ("co_building_agreement", "construction_plan"),
        "signed_by": {"co_building_agreement": (1, 2)},
        "fields": {
            "programme_cluster_name": "智能制造专业群",
            "industry_focus": "高端装备制造",
            "social_training_workstation_share": "0.34",
        },
        "kpi_codes": (
            "tech_service_income",
            "transfer_projects",
            "incubated_student_projects",
            "research_projects",
            "patents",
        ),
        "other_applications_in_call": 0,
        "now": None,
    }
    base.update(overrides)
    return SubmissionFacts(**base)
