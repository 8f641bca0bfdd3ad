"""Reviewer assignment as mathematics: no Django here, only arrays in and pairs out.

The model (docs/review.md "Assignment"): n applications, m experts.

- `eligible[a, e]`: the expert is available in the round and has no unwaived conflict with the
  application; only eligible pairs may be assigned (a hard constraint).
- `demand[a]`: reviews the application still needs (k, less those fixed by hand); exactly that
  many distinct experts are assigned (hard).
- `capacity[e]`: assignments the expert may still take (the load cap, less those fixed by hand);
  never exceeded (hard).
- `industry[e]`: the expert comes from industry or an enterprise. Every application gets at least
  one such expert wherever the pool allows it: the number of applications so covered is the
  largest any assignment reaches (hard, lexicographically first).
- `affinity[a, e]`: shared programme categories and industries, an integer; among the
  assignments that cover the most applications with an industry expert, the total affinity of the
  assigned pairs is the largest (the objective).

`solve_min_cost_flow` solves it exactly as a min-cost flow (OR-tools). `solve_milp` solves the same
model as an integer programme (SciPy's HiGHS) with a different formulation (two lexicographic
stages, no big-M), so each checks the other in tests and in bench/assignment.py.
`draw` is the random draw (随机抽取): the same constraints, with seeded random numbers in place of
affinity, and reserves.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np

# Only pairs go into the flow network; the arrays stay dense because n × m is at most a few million.


@dataclass
class Problem:
    affinity: np.ndarray  # (n, m) int64, ≥ 0
    eligible: np.ndarray  # (n, m) bool
    industry: np.ndarray  # (m,) bool
    capacity: np.ndarray  # (m,) int64, ≥ 0
    demand: np.ndarray  # (n,) int64, ≥ 0
    covered: np.ndarray | None = None  # (n,) bool: the industry rule is already met (fixed pairs)

    def __post_init__(self):
        self.affinity = np.asarray(self.affinity, dtype=np.int64)
        self.eligible = np.asarray(self.eligible, dtype=bool)
        self.industry = np.asarray(self.industry, dtype=bool)
        self.capacity = np.asarray(self.capacity, dtype=np.int64)
        self.demand = np.asarray(self.demand, dtype=np.int64)
        n, m = self.eligible.shape
        if self.covered is None:
            self.covered = np.zeros(n, dtype=bool)
        self.covered = np.asarray(self.covered, dtype=bool)
        if self.affinity.shape != (n, m) or self.industry.shape != (m,) or self.capacity.shape != (m,):
            raise ValueError("affinity, industry and capacity must match eligible's shape")
        if self.demand.shape != (n,) or self.covered.shape != (n,):
            raise ValueError("demand and covered must have one entry per application")
        if (self.affinity < 0).any() or (self.capacity < 0).any() or (self.demand < 0).any():
            raise ValueError("affinity, capacity and demand are not negative")

    @property
    def shape(self) -> tuple[int, int]:
        return self.eligible.shape

    def wants_industry(self) -> np.ndarray:
        """(n,) bool: applications for which the industry rule is still to be met and can be."""
        has_industry = (self.eligible & self.industry[None, :]).any(axis=1)
        return ~self.covered & (self.demand > 0) & has_industry


@dataclass(frozen=True)
class Shortfall:
    """Why an application cannot get its reviews: `kind` is `too_few_eligible` or `pool_exhausted`."""

    application: int  # index
    kind: str
    needed: int
    eligible: int  # eligible experts (available, no conflict)
    group: tuple[int, ...] = ()  # pool_exhausted: the applications that compete for the same experts
    group_needed: int = 0
    group_capacity: int = 0  # the most reviews those experts can give the group


class Infeasible(Exception):  # noqa: N818 - the name says what it is, as Django's DoesNotExist does
    def __init__(self, shortfalls: list[Shortfall]):
        super().__init__(f"{len(shortfalls)} application(s) cannot get their reviews")
        self.shortfalls = shortfalls


@dataclass
class Solution:
    pairs: np.ndarray  # (p, 2) int64: application index, expert index, sorted
    industry_covered: int  # applications meeting the industry rule, those already covered included
    affinity_total: int  # over the pairs found here (not the fixed ones)
    seconds: float
    solver: str
    details: dict = field(default_factory=dict)

    def key(self) -> tuple[int, int]:
        """What two exact solves must agree on: (applications covered by industry, total affinity)."""
        return (self.industry_covered, self.affinity_total)


def precheck(problem: Problem) -> list[Shortfall]:
    """Applications with fewer eligible experts than they need: no solver can help these."""
    counts = problem.eligible.sum(axis=1)
    short = np.flatnonzero(counts < problem.demand)
    return [
        Shortfall(int(a), "too_few_eligible", int(problem.demand[a]), int(counts[a])) for a in short.tolist()
    ]


def _pairs(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Eligible pairs as (application indices, expert indices), in row-major order."""
    apps, experts = np.nonzero(
        problem.eligible & (problem.demand[:, None] > 0) & (problem.capacity[None, :] > 0)
    )
    return apps.astype(np.int64), experts.astype(np.int64)


