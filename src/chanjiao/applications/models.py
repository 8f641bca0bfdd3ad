"""Applications (申报书) to a call: the draft a school edits, its immutable submitted versions, and
the recommendation chain (city endorsement, province review).

Plan rules are not here: they are read from the pinned policy pack by `chanjiao.policy.rules`.
What is here are the invariants the database holds whatever the pack says: one live application
per applicant and slot in a call, non-negative amounts, one budget line per year × source × kind,
numbered versions that never change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES


class Status(models.TextChoices):
    """DESIGN "The lifecycle"; the moves between them are `workflow.TRANSITIONS`."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回修改")
    ENDORSED = "endorsed", _("市级已推荐")
    ELIGIBLE = "eligible", _("形式审查通过")
    INELIGIBLE = "ineligible", _("形式审查未通过")
    UNDER_REVIEW = "under_review", _("评审中")
    RECOMMENDED = "recommended", _("拟推荐立项")
    NOT_RECOMMENDED = "not_recommended", _("未获推荐")
    PUBLICISED = "publicised", _("公示中")
    AWARDED = "awarded", _("已立项")
    REJECTED = "rejected", _("未立项")
    WITHDRAWN = "withdrawn", _("已撤回")


EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})

SOURCE_CODES = tuple(code for code, _label in FUNDING_SOURCES)
KIND_CODES = tuple(code for code, _label in CONTRIBUTION_KINDS)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("submitted versions are immutable")

    def delete(self):
        raise PermissionError("submitted versions are immutable")


