from collections import Counter

import pytest

from chanjiao.catalog.importers import (
    import_industries_xlsx,
    import_occupations_jsonl,
    import_programmes_jsonl,
    import_programmes_xlsx,
)
from chanjiao.catalog.models import (
    CatalogueEdition,
    Industry,
    Occupation,
    Programme,
    ProgrammeCategory,
    ProgrammeClass,
)
from chanjiao.core.errors import Forbidden, ValidationFailed
from chanjiao.core.models import AuditEntry
from tests.catalog.factories import (
    INDUSTRY_HEADER,
    jsonl_bytes,
    make_edition,
    occupation,
    programme,
    xlsx_bytes,
)
from tests.conftest import actor_of

pytestmark = pytest.mark.django_db


def _fields(exc: ValidationFailed) -> list[str]:
    return [e.field for e in exc.errors]


# --- programmes from the national admissions listing -----------------------------------------


@pytest.mark.shared_data
def test_programmes_jsonl_real_file_imports_every_row_with_its_level(shared_data):
    # given the 2025 national listing
    path = shared_data / "programmes-chsi-2025.jsonl"
    # when it is imported as one edition
    result = import_programmes_jsonl(path, edition_code="2025-chsi", edition_name="2025年专业目录", year=2025)
    # then every row is stored, at the level the file gives, under its 大类 and 类
    assert result["created"] == 1976
    levels = Counter(Programme.objects.values_list("level", flat=True))
    assert levels == {"associate": 798, "vocational_bachelor": 295, "applied_bachelor": 883}
    new_energy = Programme.objects.select_related("category", "klass").get(code="460702")
    assert (new_energy.name, new_energy.level) == ("新能源汽车技术", "associate")
    assert (new_energy.category.code, new_energy.category.name) == ("46", "装备制造")
    assert (new_energy.klass.code, new_energy.klass.name) == ("4607", "汽车制造类")
    # the 本科 catalogue's three-digit language serials (0502100 …) are real codes, not errors
    assert Programme.objects.filter(code="0502100", level="applied_bachelor").exists()
    assert ProgrammeCategory.objects.filter(level="associate").count() == 19
    assert ProgrammeCategory.objects.filter(level="vocational_bachelor").count() == 19
    assert CatalogueEdition.objects.get(code="2025-chsi").is_current


@pytest.mark.shared_data
def test_programmes_jsonl_second_run_changes_nothing(shared_data):
    # given the listing imported once
    path = shared_data / "programmes-chsi-2025.jsonl"
    kwargs = {"edition_code": "2025-chsi", "edition_name": "2025年专业目录", "year": 2025}
    import_programmes_jsonl(path, **kwargs)
    # when it is imported again
    result = import_programmes_jsonl(path, **kwargs)
    # then nothing is created or updated and nothing is duplicated
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 1976)
    assert result["categories"]["created"] == 0
    assert result["classes"]["created"] == 0
    assert Programme.objects.count() == 1976
    assert CatalogueEdition.objects.count() == 1


def test_programmes_jsonl_refuses_every_bad_row_and_stores_nothing():
    # given a file with good rows and six kinds of bad one
    source = jsonl_bytes(
        [
            programme("460701", "汽车制造与试验技术"),  # line 1, good
            programme("460702", "新能源汽车技术", level="研究生"),  # line 2: unknown level
            programme("260701", "汽车工程技术"),  # line 3: a 职业本科 code given as 高职专科
            '{"major_code": "460703", ',  # line 4: not JSON
            programme("460701", "汽车制造与试验技术（重复）"),  # line 5: duplicate code
            programme("46070", "五位代码"),  # line 6: malformed code
            programme("460704", ""),  # line 7: no name
        ]
    )
    # when it is imported
    with pytest.raises(ValidationFailed) as caught:
        import_programmes_jsonl(source, edition_code="2025", edition_name="2025年专业目录", year=2025)
    # then every bad row is reported with its line number and reason, and nothing is stored
    errors = {e.field: e for e in caught.value.errors}
    assert set(errors) == {
        "rows[2].level",
        "rows[3].code",
        "rows[4]",
        "rows[5].code",
        "rows[6].code",
        "rows[7].name",
    }
    assert errors["rows[2].level"].code == "programme.level_unknown"
    assert errors["rows[3].code"].code == "programme.category_range"
    assert "第3行" in errors["rows[3].code"].message
    assert "41–59" in errors["rows[3].code"].message
    assert errors["rows[4]"].code == "import.bad_json"
    assert errors["rows[5].code"].code == "programme.duplicate_in_file"
    assert "第1行" in errors["rows[5].code"].message
    assert errors["rows[6].code"].code == "programme.code_format"
    assert errors["rows[7].name"].code == "programme.name_missing"
    assert CatalogueEdition.objects.count() == 0
    assert (
        Programme.objects.count() == ProgrammeCategory.objects.count() == ProgrammeClass.objects.count() == 0
    )
    assert not AuditEntry.objects.filter(action__startswith="catalog.").exists()


