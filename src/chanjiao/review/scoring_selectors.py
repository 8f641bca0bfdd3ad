"""Every read of the scoring stage, scoped to the acting person (DESIGN "Permissions").

- an expert: their own score sheet of an application assigned to them (`sheet_of`), never one of a
  reserve or of an application they are in conflict with (a recusal is a conflict: the application
  disappears at once), and never another expert's sheet;
- province staff and the observer: every assignment of their province's rounds with the status of
  its sheet (`sheets_of_round`), and the contents of SUBMITTED sheets only: a draft is the expert's
  own until they submit it, so its scores are not even read for them;
- other experts' scores are never shown to an expert in this stage (the panel shows them, anonymised).
Outside the scope is 404, never 403.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateTimeField, DecimalField, F, Q, QuerySet, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor, Role
from chanjiao.policy.models import Indicator, IndicatorSystem

from .aggregation import ComputedIndicators, Rule, ScoringTree, computed_indicators
from .models import Assignment, ReviewRound, RoundSubject, ScoreSheet
from .selectors import assigned_application_get_for, expert_assignments, rounds_for

# How a sheet's status reads when there is no sheet yet.
NOT_STARTED = "not_started"
NOT_STARTED_LABEL = gettext_lazy("未开始")
CENT = Decimal("0.01")


# --- the indicator tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafView:
    """A scored leaf as the sheet shows it: range, share of the total, and how it is meant to be scored."""

    code: str
    name: str
    kind: str  # expert, formula or gate
    min: Decimal
    max: Decimal
    points: Decimal  # its share of the total, in points
    description: str
    how: str  # formula and gate: the rule the plan gives, for the expert to apply
    input: str = ""  # formula and gate: the code of the figure it is computed from

    @property
    def field(self) -> str:
        return f"scores.{self.code}"

    @property
    def is_gate(self) -> bool:
        return self.kind == "gate"


@dataclass(frozen=True)
class Part:
    """Leaves under one second-level indicator (code and name), or directly under the first level."""

    code: str
    name: str
    leaves: tuple[LeafView, ...]


@dataclass(frozen=True)
class Section:
    """A first-level indicator: its share of the total, its parts, and the comment the expert writes."""

    code: str
    name: str
    points: Decimal
    parts: tuple[Part, ...]

    @property
    def field(self) -> str:
        return f"comments.{self.code}"

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class VetoView:
    code: str
    name: str
    how: str
    input: str = ""


@dataclass(frozen=True)
class InputDef:
    """A figure the system's formula, gate and veto items are computed from (IndicatorSystem.inputs)."""

    code: str
    name: str
    unit: str
    type: str


