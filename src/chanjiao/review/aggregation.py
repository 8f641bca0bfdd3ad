"""Score sheets, their aggregation per application and the ranking per project type: pure functions.

Nothing here touches the database. Plain dataclasses go in and come out, so the scoring pages, the
API, the panel's pages and `bench/aggregation.py` all use the same arithmetic.

Numbers
    Scores and results are `Decimal` with two places, rounded ROUND_HALF_UP. Inside, sheet totals
    and means are computed exactly in integer cents (a leaf's share of the total is a `Fraction`);
    only the z-score needs a square root, computed with `Decimal` at 28 significant digits, and its
    result is then rounded half up to the cent like everything else.

1. The indicator tree: `ScoringTree`
    Built from plain `Node`s (`ScoringTree.build`), from a pack's indicator-system document
    (`ScoringTree.from_document`) or from `Indicator` rows (`ScoringTree.from_indicators`). A leaf's
    share of the total is its weight over the sum of its siblings' weights, times its parent's
    share, starting from the system's total (100): so a perfect sheet scores exactly the total even
    when a hand-edited tree's weights do not add up. A leaf's value counts in proportion to its
    maximum (value / max × share):
      * `expert`: a number within [min, max], at most two decimal places;
      * `formula`: the number computed from the application's figures (the threshold's score),
        within [min, max] where max is the highest threshold's score;
      * `gate`: passed (True or 1) gives the whole share, failed (False or 0) nothing.
    Veto items (一票否决) are codes an expert may mark on a sheet; a veto on any sheet marks the
    application vetoed.

2. A sheet: `validate_sheet`, `sheet_total`
    `validate_sheet` returns every problem at once as `FieldError`s (`scores.<leaf>`,
    `vetoes.<code>`, `comments.<first-level code>`); a draft (`draft=True`) may leave leaves and
    comments empty, but what it gives is checked. `sheet_total` raises `ValidationFailed` with the
    same errors when a value cannot be counted.

3. A round: `aggregate`
    Over the submitted sheets of one round (drafts and recused experts' sheets are left out by the
    caller), per application:
      * `mean`: the arithmetic mean of the sheet totals;
      * `trimmed_mean`: drops one highest and one lowest total when there are at least 5 sheets;
        with fewer it is the plain mean and `trimmed` is False;
      * `zscore`: each expert's totals across every application they scored in the round are turned
        into z = (x − μₑ) / σₑ (population standard deviation); an expert with one sheet or σₑ = 0
        keeps z = 0 and is listed in `unnormalised_experts`. The application's mean z is mapped
        back onto the round's scale, μ + z̄ · σ (μ, σ over all sheets of the round), so it reads as
        points. A harsh expert then pulls an application down no more than a lenient one lifts it;
      * `spread` = highest − lowest total, and `disagreement` when the spread is above the
        threshold (15 points unless the call says otherwise).

4. Ranking: `rank`, `rank_type`, `panel_override`
    Per project type, by the method the call chose (`RankingMethod`). Equal scores (to the cent)
    share a rank, competition style (1, 2, 2, 4). Vetoed applications come last, without a rank,
    and are never recommended. Of the quota, every application whose whole tie group fits is
    recommended; a tie group that straddles the cut is marked `tie_at_cut` (none of it recommended,
    none of it dropped) and the places it leaves open are `open_places`, for the panel to decide.
    The panel may move an application to another rank only with a reason (`panel_override`); the
    override is recorded with the rank and recommendation before and after.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction
from operator import attrgetter
from typing import Any

from django.utils.translation import gettext as _

from chanjiao.core.errors import ErrorCollector, FieldError, ValidationFailed

HUNDRED = Decimal(100)
TRIM_MIN_SHEETS = 5
DEFAULT_DISAGREEMENT_THRESHOLD = Decimal("15")
LEAF_KINDS = ("expert", "formula", "gate")
_Z_PLACES = Decimal("0.0001")


# --- numbers ----------------------------------------------------------------------------------


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero on a tie), as ROUND_HALF_UP does."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def _points(cents: int) -> Decimal:
    """Integer cents as points with two places: 8150 → Decimal('81.50')."""
    return Decimal(cents).scaleb(-2)


def _cents(value: Decimal, what: str) -> int:
    scaled = Decimal(value).scaleb(2)
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"{what} must be a number with at most two decimal places, not {value!r}")
    return int(scaled)


def _text(number: Decimal) -> str:
    """20 → '20', 12.50 → '12.5' (for messages)."""
    return format(number.normalize(), "f")


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or its text, or None (booleans are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, (str, float)):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


# --- the indicator tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One indicator as plain data: a group, a leaf (expert, formula, gate) or a veto item.

    `parent` is the parent's code (None at the first level). `min`/`max` are the leaf's range:
    required for expert and formula leaves, ignored for gates (0 / 1) and groups.
    """

    code: str
    weight: Decimal = Decimal(0)
    kind: str = "group"
    parent: str | None = None
    name: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    required: bool = True


