"""The province dashboard (数据看板) at province scale: 2,000 projects and 50,000 periodic reports.

.venv/bin/python bench/dashboard.py [--requests 30] [--sizes 2000,200] [--reports-per-project 25]

For each size, the province of `bench/plan_checks.py` (its generator, reused: the Jiangsu project type,
one school per project, a confirmed task book and 25 reports per project with funding and usage
lines; fixed seed, bulk-created once) in a database of its own (BENCH_DATABASE_URL for the largest
size, default SQLite at var/bench-dashboard-<size>.sqlite3; a smaller size always gets its own SQLite
file, or BENCH_SMALL_DATABASE_URL), with the plan checks run once so the open alerts are there. A
Jiangsu province officer then asks for /dashboard/ through Django's test client (the whole middleware
stack: session, actor, locale, template) --requests times after a warm-up; p50 / p95 / p99 of the
wall time, the time inside the database driver, the CPU time of this process (on SQLite, query
included: an estimate of the wall time on an idle machine), and the number of queries of one request. Each size
runs in a child process (one database per process); the figures of every size are printed together
at the end, so the query count can be compared across sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _setup import ROOT, SqlTimer, percentiles, setup_django

OFFICER = "bench_dashboard_officer"


def officer():
    """A Jiangsu province officer (省级管理员 of a department in 320000), made once."""
    from chanjiao.core.permissions import Role
    from chanjiao.orgs.models import Membership, Organization, User

    dept, _ = Organization.objects.get_or_create(
        name="江苏省教育厅（看板基准）",
        defaults={"kind": "department", "region_id": "320000", "dept_level": "province"},
    )
    user, _ = User.objects.get_or_create(username=OFFICER, defaults={"display_name": "看板基准管理员"})
    Membership.objects.get_or_create(user=user, organization=dept, role=Role.PROVINCE_ADMIN)
    return user


def measure_one(args) -> dict:
    setup_django()
    from django.db import connection
    from django.test import Client

    from chanjiao.projects.checks import run_checks
    from chanjiao.projects.models import Funding, PlanAlert, ProgressReport, Project
    from plan_checks import TODAY, populate

    started = time.perf_counter()
    populate(argparse.Namespace(projects=args.projects, reports_per_project=args.reports_per_project, seed=1))
    if not PlanAlert.objects.exists():
        run_checks(Project.objects.all(), today=TODAY)
    user = officer()
    print(f"  data ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    data = {
        "database": connection.vendor,
        "projects": Project.objects.count(),
        "reports": ProgressReport.objects.count(),
        "funding": Funding.objects.count(),
        "alerts": PlanAlert.objects.filter(is_open=True).count(),
    }
    browser = Client()
    browser.force_login(user)

    def get():
        response = browser.get("/dashboard/")
        assert response.status_code == 200, response.status_code
        return response

    page = get()  # warm-up: templates, caches, the first connection
    assert b'data-table="types"' in page.content
    counter = SqlTimer()
    with connection.execute_wrapper(counter):
        get()
    wall, sql, cpu = [], [], []
    for _ in range(args.requests):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started, started_cpu = time.perf_counter(), time.process_time()
            get()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        sql.append(timer.seconds * 1000)
    return {
        **data,
        "queries": counter.count,
        "html_kib": round(len(page.content) / 1024),
        "wall": percentiles(wall),
        "sql": percentiles(sql),
        "cpu": percentiles(cpu),  # this process's CPU: on SQLite the query too, on PostgreSQL not
    }


def database_for(size: int, largest: int) -> str:
    if size == largest and os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    if size != largest and os.environ.get("BENCH_SMALL_DATABASE_URL"):
        return os.environ["BENCH_SMALL_DATABASE_URL"]
    return f"sqlite:///{ROOT / 'var' / f'bench-dashboard-{size}.sqlite3'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--sizes", default="2000,200", help="numbers of projects, comma-separated")
    parser.add_argument("--reports-per-project", type=int, default=25)
    parser.add_argument("--projects", type=int, help=argparse.SUPPRESS)  # a child process: one size
    args = parser.parse_args()
    if args.projects:
        print(json.dumps(measure_one(args)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for size in sizes:
        env = {**os.environ, "BENCH_DATABASE_URL": database_for(size, max(sizes))}
        print(f"{size:,} projects …", file=sys.stderr)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--projects",
                str(size),
                "--reports-per-project",
                str(args.reports_per_project),
                "--requests",
                str(args.requests),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(out.stderr)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for r in results:
        w, s, c = r["wall"], r["sql"], r["cpu"]
        print(
            f"{r['database']}: {r['projects']:,} projects, {r['reports']:,} reports, {r['funding']:,} funding "
            f"lines, {r['alerts']:,} open alerts — GET /dashboard/ × {w['n']}: p50 {w['p50']:.1f} ms, "
            f"p95 {w['p95']:.1f} ms, p99 {w['p99']:.1f} ms; SQL alone p50 {s['p50']:.1f} / p95 {s['p95']:.1f} ms; "
            f"CPU of this process p50 {c['p50']:.1f} / p95 {c['p95']:.1f} ms; "
            f"{r['queries']} queries; {r['html_kib']} KiB of HTML"
        )
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min)")
    counts = {r["queries"] for r in results}
    largest = max(results, key=lambda r: r["projects"])
    print(
        f"query count {'the same at every size' if len(counts) == 1 else 'DIFFERS between sizes'} "
        f"({', '.join(str(r['queries']) for r in results)}); aim p95 under 300 ms at "
        f"{largest['projects']:,} projects {'met' if largest['wall']['p95'] < 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
