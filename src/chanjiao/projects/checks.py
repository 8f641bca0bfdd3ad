"""Plan checks (预警): the pack's rules applied to what a project's reports say.

The rules are pure functions over plain data (`Plan`: what the pack and the task book ask;
`Actuals`: what the submitted and accepted reports add up to), so every project is checked from
one bulk load (`load`) and nothing else is read per project. `run_checks(projects)` loads, checks
and writes the alerts (`PlanAlert`) in a constant number of queries: an alert is opened once per
project, rule and subject, its figures are brought up to date while it stays open, and it is closed
when a later check finds the rule met.

The rules:
- enterprise_share: the partner enterprises' part of the cumulative funds received is below the
  pack's minimum share (江苏: 企业投入不低于三分之一, 三(二));
- investment_behind: the cumulative funds received are below the plan's budget for the
  construction years already over;
- social_share: the social-training part of the workstation hours is below the pack's share
  (江苏: 每年向企业或社会提供1/3左右的工位, 二(六));
- kpi_behind: a KPI's value for a construction year is below that year's target (the task book's,
  else the pack's yearly minimum);
- report_missing: a period's report is not submitted by its due date;
- overspent: the cumulative spending is above the cumulative funds received.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import get_language, gettext


@lru_cache(maxsize=256)
def _translated(language: str | None, msgid: str) -> str:
    return gettext(msgid)


def _(msgid: str) -> str:
    """gettext, looked up once per language: a run over thousands of projects repeats each message."""
    return _translated(get_language(), msgid)


ZERO = Decimal("0")
CENT = Decimal("0.01")
ENTERPRISE = "enterprise"
SOCIAL = "social"
# The use the plan counts as workstations provided to enterprises or society (江苏 二(六)：每年向企业或
# 社会提供1/3左右的培训工位): training enterprise staff and social training.
OPEN_PURPOSES = ("enterprise_staff", SOCIAL)
TECH_SERVICE_KPI = "tech_service_income"
WAN = Decimal("10000")

ENTERPRISE_SHARE = "enterprise_share"
INVESTMENT_BEHIND = "investment_behind"
SOCIAL_SHARE = "social_share"
KPI_BEHIND = "kpi_behind"
REPORT_MISSING = "report_missing"
OVERSPENT = "overspent"


@dataclass(frozen=True)
class Period:
    number: int
    start: dt.date
    end: dt.date
    due_on: dt.date
    year: int  # the construction year the period ends in (1 = the first)


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    unit: str
    targets: dict[int, Decimal]  # construction year → target
    section: str = ""


@dataclass(frozen=True)
class Plan:
    """What the pack and the task book ask of one project."""

    project_id: int
    periods: tuple[Period, ...]
    years: int
    year_ends: tuple[dt.date, ...]  # the last day of each construction year
    budget_by_year: dict[int, Decimal] = field(default_factory=dict)
    min_enterprise_share: Fraction | None = None
    social_share: Fraction | None = None
    kpis: tuple[Kpi, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)  # rule → the pack's section


@dataclass(frozen=True)
class Actuals:
    """What the project's submitted and accepted reports add up to."""

    received_by_source: dict[str, Decimal] = field(default_factory=dict)
    spent: Decimal = ZERO
    hours: Decimal = ZERO
    social_hours: Decimal = ZERO  # hours provided to enterprises or society (OPEN_PURPOSES)
    kpi_by_year: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    reported_periods: frozenset[int] = frozenset()  # periods with a submitted or accepted report
    last_report_id: int | None = None

    @property
    def received(self) -> Decimal:
        return sum(self.received_by_source.values(), ZERO)


@dataclass(frozen=True)
class Alert:
    rule: str
    subject: str
    figure: str
    threshold: str
    message: str
    source_section: str


# --- words -------------------------------------------------------------------------------------


def wan(amount: Decimal) -> str:
    """An amount in 元 as 万元 with two places: 1200000 → 120.00万元."""
    return _("%(v)s万元") % {"v": f"{(Decimal(amount) / WAN).quantize(CENT)}"}