@dataclass(frozen=True)
class Leaf:
    """A scored leaf: its range, whether a submitted sheet must score it, and its share of the total."""

    code: str
    name: str
    kind: str
    min: Decimal
    max: Decimal
    required: bool
    first_level: str
    share: Fraction

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def points(self) -> Decimal:
        """The leaf's share of the total in points (two places, for display)."""
        return _points(_round_div(self.share.numerator * 100, self.share.denominator))


@dataclass(frozen=True)
class ScoringTree:
    """The leaves, first-level indicators and veto items of an indicator system, ready for scoring.

    `leaves` is keyed by code in the tree's order; `first_level` and `vetoes` map code → name.
    """

    leaves: Mapping[str, Leaf]
    first_level: Mapping[str, str]
    vetoes: Mapping[str, str]
    total: Decimal = HUNDRED
    # a sheet's total in cents is Σ value_cents × _numerators[i] / _denominator, exactly
    _numerators: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _denominator: int = field(init=False, repr=False, compare=False)
    # per leaf: (code, is a gate, lowest and highest value in cents, the leaf) for reading a sheet
    _reading: tuple[tuple[str, bool, int, int, Leaf], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reading = tuple(
            (leaf.code, leaf.kind == "gate", math.ceil(leaf.min * 100), math.floor(leaf.max * 100), leaf)
            for leaf in self.leaves.values()
        )
        object.__setattr__(self, "_reading", reading)
        factors = [
            leaf.share / Fraction(leaf.max) if leaf.max > 0 else Fraction(0) for leaf in self.leaves.values()
        ]
        denominator = math.lcm(1, *(f.denominator for f in factors))
        object.__setattr__(self, "_numerators", tuple(int(f * denominator) for f in factors))
        object.__setattr__(self, "_denominator", denominator)

    @classmethod
    def build(cls, nodes: Iterable[Node], *, total: Decimal = HUNDRED) -> ScoringTree:
        """The tree from its nodes in display order. A malformed tree is a programming error: ValueError."""
        nodes = list(nodes)
        codes = [n.code for n in nodes]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"indicator codes appear twice: {duplicates}")
        known = set(codes)
        children: dict[str | None, list[Node]] = defaultdict(list)
        vetoes: dict[str, str] = {}
        for node in nodes:
            if node.kind == "veto":
                vetoes[node.code] = node.name
                continue
            if node.kind not in ("group", *LEAF_KINDS):
                raise ValueError(f"indicator {node.code}: unknown kind {node.kind!r}")
            if node.parent is not None and node.parent not in known:
                raise ValueError(f"indicator {node.code}: unknown parent {node.parent!r}")
            children[node.parent].append(node)
        if not children[None]:
            raise ValueError("an indicator tree needs at least one first-level indicator")

        leaves: dict[str, Leaf] = {}

        def walk(siblings: list[Node], share: Fraction, first_level: str | None) -> None:
            weights = sum((Fraction(n.weight) for n in siblings), Fraction(0))
            for node in siblings:
                own = share * Fraction(node.weight) / weights if weights else Fraction(0)
                top = first_level or node.code
                if children.get(node.code):
                    if node.kind != "group":
                        raise ValueError(f"indicator {node.code} has children, so it must be a group")
                    walk(children[node.code], own, top)
                    continue
                if node.kind == "group":
                    raise ValueError(f"indicator {node.code} is a group without children")
                if node.kind == "gate":
                    low, high = Decimal(0), Decimal(1)
                elif node.min is None or node.max is None:
                    raise ValueError(f"indicator {node.code}: a {node.kind} leaf needs min and max")
                else:
                    low, high = Decimal(node.min), Decimal(node.max)
                    if not 0 <= low <= high:
                        raise ValueError(f"indicator {node.code}: range [{low}, {high}] is not 0 ≤ min ≤ max")
                leaves[node.code] = Leaf(node.code, node.name, node.kind, low, high, node.required, top, own)

        walk(children[None], Fraction(total), None)
        first_level = {n.code: n.name for n in children[None]}
        return cls(leaves=leaves, first_level=first_level, vetoes=vetoes, total=Decimal(total))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ScoringTree:
        """From an indicator system as a pack writes it (`indicators` with `children`, `vetoes`)."""
        nodes: list[Node] = []

        def add(items: Iterable[Mapping[str, Any]], parent: str | None) -> None:
            for item in items:
                method = item.get("method", "group")
                low = high = None
                if item.get("range"):
                    low, high = item["range"]
                elif method == "formula":
                    low = 0
                    high = max(Decimal(str(t["score"])) for t in item["formula"]["thresholds"])
                nodes.append(
                    Node(
                        code=str(item["code"]),
                        weight=Decimal(str(item["weight"])),
                        kind=method,
                        parent=parent,
                        name=item.get("name", ""),
                        min=None if low is None else Decimal(str(low)),
                        max=None if high is None else Decimal(str(high)),
                    )
                )
                add(item.get("children", []), str(item["code"]))

        add(document["indicators"], None)
        nodes.extend(
            Node(code=str(v["code"]), kind="veto", name=v.get("name", "")) for v in document.get("vetoes", [])
        )
        return cls.build(nodes, total=Decimal(str(document.get("total", HUNDRED))))

    @classmethod
    def from_indicators(cls, indicators: Iterable[Any], *, total: Decimal = HUNDRED) -> ScoringTree:
        """From `policy.models.Indicator` rows (or anything with their attributes), in position order.

        Reads `pk`, `parent_id`, `code`, `name`, `method`, `weight`, `min_score`, `max_score` and, for
        formula leaves without a range, the highest threshold score in `formula`.
        """
        rows = list(indicators)
        code_of = {row.pk: row.code for row in rows}
        nodes = []
        for row in rows:
            low, high = row.min_score, row.max_score
            if row.method == "formula" and high is None:
                thresholds = (row.formula or {}).get("thresholds") or []
                low = Decimal(0)
                high = max((Decimal(str(t["score"])) for t in thresholds), default=Decimal(row.weight))
            nodes.append(
                Node(
                    code=row.code,
                    weight=row.weight,
                    kind=row.method,
                    parent=code_of.get(row.parent_id),
                    name=row.name,
                    min=low,
                    max=high,
                )
            )
        return cls.build(nodes, total=total)


