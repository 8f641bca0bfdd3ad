"""Awarded projects (立项项目) and the province's decision on each publicised application.

The province's decision (立项决定) on an application that has been through publicity is recorded
once (`AwardDecision`): awarded, with the approved budget and the start batch, or rejected, with
its reasons. An awarded application becomes a `Project`, which is then built, reported on,
accepted and assessed (DESIGN "The lifecycle").
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AwardDecision(models.Model):
    """The province's decision on one publicised application: awarded or rejected, and why."""

    class Outcome(models.TextChoices):
        AWARDED = "awarded", _("立项")
        REJECTED = "rejected", _("不予立项")

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="award_decision"
    )
    outcome = models.CharField(_("决定"), max_length=16, choices=Outcome.choices)
    approved_budget = models.DecimalField(
        _("批准的省级财政支持（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    start_batch = models.PositiveSmallIntegerField(_("启动批次"), null=True, blank=True)
    reasons = models.JSONField(_("理由"), default=list, blank=True)
    document_number = models.CharField(_("立项文号"), max_length=64, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("立项决定")
        verbose_name_plural = _("立项决定")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="awarded")
                | (Q(approved_budget__isnull=False) & Q(approved_budget__gte=0) & Q(start_batch__gte=1)),
                name="award_decision_awarded_has_budget_and_batch",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="rejected") | ~Q(reasons=[]), name="award_decision_rejected_has_reasons"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.get_outcome_display()}"


class Project(models.Model):
    """An awarded application under construction, then accepted and assessed."""

    class Status(models.TextChoices):
        UNDER_CONSTRUCTION = "under_construction", _("建设中")
        IN_ACCEPTANCE = "in_acceptance", _("验收中")
        RECTIFYING = "rectifying", _("整改中")
        ACCEPTED = "accepted", _("已通过验收")
        FAILED = "failed", _("未通过验收")
        TERMINATED = "terminated", _("已中止")

    application = models.OneToOneField(
        "applications.Application", verbose_name=_("申报书"), on_delete=models.PROTECT, related_name="project"
    )
    decision = models.OneToOneField(AwardDecision, on_delete=models.PROTECT, related_name="project")
    code = models.CharField(_("项目编号"), max_length=64, unique=True)
    title = models.CharField(_("项目名称"), max_length=200)
    call = models.ForeignKey(
        "policy.Call", verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="+"
    )
    project_type = models.ForeignKey(
        "policy.ProjectType", verbose_name=_("项目类型"), on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("建设单位"), on_delete=models.PROTECT, related_name="projects"
    )
    city_code = models.CharField(_("所在市"), max_length=6, db_index=True)
    province_code = models.CharField(_("所在省"), max_length=6, db_index=True)
    approved_budget = models.DecimalField(_("批准的省级财政支持（元）"), max_digits=14, decimal_places=2)
    planned_total = models.DecimalField(
        _("计划总投入（元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    planned_enterprise = models.DecimalField(
        _("计划企业投入（元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    start_batch = models.PositiveSmallIntegerField(_("启动批次"))
    starts_on = models.DateField(_("建设开始日期"))
    construction_years = models.PositiveSmallIntegerField(_("建设期（年）"))
    ends_on = models.DateField(_("建设结束日期"))
    status = models.CharField(
        _("状态"), max_length=24, choices=Status.choices, default=Status.UNDER_CONSTRUCTION
    )
    created_at = models.DateTimeField(_("立项时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("立项项目")
        verbose_name_plural = _("立项项目")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(approved_budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(condition=Q(start_batch__gte=1), name="project_start_batch_positive"),
            models.CheckConstraint(condition=Q(construction_years__gte=1), name="project_years_positive"),
        ]
        indexes = [
            models.Index(fields=["province_code", "status"], name="project_province_status_idx"),
            models.Index(fields=["project_type", "status"], name="project_type_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
