import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.catalog.importers import import_industries_xlsx, import_occupations_jsonl
from chanjiao.catalog.seeds import load_seed
from tests.catalog.factories import jsonl_bytes, make_edition, occupation, programme
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    load_seed()


def test_catalogue_reads_need_authentication(seeded, api):
    # given no credentials
    client = api()
    # when any catalogue endpoint is read
    for path in (
        "/api/v1/programmes",
        "/api/v1/industries",
        "/api/v1/occupations",
        "/api/v1/catalogue-editions",
    ):
        response = client.get(path)
        # then it answers 401 in the platform's error body
        assert response.status_code == 401, path
        assert error_codes(response) == ["not_authenticated"]


def test_programmes_list_filters_and_paginates(seeded, api, school_staff):
    # given the seed and a school's staff member
    client = api(school_staff)
    # when listing 汽车制造类 (4607) at 高职专科, two at a time
    response = client.get("/api/v1/programmes?level=associate&klass=4607&page_size=2")
    # then the count is the whole match and the page holds two, with their 大类 and 类
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 4
    assert [p["code"] for p in body["items"]] == ["460701", "460702"]
    assert body["items"][1] == {
        "code": "460702",
        "name": "新能源汽车技术",
        "level": "associate",
        "level_display": "高职专科",
        "edition": "2021-seed",
        "category": {"code": "46", "name": "装备制造"},
        "klass": {"code": "4607", "name": "汽车制造类"},
    }
    # and the second page holds the rest
    page2 = client.get("/api/v1/programmes?level=associate&klass=4607&page_size=2&page=2").json()
    assert [p["code"] for p in page2["items"]] == ["460703", "460704"]


def test_programmes_search_by_code_prefix_or_name(seeded, api, school_staff):
    client = api(school_staff)
    # when searching by name
    by_name = client.get("/api/v1/programmes?q=新能源").json()
    # then programmes of both levels whose name holds it are found
    assert {p["code"] for p in by_name["items"]} == {"460702", "500212", "260702"}
    # and by a code prefix and a 大类
    assert client.get("/api/v1/programmes?q=2607").json()["count"] == 3
    assert client.get("/api/v1/programmes?category=53").json()["count"] == 5


def test_programmes_default_to_the_current_edition_and_take_another(seeded, api, school_staff):
    # given a second, non-current edition with one programme
    make_edition("2019", 2019, [programme("460702", "新能源汽车技术（旧）")], make_current=False)
    client = api(school_staff)
    # when listing without and with ?edition=
    current = client.get("/api/v1/programmes?q=460702").json()
    older = client.get("/api/v1/programmes?edition=2019").json()
    # then each lists only its edition
    assert [p["edition"] for p in current["items"]] == ["2021-seed"]
    assert older["count"] == 1
    assert older["items"][0]["name"] == "新能源汽车技术（旧）"
    # and an unknown edition is 404
    assert client.get("/api/v1/programmes?edition=1999").status_code == 404


def test_programmes_refuse_bad_filters(seeded, api, school_staff):
    client = api(school_staff)
    # when the page size is too large or the level unknown
    too_big = client.get("/api/v1/programmes?page_size=201")
    bad_level = client.get("/api/v1/programmes?level=doctorate")
    # then each is refused with 422 naming the parameter
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "page_size"
    assert bad_level.status_code == 422
    assert bad_level.json()["errors"][0]["field"] == "level"


def test_programme_list_query_count_does_not_grow_with_the_page(seeded, api, school_staff):
    # given a client that has used its token once (the first use also stamps last_used_at)
    client = api(school_staff)
    client.get("/api/v1/me")
    # when a page of 2 and a page of 50 are read
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/programmes?page_size=2").json()["items"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/programmes?page_size=50").json()["items"]) == 49
    # then the number of queries is the same
    assert len(small) == len(large)


def test_programme_detail_by_code_and_edition(seeded, api, school_staff):
    client = api(school_staff)
    # when a programme is read by code
    response = client.get("/api/v1/programmes/510203")
    # then it answers from the current edition
    assert response.status_code == 200
    assert response.json()["name"] == "软件技术"
    assert response.json()["edition"] == "2021-seed"
    # and with ?edition= from that edition, 404 where the code is not in it or nowhere
    make_edition("2019", 2019, [programme("460702", "新能源汽车技术（旧）")], make_current=False)
    assert client.get("/api/v1/programmes/460702?edition=2019").json()["name"] == "新能源汽车技术（旧）"
    assert client.get("/api/v1/programmes/510203?edition=2019").status_code == 404
    assert client.get("/api/v1/programmes/999999").status_code == 404


