"""Assigning reviewers: the exact solve, the random draw (随机抽取), and adjustment by hand.

`build` reads a round into the solver's model (solver.py): the round's applications under review,
its province's active pool, each pair's affinity, the unwaived conflicts and unavailable experts
(ineligible pairs), each expert's remaining capacity (the load cap, less reviews in the call's other
rounds of the same kind and those fixed by hand) and each application's remaining demand (k, less
those fixed by hand). Assignments made by hand are kept when the solve or the draw runs again;
those made by an earlier solve or draw are replaced.

Every run is one transaction: conflicts are recomputed, the model is solved, and the assignments,
their explanations and the run's record are stored together; if any application cannot get its
reviewers, the refusal names each one and why, and nothing is stored (not even the recomputed
conflicts).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chanjiao.applications.models import Application, Partner, ProgrammeChoice
from chanjiao.core.audit import audit_record, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, ValidationFailed
from chanjiao.core.permissions import Actor
from chanjiao.orgs.models import OrgKind

from . import affinity as aff
from . import solver
from .conflicts import _in_pool, _in_round, _require_open, pair_conflicts, refresh_conflicts
from .models import Assignment, AssignmentRun, Availability, Conflict, ExpertProfile, ReviewRound, ScoreSheet
from .permissions import require_round_staff
from .selectors import round_applications, round_pool

ALTERNATIVES = 3  # how many of the experts not assigned an explanation names, best fit first
MAX_SEED = 2**53  # a seed stays exact in any JSON client (JavaScript numbers are doubles)


@dataclass
class RoundModel:
    """A round read into the solver's model, with what the explanations need."""

    review_round: ReviewRound
    apps: list[Application]
    experts: list[ExpertProfile]
    app_fields: list[aff.Fields]
    expert_fields: list[aff.Fields]
    vocabulary: aff.Vocabulary
    problem: solver.Problem
    caps: np.ndarray  # (m,) each expert's load cap in the round
    used_elsewhere: np.ndarray  # (m,) reviews in the call's other rounds of the same kind
    fixed: list[Assignment]  # kept: made by hand
    conflict_kinds: dict[tuple[int, int], list[str]]  # (app index, expert index) → unwaived kinds
    unavailable: set[int]  # expert indices
    app_index: dict[int, int] = field(default_factory=dict)
    expert_index: dict[int, int] = field(default_factory=dict)


def application_fields(apps: list[Application], vocabulary: aff.Vocabulary) -> list[aff.Fields]:
    ids = [a.pk for a in apps]
    programmes: dict[int, list[str]] = defaultdict(list)
    for app_id, code in ProgrammeChoice.objects.filter(application_id__in=ids).values_list(
        "application_id", "code"
    ):
        programmes[app_id].append(code[:2])
    industries: dict[int, list[str]] = defaultdict(list)
    for app_id, code in Partner.objects.filter(
        application_id__in=ids, organization__industry__isnull=False
    ).values_list("application_id", "organization__industry__code"):
        industries[app_id].append(code)
    own = dict(
        Application.objects.filter(
            pk__in=ids, applicant__kind=OrgKind.ENTERPRISE, applicant__industry__isnull=False
        ).values_list("pk", "applicant__industry__code")
    )
    for app_id, code in own.items():
        industries[app_id].append(code)
    return [aff.fields_of(programmes.get(a.pk, ()), industries.get(a.pk, ()), vocabulary) for a in apps]


def expert_fields(experts: list[ExpertProfile], vocabulary: aff.Vocabulary) -> list[aff.Fields]:
    return [aff.fields_of(e.programme_categories or (), e.industries or (), vocabulary) for e in experts]


