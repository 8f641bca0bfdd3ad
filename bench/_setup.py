"""Shared set-up for benchmarks: a separate database at province scale, built once and reused.

BENCH_DATABASE_URL chooses the database (default: SQLite at var/bench.sqlite3); the demo database is
never touched.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chanjiao.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def ensure_province_scale() -> str:
    """Migrates, loads the seeds and the province-scale demo data (only what is missing)."""
    from django.core.management import call_command
    from django.db import connection

    from chanjiao.ops.demo_data import generate
    from chanjiao.ops.reference import load_reference_seeds
    from chanjiao.orgs.models import Organization

    call_command("migrate", interactive=False, verbosity=0)
    for _line in load_reference_seeds():
        pass
    if Organization.objects.filter(kind="enterprise").count() < 20_000:
        started = time.monotonic()
        generate("province")
        print(f"generated province scale in {time.monotonic() - started:.1f} s")
    return connection.vendor


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return {
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(ordered),
        "n": len(ordered),
    }


class SqlTimer:
    """Counts queries and sums the time spent inside the database driver."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
