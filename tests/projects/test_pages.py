"""The pages: the decision page of a publicised round (a row per application, htmx per row), the
list of projects with its filters and Excel export, a project's page, the applicant's decision."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from chanjiao.applications.models import Application
from chanjiao.core.models import AuditEntry
from chanjiao.projects import services
from chanjiao.projects.models import AwardDecision, Project
from tests.conftest import ApiClient, actor_of, client_for
from tests.review.factories import make_school

from .factories import make_objection, make_publicised_round

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def row_of(html: str, app) -> str:
    start = html.index(f'data-decision-row="{app.pk}"')
    return html[start : html.index("</tbody>", start)]


def stored() -> tuple:
    return (
        AwardDecision.objects.count(),
        Project.objects.count(),
        AuditEntry.objects.count(),
        list(Application.objects.order_by("pk").values_list("status", flat=True)),
    )


# --- the decision page -----------------------------------------------------------------------------


def test_the_decision_page_shows_each_application_with_its_figures(award, province_officer):
    make_objection(award.round, award.other_app, name="赵异议")
    html = client_for(province_officer).get(f"/projects/decisions/{award.round.pk}/").content.decode()
    assert "公示期：2026-11-24 至 2026-11-30" in html
    assert "data-publicity-over" in html
    first, second = row_of(html, award.school_app), row_of(html, award.other_app)
    assert html.index(first) < html.index(second)  # by rank
    # rank, score, the provincial funds asked for, and the open objections
    assert "data-rank>1<" in first
    assert "data-score>90.00<" in first
    assert "data-requested>10,000,000.00<" in first
    assert "data-rank>2<" in second
    assert "data-score>85.00<" in second
    assert "data-objections-open" not in first
    assert "data-objections-open>1<" in second
    # the award form is filled with what was asked for, the call's batch (none: the first)
    assert 'name="approved_budget" value="10000000.00"' in first
    assert '<option value="1" selected>' in first
    assert first.count("<option") == 3  # the plan starts construction in three batches
    assert "待决定 2 项" in html


def test_the_decision_page_says_when_the_publicity_is_not_over(award, province_officer, decided_on):
    decided_on(dt.date(2026, 11, 26))
    make_objection(award.round, None, name="钱异议")
    html = client_for(province_officer).get(f"/projects/decisions/{award.round.pk}/").content.decode()
    assert "公示期至2026-11-30，公示期满后方可立项（今天：2026-11-26）" in html
    assert "data-general-objections" in html
    assert "钱异议" in html


def test_an_award_on_the_page_swaps_its_row(award, province_officer):
    page = client_for(province_officer)
    url = f"/projects/decisions/{award.round.pk}/applications/{award.school_app.pk}/award/"
    response = page.post(
        url,
        {"approved_budget": "9500000.00", "start_batch": "3", "document_number": "皖教职〔2026〕1号"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.startswith("<tbody") or html.lstrip().startswith("<tbody")
    assert 'data-outcome="awarded"' in html
    assert "34-2026-integration-platform-001" in html
    assert "批准 9,500,000.00 元，第3批启动" in html
    assert "data-award-form" not in html
    project = Project.objects.get()
    assert (project.approved_budget, project.start_batch) == (9500000, 3)
    assert project.decision.document_number == "皖教职〔2026〕1号"


def test_a_refused_award_on_the_page_shows_why_in_the_row_and_stores_nothing(award, province_officer):
    page = client_for(province_officer)
    url = f"/projects/decisions/{award.round.pk}/applications/{award.school_app.pk}/award/"
    before = stored()
    response = page.post(url, {"approved_budget": "12000000.00", "start_batch": "1"}, headers=HTMX)
    assert response.status_code == 200  # htmx swaps the row, with the refusal in it
    html = response.content.decode()
    assert 'data-error-code="award.budget_above_request"' in html
    assert "当前：12000000.00元，申请：10000000.00元" in html
    assert 'value="12000000.00"' in html  # what was typed stays in the form
    assert stored() == before
    # without htmx the whole page comes back with the refusal's status
    response = page.post(url, {"approved_budget": "12000000.00", "start_batch": "1"})
    assert response.status_code == 422
    assert "当前：12000000.00元，申请：10000000.00元" in row_of(response.content.decode(), award.school_app)
    assert stored() == before


def test_a_rejection_on_the_page_needs_reasons_and_shows_them(award, province_officer):
    page = client_for(province_officer)
    url = f"/projects/decisions/{award.round.pk}/applications/{award.other_app.pk}/reject/"
    before = stored()
    empty = page.post(url, {"reasons": "  \n "}, headers=HTMX).content.decode()
    assert "请写明不予立项的理由（当前：空）" in empty
    assert stored() == before
    response = page.post(url, {"reasons": "企业投入不足三分之一\n专业群基础薄弱"})
    assert response.status_code == 302
    html = page.get(response["Location"]).content.decode()
    row = row_of(html, award.other_app)
    assert 'data-outcome="rejected"' in row
    assert "<li>企业投入不足三分之一</li><li>专业群基础薄弱</li>" in row
    assert "已决定不予立项" in html


def test_the_page_closes_the_round_with_its_last_decision(award, province_officer):
    page = client_for(province_officer)
    base = f"/projects/decisions/{award.round.pk}/applications"
    page.post(f"{base}/{award.school_app.pk}/award/", {"approved_budget": "1.00", "start_batch": "1"})
    page.post(f"{base}/{award.other_app.pk}/award/", {"approved_budget": "1.00", "start_batch": "1"})
    html = page.get(f"/projects/decisions/{award.round.pk}/").content.decode()
    assert 'data-round-status="closed"' in html
    assert "待决定 0 项" in html


# --- the list, the export and a project's page ------------------------------------------------------


@pytest.fixture
def many(regions, province_officer, school, other_school, enterprise, decided_on):
    """25 projects: 24 of new Hefei and Wuhu schools in one round, then the Hefei school's in another;
    batches 1, 2, 3 in turn."""
    schools = [make_school(regions.hefei_shushan if i % 2 == 0 else regions.wuhu_jinghu) for i in range(24)]
    _round, apps = make_publicised_round(regions.anhui, province_officer, schools, partner=enterprise)
    _round2, (mine,) = make_publicised_round(regions.anhui, province_officer, [school], code="second")
    actor = actor_of(province_officer)
    for i, app in enumerate([*apps, mine]):
        services.decision_award(
            actor=actor, application=app, approved_budget="1000000.00", start_batch=i % 3 + 1
        )
    return Project.objects.order_by("code")


def test_the_list_filters_paginates_and_searches(many, province_officer):
    page = client_for(province_officer)
    html = page.get("/projects/").content.decode()
    assert html.count("data-project=") == 20
    assert "共 25 条" in html
    with CaptureQueriesContext(connection) as queries:
        page.get("/projects/?page=2")
    assert len(queries) <= 14, [q["sql"] for q in queries]
    # 13 of the 25 are in Hefei (12 new schools and the Hefei school), 12 in Wuhu
    hefei = page.get("/projects/?city=340100", headers=HTMX).content.decode()
    assert "<html" not in hefei
    assert "共 13 条" in hefei
    assert "共 12 条" in page.get("/projects/?city=340200").content.decode()
    # batches 1, 2, 3 in turn: 9, 8 and 8
    assert "共 9 条" in page.get("/projects/?start_batch=1").content.decode()
    assert "共 8 条" in page.get("/projects/?start_batch=3").content.decode()
    assert (
        "共 25 条"
        in page.get("/projects/?project_type=integration-platform&status=under_construction").content.decode()
    )
    assert "没有符合条件的立项项目" in page.get("/projects/?status=accepted").content.decode()
    found = page.get("/projects/?q=合肥职业技术学院").content.decode()
    assert found.count("data-project=") == 1
    assert "34-2026-integration-platform-025" in found
    # a batch that is not a number filters nothing, rather than failing
    assert page.get("/projects/?start_batch=abc").status_code == 200


def test_the_export_holds_the_filtered_projects(many, province_officer):
    response = client_for(province_officer).get("/projects/export.xlsx?city=340200")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("项目编号", "项目名称", "项目类型")
    assert len(rows) == 1 + 12
    assert {r[4] for r in rows[1:]} == {"芜湖市"}
    assert {r[7] for r in rows[1:]} == {1000000}


def test_a_projects_page_shows_its_decision_budget_period_and_partners(award, province_officer, school_admin):
    services.decision_award(
        actor=actor_of(province_officer),
        application=award.school_app,
        approved_budget="9500000.00",
        start_batch=2,
        document_number="皖教职〔2026〕12号",
    )
    project = Project.objects.get()
    html = client_for(school_admin).get(f"/projects/{project.pk}/").content.decode()
    assert "34-2026-integration-platform-001" in html
    assert "皖教职〔2026〕12号" in html
    assert "第2批" in html
    assert "2026-12-01 – 2029-11-30" in html
    assert "data-approved>9,500,000.00<" in html
    assert "data-planned-total>30,000,000.00<" in html
    assert "data-planned-enterprise>12,000,000.00" in html
    assert "占总投入40.00%" in html
    assert "合肥智能装备有限公司" in html
    assert f'href="/applications/{award.school_app.pk}/"' in html
    # and the applicant's decision page links to it
    decision = client_for(school_admin).get(f"/projects/decisions/application/{award.school_app.pk}/")
    assert f'href="/projects/{project.pk}/"' in decision.content.decode()


def test_the_navigation_offers_the_projects_to_those_who_read_them(province_officer, school_admin, expert):
    assert 'data-nav="projects"' in client_for(province_officer).get("/").content.decode()
    assert 'data-nav="projects"' in client_for(school_admin).get("/").content.decode()
    assert 'data-nav="projects"' not in client_for(expert).get("/").content.decode()


def test_the_rounds_page_links_to_its_decision_page_once_publicised(award, province_officer, observer):
    for user in (province_officer, observer):
        html = client_for(user).get(f"/review/rounds/{award.round.pk}/").content.decode()
        assert f'href="/projects/decisions/{award.round.pk}/" data-decisions' in html


def test_the_decision_page_reads_the_same_queries_for_2_or_12_applications(
    regions, province_officer, enterprise, decided_on
):
    def queries_for(n: int) -> int:
        schools = [make_school(regions.hefei_shushan) for _ in range(n)]
        review_round, apps = make_publicised_round(
            regions.anhui, province_officer, schools, partner=enterprise, code=f"queries-{n}"
        )
        actor = actor_of(province_officer)
        services.decision_award(actor=actor, application=apps[0], approved_budget="1.00")
        services.decision_reject(actor=actor, application=apps[1], reasons=["基础薄弱"])
        page = client_for(province_officer)
        page.get(f"/projects/decisions/{review_round.pk}/")  # the session and the like, once
        with CaptureQueriesContext(connection) as queries:
            html = page.get(f"/projects/decisions/{review_round.pk}/").content.decode()
        assert html.count("data-decision-row=") == n
        return len(queries)

    assert queries_for(2) == queries_for(12)


def test_the_api_lists_projects_and_decisions_in_a_few_queries(many, province_officer):
    api = ApiClient(province_officer)
    api.get("/api/v1/projects")
    for path in ("/api/v1/projects?page_size=25", "/api/v1/award-decisions?page_size=25"):
        with CaptureQueriesContext(connection) as queries:
            body = api.get(path).json()
        assert body["count"] == 25
        assert len(body["items"]) == 25
        assert len(queries) <= 4, [q["sql"] for q in queries]
