"""Plan checks at province scale: every rule for 2,000 projects and 50,000 periodic reports.

.venv/bin/python bench/plan_checks.py [--projects 2000] [--reports-per-project 25] [--seed 1]

A deterministic province (fixed seed, bulk_create; made once and reused) in a separate database
(BENCH_DATABASE_URL, default SQLite at var/bench-checks.sqlite3): the Jiangsu project type from the
shipped pack, one school per project, applications, award decisions, projects (3 construction years,
started 26 months before the check date), a task book per project (budget by year, KPI targets) and
25 reports per project (periods 1..25) with funding and usage lines. About 30 % of the projects are
below the enterprise share, about 30 % behind the investment plan, some below the social share or
a KPI target, and a few have a draft report (report missing).

`run_checks(Project.objects.all())` is timed three times (best and median), each time from the same
state: no alerts but 200 stale open ones that the run closes. Queries are counted with
CaptureQueriesContext. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal
from pathlib import Path

from _setup import setup_django

BENCH_CALL = "预警基准测试 · 江苏产教融合平台"
TODAY = dt.date(2026, 11, 1)
STARTS_ON = dt.date(2024, 9, 1)


def populate(args):
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from chanjiao.applications.models import Application
    from chanjiao.ops.reference import load_reference_seeds
    from chanjiao.orgs.models import Organization, User
    from chanjiao.policy.models import Call, PolicyPack
    from chanjiao.policy.services import load_shipped_packs
    from chanjiao.projects.models import AwardDecision, Funding, ProgressReport, Project, TaskBook, Usage

    call_command("migrate", interactive=False, verbosity=0)
    for _line in load_reference_seeds():
        pass
    for _line in load_shipped_packs():
        pass
    if Call.objects.filter(title=BENCH_CALL).exists():
        return
    started = time.perf_counter()
    rng = random.Random(args.seed)
    pack = PolicyPack.objects.filter(region_id="320000", is_current=True).first()
    project_type = pack.project_types.order_by("position", "id").first()
    kpis = [k for k in project_type.spec.get("kpis", []) if k.get("frequency") == "yearly"][:4]
    now = timezone.now()
    with transaction.atomic():
        officer = User.objects.create(
            username="bench_checks_officer", display_name="预警基准管理员", password=make_password(None)
        )
        call = Call.objects.create(
            pack=pack,
            title=BENCH_CALL,
            opens_at=now - dt.timedelta(days=800),
            closes_at=now - dt.timedelta(days=780),
            limit_per_applicant=5,
            status=Call.Status.PUBLISHED,
            published_at=now - dt.timedelta(days=800),
            created_by=officer,
        )
        call.project_types.set([project_type])
        schools = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"预警基准学院{i}", kind="school", school_level="associate", region_id="320000"
                )
                for i in range(args.projects)
            ],
            batch_size=1000,
        )
        apps = Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    project_type=project_type,
                    applicant=school,
                    city_code="320100",
                    slot=1,
                    title=f"预警基准项目{i}",
                    status="publicised",
                    created_by=officer,
                )
                for i, school in enumerate(schools)
            ],
            batch_size=1000,
        )
        budgets = [Decimal(rng.randrange(300, 1500) * 10_000) for _ in apps]
        decisions = AwardDecision.objects.bulk_create(
            [
                AwardDecision(
                    application=app, outcome="awarded", approved_budget=b, start_batch=1, decided_by=officer
                )
                for app, b in zip(apps, budgets, strict=True)
            ],
            batch_size=1000,
        )
        projects = Project.objects.bulk_create(
            [
                Project(
                    application=app,
                    decision=decision,
                    code=f"YJ{i:05d}",
                    title=app.title,
                    call=call,
                    project_type=project_type,
                    organization=app.applicant,
                    city_code="320100",
                    province_code="320000",
                    approved_budget=b,
                    planned_total=b * 3,
                    planned_enterprise=b,
                    start_batch=1,
                    starts_on=STARTS_ON,
                    construction_years=3,
                    ends_on=dt.date(2027, 8, 31),
                )
                for i, (app, decision, b) in enumerate(zip(apps, decisions, budgets, strict=True))
            ],
            batch_size=1000,
        )
        books, reports, profiles = [], [], []
        for project, b in zip(projects, budgets, strict=True):
            yearly = b * 3 / 3  # planned total spread evenly over the three years
            targets = {k["code"]: {y: rng.randint(1, 3) for y in (1, 2, 3)} for k in kpis}
            books.append(
                TaskBook(
                    project=project,
                    version=1,
                    status=TaskBook.Status.CONFIRMED,
                    content={
                        "tasks": [],
                        "kpis": [
                            {
                                "code": k["code"],
                                "name": k["name"],
                                "unit": k.get("unit", ""),
                                "targets": targets[k["code"]],
                            }
                            for k in kpis
                        ],
                        "budget": [
                            {
                                "year": y,
                                "source": s,
                                "kind": "cash",
                                "amount": str((yearly * f).quantize(Decimal("1"))),
                            }
                            for y in (1, 2, 3)
                            for s, f in (
                                ("provincial", Decimal("0.4")),
                                ("enterprise", Decimal("0.35")),
                                ("school", Decimal("0.25")),
                            )
                        ],
                        "leader": "",
                        "partners": [],
                    },
                )
            )
            behind = rng.random() < 0.3  # received well below the plan
            low_share = rng.random() < 0.3  # enterprise part below one third
            low_social = rng.random() < 0.2
            profile = (behind, low_share, low_social, yearly, targets)
            for period in range(1, args.reports_per_project + 1):
                start = STARTS_ON + dt.timedelta(days=30 * (period - 1))
                end = start + dt.timedelta(days=29)
                draft = period == 2 and rng.random() < 0.05
                reports.append(
                    ProgressReport(
                        project=project,
                        period=period,
                        period_start=start,
                        period_end=end,
                        due_on=end + dt.timedelta(days=30),
                        status="draft" if draft else "accepted",
                        kpi_values={
                            code: max(0, t[period] - 1)
                            if rng.random() < 0.1
                            else t[period] + rng.randint(0, 1)
                            for code, t in targets.items()
                        }
                        if period <= 3
                        else {},
                        tech_service_income={"service": rng.randrange(0, 50_000)} if period % 5 == 0 else {},
                    )
                )
                profiles.append(profile)
        TaskBook.objects.bulk_create(books, batch_size=1000)
        reports = ProgressReport.objects.bulk_create(reports, batch_size=1000)
        funding, usage = [], []
        n = args.reports_per_project
        for report, (behind, low_share, low_social, yearly, _targets) in zip(reports, profiles, strict=True):
            per_report = yearly * 3 / n * (Decimal("0.4") if behind else Decimal("1.1"))
            enterprise = Decimal("0.2") if low_share else Decimal("0.4")
            for source, f in (
                ("provincial", Decimal("0.4")),
                ("enterprise", enterprise),
                ("school", 1 - Decimal("0.4") - enterprise),
            ):
                amount = (per_report * f * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("0.01"))
                funding.append(
                    Funding(
                        report=report,
                        source=source,
                        kind="cash",
                        received=amount,
                        spent=(amount * Decimal(rng.uniform(0.5, 0.95))).quantize(Decimal("0.01")),
                    )
                )
            students = Decimal(rng.randrange(200, 600))
            social = (students * (Decimal("0.2") if low_social else Decimal("0.6"))).quantize(Decimal("0.1"))
            usage.append(Usage(report=report, purpose="students", hours=students, people=rng.randint(20, 80)))
            usage.append(
                Usage(
                    report=report, purpose="social", group="veterans", hours=social, people=rng.randint(5, 30)
                )
            )
        Funding.objects.bulk_create(funding, batch_size=2000)
        Usage.objects.bulk_create(usage, batch_size=2000)
    print(f"stored the projects, task books and reports in {time.perf_counter() - started:.1f} s")


def reset_alerts(project_ids: list[int]) -> None:
    """No alerts, but 200 stale open ones (a rule a run will find met) so the run closes some."""
    from chanjiao.projects.models import PlanAlert

    PlanAlert.objects.all().delete()
    PlanAlert.objects.bulk_create(
        [
            PlanAlert(
                project_id=pk,
                rule=PlanAlert.Rule.REPORT_MISSING,
                subject="99",
                figure="未报送",
                threshold="2025-01-01",
                message="stale",
            )
            for pk in project_ids[:200]
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--reports-per-project", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("BENCH_DATABASE_URL", f"sqlite:///{root / 'var' / 'bench-checks.sqlite3'}")
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chanjiao.projects.checks import run_checks
    from chanjiao.projects.models import Funding, PlanAlert, ProgressReport, Project, TaskBook, Usage

    populate(args)
    ids = sorted(Project.objects.values_list("pk", flat=True))
    print(
        f"{connection.vendor}: {len(ids):,} projects, {TaskBook.objects.count():,} task books, "
        f"{ProgressReport.objects.count():,} reports, {Funding.objects.count():,} funding lines, "
        f"{Usage.objects.count():,} usage lines"
    )
    seconds, counts, queries = [], None, 0
    for _run in range(args.runs):
        reset_alerts(ids)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            counts = run_checks(Project.objects.all(), today=TODAY)
            seconds.append(time.perf_counter() - started)
        queries = len(captured)
        print(f"  run {_run + 1}: {seconds[-1]:.2f} s, {queries} queries, {counts}")
    steady = []
    for _run in range(args.runs):  # the nightly case: every alert already open, nothing changed
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            again = run_checks(Project.objects.all(), today=TODAY)
            steady.append(time.perf_counter() - started)
        print(f"  again {_run + 1}: {steady[-1]:.2f} s, {len(captured)} queries, {again}")
    print(
        f"run_checks with the alerts already open: best {min(steady):.2f} s, median {statistics.median(steady):.2f} s"
    )
    by_rule = dict(
        PlanAlert.objects.filter(is_open=True).values_list("rule").annotate(n=models_count()).order_by("rule")
    )
    print(
        f"run_checks: best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s "
        f"({len(seconds)} runs), {queries} queries; opened {counts['opened']:,}, "
        f"updated {counts['updated']:,}, closed {counts['closed']:,}; open by rule {by_rule}; "
        f"aim 5 s {'met' if statistics.median(seconds) < 5 else 'NOT met'}"
    )


def models_count():
    from django.db.models import Count

    return Count("id")


if __name__ == "__main__":
    main()