def percent(value: Fraction | Decimal) -> str:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{(value * 100).quantize(Decimal('0.1'))}%"


def percent_pair(share: Fraction, minimum: Fraction) -> tuple[str, str]:
    """The share and its minimum in percent, with more places when one place would show them equal
    (33.3% below 33.3% reads as 33.30% below 33.33%)."""
    figure, threshold = percent(share), percent(minimum)
    if figure == threshold:
        places = Decimal("0.01")
        as_decimal = [Decimal(x.numerator) / Decimal(x.denominator) for x in (share, minimum)]
        figure, threshold = (f"{(x * 100).quantize(places)}%" for x in as_decimal)
    return figure, threshold


def number(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.quantize(CENT)}"


def fraction_of(text) -> Fraction | None:
    if text in (None, ""):
        return None
    try:
        return Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None


# --- the rules ---------------------------------------------------------------------------------


def check_enterprise_share(plan: Plan, actual: Actuals) -> Alert | None:
    received = actual.received
    if plan.min_enterprise_share is None or received <= 0:
        return None
    enterprise = actual.received_by_source.get(ENTERPRISE, ZERO)
    share = Fraction(enterprise) / Fraction(received)
    if share >= plan.min_enterprise_share:
        return None
    figure, threshold = percent_pair(share, plan.min_enterprise_share)
    return Alert(
        ENTERPRISE_SHARE,
        "",
        figure,
        threshold,
        _(
            "合作企业投入占累计到位资金的比例低于要求（当前：%(figure)s，即%(part)s / %(whole)s；"
            "要求：不低于%(threshold)s）"
        )
        % {"figure": figure, "part": wan(enterprise), "whole": wan(received), "threshold": threshold},
        plan.sections.get(ENTERPRISE_SHARE, ""),
    )


def years_over(plan: Plan, today: dt.date) -> int:
    return sum(1 for end in plan.year_ends if end < today)


def check_investment(plan: Plan, actual: Actuals, today: dt.date) -> Alert | None:
    years = years_over(plan, today)
    if years < 1 or not plan.budget_by_year:
        return None
    planned = sum((plan.budget_by_year.get(y, ZERO) for y in range(1, years + 1)), ZERO)
    received = actual.received
    if planned <= 0 or received >= planned:
        return None
    return Alert(
        INVESTMENT_BEHIND,
        "",
        wan(received),
        wan(planned),
        _("累计到位资金落后于计划（当前：%(figure)s；要求：前%(years)s个建设年度计划投入%(planned)s）")
        % {"figure": wan(received), "years": years, "planned": wan(planned)},
        plan.sections.get(INVESTMENT_BEHIND, ""),
    )


def check_social_share(plan: Plan, actual: Actuals) -> Alert | None:
    if plan.social_share is None or actual.hours <= 0:
        return None
    share = Fraction(actual.social_hours) / Fraction(actual.hours)
    if share >= plan.social_share:
        return None
    figure, threshold = percent_pair(share, plan.social_share)
    return Alert(
        SOCIAL_SHARE,
        "",
        figure,
        threshold,
        _(
            "向企业或社会提供的工位时数占比低于要求（当前：%(figure)s，即%(part)s / %(whole)s工位时；"
            "要求：约%(threshold)s）"
        )
        % {
            "figure": figure,
            "part": number(actual.social_hours),
            "whole": number(actual.hours),
            "threshold": threshold,
        },
        plan.sections.get(SOCIAL_SHARE, ""),
    )


def years_reported(plan: Plan, actual: Actuals, today: dt.date) -> list[int]:
    """The construction years whose figures are in: the year is over, or its last period is reported."""
    last_period = {}
    for p in plan.periods:
        last_period[p.year] = max(last_period.get(p.year, 0), p.number)
    return sorted(
        y
        for y in range(1, plan.years + 1)
        if (y <= len(plan.year_ends) and plan.year_ends[y - 1] < today)
        or last_period.get(y) in actual.reported_periods
    )