def test_programmes_refused_reimport_leaves_the_stored_edition_as_it_was():
    # given an edition already stored
    make_edition("2025", 2025, [programme("460702", "新能源汽车技术")])
    # when a second file renames it but carries a bad row
    with pytest.raises(ValidationFailed):
        make_edition("2025", 2025, [programme("460702", "新能源汽车技术（新）"), programme("999999", "无效")])
    # then the stored name is unchanged
    assert Programme.objects.get(code="460702").name == "新能源汽车技术"


def test_programmes_reimport_renames_by_code_and_audits():
    # given an edition with one programme
    make_edition("2025", 2025, [programme("460702", "新能源汽车技术")])
    # when the same edition is imported with the name changed and a programme added
    result = make_edition(
        "2025", 2025, [programme("460702", "新能源汽车技术应用"), programme("460703", "汽车电子技术")]
    )
    # then the existing row is updated in place, the new one created, and the rename audited
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 1, 0)
    assert list(Programme.objects.values_list("code", "name")) == [
        ("460702", "新能源汽车技术应用"),
        ("460703", "汽车电子技术"),
    ]
    entry = AuditEntry.objects.filter(action="catalog.programmes_import").first()
    assert "460702：新能源汽车技术 → 新能源汽车技术应用" in entry.changes["renamed"][1]


def test_parent_names_follow_most_rows_and_disagreeing_rows_are_warned():
    # given three rows of class 4607, one giving it another name
    source = jsonl_bytes(
        [
            programme("460701", "汽车制造与试验技术"),
            programme("460702", "新能源汽车技术", klass="汽车类"),
            programme("460703", "汽车电子技术"),
        ]
    )
    # when imported
    result = import_programmes_jsonl(source, edition_code="2025", edition_name="2025", year=2025)
    # then the class keeps the name most rows give, and the odd row is named
    assert ProgrammeClass.objects.get(code="4607").name == "汽车制造类"
    assert len(result["warnings"]) == 1
    assert result["warnings"][0].startswith("第2行")


def test_a_later_edition_becomes_current_and_follows_the_previous_one():
    # given a 2021 edition
    make_edition("2021", 2021, [programme("460702", "新能源汽车技术")])
    # when a 2025 edition is imported, and then an older 2019 one
    make_edition("2025", 2025, [programme("460702", "新能源汽车技术")])
    make_edition("2019", 2019, [programme("460702", "新能源汽车技术")])
    # then the 2025 edition is current, and each new edition follows the one current when it came
    editions = {e.code: e for e in CatalogueEdition.objects.select_related("previous")}
    assert [c for c, e in editions.items() if e.is_current] == ["2025"]
    assert editions["2025"].previous.code == "2021"
    assert editions["2019"].previous.code == "2025"


def test_import_refuses_a_person_who_is_not_province_staff(school_admin, school):
    # given a school administrator
    actor = actor_of(school_admin, school)
    # when they try to import
    with pytest.raises(Forbidden):
        import_programmes_jsonl(
            jsonl_bytes([programme("460702", "新能源汽车技术")]),
            edition_code="2025",
            edition_name="2025",
            year=2025,
            actor=actor,
        )
    # then nothing is stored
    assert Programme.objects.count() == 0


def test_import_reports_progress_up_to_the_total():
    # given a file of 600 rows and a callback recording progress
    rows = [programme(f"46{i:04d}", f"专业{i}") for i in range(1, 601)]
    calls = []
    # when it is imported
    make_edition("2025", 2025, rows, progress=lambda done, total: calls.append((done, total)))
    # then progress starts at zero, steps forward, and reaches the total only once stored
    assert calls == [(0, 600), (250, 600), (500, 600), (600, 600)]
    assert Programme.objects.count() == 600