def build(review_round: ReviewRound) -> RoundModel:
    apps = list(round_applications(review_round))
    experts = list(round_pool(review_round))
    vocabulary = aff.load_vocabulary()
    app_fields = application_fields(apps, vocabulary)
    exp_fields = expert_fields(experts, vocabulary)
    n, m = len(apps), len(experts)
    app_index = {a.pk: i for i, a in enumerate(apps)}
    expert_index = {e.pk: j for j, e in enumerate(experts)}
    affinity = aff.matrix(app_fields, exp_fields) if n and m else np.zeros((n, m), dtype=np.int64)
    eligible = np.ones((n, m), dtype=bool)
    conflict_kinds: dict[tuple[int, int], list[str]] = defaultdict(list)
    for app_id, expert_id, kind in Conflict.objects.filter(
        round=review_round, waived_at__isnull=True
    ).values_list("application_id", "expert_id", "kind"):
        a, e = app_index.get(app_id), expert_index.get(expert_id)
        if a is not None and e is not None:
            eligible[a, e] = False
            conflict_kinds[(a, e)].append(kind)
    caps = np.full(m, review_round.load_cap, dtype=np.int64)
    unavailable: set[int] = set()
    for expert_id, available, cap in Availability.objects.filter(round=review_round).values_list(
        "expert_id", "available", "load_cap"
    ):
        j = expert_index.get(expert_id)
        if j is None:
            continue
        if not available:
            unavailable.add(j)
            eligible[:, j] = False
        if cap is not None:
            caps[j] = cap
    used_elsewhere = np.zeros(m, dtype=np.int64)
    others = Counter(
        Assignment.objects.filter(
            round__call_id=review_round.call_id, round__kind=review_round.kind, reserve=False
        )
        .exclude(round=review_round)
        .values_list("expert_id", flat=True)
    )
    for expert_id, count in others.items():
        if expert_id in expert_index:
            used_elsewhere[expert_index[expert_id]] = count
    fixed = list(
        Assignment.objects.filter(
            round=review_round, method=Assignment.Method.MANUAL, reserve=False
        ).select_related("expert")
    )
    fixed_per_app = np.zeros(n, dtype=np.int64)
    fixed_per_expert = np.zeros(m, dtype=np.int64)
    covered = np.zeros(n, dtype=bool)
    industry = np.array([e.is_industry for e in experts], dtype=bool)
    for f in fixed:
        a, e = app_index.get(f.application_id), expert_index.get(f.expert_id)
        if e is not None:
            fixed_per_expert[e] += 1
        if a is not None:
            fixed_per_app[a] += 1
            if f.expert.is_industry:
                covered[a] = True
            if e is not None:
                eligible[a, e] = False  # already theirs
    k = review_round.reviews_per_application
    problem = solver.Problem(
        affinity=affinity,
        eligible=eligible,
        industry=industry,
        capacity=np.maximum(caps - used_elsewhere - fixed_per_expert, 0),
        demand=np.maximum(k - fixed_per_app, 0),
        covered=covered,
    )
    return RoundModel(
        review_round=review_round,
        apps=apps,
        experts=experts,
        app_fields=app_fields,
        expert_fields=exp_fields,
        vocabulary=vocabulary,
        problem=problem,
        caps=caps,
        used_elsewhere=used_elsewhere,
        fixed=fixed,
        conflict_kinds=dict(conflict_kinds),
        unavailable=unavailable,
        app_index=app_index,
        expert_index=expert_index,
    )


# --- refusals in words ----------------------------------------------------------------------------


def _app_label(app: Application) -> str:
    return _("申报“%(title)s”（%(applicant)s）") % {
        "title": app.title or _("未命名"),
        "applicant": app.applicant.name,
    }


def infeasible_errors(model: RoundModel, shortfalls: list[solver.Shortfall]) -> list[FieldError]:
    """Each application the pool cannot serve, and why, in words."""
    errors = []
    p = model.problem
    m = len(model.experts)
    conflicted_per_app = Counter(a for a, _e in model.conflict_kinds)
    for s in shortfalls:
        app = model.apps[s.application]
        a = s.application
        conflicted = conflicted_per_app.get(a, 0)
        unavailable = sum(1 for j in model.unavailable if (a, j) not in model.conflict_kinds)
        full = int(((p.capacity == 0) & p.eligible[a]).sum())
        if s.kind == "too_few_eligible":
            errors.append(
                FieldError(
                    f"applications[{app.pk}]",
                    "assignment.too_few_eligible",
                    _(
                        "%(app)s还需%(needed)d位评审专家，但只有%(eligible)d位可选：专家库在库%(pool)d人，"
                        "其中%(conflicted)d人与其回避，%(unavailable)d人本轮不参加"
                    )
                    % {
                        "app": _app_label(app),
                        "needed": s.needed,
                        "eligible": s.eligible,
                        "pool": m,
                        "conflicted": conflicted,
                        "unavailable": unavailable,
                    }
                    + (_("，%(full)d人评审任务已满") % {"full": full} if full else ""),
                )
            )
        else:
            others = [model.apps[g] for g in s.group if g != a]
            names = "、".join((o.title or str(o.pk)) for o in others[:5]) + ("等" if len(others) > 5 else "")
            errors.append(
                FieldError(
                    f"applications[{app.pk}]",
                    "assignment.pool_exhausted",
                    _(
                        "%(app)s与另外%(others)d项申报共需%(needed)d次评审，但可评审它们的专家（已除去回避和本轮不参加者）"
                        "在评审上限内最多只能承担%(capacity)d次；请增加专家、提高评审上限或减少每项评审人数"
                    )
                    % {
                        "app": _app_label(app),
                        "others": len(others),
                        "needed": s.group_needed,
                        "capacity": s.group_capacity,
                    }
                    + (_("（同组申报：%(names)s）") % {"names": names} if others else ""),
                )
            )
    return errors


