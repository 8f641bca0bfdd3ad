from collections import Counter

import pytest

from chanjiao.catalog.importers import import_industries_xlsx
from chanjiao.catalog.models import CatalogueEdition, Industry, Occupation, Programme, ProgrammeCategory
from chanjiao.catalog.seeds import load_seed
from tests.catalog.factories import make_edition, programme

pytestmark = pytest.mark.django_db

NINETEEN = [
    "农林牧渔",
    "资源环境与安全",
    "能源动力与材料",
    "土木建筑",
    "水利",
    "装备制造",
    "生物与化工",
    "轻工纺织",
    "食品药品与粮食",
    "交通运输",
    "电子与信息",
    "医药卫生",
    "财经商贸",
    "旅游",
    "文化艺术",
    "新闻传播",
    "教育与体育",
    "公安与司法",
    "公共管理与服务",
]


def test_seed_loads_the_nineteen_categories_of_each_level_and_a_current_edition():
    # given an empty database
    # when the seed is loaded
    summary = load_seed()
    # then there is one current edition with the 19 大类 at each level, at that level's codes
    edition = CatalogueEdition.objects.get()
    assert (edition.code, edition.is_current) == ("2021-seed", True)
    for level, first in (("secondary", 61), ("associate", 41), ("vocational_bachelor", 21)):
        stored = list(
            ProgrammeCategory.objects.filter(level=level).order_by("code").values_list("code", "name")
        )
        assert stored == [(f"{first + i:02d}", name) for i, name in enumerate(NINETEEN)]
    assert summary["专业目录版本"] == "2021-seed"
    assert summary["新增专业大类"] == 57


def test_seed_has_the_demo_programmes_industries_and_occupations():
    # when the seed is loaded
    load_seed()
    # then the demo's programmes are there at their levels and under their 类
    levels = Counter(Programme.objects.values_list("level", flat=True))
    assert set(levels) == {"associate", "vocational_bachelor"}
    assert levels["associate"] >= 30
    assert levels["vocational_bachelor"] >= 15
    new_energy = Programme.objects.select_related("klass", "category").get(code="460702")
    assert (new_energy.name, new_energy.klass.name, new_energy.category.name) == (
        "新能源汽车技术",
        "汽车制造类",
        "装备制造",
    )
    assert Programme.objects.get(code="310203").name == "软件工程技术"
    # all 20 门类, and 大类 34–40 under C, 65 under I
    assert Industry.objects.filter(tier=1).count() == 20
    assert set(Industry.objects.filter(parent__code="C").values_list("code", flat=True)) >= {
        "34",
        "35",
        "36",
        "37",
        "38",
        "39",
        "40",
    }
    assert Industry.objects.get(code="65").parent.code == "I"
    assert Industry.objects.get(code="3612").parent.code == "361"
    # the 8 occupation 大类 with their official names
    majors = dict(Occupation.objects.filter(tier=1).values_list("code", "name"))
    assert len(majors) == 8
    assert majors["1"] == "党的机关、国家机关、群众团体和社会组织、企事业单位负责人"
    assert Occupation.objects.get(code="6-31-07-01").parent.parent.parent.code == "6"


def test_seed_second_load_creates_nothing():
    # given the seed loaded once
    load_seed()
    counts = (Programme.objects.count(), Industry.objects.count(), Occupation.objects.count())
    # when loaded again
    summary = load_seed()
    # then nothing new is created
    assert (summary["新增专业"], summary["新增行业"], summary["新增职业"], summary["新增专业大类"]) == (
        0,
        0,
        0,
        0,
    )
    assert (Programme.objects.count(), Industry.objects.count(), Occupation.objects.count()) == counts
    assert CatalogueEdition.objects.count() == 1


def test_seed_does_not_take_over_from_a_later_current_edition():
    # given a 2025 edition already current
    make_edition("2025", 2025, [programme("460702", "新能源汽车技术")])
    # when the seed is loaded
    load_seed()
    # then the 2025 edition stays current
    assert list(CatalogueEdition.objects.filter(is_current=True).values_list("code", flat=True)) == ["2025"]


@pytest.mark.shared_data
def test_seed_never_overwrites_an_imported_industry_table(shared_data):
    # given the full GB/T 4754 table imported, with its descriptions
    import_industries_xlsx(shared_data / "industries-gbt4754-2017.xlsx")
    before = dict(Industry.objects.values_list("code", "description"))
    # when the seed is loaded
    summary = load_seed()
    # then the table is untouched
    assert summary["新增行业"] == 0
    assert dict(Industry.objects.values_list("code", "description")) == before
