"""Reviewer assignment at province scale: 2,000 applications × 600 experts × 5 reviews.

.venv/bin/python bench/assignment.py [--applications 2000] [--experts 600] [--k 5] [--cap 20]
                                     [--same-city] [--seed 1] [--skip-milp] [--time-limit 1800]

A synthetic province (16 cities, 250 schools, 900 enterprises, 60 enterprise groups, 25 vocational
education groups) with realistic conflicts, computed by the platform's own rules
(chanjiao.review.conflicts.compute): experts working for the applicant or a partner, for the same
group, in the same education group, named in the application, excluded by the applicant (0–3 each),
and, with --same-city, in the applicant's city. Affinity is the platform's own
(chanjiao.review.affinity). 5 % of experts are unavailable.

The exact solve (OR-tools min-cost flow) is timed and checked against every hard constraint, then
the same model is solved independently (SciPy's HiGHS, a two-stage integer programme: the most
applications with an industry expert, then the most affinity) and the objectives compared. The
seeded draw is timed too. Figures go to docs/performance.md.

With --db the same kind of province is stored in a database (BENCH_DATABASE_URL, default SQLite at
var/bench-review.sqlite3; made once, reused) with the shipped reference data, and the services run as
staff would run them: recomputing the conflicts from the database, the exact assignment (conflicts,
reading the round, the solve, the explanations, storing 10,000 assignments) and the draw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from _setup import setup_django

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宇浩凯鹏飞晨阳"
CATEGORIES = [
    ("41", "农林牧渔大类"),
    ("42", "资源环境与安全大类"),
    ("43", "能源动力与材料大类"),
    ("44", "土木建筑大类"),
    ("45", "水利大类"),
    ("46", "装备制造大类"),
    ("47", "生物与化工大类"),
    ("48", "轻工纺织大类"),
    ("49", "食品药品与粮食大类"),
    ("50", "交通运输大类"),
    ("51", "电子与信息大类"),
    ("52", "医药卫生大类"),
    ("53", "财经商贸大类"),
    ("54", "旅游大类"),
    ("55", "文化艺术大类"),
    ("56", "新闻传播大类"),
    ("57", "教育与体育大类"),
    ("58", "公安与司法大类"),
    ("59", "公共管理与服务大类"),
]
# (section, divisions): GB/T 4754-2017 sections and some of their divisions
SECTIONS = {
    "A": ["01", "02", "03", "05"],
    "C": ["13", "14", "17", "26", "27", "29", "30", "33", "34", "35", "36", "37", "38", "39", "40"],
    "D": ["44", "45"],
    "E": ["47", "48", "50"],
    "F": ["51", "52"],
    "G": ["53", "54", "56", "58", "59"],
    "H": ["61", "62"],
    "I": ["63", "64", "65"],
    "J": ["66", "67", "68"],
    "M": ["73", "74", "75"],
    "O": ["80", "81"],
    "Q": ["83", "84"],
}


def zipf_choice(rng: random.Random, items: list, s: float = 1.1):
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights=weights, k=1)[0]


def build(args):
    from chanjiao.review import affinity
    from chanjiao.review.conflicts import APPLICANT, AppFacts, ExpertFacts, OrgFacts, Party

    rng = random.Random(args.seed)
    cities = [f"34{c:02d}" for c in range(1, 17)]
    divisions = [(s, d) for s, ds in SECTIONS.items() for d in ds]
    vocabulary = affinity.Vocabulary(
        category_names=dict(CATEGORIES),
        industry_names={**{s: s for s in SECTIONS}, **{d: d for _s, d in divisions}},
        industry_place={**{s: (s, None) for s in SECTIONS}, **{d: (s, d) for s, d in divisions}},
    )
    # organisations
    groups = [(100_000 + i, f"集团{i}") for i in range(60)]
    edu_groups = list(range(25))
    orgs: dict[int, OrgFacts] = {}
    org_division: dict[int, str] = {}
    schools, firms = [], []
    for i in range(250):
        pk = 1 + i
        orgs[pk] = OrgFacts(pk, f"学院{i}", ((pk, f"学院{i}"),), rng.choice(cities))
        schools.append(pk)
    for i in range(900):
        pk = 1000 + i
        chain = ((pk, f"企业{i}"),)
        if rng.random() < 0.3:
            chain = chain + (rng.choice(groups),)
        orgs[pk] = OrgFacts(pk, f"企业{i}", chain, rng.choice(cities))
        org_division[pk] = zipf_choice(rng, divisions, 0.6)[1]
        firms.append(pk)
    members: dict[int, set[int]] = {pk: set() for pk in orgs}
    for g in edu_groups:
        for pk in rng.sample(schools, 5) + rng.sample(firms, 7):
            members[pk].add(g)
    orgs = {pk: OrgFacts(o.id, o.name, o.chain, o.city, frozenset(members[pk])) for pk, o in orgs.items()}
    # experts
    experts, expert_fields = [], []
    used_names = set()
    for j in range(args.experts):
        while True:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            if name not in used_names:
                used_names.add(name)
                break
        industry = rng.random() < 0.4
        employer = orgs[rng.choice(firms if industry else schools)]
        categories = {zipf_choice(rng, CATEGORIES)[0] for _ in range(rng.randint(1, 3))}
        codes = []
        if industry:
            codes.append(org_division[employer.id])
        codes += [zipf_choice(rng, divisions, 0.6)[1] for _ in range(rng.randint(0, 2))]
        experts.append(ExpertFacts(j, 50_000 + j, name, employer, employer.city))
        expert_fields.append(affinity.fields_of(categories, codes, vocabulary))
    # applications
    apps, app_fields = [], []
    for a in range(args.applications):
        applicant = orgs[rng.choice(schools)]
        partners = [orgs[pk] for pk in rng.sample(firms, rng.randint(1, 3))]
        parties = (Party(applicant, APPLICANT),) + tuple(Party(p, "co_building_enterprise") for p in partners)
        exclusions = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            e = rng.choice(experts)
            exclusions.append((e.name, e.employer.name if rng.random() < 0.7 else "", "曾有业务往来"))
        summary = "依托专业群联合合作企业共建产教融合平台。"
        if rng.random() < 0.03:
            summary += f"聘请{rng.choice(experts).name}担任顾问。"
        apps.append(
            AppFacts(
                id=a,
                parties=parties,
                city=applicant.city,
                user_ids=(("creator", 900_000 + a),),
                texts=(("summary", summary),),
                exclusions=tuple(exclusions),
            )
        )
        categories = {zipf_choice(rng, CATEGORIES)[0] for _ in range(rng.randint(1, 2))}
        app_fields.append(affinity.fields_of(categories, [org_division[p.id] for p in partners], vocabulary))
    group_names = dict(groups)
    return apps, experts, app_fields, expert_fields, group_names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--experts", type=int, default=600)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--cap", type=int, default=20)
    parser.add_argument("--same-city", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-milp", action="store_true")
    parser.add_argument("--time-limit", type=float, default=1800)
    parser.add_argument("--db", action="store_true", help="run the services on a stored province")
    args = parser.parse_args()
    if args.db:
        root = Path(__file__).resolve().parent.parent
        os.environ.setdefault("BENCH_DATABASE_URL", f"sqlite:///{root / 'var' / 'bench-review.sqlite3'}")
        setup_django()
        return run_db(args)
    setup_django()

    from chanjiao.review import affinity, solver
    from chanjiao.review.conflicts import compute

    started = time.perf_counter()
    apps, experts, app_fields, expert_fields, group_names = build(args)
    print(f"built the synthetic province in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    found = compute(apps, experts, group_names=group_names, same_city=args.same_city)
    conflict_seconds = time.perf_counter() - started
    n, m = len(apps), len(experts)
    eligible = np.ones((n, m), dtype=bool)
    by_kind: dict[str, int] = {}
    for f in found:
        eligible[f.application, f.expert] = False
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    rng = np.random.default_rng(args.seed)
    unavailable = rng.random(m) < 0.05
    eligible[:, unavailable] = False
    started = time.perf_counter()
    weights = affinity.matrix(app_fields, expert_fields)
    affinity_seconds = time.perf_counter() - started
    industry = np.array([e.employer.id >= 1000 for e in experts])
    problem = solver.Problem(
        affinity=weights,
        eligible=eligible,
        industry=industry,
        capacity=np.full(m, args.cap),
        demand=np.full(n, args.k),
    )
    print(
        f"data: {n} applications × {m} experts × k={args.k}, load cap {args.cap}; "
        f"{int(industry.sum())} experts from industry, {int(unavailable.sum())} unavailable; "
        f"same-city rule {'on' if args.same_city else 'off'}"
    )
    print(
        f"conflicts: {len(found)} found in {conflict_seconds:.2f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))}); "
        f"{int((~eligible[:, ~unavailable]).sum())} conflicted pairs among available experts; "
        f"eligible pairs {int(eligible.sum())} of {n * m}"
    )
    print(
        f"affinity matrix in {affinity_seconds:.2f} s (mean {weights.mean():.2f}, max {int(weights.max())})"
    )

    flow = solver.solve_min_cost_flow(problem)
    broken = solver.check_solution(problem, flow.pairs)
    print(
        f"exact (OR-tools min-cost flow): {flow.seconds:.2f} s; "
        f"{flow.details['nodes']} nodes, {flow.details['arcs']} arcs; "
        f"objective: {flow.industry_covered} applications with an industry expert, total affinity {flow.affinity_total}; "
        f"hard constraints broken: {broken or 'none'}"
    )
    drawn = solver.draw(problem, seed=20261122, reserves=2)
    print(
        f"draw (seed 20261122, 2 reserves): {drawn.seconds:.2f} s; "
        f"{drawn.industry_covered} applications with an industry expert; "
        f"hard constraints broken: {solver.check_solution(problem, drawn.pairs) or 'none'}"
    )
    if args.skip_milp:
        return
    milp = solver.solve_milp(problem, time_limit=args.time_limit)
    print(
        f"independent (SciPy HiGHS two-stage MILP): {milp.seconds:.2f} s; {milp.details['variables']} variables; "
        f"objective: {milp.industry_covered} applications with an industry expert, total affinity {milp.affinity_total}; "
        f"hard constraints broken: {solver.check_solution(problem, milp.pairs) or 'none'}"
    )
    same = flow.key() == milp.key()
    print(f"objectives equal: {same} (flow {flow.key()}, MILP {milp.key()})")
    if not same:
        raise SystemExit(1)


# --- the services on a stored province -----------------------------------------------------------

BENCH_CALL = "评审分配基准测试"


def populate(args):
    """The synthetic province stored once (reference seeds, organisations, people, applications)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from chanjiao.applications.models import Application, Partner, ProgrammeChoice
    from chanjiao.catalog.models import Industry, ProgrammeCategory
    from chanjiao.core.models import Region
    from chanjiao.core.permissions import Role
    from chanjiao.ops.reference import load_reference_seeds
    from chanjiao.orgs.models import Membership, Organization, User
    from chanjiao.policy.models import Call, PolicyPack
    from chanjiao.review.models import (
        Availability,
        EducationGroup,
        EducationGroupMember,
        Exclusion,
        ExpertProfile,
        ReviewRound,
        codes_text,
    )

    call_command("migrate", interactive=False, verbosity=0)
    for _line in load_reference_seeds():
        pass
    found = ReviewRound.objects.filter(call__title=BENCH_CALL).first()
    if found is not None:
        return found
    started = time.perf_counter()
    rng = random.Random(args.seed)
    counties = {}
    for code in Region.objects.filter(level="county", code__startswith="34").values_list("code", flat=True):
        counties.setdefault(code[:4], code)
    places = sorted(counties.values())
    divisions = list(Industry.objects.filter(tier=2).values_list("code", flat=True))
    industry_ids = dict(Industry.objects.filter(tier=2).values_list("code", "pk"))
    categories = sorted(
        set(ProgrammeCategory.objects.filter(level="associate").values_list("code", flat=True))
    )
    with transaction.atomic():
        dept = Organization.objects.create(
            name="安徽省教育厅（评审基准）", kind="department", dept_level="province", region_id="340000"
        )
        officer = User.objects.create(
            username="bench_review_officer", display_name="基准管理员", password=make_password(None)
        )
        Membership.objects.create(user=officer, organization=dept, role=Role.PROVINCE_ADMIN)
        pack = PolicyPack.objects.filter(region_id="340000", is_current=True).first()
        project_type = pack.project_types.order_by("position", "id").first()
        now = timezone.now()
        call = Call.objects.create(
            pack=pack,
            title=BENCH_CALL,
            opens_at=now - dt.timedelta(days=60),
            closes_at=now - dt.timedelta(days=30),
            limit_per_applicant=50,
            status=Call.Status.PUBLISHED,
            published_at=now - dt.timedelta(days=60),
            created_by=officer,
        )
        call.project_types.set([project_type])
        schools = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"基准学院{i}", kind="school", school_level="associate", region_id=rng.choice(places)
                )
                for i in range(250)
            ]
        )
        groups = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"基准集团{i}",
                    kind="enterprise",
                    region_id=rng.choice(places),
                    industry_id=industry_ids[rng.choice(divisions)],
                )
                for i in range(60)
            ]
        )
        firms = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"基准企业{i}",
                    kind="enterprise",
                    region_id=rng.choice(places),
                    industry_id=industry_ids[zipf_choice(rng, divisions, 0.6)],
                    parent=rng.choice(groups) if rng.random() < 0.3 else None,
                )
                for i in range(900)
            ]
        )
        for g in range(25):
            group = EducationGroup.objects.create(name=f"基准职教集团{g}", province_id="340000")
            EducationGroupMember.objects.bulk_create(
                [
                    EducationGroupMember(group=group, organization=o)
                    for o in rng.sample(schools, 5) + rng.sample(firms, 7)
                ]
            )
        unusable = make_password(None)
        names, people = set(), []
        while len(people) < args.experts:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            if name not in names:
                names.add(name)
                people.append(
                    User(username=f"bench_expert{len(people):04d}", display_name=name, password=unusable)
                )
        people = User.objects.bulk_create(people)
        profiles, memberships = [], []
        for user in people:
            industry = rng.random() < 0.4
            employer = rng.choice(firms if industry else schools)
            cats = sorted({zipf_choice(rng, categories) for _ in range(rng.randint(1, 3))})
            codes = (
                [next(c for c, pk in industry_ids.items() if pk == employer.industry_id)] if industry else []
            )
            codes += [zipf_choice(rng, divisions, 0.6) for _ in range(rng.randint(0, 2))]
            codes = sorted(set(codes))
            memberships.append(Membership(user=user, organization=employer, role=Role.EXPERT))
            profiles.append(
                ExpertProfile(
                    user=user,
                    province_id="340000",
                    employer=employer,
                    is_industry=industry,
                    programme_categories=cats,
                    industries=codes,
                    categories_text=codes_text(cats),
                    industries_text=codes_text(codes),
                )
            )
        Membership.objects.bulk_create(memberships)
        profiles = ExpertProfile.objects.bulk_create(profiles)
        slots: Counter = Counter()
        apps = []
        for a in range(args.applications):
            applicant = rng.choice(schools)
            slots[applicant.pk] += 1
            summary = "依托专业群联合合作企业共建产教融合平台。"
            if rng.random() < 0.03:
                summary += f"聘请{rng.choice(people).display_name}担任顾问。"
            apps.append(
                Application(
                    call=call,
                    project_type=project_type,
                    applicant=applicant,
                    city_code=applicant.region_id[:4] + "00",
                    slot=slots[applicant.pk],
                    title=f"基准申报{a}",
                    summary=summary,
                    status="under_review",
                    first_submitted_at=now - dt.timedelta(days=40),
                    submitted_at=now - dt.timedelta(days=40),
                    created_by=officer,
                )
            )
        apps = Application.objects.bulk_create(apps, batch_size=1000)
        partners, programmes, exclusions = [], [], []
        for app in apps:
            for position, firm in enumerate(rng.sample(firms, rng.randint(1, 3))):
                partners.append(
                    Partner(
                        application=app, organization=firm, role="co_building_enterprise", position=position
                    )
                )
            for position, cat in enumerate(
                sorted({zipf_choice(rng, categories) for _ in range(rng.randint(1, 2))})
            ):
                programmes.append(ProgrammeChoice(application=app, code=f"{cat}0101", position=position))
            chosen = set()
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                profile = rng.choice(profiles)
                employer = profile.employer.name if rng.random() < 0.7 else ""
                if (profile.user.display_name, employer) not in chosen:
                    chosen.add((profile.user.display_name, employer))
                    exclusions.append(
                        Exclusion(
                            application=app,
                            expert_name=profile.user.display_name,
                            employer_name=employer,
                            reason="曾有业务往来",
                            created_by=officer,
                        )
                    )
        Partner.objects.bulk_create(partners, batch_size=2000)
        ProgrammeChoice.objects.bulk_create(programmes, batch_size=2000)
        Exclusion.objects.bulk_create(exclusions, batch_size=2000)
        review_round = ReviewRound.objects.create(
            call=call,
            project_type=project_type,
            name="评审分配基准测试 · 遴选评审",
            reviews_per_application=args.k,
            load_cap=args.cap,
            same_city_conflict=args.same_city,
            created_by=officer,
        )
        Availability.objects.bulk_create(
            [
                Availability(round=review_round, expert=p, available=False)
                for p in profiles
                if rng.random() < 0.05
            ]
        )
    print(f"stored the synthetic province in {time.perf_counter() - started:.1f} s")
    return review_round