# --- explanations ---------------------------------------------------------------------------------


def _alternative(
    model: RoundModel, a: int, e: int, load: np.ndarray, context: dict[str, Any]
) -> dict[str, Any]:
    expert = model.experts[e]
    item: dict[str, Any] = {
        "expert": expert.pk,
        "name": expert.name,
        "employer": expert.employer.name,
        "affinity": int(model.problem.affinity[a, e]),
        "industry": bool(expert.is_industry),
    }
    if (a, e) in model.conflict_kinds:
        item.update(reason="conflict", kinds=model.conflict_kinds[(a, e)])
    elif e in model.unavailable:
        item["reason"] = "unavailable"
    elif load[e] >= model.caps[e]:
        item.update(reason="load_cap", cap=int(model.caps[e]))
    elif context.get("numbers") is not None:
        item.update(reason="not_drawn", number=int(context["numbers"][a, e]))
    elif item["affinity"] < context["lowest"]:
        item.update(reason="lower_affinity", lowest=context["lowest"])
    elif (
        context.get("industry_slot") is not None
        and not expert.is_industry
        and item["affinity"] > context["slot_affinity"]
    ):
        # it would take the industry expert's place, were that place not theirs by the rule
        item.update(reason="industry_rule")
    else:
        item.update(reason="tie", lowest=context["lowest"])
    return item


def explanations(
    model: RoundModel, pairs: np.ndarray, *, method: str, numbers: np.ndarray | None = None
) -> dict[tuple[int, int], dict[str, Any]]:
    """(app index, expert index) → the assignment's explanation: its affinity and parts, whether it
    holds the application's industry place, and the best-fitting experts not assigned, with why."""
    n, m = model.problem.shape
    assigned: dict[int, list[int]] = defaultdict(list)
    for a, e in pairs:
        assigned[int(a)].append(int(e))
    for f in model.fixed:
        a, e = model.app_index.get(f.application_id), model.expert_index.get(f.expert_id)
        if a is not None and e is not None:
            assigned[a].append(e)
    load = model.used_elsewhere.copy()
    for experts in assigned.values():
        for e in experts:
            load[e] += 1
    order = (
        np.argsort(-model.problem.affinity, axis=1, kind="stable")
        if n and m
        else np.zeros((n, 0), dtype=np.int64)
    )
    out: dict[tuple[int, int], dict[str, Any]] = {}
    new = defaultdict(list)
    for a, e in pairs:
        new[int(a)].append(int(e))
    for a, chosen in new.items():
        mine = set(assigned[a])
        industry = [e for e in assigned[a] if model.experts[e].is_industry]
        slot = industry[0] if len(industry) == 1 and industry[0] in chosen else None
        lowest = min(int(model.problem.affinity[a, e]) for e in chosen)
        context = {
            "lowest": lowest,
            "industry_slot": slot,
            "slot_affinity": int(model.problem.affinity[a, slot]) if slot is not None else 0,
            "numbers": numbers,
        }
        alternatives = []
        for e in order[a]:
            e = int(e)
            if e in mine:
                continue
            alternatives.append(_alternative(model, a, e, load, context))
            if len(alternatives) >= ALTERNATIVES:
                break
        for e in chosen:
            out[(a, e)] = {
                "method": method,
                "affinity": aff.parts(model.app_fields[a], model.expert_fields[e], model.vocabulary),
                "industry": bool(model.experts[e].is_industry),
                "industry_slot": e == slot,
                "number": int(numbers[a, e]) if numbers is not None else None,
                "alternatives": alternatives,
            }
    return out


