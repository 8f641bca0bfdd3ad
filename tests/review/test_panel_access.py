"""Who sees the scores: experts see no other expert's scores before the panel (404), and after it see
letters, never names, their own marked; staff and the observer see names; the score workbook for each.

The sheets are scored on the small indicator system of panel_factories (1.1 and 1.2 out of 20, 2.1
out of 30, 2.2 a gate worth 30), so every total is worked out from its scores:
    E1 on A: 15 + 12.5 + 20 + 30 (gate passed) = 77.50
    E2 on A: 18 + 16 + 27 + 0 (gate failed)    = 61.00
    E1 on B: 10 + 10 + 15 + 30                 = 65.00
    me on A: 20 + 20 + 30 + 30                 = 100.00
"""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from chanjiao.review.models import Conflict, ReviewRound
from chanjiao.review.panel_selectors import expert_letter, expert_letters
from tests.conftest import ApiClient, client_for

from .factories import make_expert
from .panel_factories import build_panel, make_panel_system, set_round

A = "/api/v1"
SCORES = {
    ("A", "E1"): {"1.1": "15", "1.2": "12.5", "2.1": "20", "2.2": True},
    ("A", "E2"): {"1.1": "18", "1.2": "16", "2.1": "27", "2.2": False},
    ("B", "E1"): {"1.1": "10", "1.2": "10", "2.1": "15", "2.2": True},
    ("A", "me"): {"1.1": "20", "1.2": "20", "2.1": "30", "2.2": True},
}


@pytest.fixture
def scored(review, regions, province_officer, expert, enterprise):
    """The `expert` persona (me) and E1, E2 in an assigned round with an indicator system; me scored A."""
    system = make_panel_system(review.call.pack)
    set_round(review.round, status=ReviewRound.Status.ASSIGNED, quota=1, indicator_system=system)
    me = make_expert(regions.anhui, enterprise, user=expert)
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "0", "E2": "0", "me": "0"}, "B": {"E1": "0", "E2": "70"}},
        scores=SCORES,
        vetoes={("A", "E2"): ["V1"]},
        experts={"me": me},
    )
    return panel


def test_the_worked_totals(scored):
    assert [scored.sheets[k].total for k in (("A", "E1"), ("A", "E2"), ("B", "E1"), ("A", "me"))] == [
        D("77.50"),
        D("61.00"),
        D("65.00"),
        D("100.00"),
    ]


def test_experts_see_no_scores_before_the_panel(scored, expert):
    url = f"/review/mine/rounds/{scored.round.pk}/panel/"
    assert "data-panel-link" not in client_for(expert).get("/review/mine/").content.decode()
    assert client_for(expert).get(url).status_code == 404
    assert client_for(expert).get(url + "scores.xlsx").status_code == 404
    api = ApiClient(expert)
    assert api.get(f"{A}/assigned-rounds/{scored.round.pk}/panel").status_code == 404
    assert api.get(f"{A}/assigned-rounds/{scored.round.pk}/panel/scores.xlsx").status_code == 404
    # and the staff's ranking is not theirs at all
    assert api.get(f"{A}/review-rounds/{scored.round.pk}/ranking").status_code == 403
    assert client_for(expert).get(f"/review/rounds/{scored.round.pk}/ranking/").status_code == 403


def test_after_the_panel_opens_experts_see_letters_never_names(scored, expert):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    letters = expert_letters(scored.round, [e.pk for e in scored.experts.values()])
    assert sorted(letters.values()) == ["专家A", "专家B", "专家C"]
    me = scored.experts["me"]
    mine = client_for(expert).get("/review/mine/").content.decode()
    assert f'href="/review/mine/rounds/{scored.round.pk}/panel/" data-panel-link' in mine
    html = client_for(expert).get(f"/review/mine/rounds/{scored.round.pk}/panel/").content.decode()
    for name in ("E1教授", "E2教授", "expert"):
        assert name not in html.split("app-acting")[-1].split("</header>")[-1]
    assert f"您在本轮为“{letters[me.pk]}”" in html
    own = html[html.index(f'data-sheet="{scored.sheets[("A", "me")].pk}"') :]
    own = own[: own.index("</tr>")]
    assert "data-own" in own
    assert "本人" in own
    assert letters[me.pk] in own
    assert "100.00" in own
    other = html[html.index(f'data-sheet="{scored.sheets[("A", "E2")].pk}"') :]
    other = other[: other.index("</tr>")]
    assert letters[scored.experts["E2"].pk] in other
    assert "本人" not in other
    assert "61.00" in other
    assert "V1 共建协议未签署" in other
    # comments by first-level indicator, under the letter
    assert "1 专业建设" in html
    assert "E2对A的专业建设评语" in html
    body = ApiClient(expert).get(f"{A}/assigned-rounds/{scored.round.pk}/panel").json()
    assert body["me"] == letters[me.pk]
    who = {(s["id"], s["expert"], s["own"]) for s in body["sheets"]}
    assert (scored.sheets[("A", "me")].pk, letters[me.pk], True) in who
    assert (scored.sheets[("B", "E2")].pk, letters[scored.experts["E2"].pk], False) in who
    assert "E1教授" not in str(body)
    assert "E2教授" not in str(body)
    # A is vetoed (by E2): listed last, without a rank
    assert [(i["application"]["id"], i["rank"]) for i in body["items"]] == [
        (scored.apps["B"].pk, 1),
        (scored.apps["A"].pk, None),
    ]


