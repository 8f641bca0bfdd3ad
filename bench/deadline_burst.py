"""Deadline burst: many school users at once open a call, save and submit applications, against
gunicorn and PostgreSQL on this machine. Reports p50 / p95 / p99 per step and the error count, then
checks in the database that every submission is stored exactly once.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/chanjiao_burst \
        .venv/bin/python bench/deadline_burst.py --users 500

Each simulated user acts for its own 高职 school in Jiangsu (the bench creates them, with a partner
enterprise each) on one published Jiangsu call, through the API with a bearer token:
open (GET the call) → create (POST /applications) → save (PATCH the whole draft) → two attachments
(the co-building agreement signed by both, the construction plan) → submit (with an Idempotency-Key)
→ submit again with the same key (a double click; must not make a second version).
All users start together behind a barrier: the worst case of a deadline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

from _setup import ROOT, percentiles, setup_django

PORT = 8799


def build_world(users: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from chanjiao.core.models import Region
    from chanjiao.core.permissions import Role
    from chanjiao.ops.demo_data import make_uscc
    from chanjiao.ops.reference import load_reference_seeds
    from chanjiao.orgs.models import Membership, Organization, User
    from chanjiao.orgs.selectors import actor_for
    from chanjiao.orgs.services import api_token_create
    from chanjiao.policy.models import PolicyPack
    from chanjiao.policy.services import call_create, call_publish

    call_command("migrate", interactive=False, verbosity=0)
    for _line in load_reference_seeds():
        pass
    counties = [
        r for r in Region.objects.filter(code__startswith="32", level="county") if int(r.code[4:]) < 70
    ]
    jiangsu = Region.objects.get(code="320000")
    with transaction.atomic():
        dept, _ = Organization.objects.get_or_create(
            name="江苏省教育厅", defaults={"kind": "department", "dept_level": "province", "region": jiangsu}
        )
        officer, created = User.objects.get_or_create(
            username="burst_province", defaults={"display_name": "压测省级"}
        )
        if created:
            officer.set_password("Burst-2026-pass")
            officer.save()
        Membership.objects.get_or_create(user=officer, organization=dept, role=Role.PROVINCE_ADMIN)
        have = set(Organization.objects.filter(name__startswith="压测").values_list("name", flat=True))
        new = []
        for i in range(users):
            county = counties[i % len(counties)]
            if f"压测职业技术学院{i:04d}" not in have:
                new.append(
                    Organization(
                        name=f"压测职业技术学院{i:04d}",
                        kind="school",
                        school_level="associate",
                        is_independent=True,
                        region=county,
                        uscc=make_uscc("12", county.code, f"B{i:08d}"),
                    )
                )
                new.append(
                    Organization(
                        name=f"压测智能装备有限公司{i:04d}",
                        kind="enterprise",
                        region=county,
                        uscc=make_uscc("91", county.code, f"C{i:08d}"),
                    )
                )
        Organization.objects.bulk_create(new, batch_size=1000)
        password = make_password(None)
        names = [f"burst{i:04d}" for i in range(users)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        User.objects.bulk_create(
            [User(username=n, display_name=n, password=password) for n in names if n not in existing]
        )
        user_ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        school_ids = dict(Organization.objects.filter(name__startswith="压测职业").values_list("name", "pk"))
        enterprise_ids = dict(
            Organization.objects.filter(name__startswith="压测智能").values_list("name", "pk")
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user_id=user_ids[f"burst{i:04d}"],
                    organization_id=school_ids[f"压测职业技术学院{i:04d}"],
                    role=Role.ORG_ADMIN,
                )
                for i in range(users)
            ],
            ignore_conflicts=True,
        )

    province = actor_for(officer)
    pack = PolicyPack.objects.filter(code="jiangsu-integration-platform").order_by("-loaded_at").first()
    project_type = pack.project_types.get()
    now = timezone.now()
    call = call_create(
        actor=province,
        pack=pack,
        data={
            "title": f"压测申报通知 {now:%Y%m%d%H%M%S}",
            "project_types": [project_type.pk],
            "opens_at": now - dt.timedelta(hours=1),
            "closes_at": now + dt.timedelta(days=1),
            "limit_per_applicant": 1,
            "start_batch": 1,
        },
    )
    call_publish(actor=province, call=call)
    tokens = []
    for i in range(users):
        user = User.objects.get(pk=user_ids[f"burst{i:04d}"])
        _token, key = api_token_create(actor=actor_for(user), name="burst", days=1)
        tokens.append(
            {
                "token": key,
                "school": school_ids[f"压测职业技术学院{i:04d}"],
                "enterprise": enterprise_ids[f"压测智能装备有限公司{i:04d}"],
            }
        )
    programmes = list(
        call.catalogue_edition.programmes.filter(level="associate").values_list("code", flat=True)[:4]
    )
    return {"call": call.pk, "project_type": project_type.pk, "users": tokens, "programmes": programmes}


def draft_body(world: dict, user: dict) -> dict:
    years = (1, 2, 3)
    lines = []
    # 33,000,000 in all: enterprise 12,000,000 (36.4%), the rest from the province, the city and the school.
    for year in years:
        lines += [
            {"year": year, "source": "enterprise", "kind": "equipment", "amount": "3000000.00"},
            {"year": year, "source": "enterprise", "kind": "cash", "amount": "1000000.00"},
            {"year": year, "source": "provincial_fund", "kind": "cash", "amount": "3000000.00"},
            {"year": year, "source": "local_government", "kind": "cash", "amount": "2000000.00"},
            {"year": year, "source": "school", "kind": "cash", "amount": "2000000.00"},
        ]
    return {
        "title": "智能制造产教融合集成平台",
        "summary": "面向区域智能制造产业链，整合专业群实训资源。",
        "contact_name": "王老师",
        "contact_phone": "13812345678",
        "fields": {
            "programme_cluster_name": "智能制造专业群",
            "industry_focus": "高端装备制造",
            "social_training_workstation_share": "0.35",
        },
        "partners": [
            {
                "organization_id": user["enterprise"],
                "role": "co_building_enterprise",
                "contribution": "设备与工程师",
            }
        ],
        "programmes": world["programmes"],
        "tasks": [
            {
                "task_code": str(n),
                "plan": f"任务{n}的建设计划",
                "yearly_targets": {"1": "启动", "2": "推进", "3": "完成"},
            }
            for n in range(1, 8)
        ],
        "budget_lines": lines,
        "kpis": [
            {"kpi_code": code, "year": year, "value": "10"}
            for code in (
                "tech_service_income",
                "transfer_projects",
                "incubated_student_projects",
                "research_projects",
                "patents",
            )
            for year in years
        ],
    }


def tiny_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "co-building agreement")
    c.save()
    return buf.getvalue()


def multipart(fields: dict[str, list[str]], file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, values in fields.items():
        for value in values:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def call(
        self,
        conn: http.client.HTTPConnection,
        step: str,
        method: str,
        path: str,
        body=None,
        headers=None,
        ok=(200, 201),
    ):
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
        except Exception as exc:  # a refused or dropped connection is an error to count, not a crash
            with self.lock:
                self.errors.append(f"{step}: {type(exc).__name__}: {exc}")
            conn.close()
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.samples[step].append(elapsed)
            if response.status not in ok:
                self.errors.append(f"{step}: HTTP {response.status} {data[:300]!r}")
        return (
            json.loads(data)
            if data and response.getheader("Content-Type", "").startswith("application/json")
            else None
        )


def simulate(world: dict, user: dict, barrier: threading.Barrier, rec: Recorder, pdf: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    auth = {"Authorization": f"Bearer {user['token']}"}
    js = {**auth, "Content-Type": "application/json"}
    barrier.wait()
    rec.call(conn, "open", "GET", f"/api/v1/calls/{world['call']}", headers=auth)
    app = rec.call(
        conn,
        "create",
        "POST",
        "/api/v1/applications",
        json.dumps({"call_id": world["call"], "project_type_id": world["project_type"]}),
        js,
    )
    if not app:
        return
    app_id = app["id"]
    saved = rec.call(
        conn, "save", "PATCH", f"/api/v1/applications/{app_id}", json.dumps(draft_body(world, user)), js
    )
    for spec, signers in (
        ("co_building_agreement", [user["school"], user["enterprise"]]),
        ("construction_plan", []),
    ):
        body, ctype = multipart(
            {"spec_code": [spec], "signed_by": [str(s) for s in signers]}, f"{spec}.pdf", pdf
        )
        rec.call(
            conn,
            "attach",
            "POST",
            f"/api/v1/applications/{app_id}/attachments",
            body,
            {**auth, "Content-Type": ctype},
        )
    current = rec.call(conn, "read", "GET", f"/api/v1/applications/{app_id}", headers=auth) or saved or {}
    key = uuid.uuid4().hex
    submit_body = json.dumps({"expected_version": current.get("row_version", 0)})
    rec.call(
        conn,
        "submit",
        "POST",
        f"/api/v1/applications/{app_id}/submit",
        submit_body,
        {**js, "Idempotency-Key": key},
    )
    rec.call(
        conn,
        "submit_again",
        "POST",
        f"/api/v1/applications/{app_id}/submit",
        submit_body,
        {**js, "Idempotency-Key": key},
    )
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    # Two threads a worker overlap one request's database waits with another's Python; more threads
    # only add GIL switching, database connections and statements to prepare on each of them.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if "BENCH_DATABASE_URL" not in os.environ:
        sys.exit("set BENCH_DATABASE_URL=postgres://… (the burst is measured on PostgreSQL)")
    setup_django()
    started = time.monotonic()
    world = build_world(args.users)
    print(
        f"set-up: {args.users} schools, users and tokens, one published call, in {time.monotonic() - started:.1f} s"
    )

    env = {**os.environ, "DATABASE_URL": os.environ["BENCH_DATABASE_URL"], "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chanjiao.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--preload",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/login/")
                break
            except OSError:
                time.sleep(0.2)
        pdf = tiny_pdf()
        rec = Recorder()
        barrier = threading.Barrier(len(world["users"]))
        threads = [
            threading.Thread(target=simulate, args=(world, u, barrier, rec, pdf)) for u in world["users"]
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    total = sum(len(v) for v in rec.samples.values())
    print(
        f"{args.users} users, {total} requests in {wall:.1f} s ({total / wall:.0f} requests/s); gunicorn {args.workers} workers × {args.threads} threads"
    )
    for step in ("open", "create", "save", "attach", "read", "submit", "submit_again"):
        if rec.samples[step]:
            s = percentiles(rec.samples[step])
            print(
                f"  {step:<13} n={s['n']:<5} p50={s['p50']:7.1f} ms  p95={s['p95']:7.1f} ms  p99={s['p99']:7.1f} ms"
            )
    print(f"errors: {len(rec.errors)}")
    for line in rec.errors[:10]:
        print("  ", line)

    from django.db.models import Count

    from chanjiao.applications.models import Application

    apps = Application.objects.filter(call_id=world["call"]).annotate(n=Count("versions"))
    by_versions = defaultdict(int)
    for a in apps:
        by_versions[a.n] += 1
    print(
        f"stored: {apps.count()} applications; versions per application: {dict(sorted(by_versions.items()))}"
    )
    print("exactly once:", apps.count() == args.users and set(by_versions) == {1})


if __name__ == "__main__":
    main()
