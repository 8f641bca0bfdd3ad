"""The home page per role: real counts from the actor's scope, never across it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.core.permissions import Role
from tests.conftest import client_for
from tests.factories import make_org, make_person

pytestmark = pytest.mark.django_db


def figures(html: str) -> dict[str, str]:
    return {
        k: v for k, v in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html) if not k.startswith("area_")
    }


def area_rows(html: str) -> dict[str, tuple[int, int, int]]:
    rows = {}
    for code, total, school, enterprise in re.findall(
        r'data-area="(\d+)">.*?data-figure="area_total">(\d+)<.*?data-figure="area_school">(\d+)<'
        r'.*?data-figure="area_enterprise">(\d+)<',
        html,
    ):
        rows[code] = (int(total), int(school), int(enterprise))
    return rows


def kind_rows(html: str) -> dict[str, int]:
    return {
        k: int(v)
        for k, v in re.findall(r'data-kind="([a-z_]+)"><td>[^<]*</td><td class="text-end">(\d+)<', html)
    }


@pytest.fixture
def world(
    province_officer,
    observer,
    city_officer,
    school_admin,
    school_staff,
    other_school_admin,
    enterprise_contact,
    expert,
    learner,
    jiangsu_officer,
    school,
    other_school,
    enterprise,
    regions,
):
    """Anhui: the department, Hefei's bureau, two Hefei schools (one secondary) and an enterprise,
    a Wuhu school; an expert in Wuhu; Jiangsu: its department, a school and an expert."""
    make_org("合肥工业学校", kind="school", region=regions.hefei, school_level="secondary")
    make_person("wuhu_expert", other_school, Role.EXPERT)
    js_school = make_org(
        "南京职业技术学院", kind="school", region=regions.nanjing_xuanwu, school_level="associate"
    )
    make_person("js_expert", js_school, Role.EXPERT)
    # a revoked expert role does not count
    revoked = make_person("old_expert", school, Role.EXPERT)
    revoked.memberships.update(is_active=False)


def test_province_officer_sees_the_province(world, province_officer):
    html = client_for(province_officer).get("/").content.decode()
    # the department, Hefei's bureau, three schools and an enterprise; Jiangsu's are not counted
    assert figures(html) == {
        "org_total": "6",
        "school": "3",
        "enterprise": "1",
        "experts": "2",  # the enterprise's expert and Wuhu's; not Jiangsu's, not the revoked one
        "people": "10",  # every Anhui persona and Wuhu's expert; not the revoked one, not Jiangsu's
    }
    assert kind_rows(html) == {
        "department": 2,
        "school": 3,
        "enterprise": 1,
        "association": 0,
        "evaluation_org": 0,
        "research": 0,
        "other": 0,
    }
    # per city: the province's own (3400), Hefei (3401), Wuhu (3402)
    assert area_rows(html) == {"3400": (1, 0, 0), "3401": (4, 2, 1), "3402": (1, 1, 0)}
    assert 'data-level="secondary"><td>中职</td><td class="text-end">1<' in html
    assert 'data-level="associate"><td>高职专科</td><td class="text-end">2<' in html


def test_observer_sees_the_same_province_figures(world, observer):
    html = client_for(observer).get("/").content.decode()
    assert figures(html)["org_total"] == "6"
    assert figures(html)["school"] == "3"


def test_city_officer_sees_their_city_by_county(world, city_officer):
    html = client_for(city_officer).get("/").content.decode()
    assert "本市单位" in html
    assert figures(html) == {
        "org_total": "4",  # the bureau, two schools, the enterprise
        "school": "2",
        "enterprise": "1",
        "experts": "1",
        "people": "6",  # the bureau's officer, school admin and staff, learner, enterprise contact, expert
    }
    assert area_rows(html) == {"340100": (2, 1, 0), "340104": (2, 1, 1)}
    assert "最近操作" not in html  # the audit log is for province staff and the observer


def test_jiangsu_officer_sees_only_jiangsu(world, jiangsu_officer):
    html = client_for(jiangsu_officer).get("/").content.decode()
    assert figures(html) == {
        "org_total": "2",
        "school": "1",
        "enterprise": "0",
        "experts": "1",
        "people": "2",
    }


def test_school_admin_sees_their_school(world, school_admin, school):
    html = client_for(school_admin).get("/").content.decode()
    assert school.name in html
    # admin, staff and learner; the revoked expert is not counted
    assert figures(html) == {"my_roles": "单位管理员", "people": "3"}
    assert 'data-role="org_admin"><td>单位管理员</td><td class="text-end">1<' in html
    assert 'data-role="expert"' not in html
    assert "本省单位" not in html


def test_expert_and_learner_see_their_own_organisation(world, expert, learner, enterprise, school):
    expert_html = client_for(expert).get("/").content.decode()
    assert enterprise.name in expert_html
    assert figures(expert_html) == {"my_roles": "评审专家", "people": "2"}
    learner_html = client_for(learner).get("/").content.decode()
    assert figures(learner_html) == {"my_roles": "学习者", "people": "3"}


def test_subsidiaries_are_counted_for_a_parent(world, enterprise_contact, enterprise, regions):
    make_org("合肥智能装备（芜湖）有限公司", kind="enterprise", region=regions.wuhu_jinghu, parent=enterprise)
    html = client_for(enterprise_contact).get("/").content.decode()
    assert figures(html)["subsidiaries"] == "1"


def test_a_person_without_an_organisation_is_told_so(stranger):
    html = client_for(stranger).get("/").content.decode()
    assert "您尚未加入任何单位" in html
    assert figures(html) == {}


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_home_query_count_does_not_grow_with_the_province(province_officer, regions):
    client = client_for(province_officer)
    client.get("/")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx)

    few = queries()
    for i in range(30):
        org = make_org(
            f"企业{i}", kind="enterprise", region=regions.wuhu_jinghu if i % 2 else regions.hefei_shushan
        )
        make_person(f"e{i}", org, Role.EXPERT)
    assert queries() == few