def test_an_expert_not_in_the_round_gets_404(scored, regions, enterprise):
    from tests.factories import make_person

    outsider = make_person("outsider_expert", enterprise, "expert")
    make_expert(regions.anhui, enterprise, user=outsider)
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    assert client_for(outsider).get(f"/review/mine/rounds/{scored.round.pk}/panel/").status_code == 404
    assert ApiClient(outsider).get(f"{A}/assigned-rounds/{scored.round.pk}/panel").status_code == 404


def test_an_expert_in_conflict_with_an_application_does_not_see_its_sheets(scored, expert, province_officer):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    Conflict.objects.create(
        round=scored.round,
        expert=scored.experts["me"],
        application=scored.apps["B"],
        kind="staff",
        source="staff",
        reason="与B校有合作",
        created_by=province_officer,
    )
    body = ApiClient(expert).get(f"{A}/assigned-rounds/{scored.round.pk}/panel").json()
    assert [i["application"]["id"] for i in body["items"]] == [scored.apps["A"].pk]
    assert {s["id"] for s in body["sheets"]} == {
        scored.sheets[k].pk for k in (("A", "E1"), ("A", "E2"), ("A", "me"))
    }
    html = client_for(expert).get(f"/review/mine/rounds/{scored.round.pk}/panel/").content.decode()
    assert "B产教融合集成平台" not in html
    assert "存在回避关系" in html
    workbook = load_workbook(
        io.BytesIO(client_for(expert).get(f"/review/mine/rounds/{scored.round.pk}/panel/scores.xlsx").content)
    )
    assert {row[0] for row in workbook["评分明细"].iter_rows(min_row=2, values_only=True)} == {
        "A产教融合集成平台"
    }


