import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from chanjiao.catalog.models import CatalogueEdition, Industry, Occupation, Programme
from chanjiao.catalog.seeds import load_seed
from chanjiao.core.models import Job
from tests.catalog.factories import (
    INDUSTRY_HEADER,
    filled_template,
    jsonl_bytes,
    occupation,
    programme,
    xlsx_bytes,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BROWSE_PAGES = ("/catalog/", "/catalog/industries/", "/catalog/occupations/", "/catalog/editions/")
IMPORT_PAGES = (
    "/catalog/import/",
    "/catalog/import/programmes/",
    "/catalog/import/industries/",
    "/catalog/import/occupations/",
    "/catalog/import/programmes/template.xlsx",
)


@pytest.fixture
def seeded(db):
    load_seed()


def _upload(name: str, content: io.BytesIO) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.getvalue())


def test_browsing_pages_render_for_any_logged_in_person(seeded, learner):
    # given a learner, the least privileged role
    client = client_for(learner)
    for path in BROWSE_PAGES:
        # when they open each catalogue page
        response = client.get(path)
        # then it renders, with the catalogue's tabs but no import tab
        assert response.status_code == 200, path
        assert "data-catalog-tabs" in response.content.decode()
        assert "/catalog/import/" not in response.content.decode()


def test_browsing_pages_send_anonymous_visitors_to_login(seeded, client):
    for path in BROWSE_PAGES + IMPORT_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/")


def test_programme_list_searches_and_filters_on_the_server(seeded, school_staff):
    client = client_for(school_staff)
    # when searching 新能源 among 职业本科 programmes
    html = client.get("/catalog/?q=新能源&level=vocational_bachelor").content.decode()
    # then only the matching programme is listed
    assert 'data-programme="260702"' in html
    assert 'data-programme="460702"' not in html
    # and filtering by the 大类 53 lists its programmes only
    html = client.get("/catalog/?category=53").content.decode()
    assert 'data-programme="530302"' in html
    assert 'data-programme="510203"' not in html


def test_programme_list_paginates(seeded, school_staff):
    # when the first page of 20 is asked for
    response = client_for(school_staff).get("/catalog/?page_size=20")
    # then 20 of the 49 programmes are shown and the pager says so
    html = response.content.decode()
    assert html.count("data-programme=") == 20
    assert "共 49 条" in html