def _network(problem: Problem, weight: np.ndarray, bonus: int):
    """The flow network: source → expert → (industry slot | general slot) → application.

    Node numbers: 0 the source; 1..m experts; then for each application a its general node
    G(a), its industry node I(a) and its outlet O(a), which demands `demand[a]` units. An
    industry expert's arc goes to I(a) when the application still wants the industry rule; I(a)
    passes one unit to O(a) at cost −bonus (the rule met) and the rest to G(a).
    """
    from ortools.graph.python import min_cost_flow

    n, m = problem.shape
    apps, experts = _pairs(problem)
    wants = problem.wants_industry()
    g = 1 + m + 3 * np.arange(n, dtype=np.int64)
    i_node, o_node = g + 1, g + 2
    to_industry = wants[apps] & problem.industry[experts]
    heads = np.where(to_industry, i_node[apps], g[apps])
    tails = 1 + experts
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails, heads, np.ones(len(apps), dtype=np.int64), -weight[apps, experts]
    )
    expert_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.zeros(m, dtype=np.int64),
        1 + np.arange(m, dtype=np.int64),
        problem.capacity,
        np.zeros(m, dtype=np.int64),
    )
    w = np.flatnonzero(wants)
    bonus_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        i_node[w], o_node[w], np.ones(len(w), dtype=np.int64), np.full(len(w), -bonus, dtype=np.int64)
    )
    spill_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        i_node[w], g[w], np.maximum(problem.demand[w] - 1, 0), np.zeros(len(w), dtype=np.int64)
    )
    general_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        g, o_node, problem.demand, np.zeros(n, dtype=np.int64)
    )
    total = int(problem.demand.sum())
    flow.set_nodes_supplies(
        np.concatenate([[0], o_node]).astype(np.int64),
        np.concatenate([[total], -problem.demand]).astype(np.int64),
    )
    arcs = {
        "pair": pair_arcs,
        "expert": expert_arcs,
        "bonus": bonus_arcs,
        "spill": spill_arcs,
        "general": general_arcs,
        "wants": w,
    }
    return flow, arcs, apps, experts, heads


def _bonus(problem: Problem, weight: np.ndarray) -> int:
    """A unit of the industry rule outweighs any difference in total weight."""
    top = int(weight.max()) if weight.size else 0
    return top * int(problem.demand.sum()) + 1


