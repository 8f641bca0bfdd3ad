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
"""

from __future__ import annotations

import argparse
import random
import time

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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