# --- one sheet --------------------------------------------------------------------------------


def _gate(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    number = _decimal(value)
    if number is not None and number in (0, 1):
        return number == 1
    return None


def _read(tree: ScoringTree, scores: Mapping[str, Any], errors: ErrorCollector, *, draft: bool) -> list[int]:
    """Each leaf's value in cents, in tree order (0 when left empty or refused); problems go to `errors`.

    The common case (a number or its text, within range) is read inline; anything else goes to
    `_read_slowly`, which names the problem.
    """
    values: list[int] = []
    for code, is_gate, low, high, leaf in tree._reading:
        raw = scores.get(code)
        kind = raw.__class__
        if is_gate:
            if kind is bool:
                values.append(100 if raw else 0)
                continue
        elif kind is str or kind is Decimal or kind is int:
            try:
                scaled = Decimal(raw).scaleb(2)
                cents = int(scaled)  # NaN and infinity raise here
            except (InvalidOperation, ValueError, OverflowError):
                pass
            else:
                if cents == scaled and low <= cents <= high:
                    values.append(cents)
                    continue
        values.append(_read_slowly(leaf, raw, errors, draft=draft))
    return values


def _read_slowly(leaf: Leaf, raw: Any, errors: ErrorCollector, *, draft: bool) -> int:
    field_name = f"scores.{leaf.code}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if leaf.required and not draft:
            errors.add(
                field_name,
                "score.missing_leaf",
                _("请为“%(leaf)s”评分（当前：空，评分范围 %(min)s–%(max)s）")
                % {"leaf": leaf.label, "min": _text(leaf.min), "max": _text(leaf.max)},
            )
        return 0
    if leaf.kind == "gate":
        passed = _gate(raw)
        if passed is None:
            errors.add(
                field_name,
                "score.gate_not_pass_fail",
                _("“%(leaf)s”为达标判定，应为达标（1）或不达标（0）（当前：%(cur)s）")
                % {"leaf": leaf.label, "cur": raw},
            )
        return 100 if passed else 0
    number = _decimal(raw)
    if number is None:
        errors.add(
            field_name,
            "score.not_a_number",
            _("“%(leaf)s”的评分应为数字（当前：%(cur)s）") % {"leaf": leaf.label, "cur": raw},
        )
        return 0
    scaled = number.scaleb(2)
    if scaled != scaled.to_integral_value():
        errors.add(
            field_name,
            "score.too_precise",
            _("“%(leaf)s”的评分最多保留两位小数（当前：%(cur)s）") % {"leaf": leaf.label, "cur": raw},
        )
        return 0
    if number < leaf.min or number > leaf.max:
        errors.add(
            field_name,
            "score.out_of_range",
            _("“%(leaf)s”的评分应在 %(min)s–%(max)s 之间（当前：%(cur)s）")
            % {"leaf": leaf.label, "min": _text(leaf.min), "max": _text(leaf.max), "cur": _text(number)},
        )
        return 0
    return int(scaled)


def validate_sheet(
    tree: ScoringTree,
    scores: Mapping[str, Any],
    vetoes: Collection[str] = (),
    comments: Mapping[str, str] | None = None,
    *,
    draft: bool = False,
) -> list[FieldError]:
    """Every problem of a score sheet, in the tree's order (empty when it may be submitted).

    `scores` maps leaf code → value (a number, its text, or for a gate True/False/1/0); `vetoes` are
    the veto codes the expert marked; `comments` maps first-level code → the expert's comment.
    A draft may leave scores and comments empty; what it does give is checked all the same.
    """
    errors = ErrorCollector()
    _read(tree, scores, errors, draft=draft)
    for code in scores:
        if code not in tree.leaves:
            errors.add(
                f"scores.{code}",
                "score.unknown_leaf",
                _("指标体系中没有可评分的指标“%(cur)s”（可评分：%(ok)s）")
                % {"cur": code, "ok": "、".join(tree.leaves) or "—"},
            )
    for code in vetoes:
        if code not in tree.vetoes:
            errors.add(
                f"vetoes.{code}",
                "veto.unknown",
                _("指标体系中没有否决项“%(cur)s”（可选：%(ok)s）")
                % {"cur": code, "ok": "、".join(tree.vetoes) or "—"},
            )
    comments = comments or {}
    for code in comments:
        if code not in tree.first_level:
            errors.add(
                f"comments.{code}",
                "comment.unknown_indicator",
                _("“%(cur)s”不是一级指标，评审意见应按一级指标填写（一级指标：%(ok)s）")
                % {"cur": code, "ok": "、".join(tree.first_level)},
            )
    if not draft:
        for code, name in tree.first_level.items():
            if not str(comments.get(code) or "").strip():
                errors.add(
                    f"comments.{code}",
                    "comment.missing_first_level",
                    _("请填写对一级指标“%(leaf)s”的评审意见（当前：空）")
                    % {"leaf": f"{code} {name}".strip()},
                )
    return errors.errors


def sheet_total(tree: ScoringTree, scores: Mapping[str, Any], *, draft: bool = False) -> Decimal:
    """The sheet's weighted total, two places; a perfect sheet scores `tree.total` (100).

    Each leaf counts value / max × its share of the total; a passed gate its whole share. Raises
    `ValidationFailed` (the errors of `validate_sheet`'s scores part) when a value cannot be counted.
    With `draft=True` empty leaves count 0 (a running total while the expert scores).
    """
    errors = ErrorCollector()
    values = _read(tree, scores, errors, draft=draft)
    errors.raise_if_any(ValidationFailed)
    weighted = sum(v * n for v, n in zip(values, tree._numerators, strict=True))
    return _points(_round_div(weighted, tree._denominator))


# --- a round ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetTotal:
    """A submitted sheet as aggregation sees it: whose, for which application, its total and vetoes."""

    application: Hashable
    expert: Hashable
    total: Decimal
    project_type: str = ""
    vetoes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.vetoes, frozenset):
            object.__setattr__(self, "vetoes", frozenset(self.vetoes))