def industry_uncovered(model: RoundModel, pairs: np.ndarray) -> list[dict[str, Any]]:
    """Applications left without an industry expert, and why (the pool allowed no more)."""
    p = model.problem
    n, _m = p.shape
    has = p.covered.copy()
    if len(pairs):
        ind = p.industry[pairs[:, 1]]
        has[pairs[ind, 0]] = True
    out = []
    for a in np.flatnonzero(~has).tolist():
        eligible_industry = int((p.eligible[a] & p.industry).sum())
        reason = "industry_capacity" if eligible_industry else "no_eligible_industry"
        out.append(
            {"application": model.apps[a].pk, "reason": reason, "eligible_industry": eligible_industry}
        )
    return out


# --- storing a run --------------------------------------------------------------------------------


def _digest(problem: solver.Problem) -> str:
    h = hashlib.sha256()
    for array in (problem.eligible, problem.industry, problem.capacity, problem.demand, problem.covered):
        h.update(np.ascontiguousarray(array).tobytes())
        h.update(str(array.shape).encode())
    return h.hexdigest()


def _store(
    *,
    actor: Actor,
    model: RoundModel,
    method: str,
    pairs: np.ndarray,
    reserves: list[list[int]] | None,
    numbers: np.ndarray | None,
    run: AssignmentRun,
) -> int:
    review_round = model.review_round
    Assignment.objects.filter(round=review_round).exclude(method=Assignment.Method.MANUAL).delete()
    explained = explanations(model, pairs, method=method, numbers=numbers)
    rows = []
    for a, e in pairs:
        a, e = int(a), int(e)
        x = explained[(a, e)]
        rows.append(
            Assignment(
                round=review_round,
                expert=model.experts[e],
                application=model.apps[a],
                method=method,
                run=run,
                affinity=int(model.problem.affinity[a, e]),
                explanation=x,
                created_by=actor.user,
            )
        )
    # Reserves come from the eligible pairs not drawn, so never from a pair fixed by hand.
    for a, experts in enumerate(reserves or []):
        for rank, e in enumerate(experts, start=1):
            rows.append(
                Assignment(
                    round=review_round,
                    expert=model.experts[e],
                    application=model.apps[a],
                    method=method,
                    run=run,
                    affinity=int(model.problem.affinity[a, e]),
                    explanation={
                        "method": method,
                        "affinity": aff.parts(model.app_fields[a], model.expert_fields[e], model.vocabulary),
                        "industry": bool(model.experts[e].is_industry),
                        "number": int(numbers[a, e]) if numbers is not None else None,
                        "reserve": rank,
                    },
                    reserve=True,
                    reserve_rank=rank,
                    created_by=actor.user,
                )
            )
    Assignment.objects.bulk_create(rows, batch_size=1000)
    if review_round.status == ReviewRound.Status.SETUP:
        review_round.status = ReviewRound.Status.ASSIGNED
        review_round.save(update_fields=["status", "updated_at"])
    return len(rows)


def _start(actor: Actor, review_round: ReviewRound) -> RoundModel:
    """Inside the caller's transaction: lock the round, recompute its conflicts, read its model."""
    ReviewRound.objects.select_for_update().get(pk=review_round.pk)
    sheets = ScoreSheet.objects.filter(round=review_round).count()
    if sheets:  # a solve or draw replaces assignments, and score sheets hang on them
        raise ConflictError.single(
            "round",
            "assignment.scoring_started",
            _("评审轮次“%(name)s”的专家已开始评分（已有%(n)d份评分表），不能重新分配；请在各申报页面人工调整")
            % {"name": review_round.name, "n": sheets},
        )
    refresh_conflicts(actor=actor, review_round=review_round)
    model = build(review_round)
    if not model.apps:
        raise ValidationFailed.single(
            "round",
            "assignment.no_applications",
            _("评审轮次“%(name)s”中还没有已进入评审的申报（申报须经省级受理）") % {"name": review_round.name},
        )
    return model


