"""The figures acceptance and performance are scored on, computed from the projects' reports.

The pack's acceptance and performance indicator systems name their inputs (江苏:
`jiangsu-acceptance` and `jiangsu-performance`); the formula, gate and veto indicators are scored
from them, so the experts score only what needs judgement. The figures come from the submitted and
accepted reports through the plan checks' bulk load (`checks.load`): one set of queries for every
project of a batch, and the same arithmetic as the alerts.

Values are JSON-ready: money and counts as decimal text, shares as decimal text with four places
(None when there is nothing to divide), yes/no as booleans. Every input of the systems is present
for every project (None when the reports say nothing), so a sheet shows what is missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from . import checks

SHARE_PLACES = Decimal("0.0001")
# The performance KPIs counted per construction year, and the input each one feeds.
PERFORMANCE_KPIS = (
    "tech_service_income",
    "transfer_projects",
    "incubated_student_projects",
    "research_projects",
    "patents",
)


def _share(part: Decimal, whole: Decimal) -> str | None:
    if whole <= 0:
        return None
    value = Fraction(part) / Fraction(whole)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(SHARE_PLACES, ROUND_HALF_UP))


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else str(value)


def _reports_complete(plan: checks.Plan, actual: checks.Actuals, today: dt.date) -> bool:
    """Every period whose due date has passed has a submitted or accepted report (a report due
    today is not late yet, as the plan alerts and the overdue list count it)."""
    due = {p.number for p in plan.periods if p.due_on < today}
    return due <= actual.reported_periods


def _common(plan: checks.Plan, actual: checks.Actuals) -> dict[str, Any]:
    return {
        "workstation_share": _share(actual.social_hours, actual.hours),
        "conditions_hold": True,
    }


def acceptance_inputs(projects, *, today: dt.date) -> dict[int, dict[str, Any]]:
    """project id → the acceptance inputs: total investment received (元), the enterprises' share
    of it, the share of workstation hours provided to enterprises or society, whether every report
    due by `today` is in, and whether the award's conditions still hold (True until staff say not)."""
    out: dict[int, dict[str, Any]] = {}
    for pk, plan, actual in checks.load(projects):
        received = actual.received
        out[pk] = {
            "total_investment": _number(received),
            "enterprise_share": _share(
                actual.received_by_source.get(checks.ENTERPRISE, checks.ZERO), received
            ),
            "reports_on_time": _reports_complete(plan, actual, today),
            **_common(plan, actual),
        }
    return out


def construction_year_of(plan: checks.Plan, year: int) -> int | None:
    """The construction year (1 = the first) that ends in calendar year `year`, or None."""
    for number, end in enumerate(plan.year_ends, start=1):
        if end.year == year:
            return number
    return None


def performance_inputs(projects, *, year: int, final: bool) -> dict[int, dict[str, Any]]:
    """project id → the performance inputs: each KPI's value for the construction year that ends
    in calendar `year` (or, at the end of construction, `final`, summed over every year), and the
    share of workstation hours provided to enterprises or society. A KPI no report gives is None."""
    out: dict[int, dict[str, Any]] = {}
    for pk, plan, actual in checks.load(projects):
        years = range(1, plan.years + 1) if final else [construction_year_of(plan, year)]
        values: dict[str, Any] = {}
        for code in PERFORMANCE_KPIS:
            found = [actual.kpi_by_year[(code, y)] for y in years if (code, y) in actual.kpi_by_year]
            values[code] = _number(sum(found, checks.ZERO)) if found else None
        out[pk] = {**values, **_common(plan, actual)}
    return out
