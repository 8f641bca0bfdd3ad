"""Read-only figures for each role's home page, built on the other apps' scoped selectors.

Province staff and the observer see their province, city staff their city, everyone else their
own organisation. Every figure is counted inside the actor's scope, never across it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import CharField, Count, IntegerField, Q, Sum
from django.db.models.functions import Cast, ExtractYear, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor, Role
from chanjiao.core.selectors import audit_entries_for
from chanjiao.orgs.models import Membership, OrgKind, SchoolLevel
from chanjiao.orgs.selectors import organizations_for, people_for
from chanjiao.policy.contract import FUNDING_SOURCES
from chanjiao.policy.models import ProjectType
from chanjiao.projects.checks import ENTERPRISE, fraction_of, periods_of
from chanjiao.projects.models import Funding, PlanAlert, ProgressReport, Project
from chanjiao.projects.selectors import projects_for

RECENT_AUDIT = 8


def _by(qs, field: str, choices) -> list[dict]:
    counts = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": value, "label": label, "count": counts.get(value, 0)} for value, label in choices.choices]


def _by_area(orgs, *, prefix_length: int) -> list[dict]:
    """Organisations, schools and enterprises per city (province scope) or per county (city scope)."""
    rows: dict[str, dict] = {}
    grouped = (
        orgs.annotate(area=Substr("region_id", 1, prefix_length))
        .values_list("area", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for area, kind, n in grouped:
        row = rows.setdefault(area, {"code": area, "total": 0, "school": 0, "enterprise": 0})
        row["total"] += n
        if kind in {OrgKind.SCHOOL, OrgKind.ENTERPRISE}:
            row[kind] += n
    codes = {area.ljust(6, "0"): area for area in rows}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    for code, area in codes.items():
        rows[area]["name"] = names.get(code, code)
    return sorted(rows.values(), key=lambda r: r["code"])


def home_figures(actor: Actor) -> dict:
    """What the acting person's home page shows, with real counts from their scope."""
    orgs = organizations_for(actor)
    figures: dict = {"kind": "none"}
    if actor.sees_province or actor.is_city_staff:
        figures["kind"] = "region"
        figures["scope"] = "province" if actor.sees_province else "city"
        figures["org_total"] = orgs.count()
        figures["orgs_by_kind"] = _by(orgs, "kind", OrgKind)
        figures["schools_by_level"] = _by(orgs.filter(kind=OrgKind.SCHOOL), "school_level", SchoolLevel)
        figures["experts"] = (
            Membership.objects.filter(role=Role.EXPERT, is_active=True, organization__in=orgs.values("pk"))
            .values("user")
            .distinct()
            .count()
        )
        figures["people"] = people_for(actor).count()
        # Province: one row per city (4-digit prefix); city: one row per county (the full code).
        figures["by_area"] = _by_area(orgs, prefix_length=4 if actor.sees_province else 6)
        figures["recent_audit"] = list(audit_entries_for(actor)[:RECENT_AUDIT])
    elif actor.organization is not None:
        org = actor.organization
        figures["kind"] = "organization"
        figures["organization"] = org
        members = Membership.objects.filter(organization=org, is_active=True)
        figures["people"] = members.values("user").distinct().count()
        figures["members_by_role"] = [
            {"key": role, "label": Role(role).label, "count": n}
            for role, n in members.values_list("role").annotate(n=Count("id")).order_by("role")
        ]
        figures["my_roles"] = [Role(r).label for r in sorted(actor.roles)]
        figures["subsidiaries"] = org.subsidiaries.filter(is_active=True).count()
    return figures


# --- the dashboard (数据看板): projects, funds and alerts in the actor's scope ----------------------
#
# One page by role: province staff and the observer see their province (each project type's count
# against the plan's target, by city, funds by source and year, the enterprise share, open alerts),
# city staff their city, an organisation's staff its own projects. Every figure comes from a few
# grouped queries (values/annotate) whose number does not depend on how many projects or reports
# there are; Python only folds the grouped rows. Each table is data (`Table`), drawn on the page,
# exported to Excel and answered by the API from the same rows, so the three cannot disagree.

