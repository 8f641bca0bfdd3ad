"""The demo's construction scenario, in Jiangsu: an earlier cohort of four platforms awarded in 2023,
three years into construction, for the walkthrough of reports, plan alerts, change requests,
acceptance and performance (README "建设与验收演示").

What the province did before it ran selection on the platform stands for the past: the cohort's
call and applications go through the services while the call is open, then the call's dates are
moved to 2023 and each application is recorded as awarded on 2023-12-01 with
`projects.services.award_record_earlier` (the service a province uses to move running projects
onto the platform). From there everything goes through the services the pages use: the task books
are confirmed by each school and by the province; the reports of the first two construction years
are filed and accepted; for the third year, three schools have filed and had their reports
accepted, and js_school_admin's school (无锡) has a draft ready in which the enterprises' equipment
and technology were entered as the school's cash, so the enterprises' share falls to 30% and
submitting it trips the alert.

Deterministic and re-runnable: the cohort's call is found by its title and nothing is made twice.

    from chanjiao.ops.demo_projects import seed_projects_scenario
    seed_projects_scenario()
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from chanjiao.applications import services as applications
from chanjiao.applications.models import Application, ApplicationAttachment, Status
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Membership, Organization
from chanjiao.policy import services as policy
from chanjiao.policy.models import Call, PolicyPack
from chanjiao.projects import checks, reports_services, taskbook_services
from chanjiao.projects import selectors as project_selectors
from chanjiao.projects import services as projects
from chanjiao.projects.models import AssessmentEntry, ProgressReport, Project, TaskBook

from .demo_review import (
    PACK_CODE,
    PROJECT_TYPE,
    THEMES,
    Theme,
    _actor,
    _applicant_staff,
    _attach,
    _beijing,
    _choose_partners,
    _demo_account,
    _draft,
    _rng,
    _school_for,
    budget_lines,
)

COHORT_TITLE = "2023年江苏省高职产教融合集成平台建设项目申报（第一批）"
COHORT_DESCRIPTION = (
    "根据《江苏省高等职业教育产教融合集成平台建设计划》，遴选第一批省产教融合集成平台建设项目。"
    "本批项目于2023年12月1日启动建设，建设期3年。"
)
COHORT_OPENS = dt.date(2023, 9, 1)
COHORT_CLOSES = dt.date(2023, 10, 15)
COHORT_STARTS = dt.date(2023, 12, 1)
DOCUMENT_NUMBER = "苏教职函〔2023〕{n}号"
# The cohort: 无锡 (js_school_admin's school), 常州, 苏州, 盐城.
COHORT_CITIES = ("320200", "320400", "320500", "320900")
WALKTHROUGH_CITY = "320200"
PROVINCIAL_SHARE = Decimal("1.0")  # the province approves what each school asked of the fund
SPENT_SHARE = Decimal("0.9")


@dataclass
class ProjectsScenario:
    call: Call
    projects: list[Project]
    walkthrough: Project
    created: dict


def _cohort_themes() -> list[Theme]:
    return [next(t for t in THEMES if t.city == city) for city in COHORT_CITIES]


def _call(province: Actor, pack: PolicyPack, created: dict) -> Call:
    call = Call.objects.filter(pack__code=PACK_CODE, title=COHORT_TITLE).first()
    if call is not None:
        return call
    today = timezone.localdate()
    cities = Region.objects.filter(level=Region.Level.CITY, code__startswith="32").values_list(
        "code", flat=True
    )
    call = policy.call_create(
        actor=province,
        pack=pack,
        data={
            "title": COHORT_TITLE,
            "description": COHORT_DESCRIPTION,
            "opens_at": _beijing(today - dt.timedelta(days=1), 9),
            "closes_at": _beijing(today + dt.timedelta(days=1), 17),
            "project_types": [PROJECT_TYPE],
            "limit_per_applicant": 1,
            "start_batch": 1,
            "quotas": {code: 1 for code in cities},
        },
    )
    policy.call_publish(actor=province, call=call)
    created["calls"] += 1
    return call


def _application(theme: Theme, n: int, call: Call, school, partners, staff) -> Application:
    app = Application.objects.filter(call=call, applicant=school).exclude(status=Status.WITHDRAWN).first()
    if app is not None:
        return app
    actor = _actor(staff, school)
    project_type = call.project_types.get(code=PROJECT_TYPE)
    app = applications.application_create(actor=actor, call=call, project_type=project_type)
    applications.application_save_draft(actor=actor, application=app, data=_draft(theme, partners, staff, n))
    _attach(actor, app, theme, partners)
    app.refresh_from_db()
    applications.application_submit(actor=actor, application=app, expected_version=app.row_version)
    return app


def _yearly(theme: Theme) -> dict[int, dict[tuple[str, str], Decimal]]:
    """The theme's budget by construction year, source and kind (yuan)."""
    out: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for line in budget_lines(theme):
        out[line["year"]][(line["source"], line["kind"])] = Decimal(line["amount"])
    return out