def solve_min_cost_flow(
    problem: Problem, *, weight: np.ndarray | None = None, solver: str = "min_cost_flow"
) -> Solution:
    """The exact solve. Raises Infeasible (with every shortfall explained) when no assignment exists."""
    started = time.perf_counter()
    shortfalls = precheck(problem)
    if shortfalls:
        raise Infeasible(shortfalls)
    weight = problem.affinity if weight is None else np.asarray(weight, dtype=np.int64)
    bonus = _bonus(problem, weight)
    flow, arcs, apps, experts, heads = _network(problem, weight, bonus)
    status = flow.solve()
    if status != flow.OPTIMAL:
        if status == flow.INFEASIBLE:
            raise Infeasible(_explain_infeasible(problem, weight, bonus))
        raise RuntimeError(f"min-cost flow ended with status {status}")  # overflow: a defect, not input
    chosen = flow.flows(arcs["pair"]) > 0
    pairs = np.column_stack([apps[chosen], experts[chosen]])
    covered = int(problem.covered.sum()) + int((flow.flows(arcs["bonus"]) > 0).sum())
    affinity_total = int(problem.affinity[pairs[:, 0], pairs[:, 1]].sum()) if len(pairs) else 0
    return Solution(
        pairs=_sorted(pairs),
        industry_covered=covered,
        affinity_total=affinity_total,
        seconds=time.perf_counter() - started,
        solver=solver,
        details={"arcs": flow.num_arcs(), "nodes": flow.num_nodes(), "cost": flow.optimal_cost()},
    )