PROVINCE_VIEW, CITY_VIEW, ORG_VIEW = "province", "city", "organization"
# The reports whose figures count: submitted or accepted (as the plan checks count them).
COUNTED_REPORTS = ("submitted", "accepted")
# How many of the city's report rows the page lists (the count is always given in full).
REPORT_ROWS_SHOWN = 200
WAN_YUAN = Decimal("10000")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, wan (an amount in yuan shown in 万元), percent, date


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]  # column key → value; "_key" names the row, "_url" links its first cell
    chart: dict | None = None  # the ECharts option drawn above the table
    note: str = ""

    def cell_rows(self) -> list[dict]:
        """The rows as the page shows them: each cell's text, the row's key and link."""
        return [
            {
                "key": row.get("_key", ""),
                "url": row.get("_url", ""),
                "cells": [
                    {"key": c.key, "kind": c.kind, "text": shown(c, row.get(c.key))} for c in self.columns
                ],
            }
            for row in self.rows
        ]

    def export_rows(self) -> list[list]:
        """The rows as the Excel sheet holds them: numbers as numbers, amounts in 万元."""
        return [[exported(c, row.get(c.key)) for c in self.columns] for row in self.rows]


def wan(amount) -> Decimal:
    return (Decimal(amount or 0) / WAN_YUAN).quantize(CENT)


def share(part, whole) -> Decimal | None:
    """part / whole in percent with one place; None without a whole."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(TENTH)


def shown(column: Column, value) -> str:
    if value is None or value == "":
        return "—"
    if column.kind == "wan":
        return f"{wan(value):,}"
    if column.kind == "percent":
        return f"{value}%"
    if column.kind == "int":
        return f"{value:,}"
    if column.kind == "date":
        return value.isoformat()
    return str(value)


def exported(column: Column, value):
    if value is None:
        return None
    if column.kind == "wan":
        return wan(value)
    if column.kind in ("text",):
        return str(value)  # a lazy label (a status, a rule) becomes its text
    return value


@dataclass
class Dashboard:
    view: str  # province, city or organization
    scope_code: str
    scope_name: str
    today: dt.date
    cards: list[dict] = field(default_factory=list)  # {key, label, value, kind}
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _view_of(actor: Actor) -> str:
    if actor.sees_province:
        return PROVINCE_VIEW
    if actor.is_city_staff:
        return CITY_VIEW
    return ORG_VIEW


def _target_text(target: dict | None) -> str:
    if not target or not target.get("count"):
        return ""
    text = f"{target['count']}{target.get('unit') or ''}"
    return _("约%(n)s") % {"n": text} if target.get("approximate") else text


def _min_share(spec: dict) -> tuple[Fraction | None, str]:
    investment = spec.get("investment") if isinstance(spec.get("investment"), dict) else {}
    raw = investment.get("min_enterprise_share")
    if not isinstance(raw, dict):
        return None, ""
    section = (raw.get("source") or {}).get("section", "") or (investment.get("source") or {}).get(
        "section", ""
    )
    return fraction_of(raw.get("value")), str(section)


def _fraction_text(value: Fraction) -> str:
    percent = (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(TENTH)
    return f"{value.numerator}/{value.denominator}（{percent}%）" if value.denominator != 1 else f"{percent}%"


def _types_in_scope(actor: Actor, view: str, projects) -> list[dict]:
    """The project types to count: for province staff every type of their province's current packs (with
    the plan's target), and any other type a project in scope is of. One query."""
    wanted = Q(pk__in=projects.order_by().values("project_type_id"))
    if view == PROVINCE_VIEW and actor.province_prefix:
        wanted |= Q(pack__region__code__startswith=actor.province_prefix, pack__is_current=True)
    rows = []
    for pt in (
        ProjectType.objects.filter(wanted)
        .select_related("pack")
        .order_by("pack__region_id", "pack__code", "position", "id")
    ):
        spec = pt.spec if isinstance(pt.spec, dict) else {}
        target = spec.get("target") if isinstance(spec.get("target"), dict) else None
        minimum, min_section = _min_share(spec)
        rows.append(
            {
                "id": pt.pk,
                "key": (pt.pack.code, pt.code),
                "pack": pt.pack.plan_name,
                "current": pt.pack.is_current,
                "name": pt.name,
                "target": target,
                "target_count": (target or {}).get("count"),
                "target_text": _target_text(target),
                "section": str(((target or {}).get("source") or {}).get("section", "")),
                "min_share": minimum,
                "min_section": min_section,
                "spec": spec,
            }
        )
    return rows