def test_programme_list_answers_htmx_with_the_table_only(seeded, school_staff):
    response = client_for(school_staff).get("/catalog/?q=软件", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'data-programme="510203"' in html
    assert "<html" not in html


def test_industry_tree_drills_down_and_searches(seeded, school_staff):
    client = client_for(school_staff)
    # when the tree is opened, then C, then searched
    top = client.get("/catalog/industries/").content.decode()
    under_c = client.get("/catalog/industries/?parent=C").content.decode()
    found = client.get("/catalog/industries/?q=新能源").content.decode()
    # then the top shows the 20 门类, C shows its 大类 with a breadcrumb, the search finds the 小类
    assert top.count("data-industry=") == 20
    assert 'data-industry="36"' in under_c
    assert 'data-industry="A"' not in under_c
    assert "C 制造业" in under_c
    assert 'data-industry="3612"' in found


def test_occupation_browser_searches_by_keyword(db, school_staff):
    # given an occupation with a keyword
    from chanjiao.catalog.importers import import_occupations_jsonl

    import_occupations_jsonl(
        jsonl_bytes([occupation("2-02-10-03", "计算机软件工程技术人员", keywords=["编程"])])
    )
    # when searched by the keyword
    html = client_for(school_staff).get("/catalog/occupations/?q=编程").content.decode()
    # then it is listed with its keyword
    assert 'data-occupation="2-02-10-03"' in html
    assert "编程" in html


@pytest.mark.parametrize("path", IMPORT_PAGES)
def test_import_pages_refuse_a_school_admin(path, school_admin):
    assert client_for(school_admin).get(path).status_code == 403


def test_import_pages_open_for_province_staff(province_officer):
    client = client_for(province_officer)
    for path in IMPORT_PAGES:
        assert client.get(path).status_code == 200, path


def test_import_refuses_a_school_admin_post_and_stores_nothing(school_admin):
    # when a school admin posts a programme file
    response = client_for(school_admin).post(
        "/catalog/import/programmes/",
        {
            "file": _upload("p.jsonl", jsonl_bytes([programme("460702", "新能源汽车技术")])),
            "edition_code": "2025",
            "edition_name": "2025",
            "year": 2025,
        },
    )
    # then it is forbidden and nothing is stored
    assert response.status_code == 403
    assert Programme.objects.count() == 0


def test_programme_import_page_lists_every_bad_row_and_stores_nothing(province_officer):
    # given a file with two bad rows
    source = jsonl_bytes(
        [programme("460702", "新能源汽车技术"), programme("260702", "错层次"), programme("460703", "")]
    )
    # when a province officer uploads it
    response = client_for(province_officer).post(
        "/catalog/import/programmes/",
        {"file": _upload("p.jsonl", source), "edition_code": "2025", "edition_name": "2025年", "year": 2025},
    )
    # then the page lists both rows with their reasons, and nothing is stored
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-import-errors="2"' in html
    assert "第2行" in html
    assert "第3行" in html
    assert 'data-error-code="programme.category_range"' in html
    assert Programme.objects.count() == 0
    assert CatalogueEdition.objects.count() == 0
    assert Job.objects.get().status == Job.Status.FAILED


def test_programme_import_page_takes_the_filled_template(province_officer):
    # given the downloaded template, filled in
    client = client_for(province_officer)
    template = client.get("/catalog/import/programmes/template.xlsx")
    assert load_workbook(io.BytesIO(template.content)).sheetnames == [
        "中等职业教育专业",
        "高等职业教育专科专业",
        "高等职业教育本科专业",
        "填写说明",
    ]
    source = filled_template(
        {
            "高等职业教育专科专业": [
                [1, "46", "装备制造大类", "4607", "汽车制造类", "460702", "新能源汽车技术"],
                [2, "", "", "", "", "460704", "智能网联汽车技术"],
            ],
            "高等职业教育本科专业": [
                [1, "26", "装备制造大类", "2607", "汽车制造类", "260702", "新能源汽车工程技术"]
            ],
        }
    )
    # when uploaded
    response = client.post(
        "/catalog/import/programmes/",
        {
            "file": _upload("目录.xlsx", source),
            "edition_code": "2025",
            "edition_name": "2025年专业目录",
            "year": 2025,
            "make_current": "yes",
        },
    )
    # then the programmes are stored and the result page shows the counts
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert 'data-figure="created">3<' in result
    assert dict(Programme.objects.values_list("code", "level")) == {
        "460702": "associate",
        "460704": "associate",
        "260702": "vocational_bachelor",
    }
    assert CatalogueEdition.objects.get(code="2025").is_current


def test_empty_template_is_refused_as_empty(province_officer):
    # when the template is uploaded as downloaded
    client = client_for(province_officer)
    template = client.get("/catalog/import/programmes/template.xlsx").content
    response = client.post(
        "/catalog/import/programmes/",
        {
            "file": SimpleUploadedFile("t.xlsx", template),
            "edition_code": "2025",
            "edition_name": "2025",
            "year": 2025,
        },
    )
    # then it is refused: there are no rows
    assert 'data-error-code="import.empty"' in response.content.decode()


def test_industry_import_page_stores_and_shows_corrections(province_officer):
    # given a table whose 小类 names a wrong parent_id
    source = xlsx_bytes(
        {
            "Result 1": [
                INDUSTRY_HEADER,
                (1, "C", "制造业", None, "0", ""),
                (2, "36", "汽车制造业", "C", "1", ""),
                (3, "361", "汽车整车制造", "36", "2", ""),
                (4, "362", "汽车用发动机制造", "36", "2", ""),
                (5, "3612", "新能源车整车制造", "362", "3", ""),
            ]
        }
    )
    client = client_for(province_officer)
    # when uploaded
    response = client.post("/catalog/import/industries/", {"file": _upload("gbt.xlsx", source)})
    # then it is stored under the parent its code gives, and the result page names the correction
    assert response.status_code == 302
    assert Industry.objects.get(code="3612").parent.code == "361"
    result = client.get(response["Location"]).content.decode()
    assert result.count("data-warning") == 1
    assert "第6行" in result


def test_industry_import_page_refuses_a_wrong_file_type(province_officer):
    # when a .csv is uploaded
    response = client_for(province_officer).post(
        "/catalog/import/industries/", {"file": SimpleUploadedFile("gbt.csv", b"a,b\n")}
    )
    # then the form says which types it takes
    assert response.status_code == 200
    assert "文件类型应为 .xlsx" in response.content.decode()
    assert Industry.objects.count() == 0


def test_occupation_import_page_stores_the_tiers(province_officer):
    source = jsonl_bytes([occupation("2-02-10-03", "计算机软件工程技术人员")])
    response = client_for(province_officer).post(
        "/catalog/import/occupations/", {"file": _upload("o.jsonl", source), "edition": "2022"}
    )
    assert response.status_code == 302
    assert sorted(Occupation.objects.values_list("code", flat=True)) == ["2", "2-02", "2-02-10", "2-02-10-03"]


def test_province_staff_can_make_an_edition_current(seeded, province_officer, school_admin):
    # given a second, non-current edition
    from tests.catalog.factories import make_edition

    make_edition("2019", 2019, [programme("460702", "新能源汽车技术")], make_current=False)
    # when a school admin tries to make it current, then a province officer does
    refused = client_for(school_admin).post("/catalog/editions/2019/make-current/")
    done = client_for(province_officer).post("/catalog/editions/2019/make-current/")
    # then only the province officer's request takes effect
    assert refused.status_code == 403
    assert done.status_code == 302
    assert list(CatalogueEdition.objects.filter(is_current=True).values_list("code", flat=True)) == ["2019"]