@dataclass(frozen=True)
class Layout:
    """The round's indicator system ready for scoring: the arithmetic (`tree`) and what the sheet shows."""

    system_id: int
    system_name: str
    tree: ScoringTree
    sections: tuple[Section, ...]
    vetoes: tuple[VetoView, ...]
    rules: tuple[Rule, ...] = ()  # the formula, gate and veto items, for computed_indicators
    inputs: tuple[InputDef, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.tree.total

    def input_def(self, code: str) -> InputDef | None:
        return next((i for i in self.inputs if i.code == code), None)

    @property
    def leaves(self) -> list[LeafView]:
        return [leaf for s in self.sections for part in s.parts for leaf in part.leaves]


_CACHE: OrderedDict[tuple[int, str], Layout] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _input_names(system: IndicatorSystem) -> dict[str, str]:
    return {i.get("code", ""): i.get("name", "") for i in system.inputs or []}


def _condition_text(condition: dict[str, Any], inputs: dict[str, str]) -> str:
    name = inputs.get(condition.get("input", ""), condition.get("input", ""))
    if condition.get("min") not in (None, ""):
        return f"{name} ≥ {condition['min']}"
    if condition.get("equals") is not None:
        return f"{name} = {_('是') if condition['equals'] else _('否')}"
    return name


def _how(row: Indicator, inputs: dict[str, str]) -> str:
    formula = row.formula or {}
    if row.method == Indicator.Method.FORMULA and formula.get("thresholds"):
        steps = pgettext("between clauses", "；").join(
            _("≥%(min)s 得%(score)s分") % {"min": t.get("min"), "score": t.get("score")}
            for t in formula["thresholds"]
        )
        name = inputs.get(formula.get("input", ""), formula.get("input", ""))
        return _("按“%(input)s”分档：%(steps)s；低于最低档得0分") % {"input": name, "steps": steps}
    if row.method in (Indicator.Method.GATE, Indicator.Method.VETO) and formula.get("input"):
        return _condition_text(formula, inputs)
    return ""


def _layout(system: IndicatorSystem) -> Layout:
    rows = list(Indicator.objects.filter(system=system).order_by("position", "id"))
    tree = ScoringTree.from_indicators(rows, total=system.total)
    inputs = _input_names(system)
    by_code = {row.code: row for row in rows}
    parent_of = {row.pk: row for row in rows}
    sections = []
    for code, name in tree.first_level.items():
        parts: OrderedDict[str, tuple[str, list[LeafView]]] = OrderedDict()
        points = Decimal(0)
        for leaf in tree.leaves.values():
            if leaf.first_level != code:
                continue
            row = by_code[leaf.code]
            parent = parent_of.get(row.parent_id)
            # leaves under a second-level indicator are shown under its name; deeper ones too
            while parent is not None and parent.parent_id is not None and parent.level > 2:
                parent = parent_of.get(parent.parent_id)
            key = parent.code if parent is not None and parent.code != code else ""
            title = parent.name if key else ""
            view = LeafView(
                code=leaf.code,
                name=leaf.name,
                kind=leaf.kind,
                min=leaf.min.quantize(CENT),
                max=leaf.max.quantize(CENT),
                points=leaf.points,
                description=row.description,
                how=_how(row, inputs),
                input=str((row.formula or {}).get("input") or "") if leaf.kind != "expert" else "",
            )
            parts.setdefault(key, (title, []))[1].append(view)
            points += leaf.points
        sections.append(
            Section(
                code=code,
                name=name,
                points=points,
                parts=tuple(Part(k, title, tuple(leaves)) for k, (title, leaves) in parts.items()),
            )
        )
    vetoes = tuple(
        VetoView(
            code=row.code,
            name=row.name,
            how=_how(row, inputs),
            input=str((row.formula or {}).get("input") or ""),
        )
        for row in rows
        if row.method == Indicator.Method.VETO
    )
    rules = tuple(rule for row in rows if (rule := Rule.of(row)) is not None)
    input_defs = tuple(
        InputDef(
            str(i.get("code", "")), str(i.get("name", "")), str(i.get("unit", "")), str(i.get("type", ""))
        )
        for i in system.inputs or []
    )
    return Layout(system.pk, str(system), tree, tuple(sections), vetoes, rules, input_defs)


def layout_of(review_round: ReviewRound) -> Layout | None:
    """The round's indicator system for scoring, or None when the round has none yet.

    Cached per system: a system's indicators never change (staff edit a system by saving a new
    version, a new row), so its key is its id and creation time (ids are reused by test rollbacks).
    """
    system = review_round.indicator_system
    if system is None:
        return None
    key = (system.pk, system.created_at.isoformat())
    layout = _CACHE.get(key)
    if layout is None:
        layout = _layout(system)
        with _CACHE_LOCK:
            _CACHE[key] = layout
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return layout


def scoring_tree(review_round: ReviewRound) -> ScoringTree | None:
    """The ScoringTree of the round's indicator system (with its total), or None without one."""
    layout = layout_of(review_round)
    return layout.tree if layout is not None else None


# --- computed indicators (acceptance and performance rounds) ------------------------------------


@dataclass(frozen=True)
class Computation:
    """What a later round's figures give for one subject: the computed leaves and vetoes
    (aggregation.computed_indicators) and, for each formula, gate and veto item, the figure it rests
    on as the sheet shows it ("合作企业实际投入占比 35.12%", or that the figure is missing)."""

    result: ComputedIndicators
    basis: dict[str, str]

    def is_computed(self, code: str) -> bool:
        return code in self.result.values

    def is_missing(self, code: str) -> bool:
        return code in self.result.missing

    @property
    def vetoed(self) -> tuple[str, ...]:
        return self.result.vetoed


def _number_text(number: Decimal, *, grouped: bool = False) -> str:
    """10 → "10", 120.50 → "120.5", and with `grouped` 31200000 → "31,200,000"."""
    number = number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    return format(number, ",f" if grouped else "f")


def figure_text(definition: InputDef | None, code: str, value: Any) -> str:
    """An input's figure with its name and unit: 合作企业实际投入占比 35.12%, 建设资金实际总投入
    31,200,000元, 按时上报… 是; a missing figure says so."""
    name = definition.name if definition is not None else code
    kind = definition.type if definition is not None else ""
    unit = definition.unit if definition is not None else ""
    if value is None:
        return _("%(name)s 暂无数据") % {"name": name}
    if kind == "boolean" or isinstance(value, bool):
        truth = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "是")
        return f"{name} {_('是') if truth else _('否')}"
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        return f"{name} {value}"
    if not number.is_finite():
        return f"{name} {value}"
    if kind == "share":
        return f"{name} {(number * 100).quantize(CENT)}%"
    return f"{name} {_number_text(number, grouped=kind == 'money')}{unit}"


