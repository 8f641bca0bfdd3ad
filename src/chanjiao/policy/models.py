"""Policy packs (a plan as data), their project types and indicator systems, and calls for applications.

A pack is loaded from a YAML file (see `schema.py`) and stored as one immutable version: its
validated document in `content`, its project types as rows. A call pins the pack version it was
opened with, so loading a new version never changes a running call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chanjiao.core.models import Region

from .contract import (
    CONTRIBUTION_KINDS,
    FUNDING_SOURCES,
    AttachmentSpec,
    FieldSpec,
    KpiSpec,
    Source,
    TaskSpec,
)

DEFAULT_MARK = "平台默认（非官方）"


class PolicyPack(models.Model):
    """One version of a plan encoded as data. Never edited: a change is a new version."""

    code = models.SlugField(_("政策包代码"), max_length=64)
    version = models.CharField(_("版本"), max_length=32)
    name = models.CharField(_("名称"), max_length=255)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    issuer = models.CharField(_("发布单位"), max_length=255)
    region = models.ForeignKey(
        Region, verbose_name=_("适用地区"), on_delete=models.PROTECT, related_name="policy_packs"
    )
    content = models.JSONField(_("内容"), default=dict)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_current = models.BooleanField(_("现行版本"), default=False)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("载入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("政策包")
        verbose_name_plural = _("政策包")
        ordering = ["code", "-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="policy_pack_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="policy_pack_one_current_per_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"

    @property
    def plan_name(self) -> str:
        """How a rule's source names the plan, e.g. 江苏建设计划."""
        return self.short_name or self.name

    def source(self, raw: dict[str, Any] | None) -> Source:
        return Source(self.plan_name, (raw or {}).get("section", ""))


