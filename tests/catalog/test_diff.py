import io

import pytest
from openpyxl import load_workbook

from chanjiao.catalog.models import CatalogueEdition
from chanjiao.catalog.services import edition_diff
from tests.catalog.factories import make_edition, programme
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editions():
    """A worked example: 2021 → 2025 keeps one, renames one, drops one and adds two."""
    make_edition(
        "2021",
        2021,
        [
            programme("460701", "汽车制造与试验技术"),
            programme("460702", "新能源汽车技术"),
            programme("530302", "会计", level="高职专科"),
            programme("510203", "软件技术"),
        ],
    )
    make_edition(
        "2025",
        2025,
        [
            programme("460701", "汽车制造与试验技术"),
            programme("530302", "大数据与会计"),
            programme("510203", "软件技术"),
            programme("460704", "智能网联汽车技术"),
            programme("260702", "新能源汽车工程技术", level="职业本科"),
        ],
    )
    editions = {e.code: e for e in CatalogueEdition.objects.all()}
    return editions["2025"], editions["2021"]


def test_edition_diff_lists_added_renamed_and_dropped_by_code(two_editions):
    # given the 2025 and the 2021 edition
    new, old = two_editions
    # when they are compared
    diff = edition_diff(new, old)
    # then each change is listed by code
    assert [(r["code"], r["name"], r["level"]) for r in diff.added] == [
        ("260702", "新能源汽车工程技术", "vocational_bachelor"),
        ("460704", "智能网联汽车技术", "associate"),
    ]
    assert [(r["code"], r["old_name"], r["new_name"]) for r in diff.renamed] == [
        ("530302", "会计", "大数据与会计")
    ]
    assert [(r["code"], r["name"]) for r in diff.dropped] == [("460702", "新能源汽车技术")]
    assert diff.unchanged == 2


def test_edition_diff_the_other_way_round_swaps_added_and_dropped(two_editions):
    # given the two editions
    new, old = two_editions
    # when compared backwards
    diff = edition_diff(old, new)
    # then what was added is dropped, and the rename runs the other way
    assert [r["code"] for r in diff.dropped] == ["260702", "460704"]
    assert [r["code"] for r in diff.added] == ["460702"]
    assert [(r["old_name"], r["new_name"]) for r in diff.renamed] == [("大数据与会计", "会计")]


def test_edition_diff_reads_a_fixed_number_of_times(two_editions, django_assert_num_queries):
    # given the two editions
    new, old = two_editions
    # when compared: one read per edition, whatever their size
    with django_assert_num_queries(2):
        edition_diff(new, old)


def test_diff_page_shows_the_worked_example(two_editions, school_staff):
    # given a logged-in person
    client = client_for(school_staff)
    # when they open the diff page with its defaults (the current edition against its previous one)
    response = client.get("/catalog/editions/diff/")
    # then the figures and rows of the worked example are shown
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="added">2<' in html
    assert 'data-figure="renamed">1<' in html
    assert 'data-figure="dropped">1<' in html
    assert "大数据与会计" in html
    assert html.count('data-change="added"') == 2


def test_diff_export_is_a_workbook_with_every_change(two_editions, school_staff):
    # when the diff is exported
    response = client_for(school_staff).get("/catalog/editions/diff.xlsx?new=2025&old=2021")
    # then it is a workbook with one row per change
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert sorted((r[0], r[1]) for r in rows) == [
        ("撤销", "460702"),
        ("新增", "260702"),
        ("新增", "460704"),
        ("更名", "530302"),
    ]


def test_diff_api_answers_against_the_previous_edition(two_editions, api, school_staff):
    # when the API is asked what 2025 changes
    response = api(school_staff).get("/api/v1/catalogue-editions/2025/diff")
    # then it answers against 2021, the edition 2025 follows
    body = response.json()
    assert response.status_code == 200
    assert (body["new"], body["old"], body["unchanged"]) == ("2025", "2021", 2)
    assert [r["code"] for r in body["added"]] == ["260702", "460704"]
    assert body["renamed"][0]["old_name"] == "会计"
    assert [r["code"] for r in body["dropped"]] == ["460702"]


def test_diff_api_asks_for_an_edition_to_compare_when_there_is_no_previous_one(api, school_staff):
    # given a single edition
    make_edition("2021", 2021, [programme("460702", "新能源汽车技术")])
    # when its diff is asked for without ?against=
    response = api(school_staff).get("/api/v1/catalogue-editions/2021/diff")
    # then the caller is told to name one
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "edition.no_previous"