# --- programmes from the Ministry's spreadsheet ------------------------------------------------


def test_programmes_xlsx_one_sheet_per_level_with_merged_group_names():
    # given the official layout: a title row, a header row, 大类/类 names only on a group's first row
    header = ["序号", "专业大类代码", "专业大类名称", "专业类代码", "专业类名称", "专业代码", "专业名称"]
    source = xlsx_bytes(
        {
            "高等职业教育专科专业": [
                ["职业教育专业目录（2021年）"],
                header,
                [1, 46, "装备制造大类", 4607, "汽车制造类", 460701, "汽车制造与试验技术"],
                [2, None, None, None, None, 460702, "新能源汽车技术"],
                [3, 51, "电子与信息大类", 5102, "计算机类", 510203, "软件技术"],
            ],
            "高等职业教育本科专业": [
                header,
                [1, "26", "装备制造", "2607", "汽车制造类", "260702", "新能源汽车工程技术"],
            ],
            "填写说明": [["专业代码", "专业名称"], ["这一页不是数据"]],
        }
    )
    # when it is imported
    result = import_programmes_xlsx(source, edition_code="2021", edition_name="2021年专业目录", year=2021)
    # then each sheet's rows are at its level, numbers became codes, and 大类 names lost the word 大类
    assert result["created"] == 4
    stored = {p.code: p for p in Programme.objects.select_related("category", "klass")}
    assert stored["460702"].level == "associate"
    assert stored["460702"].category.name == "装备制造"
    assert stored["460702"].klass.name == "汽车制造类"
    assert stored["260702"].level == "vocational_bachelor"
    assert stored["510203"].category.name == "电子与信息"


def test_programmes_xlsx_with_a_level_column_accepts_either_chinese_name():
    # given one sheet with a 层次 column using both ways of naming each level
    source = xlsx_bytes(
        {
            "目录": [
                ["层次", "专业大类名称", "专业类名称", "专业代码", "专业名称"],
                ["高职专科", "装备制造", "汽车制造类", "460702", "新能源汽车技术"],
                ["高等职业教育专科", "装备制造", "汽车制造类", "460703", "汽车电子技术"],
                ["职业本科", "装备制造", "汽车制造类", "260702", "新能源汽车工程技术"],
                ["高职本科", "装备制造", "汽车制造类", "260701", "汽车工程技术"],
                ["中职", "交通运输", "汽车运用与维修类", "700206", "汽车运用与维修"],
            ]
        }
    )
    # when imported
    import_programmes_xlsx(source, edition_code="2021", edition_name="2021", year=2021)
    # then each row has the level its cell names
    assert dict(Programme.objects.values_list("code", "level")) == {
        "460702": "associate",
        "460703": "associate",
        "260702": "vocational_bachelor",
        "260701": "vocational_bachelor",
        "700206": "secondary",
    }


def test_programmes_xlsx_refuses_every_bad_row_with_sheet_and_row():
    # given a sheet whose rows disagree with the level and with their own codes
    source = xlsx_bytes(
        {
            "高职专科": [
                ["专业大类代码", "专业大类名称", "专业类代码", "专业类名称", "专业代码", "专业名称"],
                ["46", "装备制造", "4607", "汽车制造类", "460702", "新能源汽车技术"],
                ["45", "装备制造", "4607", "汽车制造类", "460703", "汽车电子技术"],
                ["26", "装备制造", "2607", "汽车制造类", "260702", "新能源汽车工程技术"],
                ["46", "装备制造", "4608", "汽车制造类", "460704", "智能网联汽车技术"],
            ],
            "其他": [["专业代码", "专业名称"], ["460705", "汽车造型与改装技术"]],
        }
    )
    # when imported
    with pytest.raises(ValidationFailed) as caught:
        import_programmes_xlsx(source, edition_code="2021", edition_name="2021", year=2021)
    # then each problem names its sheet and row, and nothing is stored
    errors = {e.field: e for e in caught.value.errors}
    assert set(errors) == {
        "sheets[高职专科].rows[3].category_code",
        "sheets[高职专科].rows[4].code",
        "sheets[高职专科].rows[5].class_code",
        "sheets[其他]",
    }
    assert "工作表“高职专科”第3行" in errors["sheets[高职专科].rows[3].category_code"].message
    assert errors["sheets[高职专科].rows[4].code"].code == "programme.category_range"
    assert errors["sheets[其他]"].code == "import.sheet_level_unknown"
    assert Programme.objects.count() == 0


