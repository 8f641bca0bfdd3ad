"""The dashboard (数据看板) per role: the province against the plans' targets, a city, a school; real
figures from projects, reports, funds and alerts, never across the actor's scope; every table exported
to Excel with the rows the page shows, and the same figures through the API."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from chanjiao.applications.models import Status
from chanjiao.policy.models import ProjectType
from chanjiao.projects.checks import periods_of
from chanjiao.projects.models import AwardDecision, Funding, PlanAlert, ProgressReport, Project
from tests.conftest import ApiClient, client_for
from tests.policy.factories import load_packs, make_call
from tests.review.factories import make_application

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
STARTS = dt.date(2025, 1, 1)


# --- reading the page ----------------------------------------------------------------------------


def table(html: str, key: str) -> dict[str, dict[str, str]]:
    """row key → column key → the text the page shows, of the table `key`."""
    body = re.search(rf'<table [^>]*data-table="{key}">(.*?)</table>', html, re.S)
    assert body, f"no table {key}"
    rows = {}
    for row_key, cells in re.findall(r'<tr data-row="([^"]*)">(.*?)</tr>', body.group(1), re.S):
        rows[row_key] = {
            col: re.sub(r"<[^>]+>", "", text).strip()
            for col, text in re.findall(r'data-col="([^"]+)"[^>]*>(.*?)</t[hd]>', cells, re.S)
        }
    return rows


def tables(html: str) -> list[str]:
    return re.findall(r'<table [^>]*data-table="([a-z_]+)"', html)


def cards(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-card="([a-z_]+)">([^<]*)<', html))


# --- the world ------------------------------------------------------------------------------------


def make_project(
    call, project_type, org, officer, *, city: str, status=Project.Status.UNDER_CONSTRUCTION, **money
):
    app = make_application(call, project_type, org, status=Status.AWARDED, created_by=officer)
    budget = Decimal(money.get("budget", "1000000"))
    decision = AwardDecision.objects.create(
        application=app, outcome="awarded", approved_budget=budget, start_batch=1, decided_by=officer
    )
    return Project.objects.create(
        application=app,
        decision=decision,
        code=f"P{app.pk:05d}",
        title=f"{org.name}·{project_type.name}",
        call=call,
        project_type=project_type,
        organization=org,
        city_code=city,
        province_code=city[:2] + "0000",
        approved_budget=budget,
        planned_total=Decimal(money.get("planned", "3000000")),
        planned_enterprise=Decimal(money.get("planned_enterprise", "1200000")),
        start_batch=1,
        starts_on=STARTS,
        construction_years=3,
        ends_on=dt.date(2027, 12, 31),
        status=status,
    )


def report(project, period: int, status: str, **funds) -> ProgressReport:
    p = periods_of(project.starts_on, project.construction_years, project.project_type.spec)[period - 1]
    r = ProgressReport.objects.create(
        project=project, period=period, period_start=p.start, period_end=p.end, due_on=p.due_on, status=status
    )
    for source, received in funds.items():
        Funding.objects.create(
            report=r, source=source, kind="cash", received=Decimal(received), spent=Decimal(received) / 2
        )
    return r


def alert(project, rule: str, *, is_open: bool = True, subject: str = ""):
    return PlanAlert.objects.create(
        project=project,
        rule=rule,
        subject=subject,
        figure="x",
        threshold="y",
        message=f"{rule}预警",
        is_open=is_open,
    )


@pytest.fixture
def world(regions, province_officer, jiangsu_officer, school, other_school, jiangsu_school, monkeypatch):
    """Anhui (the shipped pack): the Hefei school's 产教融合型企业 project (reports of 2025 and 2026
    counted, a draft not) and its 实训基地 project (no report yet); the Wuhu school's 实训基地, accepted.
    Jiangsu: one 集成平台 with a large enterprise investment. Alerts open and closed on each."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    anhui, jiangsu = load_packs()
    ah_call = make_call(anhui, types=["iei-enterprise", "training-base"], limit=5)
    js_call = make_call(jiangsu, limit=5)
    enterprise_type = anhui.project_types.get(code="iei-enterprise")
    base_type = anhui.project_types.get(code="training-base")
    js_type = jiangsu.project_types.get(code="integration-platform")
    p1 = make_project(ah_call, enterprise_type, school, province_officer, city="340100")
    p3 = make_project(ah_call, base_type, school, province_officer, city="340100", budget="500000")
    p2 = make_project(
        ah_call, base_type, other_school, province_officer, city="340200", status=Project.Status.ACCEPTED
    )
    p4 = make_project(js_call, js_type, jiangsu_school, jiangsu_officer, city="320100", budget="9000000")
    report(p1, 1, "accepted", provincial_fund="400000", enterprise="300000", school="300000")
    report(p1, 2, "submitted", enterprise="200000")
    report(p1, 3, "draft", enterprise="999999")  # not counted
    report(p2, 1, "accepted", provincial_fund="1000000")
    report(p4, 1, "accepted", enterprise="5000000")
    alert(p1, "enterprise_share")
    alert(p1, "overspent", is_open=False)  # closed: not counted
    alert(p2, "report_missing", subject="2")
    alert(p2, "report_missing", subject="3")
    alert(p4, "investment_behind")
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4}