def check_kpis(plan: Plan, actual: Actuals, today: dt.date) -> list[Alert]:
    alerts = []
    for year in years_reported(plan, actual, today):
        for kpi in plan.kpis:
            target = kpi.targets.get(year)
            if target is None or target <= 0:
                continue
            value = actual.kpi_by_year.get((kpi.code, year), ZERO)
            if value >= target:
                continue
            alerts.append(
                Alert(
                    KPI_BEHIND,
                    f"{kpi.code}:{year}",
                    f"{number(value)}{kpi.unit}",
                    f"{number(target)}{kpi.unit}",
                    _(
                        "第%(year)s建设年度“%(name)s”未达年度目标（当前：%(value)s%(unit)s；要求：不少于%(target)s%(unit)s）"
                    )
                    % {
                        "year": year,
                        "name": kpi.name,
                        "value": number(value),
                        "target": number(target),
                        "unit": kpi.unit,
                    },
                    kpi.section,
                )
            )
    return alerts


def check_missing(plan: Plan, actual: Actuals, today: dt.date) -> list[Alert]:
    return [
        Alert(
            REPORT_MISSING,
            str(p.number),
            _("未报送"),
            p.due_on.isoformat(),
            _("第%(n)s期定期报告（%(start)s至%(end)s）逾期未报送（当前：未报送；要求：%(due)s前报送）")
            % {
                "n": p.number,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "due": p.due_on.isoformat(),
            },
            plan.sections.get(REPORT_MISSING, ""),
        )
        for p in plan.periods
        if p.due_on < today and p.number not in actual.reported_periods
    ]


def check_overspent(plan: Plan, actual: Actuals) -> Alert | None:
    received = actual.received
    if actual.spent <= received:
        return None
    return Alert(
        OVERSPENT,
        "",
        wan(actual.spent),
        wan(received),
        _("累计支出（%(spent)s）超过累计到位资金（%(received)s）")
        % {"spent": wan(actual.spent), "received": wan(received)},
        plan.sections.get(OVERSPENT, ""),
    )


def check_project(plan: Plan, actual: Actuals, today: dt.date) -> list[Alert]:
    """Every rule for one project; the alerts of the rules not met."""
    alerts = [
        check_enterprise_share(plan, actual),
        check_investment(plan, actual, today),
        check_social_share(plan, actual),
        check_overspent(plan, actual),
    ]
    found = [a for a in alerts if a is not None]
    return found + check_kpis(plan, actual, today) + check_missing(plan, actual, today)


# --- periods -----------------------------------------------------------------------------------

CADENCE_MONTHS = {"yearly": 12, "half_yearly": 6, "quarterly": 3}
DEFAULT_DUE_DAYS = 30  # the platform's default when the pack gives no due date (平台默认)


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def reporting_of(spec: dict) -> tuple[int, int, bool, str]:
    """(months per period, days after a period's end it is due, whether that is the platform's
    default, the pack's section) from the project type's spec."""
    reporting = spec.get("reporting") if isinstance(spec, dict) else None
    reporting = reporting if isinstance(reporting, dict) else {}
    cadence = reporting.get("cadence")
    value = cadence.get("value") if isinstance(cadence, dict) else cadence
    months = CADENCE_MONTHS.get(str(value or "yearly"), 12)
    due = reporting.get("due_days")
    due = due.get("value") if isinstance(due, dict) else due
    try:
        days, default = int(due), False
    except (TypeError, ValueError):
        days, default = DEFAULT_DUE_DAYS, True
    return months, days, default, str((reporting.get("source") or {}).get("section", ""))


