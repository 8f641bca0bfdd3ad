"""The deadline burst's steps one at a time, in-process: milliseconds and queries per request.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/chanjiao_burst \
        .venv/bin/python bench/deadline_steps.py --users 20 [--profile save]

Builds the same world as deadline_burst.py (its own schools, users, tokens and a fresh call), then
walks each user through open → create → save → attach ×2 → read → submit → submit again with
django.test.Client and a bearer token, one request at a time. Prints per step the median and the
worst wall time, the median and least CPU time of this process (what a server worker spends; the least
is the steadiest figure on a busy machine), the queries and the time spent in the database driver. `--profile STEP` prints
the CPU profile of that step (or of all steps) for all users but the first, by cumulative time
(PROFILE_SORT=tottime for time in each function itself).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict

from _setup import SqlTimer, setup_django

STEPS = ("open", "create", "save", "attach", "read", "submit", "submit_again")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--profile", choices=(*STEPS, "all"), default=None)
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    if "BENCH_DATABASE_URL" not in os.environ:
        sys.exit("set BENCH_DATABASE_URL=postgres://… (the steps are measured on PostgreSQL)")
    setup_django()
    from django.db import connection
    from django.test import Client

    from deadline_burst import build_world, draft_body, tiny_pdf

    world = build_world(args.users)
    pdf = tiny_pdf()
    client = Client()
    samples: dict[str, list[tuple[float, int, float, float]]] = defaultdict(list)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU time, not waits

    def call(step: str, method: str, path: str, token: str, ok=(200, 201), **kwargs):
        timer = SqlTimer()
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        with connection.execute_wrapper(timer):
            profiling = profiler is not None and args.profile in (step, "all") and bool(samples[step])
            if profiling:
                profiler.enable()
            started, cpu = time.perf_counter(), time.process_time()
            response = getattr(client, method)(path, headers=headers, **kwargs)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiling:
                profiler.disable()
        samples[step].append((elapsed * 1000, timer.count, timer.seconds * 1000, cpu * 1000))
        if response.status_code not in ok:
            sys.exit(f"{step}: HTTP {response.status_code} {response.content[:500]!r}")
        return response.json() if response.get("Content-Type", "").startswith("application/json") else None

    for user in world["users"]:
        token = user["token"]
        call("open", "get", f"/api/v1/calls/{world['call']}", token)
        app = call(
            "create",
            "post",
            "/api/v1/applications",
            token,
            data=json.dumps({"call_id": world["call"], "project_type_id": world["project_type"]}),
            content_type="application/json",
        )
        path = f"/api/v1/applications/{app['id']}"
        call(
            "save",
            "patch",
            path,
            token,
            data=json.dumps(draft_body(world, user)),
            content_type="application/json",
        )
        for spec, signers in (
            ("co_building_agreement", [user["school"], user["enterprise"]]),
            ("construction_plan", []),
        ):
            upload = io.BytesIO(pdf)
            upload.name = f"{spec}.pdf"
            call(
                "attach",
                "post",
                f"{path}/attachments",
                token,
                data={"spec_code": spec, "signed_by": [str(s) for s in signers], "file": upload},
            )
        current = call("read", "get", path, token)
        key = uuid.uuid4().hex
        body = json.dumps({"expected_version": current["row_version"]})
        for step in ("submit", "submit_again"):
            call(
                step,
                "post",
                f"{path}/submit",
                token,
                data=body,
                content_type="application/json",
                headers={"Idempotency-Key": key},
            )

    print(f"{args.users} users, in-process (django.test.Client), {connection.vendor}")
    for step in STEPS:
        rows = samples[step][1:] if len(samples[step]) > 2 else samples[step]  # the first warms up
        ms = [r[0] for r in rows]
        print(
            f"  {step:<13} median={statistics.median(ms):6.1f} ms  max={max(ms):6.1f} ms  "
            f"cpu={statistics.median(r[3] for r in rows):5.1f} ms (least {min(r[3] for r in rows):5.1f})  "
            f"queries={max(r[1] for r in rows):3d}  sql={statistics.median(r[2] for r in rows):5.1f} ms"
        )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "cumulative")
        ).print_stats(args.lines)
        print(out.getvalue())


if __name__ == "__main__":
    main()
