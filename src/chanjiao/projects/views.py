"""Pages of awarded projects and of the province's decisions: thin views over the same selectors and
services as the API."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.applications.snapshots import share_percent
from chanjiao.core.errors import DomainError
from chanjiao.core.exports import workbook_bytes, xlsx_response
from chanjiao.core.models import Region
from chanjiao.core.pages import paginate, role_required
from chanjiao.policy.contract import FUNDING_SOURCES
from chanjiao.policy.models import ProjectType
from chanjiao.review import selectors as review_selectors
from chanjiao.review.models import ReviewRound
from chanjiao.review.publicity_selectors import ENDED, objections_open, phase

from . import selectors, services
from .forms import AwardForm, ProjectFilterForm, RejectForm
from .models import AwardDecision, Project
from .permissions import DECIDE_ROLES, QUEUE_ROLES, READ_ROLES

FILTERS = ("project_type", "city", "status", "start_batch", "q")


# --- projects --------------------------------------------------------------------------------------


def _filters(request) -> tuple[dict, dict]:
    """(what the form shows, what the selector is given); a bad batch number filters nothing."""
    shown = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    form = ProjectFilterForm(shown)
    values = form.cleaned_data if form.is_valid() else {k: v for k, v in shown.items() if k != "start_batch"}
    return shown, {
        "project_type": values.get("project_type") or "",
        "city": values.get("city") or "",
        "status": values.get("status") or "",
        "start_batch": values.get("start_batch") or None,
        "q": values.get("q") or "",
    }


def _city_names(codes) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


@role_required(*READ_ROLES)
def project_list(request):
    actor = request.actor
    shown, values = _filters(request)
    qs = selectors.project_search(actor=actor, **values)
    page_obj = paginate(request, qs)
    cities = _city_names(p.city_code for p in page_obj)
    for project in page_obj:
        project.city_name = cities.get(project.city_code, project.city_code)
    scope = selectors.projects_for(actor)
    type_codes = scope.order_by().values_list("project_type__code", flat=True).distinct()
    types = {}
    for code, name in ProjectType.objects.filter(code__in=type_codes).values_list("code", "name"):
        types.setdefault(code, name)
    city_codes = scope.order_by().values_list("city_code", flat=True).distinct()
    context = {
        "page_obj": page_obj,
        "filters": shown,
        "types": sorted(types.items()),
        "cities": sorted(_city_names(city_codes).items()),
        "statuses": Project.Status.choices,
        "query": request.GET.urlencode(),
    }
    template = "projects/partials/project_table.html" if request.htmx else "projects/project_list.html"
    return render(request, template, context)


@role_required(*READ_ROLES)
def project_export(request):
    _shown, values = _filters(request)
    qs = selectors.project_search(actor=request.actor, **values)
    rows = list(qs)
    cities = _city_names(p.city_code for p in rows)
    headers = [
        _("项目编号"),
        _("项目名称"),
        _("项目类型"),
        _("建设单位"),
        _("所在市"),
        _("状态"),
        _("启动批次"),
        _("批准的省级财政支持（元）"),
        _("计划总投入（元）"),
        _("计划企业投入（元）"),
        _("建设开始日期"),
        _("建设结束日期"),
        _("立项文号"),
    ]
    content = workbook_bytes(
        _("立项项目"),
        headers,
        (
            [
                p.code,
                p.title,
                p.project_type.name,
                p.organization.name,
                cities.get(p.city_code, p.city_code),
                p.get_status_display(),
                p.start_batch,
                p.approved_budget,
                p.planned_total,
                p.planned_enterprise,
                p.starts_on,
                p.ends_on,
                p.decision.document_number,
            ]
            for p in rows
        ),
    )
    return xlsx_response(_("立项项目") + f"-{timezone.localdate():%Y%m%d}.xlsx", content)


def _by_source(project: Project) -> list[tuple[str, Decimal]]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in selectors.budget_lines_of(project.application):
        sums[line.source] += line.amount
    return [(name, sums[code]) for code, name in FUNDING_SOURCES if code in sums]


@role_required(*READ_ROLES)
def project_detail(request, pk: int):
    project = selectors.project_get_for(actor=request.actor, pk=pk)
    cities = _city_names([project.city_code])
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "decision": project.decision,
            "city_name": cities.get(project.city_code, project.city_code),
            "partners": list(selectors.partners_of(project)),
            "by_source": _by_source(project),
            "enterprise_share": share_percent(project.planned_enterprise, project.planned_total),
        },
    )


# --- the decision page of a round ------------------------------------------------------------------


def _is_decider(request, review_round: ReviewRound) -> bool:
    return request.actor.is_province_staff and request.actor.province_prefix == review_round.province_code


def _row(request, review_round: ReviewRound, app, *, form=None, reject_form=None, errors=()) -> dict:
    decision = getattr(app, "award_decision", None)  # a missing reverse one-to-one is None here
    batches = services.start_batches(review_round.project_type)
    can_decide = _is_decider(request, review_round) and decision is None and app.status == "publicised"
    if can_decide and form is None:
        form = AwardForm(
            initial={
                "approved_budget": f"{app.requested:.2f}",
                "start_batch": review_round.call.start_batch or 1,
            }
        )
    return {
        "app": app,
        "decision": decision,
        "project": getattr(app, "project", None),  # read with the application
        "can_decide": can_decide,
        "form": form,
        "reject_form": reject_form or RejectForm(),
        "batches": range(1, batches + 1),
        "errors": list(errors),
    }


def _queue_context(request, review_round: ReviewRound, *, failed=None) -> dict:
    """The page: the round's publicity and its state, and a row per application. `failed`:
    (application id, posted award form, posted reject form, errors) of a refused decision."""
    actor = request.actor
    publicity = selectors.publicity_of(review_round)
    general = list(objections_open(publicity).filter(application__isnull=True)) if publicity else []
    rows = []
    for app in selectors.decision_queue(actor, review_round):
        if failed is not None and failed[0] == app.pk:
            rows.append(
                _row(request, review_round, app, form=failed[1], reject_form=failed[2], errors=failed[3])
            )
        else:
            rows.append(_row(request, review_round, app))
    today = services.today()
    return {
        "round": review_round,
        "publicity": publicity,
        "publicity_over": publicity is not None and phase(publicity, today) == ENDED,
        "today": today,
        "general_objections": general,
        "rows": rows,
        "pending": sum(1 for r in rows if r["app"].status == "publicised"),
        "can_decide": _is_decider(request, review_round),
    }


@role_required(*QUEUE_ROLES)
def decision_queue(request, round_id: int):
    review_round = review_selectors.round_get_for(actor=request.actor, pk=round_id)
    return render(request, "projects/decision_queue.html", _queue_context(request, review_round))


def _decide(request, round_id: int, application_id: int, outcome: str):
    actor = request.actor
    review_round = review_selectors.round_get_for(actor=actor, pk=round_id)
    app = selectors.queue_application_get(actor, review_round, application_id)
    award_form = AwardForm(request.POST if outcome == "award" else None)
    reject_form = RejectForm(request.POST if outcome == "reject" else None)
    errors = []
    try:
        if outcome == "award":
            award_form.is_valid()
            data = award_form.cleaned_data
            services.decision_award(
                actor=actor,
                application=app,
                approved_budget=data.get("approved_budget", ""),
                start_batch=data.get("start_batch") or None,
                document_number=data.get("document_number", ""),
            )
        else:
            reject_form.is_valid()
            services.decision_reject(
                actor=actor, application=app, reasons=reject_form.cleaned_data.get("reasons", "")
            )
    except DomainError as exc:
        errors = exc.errors
        status = exc.status
    if request.htmx:
        fresh = selectors.queue_application_get(actor, review_round, application_id)
        if errors:
            row = _row(
                request,
                review_round,
                fresh,
                form=award_form if outcome == "award" else None,
                reject_form=reject_form if outcome == "reject" else None,
                errors=errors,
            )
        else:
            row = _row(request, review_round, fresh)
        return render(
            request,
            "projects/partials/decision_row.html",
            {"round": review_round, "row": row, "swapped": True},
        )
    if errors:
        context = _queue_context(
            request,
            review_round,
            failed=(
                app.pk,
                award_form if outcome == "award" else None,
                reject_form if outcome == "reject" else None,
                errors,
            ),
        )
        return render(request, "projects/decision_queue.html", context, status=status)
    if outcome == "award":
        messages.success(request, _("已立项：%(title)s") % {"title": app.title})
    else:
        messages.success(request, _("已决定不予立项：%(title)s") % {"title": app.title})
    return redirect("projects:decision_queue", round_id=review_round.pk)


@role_required(*DECIDE_ROLES)
@require_POST
def decision_award(request, round_id: int, application_id: int):
    return _decide(request, round_id, application_id, "award")


@role_required(*DECIDE_ROLES)
@require_POST
def decision_reject(request, round_id: int, application_id: int):
    return _decide(request, round_id, application_id, "reject")


# --- the decision on one application ---------------------------------------------------------------


@role_required(*READ_ROLES)
def application_decision(request, application_id: int):
    decision = selectors.application_decision_get_for(actor=request.actor, application_id=application_id)
    project = (
        getattr(decision, "project", None) if decision.outcome == AwardDecision.Outcome.AWARDED else None
    )
    return render(
        request,
        "projects/application_decision.html",
        {"decision": decision, "app": decision.application, "project": project},
    )