def test_programmes_xlsx_refuses_a_file_that_is_not_a_workbook():
    # given a text file
    source = jsonl_bytes([programme("460702", "新能源汽车技术")])
    # when offered as a spreadsheet
    with pytest.raises(ValidationFailed) as caught:
        import_programmes_xlsx(source, edition_code="2021", edition_name="2021", year=2021)
    # then it is refused as such
    assert [e.code for e in caught.value.errors] == ["import.not_xlsx"]


def test_programmes_refuse_bad_edition_details_together_with_bad_rows():
    # given a bad edition code and year, a previous edition that does not exist, and a bad row
    source = jsonl_bytes([programme("460702", "")])
    # when imported
    with pytest.raises(ValidationFailed) as caught:
        import_programmes_jsonl(
            source, edition_code="2025 版", edition_name="2025", year=1800, previous="2019"
        )
    # then all four problems are reported at once
    assert sorted(_fields(caught.value)) == ["edition_code", "previous", "rows[1].name", "year"]


# --- industries ---------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_industries_real_file_has_every_tier_with_real_codes(shared_data):
    # given GB/T 4754-2017 as published
    path = shared_data / "industries-gbt4754-2017.xlsx"
    # when imported
    result = import_industries_xlsx(path)
    # then each tier has its official count, with the standard's codes and parents
    assert Counter(Industry.objects.values_list("tier", flat=True)) == {1: 20, 2: 97, 3: 473, 4: 1381}
    assert result["created"] == 1971
    codes = dict(Industry.objects.values_list("code", "parent__code"))
    assert codes["C"] is None
    assert codes["36"] == "C"
    assert codes["361"] == "36"
    assert codes["3612"] == "361"
    assert codes["65"] == "I"
    # the file's slips are corrected and named: 0711 twice (the second is 0712), wrong parent_ids
    assert Industry.objects.get(code="0712").name == "海洋石油开采"
    assert codes["0712"] == "071"
    assert codes["8421"] == "842"
    assert codes["9620"] == "962"
    assert len(result["warnings"]) == 14
    assert result["warnings"][0].startswith("第116行：海洋石油开采")


@pytest.mark.shared_data
def test_industries_second_run_changes_nothing(shared_data):
    # given the table imported once
    path = shared_data / "industries-gbt4754-2017.xlsx"
    import_industries_xlsx(path)
    # when imported again
    result = import_industries_xlsx(path)
    # then nothing changes
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 1971)
    assert Industry.objects.count() == 1971


def test_industries_refuse_every_bad_row_and_store_nothing():
    # given a table with good rows and bad ones
    source = xlsx_bytes(
        {
            "Result 1": [
                INDUSTRY_HEADER,
                (1, "C", "制造业", None, "0", ""),  # row 2
                (2, "36", "汽车制造业", "C", "1", ""),  # row 3
                (3, "361", "汽车整车制造", "36", "2", ""),  # row 4
                (4, "CC", "不是代码", None, "0", ""),  # row 5: not a GB/T code
                (5, "362", "汽车用发动机制造", "36", "3", ""),  # row 6: 3 digits is a 中类, not a 小类
                (6, "361", "重复", "36", "2", ""),  # row 7: duplicate
                (7, "3911", "计算机整机制造", "391", "3", ""),  # row 8: parent 391 nowhere
                (8, "98", "不存在的大类", "T", "1", ""),  # row 9: no such 大类
                (9, "3612", "", "361", "3", ""),  # row 10: no name
            ]
        }
    )
    # when imported
    with pytest.raises(ValidationFailed) as caught:
        import_industries_xlsx(source)
    # then each bad row is named with its row number, and nothing is stored
    errors = {e.field: e.code for e in caught.value.errors}
    assert errors == {
        "rows[5].code": "industry.code_format",
        "rows[6].level_type": "industry.tier_mismatch",
        "rows[7].code": "industry.duplicate_in_file",
        "rows[8].parent_id": "industry.parent_missing",
        "rows[9].code": "industry.division_range",
        "rows[10].name": "industry.name_missing",
    }
    assert Industry.objects.count() == 0


