"""Score sheets, aggregation and ranking (chanjiao.review.aggregation): worked examples by hand.

Every expected figure is worked out in the comment beside it, so a change in the arithmetic
shows up as a difference from a sum anyone can redo.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from chanjiao.core.errors import ValidationFailed
from chanjiao.review.aggregation import (
    Node,
    RankingMethod,
    RoundAggregate,
    ScoringTree,
    SheetTotal,
    aggregate,
    panel_override,
    rank,
    rank_type,
    sheet_total,
    validate_sheet,
)

PACKS = Path(__file__).resolve().parents[2] / "src" / "chanjiao" / "policy" / "packs"


def small_tree() -> ScoringTree:
    # 1 专业建设 40 = 1.1 (expert 0–20) + 1.2 (expert 0–20)
    # 2 协同育人 60 = 2.1 (expert 0–30) + 2.2 (formula 0–20) + 2.3 (gate, 10)
    # veto V1
    return ScoringTree.build(
        [
            Node("1", D(40), name="专业建设"),
            Node("1.1", D(20), "expert", "1", "参与专业建设", D(0), D(20)),
            Node("1.2", D(20), "expert", "1", "参与课程改革", D(0), D(20)),
            Node("2", D(60), name="协同育人"),
            Node("2.1", D(30), "expert", "2", "人才培养", D(0), D(30)),
            Node("2.2", D(20), "formula", "2", "企业投入占比", D(0), D(20)),
            Node("2.3", D(10), "gate", "2", "有专业群依托"),
            Node("V1", kind="veto", name="共建协议未签署"),
        ]
    )


COMMENTS = {"1": "专业建设参与充分", "2": "协同育人成效明显"}


def codes(errors) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in errors]


def sheets(application, project_type="platform", **totals) -> list[SheetTotal]:
    """sheets("A", e1="80", e2="85") → one submitted sheet per expert for application A."""
    return [SheetTotal(application, expert, D(total), project_type) for expert, total in totals.items()]


# --- sheet totals -----------------------------------------------------------------------------


def test_perfect_sheet_scores_100_and_a_partial_one_its_weighted_sum():
    tree = small_tree()
    perfect = {"1.1": "20", "1.2": "20", "2.1": "30", "2.2": "20", "2.3": True}
    assert sheet_total(tree, perfect) == D("100.00")
    # 15 + 12.5 + 20 + 10 + 10 (gate passed: its whole weight) = 67.50
    partial = {"1.1": "15", "1.2": "12.5", "2.1": D(20), "2.2": 10, "2.3": 1}
    assert sheet_total(tree, partial) == D("67.50")
    # the same with the gate failed: 67.50 − 10 = 57.50
    assert sheet_total(tree, {**partial, "2.3": False}) == D("57.50")


def test_a_tree_whose_weights_do_not_add_up_is_normalised_to_100():
    # first level weights 3 and 1 (sum 4): A's share is 3/4 · 100 = 75, B's 25;
    # A.1 is scored 0–10, B.1 0–5, so a value counts value / max of its share
    tree = ScoringTree.build(
        [
            Node("A", D(3)),
            Node("A.1", D(1), "expert", "A", "", D(0), D(10)),
            Node("B", D(1)),
            Node("B.1", D(5), "expert", "B", "", D(0), D(5)),
        ]
    )
    assert sheet_total(tree, {"A.1": 10, "B.1": 5}) == D("100.00")
    # 5/10 · 75 + 1/5 · 25 = 37.5 + 5 = 42.50
    assert sheet_total(tree, {"A.1": 5, "B.1": 1}) == D("42.50")


def test_sheet_total_rounds_half_up():
    # one leaf worth 100 scored 0–8: 0.01 / 8 · 100 = 0.125 → 0.13 (half-even would say 0.12)
    tree = ScoringTree.build([Node("1", D(100)), Node("1.1", D(100), "expert", "1", "", D(0), D(8))])
    assert sheet_total(tree, {"1.1": "0.01"}) == D("0.13")
    # 1.01 / 8 · 100 = 12.625 → 12.63
    assert sheet_total(tree, {"1.1": "1.01"}) == D("12.63")


def test_the_shipped_jiangsu_selection_system_scores_a_perfect_sheet_100():
    pack = yaml.safe_load((PACKS / "jiangsu-integration-platform.yaml").read_text(encoding="utf-8"))
    document = next(s for s in pack["indicator_systems"] if s["code"] == "jiangsu-selection")
    tree = ScoringTree.from_document(document)
    assert "1.1.1" in tree.leaves  # a formula leaf three levels down
    assert tree.leaves["1.1.1"].kind == "formula"
    assert tree.leaves["1.1.1"].max == D(6)  # its highest threshold
    assert tree.leaves["1.1.1"].first_level == "1"
    assert set(tree.first_level) == {"1", "2", "3", "4", "5", "6"}
    assert tree.vetoes  # vetoes for an unsigned agreement and others
    perfect = {code: (True if leaf.kind == "gate" else leaf.max) for code, leaf in tree.leaves.items()}
    comments = dict.fromkeys(tree.first_level, "意见")
    assert validate_sheet(tree, perfect, (), comments) == []
    assert sheet_total(tree, perfect) == D("100.00")
    # the enterprise share reaching only the 1/3 threshold (4 of 6 points) costs 2 points
    assert sheet_total(tree, {**perfect, "1.1.1": 4}) == D("98.00")


# --- validation -------------------------------------------------------------------------------


def test_a_complete_sheet_has_no_errors():
    sheet = {"1.1": "18", "1.2": "16.5", "2.1": "25", "2.2": "15", "2.3": True}
    assert validate_sheet(small_tree(), sheet, ["V1"], COMMENTS) == []


def test_out_of_range_names_the_current_value_and_the_range():
    errors = validate_sheet(
        small_tree(), {"1.1": "25", "1.2": "-1", "2.1": "30", "2.2": "5", "2.3": 1}, (), COMMENTS
    )
    assert codes(errors) == [("scores.1.1", "score.out_of_range"), ("scores.1.2", "score.out_of_range")]
    assert errors[0].message == "“1.1 参与专业建设”的评分应在 0–20 之间（当前：25）"
    assert "当前：-1" in errors[1].message


def test_missing_required_leaves_and_comments_are_each_named():
    errors = validate_sheet(small_tree(), {"1.1": "10", "2.2": "5", "2.3": "  "}, (), {"1": "好"})
    assert codes(errors) == [
        ("scores.1.2", "score.missing_leaf"),
        ("scores.2.1", "score.missing_leaf"),
        ("scores.2.3", "score.missing_leaf"),
        ("comments.2", "comment.missing_first_level"),
    ]
    assert errors[1].message == "请为“2.1 人才培养”评分（当前：空，评分范围 0–30）"
    assert errors[3].message == "请填写对一级指标“2 协同育人”的评审意见（当前：空）"


def test_values_that_are_not_numbers_are_refused():
    scores = {"1.1": "十二", "1.2": "NaN", "2.1": True, "2.2": [3], "2.3": "maybe"}
    errors = validate_sheet(small_tree(), scores, (), COMMENTS)
    assert codes(errors) == [
        ("scores.1.1", "score.not_a_number"),
        ("scores.1.2", "score.not_a_number"),
        ("scores.2.1", "score.not_a_number"),  # a tick box is not a score
        ("scores.2.2", "score.not_a_number"),
        ("scores.2.3", "score.gate_not_pass_fail"),
    ]
    assert errors[0].message == "“1.1 参与专业建设”的评分应为数字（当前：十二）"


def test_more_than_two_places_unknown_leaves_vetoes_and_comment_codes_are_refused():
    scores = {"1.1": "12.345", "1.2": "12.50", "2.1": "3", "2.2": "3", "2.3": 0, "9.9": "1"}
    errors = validate_sheet(small_tree(), scores, ["V1", "V9"], {**COMMENTS, "1.1": "细项意见"})
    assert codes(errors) == [
        ("scores.1.1", "score.too_precise"),  # 12.50 is two places: fine
        ("scores.9.9", "score.unknown_leaf"),
        ("vetoes.V9", "veto.unknown"),
        ("comments.1.1", "comment.unknown_indicator"),
    ]


def test_a_draft_may_be_incomplete_but_what_it_gives_is_checked():
    tree = small_tree()
    assert validate_sheet(tree, {"1.1": "10"}, (), {}, draft=True) == []
    assert codes(validate_sheet(tree, {"1.1": "21"}, (), {}, draft=True)) == [
        ("scores.1.1", "score.out_of_range")
    ]
    # a running total counts the empty leaves as 0: 10
    assert sheet_total(tree, {"1.1": "10"}, draft=True) == D("10.00")


def test_sheet_total_refuses_what_it_cannot_count():
    with pytest.raises(ValidationFailed) as refused:
        sheet_total(small_tree(), {"1.1": "25", "1.2": "1", "2.1": "1", "2.2": "1", "2.3": 1})
    assert codes(refused.value.errors) == [("scores.1.1", "score.out_of_range")]


# --- aggregation ------------------------------------------------------------------------------


def test_mean_is_rounded_half_up_to_the_cent():
    result = aggregate(
        sheets("A", e1="80", e2="85", e3="90")
        + sheets("B", e1="80", e2="85", e3="86")
        + sheets("C", e1="80.01", e2="80.00")
    )
    # A: (80 + 85 + 90) / 3 = 85.00
    assert result.applications["A"].mean == D("85.00")
    # B: 251 / 3 = 83.666… → 83.67
    assert result.applications["B"].mean == D("83.67")
    # C: 160.01 / 2 = 80.005 → 80.01 (half-even would say 80.00)
    assert result.applications["C"].mean == D("80.01")


def test_trimmed_mean_drops_highest_and_lowest_from_five_sheets():
    result = aggregate(sheets("A", e1="60", e2="78", e3="80", e4="82", e5="95"))
    a = result.applications["A"]
    # mean: 395 / 5 = 79.00; trimmed: drop 60 and 95, (78 + 80 + 82) / 3 = 80.00
    assert a.mean == D("79.00")
    assert a.trimmed_mean == D("80.00")
    assert a.trimmed is True


def test_trimmed_mean_of_four_sheets_is_the_plain_mean_and_says_so():
    result = aggregate(sheets("A", e1="60", e2="78", e3="80", e4="82"))
    a = result.applications["A"]
    # 300 / 4 = 75.00 both ways; nothing dropped
    assert a.mean == D("75.00")
    assert a.trimmed_mean == D("75.00")
    assert a.trimmed is False


def test_disagreement_is_flagged_when_the_spread_passes_the_threshold():
    round_ = (
        sheets("wide", e1="60", e2="95")
        + sheets("exact", e1="70", e2="85")
        + sheets("close", e1="78", e2="82")
    )
    result = aggregate(round_)
    # spreads: 95 − 60 = 35 > 15; 85 − 70 = 15, not above 15; 82 − 78 = 4
    assert result.applications["wide"].spread == D("35.00")
    assert result.applications["wide"].disagreement is True
    assert result.applications["exact"].spread == D("15.00")
    assert result.applications["exact"].disagreement is False
    assert result.applications["close"].disagreement is False
    # a call may set a stricter threshold: 15 > 10
    assert aggregate(round_, disagreement_threshold=D("10")).applications["exact"].disagreement is True


def harsh_round() -> list[SheetTotal]:
    # H is harsh, L lenient, E1 and E2 in between; A and B are enterprise applications, C and D
    # (platform) only give H and L a second sheet each.
    #   H:  A 60, C 46  → μ 53, σ 7 → z(A) = +1, z(C) = −1
    #   L:  B 90, D 86  → μ 88, σ 2 → z(B) = +1, z(D) = −1
    #   E1: A 88, B 86  → μ 87, σ 1 → z(A) = +1, z(B) = −1
    #   E2: A 86, B 82  → μ 84, σ 2 → z(A) = +1, z(B) = −1
    return [
        SheetTotal("A", "H", D(60), "enterprise"),
        SheetTotal("C", "H", D(46), "platform"),
        SheetTotal("B", "L", D(90), "enterprise"),
        SheetTotal("D", "L", D(86), "platform"),
        SheetTotal("A", "E1", D(88), "enterprise"),
        SheetTotal("B", "E1", D(86), "enterprise"),
        SheetTotal("A", "E2", D(86), "enterprise"),
        SheetTotal("B", "E2", D(82), "enterprise"),
    ]


def test_zscore_undoes_a_harsh_and_a_lenient_expert():
    result = aggregate(harsh_round())
    # the round: 624 / 8 = μ 78; deviations −18 −32 12 8 10 8 8 4, squares sum 1800, σ = √(1800/8) = 15
    assert (result.mean, result.std) == (D("78.00"), D("15.00"))
    assert (result.experts["H"].mean, result.experts["H"].std) == (D("53.00"), D("7.00"))
    a, b = result.applications["A"], result.applications["B"]
    # mean: A (60 + 88 + 86) / 3 = 78.00, B (90 + 86 + 82) / 3 = 86.00: H sinks A below B
    assert (a.mean, b.mean) == (D("78.00"), D("86.00"))
    # zscore: A z̄ = (1 + 1 + 1) / 3 = 1 → 78 + 1 · 15 = 93.00
    #         B z̄ = (1 − 1 − 1) / 3 = −1/3 → 78 − 15 / 3 = 73.00: both experts who saw both preferred A
    assert [s.z for s in a.scores] == [D("1.0000")] * 3
    assert (a.mean_z, a.zscore) == (D("1.0000"), D("93.00"))
    assert (b.mean_z, b.zscore) == (D("-0.3333"), D("73.00"))
    assert a.unnormalised_experts == ()

    by_mean = rank(result, method="mean", quota=1)["enterprise"]
    by_z = rank(result, method=RankingMethod.ZSCORE, quota=1)["enterprise"]
    assert [(e.application, e.rank, e.recommended) for e in by_mean.entries] == [
        ("B", 1, True),
        ("A", 2, False),
    ]
    assert [(e.application, e.rank, e.recommended) for e in by_z.entries] == [("A", 1, True), ("B", 2, False)]


def test_zscore_keeps_z_at_zero_for_an_expert_with_one_sheet_or_no_spread_and_says_so():
    # X scores only P (one sheet); Y gives P and Q both 70 (σ = 0); Z: P 80, Q 60 → z +1, −1
    result = aggregate(
        [
            SheetTotal("P", "X", D(90)),
            SheetTotal("P", "Y", D(70)),
            SheetTotal("Q", "Y", D(70)),
            SheetTotal("P", "Z", D(80)),
            SheetTotal("Q", "Z", D(60)),
        ]
    )
    assert [result.experts[e].normalised for e in ("X", "Y", "Z")] == [False, False, True]
    p, q = result.applications["P"], result.applications["Q"]
    assert p.unnormalised_experts == ("X", "Y")
    assert q.unnormalised_experts == ("Y",)
    # round: 370 / 5 = μ 74; deviations 16 −4 −4 6 −14, squares 520, σ = √104 = 10.198039…
    # P: z̄ = (0 + 0 + 1) / 3 → 74 + 10.198039 / 3 = 77.399… → 77.40
    # Q: z̄ = (0 − 1) / 2 → 74 − 10.198039 / 2 = 68.900… → 68.90
    assert (p.zscore, q.zscore) == (D("77.40"), D("68.90"))


def test_a_veto_on_any_sheet_vetoes_the_application():
    result = aggregate(
        [
            SheetTotal("A", "e1", D(95), vetoes=frozenset()),
            SheetTotal("A", "e2", D(90), vetoes={"V1"}),
            SheetTotal("B", "e1", D(70)),
        ]
    )
    a = result.applications["A"]
    assert (a.vetoed, a.veto_codes, a.vetoed_by) == (True, frozenset({"V1"}), ("e2",))
    assert result.applications["B"].vetoed is False


def test_two_sheets_of_one_expert_for_one_application_are_a_programming_error():
    with pytest.raises(ValueError, match="two sheets"):
        aggregate(sheets("A", e1="80") + sheets("A", e1="81"))


# --- ranking ----------------------------------------------------------------------------------


def single_sheet_round(**scores) -> RoundAggregate:
    """One sheet per application (each from its own expert), so every method gives its total."""
    return aggregate([SheetTotal(app, f"x-{app}", D(total), "platform") for app, total in scores.items()])


def test_equal_scores_share_a_rank_competition_style():
    result = single_sheet_round(a1="90", a2="85", a3="85", a4="80", a5="75")
    entries = rank(result, method="mean", quota=10)["platform"].entries
    # 90 → 1; 85, 85 → 2, 2; 80 → 4 (not 3); 75 → 5
    assert [(e.application, e.rank, e.tied) for e in entries] == [
        ("a1", 1, False),
        ("a2", 2, True),
        ("a3", 2, True),
        ("a4", 4, False),
        ("a5", 5, False),
    ]


def test_ties_are_judged_to_the_cent():
    # X: (85.00 + 85.01) / 2 = 85.005 → 85.01, the same as Y's 85.01 to the cent: a tie
    result = aggregate(
        sheets("X", e1="85.00", e2="85.01") + sheets("Y", e3="85.01") + sheets("Z", e4="85.00")
    )
    entries = rank(result, method="mean", quota=1)["platform"].entries
    assert [(e.application, e.score, e.rank) for e in entries] == [
        ("X", D("85.01"), 1),
        ("Y", D("85.01"), 1),
        ("Z", D("85.00"), 3),
    ]


def test_a_tie_at_the_quota_cut_is_shown_and_none_of_it_dropped():
    result = single_sheet_round(a1="90", a2="85", a3="80", a4="80", a5="75")
    # quota 3: ranks 1, 2, 3, 3, 5; a3 and a4 straddle the third place
    cut = rank(result, method="mean", quota=3)["platform"]
    assert [(e.application, e.recommended, e.tie_at_cut) for e in cut.entries] == [
        ("a1", True, False),
        ("a2", True, False),
        ("a3", False, True),
        ("a4", False, True),
        ("a5", False, False),
    ]
    assert cut.open_places == 1  # for the panel to decide between a3 and a4
    # quota 4: the tie fits, both are recommended; quota 2: the tie lies wholly outside
    assert [e.application for e in rank(result, method="mean", quota=4)["platform"].recommended] == [
        "a1",
        "a2",
        "a3",
        "a4",
    ]
    two = rank(result, method="mean", quota=2)["platform"]
    assert ([e.application for e in two.recommended], two.tie_at_cut, two.open_places) == (
        ["a1", "a2"],
        (),
        0,
    )


def test_vetoed_applications_come_last_unranked_and_are_never_recommended():
    result = aggregate(
        [
            SheetTotal("top", "e1", D(98), "platform", {"V1"}),
            SheetTotal("mid", "e2", D(80), "platform"),
            SheetTotal("low", "e3", D(60), "platform"),
            SheetTotal("also", "e4", D(70), "platform", {"V2"}),
        ]
    )
    ranking = rank(result, method="mean", quota=10)["platform"]
    assert [(e.application, e.rank, e.vetoed, e.recommended) for e in ranking.entries] == [
        ("mid", 1, False, True),
        ("low", 2, False, True),
        ("top", None, True, False),  # 98 points, but vetoed
        ("also", None, True, False),
    ]


def test_ranking_is_per_project_type_by_the_calls_method_and_quota():
    round_ = (
        sheets("e-1", "enterprise", a="60", b="78", c="80", d="82", e="95")  # mean 79.00, trimmed 80.00
        + sheets("e-2", "enterprise", a="79.50", b="79.50", c="79.50", d="79.50", e="79.50")  # 79.50 both
        + sheets("p-1", "platform", a="70")
    )
    result = aggregate(round_)
    by_mean = rank(result, method="mean", quota={"enterprise": 1, "platform": 1})
    by_trimmed = rank(result, method="trimmed_mean", quota={"enterprise": 1, "platform": 1})
    assert list(by_mean) == ["enterprise", "platform"]
    assert [e.application for e in by_mean["enterprise"].recommended] == ["e-2"]
    assert [e.application for e in by_trimmed["enterprise"].recommended] == ["e-1"]
    assert [e.application for e in by_mean["platform"].recommended] == ["p-1"]
    with pytest.raises(ValueError, match="no quota"):
        rank(result, method="mean", quota={"enterprise": 1})


# --- panel override ---------------------------------------------------------------------------


def test_an_override_without_a_reason_is_refused():
    ranking = rank_type(single_sheet_round(a1="90", a2="85").applications.values(), method="mean", quota=1)
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            panel_override(ranking, application="a2", to_rank=1, reason=reason)
        assert codes(refused.value.errors) == [("reason", "ranking.override_reason_required")]
    # and the ranking still stands as it was
    assert [(e.application, e.rank, e.recommended) for e in ranking.entries] == [
        ("a1", 1, True),
        ("a2", 2, False),
    ]
    assert ranking.overrides == ()


def test_an_override_with_a_reason_breaks_a_tie_at_the_cut_and_is_recorded():
    result = single_sheet_round(a1="90", a2="85", a3="80", a4="80", a5="75")
    ranking = rank(result, method="mean", quota=3)["platform"]
    # the panel puts a4 third: a4 takes rank 3 alone, a3 follows at 4
    after = panel_override(
        ranking, application="a4", to_rank=3, reason="专家组复议：a4 校企共建基础更扎实", actor="组长"
    )
    assert [(e.application, e.rank, e.recommended, e.tie_at_cut, e.overridden) for e in after.entries] == [
        ("a1", 1, True, False, False),
        ("a2", 2, True, False, False),
        ("a4", 3, True, False, True),
        ("a3", 4, False, False, False),
        ("a5", 5, False, False, False),
    ]
    assert after.open_places == 0
    (record,) = after.overrides
    assert (record.application, record.before_rank, record.after_rank) == ("a4", 3, 3)
    assert (record.before_recommended, record.after_recommended) == (False, True)
    assert (record.reason, record.actor) == ("专家组复议：a4 校企共建基础更扎实", "组长")
    # a second override is recorded after the first; a4 stays moved (it shares its rank with nobody)
    again = panel_override(after, application="a5", to_rank=1, reason="破格推荐")
    assert [(e.application, e.rank, e.recommended) for e in again.entries] == [
        ("a5", 1, True),
        ("a1", 2, True),
        ("a2", 3, True),
        ("a4", 4, False),
        ("a3", 5, False),
    ]
    assert [(o.application, o.before_rank, o.after_rank) for o in again.overrides] == [
        ("a4", 3, 3),
        ("a5", 5, 1),
    ]


def test_an_override_moves_an_application_up_and_the_rest_follow():
    ranking = rank_type(
        single_sheet_round(a1="90", a2="85", a3="80").applications.values(), method="mean", quota=1
    )
    after = panel_override(ranking, application="a3", to_rank=1, reason="破格推荐")
    assert [(e.application, e.rank, e.recommended) for e in after.entries] == [
        ("a3", 1, True),
        ("a1", 2, False),
        ("a2", 3, False),
    ]
    assert (after.overrides[0].before_rank, after.overrides[0].after_rank) == (3, 1)


def test_an_override_of_a_vetoed_unknown_or_out_of_range_application_is_refused():
    result = aggregate(
        [SheetTotal("ok", "e1", D(80), "platform"), SheetTotal("no", "e2", D(90), "platform", {"V1"})]
    )
    ranking = rank(result, method="mean", quota=1)["platform"]
    with pytest.raises(ValidationFailed) as vetoed:
        panel_override(ranking, application="no", to_rank=1, reason="理由")
    assert codes(vetoed.value.errors) == [("application", "ranking.override_vetoed")]
    with pytest.raises(ValidationFailed) as unknown:
        panel_override(ranking, application="ghost", to_rank=1, reason="理由")
    assert codes(unknown.value.errors) == [("application", "ranking.override_unknown_application")]
    with pytest.raises(ValidationFailed) as out_of_range:
        panel_override(ranking, application="ok", to_rank=2, reason="")
    assert codes(out_of_range.value.errors) == [
        ("reason", "ranking.override_reason_required"),
        ("to_rank", "ranking.override_rank_out_of_range"),
    ]
