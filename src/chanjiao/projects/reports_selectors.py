"""Every read of periodic reports (定期上报) and plan alerts (预警), scoped to the acting person.

The reports and alerts a person may read are those of the projects they may read
(`projects_for`); outside that scope is 404, never 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor

from . import checks
from .models import PlanAlert, ProgressReport, Project
from .selectors import projects_for

OPEN = (ProgressReport.Status.DRAFT, ProgressReport.Status.RETURNED)


def report_periods(project: Project) -> tuple[checks.Period, ...]:
    """The project's reporting periods from its type's cadence over the construction years."""
    return checks.periods_of(project.starts_on, project.construction_years, project.project_type.spec or {})


def reporting_rule(project: Project) -> dict:
    """The cadence in months, the days after a period's end a report is due, whether those days are
    the platform's default (the pack gives none), and the pack's section."""
    months, days, default, section = checks.reporting_of(project.project_type.spec or {})
    return {"months": months, "due_days": days, "due_default": default, "section": section}


def period_of(project: Project, number: Any) -> checks.Period:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound from None
    for period in report_periods(project):
        if period.number == number:
            return period
    raise NotFound


def reports_for(actor: Actor) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(project__in=projects_for(actor).values("pk")).select_related(
        "project", "project__organization", "project__project_type"
    )


def report_get_for(*, actor: Actor, pk: Any) -> ProgressReport:
    try:
        return reports_for(actor).get(pk=int(pk))
    except (ProgressReport.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def project_reports(project: Project) -> dict[int, ProgressReport]:
    """period → the project's report of it (the caller has found the project in the actor's scope)."""
    return {r.period: r for r in ProgressReport.objects.filter(project=project)}


def report_lines(report: ProgressReport | None) -> dict:
    if report is None:
        return {"funding": [], "equipment": [], "usage": [], "evidence": []}
    return {
        "funding": list(report.funding.order_by("source", "kind")),
        "equipment": list(report.equipment_changes.order_by("id")),
        "usage": list(report.usage.order_by("purpose", "group")),
        "evidence": list(report.evidence.order_by("id")),
    }


def register_of(project: Project, *, exclude_report: int | None = None) -> set[str]:
    """The asset numbers in the project's equipment register: every accepted or submitted report's
    additions less its removals, in period order."""
    from .models import EquipmentChange

    register: set[str] = set()
    rows = (
        EquipmentChange.objects.filter(
            report__project=project,
            report__status__in=(ProgressReport.Status.SUBMITTED, ProgressReport.Status.ACCEPTED),
        )
        .exclude(report_id=exclude_report)
        .order_by("report__period", "id")
        .values_list("action", "asset_number")
    )
    for action, number in rows:
        if action == "add":
            register.add(number)
        else:
            register.discard(number)
    return register


def overdue_for(actor: Actor, *, today: dt.date) -> list[dict]:
    """Every period past its due date whose report is not submitted, in the actor's projects, with
    the school: [{project, period, report (or None)}], oldest due first."""
    projects = list(projects_for(actor).filter(status=Project.Status.UNDER_CONSTRUCTION))
    reports = {
        (r.project_id, r.period): r
        for r in ProgressReport.objects.filter(project__in=[p.pk for p in projects])
    }
    out = []
    for project in projects:
        for period in report_periods(project):
            report = reports.get((project.pk, period.number))
            if period.due_on < today and (report is None or report.status in OPEN):
                out.append(
                    {
                        "project": project,
                        "period": period,
                        "report": report,
                        "days": (today - period.due_on).days,
                    }
                )
    out.sort(key=lambda x: (x["period"].due_on, x["project"].pk))
    return out


def alerts_for(actor: Actor, *, rule: str = "", is_open: bool | None = True) -> QuerySet[PlanAlert]:
    qs = PlanAlert.objects.filter(project__in=projects_for(actor).values("pk")).select_related(
        "project", "project__organization"
    )
    if rule:
        qs = qs.filter(rule=rule)
    if is_open is not None:
        qs = qs.filter(is_open=is_open)
    return qs.order_by("-opened_at", "-id")


def open_alerts_of(project: Project) -> QuerySet[PlanAlert]:
    return PlanAlert.objects.filter(project=project, is_open=True).order_by("rule", "subject")
