"""Reads of the panel stage (专家组合议): scoring progress, the ranking, an application's sheets, the
expert's panel view and the score workbook.

Who reads what:
- province staff and the observer: the rounds of their province (`selectors.round_get_for`), with
  every expert's name; scores only once the panel has opened (before that, progress alone);
- an expert of the round, once it is in the panel stage or later: every application's sheets and
  the ranking, the experts shown as 专家A, 专家B … (their own marked), never by name; nothing of a
  round before its panel stage, nothing of a round they are not in, and not the sheets of an
  application they are in conflict with (all 404).

The arithmetic is `aggregation.py`'s. `round_ranking` reads the submitted sheets and the overrides in
two queries whatever their number.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.applications.models import Application
from chanjiao.core.errors import FieldError, NotFound, ValidationFailed
from chanjiao.core.exports import workbook_sheets_bytes
from chanjiao.core.permissions import Actor
from chanjiao.policy.models import Indicator

from .aggregation import (
    ApplicationAggregate,
    RankedApplication,
    RankingMethod,
    RoundAggregate,
    ScoringTree,
    SheetTotal,
    TypeRanking,
    aggregate,
    panel_override,
    rank_type,
)
from .models import Assignment, ExpertProfile, RankingEntry, RankingOverride, ReviewRound, ScoreSheet
from .selectors import expert_assignments, round_applications, unwaived_conflict

# From the panel on, the scores are open to the panel and the ranking is what the panel discusses.
PANEL_STATUSES = frozenset(
    {
        ReviewRound.Status.PANEL,
        ReviewRound.Status.RECOMMENDED,
        ReviewRound.Status.PUBLICISED,
        ReviewRound.Status.CLOSED,
    }
)
SCORING_STATUSES = frozenset({ReviewRound.Status.SETUP, ReviewRound.Status.ASSIGNED})


def scores_open(review_round: ReviewRound) -> bool:
    """Whether anyone may see scores: from the panel stage on."""
    return review_round.status in PANEL_STATUSES


# --- the quota ---------------------------------------------------------------------------------


def round_quota(review_round: ReviewRound) -> int | None:
    """The round's recommendation quota: its own, else the project type's target over the batches
    construction starts in (Jiangsu: about 30 platforms started in 3 batches, so 10 a batch), else the
    whole target; None when neither the round nor the project type gives a number."""
    if review_round.quota:
        return review_round.quota
    project_type = review_round.project_type
    target = project_type.target_count
    if not target:
        return None
    review = (project_type.spec or {}).get("review") or {}
    try:
        batches = int(review.get("start_batches") or 1)
    except (TypeError, ValueError):
        batches = 1
    return math.ceil(target / max(batches, 1))


def quota_explained(review_round: ReviewRound) -> str:
    """Where the quota comes from, in words (for the pages)."""
    if review_round.quota:
        return _("本轮设定")
    quota = round_quota(review_round)
    if quota is None:
        return _("未设推荐名额，项目类型也未给出目标数量：请在轮次设置中填写本批推荐名额")
    project_type = review_round.project_type
    batches = ((project_type.spec or {}).get("review") or {}).get("start_batches") or 1
    return _("项目类型目标数量 %(target)s ÷ 分批启动 %(batches)s 批，向上取整") % {
        "target": project_type.target_count,
        "batches": batches,
    }


# --- progress (before the panel: no scores) ----------------------------------------------------


def live_assignments(review_round: ReviewRound) -> QuerySet[Assignment]:
    """The round's reviewers: assigned (not in reserve) with no unwaived conflict."""
    return Assignment.objects.filter(round=review_round, reserve=False).filter(~unwaived_conflict())


def missing_sheets(review_round: ReviewRound) -> QuerySet[Assignment]:
    """Reviewers who have neither submitted a sheet nor recused themselves."""
    return (
        live_assignments(review_round)
        .exclude(sheet__status__in=(ScoreSheet.Status.SUBMITTED, ScoreSheet.Status.RECUSED))
        .select_related("expert", "expert__user", "application", "application__applicant", "sheet")
        .order_by("application_id", "expert_id")
    )


@dataclass(frozen=True)
class Progress:
    """One application's scoring so far: its reviewers, and how many submitted or recused."""

    application: Application
    assigned: int
    submitted: int
    recused: int

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted - self.recused