def _report_data(theme: Theme, project: Project, year: int, *, misfiled: bool = False) -> dict:
    """A year's report as a school files it: funds as planned, two assets, use by purpose, the KPIs
    the task book targets. `misfiled`: the enterprises' part is entered as the school's cash (the
    mistake the walkthrough's draft makes, which brings the enterprises' share below one third)."""
    rng = _rng("report", f"{project.code}:{year}")
    planned = dict(_yearly(theme)[year])
    if misfiled:
        moved = sum((a for (source, _k), a in planned.items() if source == "enterprise"), Decimal(0))
        planned = {key: a for key, a in planned.items() if key[0] != "enterprise"}
        planned[("school", "cash")] = planned.get(("school", "cash"), Decimal(0)) + moved
    funding = []
    for (source, kind), received in planned.items():
        spent = (received * SPENT_SHARE).quantize(Decimal("1"))
        funding.append({"source": source, "kind": kind, "received": str(received), "spent": str(spent)})
    city = theme.city[:4]
    equipment = [
        {
            "action": "add",
            "asset_number": f"{city}-{year}-{i:03d}",
            "name": name,
            "model": model,
            "value": str(value),
            "source": source,
            "changed_on": str(project.starts_on + dt.timedelta(days=365 * (year - 1) + 60 + 30 * i)),
            "workstations": stations,
        }
        for i, (name, model, value, source, stations) in enumerate(
            (
                (f"{theme.focus}实训平台", f"CJ-{year}00", 1_800_000 + 100_000 * year, "purchase", 12),
                ("工业机器人工作站", f"IR-{year}10", 650_000, "donation", 6),
            ),
            start=1,
        )
    ]
    students = rng.randrange(5200, 6800, 100)
    open_share = Decimal(theme.workstation_share) + Decimal("0.02")  # a little above what was promised
    open_hours = int(students * open_share / (1 - open_share))
    usage = [
        {"purpose": "students", "group": "", "hours": str(students), "people": rng.randrange(1500, 2400, 10)},
        {
            "purpose": "enterprise_staff",
            "group": "",
            "hours": str(open_hours * 45 // 100),
            "people": rng.randrange(300, 600, 10),
        },
        {
            "purpose": "social",
            "group": "veterans",
            "hours": str(open_hours * 20 // 100),
            "people": rng.randrange(60, 160, 5),
        },
        {
            "purpose": "social",
            "group": "laid_off",
            "hours": str(open_hours * 15 // 100),
            "people": rng.randrange(40, 120, 5),
        },
        {
            "purpose": "social",
            "group": "migrant_workers",
            "hours": str(open_hours - open_hours * 80 // 100),
            "people": rng.randrange(80, 200, 5),
        },
        {"purpose": "competition", "group": "", "hours": str(rng.randrange(200, 500, 10)), "people": 120},
    ]
    book = (
        TaskBook.objects.filter(project=project, status=TaskBook.Status.CONFIRMED)
        .order_by("-version")
        .first()
    )
    kpis = {}
    income_wan = rng.randrange(90, 240, 5)
    for kpi in (book.content if book else {}).get("kpis", []):
        target = kpi.get("targets", {}).get(str(year))
        if target in (None, ""):
            continue
        if kpi["code"] == "tech_service_income":  # reported by its four kinds below
            income_wan = int(Decimal(str(target))) + rng.randrange(0, 30, 5)
        else:
            kpis[kpi["code"]] = str(Decimal(str(target)) + rng.randint(0, 1))
    income = {
        "development": str(income_wan * 4000),
        "transfer": str(income_wan * 2000),
        "consulting": str(income_wan * 1500),
        "service": str(income_wan * 2500),
    }
    return {
        "narrative": (
            f"第{year}年度：{theme.focus}实训平台按任务书推进，新增设备与工位已投入使用；"
            f"面向企业员工和退役军人、下岗职工、农民工开展培训；四技服务到账{income_wan}万元。"
        ),
        "funding": funding,
        "equipment": equipment,
        "usage": usage,
        "kpi_values": kpis,
        "tech_service_income": income,
    }


def _agreement(app: Application):
    link = ApplicationAttachment.objects.filter(application=app, spec_code="co_building_agreement").first()
    return link.attachment if link is not None else None


def _school_admin(school: Organization, js_school: Organization):
    if school.pk == js_school.pk:
        return _demo_account("js_school_admin")
    member = (
        Membership.objects.filter(organization=school, role=Role.ORG_ADMIN, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return member.user if member is not None else None


@transaction.atomic
def seed_projects_scenario() -> ProjectsScenario:
    """Makes what is missing of the construction scenario; returns it, with counts of what it made."""
    created = {"calls": 0, "projects": 0, "reports": 0}
    province_user = _demo_account("js_province")
    province_dept = Organization.objects.get(name="江苏省教育厅", kind="department")
    province = _actor(province_user, province_dept)
    pack = PolicyPack.objects.get(code=PACK_CODE, is_current=True)
    js_school = Membership.objects.get(user__username="js_school_admin", role=Role.ORG_ADMIN).organization
    js_enterprise = Membership.objects.get(
        user__username="js_enterprise_admin", role=Role.ORG_ADMIN
    ).organization
    js_expert_employer = Membership.objects.get(user__username="js_expert", role=Role.EXPERT).organization

    call = _call(province, pack, created)
    themes = _cohort_themes()
    schools = [(theme, _school_for(theme, js_school, {"organizations": 0, "people": 0})) for theme in themes]
    partners = _choose_partners(schools, js_enterprise, avoid={js_expert_employer.pk})
    apps = []
    for n, (theme, school) in enumerate(schools):
        staff = _applicant_staff(school, js_school, {"people": 0})
        apps.append(_application(theme, n, call, school, partners[n], staff))
    # the call closed in 2023 and the province awarded the cohort then: the dates stand for the past
    Call.objects.filter(pk=call.pk).update(
        opens_at=_beijing(COHORT_OPENS, 9), closes_at=_beijing(COHORT_CLOSES, 17)
    )
    found: list[tuple[Theme, Project]] = []
    for n, ((theme, school), app) in enumerate(zip(schools, apps, strict=True)):
        project = Project.objects.filter(application=app).first()
        if project is None:
            decision = projects.award_record_earlier(
                actor=province,
                application=app,
                approved_budget=project_selectors.requested_provincial_fund(app) * PROVINCIAL_SHARE,
                starts_on=COHORT_STARTS,
                document_number=DOCUMENT_NUMBER.format(n=31 + n),
            )
            project = decision.project
            created["projects"] += 1
            admin = _school_admin(school, js_school)
            book = TaskBook.objects.get(project=project, version=1)
            taskbook_services.task_book_confirm_school(
                actor=_actor(admin, school), task_book=book, agreement=_agreement(app)
            )
            book.refresh_from_db()
            taskbook_services.task_book_confirm_province(actor=province, task_book=book)
        found.append((theme, project))

    for theme, project in found:
        school = project.organization
        writer = _actor(_school_admin(school, js_school), school)
        walkthrough = theme.city == WALKTHROUGH_CITY
        for year in (1, 2, 3):
            if ProgressReport.objects.filter(project=project, period=year).exists():
                continue
            if walkthrough and year == 3:
                # the draft js_school_admin submits in the walkthrough
                reports_services.report_save(
                    actor=writer,
                    project=project,
                    period=year,
                    data=_report_data(theme, project, year, misfiled=True),
                )
                created["reports"] += 1
                continue
            report = reports_services.report_save(
                actor=writer, project=project, period=year, data=_report_data(theme, project, year)
            )
            report = reports_services.report_submit(actor=writer, report=report)
            reports_services.report_accept(actor=province, report=report)
            created["reports"] += 1
    projects_qs = Project.objects.filter(pk__in=[p.pk for _t, p in found])
    checks.run_checks(projects_qs)
    walk = next(p for t, p in found if t.city == WALKTHROUGH_CITY)
    return ProjectsScenario(call=call, projects=[p for _t, p in found], walkthrough=walk, created=created)


def submit_demo_self_assessments(*, leave_to: str | None = "js_school_admin") -> int:
    """The other schools of the open acceptance or performance batches write and submit their
    self-assessments (in the demo they have no password to log in with). Returns how many."""
    from chanjiao.projects import assessment_services

    n = 0
    entries = (
        AssessmentEntry.objects.filter(
            assessment__status="self_assessment",
            self_submitted_at__isnull=True,
            project__province_code="320000",
        )
        .select_related("project", "project__organization", "assessment")
        .order_by("pk")
    )
    js_school = Membership.objects.get(user__username="js_school_admin", role=Role.ORG_ADMIN).organization
    for entry in entries:
        school = entry.project.organization
        if leave_to and school.pk == js_school.pk:
            continue
        admin = _school_admin(school, js_school)
        if admin is None:
            continue
        actor = _actor(admin, school)
        kind = entry.assessment.get_kind_display()
        assessment_services.self_assessment_save(
            actor=actor,
            entry=entry,
            data={
                "self_assessment": (
                    f"{entry.project.title}{kind}自评：建设任务（一）至（七）已按任务书完成，"
                    "资金按计划到位，设备与工位已投入使用，每年向企业和社会提供约三分之一的培训工位。"
                ),
                "self_score": "88",
            },
        )
        entry.refresh_from_db()
        assessment_services.self_assessment_submit(actor=actor, entry=entry)
        n += 1
    return n


def latest_assessment_round():
    """The review round of the latest Jiangsu acceptance or performance batch under expert review."""
    from chanjiao.review.models import ReviewRound

    return (
        ReviewRound.objects.filter(
            assessment__status="reviewing",
            assessment__province_code="320000",
            kind__in=("acceptance", "performance"),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