def test_industries_list_by_tier_parent_and_search(seeded, api, school_staff):
    client = api(school_staff)
    # when listing the 门类, the children of C, and searching
    sections = client.get("/api/v1/industries?tier=1&page_size=50").json()
    under_c = client.get("/api/v1/industries?parent=C").json()
    software = client.get("/api/v1/industries?q=软件").json()
    # then each answers what it asked for
    assert sections["count"] == 20
    assert sections["items"][0] == {
        "code": "A",
        "name": "农、林、牧、渔业",
        "tier": 1,
        "tier_display": "门类",
        "parent": None,
        "description": "",
    }
    assert [i["code"] for i in under_c["items"]] == ["26", "30", "34", "35", "36", "37", "38", "39", "40"]
    assert {i["code"] for i in software["items"]} >= {"65", "651", "6511", "6513"}
    # and a tier outside 1–4 is refused
    assert client.get("/api/v1/industries?tier=5").status_code == 422


def test_industry_detail_has_ancestors_and_children(seeded, api, school_staff):
    client = api(school_staff)
    # when an industry is read
    body = client.get("/api/v1/industries/361").json()
    # then it names its path from the 门类 and its children
    assert (body["name"], body["parent"]) == ("汽车整车制造", "36")
    assert [a["code"] for a in body["ancestors"]] == ["C", "36"]
    assert [c["code"] for c in body["children"]] == ["3611", "3612"]
    assert client.get("/api/v1/industries/9999").status_code == 404


def test_occupations_search_by_keyword_code_and_tier(db, api, school_staff):
    # given an occupation whose keyword is not in its name
    import_occupations_jsonl(
        jsonl_bytes(
            [
                occupation("2-02-10-03", "计算机软件工程技术人员", keywords=["编程", "软件开发"]),
                occupation("2-02-10-04", "计算机网络工程技术人员"),
            ]
        )
    )
    client = api(school_staff)
    # when searching by the keyword, by code prefix, and by tier
    by_keyword = client.get("/api/v1/occupations?q=编程").json()
    by_code = client.get("/api/v1/occupations?q=2-02-10-0").json()
    details = client.get("/api/v1/occupations?tier=4").json()
    # then each finds what it should
    assert [o["code"] for o in by_keyword["items"]] == ["2-02-10-03"]
    assert by_keyword["items"][0]["keywords"] == ["编程", "软件开发"]
    assert by_keyword["items"][0]["parent"] == "2-02-10"
    assert by_code["count"] == 2
    assert details["count"] == 2


def test_occupation_detail_has_its_path(seeded, api, school_staff):
    client = api(school_staff)
    # when an occupation is read
    body = client.get("/api/v1/occupations/6-31-07-01").json()
    # then its path and tier are given
    assert body["name"] == "工业机器人系统运维员"
    assert body["tier_display"] == "细类（职业）"
    assert [a["code"] for a in body["ancestors"]] == ["6", "6-31", "6-31-07"]
    assert body["children"] == []
    assert client.get("/api/v1/occupations/9-99-99-99").status_code == 404


def test_editions_list(seeded, api, school_staff):
    # given the seed edition and a later one
    make_edition("2025", 2025, [programme("460702", "新能源汽车技术")])
    # when editions are listed
    body = api(school_staff).get("/api/v1/catalogue-editions").json()
    # then the current one comes first with its count, and the other follows
    assert body["count"] == 2
    first, second = body["items"]
    assert (first["code"], first["is_current"], first["previous"], first["programme_count"]) == (
        "2025",
        True,
        "2021-seed",
        1,
    )
    assert (second["code"], second["is_current"], second["programme_count"]) == ("2021-seed", False, 49)


@pytest.mark.shared_data
def test_industry_list_query_count_on_the_real_table(shared_data, api, school_staff):
    # given the full table
    import_industries_xlsx(shared_data / "industries-gbt4754-2017.xlsx")
    client = api(school_staff)
    client.get("/api/v1/me")
    # when a page of 5 and a page of 200 小类 are read
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/industries?tier=4&page_size=5").json()["items"]) == 5
    with CaptureQueriesContext(connection) as large:
        body = client.get("/api/v1/industries?tier=4&page_size=200").json()
    # then the count is right and the queries do not grow with the page
    assert body["count"] == 1381
    assert len(body["items"]) == 200
    assert len(small) == len(large)
