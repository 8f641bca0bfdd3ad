"""Assignment through the API: the exact solve, infeasibility explained with nothing stored, the
seeded draw, and adjustment by hand with its refusals."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from chanjiao.core.models import AuditEntry
from chanjiao.review import assignment as assigning
from chanjiao.review import solver
from chanjiao.review.models import Assignment, AssignmentRun, Availability, Conflict
from tests.conftest import ApiClient, actor_of, error_codes

from .factories import make_enterprise, make_expert, make_school

A = "/api/v1"


@pytest.fixture
def pool(regions, applications):
    """Twelve experts: four from industry (one of them at the first application's partner)."""
    experts = []
    for i in range(8):
        experts.append(
            make_expert(
                regions.anhui, make_school(regions.hefei_shushan), categories=["46"] if i % 2 else ["51"]
            )
        )
    for _ in range(3):
        experts.append(make_expert(regions.anhui, make_enterprise(regions.hefei_shushan), categories=["46"]))
    partner = applications[0].partners.get().organization
    experts.append(make_expert(regions.anhui, partner, categories=["46"], name="合作企业专家"))
    return experts


def state():
    return (
        Assignment.objects.count(),
        AssignmentRun.objects.count(),
        Conflict.objects.count(),
        AuditEntry.objects.count(),
    )


def test_exact_assignment_meets_every_hard_constraint_and_explains_itself(
    review, applications, pool, province_officer
):
    review.round.reviews_per_application = 3
    review.round.load_cap = 2
    review.round.save()
    officer = ApiClient(province_officer)
    # when staff run the exact assignment
    response = officer.post(f"{A}/review-rounds/{review.round.pk}/assign")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["method"] == "exact"
    assert run["result"]["industry_covered"] == 6
    assert run["result"]["industry_uncovered"] == []
    rows = list(Assignment.objects.filter(round=review.round).select_related("expert"))
    # then every application has k experts, nobody is over the cap, every application has one from industry
    assert Counter(a.application_id for a in rows) == {app.pk: 3 for app in applications}
    assert max(Counter(a.expert_id for a in rows).values()) <= 2
    assert {a.application_id for a in rows if a.expert.is_industry} == {app.pk for app in applications}
    # and no conflicted pair: the partner's expert never reviews the first application
    conflicted = set(Conflict.objects.filter(round=review.round).values_list("application_id", "expert_id"))
    assert conflicted
    assert not conflicted & {(a.application_id, a.expert_id) for a in rows}
    # each assignment explains itself: affinity parts and why not others
    detail = officer.get(f"{A}/assignments/{rows[0].pk}").json()
    assert detail["explanation"]["affinity"]["total"] == detail["affinity"]
    assert detail["explanation_lines"][0].startswith(("共同领域", "与申报没有共同"))
    assert len(detail["explanation"]["alternatives"]) == 3
    assert all(item["reason"] for item in detail["explanation"]["alternatives"])


def test_exact_objective_matches_the_independent_solve(review, applications, pool, province_officer):
    review.round.reviews_per_application = 3
    review.round.load_cap = 2
    review.round.save()
    officer_actor = actor_of(province_officer)
    from chanjiao.review.conflicts import refresh_conflicts

    refresh_conflicts(actor=officer_actor, review_round=review.round)
    model = assigning.build(review.round)
    flow = solver.solve_min_cost_flow(model.problem)
    milp = solver.solve_milp(model.problem)
    assert flow.key() == milp.key()
    run = assigning.assign_exact(actor=officer_actor, review_round=review.round)
    assert (run.result["industry_covered"], run.result["affinity_total"]) == milp.key()


def test_infeasible_assignment_is_explained_and_nothing_is_stored(
    review, applications, pool, province_officer
):
    # given five reviews per application and twelve experts of whom one is in conflict with the first
    officer = ApiClient(province_officer)
    review.round.load_cap = 2  # 12 experts × 2 = 24 reviews for 6 × 5 = 30 needed
    review.round.save()
    before = state()
    response = officer.post(f"{A}/review-rounds/{review.round.pk}/assign")
    assert response.status_code == 422
    codes = set(error_codes(response))
    assert codes == {"assignment.pool_exhausted"}
    messages = [e["message"] for e in response.json()["errors"]]
    assert any("共需30次评审" in m and "最多只能承担24次" in m for m in messages), messages
    # and nothing is stored: no assignment, no run, not even the recomputed conflicts
    assert state() == before


def test_too_few_eligible_experts_named_per_application(review, applications, pool, province_officer):
    review.round.reviews_per_application = 12  # the first application has only eleven without conflict
    review.round.load_cap = 10
    review.round.save()
    response = ApiClient(province_officer).post(f"{A}/review-rounds/{review.round.pk}/assign")
    assert response.status_code == 422
    errors = response.json()["errors"]
    first = next(e for e in errors if e["field"] == f"applications[{applications[0].pk}]")
    assert first["code"] == "assignment.too_few_eligible"
    assert "还需12位评审专家，但只有11位可选" in first["message"]
    assert "其中1人与其回避" in first["message"]
    assert not Assignment.objects.exists()


def test_draw_is_reproducible_from_its_seed(review, applications, pool, province_officer, observer):
    review.round.reviews_per_application = 3
    review.round.load_cap = 3
    review.round.save()
    officer = ApiClient(province_officer)
    first = officer.post(f"{A}/review-rounds/{review.round.pk}/draw", {"seed": 8_675_309, "reserves": 2})
    assert first.status_code == 201, first.content
    drawn = sorted(
        Assignment.objects.filter(round=review.round, reserve=False).values_list(
            "application_id", "expert_id"
        )
    )
    reserves = sorted(
        Assignment.objects.filter(round=review.round, reserve=True).values_list(
            "application_id", "expert_id", "reserve_rank"
        )
    )
    assert len(drawn) == 18
    assert len(reserves) == 12
    run = AssignmentRun.objects.get(pk=first.json()["id"])
    assert run.seed == 8_675_309
    # the observer replays it from the recorded seed and inputs
    replay = ApiClient(observer).get(f"{A}/assignment-runs/{run.pk}/replay").json()
    assert replay == {
        "seed": 8_675_309,
        "inputs_intact": True,
        "same": True,
        "applications": 6,
        "differences": [],
    }
    # drawing again with the same seed gives the same experts; another seed, others
    officer.post(f"{A}/review-rounds/{review.round.pk}/draw", {"seed": 8_675_309, "reserves": 2})
    again = sorted(
        Assignment.objects.filter(round=review.round, reserve=False).values_list(
            "application_id", "expert_id"
        )
    )
    assert again == drawn
    officer.post(f"{A}/review-rounds/{review.round.pk}/draw", {"seed": 1, "reserves": 2})
    other = sorted(
        Assignment.objects.filter(round=review.round, reserve=False).values_list(
            "application_id", "expert_id"
        )
    )
    assert other != drawn
    # and the draw keeps the hard constraints: no conflicted pair, caps held
    conflicted = set(Conflict.objects.filter(round=review.round).values_list("application_id", "expert_id"))
    assert not conflicted & set(other)
    assert max(Counter(e for _a, e in other).values()) <= 3


def test_replay_notices_tampered_inputs(review, applications, pool, province_officer):
    review.round.reviews_per_application = 2
    review.round.save()
    run = assigning.assign_draw(actor=actor_of(province_officer), review_round=review.round, seed=5)
    run.parameters["capacity"][0] += 1
    assert assigning.draw_replay(run)["inputs_intact"] is False


def test_manual_assignment_of_a_conflicted_expert_is_refused_naming_the_conflict(
    review, applications, pool, province_officer
):
    review.round.reviews_per_application = 3
    review.round.save()
    officer = ApiClient(province_officer)
    partner_expert = pool[-1]
    before = state()
    response = officer.post(
        f"{A}/assignments",
        {
            "round_id": review.round.pk,
            "expert_id": partner_expert.pk,
            "application_id": applications[0].pk,
            "reason": "熟悉该领域",
        },
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "assignment.conflict"
    partner = applications[0].partners.get().organization
    assert (
        f"专家所在单位“{partner.name}”是申报单位“{applications[0].applicant.name}”的共建企业"
        in error["message"]
    )
    assert state() == before


def test_manual_assignment_needs_a_reason_and_respects_the_cap(review, applications, pool, province_officer):
    officer = ApiClient(province_officer)
    expert = pool[0]
    body = {"round_id": review.round.pk, "expert_id": expert.pk, "application_id": applications[1].pk}
    response = officer.post(f"{A}/assignments", {**body, "reason": ""})
    assert response.status_code == 422
    assert error_codes(response) == ["assignment.reason_required"]
    review.round.load_cap = 1
    review.round.save()
    assert officer.post(f"{A}/assignments", {**body, "reason": "补充"}).status_code == 201
    again = officer.post(f"{A}/assignments", {**body, "application_id": applications[2].pk, "reason": "补充"})
    assert again.status_code == 422
    assert error_codes(again) == ["assignment.load_cap_reached"]
    assert "已分配1项，上限1项" in again.json()["errors"][0]["message"]
    Availability.objects.create(round=review.round, expert=pool[1], available=False, note="出国访学")
    away = officer.post(f"{A}/assignments", {**body, "expert_id": pool[1].pk, "reason": "补充"})
    assert error_codes(away) == ["assignment.expert_unavailable"]
    assert "出国访学" in away.json()["errors"][0]["message"]


def test_hand_made_assignments_are_kept_when_the_solve_runs_again(
    review, applications, pool, province_officer
):
    review.round.reviews_per_application = 3
    review.round.load_cap = 3
    review.round.save()
    actor = actor_of(province_officer)
    kept = assigning.assignment_add(
        actor=actor, review_round=review.round, expert=pool[0], application=applications[1], reason="组长"
    )
    assigning.assign_exact(actor=actor, review_round=review.round)
    assert Assignment.objects.filter(pk=kept.pk, method="manual").exists()
    assert Assignment.objects.filter(round=review.round, application=applications[1]).count() == 3
    assert Assignment.objects.filter(round=review.round, expert=pool[0]).count() <= 3


def test_removal_needs_a_reason_and_a_reserve_can_be_called_in(review, applications, pool, province_officer):
    review.round.reviews_per_application = 3
    review.round.load_cap = 4
    review.round.save()
    officer = ApiClient(province_officer)
    officer.post(f"{A}/review-rounds/{review.round.pk}/draw", {"seed": 11, "reserves": 1})
    drawn = Assignment.objects.filter(round=review.round, application=applications[2], reserve=False).first()
    reserve = Assignment.objects.get(round=review.round, application=applications[2], reserve=True)
    refused = officer.post(f"{A}/assignments/{drawn.pk}/remove", {"reason": ""})
    assert refused.status_code == 422
    assert error_codes(refused) == ["assignment.reason_required"]
    assert officer.post(f"{A}/assignments/{drawn.pk}/remove", {"reason": "专家临时生病"}).status_code == 204
    called = officer.post(
        f"{A}/assignments",
        {
            "round_id": review.round.pk,
            "expert_id": reserve.expert_id,
            "application_id": applications[2].pk,
            "reason": "候补递补",
        },
    )
    assert called.status_code == 201, called.content
    assert called.json()["id"] == reserve.pk
    assert called.json()["reserve"] is False
    assert "由第1候补递补" in called.json()["explanation_lines"]


def test_industry_shortfall_is_reported_not_refused(review, applications, regions, province_officer):
    for _ in range(6):
        make_expert(regions.anhui, make_school(regions.hefei_shushan))
    review.round.reviews_per_application = 2
    review.round.save()
    run = assigning.assign_exact(actor=actor_of(province_officer), review_round=review.round)
    assert run.result["industry_covered"] == 0
    assert {u["reason"] for u in run.result["industry_uncovered"]} == {"no_eligible_industry"}
    assert len(run.result["industry_uncovered"]) == 6


def test_hard_constraints_hold_on_a_random_round(review, regions, province_officer):
    rng = np.random.default_rng(3)
    from .factories import make_application

    schools = [make_school(regions.hefei_shushan if i % 2 else regions.wuhu_jinghu) for i in range(8)]
    firms = [make_enterprise(regions.hefei_shushan) for _ in range(6)]
    apps = [
        make_application(
            review.call,
            review.project_type,
            schools[i % 8],
            partners=[(firms[int(rng.integers(6))], "co_building_enterprise")],
            programmes=[["460101", "510201"][i % 2]],
        )
        for i in range(16)
    ]
    experts = [
        make_expert(regions.anhui, schools[int(rng.integers(8))], categories=["46"]) for _ in range(10)
    ]
    experts += [make_expert(regions.anhui, firms[int(rng.integers(6))], categories=["51"]) for _ in range(6)]
    review.round.reviews_per_application = 3
    review.round.load_cap = 4
    review.round.save()
    assigning.assign_exact(actor=actor_of(province_officer), review_round=review.round)
    rows = list(Assignment.objects.filter(round=review.round))
    conflicted = set(Conflict.objects.filter(round=review.round).values_list("application_id", "expert_id"))
    assert Counter(r.application_id for r in rows) == {a.pk: 3 for a in apps}
    assert max(Counter(r.expert_id for r in rows).values()) <= 4
    assert not conflicted & {(r.application_id, r.expert_id) for r in rows}
    assert len(experts) == 16


def test_why_not_others_names_the_industry_rule_only_where_it_decided(review, regions, province_officer):
    from .factories import make_application

    # given one application, two school experts who fit it well and one industry expert who fits it not at all
    app = make_application(
        review.call, review.project_type, make_school(regions.wuhu_jinghu), programmes=["460101"]
    )
    good = [
        make_expert(regions.anhui, make_school(regions.hefei_shushan), categories=["46"]) for _ in range(2)
    ]
    firm = make_expert(regions.anhui, make_enterprise(regions.hefei_shushan), categories=["51"])
    review.round.reviews_per_application = 1
    review.round.save()
    # when one reviewer is assigned
    assigning.assign_exact(actor=actor_of(province_officer), review_round=review.round)
    row = Assignment.objects.get(round=review.round, application=app)
    # then the industry expert takes the place, and the better-fitting school experts were passed over by the rule
    assert row.expert == firm
    assert row.explanation["industry_slot"] is True
    assert {(x["expert"], x["reason"]) for x in row.explanation["alternatives"]} == {
        (good[0].pk, "industry_rule"),
        (good[1].pk, "industry_rule"),
    }


def test_why_not_others_conflict_load_cap_and_lower_affinity(review, regions, province_officer):
    from chanjiao.review.models import Availability

    from .factories import make_application

    partner = make_enterprise(regions.hefei_shushan)
    for _ in range(2):
        make_application(
            review.call,
            review.project_type,
            make_school(regions.wuhu_jinghu),
            programmes=["460101", "510101"],
            partners=[(partner, "co_building_enterprise")],
        )
    star = make_expert(
        regions.anhui, make_school(regions.hefei_shushan), categories=["46", "51"], is_industry=False
    )
    middle = [
        make_expert(regions.anhui, make_school(regions.hefei_shushan), categories=["46"], is_industry=False)
        for _ in range(2)
    ]
    weak = make_expert(regions.anhui, make_school(regions.hefei_shushan), categories=[], is_industry=False)
    insider = make_expert(regions.anhui, partner, categories=["46", "51"], is_industry=False)
    Availability.objects.create(round=review.round, expert=star, load_cap=1)
    review.round.reviews_per_application = 1
    review.round.save()
    assigning.assign_exact(actor=actor_of(province_officer), review_round=review.round)
    without_star = Assignment.objects.exclude(expert=star).get(round=review.round)
    reasons = {x["expert"]: x for x in without_star.explanation["alternatives"]}
    assert reasons[insider.pk]["reason"] == "conflict"
    assert reasons[insider.pk]["kinds"] == ["employer_is_party"]
    assert reasons[star.pk]["reason"] == "load_cap"
    assert without_star.expert in middle
    other = next(m for m in middle if m != without_star.expert)
    assert reasons[other.pk]["reason"] == "tie"
    assert weak.pk not in reasons  # only the three best-fitting are named
    with_star = Assignment.objects.get(round=review.round, expert=star)
    below = {x["expert"]: x for x in with_star.explanation["alternatives"]}
    assert {below[m.pk]["reason"] for m in middle} == {"lower_affinity"}
    assert below[middle[0].pk]["lowest"] == 20
