"""An acceptance round runs through the review's own machinery, unchanged: opened over named subjects
(`later_round_open`), conflicts computed, experts assigned by the exact solve, sheets saved and
submitted with the formula and gate leaves computed from the batch's figures, the panel opened and
the ranking read; the observer's record reads the round as it reads a selection round."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from chanjiao.applications.models import Status
from chanjiao.core.errors import ConflictError, ValidationFailed
from chanjiao.policy.models import Indicator, IndicatorSystem
from chanjiao.review import assignment as assigning
from chanjiao.review import (
    conflicts,
    panel_selectors,
    panel_services,
    scoring_selectors,
    scoring_services,
    services,
    trail_selectors,
)
from chanjiao.review.models import Assignment, Conflict, ReviewRound, ScoreSheet
from tests.conftest import ApiClient, actor_of, client_for, error_codes, error_fields

from .factories import make_application, make_enterprise, make_expert, make_review_call, make_school


def make_acceptance_system(pack) -> IndicatorSystem:
    """Total 100: 1.1 建设成效 expert 0–10 → 50 points; 2.1 合作企业实际投入占比 formula (≥1/3: 10,
    ≥1/4: 6) → 30; 2.2 按时上报 gate → 20; V1 立项条件基础丧失 (conditions_hold must be true)."""
    system = IndicatorSystem.objects.create(
        pack=pack,
        code="acceptance-flow",
        name="验收测试指标体系",
        purpose=IndicatorSystem.Purpose.ACCEPTANCE,
        total=Decimal("100"),
        inputs=[
            {"code": "enterprise_share", "name": "合作企业实际投入占比", "unit": "比例", "type": "share"},
            {"code": "reports_on_time", "name": "按时上报", "unit": "是/否", "type": "boolean"},
            {"code": "conditions_hold", "name": "立项条件基础仍然具备", "unit": "是/否", "type": "boolean"},
        ],
    )
    position = iter(range(1, 100))

    def add(code, name, method, *, parent=None, level=1, weight="0", low=None, high=None, formula=None):
        return Indicator.objects.create(
            system=system,
            parent=parent,
            code=code,
            level=level,
            name=name,
            method=method,
            weight=Decimal(weight),
            min_score=None if low is None else Decimal(low),
            max_score=None if high is None else Decimal(high),
            formula=formula or {},
            position=next(position),
        )

    first = add("1", "建设任务完成情况", "group", weight="50")
    add("1.1", "建设成效", "expert", parent=first, level=2, weight="1", low="0", high="10")
    second = add("2", "资金与过程管理", "group", weight="50")
    add(
        "2.1",
        "合作企业投入占比",
        "formula",
        parent=second,
        level=2,
        weight="30",
        formula={
            "input": "enterprise_share",
            "thresholds": [{"min": "1/3", "score": "10"}, {"min": "1/4", "score": "6"}],
        },
    )
    add(
        "2.2",
        "按时上报",
        "gate",
        parent=second,
        level=2,
        weight="20",
        formula={"input": "reports_on_time", "equals": True},
    )
    add("V1", "立项条件基础丧失", "veto", formula={"input": "conditions_hold", "equals": True})
    return system


COMMENTS = {"1": "建设任务完成。", "2": "资金到位。"}


def sheet(expert_score: str, **changes) -> dict:
    data = {
        "scores": {"1.1": expert_score},
        "vetoes": [],
        "comments": dict(COMMENTS),
        "overall_comment": "同意。",
        "recommendation": "recommend",
    }
    data.update(changes)
    return data


@pytest.fixture
def batch(regions, province_officer):
    """Three awarded applications of three schools in one acceptance round (k = 2), three experts of
    three enterprises and one of the first school's own staff (in conflict with it)."""
    call, project_type = make_review_call(regions.anhui)
    schools = [make_school(regions.hefei_shushan) for _ in range(3)]
    apps = [
        make_application(call, project_type, school, status=Status.AWARDED, title=f"验收对象{i}")
        for i, school in enumerate(schools)
    ]
    experts = [make_expert(regions.anhui, make_enterprise(regions.hefei_shushan)) for _ in range(3)]
    insider = make_expert(regions.anhui, schools[0], is_industry=False)
    inputs = {
        apps[0].pk: {"enterprise_share": "0.3512", "reports_on_time": True, "conditions_hold": True},
        apps[1].pk: {"enterprise_share": None, "reports_on_time": True, "conditions_hold": True},
        apps[2].pk: {"enterprise_share": "0.2500", "reports_on_time": False, "conditions_hold": False},
    }
    review_round = services.later_round_open(
        actor=actor_of(province_officer),
        call=call,
        project_type=project_type,
        kind=ReviewRound.Kind.ACCEPTANCE,
        name="第一批验收",
        indicator_system=make_acceptance_system(call.pack),
        subjects=inputs,
        data={
            "reviews_per_application": 2,
            "reserves": 0,
            "quota": 3,
            "review_deadline": timezone.now() + dt.timedelta(days=7),
        },
    )
    return review_round, apps, experts, insider


