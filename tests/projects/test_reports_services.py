"""Periodic reports (定期上报): the school's drafts, submission, the province's return and acceptance,
the refusals (nothing stored), and the plan alerts each submission and acceptance computes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.core.errors import ConflictError, Forbidden, NotFound, ValidationFailed
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.core.selectors import audit_entries_for
from chanjiao.projects import checks, reports_selectors, reports_services, services
from chanjiao.projects.models import EquipmentChange, Funding, PlanAlert, ProgressReport, Project
from tests.conftest import actor_of

# The project starts on the decision day, 2026-12-01: period 1 runs to 2027-11-30 and is due
# 2027-12-30 (30 days, the platform's default); period 2 begins 2027-12-01.
IN_PERIOD_1 = dt.date(2027, 6, 1)


@pytest.fixture
def day(monkeypatch):
    def set_day(value: dt.date) -> None:
        monkeypatch.setattr(reports_services, "today", lambda: value)

    set_day(IN_PERIOD_1)
    return set_day


@pytest.fixture
def project(award, province_officer, day) -> Project:
    services.decision_award(
        actor=actor_of(province_officer), application=award.school_app, approved_budget="1.00"
    )
    return Project.objects.get(application=award.school_app)


def funding(enterprise="3000000", school="7000000", spent="0"):
    return [
        {"source": "enterprise", "kind": "equipment", "received": enterprise, "spent": "0"},
        {"source": "school", "kind": "cash", "received": school, "spent": spent},
    ]


def asset(number, action="add", **kw):
    return {
        "action": action,
        "asset_number": number,
        "name": "五轴加工中心",
        "model": "DMU 50",
        "value": "1200000",
        "source": "purchase",
        "changed_on": "2027-03-01",
        "workstations": 4,
        **kw,
    }


def save(user, project, period=1, row_version=None, **data):
    return reports_services.report_save(
        actor=actor_of(user), project=project, period=period, data=data, row_version=row_version
    )


def stored():
    return (ProgressReport.objects.count(), Funding.objects.count(), EquipmentChange.objects.count())


def test_periods_of_the_project(project):
    periods = reports_selectors.report_periods(project)
    assert [(p.number, p.start, p.end, p.due_on) for p in periods] == [
        (1, dt.date(2026, 12, 1), dt.date(2027, 11, 30), dt.date(2027, 12, 30)),
        (2, dt.date(2027, 12, 1), dt.date(2028, 11, 30), dt.date(2028, 12, 30)),
        (3, dt.date(2028, 12, 1), dt.date(2029, 11, 30), dt.date(2029, 12, 30)),
    ]
    assert reports_selectors.reporting_rule(project)["due_default"] is True


def test_a_draft_is_saved_and_saved_again_with_its_version(project, school_staff):
    report = save(school_staff, project, funding=funding(), equipment=[asset("A-1")], narrative="进展")
    assert (report.period, report.status, report.row_version) == (1, "draft", 1)
    assert report.due_on == dt.date(2027, 12, 30)
    assert sorted(report.funding.values_list("source", "received")) == [
        ("enterprise", Decimal("3000000.00")),
        ("school", Decimal("7000000.00")),
    ]
    report = save(school_staff, project, row_version=1, funding=funding(school="8000000"), narrative="更新")
    assert report.row_version == 2
    assert report.funding.get(source="school").received == Decimal("8000000.00")
    assert report.equipment_changes.count() == 0
    assert AuditEntry.objects.filter(action__startswith="progress_report.").count() == 2
    # a stale version is refused
    with pytest.raises(ConflictError) as e:
        save(school_staff, project, row_version=1, narrative="旧")
    assert e.value.errors[0].code == "report.stale"


def test_a_period_not_begun_is_refused(project, school_staff):
    before = stored()
    with pytest.raises(ValidationFailed) as e:
        save(school_staff, project, period=2, funding=funding())
    assert e.value.errors[0].code == "report.period_not_begun"
    assert "第2期" in e.value.errors[0].message
    assert "2027-12-01" in e.value.errors[0].message
    assert stored() == before
    with pytest.raises(NotFound):  # there is no period 4 in three years
        save(school_staff, project, period=4)


def test_twice_for_one_period_is_refused(project, school_staff, school_admin):
    save(school_staff, project, funding=funding())
    with pytest.raises(ConflictError) as e:
        save(school_admin, project, funding=funding())
    assert e.value.errors[0].code == "report.period_taken"
    assert ProgressReport.objects.count() == 1


def test_negative_amounts_are_refused_and_nothing_stored(project, school_staff):
    before = stored()
    with pytest.raises(ValidationFailed) as e:
        save(
            school_staff,
            project,
            funding=[{"source": "school", "kind": "cash", "received": "-5", "spent": "0"}],
            usage=[{"purpose": "students", "hours": "-1", "people": 3}],
            tech_service_income={"development": "-100"},
        )
    codes = [(x.field, x.code) for x in e.value.errors]
    assert ("funding.1.received", "report.negative") in codes
    assert ("usage.1.hours", "report.negative") in codes
    assert ("tech_service_income.development", "report.negative") in codes
    assert "（当前：-5；要求：大于或等于0）" in e.value.errors[0].message
    assert stored() == before


def test_spending_more_than_received_is_refused_with_both_figures(project, school_staff):
    before = stored()
    with pytest.raises(ValidationFailed) as e:
        save(
            school_staff,
            project,
            funding=[{"source": "school", "kind": "cash", "received": "1000000", "spent": "1200000"}],
        )
    messages = [x.message for x in e.value.errors]
    assert "第1行支出（120.00万元）超过到位资金（100.00万元）" in messages
    assert "支出（120.00万元）超过到位资金（100.00万元）" in messages
    assert stored() == before


def test_asset_numbers_are_unique_in_the_report_and_the_register(
    project, school_staff, province_officer, day
):
    before = stored()
    with pytest.raises(ValidationFailed) as e:
        save(school_staff, project, equipment=[asset("A-1"), asset("A-1", name="另一台")])
    assert [x.code for x in e.value.errors] == ["report.asset_duplicate"]
    assert "资产编号A-1在本报告中重复（第2项）" in e.value.errors[0].message
    with pytest.raises(ValidationFailed) as e:
        save(school_staff, project, equipment=[asset("B-9", action="remove")])
    assert e.value.errors[0].code == "report.asset_not_registered"
    assert stored() == before
    # A-1 enters the register with period 1; period 2 cannot add it again, but may remove it
    report = save(school_staff, project, funding=funding(), equipment=[asset("A-1")])
    reports_services.report_submit(actor=actor_of(school_staff), report=report)
    day(dt.date(2027, 12, 5))
    with pytest.raises(ValidationFailed) as e:
        save(school_staff, project, period=2, equipment=[asset("A-1")])
    assert e.value.errors[0].code == "report.asset_registered"
    assert "资产编号A-1已在本项目设备台账中" in e.value.errors[0].message
    second = save(school_staff, project, period=2, equipment=[asset("A-1", action="remove")])
    assert second.equipment_changes.get().action == "remove"


def test_return_resubmit_accept(project, school_staff, school_admin, province_officer):
    report = save(school_staff, project, funding=funding(enterprise="4000000", school="6000000"))
    report = reports_services.report_submit(actor=actor_of(school_staff), report=report)
    assert report.status == "submitted"
    assert Notification.objects.filter(kind="report.submitted", recipient=province_officer).exists()
    with pytest.raises(ConflictError):  # submitted once
        reports_services.report_submit(actor=actor_of(school_staff), report=report)
    with pytest.raises(ConflictError):  # cannot be edited once submitted
        save(school_staff, project, row_version=report.row_version, narrative="x")
    with pytest.raises(ValidationFailed) as e:
        reports_services.report_return(actor=actor_of(province_officer), report=report, reasons="  ")
    assert e.value.errors[0].code == "report.reasons_required"
    report = reports_services.report_return(
        actor=actor_of(province_officer), report=report, reasons="设备清单缺少型号\n请补充佐证材料"
    )
    assert (report.status, report.return_reasons) == ("returned", ["设备清单缺少型号", "请补充佐证材料"])
    assert Notification.objects.filter(kind="report.returned", recipient=school_admin).exists()
    report = save(
        school_admin, project, row_version=report.row_version, funding=funding("4000000", "6000000")
    )
    report = reports_services.report_submit(actor=actor_of(school_admin), report=report)
    report = reports_services.report_accept(actor=actor_of(province_officer), report=report)
    assert report.status == "accepted"
    with pytest.raises(ConflictError):
        reports_services.report_accept(actor=actor_of(province_officer), report=report)
    actions = list(
        AuditEntry.objects.filter(action__startswith="progress_report.").values_list("action", flat=True)
    )
    assert actions.count("progress_report.submit") == 2
    assert {"progress_report.return", "progress_report.accept"} <= set(actions)


def test_roles_that_may_not(
    project, school_staff, observer, province_officer, enterprise_contact, jiangsu_officer
):
    with pytest.raises(Forbidden):
        save(observer, project, funding=funding())
    with pytest.raises(Forbidden):  # the partner enterprise reads the project, but the school reports
        save(enterprise_contact, project, funding=funding())
    with pytest.raises(Forbidden):
        save(province_officer, project, funding=funding())
    report = save(school_staff, project, funding=funding())
    reports_services.report_submit(actor=actor_of(school_staff), report=report)
    for who in (observer, school_staff, jiangsu_officer):
        with pytest.raises(Forbidden):
            reports_services.report_accept(actor=actor_of(who), report=report)
        with pytest.raises(Forbidden):
            reports_services.report_return(actor=actor_of(who), report=report, reasons="x")
    assert ProgressReport.objects.get().status == "submitted"


def test_other_school_does_not_see_the_report(project, school_staff, other_school_admin, observer):
    report = save(school_staff, project)
    with pytest.raises(NotFound):
        reports_selectors.report_get_for(actor=actor_of(other_school_admin), pk=report.pk)
    assert reports_selectors.report_get_for(actor=actor_of(observer), pk=report.pk) == report


def test_the_enterprise_share_alert_opens_and_later_closes(project, school_staff, province_officer, day):
    # period 1: 3,000,000 of 10,000,000 from the enterprise = 30.0% < 1/3
    report = save(school_staff, project, funding=funding(enterprise="3000000", school="7000000"))
    reports_services.report_submit(actor=actor_of(school_staff), report=report)
    alert = PlanAlert.objects.get(project=project, rule="enterprise_share", is_open=True)
    assert (alert.figure, alert.threshold, alert.source_section) == ("30.0%", "33.3%", "三(二)")
    assert "当前：30.0%" in alert.message
    assert alert.report_id == report.pk
    reports_services.report_accept(actor=actor_of(province_officer), report=report)
    assert PlanAlert.objects.filter(rule="enterprise_share", is_open=True).count() == 1
    # period 2 brings 3,000,000 more from the enterprise: 6,000,000 of 13,000,000 = 46.2%
    day(dt.date(2027, 12, 10))
    second = save(school_staff, project, period=2, funding=funding(enterprise="3000000", school="0"))
    reports_services.report_submit(actor=actor_of(school_staff), report=second)
    alert.refresh_from_db()
    assert alert.is_open is False
    assert alert.closed_at is not None
    assert not PlanAlert.objects.filter(rule="enterprise_share", is_open=True).exists()
    # both the opening and the closing are in the audit trail the province reads
    trail = audit_entries_for(actor_of(province_officer)).filter(
        object_type="projects.planalert", object_id=str(alert.pk)
    )
    assert sorted(trail.values_list("action", flat=True)) == ["plan_alert.close", "plan_alert.open"]
    opened = trail.get(action="plan_alert.open")
    assert (opened.changes["figure"], opened.changes["threshold"]) == ("30.0%", "33.3%")
    assert opened.region_code == project.city_code


def test_a_missing_report_is_an_alert_and_on_the_overdue_list(
    project, school_staff, province_officer, observer
):
    checks.run_checks(Project.objects.all(), today=dt.date(2027, 12, 31))
    alert = PlanAlert.objects.get(rule="report_missing", is_open=True)
    assert (alert.subject, alert.threshold) == ("1", "2027-12-30")
    rows = reports_selectors.overdue_for(actor_of(observer), today=dt.date(2027, 12, 31))
    assert [(r["project"].pk, r["period"].number, r["days"]) for r in rows] == [(project.pk, 1, 1)]
    assert rows[0]["project"].organization.name == project.organization.name
    assert reports_selectors.overdue_for(actor_of(observer), today=dt.date(2027, 12, 30)) == []


def test_run_checks_takes_the_same_queries_for_one_project_or_many(
    award, province_officer, day, school_staff
):
    services.decision_award(
        actor=actor_of(province_officer), application=award.school_app, approved_budget="1.00"
    )
    services.decision_award(
        actor=actor_of(province_officer), application=award.other_app, approved_budget="1.00"
    )
    first = Project.objects.get(application=award.school_app)
    save(school_staff, first, funding=funding())
    late = dt.date(2029, 1, 5)
    with CaptureQueriesContext(connection) as one:
        checks.run_checks(Project.objects.filter(pk=first.pk), today=late)
    PlanAlert.objects.all().delete()
    with CaptureQueriesContext(connection) as two:
        checks.run_checks(Project.objects.all(), today=late)
    assert len(one) == len(two)
    # both projects miss periods 1 and 2
    assert PlanAlert.objects.filter(rule="report_missing", is_open=True).count() == 4


def test_reminders_once_a_day(project, school_staff, school_admin):
    # due 2027-12-30: within 14 days from 2027-12-16
    assert reports_services.report_reminders(day=dt.date(2027, 12, 15)) == 0
    sent = reports_services.report_reminders(day=dt.date(2027, 12, 16))
    assert sent >= 2  # the school's admin and staff
    assert reports_services.report_reminders(day=dt.date(2027, 12, 16)) == 0
    note = Notification.objects.filter(kind="report.reminder", recipient=school_admin).get()
    assert "将于2027-12-30截止" in note.subject


def test_the_commands_run_the_checks_and_the_reminders(project, school_admin, monkeypatch, day):
    import io

    from django.core.management import call_command

    day(dt.date(2028, 1, 10))
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2028, 1, 10))
    out = io.StringIO()
    call_command("plan_checks", stdout=out)
    assert "opened=" in out.getvalue()
    assert PlanAlert.objects.get(rule="report_missing", is_open=True).subject == "1"
    out = io.StringIO()
    call_command("report_reminders", stdout=out)
    assert "sent=0" not in out.getvalue()
    note = Notification.objects.filter(kind="report.reminder", recipient=school_admin).get()
    assert "已逾期11天" in note.subject