def dashboard_for(actor: Actor, *, today: dt.date | None = None) -> Dashboard:
    """The dashboard of the acting person, from their scope only (`projects_for`). A constant number of
    queries: types, projects grouped, funds grouped, alerts grouped, region names (and, for a city or
    an organisation, the reports due)."""
    today = today or timezone.localdate()
    view = _view_of(actor)
    projects = projects_for(actor)
    if view == PROVINCE_VIEW:
        scope_code = (actor.province_prefix or "").ljust(6, "0")
    elif view == CITY_VIEW:
        scope_code = (actor.city_prefix or "").ljust(6, "0")
    else:
        scope_code = ""
    board = Dashboard(view=view, scope_code=scope_code, scope_name="", today=today)

    types = _types_in_scope(actor, view, projects)
    # one row per (pack, type code): a type's older pack versions count with the current one
    groups: dict[tuple, dict] = {}
    for t in types:
        g = groups.setdefault(t["key"], {**t, "ids": set()})
        if t["current"] and not g["current"]:
            groups[t["key"]] = {**t, "ids": g["ids"]}
            g = groups[t["key"]]
        g["ids"].add(t["id"])
    group_of = {i: key for key, g in groups.items() for i in g["ids"]}

    # projects: by type, city and status, with their budgets (one query)
    by_type: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    by_city: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    by_status: dict[str, int] = defaultdict(int)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for type_id, city, status, n, budget, planned, planned_enterprise in (
        projects.order_by()
        .values_list("project_type_id", "city_code", "status")
        .annotate(
            n=Count("id"), b=Sum("approved_budget"), p=Sum("planned_total"), e=Sum("planned_enterprise")
        )
    ):
        key = group_of.get(type_id)
        by_type[key]["total"] += n
        by_type[key][status] += n
        by_status[status] += n
        city_row = by_city[city[:4]]
        for name, value in (
            ("n", n),
            ("budget", budget),
            ("planned", planned),
            ("planned_enterprise", planned_enterprise),
        ):
            city_row[name] += value or 0
            totals[name] += value or 0
        if status == Project.Status.UNDER_CONSTRUCTION:
            city_row["building"] += n
            totals["building"] += n
        by_type[key]["planned"] += planned or 0
        by_type[key]["planned_enterprise"] += planned_enterprise or 0

    # funds received and spent, by year (of the period's end), source, type and city (one query). The
    # report's status is grouped on rather than filtered: a filter on it leads SQLite to walk the
    # status index and look each funding line up by report, about a third slower at 150,000 lines
    # (docs/performance.md); the drafts and returned reports are dropped here.
    counted = Funding.objects.filter(report__project__in=projects.order_by().values("pk"))
    funds_year: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    funds_type: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    funds_city: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for year, source, report_status, type_id, city, received, spent in (
        counted.annotate(year=_year_of("report__period_end"))
        .values_list(
            "year",
            "source",
            "report__status",
            "report__project__project_type_id",
            "report__project__city_code",
        )
        .annotate(r=Sum("received"), s=Sum("spent"))
        .order_by()
    ):
        if report_status not in COUNTED_REPORTS:
            continue
        received, spent = received or Decimal(0), spent or Decimal(0)
        funds_year[year][source] += received
        funds_year[year]["_spent"] += spent
        key = group_of.get(type_id)
        funds_type[key]["received"] += received
        funds_city[city[:4]]["received"] += received
        if source == ENTERPRISE:
            funds_type[key]["enterprise"] += received
            funds_city[city[:4]]["enterprise"] += received
        totals["received"] += received
        totals["spent"] += spent
        if source == ENTERPRISE:
            totals["enterprise"] += received

    # open alerts by rule, type and city; a project is of one type and one city, so the distinct
    # projects of a rule are the sum over the groups (one query)
    alerts_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    alerts_type: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    alerts_city: dict[str, int] = defaultdict(int)
    for rule, type_id, city, n, distinct in (
        PlanAlert.objects.filter(project__in=projects.order_by().values("pk"), is_open=True)
        .values_list("rule", "project__project_type_id", "project__city_code")
        .annotate(n=Count("id"), d=Count("project", distinct=True))
        .order_by()
    ):
        alerts_rule[rule]["n"] += n
        alerts_rule[rule]["projects"] += distinct
        alerts_type[group_of.get(type_id)][rule] += distinct
        alerts_city[city[:4]] += n
        totals["alerts"] += n

    names = _region_names(view, scope_code, by_city)
    board.scope_name = (
        names.get(scope_code, "") if scope_code else (actor.organization.name if actor.organization else "")
    )

    board.cards = [
        {"key": "projects", "label": _("立项项目"), "value": int(totals["n"]), "kind": "int"},
        {"key": "building", "label": _("建设中"), "value": int(totals["building"]), "kind": "int"},
        {"key": "budget", "label": _("省级财政支持（万元）"), "value": totals["budget"], "kind": "wan"},
        {"key": "received", "label": _("累计到位资金（万元）"), "value": totals["received"], "kind": "wan"},
        {
            "key": "enterprise_share",
            "label": _("合作企业投入占比"),
            "value": share(totals["enterprise"], totals["received"]),
            "kind": "percent",
        },
        {"key": "alerts", "label": _("未解除预警"), "value": int(totals["alerts"]), "kind": "int"},
    ]
    for card in board.cards:
        card["text"] = shown(Column(card["key"], card["label"], card["kind"]), card["value"])
    board.tables.append(_types_table(view, groups, by_type))
    if view == PROVINCE_VIEW:
        board.tables.append(_cities_table(actor, names, by_city, funds_city, alerts_city))
    else:
        board.tables.append(_status_table(by_status))
    board.tables.append(_funding_table(funds_year))
    board.tables.append(_enterprise_table(groups, by_type, funds_type, alerts_type, totals))
    board.tables.append(_alerts_table(alerts_rule))
    if view == ORG_VIEW:
        board.tables.insert(0, _projects_table(projects))
        board.tables.append(_open_alerts_table(projects))
    if view in (CITY_VIEW, ORG_VIEW):
        board.tables.append(
            _reports_table(
                projects,
                {t["id"]: t["spec"] for t in types},
                today,
                limit=REPORT_ROWS_SHOWN if view == CITY_VIEW else None,
            )
        )
    return board