def _actor(expert):
    return actor_of(expert.user, expert.employer)


def test_an_acceptance_round_runs_through_the_review(batch, province_officer):
    review_round, apps, experts, insider = batch
    staff = actor_of(province_officer)

    # conflicts: the school's own staff member is kept off its application
    conflicts.conflicts_compute(actor=staff, review_round=review_round)
    assert Conflict.objects.filter(
        round=review_round, expert=insider, application=apps[0], kind=Conflict.Kind.EMPLOYER_IS_PARTY
    ).exists()

    # assignment: the exact solve over the subjects, two reviewers each
    assigning.assign_exact(actor=staff, review_round=review_round)
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.ASSIGNED
    reviewers = Assignment.objects.filter(round=review_round, reserve=False)
    assert sorted(reviewers.values_list("application_id", flat=True)) == sorted(
        [a.pk for a in apps for _ in range(2)]
    )
    assert not reviewers.filter(expert=insider, application=apps[0]).exists()

    # scoring: each new sheet starts with what the figures give
    expert_scores = {apps[0].pk: ["8", "6"], apps[1].pk: ["7", "7"], apps[2].pk: ["9", "9"]}
    for app in apps:
        for n, assignment in enumerate(reviewers.filter(application=app).order_by("expert_id")):
            actor = _actor(assignment.expert)
            fresh = scoring_selectors.sheet_of(actor, app.pk)
            if app == apps[0]:
                assert fresh.scores == {"2.1": "10", "2.2": True}
                assert fresh.vetoes == []
            elif app == apps[1]:
                assert fresh.scores == {"2.2": True}  # the share is missing: 2.1 is the expert's
            else:
                assert fresh.scores == {"2.1": "6", "2.2": False}
                assert fresh.vetoes == ["V1"]
            data = sheet(expert_scores[app.pk][n])
            if app == apps[1]:
                data["scores"]["2.1"] = "6"
            if app == apps[2]:
                data["recommendation"] = "not_recommended"
            saved = scoring_services.sheet_save(
                actor=actor, assignment=assignment, data=data, expected_version=0
            )
            scoring_services.sheet_submit(
                actor=actor, assignment=assignment, expected_version=saved.row_version
            )

    submitted = ScoreSheet.objects.filter(round=review_round, status=ScoreSheet.Status.SUBMITTED)
    assert submitted.count() == 6
    first = submitted.filter(application=apps[0]).order_by("expert_id")
    # 8/10 × 50 + 10/10 × 30 + 20 = 90; 6/10 × 50 + 30 + 20 = 80
    assert [s.total for s in first] == [Decimal("90.00"), Decimal("80.00")]
    assert all(s.scores["2.1"] == "10" for s in first)
    # 7/10 × 50 + 6/10 × 30 (scored by the expert) + 20 = 73
    assert {s.total for s in submitted.filter(application=apps[1])} == {Decimal("73.00")}
    # 9/10 × 50 + 6/10 × 30 + 0 = 63, and vetoed by the figures on every sheet
    third = submitted.filter(application=apps[2])
    assert {s.total for s in third} == {Decimal("63.00")}
    assert all(s.vetoes == ["V1"] for s in third)

    # the panel opens and ranks as for any round
    panel_services.panel_open(actor=staff, review_round=review_round)
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.PANEL
    ranking = panel_selectors.round_ranking(review_round)
    ranked = {entry.application: entry for entry in ranking.ranking.entries}
    assert ranked[apps[0].pk].score == Decimal("85.00")
    assert ranked[apps[0].pk].rank == 1
    assert ranked[apps[1].pk].score == Decimal("73.00")
    assert ranked[apps[1].pk].rank == 2
    assert ranked[apps[2].pk].vetoed
    assert ranked[apps[2].pk].rank is None


def _assigned(review_round, staff):
    conflicts.conflicts_compute(actor=staff, review_round=review_round)
    assigning.assign_exact(actor=staff, review_round=review_round)
    return Assignment.objects.filter(round=review_round, reserve=False)