class ProjectType(models.Model):
    """A project type of a pack version (e.g. 产教融合型企业培育项目), with its rules in `spec`.

    `spec` is the pack's validated project-type document; the accessors below read it into the
    contract's dataclasses, so the applications app never reads the JSON itself.
    """

    pack = models.ForeignKey(
        PolicyPack, verbose_name=_("政策包"), on_delete=models.CASCADE, related_name="project_types"
    )
    code = models.SlugField(_("项目类型代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=128)
    programme_code = models.CharField(_("所属工程代码"), max_length=32, blank=True)
    programme_name = models.CharField(_("所属工程"), max_length=128, blank=True)
    target_count = models.PositiveIntegerField(_("目标数量"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    spec = models.JSONField(_("规则"), default=dict)

    class Meta:
        verbose_name = _("项目类型")
        verbose_name_plural = _("项目类型")
        ordering = ["pack", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "code"], name="project_type_code_unique_in_pack"),
        ]

    def __str__(self) -> str:
        return self.name

    # --- sources --------------------------------------------------------------------------

    def source(self, raw: dict[str, Any] | None = None) -> Source:
        """The source of a part of the spec (or of the project type itself)."""
        if raw is None:
            raw = self.spec.get("source")
        return Source(self.pack.plan_name, (raw or {}).get("section", ""))

    def _part(self, key: str) -> dict[str, Any]:
        value = self.spec.get(key)
        return value if isinstance(value, dict) else {}

    # --- the contract ---------------------------------------------------------------------

    def tasks(self) -> list[TaskSpec]:
        return [
            TaskSpec(
                code=str(t["code"]),
                title=t["title"],
                mandatory=t["mandatory"],
                source=self.source(t.get("source")),
            )
            for t in self.spec.get("tasks", [])
        ]

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec(
                code=f["code"],
                label=f["label"],
                type=f["type"],
                required=f["required"],
                choices=tuple((c["code"], c["name"]) for c in f.get("choices", [])),
                source=self.source(f["source"]) if f.get("source") else None,
            )
            for f in self.spec.get("fields", [])
        ]

    def attachments(self) -> list[AttachmentSpec]:
        return [
            AttachmentSpec(
                code=a["code"],
                name=a["name"],
                required=a["required"],
                signed_by_all_partners=a.get("signed_by_all_partners", False),
                contents=tuple(a.get("contents", [])),
                source=self.source(a.get("source")),
            )
            for a in self.spec.get("attachments", [])
        ]

    def kpis(self) -> list[KpiSpec]:
        return [
            KpiSpec(code=k["code"], name=k["name"], unit=k["unit"], source=self.source(k.get("source")))
            for k in self.spec.get("kpis", [])
        ]

    def funding_sources(self) -> list[tuple[str, str]]:
        """(code, name) of the funding sources the plan names; codes from contract.FUNDING_SOURCES."""
        names = dict(FUNDING_SOURCES)
        items = self._part("investment").get("funding_sources", [])
        return [(i["code"], i.get("name") or names[i["code"]]) for i in items]

    def contribution_kinds(self) -> list[tuple[str, str]]:
        names = dict(CONTRIBUTION_KINDS)
        items = self._part("investment").get("contribution_kinds", [])
        return [(i["code"], i.get("name") or names[i["code"]]) for i in items]

    @property
    def construction_years(self) -> int | None:
        return self._part("construction").get("years")

    @property
    def limit_per_applicant(self) -> int | None:
        return self._part("limit_per_applicant").get("value")

    @property
    def min_total_investment(self) -> Decimal | None:
        raw = self._part("investment").get("min_total")
        return Decimal(str(raw["amount"])) if raw else None

    @property
    def min_enterprise_share(self) -> Fraction | Decimal | None:
        raw = self._part("investment").get("min_enterprise_share")
        if not raw:
            return None
        text = str(raw["value"])
        return Fraction(text) if "/" in text else Decimal(text)

    @property
    def eligible_kinds(self) -> list[str]:
        return list(self._part("applicants").get("kinds", []))

    @property
    def eligible_levels(self) -> list[str]:
        """School levels that may apply; empty means any level (or not a school type)."""
        return list(self._part("applicants").get("school_levels", []))

    @property
    def independent_required(self) -> bool:
        return bool(self._part("applicants").get("independent_required", False))

    @property
    def programme_cluster_required(self) -> bool:
        return bool(self._part("applicants").get("programme_cluster_required", False))

    def required_partners(self) -> list[dict[str, Any]]:
        return list(self.spec.get("required_partners", []))

    def lists(self) -> list[dict[str, Any]]:
        """The named lists the plan gives for this type (content areas, functions, fields, …)."""
        return list(self.spec.get("lists", []))


class IndicatorSystem(models.Model):
    """A weighted tree of indicators used by review (selection), acceptance or performance.

    The first version comes from a pack; province staff edit it by saving a new version.
    """

    class Purpose(models.TextChoices):
        SELECTION = "selection", _("遴选")
        ACCEPTANCE = "acceptance", _("验收")
        PERFORMANCE = "performance", _("绩效评价")

    pack = models.ForeignKey(
        PolicyPack, verbose_name=_("政策包"), on_delete=models.CASCADE, related_name="indicator_systems"
    )
    code = models.SlugField(_("指标体系代码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=255)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    project_type_codes = models.JSONField(_("适用项目类型"), default=list, blank=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, default=Decimal("100"))
    # The figures formula, gate and veto items are computed from: [{code, name, unit, type}]
    inputs = models.JSONField(_("计算所用数据"), default=list, blank=True)
    is_default = models.BooleanField(_("平台默认（非官方）"), default=False)
    source_section = models.CharField(_("依据章节"), max_length=64, blank=True)
    note = models.TextField(_("说明"), blank=True)
    is_current = models.BooleanField(_("现行版本"), default=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("上一版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["pack", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "code", "version"], name="indicator_system_version_unique"
            ),
            models.UniqueConstraint(
                fields=["pack", "code"], condition=Q(is_current=True), name="indicator_system_one_current"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="indicator_system_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def source(self) -> Source:
        return Source(self.pack.plan_name, self.source_section)


class Indicator(models.Model):
    """One node of an indicator tree: a group (一级/二级), a scored leaf, a gate, or a veto item."""

    class Method(models.TextChoices):
        GROUP = "group", _("分组")
        EXPERT = "expert", _("专家评分")
        FORMULA = "formula", _("按填报数据计算")
        GATE = "gate", _("达标 / 不达标")
        VETO = "veto", _("一票否决")

    system = models.ForeignKey(
        IndicatorSystem, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="indicators"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级指标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.CharField(_("编号"), max_length=32)
    level = models.PositiveSmallIntegerField(_("级别"))
    name = models.CharField(_("名称"), max_length=255)
    description = models.TextField(_("说明"), blank=True)
    method = models.CharField(_("评分方式"), max_length=16, choices=Method.choices)
    weight = models.DecimalField(_("权重（分值）"), max_digits=6, decimal_places=2, default=Decimal("0"))
    min_score = models.DecimalField(_("最低分"), max_digits=6, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("最高分"), max_digits=6, decimal_places=2, null=True, blank=True)
    formula = models.JSONField(_("计算规则"), default=dict, blank=True)
    is_default = models.BooleanField(_("平台默认（非官方）"), default=False)
    source_section = models.CharField(_("依据章节"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["system", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="indicator_code_unique_in_system"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="indicator_level_1_to_3"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="indicator_weight_not_negative"),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(max_score__gte=F("min_score")),
                name="indicator_score_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Call(models.Model):
    """A call for applications (申报通知), opened from a pinned pack version by province staff."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已截止")

    pack = models.ForeignKey(
        PolicyPack, verbose_name=_("政策包版本"), on_delete=models.PROTECT, related_name="calls"
    )
    title = models.CharField(_("标题"), max_length=255)
    description = models.TextField(_("说明"), blank=True)
    project_types = models.ManyToManyField(ProjectType, verbose_name=_("项目类型"), related_name="calls")
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    limit_per_applicant = models.PositiveSmallIntegerField(_("每单位限报数"), default=1)
    start_batch = models.PositiveSmallIntegerField(_("启动批次"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    catalogue_edition = models.ForeignKey(
        "catalog.CatalogueEdition",
        verbose_name=_("专业目录版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申报通知")
        verbose_name_plural = _("申报通知")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="call_closes_after_opens"),
            models.CheckConstraint(condition=Q(limit_per_applicant__gte=1), name="call_limit_at_least_one"),
            models.CheckConstraint(
                condition=Q(start_batch__isnull=True) | Q(start_batch__gte=1),
                name="call_start_batch_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="call_status_stored_values"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="call_published_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "closes_at"], name="call_status_closes_idx")]

    def __str__(self) -> str:
        return self.title

    def deadline_for(self, organization_id: int | None) -> dt.datetime:
        """The closing time for one applicant: the call's, or the extension granted to it."""
        if organization_id is not None:
            cache = getattr(self, "_prefetched_objects_cache", {})
            if "extensions" in cache:
                for extension in self.extensions.all():
                    if extension.applicant_id == organization_id:
                        return max(extension.until, self.closes_at)
            else:
                until = (
                    self.extensions.filter(applicant_id=organization_id)
                    .values_list("until", flat=True)
                    .first()
                )
                if until is not None:
                    return max(until, self.closes_at)
        return self.closes_at

    def is_open_for(self, organization_id: int | None, now: dt.datetime | None = None) -> bool:
        """Published, opened, and not past the applicant's deadline, by server time."""
        now = now or timezone.now()
        if self.status != self.Status.PUBLISHED:
            return False
        return self.opens_at <= now < self.deadline_for(organization_id)

    def effective_status(self, now: dt.datetime | None = None) -> str:
        """draft, published, or closed once the call's own closing time has passed."""
        now = now or timezone.now()
        if self.status == self.Status.PUBLISHED and now >= self.closes_at:
            return self.Status.CLOSED
        return self.status

    def get_effective_status_display(self) -> str:
        return str(self.Status(self.effective_status()).label)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class CityQuota(models.Model):
    """How many applications a city may recommend (推荐) to the province in a call."""

    call = models.ForeignKey(
        Call, verbose_name=_("申报通知"), on_delete=models.CASCADE, related_name="quotas"
    )
    city = models.ForeignKey(Region, verbose_name=_("城市"), on_delete=models.PROTECT, related_name="+")
    quota = models.IntegerField(_("推荐名额"))

    class Meta:
        verbose_name = _("推荐名额")
        verbose_name_plural = _("推荐名额")
        ordering = ["call", "city"]
        constraints = [
            models.UniqueConstraint(fields=["call", "city"], name="city_quota_unique"),
            models.CheckConstraint(condition=Q(quota__gte=0), name="city_quota_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.quota}"


class DeadlineExtension(models.Model):
    """A later deadline for one applicant in one call, granted by province staff with a reason."""

    call = models.ForeignKey(
        Call, verbose_name=_("申报通知"), on_delete=models.CASCADE, related_name="extensions"
    )
    applicant = models.ForeignKey(
        "orgs.Organization", verbose_name=_("申报单位"), on_delete=models.PROTECT, related_name="+"
    )
    until = models.DateTimeField(_("延至"))
    reason = models.TextField(_("理由"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("批准时间"), auto_now=True)

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        ordering = ["call", "applicant"]
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="deadline_extension_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="deadline_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} → {self.until:%Y-%m-%d %H:%M}"