def periods_of(starts_on: dt.date, years: int, spec: dict) -> tuple[Period, ...]:
    months, days, _default, _section = reporting_of(spec)
    count = max(1, years * 12 // months)
    periods = []
    for i in range(count):
        start = add_months(starts_on, i * months)
        end = add_months(starts_on, (i + 1) * months) - dt.timedelta(days=1)
        year = (i + 1) * months // 12 + (1 if (i + 1) * months % 12 else 0)
        periods.append(Period(i + 1, start, end, end + dt.timedelta(days=days), max(1, year)))
    return tuple(periods)


def year_ends_of(starts_on: dt.date, years: int) -> tuple[dt.date, ...]:
    return tuple(add_months(starts_on, 12 * y) - dt.timedelta(days=1) for y in range(1, years + 1))


# --- the plan from the pack and the task book (plain data in, plain data out) ------------------


def _section(part) -> str:
    if isinstance(part, dict):
        return str((part.get("source") or {}).get("section", ""))
    return ""


def plan_of(
    *,
    project_id: int,
    starts_on: dt.date,
    years: int,
    spec: dict,
    budget: list[dict],
    kpi_targets: dict[str, dict[int, Decimal]],
) -> Plan:
    """The plan of one project: its type's spec (the pack), its budget lines ({year, amount}) and
    its KPI targets (code → year → value; a KPI the plan leaves without a target takes the pack's
    `min_per_year`)."""
    spec = spec if isinstance(spec, dict) else {}
    investment = spec.get("investment") if isinstance(spec.get("investment"), dict) else {}
    share = investment.get("min_enterprise_share")
    workstations = spec.get("workstations") if isinstance(spec.get("workstations"), dict) else {}
    _m, _d, _default, report_section = reporting_of(spec)
    invest_section = _section(investment)
    by_year: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in budget:
        by_year[int(line["year"])] += Decimal(str(line["amount"]))
    kpis = []
    for k in spec.get("kpis", []) or []:
        targets = dict(kpi_targets.get(k["code"], {}))
        if not targets and k.get("min_per_year"):
            targets = dict.fromkeys(range(1, years + 1), Decimal(str(k["min_per_year"])))
        if targets:
            kpis.append(Kpi(k["code"], k.get("name", k["code"]), k.get("unit", ""), targets, _section(k)))
    return Plan(
        project_id=project_id,
        periods=periods_of(starts_on, years, spec),
        years=years,
        year_ends=year_ends_of(starts_on, years),
        budget_by_year=dict(by_year),
        min_enterprise_share=fraction_of(share.get("value") if isinstance(share, dict) else share),
        social_share=fraction_of(workstations.get("social_training_share")),
        kpis=tuple(kpis),
        sections={
            ENTERPRISE_SHARE: _section(share) or invest_section,
            INVESTMENT_BEHIND: invest_section,
            SOCIAL_SHARE: _section(workstations),
            REPORT_MISSING: report_section,
            OVERSPENT: report_section,
        },
    )


# --- one bulk load, and the alerts written ------------------------------------------------------


def _current_books(project_ids) -> dict[int, dict]:
    """project id → the content of the task book it is built to (highest confirmed, else latest)."""
    from .models import TaskBook

    best: dict[int, tuple[bool, int, dict]] = {}
    rows = TaskBook.objects.filter(project_id__in=project_ids).values_list(
        "project_id", "version", "status", "content"
    )
    for project_id, version, status, content in rows:
        rank = (status == TaskBook.Status.CONFIRMED, version)
        if project_id not in best or rank > best[project_id][:2]:
            best[project_id] = (*rank, content or {})
    return {pid: content for pid, (_c, _v, content) in best.items()}


def _book_budget(content: dict) -> list[dict]:
    return [
        {"year": line["year"], "amount": line["amount"]}
        for line in content.get("budget", []) or []
        if isinstance(line, dict) and "year" in line and "amount" in line
    ]


def _book_kpis(content: dict) -> dict[str, dict[int, Decimal]]:
    targets: dict[str, dict[int, Decimal]] = {}
    for k in content.get("kpis", []) or []:
        if not isinstance(k, dict) or "code" not in k:
            continue
        targets[k["code"]] = {
            int(y): Decimal(str(v)) for y, v in (k.get("targets") or {}).items() if v not in (None, "")
        }
    return targets


def load(projects) -> list[tuple[int, Plan, Actuals]]:
    """(project id, plan, actuals) of every project of the queryset, in a constant number of queries."""
    from chanjiao.applications.models import BudgetLine, KpiTarget

    from .models import Funding, ProgressReport, Usage

    counted = (ProgressReport.Status.SUBMITTED, ProgressReport.Status.ACCEPTED)
    rows = list(
        projects.order_by().values_list(
            "pk", "application_id", "starts_on", "construction_years", "project_type_id"
        )
    )
    from chanjiao.policy.models import ProjectType

    specs = dict(ProjectType.objects.filter(pk__in={r[4] for r in rows}).values_list("pk", "spec"))
    ids = projects.order_by().values("pk")
    books = _current_books(ids)
    without = [app for pk, app, *_ in rows if not books.get(pk)]
    budgets: dict[int, list[dict]] = defaultdict(list)
    for app, year, amount in BudgetLine.objects.filter(application_id__in=without).values_list(
        "application_id", "year", "amount"
    ):
        budgets[app].append({"year": year, "amount": amount})
    kpi_targets: dict[int, dict[str, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for app, code, year, value in KpiTarget.objects.filter(application_id__in=without).values_list(
        "application_id", "kpi_code", "year", "value"
    ):
        kpi_targets[app][code][year] = value

    reports: dict[int, list[tuple]] = defaultdict(list)
    # the JSON read as text and decoded here: Django's field conversion costs more than the decoding
    rows_of_reports = (
        ProgressReport.objects.filter(project_id__in=ids, status__in=counted)
        .annotate(k=Cast("kpi_values", TextField()), i=Cast("tech_service_income", TextField()))
        .values_list("pk", "project_id", "period", "k", "i")
    )
    for rid, pid, period, kpis, income in rows_of_reports:
        reports[pid].append((rid, period, _json(kpis), _json(income)))
    received: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    spent: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pid, source, r, s in (
        Funding.objects.filter(report__project_id__in=ids, report__status__in=counted)
        .values_list("report__project_id", "source")
        .annotate(r=models_sum("received"), s=models_sum("spent"))
        .order_by()
    ):
        received[pid][source] += r or ZERO
        spent[pid] += s or ZERO
    hours: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for pid, purpose, h in (
        Usage.objects.filter(report__project_id__in=ids, report__status__in=counted)
        .values_list("report__project_id", "purpose")
        .annotate(h=models_sum("hours"))
        .order_by()
    ):
        hours[pid][purpose] += h or ZERO

    out = []
    for pk, app, starts_on, years, type_id in rows:
        spec = specs.get(type_id)
        book = books.get(pk)
        plan = plan_of(
            project_id=pk,
            starts_on=starts_on,
            years=years,
            spec=spec or {},
            budget=_book_budget(book) if book else budgets.get(app, []),
            kpi_targets=_book_kpis(book) if book else kpi_targets.get(app, {}),
        )
        out.append(
            (
                pk,
                plan,
                actuals_of(
                    plan, reports.get(pk, []), received.get(pk, {}), spent.get(pk, ZERO), hours.get(pk, {})
                ),
            )
        )
    return out


def _json(text) -> dict:
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def models_sum(name: str):
    from django.db.models import Sum

    return Sum(name)


def actuals_of(plan: Plan, reports: list[tuple], received: dict, spent: Decimal, hours: dict) -> Actuals:
    """The actuals from plain rows: reports (id, period, kpi values, 四技 income), funds received by
    source, the total spent, hours by purpose."""
    year_of = {p.number: p.year for p in plan.periods}
    kpi_by_year: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    last = None
    for rid, period, kpis, income in reports:
        year = year_of.get(period)
        if year is None:
            continue
        last = rid if last is None or rid > last else last
        values = {k: v for k, v in kpis.items() if v not in (None, "")}
        if TECH_SERVICE_KPI not in values and income:
            values[TECH_SERVICE_KPI] = sum((Decimal(str(v or 0)) for v in income.values()), ZERO) / WAN
        for code, value in values.items():
            try:
                kpi_by_year[(code, year)] += Decimal(str(value))
            except ArithmeticError:
                continue
    return Actuals(
        received_by_source=dict(received),
        spent=spent,
        hours=sum(hours.values(), ZERO),
        social_hours=sum((hours.get(p, ZERO) for p in OPEN_PURPOSES), ZERO),
        kpi_by_year=dict(kpi_by_year),
        reported_periods=frozenset(period for _r, period, _k, _i in reports),
        last_report_id=last,
    )


def _audit(projects, events: list[tuple[str, object]]) -> None:
    """An audit entry per alert opened or closed, written by the platform (no acting person) under
    the project's city, so the province's staff and observer read it in the audit log."""
    if not events:
        return
    from chanjiao.core.models import AuditEntry

    wanted = {alert.project_id for _action, alert in events}
    cities = dict(projects.order_by().filter(pk__in=wanted).values_list("pk", "city_code"))
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                action=action,
                object_type="projects.planalert",
                object_id=str(alert.pk or ""),
                object_repr=alert.message[:255],
                region_code=cities.get(alert.project_id, ""),
                changes={
                    "project_id": alert.project_id,
                    "rule": alert.rule,
                    "subject": alert.subject,
                    "figure": alert.figure,
                    "threshold": alert.threshold,
                    "source_section": alert.source_section,
                },
            )
            for action, alert in events
        ),
        batch_size=500,
    )


