"""Pages of the construction task book (建设任务书) and its change requests (变更申请): thin views over
the same selectors and services as the API. Every page reads within `projects_for` (404 outside)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.applications.snapshots import share_percent
from chanjiao.core.errors import DomainError, NotFound
from chanjiao.core.pages import role_required
from chanjiao.core.services import attachment_store
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

from . import taskbook_selectors as tb_selectors
from . import taskbook_services as tb_services
from .models import ChangeRequest, Project, TaskBook
from .permissions import READ_ROLES
from .selectors import project_get_for

SOURCES = dict(FUNDING_SOURCES)
KINDS = dict(CONTRIBUTION_KINDS)
ROLES = dict(PARTNER_ROLES)
EXTRA_ROWS = 3  # empty rows a budget or partner form offers for additions


def _years(project: Project) -> list[int]:
    return list(range(1, project.construction_years + 1))


def _budget_table(project: Project, content: dict) -> dict:
    """The budget by year × source × kind, with totals by year and overall and the enterprise share."""
    years = _years(project)
    rows: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for line in content.get("budget", []):
        rows[(line["source"], line["kind"])][int(line["year"])] = Decimal(str(line["amount"]))
        if int(line["year"]) not in years:
            years.append(int(line["year"]))
    order = {code: i for i, (code, _n) in enumerate(FUNDING_SOURCES)}
    kind_order = {code: i for i, (code, _n) in enumerate(CONTRIBUTION_KINDS)}
    table = []
    for source, kind in sorted(rows, key=lambda k: (order.get(k[0], 99), kind_order.get(k[1], 99))):
        cells = rows[(source, kind)]
        table.append(
            {
                "source": _(SOURCES.get(source, source)),
                "kind": _(KINDS.get(kind, kind)),
                "cells": [cells.get(y) for y in years],
                "total": sum(cells.values(), Decimal("0")),
            }
        )
    total, enterprise = tb_services.budget_totals(content)
    by_year = [sum((r.get(y, Decimal("0")) for r in rows.values()), Decimal("0")) for y in years]
    return {
        "years": years,
        "rows": table,
        "by_year": by_year,
        "total": total,
        "enterprise": enterprise,
        "share": share_percent(enterprise, total),
    }


def _kpi_table(project: Project, content: dict) -> dict:
    years = _years(project)
    return {
        "years": years,
        "rows": [
            {
                "name": k.get("name") or k["code"],
                "unit": k.get("unit", ""),
                "cells": [k.get("targets", {}).get(str(y)) for y in years],
            }
            for k in content.get("kpis", [])
        ],
    }


def _tasks(project: Project, content: dict) -> list[dict]:
    years = _years(project)
    return [
        {**t, "targets": [(y, (t.get("yearly_targets") or {}).get(str(y), "")) for y in years]}
        for t in content.get("tasks", [])
    ]


def _partners(content: dict) -> list[dict]:
    return [
        {**p, "role_name": _(ROLES.get(p.get("role"), p.get("role") or ""))}
        for p in content.get("partners", [])
    ]


def _book_context(request, project: Project, book: TaskBook | None, *, errors=()) -> dict:
    actor = request.actor
    versions = list(tb_selectors.task_books_of(actor, project))
    context = {
        "project": project,
        "book": book,
        "versions": versions,
        "errors": list(errors),
        "current": tb_selectors.current_task_book(project),
    }
    if book is not None:
        content = book.content or {}
        context.update(
            {
                "tasks": _tasks(project, content),
                "kpis": _kpi_table(project, content),
                "budget": _budget_table(project, content),
                "partners": _partners(content),
                "leader": content.get("leader", ""),
                "can_confirm_school": book.status == TaskBook.Status.DRAFT
                and tb_services.is_school_admin(actor, project),
                "can_confirm_province": book.status == TaskBook.Status.SCHOOL_CONFIRMED
                and tb_services.is_province_staff(actor, project),
                "agreement_required": tb_services.agreement_required(project),
            }
        )
    context["can_request_change"] = tb_services.is_school_admin(actor, project)
    return context


@role_required(*READ_ROLES)
def task_book(request, pk: int):
    project = project_get_for(actor=request.actor, pk=pk)
    books = tb_selectors.task_books_of(request.actor, project)
    current = tb_selectors.current_task_book(project)
    book = books.filter(pk=current.pk).first() if current is not None else None
    return render(request, "projects/taskbook/task_book.html", _book_context(request, project, book))


@role_required(*READ_ROLES)
def task_book_version(request, pk: int, version: int):
    project = project_get_for(actor=request.actor, pk=pk)
    book = tb_selectors.task_book_version_for(actor=request.actor, project=project, version=version)
    return render(request, "projects/taskbook/task_book.html", _book_context(request, project, book))


@role_required(*tb_services.CONFIRM_ROLES)
@require_POST
def task_book_confirm(request, pk: int, version: int):
    actor = request.actor
    project = project_get_for(actor=actor, pk=pk)
    book = tb_selectors.task_book_version_for(actor=actor, project=project, version=version)
    try:
        # the uploaded agreement is kept only if the confirmation is
        with transaction.atomic():
            agreement = None
            upload = request.FILES.get("agreement")
            if upload is not None and not actor.is_province_staff:
                tb_services.require_school_admin(actor, project, _("确认建设任务书"))
                agreement = attachment_store(
                    actor=actor, file=upload, owner_organization=project.organization
                )
            tb_services.task_book_confirm(actor=actor, task_book=book, agreement=agreement)
    except DomainError as exc:
        context = _book_context(request, project, book, errors=exc.errors)
        return render(request, "projects/taskbook/task_book.html", context, status=exc.status)
    messages.success(request, _("已确认第%(v)d版建设任务书") % {"v": book.version})
    return redirect("projects:task_book_version", pk=project.pk, version=book.version)


@role_required(*READ_ROLES)
def task_book_diff(request, pk: int):
    actor = request.actor
    project = project_get_for(actor=actor, pk=pk)
    versions = list(tb_selectors.task_books_of(actor, project))
    numbers = [b.version for b in versions]
    a_raw, b_raw = request.GET.get("a"), request.GET.get("b")
    lines, a, b = [], None, None
    if numbers:
        newest = numbers[0]
        default_a = numbers[1] if len(numbers) > 1 else newest
        a = tb_selectors.task_book_version_for(actor=actor, project=project, version=a_raw or default_a)
        b = tb_selectors.task_book_version_for(actor=actor, project=project, version=b_raw or newest)
        lines = tb_selectors.task_book_diff(a, b)
    return render(
        request,
        "projects/taskbook/diff.html",
        {"project": project, "versions": versions, "a": a, "b": b, "lines": lines},
    )


# --- change requests --------------------------------------------------------------------------------


@role_required(*READ_ROLES)
def change_list(request, pk: int):
    project = project_get_for(actor=request.actor, pk=pk)
    return render(
        request,
        "projects/taskbook/change_list.html",
        {
            "project": project,
            "changes": list(tb_selectors.change_requests_of(request.actor, project)),
            "can_request_change": tb_services.is_school_admin(request.actor, project),
            "kinds": ChangeRequest.Kind.choices,
        },
    )


def _rows_from_post(post, prefix: str, names: tuple[str, ...]) -> list[dict]:
    """Rows posted as `<prefix>-<i>-<name>`; a row with every field blank is dropped."""
    count = int(post.get(f"{prefix}-count") or 0)
    rows = []
    for i in range(min(count, 200)):
        row = {n: (post.get(f"{prefix}-{i}-{n}") or "").strip() for n in names}
        if any(row.values()):
            rows.append(row)
    return rows


def _proposed_from_post(project: Project, kind: str, post) -> dict:
    if kind == ChangeRequest.Kind.BUDGET:
        return {"budget": _rows_from_post(post, "budget", ("year", "source", "kind", "amount"))}
    if kind == ChangeRequest.Kind.PARTNER:
        return {"partners": _rows_from_post(post, "partner", ("organization_id", "role", "amount"))}
    if kind == ChangeRequest.Kind.LEADER:
        return {"leader": post.get("leader", "")}
    if kind == ChangeRequest.Kind.SCOPE:
        tasks = []
        for spec in project.project_type.tasks():
            if not post.get(f"task-{spec.code}-include"):
                continue
            tasks.append(
                {
                    "code": spec.code,
                    "plan": post.get(f"task-{spec.code}-plan", ""),
                    "yearly_targets": {
                        str(y): post.get(f"task-{spec.code}-y{y}", "") for y in _years(project)
                    },
                }
            )
        return {"tasks": tasks}
    return {}


def _form_context(request, project: Project, kind: str, *, proposed=None, reason="", errors=()) -> dict:
    base = tb_selectors.current_task_book(project)
    content = dict(base.content) if base is not None else {}
    if proposed:
        content.update(proposed)
    years = _years(project)
    budget = list(content.get("budget", [])) + [{} for _i in range(EXTRA_ROWS)]
    partners = list(content.get("partners", [])) + [{} for _i in range(EXTRA_ROWS)]
    chosen = {t["code"]: t for t in content.get("tasks", [])}
    tasks = [
        {
            "code": spec.code,
            "name": spec.title,
            "mandatory": spec.mandatory,
            "included": spec.code in chosen,
            "plan": chosen.get(spec.code, {}).get("plan", ""),
            "targets": [
                (y, (chosen.get(spec.code, {}).get("yearly_targets") or {}).get(str(y), "")) for y in years
            ],
        }
        for spec in project.project_type.tasks()
    ]
    return {
        "project": project,
        "base": base,
        "kind": kind,
        "kinds": ChangeRequest.Kind.choices,
        "kind_label": ChangeRequest.Kind(kind).label if kind in ChangeRequest.Kind.values else "",
        "reason": reason,
        "errors": list(errors),
        "years": years,
        "budget": budget,
        "partners": partners,
        "leader": content.get("leader", ""),
        "tasks": tasks,
        "sources": [(c, _(n)) for c, n in FUNDING_SOURCES],
        "contribution_kinds": [(c, _(n)) for c, n in CONTRIBUTION_KINDS],
        "roles": [(c, _(n)) for c, n in PARTNER_ROLES],
    }


@role_required(*tb_services.SUBMIT_ROLES)
def change_new(request, pk: int):
    actor = request.actor
    project = project_get_for(actor=actor, pk=pk)
    kind = (request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")) or "budget"
    if kind not in ChangeRequest.Kind.values:
        kind = ChangeRequest.Kind.BUDGET
    if request.method != "POST":
        tb_services.require_school_admin(actor, project, _("提出变更申请"))
        return render(request, "projects/taskbook/change_form.html", _form_context(request, project, kind))
    proposed = _proposed_from_post(project, kind, request.POST)
    reason = request.POST.get("reason", "")
    try:
        change = tb_services.change_request_submit(
            actor=actor, project=project, kind=kind, reason=reason, proposed=proposed
        )
    except DomainError as exc:
        context = _form_context(request, project, kind, proposed=proposed, reason=reason, errors=exc.errors)
        return render(request, "projects/taskbook/change_form.html", context, status=exc.status)
    messages.success(request, _("变更申请已提交，等待省级审核"))
    return redirect("projects:change_detail", pk=project.pk, change_id=change.pk)


def _change_context(request, project: Project, change: ChangeRequest, *, errors=(), reason="") -> dict:
    actor = request.actor
    base = TaskBook.objects.filter(project=project, version=change.base_version).first()
    after = {**(base.content if base else {}), **(change.proposed or {})}
    made = TaskBook.objects.filter(change_request=change).first()
    is_open = change.status == ChangeRequest.Status.SUBMITTED
    return {
        "project": project,
        "change": change,
        "base": base,
        "made": made,
        "lines": tb_selectors.task_book_diff(base.content if base else {}, after),
        "errors": list(errors),
        "reason": reason,
        "can_decide": is_open and tb_services.is_province_staff(actor, project),
        "can_withdraw": is_open and tb_services.is_school_admin(actor, project),
    }


@role_required(*READ_ROLES)
def change_detail(request, pk: int, change_id: int):
    project, change = _change_of(request, pk, change_id)
    return render(request, "projects/taskbook/change_detail.html", _change_context(request, project, change))


def _change_of(request, pk: int, change_id: int) -> tuple[Project, ChangeRequest]:
    project = project_get_for(actor=request.actor, pk=pk)
    change = tb_selectors.change_request_get_for(actor=request.actor, pk=change_id)
    if change.project_id != project.pk:
        raise NotFound
    return project, change


@role_required(*tb_services.DECIDE_ROLES)
@require_POST
def change_decide(request, pk: int, change_id: int):
    project, change = _change_of(request, pk, change_id)
    approve = request.POST.get("decision") == "approve"
    reason = request.POST.get("reason", "")
    try:
        tb_services.change_request_decide(
            actor=request.actor, change_request=change, approve=approve, reason=reason
        )
    except DomainError as exc:
        context = _change_context(request, project, change, errors=exc.errors, reason=reason)
        return render(request, "projects/taskbook/change_detail.html", context, status=exc.status)
    messages.success(request, _("已批准变更申请") if approve else _("已决定不予批准变更申请"))
    return redirect("projects:change_detail", pk=project.pk, change_id=change.pk)


@role_required(*tb_services.SUBMIT_ROLES)
@require_POST
def change_withdraw(request, pk: int, change_id: int):
    project, change = _change_of(request, pk, change_id)
    try:
        tb_services.change_request_withdraw(actor=request.actor, change_request=change)
    except DomainError as exc:
        context = _change_context(request, project, change, errors=exc.errors)
        return render(request, "projects/taskbook/change_detail.html", context, status=exc.status)
    messages.success(request, _("已撤回变更申请"))
    return redirect("projects:change_list", pk=project.pk)
