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


class TaskBook(models.Model):
    """The construction task book (建设任务书): one version of what the project promised to build.

    Version 1 is generated from the awarded application (tasks with yearly targets, KPI targets,
    the budget plan by year, source and kind); a change request, once approved, makes the next
    version. A version is confirmed by the school, then by the province; `content` never changes
    after the school confirms it.
    `content` = {"tasks": [{code, name, mandatory, plan, yearly_targets: {year: text}}],
                 "kpis": [{code, name, unit, targets: {year: value}}],
                 "budget": [{year, source, kind, amount}],
                 "leader": text, "partners": [{organization_id, name, role, amount}]}
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("待学校确认")
        SCHOOL_CONFIRMED = "school_confirmed", _("待省级确认")
        CONFIRMED = "confirmed", _("已确认")
        SUPERSEDED = "superseded", _("已被新版本取代")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="task_books")
    version = models.PositiveSmallIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.DRAFT)
    content = models.JSONField(_("任务书内容"), default=dict)
    change_request = models.OneToOneField(
        "ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="task_book"
    )
    agreement = models.ForeignKey(
        "core.Attachment",
        verbose_name=_("共建协议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    school_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_confirmed_at = models.DateTimeField(_("学校确认时间"), null=True, blank=True)
    province_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    province_confirmed_at = models.DateTimeField(_("省级确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("建设任务书")
        verbose_name_plural = _("建设任务书")
        ordering = ["project_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="task_book_version_once"),
            models.CheckConstraint(condition=Q(version__gte=1), name="task_book_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} · v{self.version}"


class ChangeRequest(models.Model):
    """A change to the task book (变更申请) asked by the school and decided by province staff."""

    class Kind(models.TextChoices):
        SCOPE = "scope", _("建设内容")
        BUDGET = "budget", _("建设预算")
        PARTNER = "partner", _("合作企业")
        LEADER = "leader", _("项目负责人")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")
        WITHDRAWN = "withdrawn", _("已撤回")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("变更类型"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("变更理由"))
    # the task book content as it would be after the change (whole sections that change)
    proposed = models.JSONField(_("变更后内容"), default=dict)
    base_version = models.PositiveSmallIntegerField(_("依据的任务书版本"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="change_request_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="change_request_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.get_kind_display()}"


USAGE_PURPOSES = (
    ("students", _("学生实践教学")),
    ("enterprise_staff", _("企业员工培训")),
    ("social", _("社会培训")),
    ("competition", _("技能竞赛")),
    ("other", _("其他")),
)
SOCIAL_GROUPS = (
    ("veterans", _("退役军人")),
    ("laid_off", _("下岗职工")),
    ("migrant_workers", _("农民工")),
    ("other", _("其他社会人员")),
)
EQUIPMENT_SOURCES = (
    ("purchase", _("采购")),
    ("donation", _("企业捐赠")),
    ("loan", _("企业借用")),
)
TECH_SERVICE_KINDS = (
    ("development", _("技术开发")),
    ("transfer", _("技术转让")),
    ("consulting", _("技术咨询")),
    ("service", _("技术服务")),
)


class ProgressReport(models.Model):
    """A periodic report (定期上报) of one construction period: funds, equipment, use, KPIs.

    One per project and period; the periods follow the pack's reporting cadence over the
    construction years. Draft → submitted → returned (with reasons) or accepted by province staff.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("退回修改")
        ACCEPTED = "accepted", _("已通过")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    period = models.PositiveSmallIntegerField(_("报告期"))  # 1 = the first period
    period_start = models.DateField(_("报告期开始"))
    period_end = models.DateField(_("报告期结束"))
    due_on = models.DateField(_("报送截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    narrative = models.TextField(_("建设进展"), blank=True)
    kpi_values = models.JSONField(_("绩效指标完成值"), default=dict, blank=True)  # kpi code → value
    tech_service_income = models.JSONField(
        _("四技服务收入（元）"), default=dict, blank=True
    )  # development / transfer / consulting / service → amount
    evidence = models.ManyToManyField(
        "core.Attachment", verbose_name=_("佐证材料"), blank=True, related_name="+"
    )
    return_reasons = models.JSONField(_("退回理由"), default=list, blank=True)
    row_version = models.PositiveIntegerField(_("修改版本"), default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("定期报告")
        verbose_name_plural = _("定期报告")
        ordering = ["project_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="progress_report_once_per_period"),
            models.CheckConstraint(condition=Q(period__gte=1), name="progress_report_period_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="progress_report_period_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="progress_report_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.period}"


class Funding(models.Model):
    """Funds received and spent in a period, by source and kind (cash or in kind)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("资金来源"), max_length=24)
    kind = models.CharField(_("投入方式"), max_length=24)
    received = models.DecimalField(_("到位金额（元）"), max_digits=14, decimal_places=2)
    spent = models.DecimalField(_("支出金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("资金投入")
        verbose_name_plural = _("资金投入")
        constraints = [
            models.UniqueConstraint(fields=["report", "source", "kind"], name="funding_once_per_source_kind"),
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(spent__gte=0), name="funding_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.kind}: {self.received}"


class EquipmentChange(models.Model):
    """A change to the project's equipment register (设备更新) reported in a period.

    The register is every accepted report's additions less its removals; an asset number is
    unique within a project's register.
    """

    class Action(models.TextChoices):
        ADD = "add", _("新增")
        REMOVE = "remove", _("报废 / 归还")

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="equipment_changes")
    action = models.CharField(_("变动"), max_length=8, choices=Action.choices, default=Action.ADD)
    asset_number = models.CharField(_("资产编号"), max_length=64)
    name = models.CharField(_("设备名称"), max_length=128)
    model = models.CharField(_("型号"), max_length=128, blank=True)
    value = models.DecimalField(_("价值（元）"), max_digits=14, decimal_places=2)
    source = models.CharField(_("来源"), max_length=16, choices=EQUIPMENT_SOURCES)
    changed_on = models.DateField(_("日期"))
    workstations = models.PositiveIntegerField(_("新增工位数"), default=0)

    class Meta:
        verbose_name = _("设备更新")
        verbose_name_plural = _("设备更新")
        ordering = ["report_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "asset_number", "action"], name="equipment_change_once_per_report"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="equipment_change_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_number} {self.name}"


class Usage(models.Model):
    """Platform use in a period (平台使用): workstation hours and people, by purpose."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="usage")
    purpose = models.CharField(_("用途"), max_length=24, choices=USAGE_PURPOSES)
    group = models.CharField(_("社会培训对象"), max_length=24, choices=SOCIAL_GROUPS, blank=True)
    hours = models.DecimalField(_("工位时数"), max_digits=12, decimal_places=1)
    people = models.PositiveIntegerField(_("人次"))

    class Meta:
        verbose_name = _("平台使用")
        verbose_name_plural = _("平台使用")
        constraints = [
            models.UniqueConstraint(fields=["report", "purpose", "group"], name="usage_once_per_purpose"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="usage_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(purpose="social") | Q(group=""), name="usage_group_only_social"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.hours}"


class PlanAlert(models.Model):
    """A plan check that failed (预警): the figure, the threshold, the rule and its source.

    Computed from the pack on every report and by the nightly run; an alert stays open until a
    later computation finds the rule met, and is then closed (kept for the record).
    """

    class Rule(models.TextChoices):
        ENTERPRISE_SHARE = "enterprise_share", _("合作企业投入占比")
        INVESTMENT_BEHIND = "investment_behind", _("累计投入进度")
        SOCIAL_SHARE = "social_share", _("社会培训工位占比")
        KPI_BEHIND = "kpi_behind", _("绩效指标年度目标")
        REPORT_MISSING = "report_missing", _("定期报告未报送")
        OVERSPENT = "overspent", _("支出超过到位资金")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alerts")
    report = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    rule = models.CharField(_("规则"), max_length=24, choices=Rule.choices)
    subject = models.CharField(_("对象"), max_length=64, blank=True)  # a KPI code, a period
    figure = models.CharField(_("当前值"), max_length=64)
    threshold = models.CharField(_("要求"), max_length=64)
    message = models.TextField(_("说明"))
    source_section = models.CharField(_("依据章节"), max_length=64, blank=True)
    is_open = models.BooleanField(_("未解除"), default=True)
    opened_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("计划预警")
        verbose_name_plural = _("计划预警")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "rule", "subject"],
                condition=Q(is_open=True),
                name="plan_alert_open_once",
            ),
        ]
        indexes = [models.Index(fields=["is_open", "rule"], name="plan_alert_open_rule_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.get_rule_display()}"
