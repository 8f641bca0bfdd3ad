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
from django.db.models import F, Q
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
        SOCIAL_SHARE = "social_share", _("向企业或社会提供的工位占比")
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


class Assessment(models.Model):
    """A batch of projects accepted (验收) or assessed (绩效评价) together, through one review round.

    The province opens a batch over some of a call's projects of one type; the school of each
    writes its self-assessment; the experts of the batch's `round` (a `review.ReviewRound` of kind
    acceptance or performance, whose `RoundSubject`s are the projects' applications with the figures
    computed from their reports) score them with the pack's indicator system, reusing the review's
    conflicts, assignment, scoring and aggregation; the province then concludes: a grade per project
    (acceptance) or an outcome with its reason (performance). Performance is yearly (`year`) or at
    the end of construction (`is_final`).
    """

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("验收")
        PERFORMANCE = "performance", _("绩效评价")

    class Status(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", _("学校自评中")
        REVIEWING = "reviewing", _("专家评审中")
        CONCLUDED = "concluded", _("已出结论")
        CLOSED = "closed", _("已结束")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    call = models.ForeignKey(
        "policy.Call", verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="+"
    )
    project_type = models.ForeignKey(
        "policy.ProjectType", verbose_name=_("项目类型"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(_("所在省"), max_length=6, db_index=True)
    batch = models.PositiveSmallIntegerField(_("批次"), default=1)
    year = models.PositiveSmallIntegerField(_("年度"))
    is_final = models.BooleanField(_("期末评价"), default=False)
    round = models.OneToOneField(
        "review.ReviewRound",
        verbose_name=_("评审轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment",
    )
    self_assessment_due = models.DateField(_("自评报告截止日期"))
    excellent_min = models.DecimalField(
        _("优秀分数线"), max_digits=5, decimal_places=2, default=Decimal("90")
    )
    pass_min = models.DecimalField(_("合格分数线"), max_digits=5, decimal_places=2, default=Decimal("60"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SELF_ASSESSMENT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("验收与绩效评价批次")
        verbose_name_plural = _("验收与绩效评价批次")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "call", "project_type", "batch", "year", "is_final"],
                name="assessment_once_per_batch",
            ),
            models.CheckConstraint(condition=Q(batch__gte=1), name="assessment_batch_positive"),
            models.CheckConstraint(
                condition=Q(pass_min__gte=0) & Q(excellent_min__gte=F("pass_min")),
                name="assessment_grade_lines_ordered",
            ),
        ]
        indexes = [models.Index(fields=["province_code", "kind", "status"], name="assessment_scope_idx")]

    def __str__(self) -> str:
        return self.name


class AssessmentEntry(models.Model):
    """One project in a batch: its self-assessment, the figures computed from its reports, the
    experts' score and the conclusion (a grade for acceptance, an outcome for performance)."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")

    class Outcome(models.TextChoices):
        REWARD = "reward", _("给予奖励")
        CONTINUE = "continue", _("继续支持")
        REDUCED_SUPPORT = "reduced_support", _("减小支持力度或不再作为重点支持项目")
        ADJUST = "adjust", _("调整")
        TERMINATE = "terminate", _("中止")

    class Result(models.TextChoices):
        PENDING = "pending", _("待定")
        PASSED = "passed", _("通过")
        RECTIFYING = "rectifying", _("整改中")
        FAILED = "failed", _("未通过")
        DECIDED = "decided", _("已决定")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="entries")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="assessment_entries")
    self_assessment = models.TextField(_("自评报告"), blank=True)
    self_score = models.DecimalField(_("自评得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    self_attachments = models.ManyToManyField(
        "core.Attachment", verbose_name=_("自评佐证材料"), blank=True, related_name="+"
    )
    self_submitted_at = models.DateTimeField(_("自评提交时间"), null=True, blank=True)
    inputs = models.JSONField(_("计算指标"), default=dict, blank=True)
    score = models.DecimalField(_("专家评分"), max_digits=7, decimal_places=2, null=True, blank=True)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    grade = models.CharField(_("验收等级"), max_length=16, choices=Grade.choices, blank=True)
    outcome = models.CharField(_("绩效评价结果"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("结论理由"), blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=Result.choices, default=Result.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("验收与绩效评价对象")
        verbose_name_plural = _("验收与绩效评价对象")
        ordering = ["assessment_id", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "project"], name="assessment_entry_once"),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | ~Q(reason=""),
                name="assessment_entry_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(outcome=""), name="assessment_entry_grade_or_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} · {self.project_id}"


class Rectification(models.Model):
    """整改: a project graded 不合格 (or 合格 with conditions) mends by a deadline, resubmits, and
    the province re-checks it: passed or failed, with its note. One per entry."""

    class Status(models.TextChoices):
        OPEN = "open", _("整改中")
        RESUBMITTED = "resubmitted", _("已提交整改报告")
        PASSED = "passed", _("复核通过")
        FAILED = "failed", _("复核未通过")

    entry = models.OneToOneField(AssessmentEntry, on_delete=models.CASCADE, related_name="rectification")
    requirements = models.TextField(_("整改要求"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    report = models.TextField(_("整改报告"), blank=True)
    attachments = models.ManyToManyField(
        "core.Attachment", verbose_name=_("整改佐证材料"), blank=True, related_name="+"
    )
    resubmitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    recheck_note = models.TextField(_("复核意见"), blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rechecked_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下达人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(requirements=""), name="rectification_has_requirements"),
            models.CheckConstraint(
                condition=Q(rechecked_at__isnull=True) | ~Q(recheck_note=""),
                name="rectification_recheck_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} · {self.get_status_display()}"
