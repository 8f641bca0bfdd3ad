"""Pages of acceptance (验收) and performance assessment (绩效评价) batches: thin views over
assessment_selectors and assessment_services, the same ones the API calls.

Province staff open a batch, start the experts' review (the batch's round then runs on the review's
own pages: conflicts, assignment, scoring, panel), conclude it and decide each project; the schools
write their self-assessments and rectification reports; city staff read their city's entries and the
observer reads everything of the province. Every read goes through the actor-scoped selectors (404
outside the scope); a refusal is shown at the field it names, with its current and required values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError, Forbidden
from chanjiao.core.exports import workbook_sheets_bytes, xlsx_response
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role
from chanjiao.core.services import attachment_store
from chanjiao.policy.models import Call, ProjectType

from . import assessment_selectors as selectors
from . import assessment_services as services
from .assessment_forms import (
    AcceptanceDecisionForm,
    AssessmentCreateForm,
    OutcomeDecisionForm,
    RecheckForm,
    RectificationReportForm,
    SelfAssessmentForm,
    place,
)
from .checks import percent, wan
from .models import Assessment, AssessmentEntry, Rectification
from .permissions import READ_ROLES
from .selectors import project_get_for, projects_for

STAFF_ROLES = (Role.PROVINCE_ADMIN,)
SCHOOL_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
# --- figures as the indicator system names them ------------------------------------------------


def input_columns(assessment: Assessment) -> list[dict]:
    """The inputs of the batch's indicator system ({code, name, unit, type}), in its order."""
    review_round = assessment.round
    system = review_round.indicator_system if review_round is not None else None
    return list(system.inputs or []) if system is not None else []


def input_text(column: dict, value) -> str:
    """A computed figure in words: 元 as 万元, shares as percentages, yes / no, else with its unit."""
    if value is None or value == "":
        return "—"
    kind, unit = column.get("type", ""), column.get("unit", "")
    if kind == "boolean" or isinstance(value, bool):
        return _("是") if value else _("否")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if kind == "share":
        return percent(number)
    if kind == "money" and unit == "元":
        return wan(number)
    shown = f"{number.normalize():f}" if number == number.to_integral() else str(number)
    return f"{shown}{unit}" if unit and unit not in ("比例", "是/否") else shown


def input_export(column: dict, value):
    """A computed figure for Excel, as a number where it is one (万元, %), with its header."""
    kind, unit = column.get("type", ""), column.get("unit", "")
    name = column.get("name") or column.get("code", "")
    if kind == "boolean":
        header = name
        cell = "" if value is None else (_("是") if value else _("否"))
    elif kind == "share":
        header = f"{name}（%）"
        cell = None if value in (None, "") else (Decimal(str(value)) * 100).quantize(Decimal("0.1"))
    elif kind == "money" and unit == "元":
        header = f"{name}（万元）"
        cell = None if value in (None, "") else (Decimal(str(value)) / 10000).quantize(Decimal("0.01"))
    else:
        header = f"{name}（{unit}）" if unit else name
        cell = None if value in (None, "") else Decimal(str(value))
    return header, cell


def _inputs_of(columns: list[dict], inputs: dict) -> list[dict]:
    return [
        {
            "code": c.get("code"),
            "name": c.get("name"),
            "text": input_text(c, (inputs or {}).get(c.get("code"))),
        }
        for c in columns
    ]


# --- states in words ----------------------------------------------------------------------------


def self_state(entry: AssessmentEntry, assessment: Assessment, today: dt.date) -> tuple[str, str]:
    """(code, words) of an entry's self-assessment: submitted, draft, missing, late."""
    if entry.self_submitted_at:
        return "submitted", _("已提交")
    late = today > assessment.self_assessment_due
    if entry.self_assessment:
        return ("late" if late else "draft"), (_("草稿（已过截止日期）") if late else _("草稿"))
    return ("late" if late else "missing"), (_("未提交（已过截止日期）") if late else _("未填写"))


def conclusion_text(entry: AssessmentEntry) -> str:
    if entry.grade:
        return entry.get_grade_display()
    if entry.outcome:
        return entry.get_outcome_display()
    return ""


def _rectification_of(entry: AssessmentEntry) -> Rectification | None:
    try:
        return entry.rectification
    except Rectification.DoesNotExist:
        return None


def _is_staff(request, assessment: Assessment) -> bool:
    return request.actor.has_role(*STAFF_ROLES) and selectors.may_manage(request.actor, assessment)


# --- the list -----------------------------------------------------------------------------------


