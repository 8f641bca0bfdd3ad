"""Regions: the shipped seed, the divisions importer, pilot zones and the region search."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.core.errors import Forbidden, ValidationFailed
from chanjiao.core.importers import import_regions, parse_regions
from chanjiao.core.models import AuditEntry, PilotZone, Region
from chanjiao.core.seeds import load_seed, seed_pilot_zones, seed_regions
from chanjiao.core.selectors import region_search
from tests.conftest import actor_of

WANJIANG_CITIES = {"340100", "340200", "340500", "340700", "340800", "341700", "341100", "341800"}
JINAN_SHUCHENG = {"341502", "341523"}


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def _tables(provinces=None, cities=None, areas=None):
    """Three small files in the public tables' layout; pass rows to replace the defaults."""
    provinces = provinces or ['11,"北京市"', '34,"安徽省"']
    cities = cities or ['1101,"市辖区",11', '3401,"合肥市",34', '3415,"六安市",34']
    areas = areas or ['110101,"东城区",1101,11', '340104,"蜀山区",3401,34', '341502,"金安区",3415,34']
    return (
        io.BytesIO(_csv("code,name", *provinces)),
        io.BytesIO(_csv("code,name,provinceCode", *cities)),
        io.BytesIO(_csv("code,name,cityCode,provinceCode", *areas)),
    )


# --- the seed -----------------------------------------------------------------------------------


def test_seed_holds_every_province_and_all_of_anhui_and_jiangsu():
    # given the seed file shipped with the product
    rows = seed_regions()
    # then it has 31 provinces, Anhui's 16 cities and Jiangsu's 13, with their counties
    by_level = {level: [r for r in rows if r.level == level] for level in ("province", "city", "county")}
    assert len(by_level["province"]) == 31
    assert sorted({r.code[:2] for r in by_level["city"]}) == ["32", "34"]
    assert sum(1 for r in by_level["city"] if r.code.startswith("34")) == 16
    assert sum(1 for r in by_level["city"] if r.code.startswith("32")) == 13
    assert sum(1 for r in by_level["county"] if r.code.startswith("34")) == 119
    assert sum(1 for r in by_level["county"] if r.code.startswith("32")) == 104
    # and every code has six digits and its parent is in the seed
    codes = {r.code for r in rows}
    assert all(len(r.code) == 6 and r.code.isdigit() for r in rows)
    assert all(r.parent in codes for r in rows if r.level != "province")


@pytest.mark.django_db
def test_load_seed_loads_regions_and_the_wanjiang_zone_and_can_run_again():
    # when the seed is loaded twice
    first = load_seed()
    with CaptureQueriesContext(connection) as queries:
        second = load_seed()
    # then the regions are there once, with six-digit codes and full names
    assert first["created"] == 283
    assert second == {"created": 0, "updated": 0, "unchanged": 283, "pilot_zones": 1}
    assert Region.objects.count() == 283
    shushan = Region.objects.get(code="340104")
    assert (shushan.name, shushan.full_name, shushan.level) == ("蜀山区", "安徽省合肥市蜀山区", "county")
    assert shushan.parent_id == "340100"
    assert Region.objects.get(code="340100").parent_id == "340000"
    # and the second run does not query per row
    assert len(queries) < 15
    # and the 皖江 zone has its eight cities and two of 六安's counties, with its source
    zone = PilotZone.objects.get(code="wanjiang")
    assert zone.name == "皖江经济带产教融合职业教育创新发展试验区"
    assert set(zone.regions.values_list("code", flat=True)) == WANJIANG_CITIES | JINAN_SHUCHENG
    assert "实施方案" in zone.source
    assert "皖江城市带承接产业转移示范区规划" in zone.source


