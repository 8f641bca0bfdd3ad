"""The expert's score sheet through the API: the worked example's totals to the cent, drafts, every
refusal of bad input (all problems at once, nothing stored), the stale version, the deadline, and
a submitted sheet that can no longer change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from chanjiao.core.errors import ConflictError, Forbidden
from chanjiao.core.models import AuditEntry
from chanjiao.review import scoring_services
from chanjiao.review.models import ReviewRound, ScoreSheet
from tests.conftest import ApiClient, actor_of, error_codes

from .scoring_factories import full_sheet, scoring_case

A = "/api/v1"


@pytest.fixture
def case(review, regions, expert, enterprise, province_officer):
    return scoring_case(review, regions, expert, enterprise, province_officer)


@pytest.fixture
def gate_case(review, regions, expert, enterprise, province_officer):
    return scoring_case(review, regions, expert, enterprise, province_officer, gate=True)


def sheet_url(app, action: str = "") -> str:
    return f"{A}/assigned-applications/{app.pk}/sheet" + (f"/{action}" if action else "")


def stored(case) -> list:
    return list(
        ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version", "scores", "total")
    )


# --- the worked example --------------------------------------------------------------------------------


def test_the_sheet_shows_the_tree_with_each_leafs_share_and_range(case, expert):
    body = ApiClient(expert).get(sheet_url(case.apps[0])).json()
    assert body["status"] == "not_started"
    assert body["row_version"] == 0
    tree = body["tree"]
    assert tree["total"] == "100.00"
    # 1 weighs 30 of 100 and splits 2 : 1 between 1.1 and 1.2; 2 weighs 70 with one leaf
    leaves = {leaf["code"]: leaf for s in tree["sections"] for p in s["parts"] for leaf in p["leaves"]}
    assert {c: (leaf["points"], leaf["min"], leaf["max"]) for c, leaf in leaves.items()} == {
        "1.1": ("20.00", "0.00", "10.00"),
        "1.2": ("10.00", "0.00", "6.00"),
        "2.1": ("70.00", "0.00", "9.00"),
    }
    assert [s["points"] for s in tree["sections"]] == ["30.00", "70.00"]
    # the formula leaf is the expert's to score, with the plan's thresholds to go by
    assert leaves["1.2"]["kind"] == "formula"
    assert (
        leaves["1.2"]["how"]
        == "按“合作企业投入占总投入比例”分档：≥1/2 得6分；≥2/5 得5分；≥1/3 得4分；低于最低档得0分"
    )
    assert tree["vetoes"] == [
        {"code": "V1", "name": "建设资金总投入低于3000万元", "how": "建设资金总投入 ≥ 30000000"}
    ]


def test_worked_example_totals_to_the_cent(case, expert):
    api = ApiClient(expert)
    # a draft of one leaf: 1.1 = 7.5 of 10, worth 20 points → 7.5 / 10 × 20 = 15.00 so far
    draft = api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 7.5}})
    assert draft.status_code == 200, draft.content
    assert draft.json()["running_total"] == "15.00"
    assert draft.json()["total"] is None
    # submitted whole: 1.2 = 5 of 6 (10 points) and 2.1 = 8.3 of 9 (70 points)
    #   7.5/10 × 20 = 15        = 135/9
    #   5/6   × 10 = 8.333…     =  75/9
    #   8.3/9 × 70 = 64.555…    = 581/9
    #   total 791/9 = 87.888… → 87.89
    response = api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 1, **full_sheet()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["total"] == "87.89"
    sheet = ScoreSheet.objects.get(pk=body["id"])
    assert sheet.total == Decimal("87.89")
    assert sheet.submitted_at is not None
    assert sheet.scores == {"1.1": "7.5", "1.2": "5", "2.1": "8.3"}
    assert sheet.recommendation == "recommend"


def test_a_gate_counts_its_whole_share_or_nothing(gate_case, expert):
    # with the gate 2.2, leaf 2 splits 70 points 1 : 1 → 2.1 and 2.2 are worth 35 each
    #   1.1 7.5/10 × 20 = 15 = 135/9;  1.2 5/6 × 10 = 75/9;  2.1 8.3/9 × 35 = 290.5/9
    #   passed: + 35 = 315/9 → 815.5/9 = 90.611… → 90.61;  failed: 500.5/9 = 55.611… → 55.61
    api = ApiClient(expert)
    passed = full_sheet(scores={"1.1": "7.5", "1.2": "5", "2.1": "8.3", "2.2": True})
    failed = full_sheet(scores={"1.1": "7.5", "1.2": "5", "2.1": "8.3", "2.2": False})
    one = api.post(sheet_url(gate_case.apps[0], "submit"), {"expected_version": 0, **passed})
    two = api.post(sheet_url(gate_case.apps[1], "submit"), {"expected_version": 0, **failed})
    assert (one.status_code, two.status_code) == (200, 200), (one.content, two.content)
    assert (one.json()["total"], two.json()["total"]) == ("90.61", "55.61")


# --- bad input -----------------------------------------------------------------------------------------


def test_bad_values_are_refused_all_at_once_and_nothing_is_stored(case, expert):
    api = ApiClient(expert)
    before, audits = stored(case), AuditEntry.objects.count()
    response = api.put(
        sheet_url(case.apps[0]),
        {
            "expected_version": 0,
            "scores": {"1.1": 12, "1.2": "7.555", "2.1": "很好", "9.9": 1},
            "vetoes": ["V9"],
            "comments": {"3": "没有这个一级指标"},
            "recommendation": "maybe",
        },
    )
    assert response.status_code == 422
    errors = {(e["field"], e["code"]): e["message"] for e in response.json()["errors"]}
    assert errors[("scores.1.1", "score.out_of_range")] == "“1.1 共建机制”的评分应在 0–10 之间（当前：12）"
    assert ("scores.1.2", "score.too_precise") in errors
    assert ("scores.2.1", "score.not_a_number") in errors
    assert ("scores.9.9", "score.unknown_leaf") in errors
    assert ("vetoes.V9", "veto.unknown") in errors
    assert ("comments.3", "comment.unknown_indicator") in errors
    assert errors[("recommendation", "score_sheet.unknown_recommendation")] == (
        "推荐意见无效（当前：maybe；可选：强烈推荐、推荐、有保留地推荐、不推荐）"
    )
    assert stored(case) == before == []
    assert AuditEntry.objects.count() == audits


def test_submitting_needs_every_leaf_a_comment_per_first_level_and_a_recommendation(case, expert):
    api = ApiClient(expert)
    assert api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 6}}).status_code == 200
    before = stored(case)
    response = api.post(
        sheet_url(case.apps[0], "submit"),
        {"expected_version": 1, "scores": {"1.1": 6, "1.2": 4}, "comments": {"1": "机制清楚"}},
    )
    assert response.status_code == 422
    errors = {(e["field"], e["code"]): e["message"] for e in response.json()["errors"]}
    assert errors == {
        ("scores.2.1", "score.missing_leaf"): "请为“2.1 实训教学体系”评分（当前：空，评分范围 0–9）",
        ("comments.2", "comment.missing_first_level"): "请填写对一级指标“2 人才培养”的评审意见（当前：空）",
        ("recommendation", "score_sheet.recommendation_required"): (
            "请选择推荐意见（当前：空；可选：强烈推荐、推荐、有保留地推荐、不推荐）"
        ),
    }
    # the draft is as it was: not submitted, not even updated with the values sent
    assert stored(case) == before
    assert ScoreSheet.objects.get().scores == {"1.1": "6"}


def test_a_veto_cannot_go_with_a_recommendation(case, expert):
    api = ApiClient(expert)
    refused = api.post(
        sheet_url(case.apps[0], "submit"), {"expected_version": 0, **full_sheet(vetoes=["V1"])}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "recommendation",
            "code": "score_sheet.veto_recommended",
            "message": "已勾选一票否决项（V1 建设资金总投入低于3000万元），推荐意见应为“不推荐”（当前：推荐）",
        }
    ]
    assert not ScoreSheet.objects.exists()
    accepted = api.post(
        sheet_url(case.apps[0], "submit"),
        {"expected_version": 0, **full_sheet(vetoes=["V1"], recommendation="not_recommended")},
    )
    assert accepted.status_code == 200
    assert accepted.json()["vetoes"] == ["V1"]
    assert accepted.json()["total"] == "87.89"  # a veto marks the application; the sheet still adds up


# --- drafts and versions -------------------------------------------------------------------------------


def test_draft_then_submit(case, expert):
    api = ApiClient(expert)
    first = api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": "7.5"}})
    assert (first.json()["status"], first.json()["row_version"]) == ("draft", 1)
    # a PUT is the whole sheet: what it leaves out is saved empty
    second = api.put(
        sheet_url(case.apps[0]),
        {"expected_version": 1, "scores": {"2.1": 9}, "comments": {"2": "好"}, "recommendation": "strong"},
    )
    body = second.json()
    assert (body["row_version"], body["scores"], body["comments"]) == (2, {"2.1": "9"}, {"2": "好"})
    assert body["running_total"] == "70.00"  # 9/9 × 70
    # submitting the draft as stored lacks 1.1, 1.2 and comment 1
    short = api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 2})
    assert sorted(e["field"] for e in short.json()["errors"]) == ["comments.1", "scores.1.1", "scores.1.2"]
    # what the submission gives replaces the draft's part by part
    done = api.post(
        sheet_url(case.apps[0], "submit"),
        {
            "expected_version": 2,
            "scores": {"1.1": 10, "1.2": 6, "2.1": 9},
            "comments": {"1": "优", "2": "好"},
        },
    )
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["total"], done.json()["row_version"]) == (
        "submitted",
        "100.00",
        3,
    )
    assert done.json()["recommendation"] == "strong"
    actions = list(
        AuditEntry.objects.filter(object_type="review.scoresheet")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["score_sheet.save", "score_sheet.save", "score_sheet.submit"]


def test_a_stale_version_is_refused_with_both_versions(case, expert):
    api = ApiClient(expert)
    assert api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 5}}).status_code == 200
    before = stored(case)
    # another tab still holds version 0
    stale = api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 9}})
    assert stale.status_code == 409
    assert stale.json()["errors"] == [
        {
            "field": "expected_version",
            "code": "score_sheet.stale_version",
            "message": "评分表已在别处修改，请刷新后再操作（您看到的版本：0，当前版本：1）",
        }
    ]
    assert error_codes(
        api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 3, **full_sheet()})
    ) == ["score_sheet.stale_version"]
    assert stored(case) == before


def test_submitting_after_the_deadline_is_refused_and_nothing_is_stored(case, expert):
    api = ApiClient(expert)
    assert api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 5}}).status_code == 200
    deadline = timezone.now() - dt.timedelta(hours=1)
    ReviewRound.objects.filter(pk=case.round.pk).update(review_deadline=deadline)
    before, audits = stored(case), AuditEntry.objects.count()
    response = api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 1, **full_sheet()})
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "score_sheet.deadline_passed"
    assert error["field"] == "review_deadline"
    assert error["message"].startswith(
        f"评审已于{timezone.localtime(deadline):%Y-%m-%d %H:%M}截止，不能再提交（当前时间："
    )
    # saving the draft is closed too
    late = api.put(sheet_url(case.apps[0]), {"expected_version": 1, "scores": {"1.1": 9}})
    assert error_codes(late) == ["score_sheet.deadline_passed"]
    assert "不能再修改评分表" in late.json()["errors"][0]["message"]
    assert stored(case) == before
    assert AuditEntry.objects.count() == audits


def test_the_deadline_message_names_the_deadline_in_beijing_time(case, expert):
    # 2026-11-30 17:00 in Beijing is 09:00 UTC
    deadline = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    ReviewRound.objects.filter(pk=case.round.pk).update(review_deadline=deadline)
    case.round.refresh_from_db()
    now = dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC)
    with pytest.raises(ConflictError) as caught:
        scoring_services._require_before_deadline(case.round, now, submitting=True)
    assert (
        caught.value.errors[0].message
        == "评审已于2026-11-30 17:00截止，不能再提交（当前时间：2026-11-30 17:05）"
    )
    # one second before the deadline is still in time
    scoring_services._require_before_deadline(case.round, deadline - dt.timedelta(seconds=1), submitting=True)


def test_a_submitted_sheet_cannot_change(case, expert):
    api = ApiClient(expert)
    first = api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 0, **full_sheet()})
    assert first.status_code == 200
    before = stored(case)
    again = api.post(sheet_url(case.apps[0], "submit"), {"expected_version": 1, **full_sheet()})
    assert again.status_code == 409
    [error] = again.json()["errors"]
    assert error["code"] == "score_sheet.not_editable"
    assert error["field"] == "status"
    assert "不能再修改（当前状态：已提交）" in error["message"]
    edit = api.put(sheet_url(case.apps[0]), {"expected_version": 1, "scores": {"1.1": 1}})
    assert error_codes(edit) == ["score_sheet.not_editable"]
    assert stored(case) == before


def test_scoring_is_closed_outside_the_scoring_status(case, expert):
    ReviewRound.objects.filter(pk=case.round.pk).update(status=ReviewRound.Status.PANEL)
    response = ApiClient(expert).put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {"1.1": 5}})
    assert response.status_code == 409
    assert response.json()["errors"][0] == {
        "field": "status",
        "code": "score_sheet.round_not_scoring",
        "message": "评审轮次“遴选评审”当前状态为“专家组合议”，评分和回避只能在“专家评分中”状态下进行",
    }
    assert not ScoreSheet.objects.exists()


def test_a_round_without_an_indicator_system_cannot_be_scored(case, expert):
    ReviewRound.objects.filter(pk=case.round.pk).update(indicator_system=None)
    api = ApiClient(expert)
    assert api.get(sheet_url(case.apps[0])).json()["tree"] is None
    response = api.put(sheet_url(case.apps[0]), {"expected_version": 0, "scores": {}})
    assert error_codes(response) == ["score_sheet.no_indicator_system"]
    assert response.status_code == 409


def test_unknown_fields_in_the_body_are_refused(case, expert):
    response = ApiClient(expert).put(sheet_url(case.apps[0]), {"expected_version": 0, "total": "100"})
    assert response.status_code == 422
    assert error_codes(response) == ["input.extra_forbidden"]


def test_only_the_expert_themselves_may_write_the_sheet(case, province_officer, expert):
    # a service called with someone else's assignment refuses before looking further
    with pytest.raises(Forbidden):
        scoring_services.sheet_save(
            actor=actor_of(expert), assignment=case.others[0], data=full_sheet(), expected_version=0
        )
    with pytest.raises(Forbidden):
        scoring_services.sheet_submit(
            actor=actor_of(province_officer), assignment=case.mine[0], expected_version=0
        )
    assert not ScoreSheet.objects.exists()