def test_a_computed_leaf_is_read_only(batch, province_officer):
    review_round, apps, _experts, _insider = batch
    assignment = _assigned(review_round, actor_of(province_officer)).filter(application=apps[0]).first()
    actor = _actor(assignment.expert)

    with pytest.raises(ValidationFailed) as caught:
        scoring_services.sheet_save(
            actor=actor,
            assignment=assignment,
            data=sheet("8", scores={"1.1": "8", "2.1": "6", "2.2": "0"}),
            expected_version=0,
        )

    errors = {e.field: e for e in caught.value.errors}
    assert errors["scores.2.1"].code == "score_sheet.computed_leaf"
    assert "计算依据：合作企业实际投入占比 35.12%" in errors["scores.2.1"].message
    assert "当前：6；应为：10" in errors["scores.2.1"].message
    assert errors["scores.2.2"].code == "score_sheet.computed_leaf"
    assert "当前：不达标；应为：达标" in errors["scores.2.2"].message
    assert not ScoreSheet.objects.filter(assignment=assignment).exists()

    # the same value as computed is taken; on submission the draft's computed values are today's
    saved = scoring_services.sheet_save(
        actor=actor,
        assignment=assignment,
        data=sheet("8", scores={"1.1": "8", "2.1": "10"}),
        expected_version=0,
    )
    assert saved.scores == {"1.1": "8", "2.1": "10", "2.2": True}
    services.subject_inputs_refresh(
        review_round=review_round,
        inputs={apps[0].pk: {"enterprise_share": "0.3000", "reports_on_time": True, "conditions_hold": True}},
    )
    submitted = scoring_services.sheet_submit(
        actor=actor, assignment=assignment, expected_version=saved.row_version
    )
    assert submitted.scores["2.1"] == "6"
    assert submitted.total == Decimal("78.00")  # 8/10 × 50 = 40; 6/10 × 30 = 18; the gate 20


def test_a_later_round_sheet_needs_no_recommendation_and_keeps_a_fired_veto(batch, province_officer):
    review_round, apps, _experts, _insider = batch
    assignment = _assigned(review_round, actor_of(province_officer)).filter(application=apps[2]).first()
    actor = _actor(assignment.expert)
    saved = scoring_services.sheet_save(
        actor=actor, assignment=assignment, data=sheet("9", recommendation=""), expected_version=0
    )
    assert saved.vetoes == ["V1"]  # marked though the expert did not send it

    # the batch grades: the expert recommends nothing, and the veto counts as the figures fire it
    submitted = scoring_services.sheet_submit(
        actor=actor, assignment=assignment, expected_version=saved.row_version, data={"vetoes": []}
    )
    assert submitted.status == "submitted"
    assert submitted.recommendation == ""
    assert submitted.vetoes == ["V1"]


def test_the_sheet_page_shows_the_figures(batch, province_officer):
    review_round, apps, _experts, _insider = batch
    reviewers = _assigned(review_round, actor_of(province_officer))
    expert = reviewers.filter(application=apps[0]).first().expert

    html = client_for(expert.user, expert.employer).get(f"/review/mine/{apps[0].pk}/sheet/").content.decode()

    assert "计算依据：合作企业实际投入占比 35.12%" in html
    assert "计算依据：按时上报 是" in html
    assert 'data-computed="2.1"' in html
    assert 'name="scores.2.1"' not in html  # read-only: no input for the computed leaves
    assert 'name="scores.2.2"' not in html
    assert 'name="scores.1.1"' in html
    assert "平台尚未从申报书自动计算" not in html

    other = reviewers.filter(application=apps[1]).first().expert
    html = client_for(other.user, other.employer).get(f"/review/mine/{apps[1].pk}/sheet/").content.decode()
    assert 'data-figure-missing="2.1"' in html
    assert "合作企业实际投入占比 暂无数据" in html
    assert 'name="scores.2.1"' in html  # the expert scores it

    vetoed = reviewers.filter(application=apps[2]).first().expert
    html = client_for(vetoed.user, vetoed.employer).get(f"/review/mine/{apps[2].pk}/sheet/").content.decode()
    assert 'data-veto-computed="V1"' in html
    assert "立项条件基础仍然具备 否" in html