@dataclass(frozen=True)
class ExpertStats:
    """One expert's totals across the round. `normalised` is False when z was kept at 0."""

    expert: Hashable
    sheets: int
    mean: Decimal
    std: Decimal
    normalised: bool


@dataclass(frozen=True)
class ExpertScore:
    """One sheet of an application: the expert, the total, and its z (four places, for display)."""

    expert: Hashable
    total: Decimal
    z: Decimal
    normalised: bool


class RankingMethod(StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    ZSCORE = "zscore"


@dataclass(frozen=True)
class ApplicationAggregate:
    """The three scores of an application and what a panel should notice about them."""

    application: Hashable
    project_type: str
    sheets: int
    mean: Decimal
    trimmed_mean: Decimal
    trimmed: bool  # False: fewer than 5 sheets, so trimmed_mean is the plain mean
    zscore: Decimal
    mean_z: Decimal
    unnormalised_experts: tuple[Hashable, ...]  # experts whose z was kept at 0 (one sheet or σ = 0)
    lowest: Decimal
    highest: Decimal
    spread: Decimal
    disagreement: bool
    vetoed: bool
    veto_codes: frozenset[str]
    vetoed_by: tuple[Hashable, ...]
    scores: tuple[ExpertScore, ...]

    def score(self, method: RankingMethod | str) -> Decimal:
        """The score by `method`: each method's value names the field that holds it."""
        return getattr(self, RankingMethod(method).value)


@dataclass(frozen=True)
class RoundAggregate:
    """Every application's aggregate, every expert's statistics, and the round's scale."""

    applications: Mapping[Hashable, ApplicationAggregate]
    experts: Mapping[Hashable, ExpertStats]
    sheets: int
    mean: Decimal
    std: Decimal
    disagreement_threshold: Decimal


def _sqrt(value: int) -> Decimal:
    return Decimal(value).sqrt()


def aggregate(
    sheets: Iterable[SheetTotal], *, disagreement_threshold: Decimal = DEFAULT_DISAGREEMENT_THRESHOLD
) -> RoundAggregate:
    """Mean, trimmed mean, z-score mean, spread and vetoes per application over a round's submitted sheets.

    One sheet per expert and application (a second is a ValueError); an application's sheets must
    name the same project type. Standard deviations are population ones (divided by n).
    """
    threshold = _cents(disagreement_threshold, "disagreement_threshold")
    by_application: dict[Hashable, list[tuple[Hashable, int, frozenset[str]]]] = defaultdict(list)
    types: dict[Hashable, str] = {}
    by_expert: dict[Hashable, list[int]] = defaultdict(list)
    seen: set[tuple[Hashable, Hashable]] = set()
    for sheet in sheets:
        key = (sheet.application, sheet.expert)
        if key in seen:
            raise ValueError(f"expert {sheet.expert!r} has two sheets for application {sheet.application!r}")
        seen.add(key)
        if types.setdefault(sheet.application, sheet.project_type) != sheet.project_type:
            raise ValueError(f"application {sheet.application!r} has sheets of two project types")
        cents = _cents(sheet.total, "a sheet's total")
        by_application[sheet.application].append((sheet.expert, cents, sheet.vetoes))
        by_expert[sheet.expert].append(cents)

    with localcontext() as context:
        context.prec = 28
        context.rounding = ROUND_HALF_UP

        # per expert: z = (n·x − Σx) / √(n·Σx² − (Σx)²), the same as (x − μ) / σ, in exact integers
        expert_z: dict[Hashable, tuple[int, int, Decimal | None]] = {}
        experts: dict[Hashable, ExpertStats] = {}
        for expert, values in by_expert.items():
            n, total = len(values), sum(values)
            spread = n * sum(v * v for v in values) - total * total
            root = _sqrt(spread) if n > 1 and spread > 0 else None
            expert_z[expert] = (n, total, root)
            experts[expert] = ExpertStats(
                expert=expert,
                sheets=n,
                mean=_points(_round_div(total, n)),
                std=(_sqrt(spread) / n).scaleb(-2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                normalised=root is not None,
            )

        all_n = len(seen)
        all_sum = sum(sum(v) for v in by_expert.values())
        all_spread = all_n * sum(v * v for values in by_expert.values() for v in values) - all_sum * all_sum
        round_mean = Decimal(all_sum) / all_n if all_n else Decimal(0)
        round_std = _sqrt(all_spread) / all_n if all_n else Decimal(0)

        applications: dict[Hashable, ApplicationAggregate] = {}
        for application, rows in by_application.items():
            values = [cents for _expert, cents, _vetoes in rows]
            n, total = len(values), sum(values)
            low, high = min(values), max(values)
            trimmed = n >= TRIM_MIN_SHEETS
            zs: list[Decimal] = []
            scores: list[ExpertScore] = []
            for expert, cents, _vetoes in rows:
                size, expert_sum, root = expert_z[expert]
                z = Decimal(size * cents - expert_sum) / root if root is not None else Decimal(0)
                zs.append(z)
                scores.append(ExpertScore(expert, _points(cents), z.quantize(_Z_PLACES), root is not None))
            mean_z = sum(zs, Decimal(0)) / n
            normalised = (round_mean + mean_z * round_std).to_integral_value(rounding=ROUND_HALF_UP)
            veto_codes = frozenset().union(*(v for _e, _c, v in rows))
            applications[application] = ApplicationAggregate(
                application=application,
                project_type=types[application],
                sheets=n,
                mean=_points(_round_div(total, n)),
                trimmed_mean=_points(
                    _round_div(total - low - high, n - 2) if trimmed else _round_div(total, n)
                ),
                trimmed=trimmed,
                zscore=_points(int(normalised)),
                mean_z=mean_z.quantize(_Z_PLACES),
                unnormalised_experts=tuple(e for e, _c, _v in rows if expert_z[e][2] is None),
                lowest=_points(low),
                highest=_points(high),
                spread=_points(high - low),
                disagreement=high - low > threshold,
                vetoed=bool(veto_codes),
                veto_codes=veto_codes,
                vetoed_by=tuple(e for e, _c, v in rows if v),
                scores=tuple(scores),
            )
        return RoundAggregate(
            applications=applications,
            experts=experts,
            sheets=all_n,
            mean=_points(_round_div(all_sum, all_n) if all_n else 0),
            std=_points(int(round_std.to_integral_value(rounding=ROUND_HALF_UP))),
            disagreement_threshold=_points(threshold),
        )


# --- ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedApplication:
    """A row of a ranking. `rank` is None for a vetoed application (listed last, never recommended)."""

    application: Hashable
    project_type: str
    score: Decimal
    rank: int | None
    tied: bool  # shares its rank with another application
    recommended: bool
    tie_at_cut: bool  # in a tie group that straddles the quota: the panel decides
    vetoed: bool
    overridden: bool
    aggregate: ApplicationAggregate


@dataclass(frozen=True)
class Override:
    """A panel's decision to move an application, with its reason and what it changed."""

    application: Hashable
    before_rank: int
    after_rank: int
    before_recommended: bool
    after_recommended: bool
    reason: str
    actor: Any = None


@dataclass(frozen=True)
class TypeRanking:
    """The ranking of one project type by one method, with the quota's recommendation."""

    project_type: str
    method: RankingMethod
    quota: int
    entries: tuple[RankedApplication, ...]
    overrides: tuple[Override, ...] = ()

    @property
    def recommended(self) -> tuple[RankedApplication, ...]:
        return tuple(e for e in self.entries if e.recommended)

    @property
    def tie_at_cut(self) -> tuple[RankedApplication, ...]:
        return tuple(e for e in self.entries if e.tie_at_cut)

    @property
    def open_places(self) -> int:
        """Places of the quota left open because a tie straddles the cut (0 without such a tie)."""
        if not any(e.tie_at_cut for e in self.entries):
            return 0
        return self.quota - len(self.recommended)

    def entry(self, application: Hashable) -> RankedApplication | None:
        return next((e for e in self.entries if e.application == application), None)


def _settle(
    ordered: list[ApplicationAggregate],
    vetoed: list[ApplicationAggregate],
    *,
    project_type: str,
    method: RankingMethod,
    quota: int,
    overridden: frozenset[Hashable],
    overrides: tuple[Override, ...] = (),
) -> TypeRanking:
    """Ranks `ordered` as it stands: neighbours with equal scores share a rank unless either was moved."""
    score_of = attrgetter(method.value)
    scores = [score_of(a) for a in ordered]
    ranks: list[int] = []
    for i, agg in enumerate(ordered):
        same = (
            i > 0
            and scores[i] == scores[i - 1]
            and agg.application not in overridden
            and ordered[i - 1].application not in overridden
        )
        ranks.append(ranks[-1] if same else i + 1)
    group_size: dict[int, int] = defaultdict(int)
    for rank in ranks:
        group_size[rank] += 1
    entries = []
    for agg, score, rank in zip(ordered, scores, ranks, strict=True):
        last = rank + group_size[rank] - 1
        entries.append(
            RankedApplication(
                application=agg.application,
                project_type=project_type,
                score=score,
                rank=rank,
                tied=group_size[rank] > 1,
                recommended=last <= quota,
                tie_at_cut=rank <= quota < last,
                vetoed=False,
                overridden=agg.application in overridden,
                aggregate=agg,
            )
        )
    entries.extend(
        RankedApplication(
            application=agg.application,
            project_type=project_type,
            score=score_of(agg),
            rank=None,
            tied=False,
            recommended=False,
            tie_at_cut=False,
            vetoed=True,
            overridden=False,
            aggregate=agg,
        )
        for agg in vetoed
    )
    return TypeRanking(project_type, method, quota, tuple(entries), overrides)


def rank_type(
    aggregates: Iterable[ApplicationAggregate],
    *,
    method: RankingMethod | str,
    quota: int,
    project_type: str = "",
) -> TypeRanking:
    """One project type's ranking: highest score first, equal scores by application id (ties still share
    their rank), vetoed applications last; the top `quota` recommended, a tie at the cut shown."""
    method = RankingMethod(method)
    if quota < 0:
        raise ValueError(f"quota must not be negative, not {quota}")
    aggregates = list(aggregates)
    score_of = attrgetter(method.value)
    ordered = sorted((a for a in aggregates if not a.vetoed), key=lambda a: (-score_of(a), a.application))
    vetoed = sorted((a for a in aggregates if a.vetoed), key=lambda a: (-score_of(a), a.application))
    return _settle(
        ordered, vetoed, project_type=project_type, method=method, quota=quota, overridden=frozenset()
    )


def rank(
    aggregates: RoundAggregate | Iterable[ApplicationAggregate],
    *,
    method: RankingMethod | str,
    quota: int | Mapping[str, int],
) -> dict[str, TypeRanking]:
    """A ranking per project type (sorted by type code). `quota` is one number for every type, or
    a number per type (a type without one is a ValueError: no quota is never silently zero)."""
    if isinstance(aggregates, RoundAggregate):
        aggregates = aggregates.applications.values()
    by_type: dict[str, list[ApplicationAggregate]] = defaultdict(list)
    for agg in aggregates:
        by_type[agg.project_type].append(agg)
    if isinstance(quota, Mapping):
        missing = sorted(t for t in by_type if t not in quota)
        if missing:
            raise ValueError(f"no quota for project types {missing}")
    return {
        project_type: rank_type(
            by_type[project_type],
            method=method,
            quota=quota[project_type] if isinstance(quota, Mapping) else quota,
            project_type=project_type,
        )
        for project_type in sorted(by_type)
    }


def panel_override(
    ranking: TypeRanking, *, application: Hashable, to_rank: int, reason: str, actor: Any = None
) -> TypeRanking:
    """The ranking with `application` moved to rank `to_rank` by the panel, for a recorded reason.

    The application is taken out and put back at position `to_rank`; the others keep their order
    and the ranks, ties and recommendation are worked out again. A moved application shares its
    rank with nobody. Refused (ValidationFailed) without a reason, for an application that is not
    ranked here or was vetoed, or for a rank outside 1…(ranked applications).
    """
    errors = ErrorCollector()
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", "ranking.override_reason_required", _("调整排名须填写理由（当前：空）"))
    ranked = [e for e in ranking.entries if not e.vetoed]
    entry = ranking.entry(application)
    if entry is None:
        errors.add(
            "application",
            "ranking.override_unknown_application",
            _("该申报书不在本项目类型的排名中（当前：%(cur)s）") % {"cur": application},
        )
    elif entry.vetoed:
        errors.add(
            "application",
            "ranking.override_vetoed",
            _("该申报书已被一票否决（%(codes)s），不能调整排名")
            % {"codes": "、".join(sorted(entry.aggregate.veto_codes))},
        )
    if isinstance(to_rank, bool) or not isinstance(to_rank, int) or not 1 <= to_rank <= len(ranked):
        errors.add(
            "to_rank",
            "ranking.override_rank_out_of_range",
            _("调整后的名次应在 1–%(max)s 之间（当前：%(cur)s）") % {"max": len(ranked), "cur": to_rank},
        )
    errors.raise_if_any(ValidationFailed)
    assert entry is not None

    order = [e.aggregate for e in ranked if e.application != application]
    order.insert(to_rank - 1, entry.aggregate)
    overridden = frozenset(e.application for e in ranking.entries if e.overridden) | {application}
    vetoed = [e.aggregate for e in ranking.entries if e.vetoed]
    settled = _settle(
        order,
        vetoed,
        project_type=ranking.project_type,
        method=ranking.method,
        quota=ranking.quota,
        overridden=overridden,
    )
    after = settled.entry(application)
    assert after is not None
    assert after.rank is not None
    record = Override(
        application=application,
        before_rank=entry.rank or 0,
        after_rank=after.rank,
        before_recommended=entry.recommended,
        after_recommended=after.recommended,
        reason=reason,
        actor=actor,
    )
    return TypeRanking(
        settled.project_type, settled.method, settled.quota, settled.entries, (*ranking.overrides, record)
    )


# --- computed indicators (acceptance and performance rounds) ------------------------------------

# A figure meets a minimum when it reaches it to this many decimal places (or to the figure's own
# places when it has more): shares are computed from the reports to four places, so a share of
# exactly a third arrives as 0.3333 and must meet "1/3", while 0.3 (30%) must not.
MIN_PLACES = 4
COMPUTED_KINDS = ("formula", "gate", "veto")
_TRUE_TEXTS = ("true", "1", "yes", "是", "达标")
_FALSE_TEXTS = ("false", "0", "no", "否", "不达标")


@dataclass(frozen=True)
class Rule:
    """A computed indicator as plain data: a formula leaf, a gate leaf or a veto item.

    `formula` is the indicator's `formula` field: `{input, thresholds: [{min, score}]}` for a
    formula leaf, `{input, min}` or `{input, equals}` for a gate or a veto (whose condition is what
    must hold: a veto fires when it fails).
    """

    code: str
    kind: str  # formula, gate or veto
    formula: Mapping[str, Any]

    @property
    def input(self) -> str:
        return str((self.formula or {}).get("input") or "")

    @classmethod
    def of(cls, item: Any) -> Rule | None:
        """From an `Indicator` row, a mapping with its fields, or a Rule; None for what is not computed."""
        if isinstance(item, Rule):
            return item
        get = (
            item.get if isinstance(item, Mapping) else lambda name, default=None: getattr(item, name, default)
        )
        kind = get("method", None) or get("kind", None)
        if kind not in COMPUTED_KINDS:
            return None
        return cls(code=str(get("code", "")), kind=str(kind), formula=dict(get("formula", None) or {}))


@dataclass(frozen=True)
class ComputedIndicators:
    """What the figures give: `values` leaf code → computed value (a formula leaf's score as a
    Decimal, a gate's 1 or 0), `vetoed` the veto codes whose condition fails, `missing` the leaf and
    veto codes whose figure is missing (left to the expert), each in the rules' order."""

    values: Mapping[str, Decimal | int]
    vetoed: tuple[str, ...]
    missing: tuple[str, ...]

    def is_computed(self, code: str) -> bool:
        return code in self.values


def _fraction(value: Any) -> Fraction | None:
    """A number, its decimal text or a fraction text ("1/3") as an exact Fraction; None otherwise."""
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, float):
        return Fraction(str(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _places(value: Any) -> int:
    """The decimal places a figure is given to (0 for an integer or a fraction text)."""
    if isinstance(value, bool | int | Fraction):
        return 0
    text = str(value).strip()
    if "/" in text or "." not in text:
        return 0
    try:
        exponent = Decimal(text.replace(",", "")).as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _reaches(value: Fraction, places: int, minimum: Fraction) -> bool:
    """value ≥ minimum, the minimum taken to max(MIN_PLACES, places) decimal places (half up)."""
    if value >= minimum:
        return True
    scale = 10 ** max(MIN_PLACES, places)
    return value * scale >= _round_div(minimum.numerator * scale, minimum.denominator)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXTS:
            return True
        if text in _FALSE_TEXTS:
            return False
    return None


def _condition_met(condition: Mapping[str, Any], value: Any) -> bool | None:
    """Whether a gate's or veto's condition holds for the figure; None when it cannot be told."""
    if condition.get("equals") is not None:
        wanted, got = _truth(condition["equals"]), _truth(value)
        return None if wanted is None or got is None else got == wanted
    minimum = _fraction(condition.get("min"))
    number = _fraction(value)
    if minimum is None or number is None:
        return None
    return _reaches(number, _places(value), minimum)


def _formula_score(formula: Mapping[str, Any], value: Any) -> Decimal | None:
    """The highest threshold score whose min the figure reaches, 0 below every threshold; None when
    the figure is not a number."""
    number = _fraction(value)
    if number is None or isinstance(value, bool):
        return None
    places = _places(value)
    reached = [
        Decimal(str(t["score"]))
        for t in formula.get("thresholds") or []
        if (minimum := _fraction(t.get("min"))) is not None and _reaches(number, places, minimum)
    ]
    return max(reached, default=Decimal(0))


def computed_indicators(rules: Iterable[Any], inputs: Mapping[str, Any] | None) -> ComputedIndicators:
    """The computed value of every formula and gate leaf, the vetoes that fire and what is missing.

    `rules` are indicator rows (or mappings with `code`, `method`, `formula`, or `Rule`s); rows of
    other methods are passed over. `inputs` maps input code → figure (a number, decimal or fraction
    text, a boolean; None or absent when the reports say nothing). A leaf or veto whose figure is
    missing, or is not of a kind its rule can read, is listed in `missing` and computed not at all.
    """
    inputs = inputs or {}
    values: dict[str, Decimal | int] = {}
    vetoed: list[str] = []
    missing: list[str] = []
    for item in rules:
        rule = Rule.of(item)
        if rule is None:
            continue
        value = inputs.get(rule.input) if rule.input else None
        if rule.kind == "formula":
            score = None if value is None else _formula_score(rule.formula, value)
            if score is None:
                missing.append(rule.code)
            else:
                values[rule.code] = score
            continue
        met = None if value is None else _condition_met(rule.formula, value)
        if met is None:
            missing.append(rule.code)
        elif rule.kind == "gate":
            values[rule.code] = 1 if met else 0
        elif not met:
            vetoed.append(rule.code)
    return ComputedIndicators(values=values, vetoed=tuple(vetoed), missing=tuple(missing))