def subject_inputs(review_round: ReviewRound, application_id: Any) -> dict[str, Any] | None:
    """The figures a later round's batch computed for one of its subjects; None for a selection
    round (its formula and gate leaves are scored by the experts from the application)."""
    if review_round.kind == ReviewRound.Kind.SELECTION:
        return None
    inputs = (
        RoundSubject.objects.filter(round=review_round, application_id=application_id)
        .values_list("inputs", flat=True)
        .first()
    )
    return dict(inputs or {})


def computation_of(
    review_round: ReviewRound, application_id: Any, layout: Layout | None = None
) -> Computation | None:
    """The computed leaves and vetoes of a subject of a later round, with the figures they rest on;
    None for a selection round or a round without an indicator system."""
    layout = layout if layout is not None else layout_of(review_round)
    if layout is None:
        return None
    inputs = subject_inputs(review_round, application_id)
    if inputs is None:
        return None
    result = computed_indicators(layout.rules, inputs)
    basis = {
        rule.code: figure_text(layout.input_def(rule.input), rule.input, inputs.get(rule.input))
        for rule in layout.rules
        if rule.input
    }
    return Computation(result, basis)


def stored_score(layout: Layout, code: str, value: Decimal | int) -> Any:
    """A computed value as a sheet stores it: a gate True/False, a score as its text ("10")."""
    leaf = layout.tree.leaves[code]
    if leaf.kind == "gate":
        return bool(value)
    return _number_text(Decimal(value))


def prefill(
    layout: Layout, computation: Computation | None, scores: dict[str, Any], vetoes: list[str]
) -> None:
    """Put the computed values in `scores` (in the tree's order) and the fired vetoes in `vetoes`."""
    if computation is None:
        return
    for code, value in computation.result.values.items():
        if code in layout.tree.leaves:
            scores[code] = stored_score(layout, code, value)
    ordered = {code: scores[code] for code in [*layout.tree.leaves, *scores] if code in scores}
    scores.clear()
    scores.update(ordered)
    fired = [c for c in computation.vetoed if c not in vetoes]
    if fired:
        marked = [*vetoes, *fired]
        vetoes[:] = [c for c in layout.tree.vetoes if c in marked] + [
            c for c in marked if c not in layout.tree.vetoes
        ]


# --- the expert's own sheet ----------------------------------------------------------------------


def _sheet_or_new(assignment: Assignment) -> ScoreSheet:
    sheet = ScoreSheet.objects.filter(assignment=assignment).first()
    if sheet is None:
        # not stored: version 0 says "no sheet yet" to a client that saves the first draft
        sheet = ScoreSheet(
            assignment=assignment,
            round=assignment.round,
            expert=assignment.expert,
            application=assignment.application,
            row_version=0,
        )
        # a later round's sheet starts with what its figures give
        layout = layout_of(assignment.round)
        if layout is not None and assignment.round.kind != ReviewRound.Kind.SELECTION:
            sheet.scores, sheet.vetoes = {}, []
            prefill(
                layout,
                computation_of(assignment.round, assignment.application_id, layout),
                sheet.scores,
                sheet.vetoes,
            )
    return sheet


def sheet_of(actor: Actor, application_id: Any) -> ScoreSheet:
    """The actor's own sheet of an application assigned to them (an unsaved one, version 0, before
    the first draft). 404 when the application is not theirs to review: not assigned, a reserve,
    in conflict (a recusal included) or the round still being set up."""
    _application, assignment = assigned_application_get_for(actor=actor, application_id=application_id)
    return _sheet_or_new(assignment)


def my_progress(actor: Actor) -> tuple[int, int]:
    """(submitted, all) of the actor's own reviews: the "已提交 3 / 8" of their list."""
    qs = expert_assignments(actor)
    return qs.filter(sheet__status=ScoreSheet.Status.SUBMITTED).count(), qs.count()


