"""Review arithmetic at province scale: validating and totalling score sheets, aggregating and ranking.

    .venv/bin/python bench/aggregation.py [--applications 2000] [--experts 600] [--per-application 5]

Generates the data deterministically (a fixed seed): an indicator tree of 20 leaves under five
first-level indicators (17 expert leaves, 2 formula leaves, 1 gate, 2 veto items), applications of
four project types, each scored by 5 experts drawn from a pool of 600, each expert harsh or lenient
by a few points of their own. Scores arrive as text, as a form posts them. No database.

Times each step (best and median of --repeat runs):
  validate + total   validate_sheet and sheet_total for every sheet
  aggregate          mean, trimmed mean, z-score, spread and vetoes for every application
  rank ×3            the ranking per project type by each of the three methods, with a quota
The aim is aggregation and ranking of 10,000 sheets under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

from _setup import setup_django

PROJECT_TYPES = ("integration-platform", "training-base", "enterprise", "community")


def build_tree():
    from chanjiao.review.aggregation import Node, ScoringTree

    nodes = []
    # five first-level indicators of 20 points, four leaves of 5 points each
    for top in range(1, 6):
        nodes.append(Node(str(top), Decimal(20), name=f"一级指标{top}"))
        for leaf in range(1, 5):
            code = f"{top}.{leaf}"
            if code == "1.1":
                nodes.append(Node(code, Decimal(5), "gate", str(top), "达标判定"))
            elif code in ("2.1", "3.1"):
                nodes.append(
                    Node(code, Decimal(5), "formula", str(top), "按数据计算", Decimal(0), Decimal(5))
                )
            else:
                nodes.append(
                    Node(code, Decimal(5), "expert", str(top), f"指标{code}", Decimal(0), Decimal(5))
                )
    nodes += [Node("V1", kind="veto", name="否决项一"), Node("V2", kind="veto", name="否决项二")]
    return ScoringTree.build(nodes)


def generate(tree, applications: int, experts: int, per_application: int, seed: int = 20261122):
    """[(application, expert, project_type, scores, vetoes, comments)], deterministically."""
    rng = random.Random(seed)
    bias = [rng.gauss(0, 0.06) for _ in range(experts)]  # harsh (< 0) or lenient (> 0), as a share of max
    sheets = []
    for app in range(applications):
        project_type = PROJECT_TYPES[app % len(PROJECT_TYPES)]
        quality = rng.uniform(0.45, 0.95)
        for expert in rng.sample(range(experts), per_application):
            scores = {}
            for code, leaf in tree.leaves.items():
                if leaf.kind == "gate":
                    scores[code] = quality > 0.5
                    continue
                share = min(1.0, max(0.0, quality + bias[expert] + rng.gauss(0, 0.08)))
                value = (leaf.max * Decimal(str(round(share, 2)))).quantize(Decimal("0.1"))
                scores[code] = str(value)
            vetoes = ("V1",) if rng.random() < 0.002 else ()
            comments = dict.fromkeys(tree.first_level, "意见")
            sheets.append((app, expert, project_type, scores, vetoes, comments))
    return sheets


def timed(repeat: int, step):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--experts", type=int, default=600)
    parser.add_argument("--per-application", type=int, default=5)
    parser.add_argument("--quota", type=int, default=50, help="recommended places per project type")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()

    from chanjiao.review.aggregation import SheetTotal, aggregate, rank, sheet_total, validate_sheet

    tree = build_tree()
    raw = generate(tree, args.applications, args.experts, args.per_application)
    used_experts = len({expert for _app, expert, *_rest in raw})
    print(
        f"data: {len(raw)} score sheets = {args.applications} applications × {args.per_application} experts "
        f"(from a pool of {args.experts}, {used_experts} used), {len(tree.leaves)} leaves, "
        f"{len(tree.first_level)} first-level indicators, {len(tree.vetoes)} veto items, "
        f"{len(PROJECT_TYPES)} project types, quota {args.quota} per type"
    )

    def validate_and_total():
        totals = []
        for app, expert, project_type, scores, vetoes, comments in raw:
            errors = validate_sheet(tree, scores, vetoes, comments)
            assert not errors, errors
            totals.append(SheetTotal(app, expert, sheet_total(tree, scores), project_type, frozenset(vetoes)))
        return totals

    totals, best, median = timed(args.repeat, validate_and_total)
    print(
        f"validate + total   {len(totals)} sheets: best {best * 1000:7.1f} ms, median {median * 1000:7.1f} ms"
    )

    result, agg_best, agg_median = timed(args.repeat, lambda: aggregate(totals))
    print(
        f"aggregate          {len(result.applications)} applications, {len(result.experts)} experts, "
        f"3 methods: best {agg_best * 1000:7.1f} ms, median {agg_median * 1000:7.1f} ms"
    )

    def rank_all():
        return {m: rank(result, method=m, quota=args.quota) for m in ("mean", "trimmed_mean", "zscore")}

    rankings, rank_best, rank_median = timed(args.repeat, rank_all)
    print(
        f"rank ×3            {len(PROJECT_TYPES)} project types × 3 methods: "
        f"best {rank_best * 1000:7.1f} ms, median {rank_median * 1000:7.1f} ms"
    )

    def aggregate_and_rank():
        fresh = aggregate(totals)
        return {m: rank(fresh, method=m, quota=args.quota) for m in ("mean", "trimmed_mean", "zscore")}

    _both, both_best, both_median = timed(args.repeat, aggregate_and_rank)
    verdict = "under" if both_median < 1 else "OVER"
    print(
        f"aggregate + rank   {len(totals)} sheets: best {both_best * 1000:7.1f} ms, "
        f"median {both_median * 1000:7.1f} ms ({verdict} the 1 s aim)"
    )

    apps = result.applications.values()
    vetoed = sum(a.vetoed for a in apps)
    disagreements = sum(a.disagreement for a in apps)
    unnormalised = sum(not e.normalised for e in result.experts.values())
    ties = sum(len(r.tie_at_cut) for r in rankings["mean"].values())
    moved = sum(
        1
        for t in PROJECT_TYPES
        for a, b in zip(rankings["mean"][t].recommended, rankings["zscore"][t].recommended, strict=False)
        if a.application != b.application
    )
    print(
        f"round: mean {result.mean}, σ {result.std}; {vetoed} vetoed, {disagreements} with disagreement > "
        f"{result.disagreement_threshold}, {unnormalised} experts not normalised; "
        f"{ties} tied at a cut (mean); {moved} recommended places differ between mean and z-score"
    )


if __name__ == "__main__":
    main()
