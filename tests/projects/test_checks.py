"""Plan checks (预警) on hand-worked figures: the pure rules, then run_checks writing the alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from chanjiao.projects import checks
from tests.applications.factories import integration_platform_spec

D = Decimal
START = dt.date(2025, 1, 1)


def plan(budget=(), kpis=None):
    return checks.plan_of(
        project_id=1,
        starts_on=START,
        years=3,
        spec=integration_platform_spec(),
        budget=[{"year": y, "amount": D(a)} for y, a in budget],
        kpi_targets=kpis or {},
    )


def test_periods_follow_the_yearly_cadence_with_the_platforms_30_days():
    p = plan()
    assert [(x.number, x.start, x.end, x.due_on, x.year) for x in p.periods] == [
        (1, dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 30), 1),
        (2, dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 30), 2),
        (3, dt.date(2027, 1, 1), dt.date(2027, 12, 31), dt.date(2028, 1, 30), 3),
    ]
    months, days, default, section = checks.reporting_of(integration_platform_spec())
    assert (months, days, default, section) == (12, 30, True, "三(三)2")


def test_enterprise_share_of_30_percent_is_below_one_third():
    # 3,000,000 of 10,000,000 received comes from the enterprise: 30.0% < 33.3%
    actual = checks.Actuals(received_by_source={"enterprise": D("3000000"), "school": D("7000000")})
    alert = checks.check_enterprise_share(plan(), actual)
    assert alert.figure == "30.0%"
    assert alert.threshold == "33.3%"
    assert "当前：30.0%" in alert.message
    assert "300.00万元 / 1000.00万元" in alert.message
    assert alert.source_section == "三(二)"
    # 4,000,000 of 10,000,000 is 40%: met
    met = checks.Actuals(received_by_source={"enterprise": D("4000000"), "school": D("6000000")})
    assert checks.check_enterprise_share(plan(), met) is None
    # exactly one third is met
    third = checks.Actuals(received_by_source={"enterprise": D("1000000"), "school": D("2000000")})
    assert checks.check_enterprise_share(plan(), third) is None


def test_investment_behind_the_budget_of_the_years_over():
    p = plan(budget=[(1, "12000000"), (2, "10000000"), (3, "8000000")])
    actual = checks.Actuals(received_by_source={"school": D("15000000")})
    # on 2026-06-01 one year is over: 15,000,000 ≥ 12,000,000
    assert checks.check_investment(p, actual, dt.date(2026, 6, 1)) is None
    # on 2027-01-05 two years are over: 15,000,000 < 22,000,000
    alert = checks.check_investment(p, actual, dt.date(2027, 1, 5))
    assert (alert.figure, alert.threshold) == ("1500.00万元", "2200.00万元")
    assert "前2个建设年度" in alert.message
    # before the first year ends nothing is due
    assert checks.check_investment(p, checks.Actuals(), dt.date(2025, 6, 1)) is None


def test_social_training_share_of_hours():
    # 200 social hours of 1,000: 20.0% < 33.3%
    actual = checks.Actuals(hours=D("1000"), social_hours=D("200"))
    alert = checks.check_social_share(plan(), actual)
    assert (alert.figure, alert.threshold, alert.source_section) == ("20.0%", "33.3%", "二(六)")
    assert "200 / 1000" in alert.message
    assert checks.check_social_share(plan(), checks.Actuals(hours=D("900"), social_hours=D("300"))) is None


def test_kpi_behind_its_yearly_target_once_the_year_is_reported():
    p = plan(kpis={"patents": {1: D("2"), 2: D("3")}})
    # the pack's yearly minimum (1) applies to transfer projects and incubated student projects
    assert {k.code: k.targets.get(1) for k in p.kpis} == {
        "transfer_projects": D("1"),
        "incubated_student_projects": D("1"),
        "patents": D("2"),
    }
    actual = checks.Actuals(
        kpi_by_year={
            ("patents", 1): D("1"),
            ("transfer_projects", 1): D("1"),
            ("incubated_student_projects", 1): D("2"),
        },
        reported_periods=frozenset({1}),
    )
    alerts = checks.check_kpis(p, actual, dt.date(2025, 12, 20))
    assert [(a.subject, a.figure, a.threshold) for a in alerts] == [("patents:1", "1项", "2项")]
    assert alerts[0].message == "第1建设年度“技术专利”未达年度目标（当前：1项；要求：不少于2项）"
    # year 2 is neither over nor reported: not checked
    assert all(a.subject.endswith(":1") for a in alerts)


def test_missing_report_after_its_due_date():
    p = plan()
    assert checks.check_missing(p, checks.Actuals(), dt.date(2026, 1, 30)) == []
    alerts = checks.check_missing(p, checks.Actuals(), dt.date(2026, 1, 31))
    assert [(a.subject, a.threshold) for a in alerts] == [("1", "2026-01-30")]
    assert (
        checks.check_missing(p, checks.Actuals(reported_periods=frozenset({1})), dt.date(2026, 1, 31)) == []
    )


def test_spending_above_received():
    actual = checks.Actuals(received_by_source={"school": D("1000000")}, spent=D("1200000"))
    alert = checks.check_overspent(plan(), actual)
    assert alert.message == "累计支出（120.00万元）超过累计到位资金（100.00万元）"
    assert (
        checks.check_overspent(plan(), checks.Actuals(received_by_source={"school": D("5")}, spent=D("5")))
        is None
    )


def test_tech_service_income_counts_as_its_kpi_in_wan():
    p = plan(kpis={"tech_service_income": {1: D("50")}})
    actual = checks.actuals_of(
        p, [(7, 1, {}, {"development": "300000", "service": "100000"})], {}, D("0"), {}
    )
    # 400,000 元 = 40 万元 < 50 万元
    assert actual.kpi_by_year[("tech_service_income", 1)] == D("40")
    alerts = checks.check_kpis(p, actual, dt.date(2025, 12, 1))
    assert [(a.subject, a.figure) for a in alerts if a.subject.startswith("tech")] == [
        ("tech_service_income:1", "40万元")
    ]


def test_fractions_and_percent_words():
    assert checks.percent(Fraction(1, 3)) == "33.3%"
    assert checks.wan(D("1200000")) == "120.00万元"


def test_a_share_just_below_the_minimum_shows_the_difference():
    # 333 of 1,000 from the enterprise: 33.3% either way at one place, so two are shown
    actual = checks.Actuals(received_by_source={"enterprise": D("333"), "school": D("667")})
    alert = checks.check_enterprise_share(plan(), actual)
    assert (alert.figure, alert.threshold) == ("33.30%", "33.33%")