# --- staff and the observer ---------------------------------------------------------------------


def _reads_province(actor: Actor) -> bool:
    return actor.is_authenticated and actor.has_role(Role.PROVINCE_ADMIN, Role.OBSERVER)


def sheets_of_round(actor: Actor, review_round: ReviewRound) -> QuerySet[Assignment]:
    """Every reviewer's assignment of the round (reserves are not reviewers), each annotated with
    `sheet_id`, `sheet_status` (None: not started), and `sheet_total` and `sheet_submitted_at`
    for submitted sheets only. A draft's scores and comments are never read here."""
    if not _reads_province(actor):
        return Assignment.objects.none()
    submitted = Q(sheet__status=ScoreSheet.Status.SUBMITTED)
    return (
        Assignment.objects.filter(round=review_round, round__in=rounds_for(actor).values("pk"), reserve=False)
        .select_related("expert", "expert__user", "expert__employer", "application", "application__applicant")
        .annotate(
            sheet_id=F("sheet__id"),
            sheet_status=F("sheet__status"),
            sheet_total=Case(
                When(submitted, then=F("sheet__total")),
                output_field=DecimalField(max_digits=7, decimal_places=2),
            ),
            sheet_submitted_at=Case(
                When(submitted, then=F("sheet__submitted_at")), output_field=DateTimeField()
            ),
        )
        .order_by("application_id", "expert_id")
    )


@dataclass
class Progress:
    """How far the scoring of a round has come: per application and per expert."""

    key: Any
    label: str
    detail: str
    submitted: int
    expected: int
    drafts: int
    recused: int
    sheets: list[Any]

    @property
    def done(self) -> bool:
        return self.submitted >= self.expected


def round_progress(actor: Actor, review_round: ReviewRound) -> tuple[list[Progress], list[Progress]]:
    """(per application, per expert) progress from `sheets_of_round`. An application expects the
    round's k reviews; an expert their assignments in the round (a recusal is not expected)."""
    k = review_round.reviews_per_application
    apps: OrderedDict[int, Progress] = OrderedDict()
    experts: dict[int, Progress] = {}
    for row in sheets_of_round(actor, review_round):
        app = apps.setdefault(
            row.application_id,
            Progress(
                row.application_id, row.application.title, row.application.applicant.name, 0, k, 0, 0, []
            ),
        )
        expert = experts.setdefault(
            row.expert_id, Progress(row.expert_id, row.expert.name, row.expert.employer.name, 0, 0, 0, 0, [])
        )
        for p in (app, expert):
            p.sheets.append(row)
            if row.sheet_status == ScoreSheet.Status.SUBMITTED:
                p.submitted += 1
            elif row.sheet_status == ScoreSheet.Status.DRAFT:
                p.drafts += 1
            elif row.sheet_status == ScoreSheet.Status.RECUSED:
                p.recused += 1
        if row.sheet_status != ScoreSheet.Status.RECUSED:
            expert.expected += 1
    return list(apps.values()), sorted(experts.values(), key=lambda p: (p.label, p.key))


def round_counts(review_round: ReviewRound) -> dict[str, int]:
    """Sheets of the round by status (for the round's overview)."""
    counts = dict(
        ScoreSheet.objects.filter(round=review_round)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in ScoreSheet.Status.values}


def sheets_for(actor: Actor) -> QuerySet[ScoreSheet]:
    """Sheets the actor may read whole: province staff and the observer the submitted sheets of
    their province's rounds; an expert their own, of applications they still review."""
    if not actor.is_authenticated:
        return ScoreSheet.objects.none()
    scope = Q(pk__in=[])
    if _reads_province(actor):
        scope |= Q(round__in=rounds_for(actor).values("pk"), status=ScoreSheet.Status.SUBMITTED)
    if actor.has_role(Role.EXPERT):
        scope |= Q(assignment__in=expert_assignments(actor).values("pk"))
    return ScoreSheet.objects.filter(scope).select_related(
        "round",
        "round__indicator_system",
        "round__call",
        "round__project_type",
        "expert",
        "expert__user",
        "expert__employer",
        "application",
        "application__applicant",
    )


def sheet_get_for(*, actor: Actor, pk: Any) -> ScoreSheet:
    try:
        return sheets_for(actor).get(pk=pk)
    except (ScoreSheet.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
