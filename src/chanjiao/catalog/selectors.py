"""Every read of the catalogue. The catalogue is public reference data: any logged-in person and
any authenticated API caller reads all of it, so these selectors take no actor."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from chanjiao.core.errors import NotFound

from .models import CatalogueEdition, Industry, Level, Occupation, Programme, ProgrammeCategory

# --- editions ---------------------------------------------------------------------------------


def current_edition() -> CatalogueEdition | None:
    return CatalogueEdition.objects.filter(is_current=True).first()


def editions_list() -> QuerySet[CatalogueEdition]:
    return (
        CatalogueEdition.objects.select_related("previous")
        .annotate(programme_count=Count("programmes"))
        .order_by("-is_current", "-year", "code")
    )


def edition_get(code: str) -> CatalogueEdition:
    edition = CatalogueEdition.objects.select_related("previous").filter(code=code).first()
    if edition is None:
        raise NotFound()
    return edition


def edition_or_current(code: str | None) -> CatalogueEdition | None:
    """The edition named by `code`, or the current one when none is named (404 for an unknown code)."""
    return edition_get(code) if code else current_edition()


# --- programmes -------------------------------------------------------------------------------


def programme_search(
    *,
    edition: CatalogueEdition | None,
    q: str = "",
    level: str = "",
    category: str = "",
    klass: str = "",
) -> QuerySet[Programme]:
    """Programmes of one edition (all editions when None), by code prefix or name, level, 大类, 类."""
    qs = Programme.objects.select_related("edition", "category", "klass")
    if edition is not None:
        qs = qs.filter(edition=edition)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__istartswith=q) | Q(name__icontains=q))
    if level:
        qs = qs.filter(level=level)
    if category:
        qs = qs.filter(category__code=category)
    if klass:
        qs = qs.filter(klass__code=klass)
    return qs.order_by("code", "edition__code")


def programme_get(*, code: str, edition: CatalogueEdition | None) -> Programme:
    """A programme in `edition`; without one, in the latest edition that has the code."""
    qs = Programme.objects.select_related("edition", "category", "klass").filter(code=code.strip().upper())
    if edition is not None:
        qs = qs.filter(edition=edition)
    programme = qs.order_by("-edition__is_current", "-edition__year").first()
    if programme is None:
        raise NotFound()
    return programme


def category_choices(edition: CatalogueEdition | None, level: str = "") -> list[tuple[str, str]]:
    """(code, "code name") of the 大类 in an edition, for a filter's drop-down."""
    if edition is None:
        return []
    qs = ProgrammeCategory.objects.filter(edition=edition)
    if level:
        qs = qs.filter(level=level)
    return [(code, f"{code} {name}") for code, name in qs.order_by("code").values_list("code", "name")]


# --- industries -------------------------------------------------------------------------------


def industry_search(*, q: str = "", tier: int | None = None, parent: str = "") -> QuerySet[Industry]:
    qs = Industry.objects.select_related("parent")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__istartswith=q) | Q(name__icontains=q) | Q(description__icontains=q))
    if tier:
        qs = qs.filter(tier=tier)
    if parent:
        qs = qs.filter(parent__code=parent.strip().upper())
    return qs.annotate(child_count=Count("children")).order_by("code")


def industry_get(code: str) -> Industry:
    industry = Industry.objects.select_related("parent").filter(code=code.strip().upper()).first()
    if industry is None:
        raise NotFound()
    return industry


def ancestors(node) -> list:
    """The node's ancestors, top first (at most three reads: the trees are four tiers deep)."""
    chain = []
    parent = node.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    return chain[::-1]


# --- occupations ------------------------------------------------------------------------------

DEFAULT_OCCUPATION_EDITION = "2022"


def occupation_search(
    *, q: str = "", tier: int | None = None, parent: str = "", edition: str = DEFAULT_OCCUPATION_EDITION
) -> QuerySet[Occupation]:
    qs = Occupation.objects.select_related("parent").filter(edition=edition or DEFAULT_OCCUPATION_EDITION)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__icontains=q) | Q(keywords_text__icontains=q))
    if tier:
        qs = qs.filter(tier=tier)
    if parent:
        qs = qs.filter(parent__code=parent.strip())
    return qs.order_by("code")


def occupation_get(code: str, *, edition: str = DEFAULT_OCCUPATION_EDITION) -> Occupation:
    occupation = (
        Occupation.objects.select_related("parent")
        .filter(edition=edition or DEFAULT_OCCUPATION_EDITION, code=code.strip())
        .first()
    )
    if occupation is None:
        raise NotFound()
    return occupation


def occupation_editions() -> list[str]:
    return list(Occupation.objects.order_by("-edition").values_list("edition", flat=True).distinct())


# --- what an edition changes --------------------------------------------------------------------


@dataclass(frozen=True)
class EditionDiff:
    """What `new` adds, renames (same code, another name) and drops against `old`, each by code."""

    new: CatalogueEdition
    old: CatalogueEdition
    added: list[dict] = field(default_factory=list)
    renamed: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "renamed": len(self.renamed), "dropped": len(self.dropped)}


def _programme_rows(edition: CatalogueEdition) -> dict[str, dict]:
    labels = dict(Level.choices)
    return {
        code: {
            "code": code,
            "name": name,
            "level": level,
            "level_display": str(labels.get(level, level)),
            "klass": f"{klass_code} {klass_name}",
        }
        for code, name, level, klass_code, klass_name in Programme.objects.filter(
            edition=edition
        ).values_list("code", "name", "level", "klass__code", "klass__name")
    }


def edition_diff(new_edition: CatalogueEdition, old_edition: CatalogueEdition) -> EditionDiff:
    """Two reads whatever the size of the editions; each list is sorted by code."""
    new, old = _programme_rows(new_edition), _programme_rows(old_edition)
    added = [new[c] for c in sorted(new.keys() - old.keys())]
    dropped = [old[c] for c in sorted(old.keys() - new.keys())]
    renamed = [
        {**new[c], "old_name": old[c]["name"], "new_name": new[c]["name"]}
        for c in sorted(new.keys() & old.keys())
        if new[c]["name"] != old[c]["name"]
    ]
    return EditionDiff(
        new=new_edition,
        old=old_edition,
        added=added,
        renamed=renamed,
        dropped=dropped,
        unchanged=len(new.keys() & old.keys()) - len(renamed),
    )