def assign_exact(*, actor: Actor, review_round: ReviewRound) -> AssignmentRun:
    """The exact solve: the most applications with an industry expert, then the most affinity,
    within every hard constraint. Refuses, storing nothing, when any application cannot be served."""
    require_round_staff(actor, review_round)
    _require_open(review_round)
    with transaction.atomic():
        model = _start(actor, review_round)
        try:
            solution = solver.solve_min_cost_flow(model.problem)
        except solver.Infeasible as exc:
            raise ValidationFailed(infeasible_errors(model, exc.shortfalls)) from None
        uncovered = industry_uncovered(model, solution.pairs)
        run = AssignmentRun.objects.create(
            round=review_round,
            method=AssignmentRun.Method.EXACT,
            parameters=_parameters(model),
            result={
                "applications": len(model.apps),
                "experts": len(model.experts),
                "assignments": len(solution.pairs) + len(model.fixed),
                "fixed": len(model.fixed),
                "industry_covered": solution.industry_covered,
                "affinity_total": solution.affinity_total,
                "seconds": round(solution.seconds, 3),
                "industry_uncovered": uncovered,
            },
            created_by=actor.user,
        )
        stored = _store(
            actor=actor,
            model=model,
            method=Assignment.Method.EXACT,
            pairs=solution.pairs,
            reserves=None,
            numbers=None,
            run=run,
        )
        audit_record(
            actor=actor,
            action="review_round.assign",
            obj=review_round,
            changes={
                "run": [None, run.pk],
                "assignments": [None, stored],
                "industry_covered": [None, solution.industry_covered],
                "affinity_total": [None, solution.affinity_total],
            },
        )
    return run


def _parameters(model: RoundModel) -> dict[str, Any]:
    p = model.problem
    return {
        "k": model.review_round.reviews_per_application,
        "load_cap": model.review_round.load_cap,
        "applications": [a.pk for a in model.apps],
        "experts": [e.pk for e in model.experts],
        "industry": [bool(x) for x in p.industry.tolist()],
        "capacity": [int(x) for x in p.capacity.tolist()],
        "demand": [int(x) for x in p.demand.tolist()],
        "covered": [bool(x) for x in p.covered.tolist()],
        # the ineligible pairs, as indices: conflicts, unavailable experts, pairs fixed by hand
        "ineligible": [[int(a), int(e)] for a, e in zip(*np.nonzero(~p.eligible), strict=True)],
        "digest": _digest(p),
    }


def problem_from_parameters(parameters: dict[str, Any]) -> solver.Problem:
    n, m = len(parameters["applications"]), len(parameters["experts"])
    eligible = np.ones((n, m), dtype=bool)
    for a, e in parameters["ineligible"]:
        eligible[a, e] = False
    return solver.Problem(
        affinity=np.zeros((n, m), dtype=np.int64),
        eligible=eligible,
        industry=np.array(parameters["industry"], dtype=bool),
        capacity=np.array(parameters["capacity"], dtype=np.int64),
        demand=np.array(parameters["demand"], dtype=np.int64),
        covered=np.array(parameters["covered"], dtype=bool),
    )


def _draw_log(model: RoundModel, drawn: solver.Draw) -> list[dict[str, Any]]:
    per_app: dict[int, list[int]] = defaultdict(list)
    for a, e in drawn.pairs:
        per_app[int(a)].append(int(e))
    log = []
    for a, app in enumerate(model.apps):
        chosen = sorted(per_app.get(a, []), key=lambda e: drawn.numbers[a, e])
        reserve = drawn.reserves[a] if a < len(drawn.reserves) else []
        log.append(
            {
                "application": app.pk,
                "drawn": [model.experts[e].pk for e in chosen],
                "reserves": [model.experts[e].pk for e in reserve],
                "numbers": {str(model.experts[e].pk): int(drawn.numbers[a, e]) for e in [*chosen, *reserve]},
            }
        )
    return log


