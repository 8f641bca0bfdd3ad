"""Runs the in-process benchmarks one after another with their default sizes (`make bench`).

Each prints its own figures and data size; docs/performance.md holds the figures with the command
that produced them. The deadline burst (`deadline_burst.py`) needs gunicorn and PostgreSQL and is
run on its own, as its docstring says; `assignment.py` runs without its exact-MILP comparison here
(--skip-milp), which takes up to half an hour.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    ("aggregation.py", []),
    ("assignment.py", ["--skip-milp"]),
    ("org_list.py", []),
    ("ranking_db.py", []),
    ("plan_checks.py", []),
    ("dashboard.py", []),
    ("deadline_steps.py", []),
)


def main() -> int:
    failed = []
    for script, args in BENCHMARKS:
        print(f"\n=== {script} {' '.join(args)}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE.parent)
        print(f"=== {script}: exit {code}, {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