def run_checks(projects, *, today: dt.date | None = None) -> dict[str, int]:
    """Checks every project of the queryset and writes its alerts: new ones opened, open ones brought
    up to date, those whose rule is now met closed. A constant number of queries, whatever the count."""
    from django.db import transaction
    from django.utils import timezone

    from .models import PlanAlert

    today = today or timezone.localdate()
    found: dict[tuple[int, str, str], tuple[Alert, int | None]] = {}
    for pk, plan, actual in load(projects):
        for alert in check_project(plan, actual, today):
            found[(pk, alert.rule, alert.subject)] = (alert, actual.last_report_id)
    now = timezone.now()
    counts = {"opened": 0, "updated": 0, "closed": 0}
    with transaction.atomic():
        open_ = {
            (a.project_id, a.rule, a.subject): a
            for a in PlanAlert.objects.select_for_update().filter(
                project_id__in=projects.order_by().values("pk"), is_open=True
            )
        }
        new, changed, closed = [], [], []
        for key, (alert, report_id) in found.items():
            row = open_.get(key)
            if row is None:
                new.append(
                    PlanAlert(
                        project_id=key[0],
                        report_id=report_id,
                        rule=alert.rule,
                        subject=alert.subject,
                        figure=alert.figure[:64],
                        threshold=alert.threshold[:64],
                        message=alert.message,
                        source_section=alert.source_section[:64],
                    )
                )
            elif (row.figure, row.threshold, row.message, row.report_id) != (
                alert.figure[:64],
                alert.threshold[:64],
                alert.message,
                report_id,
            ):
                row.figure, row.threshold, row.message = (
                    alert.figure[:64],
                    alert.threshold[:64],
                    alert.message,
                )
                row.report_id, row.source_section = report_id, alert.source_section[:64]
                changed.append(row)
        for key, row in open_.items():
            if key not in found:
                row.is_open, row.closed_at = False, now
                closed.append(row)
        PlanAlert.objects.bulk_create(new, batch_size=500)
        PlanAlert.objects.bulk_update(
            changed, ["figure", "threshold", "message", "report_id", "source_section"], batch_size=500
        )
        PlanAlert.objects.bulk_update(closed, ["is_open", "closed_at"], batch_size=500)
        _audit(projects, [("plan_alert.open", a) for a in new] + [("plan_alert.close", a) for a in closed])
    counts.update(opened=len(new), updated=len(changed), closed=len(closed))
    return counts