def test_the_page_saves_with_the_computed_leaves_left_out(batch, province_officer):
    review_round, apps, _experts, _insider = batch
    expert = _assigned(review_round, actor_of(province_officer)).filter(application=apps[0]).first().expert
    client = client_for(expert.user, expert.employer)

    response = client.post(
        f"/review/mine/{apps[0].pk}/sheet/",
        {
            "expected_version": "0",
            "action": "submit",
            "scores.1.1": "8",
            "comments.1": COMMENTS["1"],
            "comments.2": COMMENTS["2"],
            "recommendation": "recommend",
        },
    )

    assert response.status_code == 302
    stored = ScoreSheet.objects.get(round=review_round, expert=expert)
    assert stored.status == ScoreSheet.Status.SUBMITTED
    assert stored.total == Decimal("90.00")


def test_the_observer_record_reads_a_later_round(batch, province_officer, observer):
    review_round, apps, _experts, _insider = batch
    reviewers = _assigned(review_round, actor_of(province_officer))
    assignment = reviewers.filter(application=apps[0]).first()
    actor = _actor(assignment.expert)
    saved = scoring_services.sheet_save(
        actor=actor, assignment=assignment, data=sheet("8"), expected_version=0
    )
    scoring_services.sheet_submit(actor=actor, assignment=assignment, expected_version=saved.row_version)

    entries = list(trail_selectors.round_trail(actor_of(observer), review_round))
    actions = [e.action for e in entries]

    assert actions[0] == "review_round.create"
    assert "review_round.conflicts_compute" in actions
    assert "review_round.assign" in actions
    assert "score_sheet.submit" in actions
    # a later round has no applications of its call to follow: only its own steps
    assert not any(e.object_type.startswith("applications") for e in entries)
    html = client_for(observer).get(f"/review/rounds/{review_round.pk}/trail/").content.decode()
    assert "第一批验收" in html
    assert "提交评分表" in html


def test_the_round_page_speaks_of_the_batch(batch, province_officer):
    review_round, apps, _experts, _insider = batch

    html = client_for(province_officer).get(f"/review/rounds/{review_round.pk}/").content.decode()

    assert 'data-later-round="acceptance"' in html
    assert "各验收对象的评审专家" in html
    assert "各申报的评审专家" not in html
    assert "合作企业实际投入占比 35.12%" in html  # the subjects' figures
    assert "合作企业实际投入占比 暂无数据" in html
    assert "验收对象0" in html
    # what only selection has is not shown: the quota, the publicity, the award decision
    assert "本批推荐名额" not in html
    assert "公示期（工作日）" not in html
    assert 'data-tab="publicity"' not in html
    assert 'data-stage="publicity"' not in html
    assert 'data-stage="conclusion"' in html
    assert "data-decisions" not in html


def test_a_selection_round_page_is_unchanged(review, province_officer):
    html = client_for(province_officer).get(f"/review/rounds/{review.round.pk}/").content.decode()

    assert "data-later-round" not in html
    assert "各申报的评审专家" in html
    assert "本批推荐名额" in html
    assert 'data-tab="publicity"' in html
    assert 'data-stage="conclusion"' not in html


def _through_panel(review_round, apps, staff):
    reviewers = _assigned(review_round, staff)
    for assignment in reviewers:
        actor = _actor(assignment.expert)
        data = sheet("8")
        if assignment.application_id == apps[1].pk:
            data["scores"]["2.1"] = "6"
        if assignment.application_id == apps[2].pk:
            data["recommendation"] = "not_recommended"
        saved = scoring_services.sheet_save(actor=actor, assignment=assignment, data=data, expected_version=0)
        scoring_services.sheet_submit(actor=actor, assignment=assignment, expected_version=saved.row_version)
    panel_services.panel_open(actor=staff, review_round=review_round)


def test_the_panel_page_of_a_later_round_has_no_recommendation(batch, province_officer, observer):
    review_round, apps, _experts, _insider = batch
    staff = actor_of(province_officer)
    _through_panel(review_round, apps, staff)

    html = client_for(province_officer).get(f"/review/rounds/{review_round.pk}/ranking/").content.decode()

    assert 'data-later-round="acceptance"' in html
    assert "data-recommend" not in html
    assert "data-quota" not in html
    assert "data-override-form" not in html
    assert "data-recommended" not in html  # every subject is within the batch's quota: no badge
    assert "data-cut" not in html
    assert f'data-application="{apps[0].pk}"' in html
    assert "验收对象" in html
    # the observer reads the same ranking
    seen = client_for(observer).get(f"/review/rounds/{review_round.pk}/ranking/")
    assert seen.status_code == 200
    assert f'data-application="{apps[0].pk}"' in seen.content.decode()

    # and the recommendation is refused, through the page and the service: nothing moves
    response = client_for(province_officer).post(f"/review/rounds/{review_round.pk}/recommendation/")
    assert response.status_code == 409
    with pytest.raises(ConflictError) as caught:
        panel_services.recommendation_confirm(actor=staff, review_round=review_round)
    assert [e.code for e in caught.value.errors] == ["panel.recommend_later_round"]
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.PANEL
    assert {a.status for a in type(apps[0]).objects.filter(pk__in=[a.pk for a in apps])} == {Status.AWARDED}