# --- the province ---------------------------------------------------------------------------------


def test_the_province_shows_each_type_against_the_plans_target(world, province_officer):
    html = client_for(province_officer).get("/dashboard/").content.decode()
    assert 'data-view="province"' in html
    types = table(html, "types")
    # every type of Anhui's current pack, none of Jiangsu's
    assert (
        len(types) == ProjectType.objects.filter(pack__code="anhui-wanjiang", pack__is_current=True).count()
    )
    assert "jiangsu-integration-platform:integration-platform" not in types
    assert types["anhui-wanjiang:iei-enterprise"] == {
        "plan": "皖江试验区实施方案",
        "type": "产教融合型企业培育项目",
        "target": "约150家",
        "section": "二(一)3",
        "projects": "1",
        "building": "1",
        "accepted": "0",
        "progress": "0.7%",
    }
    base = types["anhui-wanjiang:training-base"]
    assert (base["target"], base["section"], base["projects"], base["building"], base["accepted"]) == (
        "50个",
        "二(二)6",
        "2",
        "1",
        "1",
    )
    assert base["progress"] == "4.0%"
    assert types["anhui-wanjiang:education-group"]["target"] == "20个"
    assert types["anhui-wanjiang:education-group"]["projects"] == "0"
    assert types["anhui-wanjiang:iei-city"]["target"] == "—"  # the plan gives no count
    # the chart beneath draws the same targets and counts
    chart = json.loads(
        re.search(r'<script id="chart-types" type="application/json">(.*?)</script>', html).group(1)
    )
    by_name = {s["name"]: s["data"] for s in chart["series"]}
    names = chart["yAxis"]["data"]
    assert dict(zip(names, by_name["计划目标"], strict=True))["产教融合型企业培育项目"] == 150
    assert dict(zip(names, by_name["立项数"], strict=True))["高水平产教融合实训基地建设项目"] == 2
    assert "vendor/echarts.min.js" in html


def test_the_province_by_city_funds_share_and_alerts(world, province_officer):
    html = client_for(province_officer).get("/dashboard/").content.decode()
    assert cards(html) == {
        "projects": "3",
        "building": "2",
        "budget": "250.00",  # 100 + 50 + 100 万元
        "received": "220.00",  # 120 (Hefei, the draft not counted) + 100 (Wuhu)
        "enterprise_share": "22.7%",  # 50 of 220
        "alerts": "3",  # the closed one not, Jiangsu's not
    }
    cities = table(html, "cities")
    assert cities["3401"] == {
        "city": "合肥市",
        "projects": "2",
        "building": "2",
        "budget": "150.00",
        "planned": "600.00",
        "received": "120.00",
        "enterprise_share": "41.7%",
        "alerts": "1",
    }
    assert (cities["3402"]["projects"], cities["3402"]["received"], cities["3402"]["alerts"]) == (
        "1",
        "100.00",
        "2",
    )
    assert "3201" not in cities
    funding = table(html, "funding")
    assert set(funding) == {"2025", "2026"}
    assert (funding["2025"]["provincial_fund"], funding["2025"]["enterprise"], funding["2025"]["school"]) == (
        "140.00",
        "30.00",
        "30.00",
    )
    assert (funding["2025"]["total"], funding["2026"]["enterprise"], funding["2026"]["total"]) == (
        "200.00",
        "20.00",
        "20.00",
    )
    share = table(html, "enterprise")
    assert share["anhui-wanjiang:iei-enterprise"]["share"] == "41.7%"
    assert share["anhui-wanjiang:iei-enterprise"]["below"] == "1"
    assert share["anhui-wanjiang:training-base"]["share"] == "0.0%"
    alerts = table(html, "alerts")
    assert (alerts["enterprise_share"]["alerts"], alerts["enterprise_share"]["projects"]) == ("1", "1")
    assert (alerts["report_missing"]["alerts"], alerts["report_missing"]["projects"]) == ("2", "1")
    assert alerts["overspent"]["alerts"] == "0"
    assert alerts["investment_behind"]["alerts"] == "0"  # Jiangsu's


