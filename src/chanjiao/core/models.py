from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An administrative division (GB/T 2260): six-digit code, province / city / county."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    full_name = models.CharField(_("全称"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{6}$"), name="region_code_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        return None if self.level == self.Level.PROVINCE else self.code[:4] + "00"


class PilotZone(models.Model):
    """A named group of regions, such as the 皖江 pilot zone, with the source that defines it."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    source = models.CharField(_("依据"), max_length=255, blank=True)
    regions = models.ManyToManyField(Region, verbose_name=_("成员区划"), related_name="pilot_zones")

    class Meta:
        verbose_name = _("试验区")
        verbose_name_plural = _("试验区")

    def __str__(self) -> str:
        return self.name

    def member_codes(self) -> set[str]:
        """The member codes, from a prefetch of `regions` when there is one."""
        return {r.code for r in self.regions.all()}

    def contains(self, region: Region | str) -> bool:
        """A region belongs when it or one of its ancestors is a member.

        A member city brings its counties; a member county is only itself (六安's 金安区 is in the
        皖江 zone, 六安市 and its other counties are not).
        """
        return bool(region_ancestor_codes(region) & self.member_codes())

    def regions_q(self, prefix: str = "") -> models.Q:
        """A filter on Region (or on `<prefix>code`) selecting the members and everything under them."""
        return zone_regions_q(self.member_codes(), prefix)


def region_ancestor_codes(region: Region | str) -> set[str]:
    """The region's own code with those of its city and province (GB/T 2260 codes nest by prefix)."""
    code = region if isinstance(region, str) else region.code
    return {code, code[:4] + "00", code[:2] + "0000"}


def zone_regions_q(member_codes, prefix: str = "") -> models.Q:
    """Regions that are members or lie under one: a province by its 2 digits, a city by its 4."""
    field = f"{prefix}code"
    cond = models.Q(**{f"{field}__in": sorted(member_codes)})
    for code in member_codes:
        if code.endswith("0000"):
            cond |= models.Q(**{f"{field}__startswith": code[:2]})
        elif code.endswith("00"):
            cond |= models.Q(**{f"{field}__startswith": code[:4]})
    return cond


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")

    def delete(self):
        raise PermissionError("audit entries are append-only")


class AuditEntry(models.Model):
    """Who did what, for which organisation, on which object, what changed, when, from where.

    Append-only: the application never edits or deletes an entry. The acting organisation is
    kept as a snapshot (id, name, region) so the record stays true after renames.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=128, blank=True)
    organization_id = models.BigIntegerField(_("单位ID"), null=True, blank=True, db_index=True)
    organization_name = models.CharField(_("代表单位"), max_length=255, blank=True)
    region_code = models.CharField(_("单位所在区划"), max_length=6, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A stored file: type checked by content, sha256 kept, read only within the caller's scope."""

    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("类型"), max_length=128)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    owner_organization_id = models.BigIntegerField(_("所属单位ID"), db_index=True)
    owner_region_code = models.CharField(_("所属单位区划"), max_length=6, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class Job(models.Model):
    """A long piece of work (an import, a generation run) with its progress, for pages and the CLI."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=64)
    label = models.CharField(_("说明"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.label}"

    @property
    def is_running(self) -> bool:
        """Not finished yet: pages keep polling its progress."""
        return self.status in {self.Status.PENDING, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == "succeeded" else 0)


class Holiday(models.Model):
    """A day that breaks the Monday–Friday rule: a public holiday (放假) or a weekend worked (调休上班).

    Periods counted in working days (the publicity period, 公示期) skip weekends and holidays and
    count the weekends marked `is_workday`. The list is kept by hand, from the State Council's
    yearly notice (国务院办公厅关于部分节假日安排的通知).
    """

    date = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=64)
    is_workday = models.BooleanField(_("调休上班"), default=False)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Notification(models.Model):
    """A message to one person, shown in their inbox and, where they have an address, emailed."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    kind = models.CharField(_("类别"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.subject
