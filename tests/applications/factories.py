"""Builders for the applications tests: a pack whose project type is the Jiangsu integration platform
(the shipped pack's own document), opened as a call in the test province, and a complete application."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml
from django.utils import timezone

from chanjiao.catalog.models import CatalogueEdition, Programme, ProgrammeCategory, ProgrammeClass
from chanjiao.policy.models import Call, CityQuota, PolicyPack, ProjectType

PACKS = Path(__file__).resolve().parents[2] / "src" / "chanjiao" / "policy" / "packs"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@functools.cache
def integration_platform_spec() -> dict:
    """The 省产教融合集成平台 project type exactly as the Jiangsu pack gives it."""
    document = yaml.safe_load((PACKS / "jiangsu-integration-platform.yaml").read_text(encoding="utf-8"))
    return next(pt for pt in document["project_types"] if pt["code"] == "integration-platform")


def make_pack(region, *, code: str = "test-integration") -> PolicyPack:
    return PolicyPack.objects.create(
        code=code,
        version="1",
        name="测试集成平台建设计划",
        short_name="测试计划",
        issuer="安徽省教育厅",
        region=region,
        content={},
        sha256="0" * 64,
        is_current=True,
    )


def make_project_type(
    pack: PolicyPack, *, spec: dict | None = None, code: str = "integration-platform"
) -> ProjectType:
    spec = dict(spec or integration_platform_spec())
    return ProjectType.objects.create(
        pack=pack, code=code, name=spec.get("name", "省产教融合集成平台"), spec=spec
    )


def make_edition() -> CatalogueEdition:
    edition, _ = CatalogueEdition.objects.get_or_create(
        code="2021", defaults={"name": "2021年专业目录", "year": 2021, "is_current": True}
    )
    category, _ = ProgrammeCategory.objects.get_or_create(
        edition=edition, level="associate", code="46", defaults={"name": "装备制造大类"}
    )
    klass, _ = ProgrammeClass.objects.get_or_create(
        edition=edition,
        category=category,
        level="associate",
        code="4601",
        defaults={"name": "机械设计制造类"},
    )
    for code, name in (
        ("460101", "机械设计与制造"),
        ("460104", "机械制造及自动化"),
        ("460301", "机电一体化技术"),
    ):
        Programme.objects.get_or_create(
            edition=edition,
            code=code,
            defaults={"level": "associate", "name": name, "category": category, "klass": klass},
        )
    return edition


def make_call(
    pack: PolicyPack,
    project_types,
    *,
    limit: int = 1,
    opens: dt.datetime | None = None,
    closes: dt.datetime | None = None,
    edition: CatalogueEdition | None = None,
    title: str = "2026年省产教融合集成平台申报",
) -> Call:
    now = timezone.now()
    call = Call.objects.create(
        pack=pack,
        title=title,
        opens_at=opens or now - dt.timedelta(days=1),
        closes_at=closes or now + dt.timedelta(days=30),
        limit_per_applicant=limit,
        status=Call.Status.PUBLISHED,
        published_at=now - dt.timedelta(days=1),
        catalogue_edition=edition,
    )
    call.project_types.set(project_types)
    return call


def make_quota(call: Call, city, quota: int) -> CityQuota:
    return CityQuota.objects.create(call=call, city=city, quota=quota)


def budget(total: int = 30_000_000, enterprise_share: float = 0.4) -> list[dict]:
    """Budget lines over three years adding up to `total`, the enterprise bringing `enterprise_share`."""
    enterprise = int(total * enterprise_share)
    rest = total - enterprise
    lines = []
    for year in (1, 2, 3):
        lines.append(
            {"year": year, "source": "enterprise", "kind": "equipment", "amount": f"{enterprise / 3:.2f}"}
        )
        lines.append({"year": year, "source": "school", "kind": "cash", "amount": f"{rest / 3:.2f}"})
    return lines


def complete_draft(partner_org) -> dict:
    """A PATCH body that, with the two attachments, satisfies every rule of the project type."""
    spec = integration_platform_spec()
    return {
        "title": "智能制造产教融合集成平台",
        "summary": "依托机械设计与制造专业群，联合合作企业共建。",
        "contact_name": "张老师",
        "contact_phone": "0551-12345678",
        "fields": {
            "programme_cluster_name": "智能制造专业群",
            "industry_focus": "高端装备制造",
            "upgrades_2016_platform": True,
            "social_training_workstation_share": "0.34",
        },
        "partners": [
            {
                "organization_id": partner_org.pk,
                "role": "co_building_enterprise",
                "contribution": "投入设备与技术人员",
                "contribution_amount": "12000000.00",
            }
        ],
        "programmes": ["460101", "460104"],
        "tasks": [
            {
                "task_code": t["code"],
                "plan": f"任务{t['code']}的建设内容",
                "yearly_targets": {"1": "启动", "3": "完成"},
            }
            for t in spec["tasks"]
            if t["mandatory"]
        ],
        "budget_lines": budget(),
        "kpis": [
            {"kpi_code": k["code"], "year": 1, "value": "10"} for k in spec["kpis"] if k.get("required")
        ],
    }