def _year_of(field_name: str):
    """The year of a date column, as an integer. SQLite keeps dates as ISO text and Django's
    ExtractYear calls back into Python for every row there (twice the time of the whole funding sum
    at 150,000 lines), so on SQLite the year is the text's first four characters; elsewhere the
    database's own EXTRACT. Tested on both engines (tests/dashboards/test_dashboard.py)."""
    if connection.vendor == "sqlite":
        return Cast(Substr(Cast(field_name, CharField()), 1, 4), IntegerField())
    return ExtractYear(field_name)


def _region_names(view: str, scope_code: str, by_city) -> dict[str, str]:
    """code → name of the scope and, for a province, of its cities (those with projects and the rest)."""
    codes = {scope_code} | {c.ljust(6, "0") for c in by_city if c}
    wanted = Q(code__in=codes)
    if view == PROVINCE_VIEW and scope_code:
        wanted |= Q(parent_id=scope_code, level=Region.Level.CITY)
    return dict(Region.objects.filter(wanted).values_list("code", "name")) if scope_code or codes else {}


STATUS_BAR = "#206bc4"
TARGET_BAR = "#adb5bd"


def _bar(
    categories: list[str], series: list[dict], *, horizontal: bool = False, stacked: bool = False
) -> dict:
    value_axis = {"type": "value"}
    category_axis = {"type": "category", "data": categories, "axisLabel": {"interval": 0}}
    if not horizontal:
        category_axis["axisLabel"]["rotate"] = 30 if len(categories) > 6 else 0
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": {**category_axis, "inverse": True} if horizontal else value_axis,
        "series": [
            {"type": "bar", **({"stack": "total"} if stacked else {}), "emphasis": {"focus": "series"}, **s}
            for s in series
        ],
    }