def test_industries_codes_typed_as_numbers_keep_their_leading_zero():
    # given a spreadsheet where Excel turned 01 and 011 into numbers
    source = xlsx_bytes(
        {"行业": [INDUSTRY_HEADER, (1, "A", "农、林、牧、渔业", None, 0, ""), (2, 1, "农业", "A", 1, "")]}
    )
    # when imported
    import_industries_xlsx(source)
    # then the code is the standard's 01
    assert Industry.objects.get(code="01").parent.code == "A"


# --- occupations --------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_occupations_real_file_builds_the_four_tiers(shared_data):
    # given the 2022 大典 file
    path = shared_data / "occupations-2022.jsonl"
    # when imported
    result = import_occupations_jsonl(path)
    # then all 1,671 occupations are stored with their 大类 / 中类 / 小类
    assert Counter(Occupation.objects.values_list("tier", flat=True)) == {1: 8, 2: 74, 3: 382, 4: 1671}
    assert result["rows"] == 1671
    software = Occupation.objects.select_related("parent__parent__parent").get(code="2-02-10-03")
    assert software.name == "计算机软件工程技术人员"
    assert software.parent.code == "2-02-10"
    assert software.parent.parent.code == "2-02"
    assert software.parent.parent.parent.code == "2"
    assert "计算机软件工程技术人员" in software.keywords
    # 大类 1 has its official name, not the 细类 name the file repeats
    assert Occupation.objects.get(code="1").name == "党的机关、国家机关、群众团体和社会组织、企事业单位负责人"
    # the one row that names its 小类 after another keeps the name the other twelve give
    assert Occupation.objects.get(code="6-02-06").name == "酒、饮料及精制茶制造人员"
    assert len(result["warnings"]) == 2


@pytest.mark.shared_data
def test_occupations_second_run_changes_nothing(shared_data):
    # given the file imported once
    path = shared_data / "occupations-2022.jsonl"
    import_occupations_jsonl(path)
    # when imported again
    result = import_occupations_jsonl(path)
    # then nothing changes
    assert (result["created"], result["updated"]) == (0, 0)
    assert Occupation.objects.count() == 8 + 74 + 382 + 1671


def test_occupations_refuse_every_bad_row_and_store_nothing():
    # given good and bad lines
    source = jsonl_bytes(
        [
            occupation("2-02-10-03", "计算机软件工程技术人员"),  # line 1, good
            occupation("2-02-1003", "格式错误"),  # line 2: malformed code
            occupation("2-02-10-04", "计算机网络工程技术人员", minor_category_code="2-02-11"),  # line 3
            occupation("2-02-10-05", "信息系统分析工程技术人员", keywords=5),  # line 4
            occupation("2-02-10-03", "重复"),  # line 5: duplicate
        ]
    )
    # when imported
    with pytest.raises(ValidationFailed) as caught:
        import_occupations_jsonl(source)
    # then each bad line is named, and nothing is stored
    errors = {e.field: e.code for e in caught.value.errors}
    assert errors == {
        "rows[2].occupation_code": "occupation.code_format",
        "rows[3].minor_category_code": "occupation.parent_mismatch",
        "rows[4].keywords": "occupation.keywords_type",
        "rows[5].occupation_code": "occupation.duplicate_in_file",
    }
    assert Occupation.objects.count() == 0


def test_occupation_keywords_are_searchable_as_text():
    # given an occupation with a keyword not in its name
    import_occupations_jsonl(
        jsonl_bytes([occupation("2-02-10-03", "计算机软件工程技术人员", keywords=["编程"])])
    )
    # then the plain-text copy holds the keyword, so a search by it finds the occupation
    assert Occupation.objects.filter(keywords_text__icontains="编程").get().code == "2-02-10-03"


def test_programmes_xlsx_group_names_written_with_their_code_in_front():
    # given group columns headed 专业大类 / 专业类 holding "code name"
    source = xlsx_bytes(
        {
            "高职专科": [
                ["专业大类", "专业类", "专业代码", "专业名称"],
                ["46 装备制造大类", "4607 汽车制造类", "460702", "新能源汽车技术"],
            ]
        }
    )
    # when imported
    import_programmes_xlsx(source, edition_code="2021", edition_name="2021", year=2021)
    # then the names are stored without the code (and the 大类 without the word 大类)
    stored = Programme.objects.select_related("category", "klass").get()
    assert (stored.category.name, stored.klass.name) == ("装备制造", "汽车制造类")