def round_progress(review_round: ReviewRound) -> list[Progress]:
    """Per application under review in the round (two queries)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"assigned": 0, "submitted": 0, "recused": 0})
    for application_id, status in live_assignments(review_round).values_list(
        "application_id", "sheet__status"
    ):
        row = counts[application_id]
        row["assigned"] += 1
        if status == ScoreSheet.Status.SUBMITTED:
            row["submitted"] += 1
        elif status == ScoreSheet.Status.RECUSED:
            row["recused"] += 1
    return [Progress(app, **counts[app.pk]) for app in round_applications(review_round)]


def unscored_applications(review_round: ReviewRound) -> list[Application]:
    """Applications under review in the round that no submitted sheet counts for: the panel cannot rank
    them (a reserve must review them first)."""
    scored = set(submitted_sheets(review_round).values_list("application_id", flat=True))
    return [a for a in round_applications(review_round) if a.pk not in scored]


# --- the ranking -------------------------------------------------------------------------------


def submitted_sheets(review_round: ReviewRound) -> QuerySet[ScoreSheet]:
    """The sheets that count: submitted, by an expert with no unwaived conflict with the application."""
    return (
        ScoreSheet.objects.filter(round=review_round, status=ScoreSheet.Status.SUBMITTED)
        .filter(~unwaived_conflict())
        .select_related("expert", "expert__user", "application", "application__applicant")
        .order_by("application_id", "expert_id")
    )


def expert_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the panel's names for experts."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def expert_letters(review_round: ReviewRound, expert_ids: Iterable[int]) -> dict[int, str]:
    """专家A, 专家B … per expert, the same on every page and in every file of the round. The order is
    a digest of the round and the expert, so a letter tells nothing about who (not the pool's order)."""

    def key(expert_id: int) -> str:
        return hashlib.sha256(f"{review_round.pk}:{expert_id}".encode()).hexdigest()

    ordered = sorted(set(expert_ids), key=key)
    return {e: _("专家%(letter)s") % {"letter": expert_letter(i)} for i, e in enumerate(ordered)}


@dataclass(frozen=True)
class RankRow:
    """A line of the ranking page: the ranked entry, its application and its ranks by the other methods."""

    entry: RankedApplication
    application: Application
    other_ranks: dict[str, int | None]
    override: RankingOverride | None

    @property
    def aggregate(self) -> ApplicationAggregate:
        return self.entry.aggregate

    @property
    def other_rank_list(self) -> list[int | None]:
        """The ranks by the other methods, in the order of `PanelRanking.others` (for templates)."""
        return list(self.other_ranks.values())


@dataclass
class PanelRanking:
    """The round's ranking as the panel sees it now (or saw it, once the recommendation is settled)."""

    round: ReviewRound
    method: RankingMethod
    quota: int | None
    aggregate: RoundAggregate
    ranking: TypeRanking
    others: dict[RankingMethod, TypeRanking]
    applications: dict[int, Application]
    # (sheet, application, expert) ids of the sheets that count; the sheets themselves are read only
    # by the pages and files that show them (`sheets`), not by the ranking
    counted: list[tuple[int, int, int]]
    overrides: list[RankingOverride]
    skipped: list[tuple[RankingOverride, list[FieldError]]] = field(default_factory=list)
    results: dict[int, RankingEntry] = field(default_factory=dict)

    @cached_property
    def sheets(self) -> list[ScoreSheet]:
        """The counted sheets with their experts and applications (one query, on first use)."""
        return list(submitted_sheets(self.round))

    @cached_property
    def rows(self) -> list[RankRow]:
        last_override = {o.application_id: o for o in self.overrides}
        other_ranks = {m: {e.application: e.rank for e in r.entries} for m, r in self.others.items()}
        return [
            RankRow(
                entry=e,
                application=self.applications[e.application],
                other_ranks={m.value: ranks.get(e.application) for m, ranks in other_ranks.items()},
                override=last_override.get(e.application) if e.overridden else None,
            )
            for e in self.ranking.entries
        ]

    @property
    def confirmed_at(self):
        """When the recommendation was settled (None while the panel sits)."""
        return min((r.created_at for r in self.results.values()), default=None)

    @property
    def tie_at_cut(self) -> list[RankedApplication]:
        return list(self.ranking.tie_at_cut)

    @property
    def open_places(self) -> int:
        return self.ranking.open_places

    def tie_message(self) -> str:
        """The tie at the cut in words, naming the applications and the places left open ("" without)."""
        tied = self.tie_at_cut
        if not tied or self.quota is None:
            return ""
        names = "、".join(
            _("“%(title)s”（%(org)s）")
            % {
                "title": self.applications[e.application].title,
                "org": self.applications[e.application].applicant.name,
            }
            for e in tied
        )
        return _(
            "申报%(names)s得分同为%(score)s分，并列第%(rank)d名，跨越推荐名额线：本批推荐名额%(quota)d个，"
            "已确定%(settled)d个，尚余%(open)d个名额待定。请专家组调整排名并写明理由"
        ) % {
            "names": names,
            "score": tied[0].score,
            "rank": tied[0].rank,
            "quota": self.quota,
            "settled": len(self.ranking.recommended),
            "open": self.open_places,
        }


def _apply_overrides(
    ranking: TypeRanking, overrides: list[RankingOverride]
) -> tuple[TypeRanking, list[tuple[RankingOverride, list[FieldError]]]]:
    skipped = []
    for row in overrides:
        try:
            ranking = panel_override(
                ranking,
                application=row.application_id,
                to_rank=row.to_rank,
                reason=row.reason,
                actor=row.created_by,
            )
        except ValidationFailed as exc:  # the sheets changed under an earlier override: shown, not applied
            skipped.append((row, exc.errors))
    return ranking, skipped


def round_ranking(review_round: ReviewRound) -> PanelRanking:
    """The ranking by the round's method, with the quota's recommendation and the panel's overrides
    applied in order; and the ranks by the other two methods, for comparison (without overrides, which
    were made on the round's method). Three queries whatever the number of sheets (four once the
    recommendation is settled: its frozen results)."""
    # only the columns the arithmetic needs: model objects for 10,000 sheets with their experts and
    # applications cost ten times the ranking itself (bench/ranking_db.py)
    rows = list(
        submitted_sheets(review_round)
        .select_related(None)
        .values_list("pk", "application_id", "expert_id", "total", "vetoes")
    )
    project_type = str(review_round.project_type_id)
    totals = [
        SheetTotal(
            application=application,
            expert=expert,
            total=total,
            project_type=project_type,
            vetoes=frozenset(vetoes or ()),
        )
        for _pk, application, expert, total, vetoes in rows
    ]
    result = aggregate(totals, disagreement_threshold=review_round.disagreement_threshold)
    quota = round_quota(review_round)
    method = RankingMethod(review_round.ranking_method)
    aggregates = list(result.applications.values())
    ranking = rank_type(aggregates, method=method, quota=quota or 0, project_type=project_type)
    overrides = list(
        RankingOverride.objects.filter(round=review_round)
        .select_related("created_by")
        .order_by("created_at", "id")
    )
    ranking, skipped = _apply_overrides(ranking, overrides)
    others = {
        m: rank_type(aggregates, method=m, quota=quota or 0, project_type=project_type)
        for m in RankingMethod
        if m != method
    }
    results = (
        {r.application_id: r for r in RankingEntry.objects.filter(round=review_round)}
        if review_round.status in PANEL_STATUSES - {ReviewRound.Status.PANEL}
        else {}
    )
    return PanelRanking(
        round=review_round,
        method=method,
        quota=quota,
        aggregate=result,
        ranking=ranking,
        others=others,
        applications=Application.objects.select_related("applicant").in_bulk(
            {application for _pk, application, _expert, _total, _vetoes in rows}
        ),
        counted=[(pk, application, expert) for pk, application, expert, _total, _vetoes in rows],
        overrides=overrides,
        skipped=skipped,
        results=results,
    )


def overrides_of(review_round: ReviewRound) -> QuerySet[RankingOverride]:
    return (
        RankingOverride.objects.filter(round=review_round)
        .select_related("created_by", "application", "application__applicant")
        .order_by("created_at", "id")
    )


# --- the indicator tree and one application's sheets --------------------------------------------


def scoring_tree(review_round: ReviewRound) -> ScoringTree | None:
    """The round's indicator system as a scoring tree (None without one, or when it cannot be built)."""
    system = review_round.indicator_system
    if system is None:
        return None
    rows = Indicator.objects.filter(system=system).order_by("position", "id")
    try:
        return ScoringTree.from_indicators(rows, total=system.total)
    except (ValueError, ArithmeticError):
        return None


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    kind: str = "expert"

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


def leaf_columns(tree: ScoringTree | None, sheets: Iterable[ScoreSheet]) -> list[Column]:
    """The scored leaves in the tree's order, then any code a sheet holds that the tree does not."""
    columns = [Column(leaf.code, leaf.name, leaf.kind) for leaf in tree.leaves.values()] if tree else []
    known = {c.code for c in columns}
    extra = sorted({code for s in sheets for code in (s.scores or {}) if code not in known})
    return columns + [Column(code, "") for code in extra]


def veto_names(tree: ScoringTree | None) -> dict[str, str]:
    return dict(tree.vetoes) if tree else {}


def first_level_names(tree: ScoringTree | None) -> dict[str, str]:
    return dict(tree.first_level) if tree else {}


def cell_value(value: Any, kind: str) -> Any:
    """A score as a spreadsheet cell: a number (a gate 1 or 0), or the text as typed."""
    if kind == "gate" or isinstance(value, bool):
        if value in (True, 1, "1", "true", "True"):
            return 1
        if value in (False, 0, "0", "false", "False"):
            return 0
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return str(value)


@dataclass(frozen=True)
class SheetView:
    """A sheet as shown: who (a name or a letter), whether it is the reader's own, its scores in column
    order, its vetoes and comments with the indicators' names."""

    sheet: ScoreSheet
    who: str
    own: bool
    cells: list[Any]
    vetoes: list[str]
    comments: list[tuple[str, str]]


def _named(code: str, names: dict[str, str]) -> str:
    return f"{code} {names.get(code, '')}".strip()


def sheet_views(
    sheets: Iterable[ScoreSheet],
    columns: list[Column],
    *,
    tree: ScoringTree | None = None,
    letters: dict[int, str] | None = None,
    viewer: ExpertProfile | None = None,
) -> list[SheetView]:
    """`letters` given: experts shown by letter (the panel's view); else by name (staff, observer)."""
    vetoes, first_level = veto_names(tree), first_level_names(tree)
    views = []
    for s in sheets:
        who = letters.get(s.expert_id, "") if letters is not None else s.expert.name
        cells = [cell_value((s.scores or {}).get(c.code), c.kind) for c in columns]
        views.append(
            SheetView(
                sheet=s,
                who=who,
                own=viewer is not None and s.expert_id == viewer.pk,
                cells=cells,
                vetoes=[_named(code, vetoes) for code in (s.vetoes or [])],
                comments=[
                    (_named(code, first_level), text) for code, text in (s.comments or {}).items() if text
                ],
            )
        )
    return views


def application_sheets(
    review_round: ReviewRound, application_id: Any
) -> tuple[Application, list[ScoreSheet]]:
    """An application the round ranks (or reviews) and every sheet it has in the round, any status."""
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound from None
    sheets = list(
        ScoreSheet.objects.filter(round=review_round, application_id=pk)
        .select_related("expert", "expert__user", "expert__employer", "application", "application__applicant")
        .order_by("expert_id")
    )
    if sheets:
        return sheets[0].application, sheets
    application = round_applications(review_round).filter(pk=pk).first()
    if application is None:
        raise NotFound
    return application, []


# --- what a panel expert sees --------------------------------------------------------------------


def panel_round_for_expert(*, actor: Actor, round_id: Any) -> tuple[ReviewRound, ExpertProfile]:
    """A round the actor reviews in (any assignment of theirs with no unwaived conflict), once it has
    reached the panel stage; else 404, before the panel as for a round they are not in."""
    try:
        pk = int(round_id)
    except (TypeError, ValueError):
        raise NotFound from None
    assignment = (
        expert_assignments(actor)
        .filter(round_id=pk, round__status__in=PANEL_STATUSES)
        .select_related("round__call__pack", "round__indicator_system", "expert__user")
        .first()
    )
    if assignment is None:
        raise NotFound
    return assignment.round, assignment.expert


def conflicted_applications(review_round: ReviewRound, expert: ExpertProfile) -> set[int]:
    """The applications the expert may not see in the round (an unwaived conflict)."""
    from .models import Conflict

    return set(
        Conflict.objects.filter(round=review_round, expert=expert, waived_at__isnull=True).values_list(
            "application_id", flat=True
        )
    )


def panel_rounds_for_expert(actor: Actor) -> QuerySet[ReviewRound]:
    """The rounds whose panel view the actor may open (for links from their own pages)."""
    return ReviewRound.objects.filter(
        pk__in=expert_assignments(actor).filter(round__status__in=PANEL_STATUSES).values("round_id")
    ).order_by("-created_at", "-id")


# --- the workbook --------------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return _("是") if value else _("否")


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def scores_workbook(
    ranking: PanelRanking,
    *,
    letters: dict[int, str] | None = None,
    hidden: set[int] | frozenset[int] = frozenset(),
) -> bytes:
    """评分明细, 汇总 and 排名 of the round. `letters` given: experts by letter (a panel expert's file);
    else by name (staff, observer). `hidden`: applications the reader may not see (left out)."""
    review_round = ranking.round
    tree = scoring_tree(review_round)
    sheets = [s for s in ranking.sheets if s.application_id not in hidden]
    columns = leaf_columns(tree, sheets)

    detail_headers = [
        _("申报"),
        _("申报单位"),
        _("专家"),
        *(c.label for c in columns),
        _("一票否决项"),
        _("总分"),
        _("推荐意见"),
        _("提交时间"),
    ]
    detail_rows = []
    for view in sheet_views(sheets, columns, tree=tree, letters=letters):
        s = view.sheet
        detail_rows.append(
            [
                s.application.title,
                s.application.applicant.name,
                view.who,
                *view.cells,
                "、".join(view.vetoes),
                s.total,
                s.get_recommendation_display() if s.recommendation else "",
                _local(s.submitted_at),
            ]
        )

    summary_headers = [
        _("申报"),
        _("申报单位"),
        _("评分表数"),
        _("算术平均分"),
        _("去掉一个最高分和一个最低分后的平均分"),
        _("标准分"),
        _("最低分"),
        _("最高分"),
        _("极差"),
        _("分歧较大"),
        _("一票否决"),
    ]
    summary_rows = []
    for row in ranking.rows:
        if row.entry.application in hidden:
            continue
        a = row.aggregate
        summary_rows.append(
            [
                row.application.title,
                row.application.applicant.name,
                a.sheets,
                a.mean,
                a.trimmed_mean,
                a.zscore,
                a.lowest,
                a.highest,
                a.spread,
                _yes(a.disagreement),
                "、".join(sorted(a.veto_codes)) if a.vetoed else _("否"),
            ]
        )

    method_labels = dict(ReviewRound.RankingMethod.choices)
    other_methods = list(ranking.others)
    ranking_headers = [
        _("名次"),
        _("申报"),
        _("申报单位"),
        _("得分（%(method)s）") % {"method": method_labels[ranking.method.value]},
        _("拟推荐"),
        _("并列"),
        _("并列跨越名额线"),
        _("经专家组调整"),
        _("调整理由"),
        *(_("名次（%(method)s）") % {"method": method_labels[m.value]} for m in other_methods),
    ]
    ranking_rows = []
    for row in ranking.rows:
        if row.entry.application in hidden:
            continue
        e = row.entry
        ranking_rows.append(
            [
                e.rank if e.rank is not None else _("一票否决"),
                row.application.title,
                row.application.applicant.name,
                e.score,
                _yes(e.recommended),
                _yes(e.tied),
                _yes(e.tie_at_cut),
                _yes(e.overridden),
                row.override.reason if row.override else "",
                *(row.other_ranks.get(m.value) or "" for m in other_methods),
            ]
        )
    return workbook_sheets_bytes(
        [
            (_("评分明细"), detail_headers, detail_rows),
            (_("汇总"), summary_headers, summary_rows),
            (_("排名"), ranking_headers, ranking_rows),
        ]
    )


def scores_filename(review_round: ReviewRound) -> str:
    return _("评分汇总-%(name)s.xlsx") % {"name": review_round.name}