def _types_table(view: str, groups: dict, by_type: dict) -> Table:
    with_targets = view == PROVINCE_VIEW
    rows = []
    for key, g in groups.items():
        counts = by_type.get(key, {})
        total = counts.get("total", 0)
        if not with_targets and not total:
            continue
        row = {
            "_key": f"{key[0]}:{key[1]}",
            "plan": g["pack"],
            "type": g["name"],
            "projects": total,
            "building": counts.get(Project.Status.UNDER_CONSTRUCTION, 0),
            "accepted": counts.get(Project.Status.ACCEPTED, 0),
        }
        if with_targets:
            row["target"] = g["target_text"]
            row["section"] = g["section"]
            row["progress"] = share(total, g["target_count"])
            row["_target"] = g["target_count"]
        rows.append(row)
    columns = [Column("plan", _("政策依据")), Column("type", _("项目类型"))]
    if with_targets:
        columns += [Column("target", _("计划目标")), Column("section", _("目标依据章节"))]
    columns += [
        Column("projects", _("立项数"), "int"),
        Column("building", _("建设中"), "int"),
        Column("accepted", _("已通过验收"), "int"),
    ]
    if with_targets:
        columns.append(Column("progress", _("立项数占目标"), "percent"))
    series = [
        {"name": str(_("立项数")), "data": [r["projects"] for r in rows], "itemStyle": {"color": STATUS_BAR}}
    ]
    if with_targets:
        series.insert(
            0,
            {
                "name": str(_("计划目标")),
                "data": [r["_target"] for r in rows],
                "itemStyle": {"color": TARGET_BAR},
            },
        )
    return Table(
        "types",
        _("各类项目立项数与计划目标") if with_targets else _("各类项目立项数"),
        columns,
        rows,
        chart=_bar([r["type"] for r in rows], series, horizontal=True) if rows else None,
        note=_("“约”表示计划给出的是约数；未列目标的项目类型，计划未给出建设数量。") if with_targets else "",
    )


def _cities_table(actor, names, by_city, funds_city, alerts_city) -> Table:
    prefix = actor.province_prefix
    codes = sorted({c[:4] for c in names if c[:2] == prefix and c[2:4] != "00"} | {c for c in by_city if c})
    rows = []
    for code in codes:
        row, funds = by_city.get(code, {}), funds_city.get(code, {})
        rows.append(
            {
                "_key": code,
                "city": names.get(code.ljust(6, "0"), code.ljust(6, "0")),
                "projects": int(row.get("n", 0)),
                "building": int(row.get("building", 0)),
                "budget": row.get("budget", Decimal(0)),
                "planned": row.get("planned", Decimal(0)),
                "received": funds.get("received", Decimal(0)),
                "enterprise_share": share(funds.get("enterprise"), funds.get("received")),
                "alerts": alerts_city.get(code, 0),
            }
        )
    return Table(
        "cities",
        _("各市项目"),
        [
            Column("city", _("市")),
            Column("projects", _("立项数"), "int"),
            Column("building", _("建设中"), "int"),
            Column("budget", _("省级财政支持（万元）"), "wan"),
            Column("planned", _("计划总投入（万元）"), "wan"),
            Column("received", _("累计到位资金（万元）"), "wan"),
            Column("enterprise_share", _("企业投入占比"), "percent"),
            Column("alerts", _("未解除预警"), "int"),
        ],
        rows,
        chart=_bar(
            [r["city"] for r in rows],
            [
                {
                    "name": str(_("立项数")),
                    "data": [r["projects"] for r in rows],
                    "itemStyle": {"color": STATUS_BAR},
                }
            ],
        )
        if rows
        else None,
    )