def _sorted(pairs: np.ndarray) -> np.ndarray:
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _explain_infeasible(problem: Problem, weight: np.ndarray, bonus: int) -> list[Shortfall]:
    """The applications the pool cannot serve, found from a maximum flow and its minimum cut.

    After a maximum flow, some applications receive less than they need. The nodes that can still
    reach one of them in the residual network hold a group of applications whose eligible experts,
    all told, can give it fewer reviews than it needs (a Hall violation, the smallest such group
    around the short applications): that group and its numbers are the explanation.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order

    n, m = problem.shape
    flow, arcs, apps, experts, heads = _network(problem, weight, bonus)
    flow.solve_max_flow_with_min_cost()
    tails_all, heads_all, residual_fw, residual_bw = [], [], [], []
    for key in ("pair", "expert", "bonus", "spill", "general"):
        ids = arcs[key]
        if len(ids) == 0:
            continue
        t = np.array([flow.tail(int(i)) for i in ids]) if key != "pair" else 1 + experts
        h = np.array([flow.head(int(i)) for i in ids]) if key != "pair" else heads
        f = flow.flows(ids)
        c = (
            np.array([flow.capacity(int(i)) for i in ids])
            if key != "pair"
            else np.ones(len(ids), dtype=np.int64)
        )
        tails_all.append(t)
        heads_all.append(h)
        residual_fw.append(f < c)
        residual_bw.append(f > 0)
    t = np.concatenate(tails_all)
    h = np.concatenate(heads_all)
    fw = np.concatenate(residual_fw)
    bw = np.concatenate(residual_bw)
    rows = np.concatenate([t[fw], h[bw]])
    cols = np.concatenate([h[fw], t[bw]])
    o_node = 1 + m + 3 * np.arange(n, dtype=np.int64) + 2
    received = flow.flows(arcs["general"]).copy()
    received[arcs["wants"]] += flow.flows(arcs["bonus"])
    short = np.flatnonzero(received < problem.demand)
    # Backwards from the short outlets: transpose the residual graph, and start from one extra node
    # joined to every short outlet.
    size = flow.num_nodes() + 1
    start = size - 1
    rows_t = np.concatenate([cols, np.full(len(short), start)])
    cols_t = np.concatenate([rows, o_node[short]])
    graph = coo_matrix((np.ones(len(rows_t), dtype=np.int8), (rows_t, cols_t)), shape=(size, size)).tocsr()
    reached = np.zeros(size, dtype=bool)
    reached[breadth_first_order(graph, start, directed=True, return_predecessors=False)] = True
    group = np.flatnonzero(reached[o_node] & (problem.demand > 0))
    counts = problem.eligible.sum(axis=1)
    group_t = tuple(int(a) for a in group.tolist())
    needed = int(problem.demand[group].sum())
    capacity = int(received[group].sum())
    return [
        Shortfall(
            int(a),
            "pool_exhausted",
            int(problem.demand[a]),
            int(counts[a]),
            group=group_t,
            group_needed=needed,
            group_capacity=capacity,
        )
        for a in short.tolist()
    ]


# --- the independent exact solve -----------------------------------------------------------------


def solve_milp(problem: Problem, *, time_limit: float | None = None) -> Solution:
    """The same model as an integer programme, solved by HiGHS through scipy.optimize.milp.

    A different formulation from the flow: binary x[a,e] for every eligible pair and y[a] ∈ {0, 1}
    for "application a has an industry expert", with y[a] ≤ Σ x[a,e] over industry experts.
    Stage 1 maximises Σ y; stage 2 fixes Σ y at that optimum and maximises the affinity. No
    big-M weight is involved, so agreement with the flow is evidence, not an echo.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, csr_matrix

    started = time.perf_counter()
    shortfalls = precheck(problem)
    if shortfalls:
        raise Infeasible(shortfalls)
    n, m = problem.shape
    apps, experts = _pairs(problem)
    p = len(apps)
    wants = np.flatnonzero(problem.wants_industry())
    q = len(wants)
    nvar = p + q
    ones = np.ones(p)
    # Σ_e x[a,e] = demand[a]
    per_app = coo_matrix((ones, (apps, np.arange(p))), shape=(n, nvar))
    # Σ_a x[a,e] ≤ capacity[e]
    per_expert = coo_matrix((ones, (experts, np.arange(p))), shape=(m, nvar))
    # y[a] − Σ_{e industry} x[a,e] ≤ 0
    index_of = np.full(n, -1, dtype=np.int64)
    index_of[wants] = np.arange(q)
    ind = problem.industry[experts] & (index_of[apps] >= 0)
    rows = np.concatenate([index_of[apps[ind]], np.arange(q)])
    cols = np.concatenate([np.flatnonzero(ind), p + np.arange(q)])
    vals = np.concatenate([-np.ones(int(ind.sum())), np.ones(q)])
    link = coo_matrix((vals, (rows, cols)), shape=(q, nvar))
    constraints = [
        LinearConstraint(csr_matrix(per_app), problem.demand, problem.demand),
        LinearConstraint(csr_matrix(per_expert), -np.inf, problem.capacity),
    ]
    if q:
        constraints.append(LinearConstraint(csr_matrix(link), -np.inf, 0))
    bounds = Bounds(np.zeros(nvar), np.ones(nvar))
    integrality = np.ones(nvar)
    options = {"mip_rel_gap": 0.0, "disp": False}
    if time_limit:
        options["time_limit"] = time_limit
    stage1 = 0
    if q:
        c1 = np.concatenate([np.zeros(p), -np.ones(q)])
        first = milp(c1, constraints=constraints, bounds=bounds, integrality=integrality, options=options)
        _check(first, "stage 1")
        stage1 = round(-first.fun)
        row = csr_matrix((np.ones(q), (np.zeros(q, dtype=np.int64), p + np.arange(q))), shape=(1, nvar))
        constraints = [*constraints, LinearConstraint(row, stage1, np.inf)]
    c2 = np.concatenate([-problem.affinity[apps, experts].astype(float), np.zeros(q)])
    second = milp(c2, constraints=constraints, bounds=bounds, integrality=integrality, options=options)
    _check(second, "stage 2")
    x = np.round(second.x[:p]).astype(bool)
    pairs = _sorted(np.column_stack([apps[x], experts[x]]))
    covered_now = _covered(problem, pairs)
    return Solution(
        pairs=pairs,
        industry_covered=int(problem.covered.sum()) + covered_now,
        affinity_total=int(problem.affinity[pairs[:, 0], pairs[:, 1]].sum()) if len(pairs) else 0,
        seconds=time.perf_counter() - started,
        solver="milp_highs",
        details={"variables": nvar, "stage1": stage1, "objective": -second.fun},
    )


def _check(result, stage: str) -> None:
    if result.status == 2:
        raise Infeasible([])
    if result.status != 0:
        raise RuntimeError(f"MILP {stage} ended with status {result.status}: {result.message}")