class Application(models.Model):
    call = models.ForeignKey(
        "policy.Call", verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="applications"
    )
    project_type = models.ForeignKey(
        "policy.ProjectType", verbose_name=_("项目类型"), on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        "orgs.Organization", verbose_name=_("申报单位"), on_delete=models.PROTECT, related_name="applications"
    )
    # The applicant's city (GB/T 2260, e.g. 340100) when the application was made: the city whose
    # staff endorse it and whose quota it counts against.
    city_code = models.CharField(_("所在市"), max_length=6, db_index=True)
    # The applicant's n-th live application in the call (1 … the call's limit). Unique with call
    # and applicant, so a limit of one holds under any race; NULL once withdrawn, which frees it.
    slot = models.PositiveSmallIntegerField(_("申报序号"), null=True, blank=True)
    title = models.CharField(_("项目名称"), max_length=200, blank=True)
    summary = models.TextField(_("建设基础与目标"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    fields = models.JSONField(_("项目类型要求的其他信息"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Bumped by every write; a submission names the version it saw (a stale one is refused, 409).
    row_version = models.PositiveIntegerField(_("修改版本"), default=1)
    city_rank = models.PositiveSmallIntegerField(_("市级推荐排序"), null=True, blank=True)
    endorsed_at = models.DateTimeField(_("市级推荐时间"), null=True, blank=True)
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推荐人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("省级受理时间"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申报书")
        verbose_name_plural = _("申报书")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant", "slot"], name="application_one_per_slot"),
            models.CheckConstraint(
                condition=Q(slot__isnull=True) | Q(slot__gte=1), name="application_slot_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(slot__isnull=False) | Q(status="withdrawn"), name="application_live_has_slot"
            ),
            models.UniqueConstraint(
                fields=["call", "city_code", "city_rank"],
                condition=Q(city_rank__isnull=False),
                name="application_city_rank_unique",
            ),
        ]
        indexes = [models.Index(fields=["call", "status"], name="application_call_status_idx")]

    def __str__(self) -> str:
        return self.title or f"{self.applicant} · {self.project_type}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class Partner(models.Model):
    """A co-building organisation (共建单位) with its role and what it brings."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=32, choices=PARTNER_ROLES)
    contribution = models.TextField(_("投入与分工"), blank=True)
    contribution_amount = models.DecimalField(
        _("承诺投入（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("共建单位")
        verbose_name_plural = _("共建单位")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "organization"], name="partner_once_per_application"
            ),
            models.CheckConstraint(
                condition=Q(contribution_amount__isnull=True) | Q(contribution_amount__gte=0),
                name="partner_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_role_display()}"


class ProgrammeChoice(models.Model):
    """A programme of the cluster (专业群), by its code in the call's catalogue edition."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="programmes")
    code = models.CharField(_("专业代码"), max_length=7)
    name = models.CharField(_("专业名称"), max_length=128, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("专业群专业")
        verbose_name_plural = _("专业群专业")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="programme_once_per_application")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TaskPlan(models.Model):
    """A construction task (建设任务) chosen by the applicant, with its plan and yearly targets."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tasks")
    task_code = models.CharField(_("任务代码"), max_length=32)
    plan = models.TextField(_("建设内容与举措"), blank=True)
    # {"1": "第一年目标", "2": …}: keyed by construction year (1 = the first year)
    yearly_targets = models.JSONField(_("年度目标"), default=dict, blank=True)

    class Meta:
        verbose_name = _("建设任务")
        verbose_name_plural = _("建设任务")
        ordering = ["task_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "task_code"], name="task_once_per_application")
        ]

    def __str__(self) -> str:
        return self.task_code


class BudgetLine(models.Model):
    """Investment in one construction year, from one source, of one kind (yuan, two places)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField(_("建设年度"))  # 1 = the first construction year
    source = models.CharField(_("资金来源"), max_length=24, choices=FUNDING_SOURCES)
    kind = models.CharField(_("投入方式"), max_length=24, choices=CONTRIBUTION_KINDS)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("预算明细")
        verbose_name_plural = _("预算明细")
        ordering = ["year", "source", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "year", "source", "kind"], name="budget_line_unique_cell"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
            models.CheckConstraint(condition=Q(year__gte=1), name="budget_year_gte_1"),
            models.CheckConstraint(condition=Q(source__in=SOURCE_CODES), name="budget_source_known"),
            models.CheckConstraint(condition=Q(kind__in=KIND_CODES), name="budget_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.source} {self.kind} {self.amount}"


class KpiTarget(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="kpis")
    kpi_code = models.CharField(_("指标代码"), max_length=64)
    year = models.PositiveSmallIntegerField(_("建设年度"))
    value = models.DecimalField(_("目标值"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("绩效目标")
        verbose_name_plural = _("绩效目标")
        ordering = ["kpi_code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kpi_code", "year"], name="kpi_target_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="kpi_value_not_negative"),
            models.CheckConstraint(condition=Q(year__gte=1), name="kpi_year_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_code} {self.year}: {self.value}"


class ApplicationAttachment(models.Model):
    """A stored file (core.Attachment) attached as one of the project type's attachment specs."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    attachment = models.ForeignKey(
        "core.Attachment", verbose_name=_("文件"), on_delete=models.PROTECT, related_name="+"
    )
    spec_code = models.CharField(_("附件类别"), max_length=64)
    signed_by = models.ManyToManyField(
        "orgs.Organization", verbose_name=_("签署单位"), blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报附件")
        verbose_name_plural = _("申报附件")
        ordering = ["spec_code", "id"]

    def __str__(self) -> str:
        return f"{self.spec_code}: {self.attachment}"


class ApplicationVersion(models.Model):
    """One submission: the whole application as submitted, numbered 1, 2, … Never changed."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("提交内容"))
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=128, null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报书版本")
        verbose_name_plural = _("申报书版本")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["application", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="version_idempotency_key_unique",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.application} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("submitted versions are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("submitted versions are immutable")


class ReturnNote(models.Model):
    """Why an application was returned for correction (退回修改), by whom, from which state."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="return_notes")
    reasons = models.JSONField(_("退回理由"), default=list)
    from_status = models.CharField(_("退回前状态"), max_length=24, choices=Status.choices)
    version_number = models.PositiveIntegerField(_("针对的版本"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("退回人"), on_delete=models.PROTECT, related_name="+"
    )
    returned_by_org = models.CharField(_("退回单位"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("退回时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("退回意见")
        verbose_name_plural = _("退回意见")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return "；".join(self.reasons)


class ApplicationEvent(models.Model):
    """The application's history as its people read it: each transition, by whom, when."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    actor_org = models.CharField(_("操作单位"), max_length=128, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报记录")
        verbose_name_plural = _("申报记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class CallPublication(models.Model):
    """The province published what a call received (受理名单公开): the public page shows it from then."""

    call = models.OneToOneField(
        "policy.Call",
        verbose_name=_("申报通知"),
        on_delete=models.CASCADE,
        related_name="received_publication",
    )
    received_list_published_at = models.DateTimeField(_("公开时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("公开人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("受理名单公开")
        verbose_name_plural = _("受理名单公开")

    def __str__(self) -> str:
        return f"{self.call} · {self.received_list_published_at:%Y-%m-%d}"
