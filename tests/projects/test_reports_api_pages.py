"""Periodic reports through the API and the pages: the school fills and submits, the province returns
and accepts, the observer reads everything and changes nothing, another school sees nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chanjiao.projects import checks, reports_services, services
from chanjiao.projects.models import PlanAlert, ProgressReport, Project
from tests.conftest import ApiClient, actor_of, client_for

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def project(award, province_officer, monkeypatch) -> Project:
    monkeypatch.setattr(reports_services, "today", lambda: dt.date(2027, 6, 1))
    services.decision_award(
        actor=actor_of(province_officer), application=award.school_app, approved_budget="1.00"
    )
    return Project.objects.get(application=award.school_app)


BODY = {
    "funding": [
        {"source": "enterprise", "kind": "equipment", "received": "3000000", "spent": "1000000"},
        {"source": "school", "kind": "cash", "received": "7000000", "spent": "2000000"},
    ],
    "equipment": [
        {
            "asset_number": "HF-001",
            "name": "五轴加工中心",
            "value": "1200000",
            "source": "donation",
            "changed_on": "2027-03-01",
            "workstations": 4,
        }
    ],
    "usage": [
        {"purpose": "students", "hours": "800", "people": 200},
        {"purpose": "social", "group": "veterans", "hours": "200", "people": 40},
    ],
    "kpi_values": {"patents": 2, "transfer_projects": 1},
    "tech_service_income": {"development": "300000", "consulting": "50000"},
    "narrative": "完成实训基地一期建设。",
}


def test_the_api_flow(project, school_staff, province_officer, observer):
    school, province, watcher = ApiClient(school_staff), ApiClient(province_officer), ApiClient(observer)
    periods = watcher.get(f"/api/v1/projects/{project.pk}/reports").json()["items"]
    assert [(p["period"], p["due_on"], p["report_id"]) for p in periods] == [
        (1, "2027-12-30", None),
        (2, "2028-12-30", None),
        (3, "2029-12-30", None),
    ]
    r = school.put(f"/api/v1/projects/{project.pk}/reports/1", BODY)
    assert r.status_code == 201, r.content
    report = r.json()
    assert (report["status"], report["row_version"]) == ("draft", 1)
    assert report["equipment"][0]["asset_number"] == "HF-001"
    # the same period again without the version: refused
    again = school.put(f"/api/v1/projects/{project.pk}/reports/1", BODY)
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "report.period_taken"
    # a period not begun: refused, nothing stored
    early = school.put(f"/api/v1/projects/{project.pk}/reports/2", BODY)
    assert early.status_code == 422
    assert "2027-12-01" in early.json()["errors"][0]["message"]
    assert ProgressReport.objects.count() == 1
    # the observer reads but cannot write or review
    assert (
        watcher.put(f"/api/v1/projects/{project.pk}/reports/1", {**BODY, "row_version": 1}).status_code == 403
    )
    assert school.post(f"/api/v1/reports/{report['id']}/submit", {}).json()["status"] == "submitted"
    assert watcher.post(f"/api/v1/reports/{report['id']}/accept", {}).status_code == 403
    returned = province.post(f"/api/v1/reports/{report['id']}/return", {"reasons": ["请补充设备照片"]}).json()
    assert (returned["status"], returned["return_reasons"]) == ("returned", ["请补充设备照片"])
    body = {**BODY, "row_version": returned["row_version"], "equipment": []}
    assert school.put(f"/api/v1/projects/{project.pk}/reports/1", body).status_code == 200
    assert school.post(f"/api/v1/reports/{report['id']}/submit", {}).status_code == 200
    accepted = province.post(f"/api/v1/reports/{report['id']}/accept", {}).json()
    assert accepted["status"] == "accepted"
    # 3,000,000 of 10,000,000 from the enterprise: the alert, read by the observer
    alerts = watcher.get("/api/v1/plan-alerts?rule=enterprise_share").json()
    assert alerts["count"] == 1
    assert alerts["items"][0]["figure"] == "30.0%"
    assert "当前：30.0%" in alerts["items"][0]["message"]
    # 200 social hours of 1,000 = 20.0% < 1/3
    social = watcher.get("/api/v1/plan-alerts?rule=social_share").json()["items"]
    assert [(a["figure"], a["threshold"]) for a in social] == [("20.0%", "33.3%")]


def test_spent_over_received_through_the_api_names_both_figures(project, school_staff):
    body = {"funding": [{"source": "school", "kind": "cash", "received": "1000000", "spent": "1200000"}]}
    r = ApiClient(school_staff).put(f"/api/v1/projects/{project.pk}/reports/1", body)
    assert r.status_code == 422
    assert "支出（120.00万元）超过到位资金（100.00万元）" in [e["message"] for e in r.json()["errors"]]
    assert ProgressReport.objects.count() == 0


def test_other_school_and_other_province_get_404(project, school_staff, other_school_admin, jiangsu_officer):
    report = reports_services.report_save(actor=actor_of(school_staff), project=project, period=1, data=BODY)
    for user in (other_school_admin, jiangsu_officer):
        client = ApiClient(user)
        assert client.get(f"/api/v1/projects/{project.pk}/reports").status_code == 404
        assert client.get("/api/v1/plan-alerts").json()["count"] == 0
    assert (
        ApiClient(other_school_admin).put(f"/api/v1/projects/{project.pk}/reports/1", BODY).status_code == 404
    )
    assert ApiClient(jiangsu_officer).post(f"/api/v1/reports/{report.pk}/accept", {}).status_code == 404
    assert client_for(other_school_admin).get(f"/projects/{project.pk}/reports/1/").status_code == 404


def test_overdue_list_for_staff_and_observer(project, province_officer, observer, school_admin, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2028, 1, 10))
    rows = ApiClient(observer).get("/api/v1/reports/overdue").json()
    assert [(x["project"]["id"], x["period"], x["days_overdue"]) for x in rows["items"]] == [
        (project.pk, 1, 11)
    ]
    assert rows["items"][0]["school"] == project.organization.name
    assert ApiClient(school_admin).get("/api/v1/reports/overdue").status_code == 403
    page = client_for(province_officer).get("/projects/reports/overdue/")
    assert page.status_code == 200
    assert project.organization.name in page.content.decode()


def test_the_school_fills_the_form_page_and_submits(project, school_admin, province_officer, observer):
    client = client_for(school_admin)
    page = client.get(f"/projects/{project.pk}/reports/1/")
    assert page.status_code == 200
    assert "data-report-form" in page.content.decode()
    form = {
        "row_version": "",
        "action": "save",
        "f-enterprise-equipment-received": "5000000",
        "f-school-cash-received": "5000000",
        "f-school-cash-spent": "1000000",
        "eq-count": "1",
        "eq-0-action": "add",
        "eq-0-asset_number": "HF-9",
        "eq-0-name": "协作机器人",
        "eq-0-value": "200000",
        "eq-0-source": "loan",
        "eq-0-changed_on": "2027-04-01",
        "eq-0-workstations": "2",
        "u-social-laid_off-hours": "400",
        "u-social-laid_off-people": "20",
        "u-students--hours": "600",
        "kpi-patents": "1",
        "tsi-service": "20000",
        "narrative": "一期完成",
        "evidence": SimpleUploadedFile("验收照片.pdf", PDF, content_type="application/pdf"),
    }
    r = client.post(f"/projects/{project.pk}/reports/1/", form)
    assert r.status_code == 302
    report = ProgressReport.objects.get(project=project, period=1)
    assert report.funding.get(source="enterprise").received == 5000000
    assert report.usage.get(purpose="social").group == "laid_off"
    assert report.evidence.get().original_name == "验收照片.pdf"
    assert report.tech_service_income == {"service": "20000.00"}
    # a negative amount is refused on the page, with the message, and nothing changes
    bad = {**form, "row_version": str(report.row_version), "f-school-cash-received": "-1"}
    bad.pop("evidence")
    r = client.post(f"/projects/{project.pk}/reports/1/", bad)
    assert r.status_code == 422
    assert "不能为负数（当前：-1" in r.content.decode()
    report.refresh_from_db()
    assert report.row_version == 1
    # submit from the page
    submit = {**bad, "f-school-cash-received": "5000000", "action": "submit"}
    assert client.post(f"/projects/{project.pk}/reports/1/", submit).status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"
    # the observer reads the page without the review forms and cannot post
    watcher = client_for(observer)
    read = watcher.get(f"/projects/{project.pk}/reports/1/").content.decode()
    assert "data-accept" not in read
    assert watcher.post(f"/projects/reports/{report.pk}/accept/").status_code == 403
    assert watcher.post(f"/projects/{project.pk}/reports/1/", submit).status_code == 403
    # province staff see the review and accept
    staff = client_for(province_officer)
    assert "data-accept" in staff.get(f"/projects/{project.pk}/reports/1/").content.decode()
    assert staff.post(f"/projects/reports/{report.pk}/accept/").status_code == 302
    report.refresh_from_db()
    assert report.status == "accepted"


def test_alerts_page_filters_by_rule(project, observer):
    checks.run_checks(Project.objects.all(), today=dt.date(2028, 1, 10))
    assert PlanAlert.objects.filter(rule="report_missing").exists()
    page = client_for(observer).get("/projects/alerts/?rule=report_missing").content.decode()
    assert 'data-alert="report_missing"' in page
    assert "2027-12-30" in page
    none = client_for(observer).get("/projects/alerts/?rule=enterprise_share").content.decode()
    assert 'data-alert="report_missing"' not in none
    section = client_for(observer).get(f"/projects/{project.pk}/reports/", headers={"HX-Request": "true"})
    assert "data-alerts-section" in section.content.decode()
    assert "逾期未报送" in section.content.decode()


def test_navigation_leads_to_the_alerts_and_the_overdue_list(
    province_officer, observer, school_admin, expert
):
    for user in (province_officer, observer):
        html = client_for(user).get("/").content.decode()
        assert 'data-nav="plan_alerts"' in html
        assert 'data-nav="reports_overdue"' in html
    school = client_for(school_admin).get("/").content.decode()
    assert 'data-nav="plan_alerts"' in school
    assert 'data-nav="reports_overdue"' not in school
    assert 'data-nav="plan_alerts"' not in client_for(expert).get("/").content.decode()