@pytest.mark.django_db
def test_load_seed_puts_back_a_renamed_region_and_a_removed_member():
    # given a loaded seed where someone renamed a region and removed a zone member
    load_seed()
    Region.objects.filter(code="340104").update(name="改名区")
    zone = PilotZone.objects.get(code="wanjiang")
    zone.regions.remove("341523")
    # when the seed is loaded again
    result = load_seed()
    # then the region and the member are as shipped
    assert result["updated"] == 1
    assert Region.objects.get(code="340104").name == "蜀山区"
    assert zone.regions.filter(code="341523").exists()


def test_seed_agrees_with_the_full_divisions_tables(shared_data):
    # given the public tables the seed was derived from
    parsed = parse_regions(
        shared_data / "regions-provinces.csv",
        shared_data / "regions-cities.csv",
        shared_data / "regions-areas.csv",
    )
    full = {r.code: r.values() for r in parsed.rows}
    # then every seed row equals the row the importer makes from them
    assert not parsed.errors
    mismatched = [r.code for r in seed_regions() if full.get(r.code) != r.values()]
    assert mismatched == []
    # and the seed has all of Anhui and Jiangsu
    wanted = {c for c in full if c.endswith("0000") or c[:2] in {"32", "34"}}
    assert {r.code for r in seed_regions()} == wanted


def test_seed_members_of_zones_are_seed_regions():
    codes = {r.code for r in seed_regions()}
    for zone in seed_pilot_zones():
        assert set(zone["members"]) <= codes
        assert len(zone["source"]) <= 255


# --- the importer on the real tables ------------------------------------------------------------


@pytest.mark.django_db
def test_import_of_the_full_tables_counts_every_row_and_can_run_again(shared_data):
    # given the 2023 divisions tables (31 provinces, 342 cities, 2,978 county-level rows)
    files = [shared_data / f"regions-{name}.csv" for name in ("provinces", "cities", "areas")]
    seen = []
    # when they are imported
    result = import_regions(*files, progress=lambda done, total: seen.append((done, total)))
    # then every row is read, and the three cities without districts (东莞, 中山, 儋州), which the
    # areas file lists again under their own code, stay one city each
    assert result["rows"] == {"provinces": 31, "cities": 342, "areas": 2978}
    assert result["merged"] == 3
    assert (result["provinces"], result["cities"], result["counties"]) == (31, 342, 2975)
    assert result["created"] == 3348
    assert Region.objects.count() == 3348
    assert Region.objects.filter(level="county").count() == 2975
    assert Region.objects.get(code="441900").level == "city"
    # and codes have six digits, municipalities' 市辖区 are left out of full names
    assert Region.objects.get(code="110101").full_name == "北京市东城区"
    assert Region.objects.get(code="110101").parent_id == "110100"
    assert Region.objects.get(code="110100").full_name == "北京市市辖区"
    assert Region.objects.get(code="419001").full_name == "河南省济源市"
    assert Region.objects.get(code="340104").full_name == "安徽省合肥市蜀山区"
    # and progress reached the end
    assert seen[-1] == (3348, 3348)
    # when run again, nothing is written
    again = import_regions(*files)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3348)
    assert Region.objects.count() == 3348


@pytest.mark.django_db
def test_import_after_the_seed_adds_the_rest_and_changes_no_seed_row(shared_data):
    # given the seed
    load_seed()
    # when the full tables are imported
    result = import_regions(*(shared_data / f"regions-{n}.csv" for n in ("provinces", "cities", "areas")))
    # then the seed's rows are unchanged and the others are added
    assert result["unchanged"] == 283
    assert result["updated"] == 0
    assert result["created"] == 3348 - 283


# --- the importer's checks ----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_of_small_tables_normalises_codes_and_records_an_audit_entry():
    # when three small files are imported
    result = import_regions(*_tables())
    # then codes have six digits and parents are linked
    assert result["created"] == 8
    assert Region.objects.get(code="341502").parent_id == "341500"
    assert Region.objects.get(code="341500").parent_id == "340000"
    assert Region.objects.get(code="341502").full_name == "安徽省六安市金安区"
    # and the import is in the audit log
    entry = AuditEntry.objects.get(action="region.import")
    assert entry.changes == {"created": [0, 8], "updated": [0, 0]}


