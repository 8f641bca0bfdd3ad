"""Catalogue reads: programmes by edition, GB/T 4754 industries, occupations, editions and their diff.

Any authenticated caller reads them (the API's default auth: a session or a bearer token).
No `from __future__ import annotations` here: ninja must see the `Query[...]` class itself.
"""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.errors import ValidationFailed

from . import selectors
from .models import Level
from .schemas import (
    EditionDiffOut,
    EditionOut,
    IndustryDetailOut,
    IndustryOut,
    OccupationDetailOut,
    OccupationOut,
    ProgrammeOut,
)

router = Router(tags=["目录"])


class ProgrammeFilters(Schema):
    q: str = Field("", description="专业代码前缀或名称中的字")
    level: Level | None = Field(None, description="层次")
    edition: str = Field("", description="目录版本代码；不填为现行版本")
    category: str = Field("", description="专业大类代码（2位）")
    klass: str = Field("", description="专业类代码（4位）")


class IndustryFilters(Schema):
    q: str = Field("", description="代码前缀、名称或说明中的字")
    tier: int | None = Field(None, ge=1, le=4, description="1 门类，2 大类，3 中类，4 小类")
    parent: str = Field("", description="上级代码：列出其下级")


class OccupationFilters(Schema):
    q: str = Field("", description="代码前缀、名称或关键词")
    tier: int | None = Field(None, ge=1, le=4, description="1 大类，2 中类，3 小类，4 细类（职业）")
    parent: str = Field("", description="上级代码：列出其下级")
    edition: str = Field(selectors.DEFAULT_OCCUPATION_EDITION, description="大典版本")


@router.get("/programmes", response=list[ProgrammeOut], summary="专业目录（默认现行版本）")
@paginate(PagePagination)
def programme_list(request, filters: Query[ProgrammeFilters]):
    edition = selectors.edition_or_current(filters.edition)
    if edition is None:
        return selectors.programme_search(edition=None).none()
    return selectors.programme_search(
        edition=edition,
        q=filters.q,
        level=filters.level or "",
        category=filters.category,
        klass=filters.klass,
    )


@router.get(
    "/programmes/{code}",
    response=ProgrammeOut,
    summary="专业详情（?edition= 指定版本；不填为现行版本，现行版本没有时为含此代码的最新版本）",
)
def programme_detail(request, code: str, edition: str = ""):
    return selectors.programme_get(code=code, edition=selectors.edition_get(edition) if edition else None)


@router.get("/industries", response=list[IndustryOut], summary="国民经济行业分类（GB/T 4754-2017）")
@paginate(PagePagination)
def industry_list(request, filters: Query[IndustryFilters]):
    return selectors.industry_search(q=filters.q, tier=filters.tier, parent=filters.parent)


@router.get("/industries/{code}", response=IndustryDetailOut, summary="行业详情，含上级与下级")
def industry_detail(request, code: str):
    industry = selectors.industry_get(code)
    industry.ancestors = selectors.ancestors(industry)
    return industry


@router.get("/occupations", response=list[OccupationOut], summary="职业分类大典")
@paginate(PagePagination)
def occupation_list(request, filters: Query[OccupationFilters]):
    return selectors.occupation_search(
        q=filters.q, tier=filters.tier, parent=filters.parent, edition=filters.edition
    )


@router.get("/occupations/{code}", response=OccupationDetailOut, summary="职业详情，含上级与下级")
def occupation_detail(request, code: str, edition: str = selectors.DEFAULT_OCCUPATION_EDITION):
    occupation = selectors.occupation_get(code, edition=edition)
    occupation.ancestors = selectors.ancestors(occupation)
    return occupation


@router.get("/catalogue-editions", response=list[EditionOut], summary="专业目录版本")
@paginate(PagePagination)
def edition_list(request):
    return selectors.editions_list()


@router.get(
    "/catalogue-editions/{code}/diff",
    response=EditionDiffOut,
    summary="版本对比：相对上一版本（或 ?against=）新增、更名、撤销的专业",
)
def edition_diff(request, code: str, against: str = ""):
    new = selectors.edition_get(code)
    old = selectors.edition_get(against) if against else new.previous
    if old is None:
        raise ValidationFailed.single(
            "against",
            "edition.no_previous",
            _("版本 %(code)s 没有上一版本，请用 against 指定要对比的版本") % {"code": new.code},
        )
    diff = selectors.edition_diff(new, old)
    return {
        "new": new.code,
        "old": old.code,
        "added": diff.added,
        "renamed": diff.renamed,
        "dropped": diff.dropped,
        "unchanged": diff.unchanged,
    }
