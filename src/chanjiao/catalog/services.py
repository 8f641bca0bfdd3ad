"""Every write to the catalogue: editions, and the bulk stores the importers and the seed call.

A store runs in one transaction, upserts by natural key (an edition's programme code, an industry
code, an edition's occupation code), never deletes (other apps point at these rows), touches the
database a fixed number of times whatever the file's size, and writes one audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from chanjiao.core.audit import audit_record
from chanjiao.core.errors import ErrorCollector, FieldError
from chanjiao.core.permissions import Actor, Role

from .models import CatalogueEdition, Industry, Occupation, Programme, ProgrammeCategory, ProgrammeClass
from .selectors import edition_diff  # noqa: F401  (the diff is a read; re-exported for callers of services)

BATCH = 500
EDITION_CODE = re.compile(r"[-a-zA-Z0-9_]{1,32}")
AUDIT_LIST_LIMIT = 100


@dataclass(frozen=True)
class ProgrammeRow:
    """One programme as an importer read it, its 大类 and 类 names already settled."""

    level: str
    code: str
    name: str
    category_code: str
    category_name: str
    class_code: str
    class_name: str


@dataclass(frozen=True)
class TreeRow:
    """One node of the industry or occupation tree; `values` are the other fields to store."""

    code: str
    tier: int
    name: str
    parent_code: str | None
    values: dict[str, Any] = field(default_factory=dict)


def _require_importer(actor: Actor | None) -> None:
    """Pages and the API pass the acting person; commands and the seed run as the system (None)."""
    if actor is not None:
        actor.require(Role.PROVINCE_ADMIN, message=_("只有省级管理员可以导入目录数据"))


# --- editions ---------------------------------------------------------------------------------


def edition_check(*, code: str, name: str, year: int | None, previous: str | None = None) -> list[FieldError]:
    errors = ErrorCollector()
    if previous and (previous == code or not CatalogueEdition.objects.filter(code=previous).exists()):
        errors.add(
            "previous",
            "edition.previous_unknown",
            _("上一版本应为另一个已有的目录版本（当前：%(v)s）") % {"v": previous},
        )
    if not EDITION_CODE.fullmatch(code or ""):
        errors.add(
            "edition_code",
            "edition.code_format",
            _("版本代码应为1–32位字母、数字、连字符或下划线，如 2025（当前：%(v)s）")
            % {"v": code or _("空")},
        )
    if not (name or "").strip() or len(name) > 128:
        errors.add(
            "edition_name",
            "edition.name_length",
            _("版本名称应为1–128个字（当前：%(n)d个字）") % {"n": len((name or "").strip())},
        )
    if year is None or not 1949 <= int(year) <= 2100:
        errors.add(
            "year",
            "edition.year_range",
            _("目录年份应在1949–2100之间（当前：%(v)s）") % {"v": year or _("空")},
        )
    return errors.errors


def _edition_upsert(
    *,
    code: str,
    name: str,
    year: int,
    source: str = "",
    previous_code: str | None = None,
    make_current: bool | None = None,
) -> tuple[CatalogueEdition, bool]:
    """Creates or renames the edition. A new edition follows the current one unless told otherwise;
    it becomes current when asked, or (make_current=None) when none is current or it is later."""
    edition = CatalogueEdition.objects.select_for_update().filter(code=code).first()
    current = CatalogueEdition.objects.filter(is_current=True).exclude(code=code).first()
    created = edition is None
    if created:
        edition = CatalogueEdition(code=code)
        if previous_code is None:
            edition.previous = current or CatalogueEdition.objects.order_by("-year", "-created_at").first()
    edition.name = name.strip()
    edition.year = year
    if source:
        edition.source = source[:255]
    if previous_code is not None:
        edition.previous = CatalogueEdition.objects.filter(code=previous_code).exclude(code=code).first()
    if make_current is None:
        make_current = edition.is_current or current is None or year > current.year
    if make_current and current is not None:
        # at most one current edition (a partial unique constraint): step the old one down first
        CatalogueEdition.objects.filter(pk=current.pk).update(is_current=False)
    edition.is_current = make_current
    edition.save()
    return edition, created


@transaction.atomic
def edition_set_current(*, actor: Actor | None, edition: CatalogueEdition) -> CatalogueEdition:
    _require_importer(actor)
    CatalogueEdition.objects.filter(is_current=True).exclude(pk=edition.pk).update(is_current=False)
    if not edition.is_current:
        edition.is_current = True
        edition.save(update_fields=["is_current"])
        audit_record(
            actor=actor,
            action="catalog.edition_set_current",
            obj=edition,
            changes={"is_current": [False, True]},
        )
    return edition


# --- generic bulk upsert ------------------------------------------------------------------------


def _changed(obj: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(obj, k) != v}


def _bulk_create(model: type[models.Model], objs: list[models.Model], key, refetch) -> dict[Any, int]:
    """Creates `objs` and answers {key: pk}. SQLite ≥ 3.35 and PostgreSQL return the new ids;
    anywhere else the new rows are read back in one query."""
    if not objs:
        return {}
    model.objects.bulk_create(objs, batch_size=BATCH)
    if all(o.pk is not None for o in objs):
        return {key(o): o.pk for o in objs}
    return {key(o): o.pk for o in refetch()}


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # differs from the file but left alone (the seed never overwrites)
    renamed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        out = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if self.kept:
            out["kept"] = self.kept
        return out


def _upsert(
    model: type[models.Model],
    existing: dict[Any, models.Model],
    wanted: dict[Any, dict[str, Any]],
    *,
    make,
    key,
    refetch,
    overwrite: bool,
    label,
) -> tuple[_Counts, dict[Any, int]]:
    counts = _Counts()
    new, changed = [], []
    update_fields: set[str] = set()
    for k, values in wanted.items():
        obj = existing.get(k)
        if obj is None:
            new.append(make(k, values))
            continue
        diff = _changed(obj, values)
        if not diff:
            counts.unchanged += 1
        elif not overwrite:
            counts.kept += 1
        else:
            if "name" in diff:
                counts.renamed.append(f"{label(k)}：{obj.name} → {values['name']}")
            for attr, value in diff.items():
                setattr(obj, attr, value)
            update_fields.update(diff)
            changed.append(obj)
    ids = _bulk_create(model, new, key, refetch)
    if changed:
        model.objects.bulk_update(changed, sorted(update_fields), batch_size=BATCH)
    counts.created, counts.updated = len(new), len(changed)
    ids.update({k: o.pk for k, o in existing.items()})
    return counts, ids


# --- programmes ---------------------------------------------------------------------------------


@transaction.atomic
def programmes_store(
    *,
    rows: Sequence[ProgrammeRow],
    extra_categories: Sequence[tuple[str, str, str]] = (),
    edition_code: str,
    edition_name: str,
    year: int,
    source: str = "",
    previous_code: str | None = None,
    make_current: bool | None = None,
    actor: Actor | None = None,
    overwrite: bool = True,
    action: str = "catalog.programmes_import",
) -> dict[str, Any]:
    """Stores an edition's programmes with their 大类 and 类 (rows already checked by an importer),
    and `extra_categories` (level, code, name): 大类 with no programme in the rows."""
    _require_importer(actor)
    edition, edition_created = _edition_upsert(
        code=edition_code,
        name=edition_name,
        year=year,
        source=source,
        previous_code=previous_code,
        make_current=make_current,
    )

    categories = {(level, code): {"name": name} for level, code, name in extra_categories}
    categories.update({(r.level, r.category_code): {"name": r.category_name} for r in rows})
    cat_counts, cat_ids = _upsert(
        ProgrammeCategory,
        {(c.level, c.code): c for c in ProgrammeCategory.objects.filter(edition=edition)},
        categories,
        make=lambda k, v: ProgrammeCategory(edition=edition, level=k[0], code=k[1], **v),
        key=lambda o: (o.level, o.code),
        refetch=lambda: ProgrammeCategory.objects.filter(edition=edition),
        overwrite=overwrite,
        label=lambda k: k[1],
    )

    klasses = {
        (r.level, r.class_code): {"name": r.class_name, "category_id": cat_ids[(r.level, r.category_code)]}
        for r in rows
    }
    cls_counts, cls_ids = _upsert(
        ProgrammeClass,
        {(c.level, c.code): c for c in ProgrammeClass.objects.filter(edition=edition)},
        klasses,
        make=lambda k, v: ProgrammeClass(edition=edition, level=k[0], code=k[1], **v),
        key=lambda o: (o.level, o.code),
        refetch=lambda: ProgrammeClass.objects.filter(edition=edition),
        overwrite=overwrite,
        label=lambda k: k[1],
    )

    programmes = {
        r.code: {
            "name": r.name,
            "level": r.level,
            "category_id": cat_ids[(r.level, r.category_code)],
            "klass_id": cls_ids[(r.level, r.class_code)],
        }
        for r in rows
    }
    existing = {p.code: p for p in Programme.objects.filter(edition=edition)}
    counts, _ids = _upsert(
        Programme,
        existing,
        programmes,
        make=lambda k, v: Programme(edition=edition, code=k, **v),
        key=lambda o: o.code,
        refetch=lambda: Programme.objects.filter(edition=edition),
        overwrite=overwrite,
        label=lambda k: k,
    )
    not_in_file = len(set(existing) - set(programmes))
    result = {
        "edition": edition.code,
        "edition_created": edition_created,
        **counts.as_dict(),
        "not_in_file": not_in_file,
        "categories": cat_counts.as_dict(),
        "classes": cls_counts.as_dict(),
    }
    audit_record(
        actor=actor,
        action=action,
        obj=edition,
        changes={
            "programmes_created": [None, counts.created],
            "programmes_updated": [None, counts.updated],
            "programmes_not_in_file": [None, not_in_file],
            "categories_created": [None, cat_counts.created],
            "classes_created": [None, cls_counts.created],
            "renamed": [None, (counts.renamed + cls_counts.renamed + cat_counts.renamed)[:AUDIT_LIST_LIMIT]],
        },
    )
    return result


# --- industries and occupations -----------------------------------------------------------------


def _store_tree(
    model: type[models.Model],
    queryset: models.QuerySet,
    rows: Iterable[TreeRow],
    *,
    extra: dict[str, Any],
    overwrite: bool,
) -> tuple[_Counts, dict[int, dict[str, int]]]:
    """Upserts a code tree tier by tier, so each tier's parents have ids before their children."""
    existing = {o.code: o for o in queryset}
    ids = {code: o.pk for code, o in existing.items()}
    by_tier: dict[int, list[TreeRow]] = {}
    for row in rows:
        by_tier.setdefault(row.tier, []).append(row)
    total = _Counts()
    per_tier: dict[int, dict[str, int]] = {}
    for tier in sorted(by_tier):
        wanted = {
            r.code: {
                "name": r.name,
                "tier": tier,
                "parent_id": ids[r.parent_code] if r.parent_code else None,
                **r.values,
            }
            for r in by_tier[tier]
        }
        codes = list(wanted)
        counts, tier_ids = _upsert(
            model,
            {c: existing[c] for c in codes if c in existing},
            wanted,
            make=lambda k, v: model(code=k, **extra, **v),
            key=lambda o: o.code,
            refetch=lambda codes=codes: queryset.filter(code__in=codes),
            overwrite=overwrite,
            label=lambda k: k,
        )
        ids.update(tier_ids)
        per_tier[int(tier)] = counts.as_dict()
        total.created += counts.created
        total.updated += counts.updated
        total.unchanged += counts.unchanged
        total.kept += counts.kept
        total.renamed += counts.renamed
    return total, per_tier