def _status_table(by_status: dict) -> Table:
    rows = [
        {"_key": value, "status": label, "projects": by_status.get(value, 0)}
        for value, label in Project.Status.choices
    ]
    return Table(
        "statuses",
        _("项目状态"),
        [Column("status", _("状态")), Column("projects", _("项目数"), "int")],
        rows,
        chart=_bar(
            [str(r["status"]) for r in rows],
            [
                {
                    "name": str(_("项目数")),
                    "data": [r["projects"] for r in rows],
                    "itemStyle": {"color": STATUS_BAR},
                }
            ],
        ),
    )


def _funding_table(funds_year: dict) -> Table:
    names = dict(FUNDING_SOURCES)
    present = {s for year in funds_year.values() for s in year if s != "_spent"}
    sources = [code for code, _n in FUNDING_SOURCES if code in present]
    sources += sorted(present - set(sources))  # a source the contract does not name, last
    rows = []
    for year in sorted(funds_year):
        values = funds_year[year]
        row = {"_key": str(year), "year": str(year)}
        for s in sources:
            row[s] = values.get(s, Decimal(0))
        row["total"] = sum((values.get(s, Decimal(0)) for s in sources), Decimal(0))
        row["spent"] = values.get("_spent", Decimal(0))
        rows.append(row)
    columns = [Column("year", _("年度"))]
    columns += [Column(s, _("%(source)s（万元）") % {"source": _(names.get(s, s))}, "wan") for s in sources]
    columns += [Column("total", _("到位合计（万元）"), "wan"), Column("spent", _("支出合计（万元）"), "wan")]
    chart = _bar(
        [r["year"] for r in rows],
        [{"name": str(_(names.get(s, s))), "data": [float(wan(r[s])) for r in rows]} for s in sources],
        stacked=True,
    )
    chart["yAxis"]["name"] = str(_("万元"))
    return Table(
        "funding",
        _("各年度到位资金（按来源）"),
        columns,
        rows,
        chart=chart if rows else None,
        note=_("按报告期结束日期所在年度汇总已提交和已通过的定期报告。"),
    )


