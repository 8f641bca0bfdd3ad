"""The review's ranking through the database: 10,000 submitted score sheets, ranked, shown and exported.

    .venv/bin/python bench/ranking_db.py [--repeat 5] [--quota 30] [--profile] [--keep]

The province of `bench/assignment.py --db` (2,000 applications × 600 experts, k = 5; stored once in
BENCH_DATABASE_URL, default SQLite at var/bench-review.sqlite3, and reused) with the exact assignment
run through the services; then one SUBMITTED score sheet per reviewer (10,000), bulk-created: a score
for every leaf of the round's indicator system (the Jiangsu selection system shipped with the product
when the round has none), the total computed by `aggregation.sheet_total`, experts harsh or lenient by
a few points of their own, a veto item marked on a few sheets; all from fixed seeds. The round is then
put in the panel stage with a quota, and each step is timed (best and median of --repeat runs, after a
warm-up), its queries counted on one more run (django.test.utils.CaptureQueriesContext):

  round_ranking   chanjiao.review.panel_selectors.round_ranking(round)
  ranking page    GET /review/rounds/<id>/ranking/ as the province's admin (django.test.Client)
  score export    GET /review/rounds/<id>/scores.xlsx as the same admin

The aim is aggregation and ranking of 10,000 sheets under 1 s. --profile runs each step once more
under cProfile and prints where the time goes. At the end the sheets are deleted and the round
returned to where it was, so `bench/assignment.py --db` can run on the same database (--keep: leave
the round in the panel stage with its sheets).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import time
from decimal import Decimal
from pathlib import Path

from _setup import setup_django

RECOMMENDATIONS = ("strong", "recommend", "reserved", "not_recommended")


def timed(repeat: int, step):
    step()  # warm-up: templates, caches, the first connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def queries_of(step) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        step()
    return len(captured.captured_queries)


def profile(name: str, step, lines: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    print(f"--- profile: {name} (cumulative) ---")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def indicator_system():
    """The Jiangsu selection system the product ships (loaded with the reference seeds)."""
    from chanjiao.policy.models import IndicatorSystem
    from chanjiao.policy.services import load_shipped_packs

    def find():
        return (
            IndicatorSystem.objects.filter(
                pack__region_id="320000", purpose=IndicatorSystem.Purpose.SELECTION, is_current=True
            )
            .order_by("id")
            .first()
        )

    system = find()
    if system is None:
        for _line in load_shipped_packs():
            pass
        system = find()
    return system


def sheets_create(review_round, seed: int) -> int:
    """One submitted sheet per reviewer of the round, deterministic; returns how many."""
    from django.db import transaction
    from django.utils import timezone

    from chanjiao.review.aggregation import sheet_total
    from chanjiao.review.models import Assignment, ScoreSheet
    from chanjiao.review.scoring_selectors import scoring_tree

    tree = scoring_tree(review_round)
    rows = list(
        Assignment.objects.filter(round=review_round, reserve=False)
        .order_by("application_id", "expert_id")
        .values_list("pk", "application_id", "expert_id")
    )
    rng = random.Random(seed)
    experts = sorted({e for _pk, _a, e in rows})
    bias = {e: rng.gauss(0, 0.06) for e in experts}  # harsh (< 0) or lenient (> 0), as a share of max
    quality: dict[int, float] = {}
    now = timezone.now()
    sheets = []
    for pk, application, expert in rows:
        if application not in quality:
            quality[application] = rng.uniform(0.45, 0.95)
        q = quality[application]
        scores = {}
        for code, leaf in tree.leaves.items():
            if leaf.kind == "gate":
                scores[code] = q > 0.5
                continue
            share = min(1.0, max(0.0, q + bias[expert] + rng.gauss(0, 0.08)))
            low, high = leaf.min, leaf.max
            value = (low + (high - low) * Decimal(str(round(share, 2)))).quantize(Decimal("0.1"))
            scores[code] = str(value)
        total = sheet_total(tree, scores)
        vetoes = [next(iter(tree.vetoes))] if tree.vetoes and rng.random() < 0.002 else []
        sheets.append(
            ScoreSheet(
                assignment_id=pk,
                round=review_round,
                expert_id=expert,
                application_id=application,
                status=ScoreSheet.Status.SUBMITTED,
                scores=scores,
                vetoes=vetoes,
                comments=dict.fromkeys(
                    tree.first_level, "材料翔实，建设目标明确，建议进一步细化企业投入安排。"
                ),
                overall_comment="总体符合遴选条件。",
                recommendation=RECOMMENDATIONS[min(3, max(0, int((95 - total) // 10)))],
                total=total,
                submitted_at=now,
                row_version=1,
            )
        )
    with transaction.atomic():
        ScoreSheet.objects.bulk_create(sheets, batch_size=1000)
    return len(sheets)


def breakdown(args, review_round, connection) -> None:
    """Where round_ranking's time goes: the sheets' query fetched as raw rows, the same as model
    instances (what round_ranking reads), the four columns the arithmetic needs, and the arithmetic."""
    from chanjiao.review.aggregation import RankingMethod, SheetTotal, aggregate, rank_type
    from chanjiao.review.panel_selectors import round_quota, submitted_sheets

    qs = submitted_sheets(review_round)
    sql, params = qs.query.get_compiler(connection=connection).as_sql()

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    project_type = str(review_round.project_type_id)
    lean = list(qs.values_list("application_id", "expert_id", "total", "vetoes"))
    totals = [SheetTotal(a, e, t, project_type, frozenset(v or ())) for a, e, t, v in lean]
    quota = round_quota(review_round) or 0

    def arithmetic():
        result = aggregate(totals, disagreement_threshold=review_round.disagreement_threshold)
        aggregates = list(result.applications.values())
        return [
            rank_type(aggregates, method=m, quota=quota, project_type=project_type) for m in RankingMethod
        ]

    parts = [
        (f"the sheets' query, raw rows ({len(raw())} × {len(raw()[0])} columns)", raw),
        ("the same as model instances (5 per row)", lambda: list(submitted_sheets(review_round))),
        (
            "the 4 columns the arithmetic needs",
            lambda: list(qs.values_list("application_id", "expert_id", "total", "vetoes")),
        ),
        ("aggregate + rank by 3 methods", arithmetic),
    ]
    print("round_ranking, by part:")
    for name, step in parts:
        best, median = timed(args.repeat, step)
        print(f"  {name}: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    # the province, as bench/assignment.py --db stores it (used only when it is not stored yet)
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--experts", type=int, default=600)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--cap", type=int, default=20)
    parser.add_argument("--same-city", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    # this benchmark
    parser.add_argument("--sheet-seed", type=int, default=20261122)
    parser.add_argument("--quota", type=int, default=30, help="the round's recommendation quota")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile each step once with cProfile")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="leave the sheets and the panel stage in place")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("BENCH_DATABASE_URL", f"sqlite:///{root / 'var' / 'bench-review.sqlite3'}")
    setup_django()

    from django.db import connection
    from django.test import Client

    from assignment import populate
    from chanjiao.orgs.selectors import actor_for
    from chanjiao.review import assignment as assigning
    from chanjiao.review.models import RankingEntry, RankingOverride, ReviewRound, ScoreSheet
    from chanjiao.review.panel_selectors import round_ranking

    stored = populate(args)
    review_round = ReviewRound.objects.select_related("call", "call__pack", "project_type").get(pk=stored.pk)
    before = {
        "status": review_round.status,
        "quota": review_round.quota,
        "indicator_system": review_round.indicator_system,
    }
    # a run stopped half-way leaves its sheets: start from the assignment stage again
    if ScoreSheet.objects.filter(round=review_round).exists():
        RankingEntry.objects.filter(round=review_round).delete()
        RankingOverride.objects.filter(round=review_round).delete()
        ScoreSheet.objects.filter(round=review_round).delete()
        before["status"] = ReviewRound.Status.ASSIGNED
        before["quota"] = None
    if review_round.status != before["status"]:
        review_round.status = before["status"]
        review_round.save(update_fields=["status"])
    officer = review_round.created_by  # the province admin populate() made (PROVINCE_ADMIN of 340000)
    actor = actor_for(officer)

    started = time.perf_counter()
    run = assigning.assign_exact(actor=actor, review_round=review_round)
    print(
        f"assign_exact: {time.perf_counter() - started:.2f} s; {run.result['assignments']} assignments "
        f"({run.result['applications']} applications × {run.result['experts']} experts)"
    )
    review_round.refresh_from_db()
    if review_round.indicator_system is None:
        review_round.indicator_system = indicator_system()
        review_round.save(update_fields=["indicator_system"])
    started = time.perf_counter()
    made = sheets_create(review_round, args.sheet_seed)
    print(f"bulk-created {made} submitted score sheets in {time.perf_counter() - started:.2f} s")
    review_round.status = ReviewRound.Status.PANEL
    review_round.quota = args.quota
    review_round.save(update_fields=["status", "quota"])

    try:
        measure(args, review_round, officer, connection, Client, round_ranking)
    finally:
        if not args.keep:
            ScoreSheet.objects.filter(round=review_round).delete()
            ReviewRound.objects.filter(pk=review_round.pk).update(
                status=ReviewRound.Status.ASSIGNED
                if before["status"] == ReviewRound.Status.SETUP
                else before["status"],
                quota=before["quota"],
                indicator_system=before["indicator_system"],
            )
            print("cleaned up: the sheets deleted, the round back in the assignment stage")


def measure(args, review_round, officer, connection, Client, round_ranking) -> None:
    from chanjiao.review.models import Assignment, ReviewRound, ScoreSheet

    review_round = ReviewRound.objects.select_related(
        "call", "call__pack", "project_type", "indicator_system"
    ).get(pk=review_round.pk)
    system = review_round.indicator_system
    ranking = round_ranking(review_round)
    tree_leaves = len(ranking.sheets[0].scores) if ranking.sheets else 0
    vetoed = sum(1 for e in ranking.ranking.entries if e.vetoed)
    print(
        f"data ({connection.vendor}): {ScoreSheet.objects.filter(round=review_round).count()} submitted sheets "
        f"of {len(ranking.aggregate.applications)} applications by {len(ranking.aggregate.experts)} experts "
        f"({Assignment.objects.filter(round=review_round, reserve=False).count()} assignments); "
        f"indicator system “{system.name}” ({tree_leaves} leaves); method {review_round.ranking_method}, "
        f"quota {ranking.quota}; {len(ranking.ranking.recommended)} recommended, {vetoed} vetoed, "
        f"{len(ranking.tie_at_cut)} tied at the cut"
    )

    browser = Client()
    browser.force_login(officer)
    page_url = f"/review/rounds/{review_round.pk}/ranking/"
    export_url = f"/review/rounds/{review_round.pk}/scores.xlsx"
    sizes = {}

    def get(url):
        def step():
            response = browser.get(url)
            assert response.status_code == 200, (url, response.status_code)
            sizes[url] = len(response.content)

        return step

    steps = [
        ("round_ranking", lambda: round_ranking(review_round)),
        ("ranking page ", get(page_url)),
        ("score export ", get(export_url)),
    ]
    results = []
    for name, step in steps:
        best, median = timed(args.repeat, step)
        queries = queries_of(step)
        results.append((name, best, median, queries))
        size = ""
        if name.startswith("ranking page"):
            size = f"; {sizes[page_url] / 1024:.0f} KiB of HTML"
        elif name.startswith("score export"):
            size = f"; {sizes[export_url] / 1024:.0f} KiB of xlsx"
        verdict = "under" if median < 1 else "OVER"
        print(
            f"{name}  best {best * 1000:7.1f} ms, median {median * 1000:7.1f} ms ({verdict} 1 s); "
            f"{queries} queries{size}  [{args.repeat} runs]"
        )
    breakdown(args, review_round, connection)
    if args.profile:
        for name, step in steps:
            profile(name.strip(), step, args.profile_lines)


if __name__ == "__main__":
    main()