def _covered(problem: Problem, pairs: np.ndarray) -> int:
    """Applications not covered beforehand that the pairs give an industry expert."""
    if len(pairs) == 0:
        return 0
    hit = np.zeros(problem.shape[0], dtype=bool)
    ind = problem.industry[pairs[:, 1]]
    hit[pairs[ind, 0]] = True
    return int((hit & ~problem.covered).sum())


def check_solution(problem: Problem, pairs: np.ndarray) -> list[str]:
    """Every hard constraint the pairs break, in words for a test's failure message (empty: none)."""
    problems = []
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n, m = problem.shape
    if len({(int(a), int(e)) for a, e in pairs}) != len(pairs):
        problems.append("a pair is assigned twice")
    bad = ~problem.eligible[pairs[:, 0], pairs[:, 1]] if len(pairs) else np.array([], dtype=bool)
    if bad.any():
        problems.append(f"{int(bad.sum())} ineligible pair(s) assigned")
    per_app = np.bincount(pairs[:, 0], minlength=n) if len(pairs) else np.zeros(n, dtype=np.int64)
    if (per_app != problem.demand).any():
        problems.append(
            f"applications with the wrong number of experts: {np.flatnonzero(per_app != problem.demand)[:10].tolist()}"
        )
    per_expert = np.bincount(pairs[:, 1], minlength=m) if len(pairs) else np.zeros(m, dtype=np.int64)
    if (per_expert > problem.capacity).any():
        problems.append(
            f"experts over their cap: {np.flatnonzero(per_expert > problem.capacity)[:10].tolist()}"
        )
    return problems


# --- the random draw ---------------------------------------------------------------------------


DRAW_SCALE = 1_000_000


def draw_numbers(seed: int, n: int, m: int) -> np.ndarray:
    """The drawn number of every (application, expert) pair, from the seed alone.

    Python's `random.Random(seed).random()` sequence is guaranteed the same across Python versions,
    so a recorded seed reproduces the draw on any later installation. Pairs take the sequence in
    row-major order (applications by id, experts by id).
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    values = np.fromiter((rng.random() for _ in range(n * m)), dtype=np.float64, count=n * m)
    return (values * DRAW_SCALE).astype(np.int64).reshape(n, m)


@dataclass
class Draw:
    pairs: np.ndarray  # (p, 2) the drawn reviewers
    reserves: list[list[int]]  # per application, reserve expert indices in order
    numbers: np.ndarray  # (n, m) the drawn numbers
    industry_covered: int
    seconds: float


def draw(problem: Problem, *, seed: int, reserves: int = 2) -> Draw:
    """随机抽取: every application gets its reviewers with the lowest drawn numbers the hard
    constraints allow (the same constraints as the exact solve, industry rule first), then up to
    `reserves` reserves: the eligible experts not drawn for it, lowest numbers first. Reserves take
    no capacity until staff call one in by hand, when the load cap is checked."""
    started = time.perf_counter()
    n, m = problem.shape
    numbers = draw_numbers(seed, n, m)
    # Lower number = drawn first: minimise the sum of numbers, i.e. maximise (SCALE − number).
    weight = np.where(problem.eligible, DRAW_SCALE - numbers, 0)
    solution = solve_min_cost_flow(problem, weight=weight, solver="draw")
    chosen = np.zeros((n, m), dtype=bool)
    if len(solution.pairs):
        chosen[solution.pairs[:, 0], solution.pairs[:, 1]] = True
    reserve_lists: list[list[int]] = []
    if reserves:
        masked = np.where(problem.eligible & ~chosen, numbers, np.iinfo(np.int64).max)
        order = np.argsort(masked, axis=1, kind="stable")[:, :reserves]
        for a in range(n):
            reserve_lists.append([int(e) for e in order[a] if problem.eligible[a, e] and not chosen[a, e]])
    else:
        reserve_lists = [[] for _ in range(n)]
    return Draw(
        pairs=solution.pairs,
        reserves=reserve_lists,
        numbers=numbers,
        industry_covered=solution.industry_covered,
        seconds=time.perf_counter() - started,
    )
