"""The ranking a panel discusses: each method on a worked example (numbers by hand), through the
selector, the page and the API; the quota and its default; the round's ranking settings and their lock.

Worked example 1 (five experts E1–E5 score two applications):
    A: 90, 85, 80, 75, 40   mean 370 / 5 = 74.00; trimmed (drop 90 and 40) 240 / 3 = 80.00; spread 50
    B: 82, 79, 78, 77, 76   mean 392 / 5 = 78.40; trimmed (drop 82 and 76) 234 / 3 = 78.00; spread 6
    z-score: each expert scored both, so each of their two sheets is one standard deviation from their
    mean: E1, E2, E3 put A above B (z_A = +1, z_B = −1), E4 and E5 below (−1, +1); mean z A = (1+1+1−1−1)/5
    = 0.2, B = −0.2. Over all ten sheets μ = 762 / 10 = 76.2 and σ = √(1639.6 / 10) = √163.96 ≈ 12.8047,
    so A = 76.2 + 0.2 × 12.8047 = 78.76 and B = 76.2 − 2.5609 = 73.64.
    By the trimmed mean and the z-score A ranks first; by the mean B does.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.core.errors import ConflictError, ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.review import services
from chanjiao.review.models import ReviewRound
from chanjiao.review.panel_selectors import round_quota, round_ranking
from tests.conftest import ApiClient, actor_of, client_for, error_codes

from .panel_factories import build_panel, set_round

A = "/api/v1"
EXAMPLE = {
    "A": {"E1": "90", "E2": "85", "E3": "80", "E4": "75", "E5": "40"},
    "B": {"E1": "82", "E2": "79", "E3": "78", "E4": "77", "E5": "76"},
}
EXPECTED = {
    # method: (first, its score, second, its score)
    "trimmed_mean": ("A", D("80.00"), "B", D("78.00")),
    "mean": ("B", D("78.40"), "A", D("74.00")),
    "zscore": ("A", D("78.76"), "B", D("73.64")),
}


@pytest.fixture
def example(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=1)
    return build_panel(review.round, regions, province_officer, EXAMPLE)


@pytest.mark.parametrize("method", ["trimmed_mean", "mean", "zscore"])
def test_each_method_ranks_the_worked_example(example, method):
    set_round(example.round, ranking_method=method)
    ranking = round_ranking(example.round)
    first, first_score, second, second_score = EXPECTED[method]
    entries = ranking.ranking.entries
    assert [e.application for e in entries] == [example.apps[first].pk, example.apps[second].pk]
    assert [e.score for e in entries] == [first_score, second_score]
    assert [e.rank for e in entries] == [1, 2]
    # the quota is one: the first is recommended, the second not
    assert [e.recommended for e in entries] == [True, False]
    # every method's figures are there whatever the round ranks by
    a = ranking.aggregate.applications[example.apps["A"].pk]
    assert (a.mean, a.trimmed_mean, a.zscore, a.spread) == (D("74.00"), D("80.00"), D("78.76"), D("50.00"))
    assert a.trimmed
    assert a.disagreement
    b = ranking.aggregate.applications[example.apps["B"].pk]
    assert (b.mean, b.trimmed_mean, b.zscore, b.spread) == (D("78.40"), D("78.00"), D("73.64"), D("6.00"))
    assert not b.disagreement


@pytest.mark.parametrize("method", ["trimmed_mean", "mean", "zscore"])
def test_the_page_ranks_by_the_round_s_method(example, province_officer, method):
    set_round(example.round, ranking_method=method)
    first, first_score, second, second_score = EXPECTED[method]
    html = client_for(province_officer).get(f"/review/rounds/{example.round.pk}/ranking/").content.decode()
    table = html[html.index("data-ranking>") :]
    assert table.index(f'data-application="{example.apps[first].pk}"') < table.index(
        f'data-application="{example.apps[second].pk}"'
    )
    for label, score, rank in ((first, first_score, 1), (second, second_score, 2)):
        row = table[table.index(f'data-application="{example.apps[label].pk}"') :]
        row = row[: row.index("</tr>")]
        assert f'data-rank="{rank}"' in row
        assert f'<td class="text-end fw-bold" data-score>{score}</td>' in row


def test_ranks_by_the_other_methods_are_shown_for_comparison(example):
    set_round(example.round, ranking_method="trimmed_mean")
    rows = {r.application.pk: r for r in round_ranking(example.round).rows}
    assert rows[example.apps["A"].pk].other_ranks == {"mean": 2, "zscore": 1}
    assert rows[example.apps["B"].pk].other_ranks == {"mean": 1, "zscore": 2}


def test_the_ranking_page_shows_the_worked_example(example, province_officer, observer):
    set_round(example.round, ranking_method="trimmed_mean")
    for person in (province_officer, observer):
        html = client_for(person).get(f"/review/rounds/{example.round.pk}/ranking/").content.decode()
        a_row = html[html.index(f'data-application="{example.apps["A"].pk}"') :]
        a_row = a_row[: a_row.index("</tr>")]
        assert 'data-rank="1"' in a_row
        assert '<td class="text-end fw-bold" data-score>80.00</td>' in a_row
        assert "74.00" in a_row
        assert "78.76" in a_row
        assert "50.00" in a_row
        assert "分歧较大" in a_row
        assert "拟推荐" in a_row
        b_row = html[html.index(f'data-application="{example.apps["B"].pk}"') :]
        b_row = b_row[: b_row.index("</tr>")]
        assert 'data-rank="2"' in b_row
        assert "78.00" in b_row
        assert "拟推荐" not in b_row
        assert "分歧较大" not in b_row
        assert "推荐名额线" in html
    # the observer sees no buttons and no override form
    observed = client_for(observer).get(f"/review/rounds/{example.round.pk}/ranking/").content.decode()
    assert "data-recommend>" not in observed
    assert "data-override-form>" not in observed
    staff = client_for(province_officer).get(f"/review/rounds/{example.round.pk}/ranking/").content.decode()
    assert "data-recommend>" in staff
    assert "data-override-form>" in staff


def test_the_ranking_api_gives_the_same_figures(example, province_officer, observer):
    set_round(example.round, ranking_method="zscore")
    for person in (province_officer, observer):
        body = ApiClient(person).get(f"{A}/review-rounds/{example.round.pk}/ranking").json()
        assert body["scores_open"] is True
        assert body["method"] == "zscore"
        assert body["quota"] == 1
        assert [(i["application"]["id"], i["rank"], i["score"], i["recommended"]) for i in body["items"]] == [
            (example.apps["A"].pk, 1, "78.76", True),
            (example.apps["B"].pk, 2, "73.64", False),
        ]
        assert body["items"][0]["other_ranks"] == {"mean": 2, "trimmed_mean": 1}
        assert body["round_mean"] == "76.20"
        assert body["round_std"] == "12.80"


def test_the_z_score_lifts_what_a_harsh_expert_marked_down(review, regions, province_officer):
    # E1 is harsh (60, 70, 80: μ 70, σ √(200/3) ≈ 8.165), E2 lenient (90, 95, 85: μ 90, σ √(50/3) ≈ 4.082).
    # z: P = (−1.2247 + 0) / 2 = −0.6124; Q = (0 + 1.2247) / 2 = 0.6124; R = (1.2247 − 1.2247) / 2 = 0.
    # All six sheets: μ = 480 / 6 = 80, σ = √(850 / 6) ≈ 11.9024. So P = 80 − 0.6124 × 11.9024 = 72.71,
    # Q = 87.29, R = 80.00. The mean ties Q and R at (70 + 95) / 2 = (80 + 85) / 2 = 82.50.
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=1, ranking_method="zscore")
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"P": {"E1": "60", "E2": "90"}, "Q": {"E1": "70", "E2": "95"}, "R": {"E1": "80", "E2": "85"}},
    )
    ranking = round_ranking(review.round)
    assert [(e.application, e.score, e.rank) for e in ranking.ranking.entries] == [
        (panel.apps["Q"].pk, D("87.29"), 1),
        (panel.apps["R"].pk, D("80.00"), 2),
        (panel.apps["P"].pk, D("72.71"), 3),
    ]
    # by the mean Q and R share the first place (competition ranking: P is third)
    rows = {r.application.pk: r for r in ranking.rows}
    assert rows[panel.apps["Q"].pk].other_ranks["mean"] == 1
    assert rows[panel.apps["R"].pk].other_ranks["mean"] == 1
    assert rows[panel.apps["P"].pk].other_ranks["mean"] == 3


def test_fewer_than_five_sheets_are_not_trimmed(review, regions, province_officer):
    # four sheets: 90, 80, 70, 20 → the trimmed mean is the plain mean, 260 / 4 = 65.00
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=1)
    panel = build_panel(
        review.round, regions, province_officer, {"A": {"E1": "90", "E2": "80", "E3": "70", "E4": "20"}}
    )
    a = round_ranking(review.round).aggregate.applications[panel.apps["A"].pk]
    assert (a.mean, a.trimmed_mean, a.trimmed) == (D("65.00"), D("65.00"), False)


def test_a_sheet_of_a_conflicted_expert_does_not_count(example, province_officer):
    from chanjiao.review.models import Conflict

    # E5's 40 for A is what pulls A's mean down; a conflict recorded for the pair takes it out:
    # A's mean becomes (90 + 85 + 80 + 75) / 4 = 82.50 and, with four sheets, nothing is trimmed
    Conflict.objects.create(
        round=example.round,
        expert=example.experts["E5"],
        application=example.apps["A"],
        kind="staff",
        source="staff",
        reason="专家与申报单位有合作",
        created_by=province_officer,
    )
    a = round_ranking(example.round).aggregate.applications[example.apps["A"].pk]
    assert (a.sheets, a.mean, a.trimmed) == (4, D("82.50"), False)


def test_the_ranking_reads_in_a_fixed_number_of_queries(review, regions, province_officer):
    # given a small round, and a larger one in another call
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=2)
    build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "80", "E2": "70"}, "B": {"E1": "60", "E2": "75"}},
    )
    with CaptureQueriesContext(connection) as small:
        round_ranking(review.round)
    more = {f"X{i}": {f"F{j}": str(60 + i + j) for j in range(5)} for i in range(8)}
    build_panel(review.round, regions, province_officer, more)
    with CaptureQueriesContext(connection) as large:
        ranking = round_ranking(review.round)
    assert len(ranking.counted) == 4 + 40
    # the sheets' counted columns, the applications, the overrides: whatever the number of sheets
    assert len(large) == len(small) == 3
    page = client_for(province_officer)
    with CaptureQueriesContext(connection) as page_queries:
        assert page.get(f"/review/rounds/{review.round.pk}/ranking/").status_code == 200
    assert len(page_queries) <= 14, [q["sql"] for q in page_queries]


# --- before the panel: progress only ------------------------------------------------------------


def test_before_the_panel_the_page_and_the_api_show_progress_without_scores(
    review, regions, province_officer
):
    set_round(review.round, status=ReviewRound.Status.ASSIGNED, quota=1)
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "91.5", "E2": None}, "B": {"E1": "67.25", "E2": "73.75"}},
    )
    html = client_for(province_officer).get(f"/review/rounds/{review.round.pk}/ranking/").content.decode()
    assert "data-progress>" in html
    assert "data-ranking>" not in html
    assert "91.5" not in html
    assert "67.25" not in html
    assert "73.75" not in html
    a_row = html[html.index(f'data-application="{panel.apps["A"].pk}"') :]
    assert '<td class="text-end" data-missing>1</td>' in a_row[: a_row.index("</tr>")]
    body = ApiClient(province_officer).get(f"{A}/review-rounds/{review.round.pk}/ranking").json()
    assert body["scores_open"] is False
    assert body["items"] == []
    assert {
        p["application"]["id"]: (p["assigned"], p["submitted"], p["pending"]) for p in body["progress"]
    } == {
        panel.apps["A"].pk: (2, 1, 1),
        panel.apps["B"].pk: (2, 2, 0),
    }
    # an application's page shows who has submitted, not what
    detail = (
        client_for(province_officer)
        .get(f"/review/rounds/{review.round.pk}/ranking/{panel.apps['B'].pk}/")
        .content.decode()
    )
    assert "E1教授" in detail
    assert "67.25" not in detail
    sheets = (
        ApiClient(province_officer)
        .get(f"{A}/review-rounds/{review.round.pk}/ranking/{panel.apps['B'].pk}")
        .json()["sheets"]
    )
    assert {s["expert"] for s in sheets} == {"E1教授", "E2教授"}
    assert all(s["total"] is None and s["scores"] == {} and s["comments"] == {} for s in sheets)
    # and the workbook waits for the panel
    response = ApiClient(province_officer).get(f"{A}/review-rounds/{review.round.pk}/scores.xlsx")
    assert response.status_code == 409
    assert error_codes(response) == ["panel.scores_not_open"]


# --- the quota ---------------------------------------------------------------------------------


def test_the_quota_defaults_to_the_target_over_the_start_batches(review, province_officer):
    # Jiangsu: about 30 platforms, started in three yearly batches → 10 a batch
    project_type = review.round.project_type
    assert project_type.spec["review"]["start_batches"] == 3
    project_type.target_count = 30
    project_type.save()
    assert review.round.quota is None
    assert round_quota(review.round) == 10
    body = ApiClient(province_officer).get(f"{A}/review-rounds/{review.round.pk}").json()
    assert (body["quota"], body["quota_effective"]) == (None, 10)
    # 31 over 3 rounds up: 11
    project_type.target_count = 31
    assert round_quota(review.round) == 11
    # a type reviewed in one batch gets its whole target
    project_type.spec = {**project_type.spec, "review": {**project_type.spec["review"], "start_batches": 1}}
    assert round_quota(review.round) == 31
    # the round's own quota wins
    review.round.quota = 4
    assert round_quota(review.round) == 4
    # neither: None (the recommendation is then refused, see test_panel_recommendation)
    review.round.quota = None
    project_type.target_count = None
    assert round_quota(review.round) is None


# --- the round's ranking settings ----------------------------------------------------------------


def test_ranking_settings_are_saved_and_shown(review, province_officer):
    api = ApiClient(province_officer)
    response = api.patch(
        f"{A}/review-rounds/{review.round.pk}",
        {"ranking_method": "zscore", "quota": 8, "disagreement_threshold": "12.5", "publicity_days": 7},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["ranking_method"],
        body["quota"],
        body["disagreement_threshold"],
        body["publicity_days"],
    ) == (
        "zscore",
        8,
        "12.50",
        7,
    )
    assert body["quota_effective"] == 8
    html = client_for(province_officer).get(f"/review/rounds/{review.round.pk}/").content.decode()
    assert 'data-ranking-method="zscore"' in html
    assert 'data-quota="8"' in html
    entry = AuditEntry.objects.filter(action="review_round.update").latest("id")
    assert entry.changes["ranking_method"] == ["trimmed_mean", "zscore"]
    assert entry.changes["quota"] == [None, 8]


def test_ranking_settings_set_on_the_edit_page(review, province_officer):
    page = client_for(province_officer)
    form = page.get(f"/review/rounds/{review.round.pk}/edit/").content.decode()
    assert 'name="ranking_method"' in form
    assert 'name="quota"' in form
    response = page.post(
        f"/review/rounds/{review.round.pk}/edit/",
        {
            "reviews_per_application": 5,
            "load_cap": 20,
            "max_exclusions": 3,
            "reserves": 2,
            "ranking_method": "mean",
            "quota": "",
            "disagreement_threshold": "20",
            "publicity_days": 10,
        },
    )
    assert response.status_code == 302
    review.round.refresh_from_db()
    assert (review.round.ranking_method, review.round.quota) == ("mean", None)
    assert (review.round.disagreement_threshold, review.round.publicity_days) == (D("20"), 10)


@pytest.mark.parametrize(
    ("data", "field", "code", "message"),
    [
        (
            {"quota": 0},
            "quota",
            "review_round.setting_out_of_range",
            "本批推荐名额应在1至9999之间（当前：0）",
        ),
        (
            {"disagreement_threshold": "-1"},
            "disagreement_threshold",
            "review_round.threshold_out_of_range",
            "分歧提示阈值应在0至9999.99分之间，最多两位小数（当前：-1）",
        ),
        (
            {"disagreement_threshold": "2.345"},
            "disagreement_threshold",
            "review_round.threshold_out_of_range",
            "分歧提示阈值应在0至9999.99分之间，最多两位小数（当前：2.345）",
        ),
        (
            {"publicity_days": 31},
            "publicity_days",
            "review_round.setting_out_of_range",
            "公示期（工作日）应在1至30之间（当前：31）",
        ),
        ({"publicity_days": 0}, "publicity_days", "review_round.setting_out_of_range", None),
        ({"ranking_method": "median"}, "ranking_method", "review_round.unknown_ranking_method", None),
    ],
)
def test_bad_ranking_settings_are_refused_and_nothing_stored(
    review, province_officer, data, field, code, message
):
    api = ApiClient(province_officer)
    before = ReviewRound.objects.values().get(pk=review.round.pk)
    audits = AuditEntry.objects.count()
    response = api.patch(f"{A}/review-rounds/{review.round.pk}", {**data, "name": "改名"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    if message:
        assert errors[0]["message"] == message
    if field == "ranking_method":
        assert "median" in errors[0]["message"]
        assert "trimmed_mean" in errors[0]["message"]
    assert ReviewRound.objects.values().get(pk=review.round.pk) == before
    assert AuditEntry.objects.count() == audits


def test_method_quota_and_threshold_are_locked_once_the_panel_opens(review, province_officer):
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=10)
    actor = actor_of(province_officer)
    with pytest.raises(ConflictError) as refused:
        services.review_round_update(
            actor=actor,
            review_round=review.round,
            data={"ranking_method": "mean", "quota": 12, "disagreement_threshold": "10"},
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("ranking_method", "review_round.ranking_locked"),
        ("quota", "review_round.ranking_locked"),
        ("disagreement_threshold", "review_round.ranking_locked"),
    ]
    assert refused.value.errors[0].message == "排序方法须在专家组合议开始前确定（当前状态：专家组合议）"
    review.round.refresh_from_db()
    assert (review.round.ranking_method, review.round.quota) == ("trimmed_mean", 10)
    # the API says the same with 409
    response = ApiClient(province_officer).patch(f"{A}/review-rounds/{review.round.pk}", {"quota": 3})
    assert response.status_code == 409
    assert error_codes(response) == ["review_round.ranking_locked"]
    # sending the same values again is no change, and other settings may still change
    services.review_round_update(
        actor=actor,
        review_round=review.round,
        data={
            "ranking_method": "trimmed_mean",
            "quota": 10,
            "disagreement_threshold": "15.00",
            "publicity_days": 6,
        },
    )
    review.round.refresh_from_db()
    assert review.round.publicity_days == 6


def test_a_round_is_created_with_its_ranking_settings(review, province_officer):
    from tests.review.factories import make_review_call

    call, project_type = make_review_call(review.call.pack.region, code="panel-create")
    with pytest.raises(ValidationFailed):
        services.review_round_create(
            actor=actor_of(province_officer),
            data={"call_id": call.pk, "project_type_id": project_type.pk, "quota": -2},
        )
    created = services.review_round_create(
        actor=actor_of(province_officer),
        data={
            "call_id": call.pk,
            "project_type_id": project_type.pk,
            "ranking_method": "mean",
            "quota": 5,
            "disagreement_threshold": "10",
        },
    )
    assert (created.ranking_method, created.quota, created.disagreement_threshold) == ("mean", 5, D("10"))
