"""Pages of the panel stage: the ranking with its overrides and the recommendation, an application's
sheets, the panel expert's view, and the score workbook. Thin: the work is in panel_services and
panel_selectors."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError
from chanjiao.core.exports import xlsx_response
from chanjiao.core.pages import paginate, role_required

from . import panel_selectors as panel
from . import panel_services, selectors
from .forms import OverrideForm
from .models import ReviewRound, ScoreSheet
from .permissions import EXPERT_ROLES, READ_ROLES, STAFF_ROLES
from .views import later_round_context


def _is_staff_of(request, review_round: ReviewRound) -> bool:
    return request.actor.is_province_staff and request.actor.province_prefix == review_round.province_code


def _method_labels() -> dict[str, str]:
    return dict(ReviewRound.RankingMethod.choices)


def _cut(rows: list[panel.RankRow], quota: int | None) -> int:
    """The position of the last row within the quota (0: none), where the page draws the quota's line."""
    cut = 0
    for i, row in enumerate(rows, start=1):
        if row.entry.rank is not None and quota and row.entry.rank <= quota:
            cut = i
    return cut


def _ranking_parts(ranking: panel.PanelRanking, hidden: set[int] | frozenset[int] = frozenset()) -> dict:
    """What the ranking table needs: its rows (less `hidden` applications), where the quota's line
    falls, the other methods' names, and the tie at the cut in words (unless it names a hidden one)."""
    rows = [r for r in ranking.rows if r.entry.application not in hidden]
    labels = _method_labels()
    tied = {e.application for e in ranking.tie_at_cut}
    return {
        "ranking": ranking,
        "rows": rows,
        "cut": _cut(rows, ranking.quota),
        "method_label": labels[ranking.method.value],
        "other_methods": [(m.value, labels[m.value]) for m in ranking.others],
        "tie_message": "" if tied & set(hidden) else ranking.tie_message(),
    }


def _context(request, review_round: ReviewRound, *, form: OverrideForm | None = None, refusal=None) -> dict:
    can_edit = _is_staff_of(request, review_round)
    later = later_round_context(review_round)
    context = {
        **later,
        "round": review_round,
        "can_edit": can_edit,
        "scores_open": panel.scores_open(review_round),
        "quota": panel.round_quota(review_round),
        "quota_explained": panel.quota_explained(review_round),
        "refusal": refusal,
    }
    if context["scores_open"]:
        ranking = panel.round_ranking(review_round)
        context.update(_ranking_parts(ranking))
        context["overrides"] = list(panel.overrides_of(review_round))
        if later["later"]:
            # a batch concludes on each subject's score: no quota line, no tie at the cut
            context.update({"cut": 0, "tie_message": ""})
        if can_edit and review_round.status == ReviewRound.Status.PANEL and not later["later"]:
            form = form or OverrideForm()
            context["form"] = form
            context["choices"] = [r for r in context["rows"] if not r.entry.vetoed]
    else:
        progress = panel.round_progress(review_round)
        context["progress"] = progress
        context["pending"] = sum(p.pending for p in progress)
    return context


