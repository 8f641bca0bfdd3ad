"""Reference catalogues: programmes (by edition), industries (GB/T 4754-2017), occupations (职业分类大典)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    SECONDARY = "secondary", _("中职")
    ASSOCIATE = "associate", _("高职专科")
    VOCATIONAL_BACHELOR = "vocational_bachelor", _("职业本科")
    APPLIED_BACHELOR = "applied_bachelor", _("应用型本科")


class CatalogueEdition(models.Model):
    """One edition of the programme catalogue (e.g. 2021 with its yearly additions)."""

    code = models.SlugField(_("版本代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    year = models.PositiveSmallIntegerField(_("年份"))
    source = models.CharField(_("来源"), max_length=255, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=pgettext_lazy("catalogue edition", "上一版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_current = models.BooleanField(pgettext_lazy("catalogue edition", "现行版本"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专业目录版本")
        verbose_name_plural = pgettext_lazy("plural", "专业目录版本")
        ordering = ["-year", "code"]
        constraints = [
            # Pages and the API default to the current edition, so there is at most one.
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_edition"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProgrammeCategory(models.Model):
    """专业大类: the first two digits of a programme code, within a level and an edition."""

    edition = models.ForeignKey(CatalogueEdition, on_delete=models.CASCADE, related_name="categories")
    level = models.CharField(_("层次"), max_length=24, choices=Level.choices)
    code = models.CharField(_("大类代码"), max_length=2)
    name = models.CharField(_("大类名称"), max_length=64)

    class Meta:
        verbose_name = _("专业大类")
        verbose_name_plural = _("专业大类")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "level", "code"], name="programme_category_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProgrammeClass(models.Model):
    """专业类: the first four digits of a programme code."""

    edition = models.ForeignKey(CatalogueEdition, on_delete=models.CASCADE, related_name="klasses")
    category = models.ForeignKey(ProgrammeCategory, on_delete=models.CASCADE, related_name="klasses")
    level = models.CharField(_("层次"), max_length=24, choices=Level.choices)
    code = models.CharField(_("专业类代码"), max_length=4)
    name = models.CharField(_("专业类名称"), max_length=64)

    class Meta:
        verbose_name = _("专业类")
        verbose_name_plural = _("专业类")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "level", "code"], name="programme_class_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Programme(models.Model):
    edition = models.ForeignKey(
        CatalogueEdition, verbose_name=_("目录版本"), on_delete=models.CASCADE, related_name="programmes"
    )
    level = models.CharField(_("层次"), max_length=24, choices=Level.choices, db_index=True)
    code = models.CharField(_("专业代码"), max_length=7)
    name = models.CharField(_("专业名称"), max_length=128, db_index=True)
    category = models.ForeignKey(ProgrammeCategory, verbose_name=_("专业大类"), on_delete=models.PROTECT)
    klass = models.ForeignKey(ProgrammeClass, verbose_name=_("专业类"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("专业")
        verbose_name_plural = _("专业")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="programme_code_unique_in_edition")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Industry(models.Model):
    """GB/T 4754-2017: 门类 (a letter), 大类 (2 digits), 中类 (3), 小类 (4)."""

    class Tier(models.IntegerChoices):
        SECTION = 1, _("门类")
        DIVISION = 2, _("大类")
        GROUP = 3, _("中类")
        CLASS = 4, _("小类")

    code = models.CharField(_("行业代码"), max_length=5, unique=True)
    name = models.CharField(_("行业名称"), max_length=128, db_index=True)
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Occupation(models.Model):
    """职业分类大典: 大类 `2`, 中类 `2-10`, 小类 `2-10-02`, 细类 (the occupation) `2-10-02-02`."""

    class Tier(models.IntegerChoices):
        # The same words as GB/T 4754's tiers, but other things: contexts keep their English apart.
        MAJOR = 1, pgettext_lazy("occupation tier", "大类")
        MIDDLE = 2, pgettext_lazy("occupation tier", "中类")
        MINOR = 3, pgettext_lazy("occupation tier", "小类")
        DETAIL = 4, pgettext_lazy("occupation tier", "细类（职业）")

    edition = models.CharField(pgettext_lazy("catalogue edition", "版本"), max_length=16, default="2022")
    code = models.CharField(_("职业代码"), max_length=16)
    name = models.CharField(_("职业名称"), max_length=128, db_index=True)
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    definition = models.TextField(_("定义"), blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    # The keywords as plain text for search: SQLite stores JSON with \u escapes, so a LIKE on the
    # JSON column would never match a Chinese keyword. Written by the importer beside `keywords`.
    keywords_text = models.TextField(_("关键词（检索用）"), blank=True, editable=False)

    class Meta:
        verbose_name = _("职业")
        verbose_name_plural = _("职业")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="occupation_code_unique_in_edition")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        # bulk writes (the importer) set keywords_text themselves; single saves (the admin) here
        self.keywords_text = " ".join(self.keywords or [])
        super().save(*args, **kwargs)
