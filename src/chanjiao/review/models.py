"""Expert review: the expert pool, review rounds, conflicts of interest and reviewer assignments.

A round (`ReviewRound`) is one review of one project type in one call: selection now, acceptance
and performance later, with the same pool, conflicts and assignment. What the database holds
whatever a service says: one profile per person in a province's pool, one round per call, type and
kind, one conflict per kind and pair, one assignment per pair, a reason on every waiver and every
assignment made or removed by hand.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chanjiao.core.models import Region

DEFAULT_REVIEWS_PER_APPLICATION = 5
DEFAULT_LOAD_CAP = 20
DEFAULT_MAX_EXCLUSIONS = 3
DEFAULT_RESERVES = 2
DEFAULT_PUBLICITY_DAYS = 5


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Writes Chinese as itself rather than as \\uXXXX escapes: a third of the bytes, and nothing for a
    driver to escape when thousands of explanations are inserted at once."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def codes_text(codes) -> str:
    """ ",46,51,": a list of codes as text a LIKE can search on both databases (`,46,` finds 46)."""
    return "," + ",".join(codes) + "," if codes else ""


class ExpertProfile(models.Model):
    """An expert in a province's pool: who, where they work, and what they know."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="expert_profiles",
    )
    province = models.ForeignKey(
        Region, verbose_name=_("所属专家库（省）"), on_delete=models.PROTECT, related_name="+"
    )
    employer = models.ForeignKey(
        "orgs.Organization", verbose_name=_("工作单位"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("职称 / 职务"), max_length=64, blank=True)
    is_industry = models.BooleanField(_("来自行业企业"), default=False)
    programme_categories = models.JSONField(_("专业大类"), default=list, blank=True)
    industries = models.JSONField(_("行业（GB/T 4754）"), default=list, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所在地区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("在库"), default=True)
    note = models.TextField(_("备注"), blank=True)
    # The code lists as text for filtering (`,46,`): JSON containment differs between the databases.
    categories_text = models.CharField(max_length=255, blank=True, editable=False)
    industries_text = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("专家")
        verbose_name_plural = _("专家库")
        ordering = ["user__display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["province", "user"], name="expert_once_per_pool"),
        ]
        indexes = [models.Index(fields=["province", "is_active"], name="expert_pool_active_idx")]

    def __str__(self) -> str:
        return str(self.user)

    def save(self, *args, **kwargs):
        self.categories_text = codes_text(self.programme_categories)
        self.industries_text = codes_text(self.industries)
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.user.display_name or self.user.username


class EducationGroup(models.Model):
    """A vocational education group (职业教育集团（联盟）): its members review none of each other."""

    name = models.CharField(_("名称"), max_length=128)
    province = models.ForeignKey(Region, verbose_name=_("所属省"), on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(
        "orgs.Organization", verbose_name=_("成员单位"), through="EducationGroupMember", related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("职业教育集团")
        verbose_name_plural = _("职业教育集团")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="education_group_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class EducationGroupMember(models.Model):
    group = models.ForeignKey(EducationGroup, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("集团成员")
        verbose_name_plural = _("集团成员")
        constraints = [
            models.UniqueConstraint(fields=["group", "organization"], name="education_group_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} · {self.organization_id}"


class ReviewRound(models.Model):
    """One review of one project type in one call, with its settings (the call's review settings)."""

    class Kind(models.TextChoices):
        SELECTION = "selection", _("遴选评审")
        ACCEPTANCE = "acceptance", _("验收评审")
        PERFORMANCE = "performance", _("绩效评价")

    class Status(models.TextChoices):
        SETUP = "setup", _("准备中")
        ASSIGNED = "assigned", _("专家评分中")
        PANEL = "panel", _("专家组合议")
        RECOMMENDED = "recommended", _("推荐名单已确定")
        PUBLICISED = "publicised", _("公示中")
        CLOSED = "closed", _("已结束")

    class RankingMethod(models.TextChoices):
        MEAN = "mean", _("算术平均分")
        TRIMMED_MEAN = "trimmed_mean", _("去掉一个最高分和一个最低分后的平均分")
        ZSCORE = "zscore", _("标准分（按专家标准化后）")

    call = models.ForeignKey(
        "policy.Call", verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="review_rounds"
    )
    project_type = models.ForeignKey(
        "policy.ProjectType", verbose_name=_("项目类型"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("评审类型"), max_length=16, choices=Kind.choices, default=Kind.SELECTION)
    name = models.CharField(_("名称"), max_length=200)
    indicator_system = models.ForeignKey(
        "policy.IndicatorSystem",
        verbose_name=_("指标体系"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviews_per_application = models.PositiveSmallIntegerField(
        _("每项申报评审专家数"), default=DEFAULT_REVIEWS_PER_APPLICATION
    )
    load_cap = models.PositiveSmallIntegerField(_("每位专家评审上限"), default=DEFAULT_LOAD_CAP)
    max_exclusions = models.PositiveSmallIntegerField(
        _("每项申报可申请回避的专家数"), default=DEFAULT_MAX_EXCLUSIONS
    )
    exclusions_close_at = models.DateTimeField(_("申请回避截止时间"), null=True, blank=True)
    same_city_conflict = models.BooleanField(_("同城专家回避"), default=False)
    reserves = models.PositiveSmallIntegerField(_("随机抽取的候补人数"), default=DEFAULT_RESERVES)
    review_deadline = models.DateTimeField(_("评审截止时间"), null=True, blank=True)
    ranking_method = models.CharField(
        _("排序方法"), max_length=16, choices=RankingMethod.choices, default=RankingMethod.TRIMMED_MEAN
    )
    # None: the project type's target over the pack's start batches (30 / 3 = 10), see ranking
    quota = models.PositiveSmallIntegerField(_("本批推荐名额"), null=True, blank=True)
    disagreement_threshold = models.DecimalField(
        _("分歧提示阈值（分）"), max_digits=6, decimal_places=2, default=Decimal("15")
    )
    publicity_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=DEFAULT_PUBLICITY_DAYS)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SETUP)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评审轮次")
        verbose_name_plural = _("评审轮次")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One selection round per call and type; acceptance and performance rounds are opened
            # per batch by the projects app (RoundSubject names what they review).
            models.UniqueConstraint(
                fields=["call", "project_type"],
                condition=Q(kind="selection"),
                name="review_round_once_per_type",
            ),
            models.CheckConstraint(
                condition=Q(reviews_per_application__gte=1), name="review_round_reviews_at_least_one"
            ),
            models.CheckConstraint(condition=Q(load_cap__gte=1), name="review_round_load_cap_at_least_one"),
            models.CheckConstraint(
                condition=Q(publicity_days__gte=1), name="review_round_publicity_at_least_one_day"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def province_code(self) -> str:
        return (self.call.pack.region_id or "")[:2]


class RoundSubject(models.Model):
    """An application a later round (acceptance, performance) reviews, named by whoever opens it.

    A selection round reviews its call's applications under review; an acceptance or performance
    round reviews the awarded applications of the projects in its batch, which the projects app
    names here with the figures it computed from their reports (`inputs`: input code → value, as
    the round's indicator system names them). The scoring sheet shows those figures and scores the
    formula and gate indicators from them.
    """

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="subjects")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="review_subjects"
    )
    inputs = models.JSONField(_("计算指标"), encoder=UnicodeJSONEncoder, default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("评审对象")
        verbose_name_plural = _("评审对象")
        ordering = ["round_id", "application_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "application"], name="round_subject_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.application_id}"


class Availability(models.Model):
    """Whether an expert takes part in a round, and their own load cap when it differs."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="availabilities")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="availabilities")
    available = models.BooleanField(_("可参加"), default=True)
    load_cap = models.PositiveSmallIntegerField(_("评审上限"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("专家可参加情况")
        verbose_name_plural = _("专家可参加情况")
        constraints = [
            models.UniqueConstraint(fields=["round", "expert"], name="availability_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} · {'✓' if self.available else '✗'}"


class Exclusion(models.Model):
    """An expert the applicant asks to keep away from its application (申请回避), with the reason.

    The applicant names the person (and, to tell namesakes apart, their organisation); it never
    sees the pool. Conflicts match the name against the pool when they are computed.
    """

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="review_exclusions"
    )
    expert_name = models.CharField(_("专家姓名"), max_length=64)
    employer_name = models.CharField(_("专家所在单位"), max_length=128, blank=True)
    reason = models.TextField(_("理由"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请回避")
        verbose_name_plural = _("申请回避")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert_name", "employer_name"], name="exclusion_once_per_person"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="exclusion_has_reason"),
            models.CheckConstraint(condition=~Q(expert_name=""), name="exclusion_has_name"),
        ]

    def __str__(self) -> str:
        return self.expert_name


class Conflict(models.Model):
    """A conflict of interest between an expert and an application in a round, and why.

    Computed ones are found by the rules (conflicts.py) and stored with what they found in
    `details`; the words are made when shown, so they read in the reader's language. An expert
    declares one, staff add one, each with a reason; staff may waive one, with a reason.
    """

    class Kind(models.TextChoices):
        EMPLOYER_IS_PARTY = "employer_is_party", _("专家所在单位是申报方")
        SAME_GROUP = "same_group", _("同一法人或同一集团")
        EDUCATION_GROUP = "education_group", _("同一职业教育集团")
        EXCLUSION = "exclusion", _("申报单位申请回避")
        NAMED = "named", _("专家本人出现在申报书中")
        SAME_CITY = "same_city", _("同城")
        DECLARED = "declared", _("专家本人申报回避")
        STAFF = "staff", _("管理员认定回避")

    class Source(models.TextChoices):
        COMPUTED = "computed", _("规则计算")
        DECLARED = "declared", _("专家申报")
        STAFF = "staff", _("管理员添加")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="conflicts")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="conflicts")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="review_conflicts"
    )
    kind = models.CharField(_("回避类型"), max_length=24, choices=Kind.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    details = models.JSONField(_("依据"), encoder=UnicodeJSONEncoder, default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("认定时间"), auto_now_add=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("豁免人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    waived_at = models.DateTimeField(_("豁免时间"), null=True, blank=True)
    waive_reason = models.TextField(_("豁免理由"), blank=True)

    class Meta:
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")
        ordering = ["application_id", "expert_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "expert", "application", "kind"], name="conflict_once_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True) | ~Q(waive_reason=""), name="conflict_waiver_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(source="computed") | ~Q(reason=""), name="conflict_declared_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["round", "application"], name="conflict_round_app_idx")]

    def __str__(self) -> str:
        return f"{self.expert} × {self.application_id}: {self.get_kind_display()}"

    @property
    def is_waived(self) -> bool:
        return self.waived_at is not None


class AssignmentRun(models.Model):
    """One run of the exact solve or of the random draw, with what went in and what came out.

    A draw keeps its seed and its inputs (the applications, the experts, their capacities and the
    eligible pairs, with a digest), so it can be drawn again and compared.
    """

    class Method(models.TextChoices):
        EXACT = "exact", _("最优分配")
        DRAW = "draw", _("随机抽取")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="runs")
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices)
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True)
    parameters = models.JSONField(_("输入"), encoder=UnicodeJSONEncoder, default=dict)
    result = models.JSONField(_("结果"), encoder=UnicodeJSONEncoder, default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("执行人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("执行时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分配记录")
        verbose_name_plural = _("分配记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method="exact") | Q(seed__isnull=False), name="assignment_run_draw_has_seed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.get_method_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """An expert assigned to review an application in a round (or held in reserve by a draw)."""

    class Method(models.TextChoices):
        EXACT = "exact", _("最优分配")
        DRAW = "draw", _("随机抽取")
        MANUAL = "manual", _("人工调整")

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="assignments")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="review_assignments"
    )
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices)
    run = models.ForeignKey(
        AssignmentRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    affinity = models.PositiveIntegerField(_("匹配度"), default=0)
    explanation = models.JSONField(_("分配说明"), encoder=UnicodeJSONEncoder, default=dict, blank=True)
    reserve = models.BooleanField(_("候补"), default=False)
    reserve_rank = models.PositiveSmallIntegerField(_("候补顺序"), null=True, blank=True)
    reason = models.TextField(_("调整理由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("分配人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评审分配")
        verbose_name_plural = _("评审分配")
        ordering = ["application_id", "reserve", "reserve_rank", "-affinity", "expert_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "expert", "application"], name="assignment_once_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(method="manual") | ~Q(reason=""), name="assignment_manual_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(reserve=False) | Q(reserve_rank__isnull=False), name="assignment_reserve_ranked"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "application"], name="assignment_round_app_idx"),
            models.Index(fields=["round", "expert"], name="assignment_round_expert_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.application_id}"


class ScoreSheet(models.Model):
    """One expert's scoring of one application in a round: a draft until submitted, or recused.

    `scores` maps leaf code → value (as typed, checked by aggregation.validate_sheet), `vetoes` the
    veto codes marked, `comments` first-level code → comment. `total` is computed on submission
    (aggregation.sheet_total) and never typed. Other experts never see a sheet before the round's
    panel stage; staff and the observer see submitted sheets.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RECUSED = "recused", _("已回避")

    class Recommendation(models.TextChoices):
        STRONG = "strong", _("强烈推荐")
        RECOMMEND = "recommend", pgettext_lazy("recommendation", "推荐")
        RESERVED = "reserved", _("有保留地推荐")
        NOT_RECOMMENDED = "not_recommended", _("不推荐")

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="sheet")
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="sheets")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="sheets")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="review_sheets"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    scores = models.JSONField(_("各项得分"), encoder=UnicodeJSONEncoder, default=dict, blank=True)
    vetoes = models.JSONField(_("一票否决项"), encoder=UnicodeJSONEncoder, default=list, blank=True)
    comments = models.JSONField(_("分项评语"), encoder=UnicodeJSONEncoder, default=dict, blank=True)
    overall_comment = models.TextField(_("总体评价"), blank=True)
    recommendation = models.CharField(
        _("推荐意见"), max_length=16, choices=Recommendation.choices, blank=True
    )
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2, null=True, blank=True)
    recusal_reason = models.TextField(_("回避理由"), blank=True)
    row_version = models.PositiveIntegerField(_("修改版本"), default=1)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")
        ordering = ["application_id", "expert_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "expert", "application"], name="score_sheet_once_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | (Q(total__isnull=False) & Q(submitted_at__isnull=False)),
                name="score_sheet_submitted_has_total",
            ),
            models.CheckConstraint(
                condition=~Q(status="recused") | ~Q(recusal_reason=""), name="score_sheet_recusal_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="score_sheet_round_status_idx")]

    def __str__(self) -> str:
        return f"{self.expert} · {self.application_id} · {self.get_status_display()}"


class RankingOverride(models.Model):
    """The panel moved an application to another rank, with its reason (applied in order)."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="overrides")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    to_rank = models.PositiveSmallIntegerField(_("调整后名次"))
    before_rank = models.PositiveSmallIntegerField(_("调整前名次"))
    before_recommended = models.BooleanField(_("调整前是否推荐"))
    after_recommended = models.BooleanField(_("调整后是否推荐"))
    reason = models.TextField(_("理由"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调整人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("排名调整")
        verbose_name_plural = _("排名调整")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="ranking_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.to_rank}"


class RankingEntry(models.Model):
    """The round's ranking as it stood when the recommendation was settled (a frozen record)."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="results")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="ranking_entries"
    )
    rank = models.PositiveSmallIntegerField(_("名次"), null=True, blank=True)  # None: vetoed
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    mean = models.DecimalField(_("算术平均分"), max_digits=7, decimal_places=2)
    trimmed_mean = models.DecimalField(_("去掉最高最低分后的平均分"), max_digits=7, decimal_places=2)
    zscore = models.DecimalField(_("标准分"), max_digits=7, decimal_places=2)
    sheets = models.PositiveSmallIntegerField(_("评分表数"))
    spread = models.DecimalField(_("极差"), max_digits=7, decimal_places=2)
    disagreement = models.BooleanField(_("分歧较大"), default=False)
    tied = models.BooleanField(_("并列"), default=False)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    veto_codes = models.JSONField(_("否决项"), encoder=UnicodeJSONEncoder, default=list, blank=True)
    overridden = models.BooleanField(_("经专家组调整"), default=False)
    recommended = models.BooleanField(_("拟推荐"), default=False)
    created_at = models.DateTimeField(_("确定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("排名结果")
        verbose_name_plural = _("排名结果")
        ordering = ["round_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "application"], name="ranking_entry_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.rank} · {self.application_id}"


class Publicity(models.Model):
    """The recommended list of a round published for a period (公示) on a public page."""

    round = models.OneToOneField(ReviewRound, on_delete=models.PROTECT, related_name="publicity")
    title = models.CharField(_("公示标题"), max_length=255)
    body = models.TextField(_("公示说明"), blank=True)
    contact = models.CharField(_("异议受理联系方式"), max_length=255, blank=True)
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示截止日期"))
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("noun", "公示")
        verbose_name_plural = pgettext_lazy("noun", "公示")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="publicity_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """An objection (异议) raised during publicity, in the objector's real name, and its answer."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上提交")
        LETTER = "letter", _("书面材料")
        PHONE = "phone", _("电话")
        VISIT = "visit", _("来访")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("异议成立")
        PARTLY = "partly", _("部分成立")
        DISMISSED = "dismissed", _("异议不成立")

    publicity = models.ForeignKey(Publicity, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("针对的项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
    )
    name = models.CharField(_("异议人姓名"), max_length=64)
    organization_name = models.CharField(_("异议人单位"), max_length=128, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32)
    email = models.EmailField(_("电子邮箱"), blank=True)
    content = models.TextField(_("异议内容"))
    channel = models.CharField(_("提交方式"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer = models.TextField(_("处理意见"), blank=True)
    outcome = models.CharField(_("处理结论"), max_length=16, choices=Outcome.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(content=""), name="objection_has_content"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | (~Q(answer="") & ~Q(outcome="")),
                name="objection_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.received_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
