"""Pages of the scoring stage: the expert's score sheet (drafts, a live total, submit), recusal, and
for staff and the observer the round's scoring progress and each submitted sheet. Thin views over
scoring_selectors and scoring_services, as the API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError, ErrorCollector, FieldError
from chanjiao.core.pages import paginate, role_required

from . import scoring_selectors, scoring_services, selectors
from .forms import ReasonForm
from .models import ReviewRound, ScoreSheet
from .permissions import EXPERT_ROLES, READ_ROLES
from .scoring_selectors import Computation, Layout, LeafView, Section, VetoView

Status = ScoreSheet.Status


# --- what the sheet shows ------------------------------------------------------------------------


def dom_id(name: str) -> str:
    """An element id for a field name ("scores.1.1" → "f-scores-1-1"), safe in a CSS selector."""
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


@dataclass
class Input:
    name: str  # the form field's name, and the field of the service's errors
    value: str
    errors: list[str] = field(default_factory=list)

    @property
    def dom(self) -> str:
        return dom_id(self.name)


@dataclass
class LeafRow:
    leaf: LeafView
    input: Input
    computed: bool = False  # scored from the figures: read-only for the expert
    missing: bool = False  # a figure it is computed from is missing: the expert scores it
    basis: str = ""  # the figure it rests on, with its name and unit


@dataclass
class VetoRow:
    veto: VetoView
    marked: bool
    computed: bool = False  # fired by the figures: stays marked
    basis: str = ""


@dataclass
class PartRow:
    code: str
    name: str
    leaves: list[LeafRow]


@dataclass
class SectionRow:
    section: Section
    parts: list[PartRow]
    comment: Input


def _shown(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return "" if value is None else str(value)


def stored_values(sheet: ScoreSheet) -> dict[str, Any]:
    return {
        "scores": dict(sheet.scores or {}),
        "vetoes": list(sheet.vetoes or []),
        "comments": dict(sheet.comments or {}),
        "overall_comment": sheet.overall_comment,
        "recommendation": sheet.recommendation,
    }


def posted_values(request, layout: Layout) -> dict[str, Any]:
    post = request.POST
    return {
        "scores": {leaf.code: post.get(leaf.field, "") for leaf in layout.leaves},
        "vetoes": post.getlist("vetoes"),
        "comments": {s.code: post.get(s.field, "") for s in layout.sections},
        "overall_comment": post.get("overall_comment", ""),
        "recommendation": post.get("recommendation", ""),
    }


def _expected_version(request) -> int:
    try:
        return int(request.POST.get("expected_version", ""))
    except ValueError:
        return -1


@dataclass
class SheetView:
    """The sheet laid out for a template: inputs per leaf and first-level comment, with their errors."""

    sections: list[SectionRow]
    vetoes: list[VetoRow]
    overall: Input
    recommendation: Input
    veto_errors: list[str]
    other_errors: list[FieldError]  # errors not at a field of the sheet (state, version, deadline)
    total: Any  # the submitted total, or the draft's running total (None when it cannot be counted)
    error_count: int


def _leaf_row(leaf: LeafView, value: Input, computation: Computation | None) -> LeafRow:
    if computation is None or leaf.kind not in ("formula", "gate"):
        return LeafRow(leaf, value)
    return LeafRow(
        leaf,
        value,
        computed=computation.is_computed(leaf.code),
        missing=computation.is_missing(leaf.code),
        basis=computation.basis.get(leaf.code, ""),
    )


def sheet_view(
    layout: Layout,
    values: Mapping[str, Any],
    errors: Iterable[FieldError],
    *,
    total,
    computation: Computation | None = None,
) -> SheetView:
    errors = list(errors)
    by_field: dict[str, list[str]] = defaultdict(list)
    for e in errors:
        by_field[e.field].append(e.message)
    scores, comments = values.get("scores") or {}, values.get("comments") or {}
    sections = []
    for section in layout.sections:
        parts = [
            PartRow(
                part.code,
                part.name,
                [
                    _leaf_row(
                        leaf,
                        Input(leaf.field, _shown(scores.get(leaf.code)), by_field.pop(leaf.field, [])),
                        computation,
                    )
                    for leaf in part.leaves
                ],
            )
            for part in section.parts
        ]
        comment = Input(section.field, _shown(comments.get(section.code)), by_field.pop(section.field, []))
        sections.append(SectionRow(section, parts, comment))
    marked = {str(c) for c in values.get("vetoes") or []}
    veto_errors = [m for name in [k for k in by_field if k.startswith("vetoes")] for m in by_field.pop(name)]
    overall = Input(
        "overall_comment", _shown(values.get("overall_comment")), by_field.pop("overall_comment", [])
    )
    recommendation = Input(
        "recommendation", _shown(values.get("recommendation")), by_field.pop("recommendation", [])
    )
    other = [e for e in errors if e.field in by_field]
    return SheetView(
        sections=sections,
        vetoes=[
            VetoRow(
                v,
                v.code in marked,
                computed=computation is not None and v.code in computation.vetoed,
                basis=computation.basis.get(v.code, "") if computation is not None else "",
            )
            for v in layout.vetoes
        ],
        overall=overall,
        recommendation=recommendation,
        veto_errors=veto_errors,
        other_errors=other,
        total=total,
        error_count=len(errors),
    )


def _open_for_scoring(review_round: ReviewRound) -> tuple[bool, bool]:
    """(the round is being scored, the deadline has passed)."""
    deadline = review_round.review_deadline
    return (
        review_round.status == ReviewRound.Status.ASSIGNED,
        deadline is not None and timezone.now() >= deadline,
    )


def _sheet_context(
    request, sheet: ScoreSheet, layout: Layout | None, *, values=None, errors=(), saved: bool = False
) -> dict[str, Any]:
    review_round = sheet.round
    scoring, late = _open_for_scoring(review_round)
    editable = layout is not None and sheet.status == Status.DRAFT and scoring and not late
    view = None
    computation = None
    if layout is not None:
        values = values if values is not None else stored_values(sheet)
        computation = scoring_selectors.computation_of(review_round, sheet.application_id, layout)
        if sheet.status == Status.SUBMITTED and not errors:
            total = sheet.total
        else:
            cleaned = scoring_services.clean_sheet(layout, values, ErrorCollector())
            if sheet.status == Status.DRAFT and computation is not None:
                # a draft shows the computed values of today's figures, as its submission will hold
                scoring_services.apply_computed(layout, computation, cleaned, ErrorCollector(), check=False)
                values = {**values, "scores": cleaned["scores"], "vetoes": cleaned["vetoes"]}
            total = scoring_services.running_total(layout, cleaned)
        view = sheet_view(layout, values, errors, total=total, computation=computation)
    return {
        "sheet": sheet,
        "application": sheet.application,
        "round": review_round,
        "layout": layout,
        "view": view,
        "status": sheet.status if sheet.pk else scoring_selectors.NOT_STARTED,
        "status_label": sheet.get_status_display() if sheet.pk else scoring_selectors.NOT_STARTED_LABEL,
        "editable": editable,
        "late": late,
        "scoring": scoring,
        "saved": saved,
        "version": sheet.row_version,
        "saved_at": timezone.now(),
        "recommendations": ScoreSheet.Recommendation.choices,
        "computation": computation,
    }


SHEET_PAGE = "review/scoring/sheet.html"
SHEET_PARTIAL = "review/scoring/partials/sheet.html"


# --- the expert ------------------------------------------------------------------------------------


@role_required(*EXPERT_ROLES)
def my_sheet(request, application_id: int):
    """GET: the sheet (the whole page, or the card alone for htmx); POST: save the draft or
    (action=submit) submit it. Refusals show at their fields, nothing stored."""
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    layout = scoring_selectors.layout_of(sheet.round)
    template = SHEET_PARTIAL if request.htmx else SHEET_PAGE
    if request.method != "POST":
        return render(request, template, _sheet_context(request, sheet, layout))
    values = posted_values(request, layout) if layout is not None else {}
    submitting = request.POST.get("action") == "submit"
    try:
        if submitting:
            sheet = scoring_services.sheet_submit(
                actor=request.actor,
                assignment=sheet.assignment,
                expected_version=_expected_version(request),
                data=values,
            )
        else:
            sheet = scoring_services.sheet_save(
                actor=request.actor,
                assignment=sheet.assignment,
                data=values,
                expected_version=_expected_version(request),
            )
    except DomainError as exc:
        fresh = scoring_selectors.sheet_of(request.actor, application_id)
        shown = (
            values if fresh.status == Status.DRAFT else None
        )  # a sheet submitted meanwhile shows as stored
        context = _sheet_context(request, fresh, layout, values=shown, errors=exc.errors)
        context["submit_failed"] = submitting
        # the version the form was read at: refused writes change nothing, and a stale one stays stale
        context["version"] = _expected_version(request)
        # htmx swaps only what answers 200: the refusal is the card itself, errors at their fields
        return render(request, template, context, status=200 if request.htmx else exc.status)
    if request.htmx:
        return render(request, SHEET_PARTIAL, _sheet_context(request, sheet, layout, saved=True))
    if submitting:
        messages.success(request, _("评分表已提交，总分 %(total)s") % {"total": sheet.total})
    else:
        messages.success(request, _("草稿已保存"))
    return redirect("review:my_sheet", application_id=sheet.application_id)


@role_required(*EXPERT_ROLES)
@require_POST
def my_sheet_total(request, application_id: int):
    """The running total of what the form holds now, with every problem at its field (no write)."""
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    layout = scoring_selectors.layout_of(sheet.round)
    if layout is None:
        return render(request, "review/scoring/partials/total.html", {"view": None})
    values = posted_values(request, layout)
    errors = ErrorCollector()
    cleaned = scoring_services.clean_sheet(layout, values, errors)
    computation = scoring_selectors.computation_of(sheet.round, sheet.application_id, layout)
    scoring_services.apply_computed(layout, computation, cleaned, errors)
    scoring_services.check_sheet(layout, cleaned, errors, draft=True)
    view = sheet_view(
        layout,
        values,
        errors.errors,
        total=scoring_services.running_total(layout, cleaned),
        computation=computation,
    )
    return render(request, "review/scoring/partials/total.html", {"view": view, "layout": layout})


@role_required(*EXPERT_ROLES)
def my_sheet_recuse(request, application_id: int):
    sheet = scoring_selectors.sheet_of(request.actor, application_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scoring_services.sheet_recuse(
                actor=request.actor, assignment=sheet.assignment, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            for e in exc.errors:
                form.add_error("reason" if e.field == "reason" else None, e.message)
        else:
            messages.success(request, _("已回避，该申报将另行安排专家评审"))
            return redirect("review:my_reviews")
    return render(
        request,
        "review/scoring/recuse.html",
        {"sheet": sheet, "application": sheet.application, "form": form},
        status=422 if form.errors else 200,
    )


# --- staff and the observer ------------------------------------------------------------------------


@role_required(*READ_ROLES)
def round_sheets(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    by_expert = request.GET.get("by") == "expert"
    apps, experts = scoring_selectors.round_progress(request.actor, review_round)
    rows = experts if by_expert else apps
    return render(
        request,
        "review/scoring/round_sheets.html",
        {
            "round": review_round,
            "by_expert": by_expert,
            "page_obj": paginate(request, rows),
            "counts": scoring_selectors.round_counts(review_round),
            "applications": len(apps),
            "complete": sum(1 for a in apps if a.done),
            "layout": scoring_selectors.layout_of(review_round),
        },
    )


@role_required(*READ_ROLES, *EXPERT_ROLES)
def sheet_detail(request, pk: int):
    sheet = scoring_selectors.sheet_get_for(actor=request.actor, pk=pk)
    layout = scoring_selectors.layout_of(sheet.round)
    context = _sheet_context(request, sheet, layout)
    context["staff_view"] = request.actor.sees_province and sheet.status == Status.SUBMITTED
    return render(request, "review/scoring/sheet_detail.html", context)