def test_the_api_gives_the_computed_leaves_and_refuses_a_change(batch, province_officer):
    review_round, apps, _experts, _insider = batch
    expert = _assigned(review_round, actor_of(province_officer)).filter(application=apps[2]).first().expert
    api = ApiClient(expert.user, expert.employer)
    path = f"/api/v1/assigned-applications/{apps[2].pk}/sheet"

    body = api.get(path).json()

    assert body["scores"] == {"2.1": "6", "2.2": False}
    assert body["vetoes"] == ["V1"]
    computed = {row["code"]: row for row in body["computed"]}
    assert computed["2.1"]["value"] == "6"
    assert computed["2.1"]["basis"] == "合作企业实际投入占比 25.00%"
    assert computed["2.2"]["value"] is False
    assert computed["V1"]["value"] is True  # vetoed by the figures
    assert not any(row["missing"] for row in body["computed"])

    refused = api.put(path, {"expected_version": 0, **sheet("9", scores={"1.1": "9", "2.2": True})})

    assert refused.status_code == 422
    assert error_codes(refused) == ["score_sheet.computed_leaf"]
    assert error_fields(refused) == ["scores.2.2"]
    assert not ScoreSheet.objects.filter(round=review_round).exists()


def test_the_observer_reads_a_later_round_as_a_selection_round(batch, province_officer, observer):
    review_round, apps, _experts, _insider = batch
    staff = actor_of(province_officer)
    _through_panel(review_round, apps, staff)
    client = client_for(observer)
    submitted = ScoreSheet.objects.filter(round=review_round, application=apps[0]).first()

    detail = client.get(f"/review/rounds/{review_round.pk}/").content.decode()
    sheets = client.get(f"/review/rounds/{review_round.pk}/sheets/")
    one = client.get(f"/review/sheets/{submitted.pk}/").content.decode()
    trail = client.get(f"/review/rounds/{review_round.pk}/trail/")

    assert "各验收对象的评审专家" in detail
    assert "合作企业实际投入占比 35.12%" in detail
    assert sheets.status_code == 200
    assert "验收对象0" in sheets.content.decode()
    assert "计算依据：合作企业实际投入占比 35.12%" in one  # the figure the score rests on
    assert "data-value data-computed" not in one  # read-only as any submitted sheet
    assert trail.status_code == 200
    assert "开始专家组合议" in trail.content.decode()


def test_the_round_pages_link_to_the_batch_it_concludes_in(batch, province_officer):
    # the batch is the projects app's (review's code never imports it; its tests may)
    from chanjiao.projects.models import Assessment

    review_round, _apps, _experts, _insider = batch
    assessment = Assessment.objects.create(
        kind=Assessment.Kind.ACCEPTANCE,
        name="第一批验收",
        call=review_round.call,
        project_type=review_round.project_type,
        province_code="340000",
        year=2026,
        round=review_round,
        self_assessment_due=dt.date(2026, 12, 1),
        status=Assessment.Status.REVIEWING,
        created_by=province_officer,
    )
    client = client_for(province_officer)

    detail = client.get(f"/review/rounds/{review_round.pk}/").content.decode()
    ranking = client.get(f"/review/rounds/{review_round.pk}/ranking/").content.decode()

    link = f'href="/projects/assessments/{assessment.pk}/"'
    assert link in detail
    assert link in ranking
    assert "data-conclusion-link" in detail


def test_a_later_round_has_no_rank_to_move(batch, province_officer):
    from chanjiao.core.errors import ConflictError
    from chanjiao.review import panel_services
    from chanjiao.review.models import RankingOverride

    review_round, apps, _experts, _insider = batch
    with pytest.raises(ConflictError) as caught:
        panel_services.ranking_override(
            actor=actor_of(province_officer),
            review_round=review_round,
            application_id=apps[0].pk,
            to_rank=2,
            reason="专家组认为应当调整",
        )
    assert [e.code for e in caught.value.errors] == ["panel.override_later_round"]
    assert "验收评审" in caught.value.errors[0].message
    assert not RankingOverride.objects.exists()
