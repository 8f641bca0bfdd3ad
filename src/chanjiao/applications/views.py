"""Application pages: thin views over the same selectors and services as the API.

The editor saves each section as the user types (htmx, `input changed delay:800ms`); the submit
button runs every rule and shows each failure at its field, with the current and required values.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.catalog.selectors import programme_search
from chanjiao.core.errors import DomainError, FieldError
from chanjiao.core.exports import xlsx_response
from chanjiao.core.models import Region
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

from . import outputs, permissions, selectors, services, snapshots, workflow
from .models import Application, Status
from .permissions import APPLICANT_ROLES, CITY_ROLES, EXPORT_ROLES, PROVINCE_ROLES, READ_ROLES, RETURN_ROLES

SECTIONS = ("basic", "fields", "partners", "programmes", "tasks", "budget", "kpis", "attachments")
SECTION_TITLES = {
    "basic": "基本信息",
    "fields": "项目类型要求的信息",
    "partners": "共建单位",
    "programmes": "专业群",
    "tasks": "建设任务",
    "budget": "建设资金预算",
    "kpis": "绩效目标",
    "attachments": "附件",
}


def section_of(field: str) -> str:
    head = field.split(".")[0].split("[")[0]
    return {
        "budget": "budget",
        "budget_lines": "budget",
        "tasks": "tasks",
        "partners": "partners",
        "programmes": "programmes",
        "programme": "programmes",
        "attachments": "attachments",
        "kpis": "kpis",
        "fields": "fields",
    }.get(head, "basic")


# --- lists ------------------------------------------------------------------------------------


@role_required(*APPLICANT_ROLES)
def my_list(request):
    qs = selectors.applications_for(request.actor).filter(applicant_id=request.actor.organization.pk)
    qs = qs.order_by("-created_at", "-id")
    return render(request, "applications/my_list.html", {"page_obj": paginate(request, qs)})


@role_required(*APPLICANT_ROLES)
def open_calls(request, status: int = 200):
    actor = request.actor
    mine = dict(
        Application.objects.filter(applicant_id=actor.organization.pk)
        .exclude(status=Status.WITHDRAWN)
        .values_list("call_id", "pk")
    )
    calls = list(selectors.open_calls_for(actor))
    for call in calls:
        call.my_application_id = mine.get(call.pk)
        call.my_deadline = call.deadline_for(actor.organization.pk)
        call.my_types = selectors.eligible_types(call, actor.organization)
    return render(request, "applications/open_calls.html", {"calls": calls}, status=status)


@role_required(*APPLICANT_ROLES)
@require_POST
def create(request):
    actor = request.actor
    try:
        call = selectors.call_get_for(actor=actor, pk=request.POST.get("call"))
        project_type = call.project_types.filter(pk=request.POST.get("project_type")).first()
        if project_type is None:
            raise Http404
        app = services.application_create(
            actor=actor, call=call, project_type=project_type, title=request.POST.get("title", "")
        )
    except DomainError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
        return open_calls(request, status=exc.status)
    messages.success(request, _("已创建申报书草稿，填写时会自动保存"))
    return redirect("applications:edit", pk=app.pk)


@role_required(*CITY_ROLES)
def city_queue(request):
    actor = request.actor
    qs = selectors.city_queue(actor)
    call_id = request.GET.get("call") or ""
    if call_id.isdigit():
        qs = qs.filter(call_id=int(call_id))
    page_obj = paginate(request, qs)
    usage = {}
    for app in page_obj:
        key = (app.call_id, app.city_code)
        if key not in usage:
            usage[key] = selectors.city_quota_usage(call_id=app.call_id, city_code=app.city_code)
        app.quota_used, app.quota = usage[key]
        app.can_endorse = permissions.can(actor, app, "endorse")
        app.can_return = permissions.can(actor, app, "return")
    return render(request, "applications/city_queue.html", {"page_obj": page_obj})


@role_required(Role.PROVINCE_ADMIN, Role.OBSERVER)
def province_queue(request):
    actor = request.actor
    call_id = request.GET.get("call") or ""
    qs = selectors.province_queue(actor, call=int(call_id) if call_id.isdigit() else None)
    status = request.GET.get("status") or ""
    if status:
        qs = qs.filter(status=status)
    page_obj = paginate(request, qs)
    for app in page_obj:
        app.can_accept = permissions.can(actor, app, "accept")
        app.can_return = permissions.can(actor, app, "return")
    calls = selectors.calls_with_applications(actor)
    publications = selectors.publications_of(calls)
    call_rows = [(call, publications.get(call.pk)) for call in calls]
    return render(
        request,
        "applications/province_queue.html",
        {
            "page_obj": page_obj,
            "calls": call_rows,
            "statuses": Status.choices,
            "filters": {"call": call_id, "status": status},
            "can_act": actor.is_province_staff,
        },
    )


# --- one application --------------------------------------------------------------------------


def _decorate(app: Application, content: dict[str, Any]) -> dict[str, Any]:
    """Tables the detail page and the PDF read from a snapshot: budget grids and totals."""
    budget = content["budget"]
    years = sorted({int(x["year"]) for x in budget["lines"]})
    by_year_source: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    by_source_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for x in budget["lines"]:
        by_year_source[(int(x["year"]), x["source"])] += Decimal(x["amount"])
        by_source_kind[(x["source"], x["kind"])] += Decimal(x["amount"])
    return {
        "years": years,
        "year_source_rows": [
            (
                name,
                [by_year_source.get((y, code), Decimal("0")) for y in years],
                budget["by_source"].get(code),
            )
            for code, name in FUNDING_SOURCES
        ],
        "source_kind_rows": [
            (
                name,
                [by_source_kind.get((code, k), Decimal("0")) for k, _n in CONTRIBUTION_KINDS],
                budget["by_source"].get(code),
            )
            for code, name in FUNDING_SOURCES
        ],
        "kind_names": [n for _c, n in CONTRIBUTION_KINDS],
        "year_totals": [budget["by_year"].get(str(y)) for y in years],
        "kind_totals": [budget["by_kind"].get(k) for k, _n in CONTRIBUTION_KINDS],
    }


@role_required(*READ_ROLES)
def detail(request, pk: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    content = snapshots.build(app)
    actions = {
        a: permissions.can(actor, app, a) for a in ("submit", "withdraw", "return", "endorse", "accept")
    }
    versions = list(selectors.versions_for(actor=actor, application=app))
    used, quota = selectors.city_quota_usage(call_id=app.call_id, city_code=app.city_code)
    return render(
        request,
        "applications/detail.html",
        {
            "app": app,
            "content": content,
            "tables": _decorate(app, content),
            "actions": actions,
            "can_edit": workflow.APPLICANT in permissions.parties(actor, app) and app.is_editable,
            "versions": versions,
            "events": app.events.select_related("actor"),
            "return_notes": app.return_notes.all(),
            "quota_used": used,
            "quota": quota,
        },
    )


def _input_name(field: str, app: Application, rows: dict[str, list]) -> str:
    """The editor's input for a service error's field (budget_lines[3].amount → b-1-enterprise-cash)."""
    if field.startswith("fields."):
        return "f_" + field.split(".", 1)[1]
    if field.startswith("budget_lines["):
        index = int(field[len("budget_lines[") : field.index("]")])
        cell = rows.get("budget", [])
        return cell[index] if index < len(cell) else "budget"
    if field.startswith("kpis["):
        index = int(field[len("kpis[") : field.index("]")])
        cell = rows.get("kpis", [])
        return cell[index] if index < len(cell) else "kpis"
    if field.startswith("tasks.") and field.endswith(".plan"):
        return "task-" + field.split(".")[1] + "-plan"
    if field.startswith("partners["):
        index = int(field[len("partners[") : field.index("]")])
        return f"partner-{index}-" + field.rsplit(".", 1)[-1]
    return field


def _errors_context(app: Application, errors: list[FieldError], rows: dict[str, list] | None = None) -> dict:
    by_section: dict[str, list[FieldError]] = defaultdict(list)
    by_input: dict[str, list[str]] = defaultdict(list)
    for e in errors:
        by_section[section_of(e.field)].append(e)
        by_input[_input_name(e.field, app, rows or {})].append(e.message)
    return {
        "errors_by_section": dict(by_section),
        "errors_by_input": dict(by_input),
        "error_count": len(errors),
    }


def _editor_context(request, app: Application, errors: list[FieldError] | None = None) -> dict[str, Any]:
    project_type = app.project_type
    years = list(range(1, services.construction_years(project_type) + 1))
    sources = services.allowed_sources(project_type)
    kinds = services.allowed_kinds(project_type)
    cells = {(line.year, line.source, line.kind): line.amount for line in app.budget_lines.all()}
    tasks = {t.task_code: t for t in app.tasks.all()}
    kpi_values = {(k.kpi_code, k.year): k.value for k in app.kpis.all()}
    totals = snapshots.Totals((y, s, k, a) for (y, s, k), a in cells.items())
    task_rows = []
    for spec in project_type.tasks():
        plan = tasks.get(spec.code)
        task_rows.append(
            {
                "spec": spec,
                "selected": spec.mandatory or plan is not None,
                "plan": plan.plan if plan else "",
                "targets": [(y, (plan.yearly_targets or {}).get(str(y), "") if plan else "") for y in years],
            }
        )
    partners = list(app.partners.select_related("organization", "organization__region"))
    for i, partner in enumerate(partners):
        partner.amount_input = f"partner-{i}-contribution_amount"
    return {
        "app": app,
        "sections": [(s, SECTION_TITLES[s]) for s in SECTIONS],
        "field_specs": [(f, (app.fields or {}).get(f.code, "")) for f in project_type.fields()],
        "partners": partners,
        "roles": PARTNER_ROLES,
        "programmes": list(app.programmes.all()),
        "edition": services.catalogue_edition_for(app.call),
        "task_rows": task_rows,
        "years": years,
        "sources": sources,
        "kinds": kinds,
        "budget_grid": [
            (
                y,
                [
                    (code, name, [(k, cells.get((y, code, k), ""), f"b-{y}-{code}-{k}") for k, _kn in kinds])
                    for code, name in sources
                ],
            )
            for y in years
        ],
        "totals": totals,
        "source_names": dict(FUNDING_SOURCES),
        "kind_names": dict(CONTRIBUTION_KINDS),
        "kpi_rows": [
            (k, [(y, kpi_values.get((k.code, y), ""), f"k-{k.code}-{y}") for y in years])
            for k in project_type.kpis()
        ],
        "attachment_specs": project_type.attachments(),
        "attachments": list(app.attachments.select_related("attachment").prefetch_related("signed_by")),
        "signers": [app.applicant] + [p.organization for p in partners],
        # a second click on 提交 (or a resent form) answers the version the first one made
        "idempotency_key": uuid.uuid4().hex,
        **_errors_context(app, errors or []),
    }


@role_required(*APPLICANT_ROLES)
def edit(request, pk: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    if workflow.APPLICANT not in permissions.parties(actor, app):
        raise Http404
    if not app.is_editable:
        messages.info(request, _("申报书当前状态为“%(s)s”，不能修改") % {"s": app.get_status_display()})
        return redirect("applications:detail", pk=app.pk)
    return render(request, "applications/edit.html", _editor_context(request, app))


def _section_data(section: str, post, app: Application) -> tuple[dict[str, Any], dict[str, list]]:
    """The service's `data` for one section of the editor's POST, and each row's input name."""
    rows: dict[str, list] = {}
    if section == "basic":
        return {k: post.get(k, "") for k in services.BASIC_FIELDS if k in post}, rows
    if section == "fields":
        specs = app.project_type.fields()
        values = {}
        for spec in specs:
            name = f"f_{spec.code}"
            if spec.type == "boolean":
                values[spec.code] = post.get(name) or ""
            elif name in post:
                values[spec.code] = post.get(name, "").strip()
        return {"fields": values}, rows
    if section == "partners":
        partners = []
        remove = post.get("remove_organization")
        i = 0
        while f"partner-{i}-organization_id" in post:
            org_id = post.get(f"partner-{i}-organization_id")
            if org_id != remove:
                partners.append(
                    {
                        "organization_id": org_id,
                        "role": post.get(f"partner-{i}-role", ""),
                        "contribution": post.get(f"partner-{i}-contribution", ""),
                        "contribution_amount": post.get(f"partner-{i}-contribution_amount", "").strip()
                        or None,
                    }
                )
            i += 1
        if post.get("add_organization"):
            partners.append(
                {
                    "organization_id": post["add_organization"],
                    "role": post.get("add_role") or "co_building_enterprise",
                }
            )
        return {"partners": partners}, rows
    if section == "programmes":
        codes = [c for c in post.getlist("programme") if c and c != post.get("remove_programme")]
        if post.get("add_programme") and post["add_programme"] not in codes:
            codes.append(post["add_programme"])
        return {"programmes": codes}, rows
    if section == "tasks":
        tasks = []
        for spec in app.project_type.tasks():
            if not (spec.mandatory or post.get(f"task-{spec.code}-selected")):
                continue
            targets = {}
            for key in post:
                prefix = f"task-{spec.code}-target-"
                if key.startswith(prefix) and post[key].strip():
                    targets[key[len(prefix) :]] = post[key]
            tasks.append(
                {
                    "task_code": spec.code,
                    "plan": post.get(f"task-{spec.code}-plan", ""),
                    "yearly_targets": targets,
                }
            )
        return {"tasks": tasks}, rows
    if section == "budget":
        lines, names = [], []
        for key in post:
            if key.startswith("b-") and post[key].strip():
                _b, year, source, kind = key.split("-", 3)
                lines.append({"year": year, "source": source, "kind": kind, "amount": post[key].strip()})
                names.append(key)
        rows["budget"] = names
        return {"budget_lines": lines}, rows
    if section == "kpis":
        kpis, names = [], []
        for key in post:
            if key.startswith("k-") and post[key].strip():
                code, year = key[2:].rsplit("-", 1)
                kpis.append({"kpi_code": code, "year": year, "value": post[key].strip()})
                names.append(key)
        rows["kpis"] = names
        return {"kpis": kpis}, rows
    if section == "attachments":
        return {
            "attachments": [
                {"id": a.pk, "signed_by": post.getlist(f"signed-{a.pk}")} for a in app.attachments.all()
            ]
        }, rows
    raise Http404