def test_the_observer_sees_the_province_too(world, observer):
    html = client_for(observer).get("/dashboard/").content.decode()
    assert cards(html)["projects"] == "3"


def test_jiangsu_sees_only_jiangsu_and_its_one_third_line(world, jiangsu_officer):
    html = client_for(jiangsu_officer).get("/dashboard/").content.decode()
    types = table(html, "types")
    assert list(types) == ["jiangsu-integration-platform:integration-platform"]
    row = types["jiangsu-integration-platform:integration-platform"]
    assert (row["target"], row["section"], row["projects"]) == ("约30个", "三(二)", "1")
    assert cards(html)["received"] == "500.00"
    share = table(html, "enterprise")["jiangsu-integration-platform:integration-platform"]
    assert (share["share"], share["minimum"], share["section"]) == ("100.0%", "1/3（33.3%）", "三(二)")
    assert "1/3（33.3%）" in html  # the gauge's red zone below the plan's minimum, said beneath it
    assert "3201" in table(html, "cities")
    assert "3401" not in table(html, "cities")


# --- a city and a school --------------------------------------------------------------------------


def test_the_city_sees_its_projects_by_status_type_and_reports_due(world, city_officer):
    html = client_for(city_officer).get("/dashboard/").content.decode()
    assert 'data-view="city"' in html
    assert "cities" not in tables(html)
    assert cards(html)["projects"] == "2"
    assert cards(html)["received"] == "120.00"
    statuses = table(html, "statuses")
    assert statuses["under_construction"]["projects"] == "2"
    assert statuses["accepted"]["projects"] == "0"  # Wuhu's accepted project is not Hefei's
    types = table(html, "types")
    assert set(types) == {"anhui-wanjiang:iei-enterprise", "anhui-wanjiang:training-base"}
    assert "target" not in types["anhui-wanjiang:training-base"]
    p3 = world["p3"]
    due = table(html, "reports")
    # the 实训基地 has reported nothing: period 1 overdue, period 2 begun; the other project is up to date
    assert set(due) == {f"{p3.pk}:1", f"{p3.pk}:2"}
    assert due[f"{p3.pk}:1"]["state"].startswith("逾期")
    assert due[f"{p3.pk}:2"]["state"].startswith("还有")
    assert f'href="/projects/{p3.pk}/reports/1/"' in html
    assert table(html, "alerts")["report_missing"]["alerts"] == "0"


def test_the_school_sees_its_projects_reports_due_and_open_alerts(world, school_admin):
    html = client_for(school_admin).get("/dashboard/").content.decode()
    assert 'data-view="organization"' in html
    p1, p3 = world["p1"], world["p3"]
    projects = table(html, "projects")
    assert set(projects) == {str(p1.pk), str(p3.pk)}
    assert projects[str(p1.pk)]["received"] == "120.00"
    assert projects[str(p1.pk)]["enterprise_share"] == "41.7%"
    assert projects[str(p1.pk)]["alerts"] == "1"
    assert projects[str(p3.pk)]["received"] == "0.00"
    assert set(table(html, "reports")) == {f"{p3.pk}:1", f"{p3.pk}:2"}
    open_alerts = table(html, "open_alerts")
    assert [row["rule"] for row in open_alerts.values()] == ["合作企业投入占比"]
    assert f'href="/projects/{p1.pk}/reports/"' in html


def test_an_actor_never_sees_outside_their_scope(world, other_school_admin, enterprise_contact):
    wuhu = client_for(other_school_admin).get("/dashboard/").content.decode()
    assert set(table(wuhu, "projects")) == {str(world["p2"].pk)}
    assert cards(wuhu)["received"] == "100.00"
    assert table(wuhu, "reports") == {}  # accepted: nothing more to report
    # an enterprise that is no party to any project sees none
    html = client_for(enterprise_contact).get("/dashboard/").content.decode()
    assert table(html, "projects") == {}
    assert cards(html)["projects"] == "0"
    assert cards(html)["enterprise_share"] == "—"


