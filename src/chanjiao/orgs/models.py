from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chanjiao.core.models import Region
from chanjiao.core.permissions import Role
from chanjiao.core.validators import validate_mobile, validate_uscc


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", _("教育行政部门")
    SCHOOL = "school", _("学校")
    ENTERPRISE = "enterprise", _("企业")
    ASSOCIATION = "association", _("行业协会")
    EVALUATION_ORG = "evaluation_org", _("培训评价组织")
    RESEARCH = "research", _("科研院所")
    OTHER = "other", _("其他")


class DeptLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class SchoolLevel(models.TextChoices):
    SECONDARY = "secondary", _("中职")
    ASSOCIATE = "associate", _("高职专科")
    VOCATIONAL_BACHELOR = "vocational_bachelor", _("职业本科")
    APPLIED_BACHELOR = "applied_bachelor", _("应用型本科")


class SponsorKind(models.TextChoices):
    GOVERNMENT = "government", _("政府举办")
    ENTERPRISE = "enterprise", _("企业举办")
    PRIVATE = "private", _("民办")
    OTHER = "other", _("其他")


class EnterpriseSize(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class Ownership(models.TextChoices):
    STATE = "state", _("国有")
    COLLECTIVE = "collective", _("集体")
    PRIVATE = "private", _("民营")
    FOREIGN = "foreign", _("外资")
    HMT = "hmt", _("港澳台资")
    MIXED = "mixed", _("混合所有制")


class Organization(models.Model):
    """Any party on the platform: a department, a school, an enterprise, an association, …"""

    name = models.CharField(_("单位名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    kind = models.CharField(_("单位类型"), max_length=24, choices=OrgKind.choices, db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="+")
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, validators=[validate_uscc]
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位 / 母公司"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
    )
    # department
    dept_level = models.CharField(_("行政层级"), max_length=16, choices=DeptLevel.choices, blank=True)
    # school
    school_level = models.CharField(_("办学层次"), max_length=24, choices=SchoolLevel.choices, blank=True)
    sponsor = models.CharField(_("举办方"), max_length=128, blank=True)
    sponsor_kind = models.CharField(_("举办性质"), max_length=16, choices=SponsorKind.choices, blank=True)
    is_independent = models.BooleanField(_("独立设置"), default=True)
    # enterprise
    industry = models.ForeignKey(
        "catalog.Industry",
        verbose_name=_("所属行业（GB/T 4754）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    size = models.CharField(_("企业规模"), max_length=16, choices=EnterpriseSize.choices, blank=True)
    ownership = models.CharField(_("所有制"), max_length=16, choices=Ownership.choices, blank=True)
    # contact
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    website = models.URLField(_("网址"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=Q(uscc__isnull=False), name="org_uscc_unique"),
            models.CheckConstraint(
                condition=~Q(kind="department") | ~Q(dept_level=""), name="department_has_level"
            ),
            models.CheckConstraint(
                condition=~Q(kind="school") | ~Q(school_level=""), name="school_has_level"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "kind"], name="org_region_kind_idx"),
            models.Index(fields=["kind", "name"], name="org_kind_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_display(self) -> str:
        if self.kind == OrgKind.DEPARTMENT:
            return self.get_dept_level_display()
        if self.kind == OrgKind.SCHOOL:
            return self.get_school_level_display()
        if self.kind == OrgKind.ENTERPRISE:
            return self.get_size_display()
        return ""


class User(AbstractUser):
    """A person. Their roles come from memberships in organisations."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True, validators=[validate_mobile])
    title = models.CharField(_("职务 / 职称"), max_length=64, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    first_failed_login_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


class Membership(models.Model):
    """A person's role in an organisation. A person acts for one organisation at a time."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        ordering = ["organization__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey(
        Organization, verbose_name=_("代表单位"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