@pytest.mark.django_db
def test_import_refuses_every_bad_row_with_file_and_line_and_writes_nothing():
    # given files with a bad code, an unknown parent, a duplicate and a mismatched parent
    files = _tables(
        cities=['3401,"合肥市",34', '3415,"六安市",34', '3499,"不存在省的市",99', '3402,"芜湖市",34'],
        areas=[
            '340104,"蜀山区",3401,34',
            '34010X,"坏代码",3401,34',  # line 3
            '340105,"未知市的区",3409,34',  # line 4
            '340104,"重复的蜀山区",3401,34',  # line 5
            '340201,"错挂的区",3401,34',  # line 6
        ],
    )
    # when they are imported
    with pytest.raises(ValidationFailed) as exc:
        import_regions(*files)
    # then every problem is reported with its file and line, and nothing was written
    errors = {(e.field, e.code) for e in exc.value.errors}
    assert errors == {
        ("cities.csv[4].provinceCode", "region.unknown_parent"),
        ("areas.csv[3].code", "region.bad_code"),
        ("areas.csv[4].cityCode", "region.unknown_parent"),
        ("areas.csv[5].code", "region.duplicate"),
        ("areas.csv[6].cityCode", "region.parent_mismatch"),
    }
    messages = {e.field: e.message for e in exc.value.errors}
    assert messages["areas.csv[3].code"].startswith("areas.csv 第3行：代码“34010X”无效")
    assert "areas.csv:2" in messages["areas.csv[5].code"]
    assert Region.objects.count() == 0
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_import_names_the_files_by_their_own_names(tmp_path):
    # given files on disk with one bad province code
    names = ("p.csv", "c.csv", "a.csv")
    contents = (
        _csv("code,name", '3,"坏省"'),
        _csv("code,name,provinceCode"),
        _csv("code,name,cityCode,provinceCode"),
    )
    for name, content in zip(names, contents, strict=True):
        (tmp_path / name).write_bytes(content)
    # when imported
    with pytest.raises(ValidationFailed) as exc:
        import_regions(*(tmp_path / n for n in names))
    # then the message names the file and the line
    assert [(e.field, e.code) for e in exc.value.errors] == [("p.csv[2].code", "region.bad_code")]
    assert exc.value.errors[0].message.startswith("p.csv 第2行")


@pytest.mark.django_db
def test_import_refuses_a_file_without_the_expected_columns():
    provinces, cities, areas = _tables()
    cities = io.BytesIO(_csv("编号,名称", '3401,"合肥市"'))
    with pytest.raises(ValidationFailed) as exc:
        import_regions(provinces, cities, areas)
    assert "import.bad_header" in [e.code for e in exc.value.errors]
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_import_updates_a_renamed_region_on_a_second_run():
    # given imported tables
    import_regions(*_tables())
    # when a new edition renames a county
    result = import_regions(
        *_tables(areas=['110101,"东城区",1101,11', '340104,"新蜀山区",3401,34', '341502,"金安区",3415,34'])
    )
    # then that county is updated, the rest untouched
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 7)
    assert Region.objects.get(code="340104").full_name == "安徽省合肥市新蜀山区"


@pytest.mark.django_db
def test_import_reads_a_combined_six_digit_file_in_gbk():
    # given the Ministry's layout: one list of six-digit codes, no city row for Beijing, GBK encoded
    content = "\n".join(
        [
            "行政区划代码,单位名称",
            "110000,北京市",
            "110101,东城区",
            "340000,安徽省",
            "340100,合肥市",
            "340104,蜀山区",
        ]
    ).encode("gbk")
    # when it is imported as a single file
    result = import_regions(io.BytesIO(content))
    # then the levels follow the codes and Beijing's districts hang under Beijing
    assert (result["provinces"], result["cities"], result["counties"]) == (2, 1, 2)
    assert Region.objects.get(code="110101").parent_id == "110000"
    assert Region.objects.get(code="110101").full_name == "北京市东城区"
    assert Region.objects.get(code="340104").parent_id == "340100"