def _enterprise_table(
    groups: dict, by_type: dict, funds_type: dict, alerts_type: dict, totals: dict
) -> Table:
    rows, minimums = [], set()
    for key, g in groups.items():
        funds, counts = funds_type.get(key, {}), by_type.get(key, {})
        if not counts.get("total") and not funds.get("received"):
            continue
        minimum = g["min_share"]
        if minimum is not None:
            minimums.add(minimum)
        rows.append(
            {
                "_key": f"{key[0]}:{key[1]}",
                "type": g["name"],
                "received": funds.get("received", Decimal(0)),
                "enterprise": funds.get("enterprise", Decimal(0)),
                "share": share(funds.get("enterprise"), funds.get("received")),
                "planned_share": share(counts.get("planned_enterprise"), counts.get("planned")),
                "minimum": _fraction_text(minimum) if minimum is not None else "",
                "section": g["min_section"] if minimum is not None else "",
                "below": alerts_type.get(key, {}).get(PlanAlert.Rule.ENTERPRISE_SHARE, 0),
            }
        )
    overall = share(totals.get("enterprise"), totals.get("received"))
    line = next(iter(minimums)) if len(minimums) == 1 else None
    chart = None
    if overall is not None:
        stop = float(line) if line is not None else 0
        chart = {
            "series": [
                {
                    "type": "gauge",
                    "min": 0,
                    "max": 100,
                    "progress": {"show": False},
                    "axisLine": {
                        "lineStyle": {
                            "width": 18,
                            "color": [[stop, "#d63939"], [1, "#2fb344"]] if stop else [[1, "#206bc4"]],
                        }
                    },
                    "detail": {"valueAnimation": False, "formatter": "{value}%", "fontSize": 22},
                    "title": {"offsetCenter": [0, "70%"]},
                    "data": [{"value": float(overall), "name": str(_("合作企业投入占比"))}],
                }
            ]
        }
    note = (
        _("仪表盘红色区间为计划要求的最低占比（%(min)s）以下。") % {"min": _fraction_text(line)}
        if line is not None
        else ""
    )
    return Table(
        "enterprise",
        _("合作企业投入占比"),
        [
            Column("type", _("项目类型")),
            Column("received", _("累计到位资金（万元）"), "wan"),
            Column("enterprise", _("其中合作企业（万元）"), "wan"),
            Column("share", _("企业投入占比"), "percent"),
            Column("planned_share", _("计划企业投入占比"), "percent"),
            Column("minimum", _("计划最低要求")),
            Column("section", _("依据章节")),
            Column("below", _("低于要求的项目"), "int"),
        ],
        rows,
        chart=chart,
        note=note,
    )


def _alerts_table(alerts_rule: dict) -> Table:
    rows = [
        {
            "_key": value,
            "_url": f"{reverse('projects:plan_alerts')}?rule={value}",
            "rule": label,
            "alerts": alerts_rule.get(value, {}).get("n", 0),
            "projects": alerts_rule.get(value, {}).get("projects", 0),
        }
        for value, label in PlanAlert.Rule.choices
    ]
    return Table(
        "alerts",
        _("未解除的计划预警（按规则）"),
        [
            Column("rule", _("规则")),
            Column("alerts", _("预警数"), "int"),
            Column("projects", _("涉及项目"), "int"),
        ],
        rows,
        chart=_bar(
            [str(r["rule"]) for r in rows],
            [
                {
                    "name": str(_("预警数")),
                    "data": [r["alerts"] for r in rows],
                    "itemStyle": {"color": "#f76707"},
                }
            ],
            horizontal=True,
        ),
    )


