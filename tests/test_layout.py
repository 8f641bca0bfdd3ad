"""What every page shares: the header says who acts for whom, errors are pages a person can read,
forms say what is wrong at the top and at the field."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client

from tests.conftest import client_for


def test_header_names_the_acting_organisation_and_role(school_admin, school):
    # when the school admin opens any page
    html = client_for(school_admin).get("/").content.decode()
    # then the header names the school and the role, and the page links the favicon
    header = html[html.index("data-acting") : html.index("data-language-switch")]
    assert school.name in header
    assert "单位管理员" in header
    assert "chanjiao/favicon.svg" in html


def test_sidebar_lists_only_what_the_role_may_open(learner, province_officer):
    learner_html = client_for(learner).get("/").content.decode()
    officer_html = client_for(province_officer).get("/").content.decode()
    assert 'data-nav="audit"' not in learner_html
    assert 'data-nav="orgs"' not in learner_html
    assert 'data-nav="audit"' in officer_html
    assert 'data-nav="people"' in officer_html


def test_unknown_page_is_a_chinese_404_with_a_way_home(school_admin):
    response = client_for(school_admin).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-error-page="404"' in html
    assert "页面不存在" in html
    assert 'href="/"' in html


def test_anonymous_404_offers_the_login(db):
    html = Client().get("/no-such-page/").content.decode()
    assert 'data-error-page="404"' in html
    assert 'href="/login/"' in html


def test_refused_page_is_a_chinese_403_that_suggests_switching(expert):
    response = client_for(expert).get("/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-error-page="403"' in html
    assert "无权访问" in html
    assert "/acting/" in html


def test_500_page_renders_without_a_request_or_database():
    html = render_to_string("500.html")
    assert 'data-error-page="500"' in html
    assert "服务器出错了" in html


def test_a_refused_form_lists_its_problems_at_the_top_and_at_each_field(province_officer):
    response = client_for(province_officer).post("/organizations/new/", {"kind": "school", "uscc": "123"})
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[html.index("data-form-errors") : html.index("</ul>", html.index("data-form-errors"))]
    assert 'href="#id_name"' in summary
    assert 'href="#id_region"' in summary
    assert 'data-error-for="name"' in html
    assert 'aria-invalid="true"' in html


def test_invite_form_preselects_no_role(province_officer):
    html = client_for(province_officer).get("/people/invite/").content.decode()
    role_select = html[html.index('name="role"') : html.index("</select>", html.index('name="role"'))]
    # the blank option comes first and nothing else is selected, so the browser shows the blank
    assert role_select.index('<option value="">') < role_select.index('<option value="org_admin"')
    assert " selected" not in role_select


def test_revoking_a_role_asks_first(province_officer, school_admin, school):
    html = client_for(province_officer).get(f"/organizations/{school.pk}/").content.decode()
    assert "data-confirm=" in html[html.index("/memberships/") - 200 :]


def test_pagination_links_to_page_numbers(province_officer, regions):
    from tests.factories import make_org

    for i in range(45):
        make_org(f"分页企业{i:02d}", kind="enterprise", region=regions.hefei_shushan)
    html = client_for(province_officer).get("/organizations/?q=分页企业&page=2").content.decode()
    assert 'aria-current="page"><span class="page-link">2<' in html
    assert "page=3" in html
    assert "第 21–40 条，共 45 条" in html


def test_only_the_entry_with_the_longest_matching_address_is_active(province_officer):
    # given province staff, who see both 立项项目 (/projects/) and 计划预警 (/projects/alerts/)
    from chanjiao.navigation import navigation_for
    from tests.conftest import actor_of

    actor = actor_of(province_officer)
    # when they are on the alerts page, then only 计划预警 is marked
    active = [item.url for item in navigation_for(actor, "/projects/alerts/") if item.active]
    assert active == ["/projects/alerts/"]
    # and on a project's page, 立项项目 is
    active = [item.url for item in navigation_for(actor, "/projects/3/") if item.active]
    assert active == ["/projects/"]
    # and the home page marks only 首页
    assert [item.url for item in navigation_for(actor, "/") if item.active] == ["/"]