@pytest.mark.django_db
def test_import_of_a_combined_file_refuses_an_orphan_city():
    content = _csv("code,name", "340000,安徽省", "320100,南京市")
    with pytest.raises(ValidationFailed) as exc:
        import_regions(io.BytesIO(content))
    assert [(e.field, e.code) for e in exc.value.errors] == [("regions.csv[3].code", "region.unknown_parent")]
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_import_with_an_actor_is_for_province_staff_only(school_admin, province_officer):
    # given a school admin
    before = Region.objects.count()
    # when they import
    with pytest.raises(Forbidden):
        import_regions(*_tables(), actor=actor_of(school_admin))
    # then nothing changed; the province officer may, and the entry names them
    assert Region.objects.count() == before
    import_regions(*_tables(), actor=actor_of(province_officer))
    assert AuditEntry.objects.get(action="region.import").actor == province_officer


# --- pilot zone membership ----------------------------------------------------------------------


@pytest.mark.django_db
def test_pilot_zone_filter_includes_member_cities_counties_and_only_member_counties():
    # given the seed
    load_seed()
    # when regions are searched within the 皖江 zone
    codes = set(region_search(pilot_zone="wanjiang").values_list("code", flat=True))
    # then member cities come with all their counties
    hefei_all = set(Region.objects.filter(code__startswith="3401").values_list("code", flat=True))
    assert hefei_all <= codes
    assert "340181" in codes  # 巢湖市, merged into 合肥 in 2011
    # and of 六安 only 金安区 and 舒城县, not the city itself nor its other counties
    assert {c for c in codes if c.startswith("3415")} == JINAN_SHUCHENG
    # and no other city, no province, nothing from Jiangsu
    assert "340000" not in codes
    assert not any(c.startswith(("3403", "3410", "32")) for c in codes)
    # and the filter agrees with PilotZone.contains for every region
    zone = PilotZone.objects.prefetch_related("regions").get(code="wanjiang")
    assert {r.code for r in Region.objects.all() if zone.contains(r)} == codes


@pytest.mark.django_db
def test_pilot_zone_contains_follows_the_same_rule():
    load_seed()
    zone = PilotZone.objects.get(code="wanjiang")
    assert zone.contains(Region.objects.get(code="340104"))  # a county of a member city
    assert zone.contains(Region.objects.get(code="340100"))  # a member city
    assert zone.contains(Region.objects.get(code="341523"))  # a member county
    assert not zone.contains(Region.objects.get(code="341500"))  # 六安市 itself
    assert not zone.contains(Region.objects.get(code="341503"))  # 裕安区
    assert not zone.contains(Region.objects.get(code="340000"))  # the province
    assert not zone.contains(Region.objects.get(code="320102"))


@pytest.mark.django_db
def test_an_unknown_pilot_zone_finds_nothing():
    load_seed()
    assert not region_search(pilot_zone="nowhere").exists()


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_region_api_filters_by_zone_and_names_the_zones_of_each_region(api, school_admin):
    # given the seed
    load_seed()
    client = api(school_admin)
    # when the counties of 六安 are listed
    response = client.get("/api/v1/regions?parent=341500")
    # then each names its zones: 金安区 and 舒城县 are in 皖江, 裕安区 is not
    assert response.status_code == 200
    zones = {r["code"]: r["in_pilot_zone"] for r in response.json()["items"]}
    assert zones["341502"] == ["wanjiang"]
    assert zones["341523"] == ["wanjiang"]
    assert zones["341503"] == []
    # when the zone filter is used, only members and their counties come back, in few queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/regions?pilot_zone=wanjiang&level=city&page_size=200")
    assert {r["code"] for r in response.json()["items"]} == WANJIANG_CITIES
    assert len(queries) < 15


def test_seed_file_is_plain_utf8_csv_with_the_documented_header():
    from chanjiao.core.seeds import REGIONS_FILE

    with REGIONS_FILE.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["code", "name", "level", "parent", "full_name"]