@role_required(*READ_ROLES)
def ranking(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    return render(request, "review/panel/ranking.html", _context(request, review_round))


@role_required(*STAFF_ROLES)
@require_POST
def panel_open(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    try:
        panel_services.panel_open(actor=request.actor, review_round=review_round)
    except DomainError as exc:
        context = _context(request, review_round, refusal=exc.errors)
        return render(request, "review/panel/ranking.html", context, status=exc.status)
    messages.success(request, _("专家组合议已开始：各专家的评分对专家组公开"))
    return redirect("review:panel_ranking", pk=review_round.pk)


@role_required(*STAFF_ROLES)
@require_POST
def override(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    form = OverrideForm(request.POST)
    done = None
    if form.is_valid():
        try:
            done = panel_services.ranking_override(
                actor=request.actor,
                review_round=review_round,
                application_id=form.cleaned_data["application"],
                to_rank=form.cleaned_data["to_rank"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            for e in exc.errors:
                name = e.field if e.field in form.fields else None
                form.add_error(name, e.message)
            status = exc.status
    else:
        status = 422
    if done is not None:
        note = _("已将该申报调整到第%(rank)d名") % {"rank": done.to_rank}
        if not request.htmx:
            messages.success(request, note)
            return redirect("review:panel_ranking", pk=review_round.pk)
        context = _context(request, review_round)
        context["done"] = note
        return render(request, "review/panel/partials/ranking_body.html", context)
    context = _context(request, review_round, form=form)
    if request.htmx:  # htmx swaps only a 200: the refusal is shown at the form
        return render(request, "review/panel/partials/ranking_body.html", context)
    return render(request, "review/panel/ranking.html", context, status=status)


@role_required(*STAFF_ROLES)
@require_POST
def recommend(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    try:
        entries = panel_services.recommendation_confirm(actor=request.actor, review_round=review_round)
    except DomainError as exc:
        context = _context(request, review_round, refusal=exc.errors)
        return render(request, "review/panel/ranking.html", context, status=exc.status)
    messages.success(
        request,
        _("推荐名单已确定：拟推荐%(n)d项，未推荐%(m)d项，已通知各申报单位")
        % {"n": sum(e.recommended for e in entries), "m": sum(not e.recommended for e in entries)},
    )
    return redirect("review:panel_ranking", pk=review_round.pk)


@role_required(*READ_ROLES)
def application(request, pk: int, application_id: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    app, sheets = panel.application_sheets(review_round, application_id)
    scores_open = panel.scores_open(review_round)
    tree = panel.scoring_tree(review_round)
    submitted = [s for s in sheets if s.status == ScoreSheet.Status.SUBMITTED]
    context = {
        **later_round_context(review_round),
        "round": review_round,
        "application": app,
        "scores_open": scores_open,
        "others": [s for s in sheets if s.status != ScoreSheet.Status.SUBMITTED or not scores_open],
    }
    if scores_open:
        columns = panel.leaf_columns(tree, submitted)
        ranking = panel.round_ranking(review_round)
        counted = {pk for pk, _application, _expert in ranking.counted}
        context.update(
            {
                "columns": columns,
                "views": panel.sheet_views(submitted, columns, tree=tree),
                "counted": counted,
                "row": next((r for r in ranking.rows if r.entry.application == app.pk), None),
                "method_label": _method_labels()[ranking.method.value],
                "quota": ranking.quota,
            }
        )
    return render(request, "review/panel/application.html", context)


@role_required(*READ_ROLES)
def scores_export(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    if not panel.scores_open(review_round):
        messages.error(
            request,
            _("专家组合议开始后才能导出评分（当前状态：%(status)s）")
            % {"status": review_round.get_status_display()},
        )
        return redirect("review:panel_ranking", pk=review_round.pk)
    content = panel.scores_workbook(panel.round_ranking(review_round))
    return xlsx_response(panel.scores_filename(review_round), content)


# --- the panel expert's view -----------------------------------------------------------------------


def _expert_view(request, round_id: int):
    review_round, me = panel.panel_round_for_expert(actor=request.actor, round_id=round_id)
    ranking = panel.round_ranking(review_round)
    hidden = panel.conflicted_applications(review_round, me)
    return review_round, me, ranking, hidden


@role_required(*EXPERT_ROLES)
def my_panel(request, round_id: int):
    review_round, me, ranking, hidden = _expert_view(request, round_id)
    letters = panel.expert_letters(review_round, [expert for _pk, _application, expert in ranking.counted])
    tree = panel.scoring_tree(review_round)
    visible = [s for s in ranking.sheets if s.application_id not in hidden]
    columns = panel.leaf_columns(tree, visible)
    parts = _ranking_parts(ranking, hidden)
    later = later_round_context(review_round)
    if later["later"]:
        parts.update({"cut": 0, "tie_message": ""})
    page_obj = paginate(request, parts["rows"])
    by_application: dict[int, list] = {}
    for view in panel.sheet_views(visible, columns, tree=tree, letters=letters, viewer=me):
        by_application.setdefault(view.sheet.application_id, []).append(view)
    cards = [(row, by_application.get(row.entry.application, [])) for row in page_obj]
    return render(
        request,
        "review/panel/my_panel.html",
        {
            **parts,
            **later,
            "round": review_round,
            "me": me,
            "my_letter": letters.get(me.pk, ""),
            "columns": columns,
            "cards": cards,
            "page_obj": page_obj,
            "quota": ranking.quota,
            "overrides": [o for o in panel.overrides_of(review_round) if o.application_id not in hidden],
            "hidden": len(hidden & set(ranking.applications)),
        },
    )


@role_required(*EXPERT_ROLES)
def my_panel_export(request, round_id: int):
    review_round, me, ranking, hidden = _expert_view(request, round_id)
    letters = panel.expert_letters(review_round, [expert for _pk, _application, expert in ranking.counted])
    content = panel.scores_workbook(ranking, letters=letters, hidden=hidden)
    return xlsx_response(panel.scores_filename(review_round), content)