def run_db(args) -> None:
    from django.db import connection

    from chanjiao.orgs.selectors import actor_for
    from chanjiao.review import assignment as assigning
    from chanjiao.review.conflicts import conflicts_compute
    from chanjiao.review.models import Assignment, Availability, ReviewRound
    from chanjiao.review.selectors import round_applications, round_pool

    review_round = populate(args)
    review_round = ReviewRound.objects.select_related("call", "call__pack", "project_type").get(
        pk=review_round.pk
    )
    actor = actor_for(review_round.created_by)
    n = round_applications(review_round).count()
    m = round_pool(review_round).count()
    print(
        f"data ({connection.vendor}): {n} applications × {m} experts × k={review_round.reviews_per_application}, "
        f"load cap {review_round.load_cap}; {round_pool(review_round).filter(is_industry=True).count()} from industry, "
        f"{Availability.objects.filter(round=review_round, available=False).count()} unavailable"
    )
    started = time.perf_counter()
    counts = conflicts_compute(actor=actor, review_round=review_round)
    print(f"conflicts_compute: {time.perf_counter() - started:.2f} s; {counts}")
    started = time.perf_counter()
    run = assigning.assign_exact(actor=actor, review_round=review_round)
    print(
        f"assign_exact (conflicts again, model, solve, explanations, store): {time.perf_counter() - started:.2f} s; "
        f"solve alone {run.result['seconds']} s; {run.result['assignments']} assignments; "
        f"objective: {run.result['industry_covered']} applications with an industry expert, "
        f"total affinity {run.result['affinity_total']}"
    )
    _check(review_round)
    started = time.perf_counter()
    run = assigning.assign_draw(actor=actor, review_round=review_round, seed=20261122)
    print(
        f"assign_draw (seed {run.seed}, {review_round.reserves} reserves): {time.perf_counter() - started:.2f} s; "
        f"{Assignment.objects.filter(round=review_round).count()} rows with reserves"
    )
    _check(review_round)
    started = time.perf_counter()
    replay = assigning.draw_replay(run)
    print(f"draw_replay: {time.perf_counter() - started:.2f} s; same: {replay['same']}")


def _check(review_round) -> None:
    from chanjiao.review.models import Assignment, Conflict

    rows = list(
        Assignment.objects.filter(round=review_round, reserve=False).values_list(
            "application_id", "expert_id"
        )
    )
    per_app = Counter(a for a, _e in rows)
    per_expert = Counter(e for _a, e in rows)
    conflicted = set(
        Conflict.objects.filter(round=review_round, waived_at__isnull=True).values_list(
            "application_id", "expert_id"
        )
    )
    print(
        f"  stored: {len(rows)} assignments; every application has {set(per_app.values())}; "
        f"most reviews per expert {max(per_expert.values())}; conflicted pairs assigned {len(conflicted & set(rows))}"
    )


if __name__ == "__main__":
    main()
