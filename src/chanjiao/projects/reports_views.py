"""Pages of periodic reports (定期上报) and plan alerts (预警): thin views over the same selectors and
services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role

from . import reports_selectors, reports_services
from .models import (
    EQUIPMENT_SOURCES,
    SOCIAL_GROUPS,
    TECH_SERVICE_KINDS,
    USAGE_PURPOSES,
    EquipmentChange,
    PlanAlert,
)
from .permissions import READ_ROLES
from .reports_services import REVIEW_ROLES, WRITE_ROLES
from .selectors import project_get_for

OVERDUE_ROLES = (*REVIEW_ROLES, Role.OBSERVER)
BLANK_EQUIPMENT_ROWS = 2


def _periods(project):
    reports = reports_selectors.project_reports(project)
    today = timezone.localdate()
    return [
        {
            "period": p,
            "report": reports.get(p.number),
            "begun": p.start <= today,
            "late": p.due_on < today
            and (reports.get(p.number) is None or reports[p.number].status in reports_selectors.OPEN),
        }
        for p in reports_selectors.report_periods(project)
    ]


@role_required(*READ_ROLES)
def report_list(request, pk: int):
    project = project_get_for(actor=request.actor, pk=pk)
    context = {
        "project": project,
        "periods": _periods(project),
        "rule": reports_selectors.reporting_rule(project),
        "alerts": list(reports_selectors.open_alerts_of(project)),
        "can_write": _can_write(request, project),
    }
    template = "projects/reports/section.html" if request.htmx else "projects/reports/list.html"
    return render(request, template, context)


def _can_write(request, project) -> bool:
    org = request.actor.organization
    return request.actor.has_role(*WRITE_ROLES) and org is not None and org.pk == project.organization_id


def _values_of(report, lines) -> dict:
    """What the form shows, from a saved report."""
    if report is None:
        return {"funding": {}, "equipment": [], "usage": {}, "kpi": {}, "income": {}, "narrative": ""}
    return {
        "funding": {
            f"{x.source}-{x.kind}": {"received": x.received, "spent": x.spent} for x in lines["funding"]
        },
        "equipment": [
            {
                "action": x.action,
                "asset_number": x.asset_number,
                "name": x.name,
                "model": x.model,
                "value": x.value,
                "source": x.source,
                "changed_on": x.changed_on.isoformat(),
                "workstations": x.workstations,
            }
            for x in lines["equipment"]
        ],
        "usage": {f"{x.purpose}-{x.group}": {"hours": x.hours, "people": x.people} for x in lines["usage"]},
        "kpi": dict(report.kpi_values or {}),
        "income": dict(report.tech_service_income or {}),
        "narrative": report.narrative,
    }


def _usage_rows():
    rows = []
    for code, name in USAGE_PURPOSES:
        if code == "social":
            rows += [
                {"key": f"social-{g}", "purpose": code, "group": g, "name": name, "group_name": gname}
                for g, gname in SOCIAL_GROUPS
            ]
        else:
            rows.append({"key": f"{code}-", "purpose": code, "group": "", "name": name, "group_name": ""})
    return rows


def _data_from_post(post, project) -> tuple[dict, dict]:
    """(the service's input, what the form shows again) from the posted fields."""
    pt = project.project_type
    funding, shown_funding = [], {}
    for source, _n in pt.funding_sources():
        for kind, _k in pt.contribution_kinds():
            key = f"{source}-{kind}"
            received, spent = (
                post.get(f"f-{key}-received", "").strip(),
                post.get(f"f-{key}-spent", "").strip(),
            )
            shown_funding[key] = {"received": received, "spent": spent}
            if received or spent:
                funding.append({"source": source, "kind": kind, "received": received, "spent": spent})
    equipment = []
    try:
        count = min(int(post.get("eq-count", "0")), 500)
    except ValueError:
        count = 0
    for i in range(count):
        row = {
            f: post.get(f"eq-{i}-{f}", "").strip()
            for f in (
                "action",
                "asset_number",
                "name",
                "model",
                "value",
                "source",
                "changed_on",
                "workstations",
            )
        }
        if row["asset_number"] or row["name"]:
            equipment.append(row)
    usage, shown_usage = [], {}
    for row in _usage_rows():
        hours, people = (
            post.get(f"u-{row['key']}-hours", "").strip(),
            post.get(f"u-{row['key']}-people", "").strip(),
        )
        shown_usage[row["key"]] = {"hours": hours, "people": people}
        if hours or people:
            usage.append({"purpose": row["purpose"], "group": row["group"], "hours": hours, "people": people})
    kpi = {
        k.code: post.get(f"kpi-{k.code}", "").strip()
        for k in pt.kpis()
        if post.get(f"kpi-{k.code}", "").strip()
    }
    income = {
        c: post.get(f"tsi-{c}", "").strip()
        for c, _n in TECH_SERVICE_KINDS
        if post.get(f"tsi-{c}", "").strip()
    }
    data = {
        "funding": funding,
        "equipment": equipment,
        "usage": usage,
        "kpi_values": kpi,
        "tech_service_income": income,
        "narrative": post.get("narrative", ""),
    }
    shown = {
        "funding": shown_funding,
        "equipment": equipment,
        "usage": shown_usage,
        "kpi": kpi,
        "income": income,
        "narrative": data["narrative"],
    }
    return data, shown


def _form_context(request, project, period, report, values, errors=None) -> dict:
    pt = project.project_type
    lines = reports_selectors.report_lines(report)
    editable = _can_write(request, project) and (report is None or report.status in reports_services.EDITABLE)
    equipment = list(values["equipment"])
    if editable:
        equipment += [{"action": "add", "source": "purchase"}] * BLANK_EQUIPMENT_ROWS
    funding = values["funding"]
    grid = [
        {
            "code": source,
            "name": name,
            "cells": [
                {"key": f"{source}-{kind}", **funding.get(f"{source}-{kind}", {"received": "", "spent": ""})}
                for kind, _k in pt.contribution_kinds()
            ],
        }
        for source, name in pt.funding_sources()
    ]
    usage = [{**row, **values["usage"].get(row["key"], {"hours": "", "people": ""})} for row in _usage_rows()]
    kpis = [{"kpi": k, "value": values["kpi"].get(k.code, "")} for k in pt.kpis()]
    income = [{"code": c, "name": n, "value": values["income"].get(c, "")} for c, n in TECH_SERVICE_KINDS]
    return {
        "project": project,
        "period": period,
        "report": report,
        "values": values,
        "grid": grid,
        "usage": usage,
        "kpi_rows": kpis,
        "income": income,
        "errors": errors or [],
        "sources": pt.funding_sources(),
        "kinds": pt.contribution_kinds(),
        "equipment": equipment,
        "equipment_sources": EQUIPMENT_SOURCES,
        "actions": EquipmentChange.Action.choices,
        "evidence": lines["evidence"],
        "editable": editable,
        "reviewable": report is not None
        and report.status == report.Status.SUBMITTED
        and request.actor.is_province_staff,
        "rule": reports_selectors.reporting_rule(project),
    }


@role_required(*READ_ROLES)
def report_form(request, pk: int, period: int):
    project = project_get_for(actor=request.actor, pk=pk)
    the_period = reports_selectors.period_of(project, period)
    report = reports_selectors.project_reports(project).get(the_period.number)
    if request.method == "POST":
        return _report_save(request, project, the_period, report)
    values = _values_of(report, reports_selectors.report_lines(report))
    return render(
        request, "projects/reports/form.html", _form_context(request, project, the_period, report, values)
    )


def _report_save(request, project, the_period, report):
    if not request.actor.has_role(*WRITE_ROLES):
        from chanjiao.core.errors import Forbidden

        raise Forbidden()
    data, shown = _data_from_post(request.POST, project)
    raw_version = request.POST.get("row_version", "").strip()
    try:
        with transaction.atomic():
            saved = reports_services.report_save(
                actor=request.actor,
                project=project,
                period=the_period.number,
                data=data,
                row_version=int(raw_version) if raw_version.isdigit() else None,
                files=request.FILES.getlist("evidence"),
            )
            if request.POST.get("action") == "submit":
                reports_services.report_submit(actor=request.actor, report=saved)
    except DomainError as e:
        context = _form_context(
            request, project, the_period, report, shown, errors=[x.message for x in e.errors]
        )
        return render(request, "projects/reports/form.html", context, status=422)
    if request.POST.get("action") == "submit":
        messages.success(request, _("第%(n)s期定期报告已提交") % {"n": the_period.number})
    else:
        messages.success(request, _("第%(n)s期定期报告已保存为草稿") % {"n": the_period.number})
    return redirect("projects:report_form", project.pk, the_period.number)


@role_required(*WRITE_ROLES)
def equipment_row(request):
    """One blank row of the equipment table (htmx: 添加一行)."""
    try:
        i = max(0, min(int(request.GET.get("i", "0")), 499))
    except ValueError:
        i = 0
    return render(
        request,
        "projects/reports/equipment_row.html",
        {
            "i": i,
            "row": {"action": "add", "source": "purchase"},
            "equipment_sources": EQUIPMENT_SOURCES,
            "actions": EquipmentChange.Action.choices,
            "editable": True,
        },
    )


def _review(request, report_id: int, action: str):
    report = reports_selectors.report_get_for(actor=request.actor, pk=report_id)
    try:
        if action == "return":
            reports_services.report_return(
                actor=request.actor, report=report, reasons=request.POST.get("reasons", "")
            )
            messages.success(request, _("已退回第%(n)s期定期报告") % {"n": report.period})
        elif action == "accept":
            reports_services.report_accept(actor=request.actor, report=report)
            messages.success(request, _("第%(n)s期定期报告已通过") % {"n": report.period})
        else:
            reports_services.report_submit(actor=request.actor, report=report)
            messages.success(request, _("第%(n)s期定期报告已提交") % {"n": report.period})
    except DomainError as e:
        for x in e.errors:
            messages.error(request, x.message)
    return redirect("projects:report_form", report.project_id, report.period)


@require_POST
@role_required(*WRITE_ROLES)
def report_submit(request, report_id: int):
    return _review(request, report_id, "submit")


@require_POST
@role_required(*REVIEW_ROLES)
def report_return(request, report_id: int):
    return _review(request, report_id, "return")


@require_POST
@role_required(*REVIEW_ROLES)
def report_accept(request, report_id: int):
    return _review(request, report_id, "accept")


@role_required(*OVERDUE_ROLES)
def reports_overdue(request):
    rows = reports_selectors.overdue_for(request.actor, today=timezone.localdate())
    return render(request, "projects/reports/overdue.html", {"rows": rows})


@role_required(*READ_ROLES)
def plan_alerts(request):
    rule = request.GET.get("rule", "")
    rule = rule if rule in PlanAlert.Rule.values else ""
    show_closed = request.GET.get("closed") == "1"
    qs = reports_selectors.alerts_for(request.actor, rule=rule, is_open=None if show_closed else True)
    return render(
        request,
        "projects/reports/alerts.html",
        {
            "page_obj": paginate(request, qs),
            "rule": rule,
            "rules": PlanAlert.Rule.choices,
            "closed": show_closed,
        },
    )