def _projects_table(projects) -> Table:
    """An organisation's own projects (and those it is partner of), with funds and open alerts: three
    queries whatever the number of projects."""
    funds: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pid, source, received in (
        Funding.objects.filter(
            report__project__in=projects.order_by().values("pk"), report__status__in=COUNTED_REPORTS
        )
        .values_list("report__project_id", "source")
        .annotate(r=Sum("received"))
        .order_by()
    ):
        funds[pid]["received"] += received or 0
        if source == ENTERPRISE:
            funds[pid]["enterprise"] += received or 0
    open_alerts = dict(
        PlanAlert.objects.filter(project__in=projects.order_by().values("pk"), is_open=True)
        .values_list("project_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = []
    for p in projects.order_by("-created_at", "-id"):
        f = funds.get(p.pk, {})
        rows.append(
            {
                "_key": str(p.pk),
                "_url": reverse("projects:detail", args=[p.pk]),
                "title": p.title,
                "code": p.code,
                "organization": p.organization.name,
                "type": p.project_type.name,
                "status": p.get_status_display(),
                "budget": p.approved_budget,
                "planned": p.planned_total,
                "received": f.get("received", Decimal(0)),
                "enterprise_share": share(f.get("enterprise"), f.get("received")),
                "alerts": open_alerts.get(p.pk, 0),
            }
        )
    return Table(
        "projects",
        _("本单位项目"),
        [
            Column("title", _("项目名称")),
            Column("code", _("项目编号")),
            Column("organization", _("建设单位")),
            Column("type", _("项目类型")),
            Column("status", _("状态")),
            Column("budget", _("省级财政支持（万元）"), "wan"),
            Column("planned", _("计划总投入（万元）"), "wan"),
            Column("received", _("累计到位资金（万元）"), "wan"),
            Column("enterprise_share", _("企业投入占比"), "percent"),
            Column("alerts", _("未解除预警"), "int"),
        ],
        rows,
    )


def _open_alerts_table(projects) -> Table:
    rows = [
        {
            "_key": str(a.pk),
            "_url": reverse("projects:report_list", args=[a.project_id]),
            "project": a.project.title,
            "rule": a.get_rule_display(),
            "message": a.message,
            "figure": a.figure,
            "threshold": a.threshold,
            "section": a.source_section,
            "opened": timezone.localtime(a.opened_at).date(),
        }
        for a in PlanAlert.objects.filter(project__in=projects.order_by().values("pk"), is_open=True)
        .select_related("project")
        .order_by("project_id", "rule", "subject")
    ]
    return Table(
        "open_alerts",
        _("本单位未解除的预警"),
        [
            Column("project", _("项目")),
            Column("rule", _("规则")),
            Column("message", _("说明")),
            Column("figure", _("当前值")),
            Column("threshold", _("要求")),
            Column("section", _("依据章节")),
            Column("opened", _("发现日期"), "date"),
        ],
        rows,
    )


def _reports_table(projects, specs: dict[int, dict], today: dt.date, *, limit: int | None) -> Table:
    """The reports due: every period begun whose report is not submitted or accepted, overdue first.
    Two queries (the projects under construction, their reports); the periods are computed from the
    type's cadence in the pack (`specs`, read once per type), as the reports pages compute them."""
    building = list(
        projects.filter(status=Project.Status.UNDER_CONSTRUCTION)
        .order_by()
        .values_list(
            "pk", "title", "organization__name", "starts_on", "construction_years", "project_type_id"
        )
    )
    reports = {
        (pid, period): status
        for pid, period, status in ProgressReport.objects.filter(
            project__in=projects.filter(status=Project.Status.UNDER_CONSTRUCTION).order_by().values("pk")
        ).values_list("project_id", "period", "status")
    }
    labels = dict(ProgressReport.Status.choices)
    due = []
    for pk, title, organization, starts_on, years, type_id in building:
        for period in periods_of(starts_on, years, specs.get(type_id) or {}):
            status = reports.get((pk, period.number))
            if period.start > today or status in COUNTED_REPORTS:
                continue
            overdue = period.due_on < today
            due.append(
                {
                    "_key": f"{pk}:{period.number}",
                    "_url": reverse("projects:report_form", args=[pk, period.number]),
                    "project": title,
                    "organization": organization,
                    "period": _("第%(n)s期（%(start)s至%(end)s）")
                    % {"n": period.number, "start": period.start.isoformat(), "end": period.end.isoformat()},
                    "due_on": period.due_on,
                    "state": _("逾期%(days)s天") % {"days": (today - period.due_on).days}
                    if overdue
                    else _("还有%(days)s天") % {"days": (period.due_on - today).days},
                    "report": labels.get(status, _("未填报")) if status else _("未填报"),
                    "_overdue": overdue,
                }
            )
    due.sort(key=lambda r: (r["due_on"], r["_key"]))
    overdue = sum(1 for r in due if r["_overdue"])
    shown_rows = due if limit is None else due[:limit]
    note = _("共%(n)s份待报送，其中逾期%(late)s份。") % {"n": len(due), "late": overdue}
    if limit is not None and len(due) > limit:
        note += _("此处列出截止日期最早的%(limit)s份。") % {"limit": limit}
    return Table(
        "reports",
        _("待报送的定期报告"),
        [
            Column("project", _("项目")),
            Column("organization", _("建设单位")),
            Column("period", _("报告期")),
            Column("due_on", _("报送截止日期"), "date"),
            Column("state", _("期限")),
            Column("report", _("报告状态")),
        ],
        shown_rows,
        note=note,
    )