def test_staff_and_the_observer_see_every_sheet_with_names(scored, province_officer, observer):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    for person in (province_officer, observer):
        html = (
            client_for(person)
            .get(f"/review/rounds/{scored.round.pk}/ranking/{scored.apps['A'].pk}/")
            .content.decode()
        )
        row = html[html.index(f'data-sheet="{scored.sheets[("A", "E2")].pk}"') :]
        row = row[: row.index("</tr>")]
        assert "E2教授" in row
        assert "61.00" in row
        assert "V1 共建协议未签署" in row
        # per-criterion scores in the tree's order: 18, 16, 27, gate failed (0)
        cells = [c.split("<")[0] for c in row.split('<td class="text-end">')[1:5]]
        assert cells == ["18", "16", "27", "0"]
        assert "E2对A的专业建设评语" in html
        assert "E2的总体评价" in html
        # A's mean (77.50 + 61.00 + 100.00) / 3 = 79.50; vetoed by E2
        assert '<div class="h2 mb-0" data-mean>79.50</div>' in html
        assert "data-vetoed" in html
        body = (
            ApiClient(person).get(f"{A}/review-rounds/{scored.round.pk}/ranking/{scored.apps['A'].pk}").json()
        )
        assert sorted(s["expert"] for s in body["sheets"]) == ["E1教授", "E2教授", "expert"]
        assert body["row"]["vetoed"] is True
        assert body["row"]["rank"] is None
        assert body["row"]["mean"] == "79.50"


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_for_staff_names_the_experts(scored, province_officer, observer):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    for person in (province_officer, observer):
        response = client_for(person).get(f"/review/rounds/{scored.round.pk}/scores.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["评分明细", "汇总", "排名"]
        detail = _rows(workbook["评分明细"])
        assert detail[0] == (
            "申报",
            "申报单位",
            "专家",
            "1.1 参与专业建设",
            "1.2 参与课程改革",
            "2.1 人才培养",
            "2.2 有专业群依托",
            "一票否决项",
            "总分",
            "推荐意见",
            "提交时间",
        )
        by_expert = {(r[0][0], r[2]): r for r in detail[1:]}
        assert by_expert[("A", "E2教授")][3:10] == (18, 16, 27, 0, "V1 共建协议未签署", 61, "推荐")
        assert by_expert[("A", "E1教授")][3:9] == (15, 12.5, 20, 1, None, 77.5)  # no veto: an empty cell
        assert len(detail) == 1 + 5
        summary = _rows(workbook["汇总"])
        assert summary[0][:4] == ("申报", "申报单位", "评分表数", "算术平均分")
        # B: 65.00 and 70.00 → mean 67.50, spread 5
        b = next(r for r in summary[1:] if r[0] == "B产教融合集成平台")
        assert b[2:11] == (2, 67.5, 67.5, b[5], 65, 70, 5, "否", "否")
        a = next(r for r in summary[1:] if r[0] == "A产教融合集成平台")
        assert a[2:4] == (3, 79.5)
        assert a[8:11] == (39, "是", "V1")
        ranking = _rows(workbook["排名"])
        assert ranking[0][:9] == (
            "名次",
            "申报",
            "申报单位",
            "得分（去掉一个最高分和一个最低分后的平均分）",
            "拟推荐",
            "并列",
            "并列跨越名额线",
            "经专家组调整",
            "调整理由",
        )
        # B is the only one ranked (A is vetoed): first and recommended; A listed last
        assert ranking[1][:5] == (1, "B产教融合集成平台", "B职业技术学院", 67.5, "是")
        assert ranking[2][:5] == ("一票否决", "A产教融合集成平台", "A职业技术学院", 79.5, "否")


def test_the_workbook_for_a_panel_expert_uses_letters(scored, expert):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    letters = expert_letters(scored.round, [e.pk for e in scored.experts.values()])
    for response in (
        client_for(expert).get(f"/review/mine/rounds/{scored.round.pk}/panel/scores.xlsx"),
        ApiClient(expert).get(f"{A}/assigned-rounds/{scored.round.pk}/panel/scores.xlsx"),
    ):
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        detail = _rows(workbook["评分明细"])
        assert {r[2] for r in detail[1:]} == set(letters.values())
        everything = str([_rows(workbook[n]) for n in workbook.sheetnames])
        assert "E1教授" not in everything
        assert "E2教授" not in everything
        e2 = next(
            r for r in detail[1:] if r[0] == "A产教融合集成平台" and r[2] == letters[scored.experts["E2"].pk]
        )
        assert e2[3:9] == (18, 16, 27, 0, "V1 共建协议未签署", 61)


def test_letters_go_past_z():
    assert [expert_letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]


def test_the_observer_reads_everything_and_changes_nothing(scored, observer):
    set_round(scored.round, status=ReviewRound.Status.PANEL)
    api, page = ApiClient(observer), client_for(observer)
    for url in (
        f"{A}/review-rounds/{scored.round.pk}/ranking",
        f"{A}/review-rounds/{scored.round.pk}/ranking/{scored.apps['A'].pk}",
        f"{A}/review-rounds/{scored.round.pk}/overrides",
        f"{A}/review-rounds/{scored.round.pk}/scores.xlsx",
    ):
        assert api.get(url).status_code == 200, url
    for url in (
        f"/review/rounds/{scored.round.pk}/ranking/",
        f"/review/rounds/{scored.round.pk}/ranking/{scored.apps['A'].pk}/",
        f"/review/rounds/{scored.round.pk}/scores.xlsx",
    ):
        assert page.get(url).status_code == 200, url
    for url, body in (
        (f"{A}/review-rounds/{scored.round.pk}/panel", None),
        (f"{A}/review-rounds/{scored.round.pk}/recommendation", None),
        (
            f"{A}/review-rounds/{scored.round.pk}/overrides",
            {"application_id": scored.apps["B"].pk, "to_rank": 1, "reason": "理由"},
        ),
    ):
        assert api.post(url, body).status_code == 403, url
    for url in ("panel/open/", "overrides/", "recommendation/"):
        assert page.post(f"/review/rounds/{scored.round.pk}/{url}").status_code == 403, url
    scored.round.refresh_from_db()
    assert scored.round.status == ReviewRound.Status.PANEL
    assert not scored.round.overrides.exists()
    assert not scored.round.results.exists()


def test_a_tie_that_names_an_application_in_conflict_is_not_spelled_out_to_the_expert(
    review, regions, province_officer, expert, enterprise
):
    # Q (70, 95) and R (80, 85) tie at 82.50 across a one-place quota; the expert reviews Q and is in
    # conflict with R: they see Q's row marked, but not the sentence that names R
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=1, ranking_method="mean")
    me = make_expert(regions.anhui, enterprise, user=expert)
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"Q": {"E1": "70", "E2": "95", "me": None}, "R": {"E1": "80", "E2": "85"}},
        experts={"me": me},
    )
    Conflict.objects.create(
        round=review.round,
        expert=me,
        application=panel.apps["R"],
        kind="staff",
        source="staff",
        reason="与R校有合作",
        created_by=province_officer,
    )
    body = ApiClient(expert).get(f"{A}/assigned-rounds/{review.round.pk}/panel").json()
    assert body["tie_message"] == ""
    assert [(i["application"]["id"], i["tie_at_cut"]) for i in body["items"]] == [(panel.apps["Q"].pk, True)]
    html = client_for(expert).get(f"/review/mine/rounds/{review.round.pk}/panel/").content.decode()
    assert "R产教融合集成平台" not in html
    assert "data-tie-at-cut" in html
    staff = ApiClient(province_officer).get(f"{A}/review-rounds/{review.round.pk}/ranking").json()
    assert "R产教融合集成平台" in staff["tie_message"]
