"""Organisations: kinds and their attributes, create and edit through the API and pages, scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.catalog.models import Industry
from chanjiao.core.models import AuditEntry
from chanjiao.orgs.models import Organization
from tests.conftest import ApiClient, client_for, error_codes, error_fields
from tests.factories import make_org, valid_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def industry(db):
    section = Industry.objects.create(code="C", name="制造业", tier=1)
    division = Industry.objects.create(code="38", name="电气机械和器材制造业", tier=2, parent=section)
    group = Industry.objects.create(code="382", name="输配电及控制设备制造", tier=3, parent=division)
    return Industry.objects.create(code="3821", name="变压器、整流器和电感器制造", tier=4, parent=group)


def enterprise_payload(**overrides):
    return {
        "name": "合肥新能源装备有限公司",
        "kind": "enterprise",
        "region": "340104",
        "uscc": valid_uscc("340104"),
        "industry": "3821",
        "size": "medium",
        "ownership": "private",
        "contact_name": "王工",
        "contact_phone": "13912345678",
        **overrides,
    }


def counts():
    return Organization.objects.count(), AuditEntry.objects.count()


# --- kinds and attributes ---------------------------------------------------------------------


def test_province_officer_creates_an_enterprise_with_its_attributes_and_an_audit_entry(
    province_officer, industry
):
    # given a province officer calling the API
    client = ApiClient(province_officer)
    audits = AuditEntry.objects.count()
    # when they create an enterprise with USCC, GB/T 4754 industry, size and ownership
    response = client.post("/api/v1/organizations", enterprise_payload())
    # then it is stored with each attribute, the industry a foreign key into the catalogue
    assert response.status_code == 201, response.json()
    body = response.json()
    org = Organization.objects.get(pk=body["id"])
    assert (org.kind, org.region_id, org.size, org.ownership) == ("enterprise", "340104", "medium", "private")
    assert org.industry == industry
    assert body["industry_code"] == "3821"
    assert body["kind_display"] == "企业"
    assert body["region"] == {"code": "340104", "name": "蜀山区"}
    # and one audit entry holds the new values (before: none)
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.get(action="organization.create")
    assert entry.object_id == str(org.pk)
    assert entry.changes["name"] == [None, "合肥新能源装备有限公司"]
    assert entry.changes["industry_id"] == [None, industry.pk]
    assert entry.actor == province_officer


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"kind": "department", "uscc": None}, "dept_level", "required"),
        ({"kind": "school", "industry": None, "size": "", "ownership": ""}, "school_level", "required"),
        ({"kind": "department", "dept_level": "town", "uscc": None}, "dept_level", "invalid_choice"),
        ({"kind": "school", "school_level": "doctorate"}, "school_level", "invalid_choice"),
        ({"uscc": None}, "uscc", "required"),
        ({"uscc": "91340104MA2C8GJ001"}, "uscc", "uscc.check_char"),
        ({"industry": "9999"}, "industry", "industry.unknown"),
        ({"size": "huge"}, "size", "invalid_choice"),
        ({"ownership": "royal"}, "ownership", "invalid_choice"),
        ({"region": "349999"}, "region", "region.unknown"),
        ({"region": "320102"}, "region", "region.out_of_scope"),
        ({"kind": "guild"}, "kind", "invalid_choice"),
        ({"name": "  "}, "name", "required"),
        ({"website": "not a url"}, "website", "website.invalid"),
        ({"contact_phone": "12345678901"}, "contact_phone", "mobile.format"),
    ],
)
def test_each_kind_needs_its_attributes(province_officer, industry, payload, field, code):
    # given a payload missing or breaking one attribute
    client = ApiClient(province_officer)
    before = counts()
    # when it is sent
    response = client.post("/api/v1/organizations", enterprise_payload(**payload))
    # then 422 names the field and the rule, in Chinese, and nothing is stored or audited
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in errors]
    assert all(e["message"] for e in errors)
    assert counts() == before


def test_a_school_records_its_sponsor_and_level(province_officer):
    client = ApiClient(province_officer)
    response = client.post(
        "/api/v1/organizations",
        {
            "name": "安徽职业技术大学",
            "kind": "school",
            "region": "340104",
            "uscc": valid_uscc("340104"),
            "school_level": "vocational_bachelor",
            "sponsor": "安徽省人民政府",
            "sponsor_kind": "government",
        },
    )
    assert response.status_code == 201, response.json()
    org = Organization.objects.get(pk=response.json()["id"])
    assert (org.school_level, org.sponsor, org.sponsor_kind) == (
        "vocational_bachelor",
        "安徽省人民政府",
        "government",
    )


@pytest.mark.parametrize("kind", ["association", "evaluation_org", "research", "other"])
def test_other_kinds_can_be_created(province_officer, kind):
    client = ApiClient(province_officer)
    payload = {"name": f"测试{kind}", "kind": kind, "region": "340100"}
    if kind in {"association", "evaluation_org"}:
        payload["uscc"] = valid_uscc("340100")
    response = client.post("/api/v1/organizations", payload)
    assert response.status_code == 201, response.json()
    assert Organization.objects.get(pk=response.json()["id"]).kind == kind


def test_every_problem_is_listed_not_only_the_first(province_officer):
    client = ApiClient(province_officer)
    response = client.post(
        "/api/v1/organizations",
        {"name": "", "kind": "school", "region": "999999", "uscc": "123", "school_level": "x"},
    )
    assert response.status_code == 422
    assert set(error_fields(response)) >= {"name", "region", "uscc", "school_level"}


def test_a_duplicate_uscc_is_refused_naming_the_holder(province_officer, school):
    client = ApiClient(province_officer)
    before = counts()
    response = client.post("/api/v1/organizations", enterprise_payload(uscc=school.uscc, industry=None))
    assert response.status_code == 422
    assert error_codes(response) == ["uscc.duplicate"]
    assert school.name in response.json()["errors"][0]["message"]
    assert counts() == before


def test_a_duplicate_name_in_the_same_region_is_refused(province_officer, school):
    client = ApiClient(province_officer)
    response = client.post(
        "/api/v1/organizations",
        {"name": school.name, "kind": "research", "region": school.region_id},
    )
    assert response.status_code == 422
    assert error_codes(response) == ["name.duplicate"]


# --- bad input on the API ---------------------------------------------------------------------


def test_malformed_json_is_400_in_the_platform_error_shape(province_officer):
    client = ApiClient(province_officer)
    before = counts()
    response = client.post("/api/v1/organizations", '{"name": "x", ')
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": "body", "code": "malformed_json", "message": "请求体不是有效的 JSON"}]
    }
    assert counts() == before


def test_unknown_and_wrong_typed_fields_are_422_listing_every_one(province_officer):
    client = ApiClient(province_officer)
    before = counts()
    response = client.post(
        "/api/v1/organizations",
        {**enterprise_payload(), "colour": "blue", "founded": 1999, "is_independent": "perhaps", "kind": 7},
    )
    assert response.status_code == 422
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        ("colour", "input.extra_forbidden"),
        ("founded", "input.extra_forbidden"),
        ("is_independent", "input.bool_parsing"),
        ("kind", "input.string_type"),
    }
    assert counts() == before


def test_patch_refuses_unknown_fields(province_officer, school):
    response = ApiClient(province_officer).patch(f"/api/v1/organizations/{school.pk}", {"nmae": "x"})
    assert response.status_code == 422
    assert error_codes(response) == ["input.extra_forbidden"]


# --- edit -------------------------------------------------------------------------------------


def test_province_officer_patches_an_organisation_and_the_audit_keeps_before_and_after(
    province_officer, school
):
    client = ApiClient(province_officer)
    response = client.patch(
        f"/api/v1/organizations/{school.pk}",
        {"name": "合肥职业技术大学", "school_level": "vocational_bachelor"},
    )
    assert response.status_code == 200, response.json()
    school.refresh_from_db()
    assert school.name == "合肥职业技术大学"
    entry = AuditEntry.objects.get(action="organization.update")
    assert entry.changes["name"] == ["合肥职业技术学院", "合肥职业技术大学"]
    assert entry.changes["school_level"] == ["associate", "vocational_bachelor"]
    assert "updated_at" not in entry.changes


def test_patch_that_breaks_a_rule_changes_nothing(province_officer, school):
    client = ApiClient(province_officer)
    before = counts()
    response = client.patch(f"/api/v1/organizations/{school.pk}", {"name": "新名字", "school_level": ""})
    assert response.status_code == 422
    assert error_codes(response) == ["required"]
    school.refresh_from_db()
    assert school.name == "合肥职业技术学院"
    assert counts() == before


def test_school_admin_edits_contact_details_but_not_identity(school_admin, school):
    # given the school's own admin
    client = ApiClient(school_admin)
    # when they change the contact details, it is saved
    response = client.patch(
        f"/api/v1/organizations/{school.pk}", {"contact_name": "李老师", "address": "合肥市"}
    )
    assert response.status_code == 200
    school.refresh_from_db()
    assert school.contact_name == "李老师"
    # and when they try to rename the school or change its level, it is 403 and nothing changes
    before = counts()
    response = client.patch(
        f"/api/v1/organizations/{school.pk}",
        {"name": "别的名字", "school_level": "applied_bachelor", "contact_name": "赵老师"},
    )
    assert response.status_code == 403
    message = response.json()["errors"][0]["message"]
    assert "单位名称" in message
    assert "办学层次" in message
    school.refresh_from_db()
    assert (school.name, school.school_level, school.contact_name) == (
        "合肥职业技术学院",
        "associate",
        "李老师",
    )
    assert counts() == before


def test_school_admin_may_send_unchanged_identity_fields(school_admin, school):
    # a client that sends back the whole record, changing only the contact, is not refused
    client = ApiClient(school_admin)
    response = client.patch(
        f"/api/v1/organizations/{school.pk}",
        {"name": school.name, "uscc": school.uscc, "contact_phone": "0551-1234567"},
    )
    assert response.status_code == 200
    school.refresh_from_db()
    assert school.contact_phone == "0551-1234567"


def test_an_organisation_cannot_become_its_own_parent(province_officer, school):
    child = make_org(
        "合肥职业技术学院附属中专",
        kind="school",
        region=school.region,
        school_level="secondary",
        parent=school,
    )
    response = ApiClient(province_officer).patch(f"/api/v1/organizations/{school.pk}", {"parent": child.pk})
    assert response.status_code == 422
    assert error_codes(response) == ["parent.cycle"]


def test_a_parent_outside_the_scope_is_unknown(province_officer, school, jiangsu_dept):
    response = ApiClient(province_officer).patch(
        f"/api/v1/organizations/{school.pk}", {"parent": jiangsu_dept.pk}
    )
    assert response.status_code == 422
    assert error_codes(response) == ["parent.unknown"]


def test_school_admin_edit_page_offers_only_contact_fields(school_admin, school):
    client = client_for(school_admin)
    html = client.get(f"/organizations/{school.pk}/edit/").content.decode()
    assert 'name="contact_name"' in html
    assert 'name="name"' not in html
    response = client.post(f"/organizations/{school.pk}/edit/", {"contact_name": "钱老师", "website": ""})
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.contact_name == "钱老师"
    assert school.name == "合肥职业技术学院"


def test_province_officer_creates_an_organisation_on_the_page(province_officer):
    client = client_for(province_officer)
    assert client.get("/organizations/new/").status_code == 200
    response = client.post(
        "/organizations/new/",
        {
            "name": "芜湖市职业教育研究所",
            "kind": "research",
            "region": "340202",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="芜湖市职业教育研究所")
    assert response["Location"] == f"/organizations/{org.pk}/"
    assert AuditEntry.objects.filter(action="organization.create", object_id=str(org.pk)).exists()


def test_the_create_page_shows_service_errors_at_the_fields(province_officer, school):
    client = client_for(province_officer)
    before = counts()
    response = client.post(
        "/organizations/new/",
        {"name": "重复企业", "kind": "enterprise", "region": "340104", "uscc": school.uscc},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error-for="uscc"' in html
    assert school.name in html
    assert counts() == before


# --- scope ------------------------------------------------------------------------------------


def test_the_directory_is_scoped_by_role(
    province_officer,
    city_officer,
    school_admin,
    jiangsu_officer,
    school,
    other_school,
    enterprise,
    jiangsu_dept,
):
    def names(user):
        return {row["name"] for row in ApiClient(user).get("/api/v1/organizations").json()["items"]}

    anhui = {"安徽省教育厅", "合肥市教育局", "合肥职业技术学院", "芜湖职业技术学院", "合肥智能装备有限公司"}
    assert names(province_officer) == anhui
    assert names(city_officer) == {"合肥市教育局", "合肥职业技术学院", "合肥智能装备有限公司"}
    assert names(school_admin) == {"合肥职业技术学院"}
    assert names(jiangsu_officer) == {"江苏省教育厅"}


def test_an_organisation_outside_the_scope_is_404_on_page_and_api(school_admin, other_school, city_officer):
    assert ApiClient(school_admin).get(f"/api/v1/organizations/{other_school.pk}").status_code == 404
    assert client_for(school_admin).get(f"/organizations/{other_school.pk}/").status_code == 404
    response = ApiClient(city_officer).patch(f"/api/v1/organizations/{other_school.pk}", {"name": "x"})
    assert response.status_code == 403  # the city bureau may not edit at all, whatever the id
    assert error_codes(ApiClient(school_admin).get("/api/v1/organizations/999999")) == ["not_found"]


def test_list_filters_by_region_kind_level_and_search(
    province_officer, regions, school, other_school, enterprise
):
    huangshan = regions.anhui.children.create(
        code="341000", name="黄山市", level="city", full_name="安徽省黄山市"
    )
    chuzhou = regions.anhui.children.create(
        code="341100", name="滁州市", level="city", full_name="安徽省滁州市"
    )
    make_org("黄山职业技术学院", kind="school", region=huangshan, school_level="associate")
    make_org("滁州职业技术学院", kind="school", region=chuzhou, school_level="associate")
    client = ApiClient(province_officer)

    def names(query):
        return {row["name"] for row in client.get(f"/api/v1/organizations?{query}").json()["items"]}

    assert names("region=340100&kind=school") == {"合肥职业技术学院"}
    # 341000 covers Huangshan only, not Chuzhou (341100), whose code also starts with 341
    assert names("region=341000") == {"黄山职业技术学院"}
    assert names("q=智能") == {"合肥智能装备有限公司"}
    assert names(f"q={school.uscc}") == {"合肥职业技术学院"}
    assert names("kind=school&school_level=associate&region=340000") == {
        "合肥职业技术学院",
        "芜湖职业技术学院",
        "黄山职业技术学院",
        "滁州职业技术学院",
    }


def test_list_paginates_with_count(province_officer, regions):
    for i in range(7):
        make_org(f"企业{i:02d}", kind="enterprise", region=regions.hefei_shushan)
    client = ApiClient(province_officer)
    body = client.get("/api/v1/organizations?kind=enterprise&page=2&page_size=5").json()
    assert body["count"] == 7
    assert [row["name"] for row in body["items"]] == ["企业05", "企业06"]
    assert client.get("/api/v1/organizations?page_size=201").status_code == 422


# --- query counts -----------------------------------------------------------------------------


def _orgs(regions, industry, n, start=0):
    for i in range(start, start + n):
        make_org(
            f"测试企业{i:03d}",
            kind="enterprise",
            region=regions.hefei_shushan if i % 2 else regions.wuhu_jinghu,
            industry=industry,
            size="small",
        )


def _queries(callable_):
    with CaptureQueriesContext(connection) as ctx:
        response = callable_()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_organisation_list_page_query_count_does_not_grow_with_page_size(province_officer, regions, industry):
    # given 60 enterprises, each with a region and an industry
    _orgs(regions, industry, 60)
    client = client_for(province_officer)
    client.get("/organizations/")  # warm the session
    # when the list is shown 20 and then 50 to a page
    small = _queries(lambda: client.get("/organizations/?page_size=20"))
    large = _queries(lambda: client.get("/organizations/?page_size=50"))
    # then it costs the same number of queries, and few
    assert small == large
    assert large <= 10


def test_organisation_list_api_query_count_does_not_grow_with_page_size(province_officer, regions, industry):
    _orgs(regions, industry, 60)
    client = ApiClient(province_officer)
    client.get("/api/v1/organizations")
    small = _queries(lambda: client.get("/api/v1/organizations?page_size=5"))
    large = _queries(lambda: client.get("/api/v1/organizations?page_size=60"))
    assert small == large
    assert large <= 6