def test_experts_and_learners_may_not(world, expert, learner):
    assert client_for(expert).get("/dashboard/").status_code == 403
    assert client_for(learner).get("/dashboard/export/types.xlsx").status_code == 403
    assert ApiClient(expert).get("/api/v1/dashboard").status_code == 403


# --- exports and the API --------------------------------------------------------------------------


def _as_page_text(kind: str, value) -> str:
    if value is None:
        return "—"
    if kind == "wan":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "percent":
        return f"{Decimal(str(value)):.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "date":
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


@pytest.mark.parametrize("persona", ["province_officer", "city_officer", "school_admin"])
def test_every_table_exports_the_rows_the_page_shows(world, persona, request):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    html = client.get("/dashboard/").content.decode()
    described = {t["key"]: t for t in ApiClient(user).get("/api/v1/dashboard").json()["tables"]}
    assert set(described) == set(tables(html))
    for key in tables(html):
        response = client.get(f"/dashboard/export/{key}.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        header, *rows = list(sheet.iter_rows(values_only=True))
        columns = described[key]["columns"]
        assert list(header) == [c["label"] for c in columns]
        page_rows = [list(row.values()) for row in table(html, key).values()]
        exported = [[_as_page_text(c["kind"], v) for c, v in zip(columns, row, strict=True)] for row in rows]
        assert exported == page_rows, key


def test_an_unknown_table_is_404(world, province_officer, school_admin):
    assert client_for(province_officer).get("/dashboard/export/nothing.xlsx").status_code == 404
    # the school's own tables are not the province's
    assert client_for(province_officer).get("/dashboard/export/projects.xlsx").status_code == 404
    assert client_for(school_admin).get("/dashboard/export/cities.xlsx").status_code == 404


def test_the_api_answers_the_same_figures_money_in_yuan(world, province_officer, city_officer):
    body = ApiClient(province_officer).get("/api/v1/dashboard").json()
    assert (body["view"], body["scope_code"], body["scope_name"]) == ("province", "340000", "安徽省")
    assert {c["key"]: c["value"] for c in body["cards"]}["received"] == "2200000.00"
    by_key = {t["key"]: t for t in body["tables"]}
    hefei = next(r for r in by_key["cities"]["rows"] if r["key"] == "3401")
    assert (hefei["received"], hefei["enterprise_share"], hefei["projects"]) == ("1200000.00", "41.7", 2)
    target = next(r for r in by_key["types"]["rows"] if r["key"] == "anhui-wanjiang:iei-enterprise")
    assert (target["target"], target["projects"]) == ("约150家", 1)
    city = ApiClient(city_officer).get("/api/v1/dashboard").json()
    assert city["view"] == "city"
    assert city["scope_name"] == "合肥市"
    assert {c["key"]: c["value"] for c in city["cards"]}["projects"] == 2


# --- a constant number of queries ------------------------------------------------------------------


def test_the_province_query_count_does_not_grow_with_the_data(world, province_officer, other_school):
    client = client_for(province_officer)
    client.get("/dashboard/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/dashboard/").status_code == 200
        return len(ctx)

    few = queries()
    p2 = world["p2"]
    for _i in range(5):
        more = make_project(p2.call, p2.project_type, other_school, province_officer, city="340200")
        report(more, 1, "accepted", enterprise="100000", school="200000")
        report(more, 2, "submitted", provincial_fund="300000")
        alert(more, "investment_behind")
    assert queries() == few
    assert cards(client.get("/dashboard/").content.decode())["projects"] == "8"


@pytest.mark.parametrize("persona", ["city_officer", "school_admin"])
def test_the_city_and_school_query_counts_do_not_grow(world, persona, request, school, province_officer):
    client = client_for(request.getfixturevalue(persona))
    client.get("/dashboard/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/dashboard/").status_code == 200
        return len(ctx)

    few = queries()
    p1 = world["p1"]
    for _i in range(4):
        more = make_project(p1.call, p1.project_type, school, province_officer, city="340100")
        report(more, 1, "accepted", enterprise="100000")
        alert(more, "kpi_behind", subject="patents:1")
    assert queries() == few
    html = client.get("/dashboard/").content.decode()
    assert cards(html)["projects"] == "6"
    assert len(table(html, "reports")) == 2 + 4  # each new project's period 2 is begun and not reported