@role_required(*READ_ROLES)
def assessment_list(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in Assessment.Kind.values else ""
    status = request.GET.get("status", "")
    status = status if status in Assessment.Status.values else ""
    qs = selectors.assessments_for(request.actor).select_related("call", "project_type", "round")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    context = {
        "page_obj": paginate(request, qs.order_by("-created_at", "-id")),
        "kind": kind,
        "status": status,
        "kinds": Assessment.Kind.choices,
        "statuses": Assessment.Status.choices,
        "can_create": request.actor.has_role(*STAFF_ROLES),
    }
    template = "projects/assessment_list_table.html" if request.htmx else "projects/assessment_list.html"
    return render(request, template, context)


# --- a new batch --------------------------------------------------------------------------------


def _subjects(actor) -> list[tuple[str, str, object, object]]:
    """(value, label, call, project type) of each call and type the actor's province has projects of."""
    pairs = list(
        projects_for(actor)
        .order_by("-call_id", "project_type_id")
        .values_list("call_id", "project_type_id")
        .distinct()
    )
    calls = Call.objects.in_bulk({c for c, _t in pairs})
    types = ProjectType.objects.in_bulk({t for _c, t in pairs})
    return [
        (f"{c}-{t}", f"{calls[c].title} · {types[t].name}", calls[c], types[t])
        for c, t in pairs
        if c in calls and t in types
    ]


def _create_context(request, form, kind, subject, year, projects, rule) -> dict:
    return {
        "form": form,
        "kind": kind,
        "kind_label": Assessment.Kind(kind).label,
        "subject": subject,
        "year": year,
        "projects": projects,
        "rule": rule,
        "today": timezone.localdate(),
    }


@role_required(*STAFF_ROLES)
def assessment_new(request):
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind", "")
    kind = kind if kind in Assessment.Kind.values else Assessment.Kind.ACCEPTANCE
    subjects = _subjects(request.actor)
    chosen = next((s for s in subjects if s[0] == source.get("subject", "")), None)
    if chosen is None and len(subjects) == 1:
        chosen = subjects[0]
    try:
        year = int(source.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    projects = []
    rule = {}
    if chosen is not None:
        _value, _label, call, project_type = chosen
        projects = list(
            selectors.eligible_projects(
                actor=request.actor, call=call, project_type=project_type, kind=kind, year=year
            ).select_related("organization")
        )
        rule = selectors.acceptance_rule(project_type) if kind == Assessment.Kind.ACCEPTANCE else {}
    choices = [(v, label) for v, label, _c, _t in subjects]
    if request.method == "POST":
        form = AssessmentCreateForm(request.POST, subjects=choices, projects=projects)
        if form.is_valid():
            try:
                assessment = services.assessment_create(actor=request.actor, data=form.data_for_service())
            except DomainError as exc:
                place(form, exc, AssessmentCreateForm.PLACES)
            else:
                messages.success(
                    request,
                    _("已创建“%(name)s”，已通知%(n)s个项目的建设单位填写自评报告")
                    % {"name": assessment.name, "n": assessment.entries.count()},
                )
                return redirect("projects:assessment_detail", assessment.pk)
        context = _create_context(request, form, kind, chosen, year, projects, rule)
        return render(request, "projects/assessment_new.html", context, status=422)
    initial = {
        "kind": kind,
        "subject": chosen[0] if chosen else "",
        "year": year,
        "is_final": "1" if source.get("is_final") == "1" else "0",
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "excellent_min": Decimal("90"),
        "pass_min": Decimal("60"),
        "project_ids": [p.pk for p in projects],
    }
    form = AssessmentCreateForm(initial=initial, subjects=choices, projects=projects)
    context = _create_context(request, form, kind, chosen, year, projects, rule)
    if request.htmx and request.GET.get("part") == "projects":
        return render(request, "projects/assessment_new_projects.html", context)
    return render(request, "projects/assessment_new.html", context)


# --- a batch ------------------------------------------------------------------------------------


def _entry_rows(assessment: Assessment, entries, columns: list[dict]) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for entry in entries:
        code, words = self_state(entry, assessment, today)
        rows.append(
            {
                "entry": entry,
                "inputs": _inputs_of(columns, entry.inputs),
                "self_code": code,
                "self_words": words,
                "conclusion": conclusion_text(entry),
                "rectification": _rectification_of(entry),
            }
        )
    return rows


def _detail_context(request, assessment: Assessment, errors=()) -> dict:
    columns = input_columns(assessment)
    entries = list(selectors.entries_of(actor=request.actor, assessment=assessment))
    staff = _is_staff(request, assessment)
    review_round = assessment.round
    missing = [e for e in entries if not e.self_submitted_at]
    return {
        "assessment": assessment,
        "round": review_round,
        "columns": columns,
        "rows": _entry_rows(assessment, entries, columns),
        "is_staff": staff,
        "sees_round": request.actor.sees_province,
        "missing": missing,
        "due_passed": timezone.localdate() > assessment.self_assessment_due,
        "errors": list(errors),
        "is_acceptance": assessment.kind == Assessment.Kind.ACCEPTANCE,
        "undecided": sum(1 for e in entries if e.result == AssessmentEntry.Result.PENDING),
    }


@role_required(*READ_ROLES)
def assessment_detail(request, pk: int):
    assessment = selectors.assessment_get_for(actor=request.actor, pk=pk)
    return render(request, "projects/assessment_detail.html", _detail_context(request, assessment))


def _batch_action(request, pk: int, action: str):
    assessment = selectors.assessment_get_for(actor=request.actor, pk=pk)
    try:
        if action == "start":
            services.assessment_start_review(actor=request.actor, assessment=assessment)
            messages.success(request, _("已启动专家评审：请在评审轮次中计算回避关系、分配专家"))
        else:
            services.assessment_conclude(actor=request.actor, assessment=assessment)
            messages.success(request, _("已出具结论：请逐个项目作出决定"))
    except DomainError as exc:
        assessment.refresh_from_db()
        context = _detail_context(request, assessment, errors=exc.errors)
        return render(request, "projects/assessment_detail.html", context, status=422)
    return redirect("projects:assessment_detail", assessment.pk)


@require_POST
@role_required(*STAFF_ROLES)
def assessment_start_review(request, pk: int):
    return _batch_action(request, pk, "start")


@require_POST
@role_required(*STAFF_ROLES)
def assessment_conclude(request, pk: int):
    return _batch_action(request, pk, "conclude")


@role_required(*READ_ROLES)
def assessment_export(request, pk: int):
    assessment = selectors.assessment_get_for(actor=request.actor, pk=pk)
    columns = input_columns(assessment)
    entries = list(selectors.entries_of(actor=request.actor, assessment=assessment))
    today = timezone.localdate()
    acceptance = assessment.kind == Assessment.Kind.ACCEPTANCE
    input_headers = [input_export(c, None)[0] for c in columns]
    headers = [
        _("项目编号"),
        _("项目名称"),
        _("建设单位"),
        *input_headers,
        _("自评状态"),
        _("自评得分"),
        _("专家评分"),
        _("一票否决"),
        _("验收等级") if acceptance else _("绩效评价结果"),
        _("结果"),
        _("理由"),
        _("整改状态"),
        _("整改期限"),
    ]
    rows = []
    for entry in entries:
        rect = _rectification_of(entry)
        rows.append(
            [
                entry.project.code,
                entry.project.title,
                entry.project.organization.name,
                *[input_export(c, (entry.inputs or {}).get(c.get("code")))[1] for c in columns],
                self_state(entry, assessment, today)[1],
                entry.self_score,
                entry.score,
                _("是") if entry.vetoed else "",
                conclusion_text(entry),
                entry.get_result_display(),
                entry.reason,
                rect.get_status_display() if rect else "",
                rect.deadline if rect else None,
            ]
        )
    content = workbook_sheets_bytes([(assessment.get_kind_display(), headers, rows)])
    return xlsx_response(f"{assessment.name}-{today:%Y%m%d}.xlsx", content)


# --- one project in a batch ---------------------------------------------------------------------


def _entry_context(
    request, entry: AssessmentEntry, *, self_form=None, decide_form=None, status_errors=()
) -> dict:
    assessment = entry.assessment
    columns = input_columns(assessment)
    acceptance = assessment.kind == Assessment.Kind.ACCEPTANCE
    staff = _is_staff(request, assessment)
    can_self = (
        request.actor.has_role(*SCHOOL_ROLES)
        and selectors.may_self_assess(request.actor, entry)
        and assessment.status == Assessment.Status.SELF_ASSESSMENT
        and entry.self_submitted_at is None
    )
    if can_self and self_form is None:
        self_form = SelfAssessmentForm(
            initial={"self_assessment": entry.self_assessment, "self_score": entry.self_score}
        )
    can_decide = (
        staff
        and assessment.status == Assessment.Status.CONCLUDED
        and entry.result == AssessmentEntry.Result.PENDING
    )
    if can_decide and decide_form is None:
        if acceptance:
            decision = {"excellent": "pass", "pass": "pass", "fail": "rectify"}.get(entry.grade, "")
            decide_form = AcceptanceDecisionForm(initial={"decision": decision})
        else:
            decide_form = OutcomeDecisionForm()
    today = timezone.localdate()
    return {
        "entry": entry,
        "assessment": assessment,
        "project": entry.project,
        "inputs": _inputs_of(columns, entry.inputs),
        "self_code": self_state(entry, assessment, today)[0],
        "self_words": self_state(entry, assessment, today)[1],
        "attachments": list(entry.self_attachments.all()),
        "self_form": self_form if can_self else None,
        "decide_form": decide_form if can_decide else None,
        "is_acceptance": acceptance,
        "is_staff": staff,
        "outcomes": selectors.performance_outcomes(assessment.project_type) if not acceptance else [],
        "rectification": _rectification_of(entry),
        "conclusion": conclusion_text(entry),
        "status_errors": list(status_errors),
        "sees_round": request.actor.sees_province,
    }


def _store_files(request, entry) -> list[int]:
    return [
        attachment_store(actor=request.actor, file=f, owner_organization=entry.project.organization).pk
        for f in request.FILES.getlist("files")
    ]


def _kept_ids(request, current) -> list[int]:
    keep = set(request.POST.getlist("keep"))
    return [a.pk for a in current if str(a.pk) in keep]


@role_required(*READ_ROLES)
def assessment_entry(request, pk: int):
    if request.method == "POST" and not request.actor.has_role(*SCHOOL_ROLES):
        raise Forbidden()
    entry = selectors.entry_get_for(actor=request.actor, pk=pk)
    if request.method != "POST":
        return render(request, "projects/assessment_entry.html", _entry_context(request, entry))
    form = SelfAssessmentForm(request.POST)
    if form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            with transaction.atomic():
                ids = _kept_ids(request, entry.self_attachments.all()) + _store_files(request, entry)
                services.self_assessment_save(
                    actor=request.actor,
                    entry=entry,
                    data={
                        "self_assessment": form.cleaned_data["self_assessment"],
                        "self_score": form.cleaned_data["self_score"],
                        "attachment_ids": ids,
                    },
                )
                if submit:
                    services.self_assessment_submit(actor=request.actor, entry=entry)
        except DomainError as exc:
            place(form, exc, {"attachment_ids": "self_assessment", "file": "self_assessment"})
        else:
            messages.success(request, _("自评报告已提交") if submit else _("自评报告已保存"))
            return redirect("projects:assessment_entry", entry.pk)
    entry.refresh_from_db()
    context = _entry_context(request, entry, self_form=form)
    if context["self_form"] is None:  # the batch moved on meanwhile: say so at the top
        context["status_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "projects/assessment_entry.html", context, status=422)


@require_POST
@role_required(*STAFF_ROLES)
def entry_decide(request, pk: int):
    entry = selectors.entry_get_for(actor=request.actor, pk=pk)
    acceptance = entry.assessment.kind == Assessment.Kind.ACCEPTANCE
    form = (AcceptanceDecisionForm if acceptance else OutcomeDecisionForm)(request.POST)
    if form.is_valid():
        try:
            services.entry_decide(actor=request.actor, entry=entry, data=form.data_for_service())
        except DomainError as exc:
            place(form, exc)
        else:
            messages.success(request, _("已对“%(title)s”作出决定") % {"title": entry.project.title})
            return redirect("projects:assessment_detail", entry.assessment_id)
    entry.refresh_from_db()
    context = _entry_context(request, entry, decide_form=form)
    if context["decide_form"] is None:
        context["status_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "projects/assessment_entry.html", context, status=422)


# --- rectification ------------------------------------------------------------------------------


def _rectification_context(
    request, rect: Rectification, *, report_form=None, recheck_form=None, status_errors=()
):
    entry = rect.entry
    assessment = entry.assessment
    today = timezone.localdate()
    can_report = (
        request.actor.has_role(*SCHOOL_ROLES)
        and selectors.may_self_assess(request.actor, entry)
        and rect.status == Rectification.Status.OPEN
    )
    if can_report and report_form is None:
        report_form = RectificationReportForm(initial={"report": rect.report})
    can_recheck = _is_staff(request, assessment) and rect.status == Rectification.Status.RESUBMITTED
    if can_recheck and recheck_form is None:
        recheck_form = RecheckForm()
    return {
        "rect": rect,
        "entry": entry,
        "assessment": assessment,
        "project": entry.project,
        "attachments": list(rect.attachments.all()),
        "overdue": rect.status == Rectification.Status.OPEN and today > rect.deadline,
        "today": today,
        "report_form": report_form if can_report else None,
        "recheck_form": recheck_form if can_recheck else None,
        "status_errors": list(status_errors),
    }


@role_required(*READ_ROLES)
def rectification(request, pk: int):
    if request.method == "POST" and not request.actor.has_role(*SCHOOL_ROLES):
        raise Forbidden()
    rect = selectors.rectification_get_for(actor=request.actor, pk=pk)
    if request.method != "POST":
        return render(request, "projects/rectification_detail.html", _rectification_context(request, rect))
    form = RectificationReportForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                ids = _kept_ids(request, rect.attachments.all()) + _store_files(request, rect.entry)
                services.rectification_submit(
                    actor=request.actor,
                    rectification=rect,
                    data={"report": form.cleaned_data["report"], "attachment_ids": ids},
                )
        except DomainError as exc:
            place(form, exc, {"attachment_ids": "report", "file": "report", "deadline": "report"})
        else:
            messages.success(request, _("整改报告已提交，等待省级复核"))
            return redirect("projects:rectification", rect.pk)
    rect.refresh_from_db()
    context = _rectification_context(request, rect, report_form=form)
    if context["report_form"] is None:
        context["status_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "projects/rectification_detail.html", context, status=422)


@require_POST
@role_required(*STAFF_ROLES)
def rectification_recheck(request, pk: int):
    rect = selectors.rectification_get_for(actor=request.actor, pk=pk)
    form = RecheckForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_recheck(
                actor=request.actor, rectification=rect, data=form.data_for_service()
            )
        except DomainError as exc:
            place(form, exc)
        else:
            messages.success(request, _("已完成整改复核"))
            return redirect("projects:rectification", rect.pk)
    rect.refresh_from_db()
    context = _rectification_context(request, rect, recheck_form=form)
    if context["recheck_form"] is None:
        context["status_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "projects/rectification_detail.html", context, status=422)


# --- the batch's record -------------------------------------------------------------------------


def _model_of(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field_words(model, name: str, value):
    """A field's label and a value in words (a choice's label) when the model knows the field."""
    if model is None:
        return name, value
    try:
        field = model._meta.get_field(name[:-3] if name.endswith("_id") else name)
    except FieldDoesNotExist:
        return name, value
    label = getattr(field, "verbose_name", None)  # a reverse relation has none
    if label is None:
        return name, value
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    return str(label), choices.get(value, value) if isinstance(value, str | int) else value


def _change_rows(entry) -> list[dict]:
    """An audit entry's changes as rows: field label, before, after (long values cut for the table)."""
    model = _model_of(entry.object_type)
    rows = []
    for name, value in (entry.changes or {}).items():
        before, after = value if isinstance(value, list) and len(value) == 2 else (None, value)
        label, before = _field_words(model, name, before)
        _label, after = _field_words(model, name, after)
        rows.append({"field": label, "name": name, "before": _short(before), "after": _short(after)})
    return rows


def _short(value) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


@role_required(*selectors.TRAIL_ROLES)
def assessment_trail(request, pk: int):
    """The batch's whole record (纪检监察全程参与): who did what and when, in time order."""
    assessment = selectors.assessment_get_for(actor=request.actor, pk=pk)
    page_obj = paginate(request, selectors.assessment_trail(actor=request.actor, assessment=assessment), 50)
    items = [
        {"entry": e, "label": selectors.trail_action_label(e.action), "rows": _change_rows(e)}
        for e in page_obj
    ]
    return render(
        request,
        "projects/assessment_trail.html",
        {"assessment": assessment, "page_obj": page_obj, "items": items},
    )


# --- the project page's block -------------------------------------------------------------------


@role_required(*READ_ROLES)
def project_assessments(request, pk: int):
    """The acceptance and performance entries of one project (loaded into the project page)."""
    project = project_get_for(actor=request.actor, pk=pk)
    entries = list(selectors.entries_of_project(actor=request.actor, project=project))
    return render(
        request,
        "projects/assessment_project_block.html",
        {
            "project": project,
            "rows": [
                {"entry": e, "conclusion": conclusion_text(e), "rectification": _rectification_of(e)}
                for e in entries
            ],
        },
    )