def assign_draw(
    *, actor: Actor, review_round: ReviewRound, seed: int | None = None, reserves: int | None = None
) -> AssignmentRun:
    """随机抽取 with a recorded seed (given, or made here): the same seed on the same inputs draws
    the same experts. Hard constraints as in the exact solve; reserves per application."""
    require_round_staff(actor, review_round)
    _require_open(review_round)
    errors = ErrorCollector()
    if seed is not None and not (0 <= seed < MAX_SEED):
        errors.add(
            "seed",
            "draw.seed_out_of_range",
            _("随机种子应为 0 至 %(max)d 之间的整数（当前：%(cur)s）") % {"max": MAX_SEED - 1, "cur": seed},
        )
    reserves = review_round.reserves if reserves is None else reserves
    if not (0 <= reserves <= 10):
        errors.add(
            "reserves",
            "draw.reserves_out_of_range",
            _("候补人数应为 0 至 10（当前：%(cur)s）") % {"cur": reserves},
        )
    errors.raise_if_any()
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    with transaction.atomic():
        model = _start(actor, review_round)
        try:
            drawn = solver.draw(model.problem, seed=seed, reserves=reserves)
        except solver.Infeasible as exc:
            raise ValidationFailed(infeasible_errors(model, exc.shortfalls)) from None
        parameters = {**_parameters(model), "reserves": reserves}
        run = AssignmentRun.objects.create(
            round=review_round,
            method=AssignmentRun.Method.DRAW,
            seed=seed,
            parameters=parameters,
            result={
                "applications": len(model.apps),
                "experts": len(model.experts),
                "assignments": len(drawn.pairs) + len(model.fixed),
                "fixed": len(model.fixed),
                "industry_covered": drawn.industry_covered,
                "seconds": round(drawn.seconds, 3),
                "industry_uncovered": industry_uncovered(model, drawn.pairs),
                "log": _draw_log(model, drawn),
            },
            created_by=actor.user,
        )
        stored = _store(
            actor=actor,
            model=model,
            method=Assignment.Method.DRAW,
            pairs=drawn.pairs,
            reserves=drawn.reserves,
            numbers=drawn.numbers,
            run=run,
        )
        audit_record(
            actor=actor,
            action="review_round.draw",
            obj=review_round,
            changes={"run": [None, run.pk], "seed": [None, str(seed)], "assignments": [None, stored]},
        )
    return run


def draw_replay(run: AssignmentRun) -> dict[str, Any]:
    """Draws again from the run's recorded seed and inputs and compares with what was drawn."""
    if run.method != AssignmentRun.Method.DRAW:
        raise ValidationFailed.single("run", "draw.not_a_draw", _("只有随机抽取的记录可以复现"))
    parameters = run.parameters
    problem = problem_from_parameters(parameters)
    digest_ok = _digest(problem) == parameters.get("digest")
    drawn = solver.draw(problem, seed=run.seed, reserves=parameters.get("reserves", 0))
    apps, experts = parameters["applications"], parameters["experts"]
    per_app: dict[int, set[int]] = defaultdict(set)
    for a, e in drawn.pairs:
        per_app[apps[int(a)]].add(experts[int(e)])
    differences = []
    for entry in run.result.get("log", []):
        again = per_app.get(entry["application"], set())
        reserves_again = [experts[e] for e in drawn.reserves[apps.index(entry["application"])]]
        if set(entry["drawn"]) != again or entry["reserves"] != reserves_again:
            differences.append(entry["application"])
    return {
        "seed": run.seed,
        "inputs_intact": digest_ok,
        "same": digest_ok and not differences,
        "applications": len(apps),
        "differences": differences,
    }


# --- by hand --------------------------------------------------------------------------------------


def _load(review_round: ReviewRound, expert: ExpertProfile) -> tuple[int, int]:
    """(reviews the expert holds in the call's rounds of this kind, their cap in this round)."""
    held = Assignment.objects.filter(
        round__call_id=review_round.call_id, round__kind=review_round.kind, expert=expert, reserve=False
    ).count()
    availability = Availability.objects.filter(round=review_round, expert=expert).first()
    cap = (
        availability.load_cap if availability and availability.load_cap is not None else review_round.load_cap
    )
    return held, cap