@role_required(*APPLICANT_ROLES)
@require_POST
def save_section(request, pk: int, section: str):
    """Autosave of one section. Answers the section's status (saved at …, or every problem)."""
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    if section not in SECTIONS:
        raise Http404
    data, rows = _section_data(section, request.POST, app)
    errors: list[FieldError] = []
    try:
        app = services.application_save_draft(actor=actor, application=app, data=data)
    except DomainError as exc:
        errors = exc.errors
    rerender = request.POST.get("rerender") == "1" or not request.htmx
    if not request.htmx:
        if errors:
            for e in errors:
                messages.error(request, e.message)
        return redirect("applications:edit", pk=app.pk)
    app = selectors.application_get_for(actor=actor, pk=pk)
    context = _editor_context(request, app)
    context.update(_errors_context(app, errors, rows))
    context.update(
        {"section": section, "saved_at": None if errors else timezone.localtime(), "rerender": rerender}
    )
    template = (
        f"applications/partials/section_{section}.html" if rerender else "applications/partials/saved.html"
    )
    return render(request, template, context, status=200)


@role_required(*APPLICANT_ROLES)
def partner_search(request, pk: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    results = selectors.partner_candidates(q=request.GET.get("q", ""), exclude=app.applicant_id)
    return render(
        request,
        "applications/partials/partner_results.html",
        {"app": app, "results": results, "roles": PARTNER_ROLES},
    )


@role_required(*APPLICANT_ROLES)
def programme_lookup(request, pk: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    q = request.GET.get("q", "").strip()
    edition = services.catalogue_edition_for(app.call)
    results = programme_search(edition=edition, q=q)[:20] if len(q) >= 2 else []
    return render(request, "applications/partials/programme_results.html", {"app": app, "results": results})


@role_required(*APPLICANT_ROLES)
@require_POST
def submit(request, pk: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    try:
        expected = int(request.POST.get("expected_version", ""))
    except ValueError:
        expected = -1
    try:
        version = services.application_submit(
            actor=actor,
            application=app,
            expected_version=expected,
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except DomainError as exc:
        app = selectors.application_get_for(actor=actor, pk=pk)
        if not app.is_editable:
            for e in exc.errors:
                messages.error(request, e.message)
            return redirect("applications:detail", pk=app.pk)
        context = _editor_context(request, app, exc.errors)
        context["submit_failed"] = True
        return render(request, "applications/edit.html", context, status=exc.status)
    messages.success(request, _("已提交（第%(n)s版）") % {"n": version.number})
    return redirect("applications:detail", pk=app.pk)


def _act(request, pk: int, fn, success: str, **kwargs):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    try:
        fn(actor=actor, application=app, **kwargs)
    except DomainError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, success)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("applications:detail", pk=app.pk)


@role_required(*APPLICANT_ROLES)
@require_POST
def withdraw(request, pk: int):
    return _act(request, pk, services.application_withdraw, _("已撤回申报书"))


@role_required(*CITY_ROLES)
@require_POST
def endorse(request, pk: int):
    return _act(request, pk, services.city_endorse, _("已推荐"), rank=request.POST.get("rank"))


@role_required(*PROVINCE_ROLES)
@require_POST
def accept(request, pk: int):
    return _act(request, pk, services.province_accept_into_review, _("已受理并进入评审"))


@role_required(*RETURN_ROLES)
def return_(request, pk: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    error = None
    reasons = request.POST.get("reasons", "")
    if request.method == "POST":
        try:
            services.application_return(actor=actor, application=app, reasons=reasons)
        except DomainError as exc:
            error = "；".join(e.message for e in exc.errors)
        else:
            messages.success(request, _("已退回修改"))
            return redirect("applications:detail", pk=app.pk)
    return render(request, "applications/return.html", {"app": app, "error": error, "reasons": reasons})


@role_required(*APPLICANT_ROLES)
@require_POST
def attachment_upload(request, pk: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    file = request.FILES.get("file")
    try:
        if file is None:
            raise DomainError(
                FieldError("file", "attachments.file_missing", _("请选择要上传的文件（当前：未选择）"))
            )
        services.application_attach(
            actor=actor,
            application=app,
            spec_code=request.POST.get("spec_code", ""),
            file=file,
            signed_by=request.POST.getlist("signed_by"),
        )
    except DomainError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, _("已上传附件“%(name)s”") % {"name": file.name})
    return redirect(f"/applications/{app.pk}/edit/#section-attachments")


@role_required(*APPLICANT_ROLES)
@require_POST
def attachment_remove(request, pk: int, link_id: int):
    actor = request.actor
    app = selectors.application_get_for(actor=actor, pk=pk)
    try:
        services.application_detach(actor=actor, application=app, link_id=link_id)
    except DomainError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, _("已移除附件"))
    return redirect(f"/applications/{app.pk}/edit/#section-attachments")


# --- versions and outputs ---------------------------------------------------------------------


@role_required(*READ_ROLES)
def versions(request, pk: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    items = list(selectors.versions_for(actor=request.actor, application=app))
    return render(request, "applications/versions.html", {"app": app, "versions": items})


@role_required(*READ_ROLES)
def version_detail(request, pk: int, number: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    version = selectors.version_get_for(actor=request.actor, application=app, number=number)
    content = version.snapshot
    return render(
        request,
        "applications/version_detail.html",
        {"app": app, "version": version, "content": content, "tables": _decorate(app, content)},
    )


@role_required(*READ_ROLES)
def version_diff(request, pk: int, a: int, b: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    va = selectors.version_get_for(actor=request.actor, application=app, number=a)
    vb = selectors.version_get_for(actor=request.actor, application=app, number=b)
    return render(
        request,
        "applications/version_diff.html",
        {"app": app, "a": va, "b": vb, "changes": selectors.version_diff(va, vb)},
    )


@role_required(*READ_ROLES)
def pdf(request, pk: int):
    app = selectors.application_get_for(actor=request.actor, pk=pk)
    return outputs.pdf_response(app)


@role_required(*EXPORT_ROLES)
def call_export(request, call_id: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=call_id)
    content = outputs.call_summary_xlsx(call, selectors.applications_for(actor).filter(call=call))
    return xlsx_response(outputs.summary_filename(call), content)


@role_required(*PROVINCE_ROLES)
@require_POST
def call_publish(request, call_id: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=call_id)
    services.received_list_publish(actor=actor, call=call)
    messages.success(request, _("已公开“%(call)s”的受理名单") % {"call": call})
    return redirect("applications:province_queue")


def public_list(request, call_id: int):
    """What a call received, for anyone, once the province has published it (else 404)."""
    call, publication = selectors.published_call(call_id)
    qs = selectors.received_list(call)
    page_obj = paginate(request, qs, default_size=50)
    codes = {a.city_code for a in page_obj}
    cities = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    for a in page_obj:
        a.city_name = cities.get(a.city_code, a.city_code)
    return render(
        request,
        "applications/public_list.html",
        {"call": call, "publication": publication, "page_obj": page_obj},
    )