@transaction.atomic
def industries_store(
    *,
    rows: Sequence[TreeRow],
    actor: Actor | None = None,
    overwrite: bool = True,
    action: str = "catalog.industries_import",
) -> dict[str, Any]:
    """Stores GB/T 4754 industries (`values` may hold `description`)."""
    _require_importer(actor)
    counts, per_tier = _store_tree(Industry, Industry.objects.all(), rows, extra={}, overwrite=overwrite)
    audit_record(
        actor=actor,
        action=action,
        object_type="catalog.industry",
        object_repr=_("国民经济行业分类（GB/T 4754-2017）"),
        changes={
            "created": [None, counts.created],
            "updated": [None, counts.updated],
            "renamed": [None, counts.renamed[:AUDIT_LIST_LIMIT]],
        },
    )
    return {**counts.as_dict(), "by_tier": per_tier}


@transaction.atomic
def occupations_store(
    *,
    rows: Sequence[TreeRow],
    edition: str = "2022",
    actor: Actor | None = None,
    overwrite: bool = True,
    action: str = "catalog.occupations_import",
) -> dict[str, Any]:
    """Stores occupations of one edition of the 大典 (`values` may hold definition and keywords)."""
    _require_importer(actor)
    prepared = []
    for row in rows:
        values = dict(row.values)
        if "keywords" in values:
            values["keywords_text"] = " ".join(values["keywords"])
        prepared.append(TreeRow(row.code, row.tier, row.name, row.parent_code, values))
    counts, per_tier = _store_tree(
        Occupation,
        Occupation.objects.filter(edition=edition),
        prepared,
        extra={"edition": edition},
        overwrite=overwrite,
    )
    audit_record(
        actor=actor,
        action=action,
        object_type="catalog.occupation",
        object_repr=_("职业分类大典（%(e)s年版）") % {"e": edition},
        changes={
            "created": [None, counts.created],
            "updated": [None, counts.updated],
            "renamed": [None, counts.renamed[:AUDIT_LIST_LIMIT]],
        },
    )
    return {"edition": edition, **counts.as_dict(), "by_tier": per_tier}