def assignment_add(
    *, actor: Actor, review_round: ReviewRound, expert: ExpertProfile, application: Application, reason: str
) -> Assignment:
    """Province staff assign an expert by hand, with a reason. Refused, naming the conflict, when the
    expert is in conflict with the application; refused at the load cap, for an unavailable expert,
    and when the application already has its k reviewers. A reserve called in becomes a reviewer."""
    require_round_staff(actor, review_round)
    _require_open(review_round)
    errors = ErrorCollector()
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", "assignment.reason_required", _("人工调整须写明理由"))
    errors.raise_if_any()
    _in_round(review_round, application)
    _in_pool(review_round, expert)
    with transaction.atomic():
        ReviewRound.objects.select_for_update().get(pk=review_round.pk)
        conflicts = pair_conflicts(review_round, expert, application)
        if conflicts:
            raise ValidationFailed.single(
                "expert_id",
                "assignment.conflict",
                _("专家“%(name)s”与%(app)s存在回避关系，不能分配：%(why)s")
                % {
                    "name": expert.name,
                    "app": _app_label(application),
                    "why": "；".join(t for _k, t in conflicts),
                },
            )
        availability = Availability.objects.filter(round=review_round, expert=expert).first()
        if availability is not None and not availability.available:
            raise ValidationFailed.single(
                "expert_id",
                "assignment.expert_unavailable",
                _("专家“%(name)s”本轮不参加评审%(note)s")
                % {"name": expert.name, "note": f"（{availability.note}）" if availability.note else ""},
            )
        existing = Assignment.objects.filter(
            round=review_round, expert=expert, application=application
        ).first()
        if existing is not None and not existing.reserve:
            raise ConflictError.single(
                "expert_id",
                "assignment.duplicate",
                _("专家“%(name)s”已分配评审该申报") % {"name": expert.name},
            )
        held, cap = _load(review_round, expert)
        if held >= cap:
            raise ValidationFailed.single(
                "expert_id",
                "assignment.load_cap_reached",
                _("专家“%(name)s”已达评审上限（已分配%(held)d项，上限%(cap)d项）")
                % {"name": expert.name, "held": held, "cap": cap},
            )
        k = review_round.reviews_per_application
        count = (
            Assignment.objects.filter(round=review_round, application=application, reserve=False)
            .exclude(sheet__status=ScoreSheet.Status.RECUSED)  # a recused expert no longer reviews it
            .count()
        )
        if count >= k:
            raise ValidationFailed.single(
                "application_id",
                "assignment.application_full",
                _("%(app)s已有%(count)d位评审专家（每项%(k)d位），请先移除一位再添加")
                % {"app": _app_label(application), "count": count, "k": k},
            )
        vocabulary = aff.load_vocabulary()
        a_fields = application_fields([application], vocabulary)[0]
        e_fields = expert_fields([expert], vocabulary)[0]
        explanation = {
            "method": Assignment.Method.MANUAL,
            "affinity": aff.parts(a_fields, e_fields, vocabulary),
            "industry": bool(expert.is_industry),
            "reason": reason,
            "from_reserve": existing.reserve_rank if existing is not None else None,
        }
        if existing is not None:  # a reserve called in
            before = snapshot(existing)
            existing.reserve = False
            existing.reserve_rank = None
            existing.method = Assignment.Method.MANUAL
            existing.reason = reason
            existing.explanation = {**explanation, "number": (existing.explanation or {}).get("number")}
            existing.created_by = actor.user
            existing.save()
            assignment = existing
            changes = {k_: [before.get(k_), v] for k_, v in snapshot(existing).items() if before.get(k_) != v}
        else:
            try:
                assignment = Assignment.objects.create(
                    round=review_round,
                    expert=expert,
                    application=application,
                    method=Assignment.Method.MANUAL,
                    affinity=explanation["affinity"]["total"],
                    explanation=explanation,
                    reason=reason,
                    created_by=actor.user,
                )
            except IntegrityError:
                raise ConflictError.single(
                    "expert_id",
                    "assignment.duplicate",
                    _("专家“%(name)s”已分配评审该申报") % {"name": expert.name},
                ) from None
            changes = {k_: [None, v] for k_, v in snapshot(assignment).items()}
        audit_record(actor=actor, action="review_assignment.add", obj=assignment, changes=changes)
    return assignment


def assignment_remove(*, actor: Actor, assignment: Assignment, reason: str) -> None:
    """Province staff take an assignment (or a reserve) away by hand, with a reason."""
    require_round_staff(actor, assignment.round)
    _require_open(assignment.round)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single("reason", "assignment.reason_required", _("人工调整须写明理由"))
    with transaction.atomic():
        sheet = ScoreSheet.objects.filter(assignment=assignment).first()
        if sheet is not None and sheet.status != ScoreSheet.Status.DRAFT:
            raise ConflictError.single(
                "assignment",
                "assignment.has_sheet",
                _("专家“%(name)s”对该申报的评分表%(status)s，该分配是评分表的记录，不能移除")
                % {"name": assignment.expert.name, "status": sheet.get_status_display()},
            )
        before = snapshot(assignment)
        audit_record(
            actor=actor,
            action="review_assignment.remove",
            obj=assignment,
            changes={
                **{k: [v, None] for k, v in before.items()},
                "reason": [None, reason],
                **({"draft_sheet": [sheet.pk, None]} if sheet is not None else {}),
            },
        )
        if sheet is not None:
            sheet.delete()
        assignment.delete()
