"""Computed indicators of acceptance and performance rounds (aggregation.computed_indicators): the
formula and gate leaves and the veto items scored from the figures the reports give, worked by hand.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from chanjiao.review.aggregation import ComputedIndicators, Rule, computed_indicators

PACKS = Path(__file__).resolve().parents[2] / "src" / "chanjiao" / "policy" / "packs"

# 江苏 acceptance, as the pack stores its rows: 3.1.1 formula on the workstation share
# (≥1/3: 10, ≥1/4: 6), 2.1.1 gate on the total investment (≥ 30,000,000 元), 2.1.2 gate on the
# enterprise share (≥ 1/3), 2.2.1 gate on the reports being on time, V1 veto on the conditions.
RULES = [
    {"code": "1.1", "method": "expert", "formula": {}},
    {"code": "2.1.1", "method": "gate", "formula": {"input": "total_investment", "min": "30000000"}},
    {"code": "2.1.2", "method": "gate", "formula": {"input": "enterprise_share", "min": "1/3"}},
    {"code": "2.2.1", "method": "gate", "formula": {"input": "reports_on_time", "equals": True}},
    {
        "code": "3.1.1",
        "method": "formula",
        "formula": {
            "input": "workstation_share",
            "thresholds": [{"min": "1/3", "score": "10"}, {"min": "1/4", "score": "6"}],
        },
    },
    {"code": "V1", "method": "veto", "formula": {"input": "conditions_hold", "equals": True}},
]

GOOD = {
    "total_investment": "31200000",
    "enterprise_share": "0.3512",
    "reports_on_time": True,
    "workstation_share": "0.4000",
    "conditions_hold": True,
}


def test_every_leaf_met_scores_its_top():
    result = computed_indicators(RULES, GOOD)

    assert result == ComputedIndicators(
        values={"2.1.1": 1, "2.1.2": 1, "2.2.1": 1, "3.1.1": D("10")}, vetoed=(), missing=()
    )
    assert not result.is_computed("1.1")  # an expert leaf is the expert's


@pytest.mark.parametrize(
    ("share", "score"),
    [
        ("0.5", D("10")),  # above the top threshold
        ("0.3333", D("10")),  # exactly a third, as the reports give it to four places
        ("0.33334", D("10")),
        ("1/3", D("10")),  # a fraction text is exact
        ("0.3332", D("6")),  # just below a third: the next threshold (1/4 = 0.25)
        ("0.3", D("6")),  # 30% is below a third, whatever its places
        ("0.25", D("6")),  # the boundary of the lower threshold: met
        ("0.2500", D("6")),
        ("0.2499", D("0")),  # below every threshold: 0
        ("0", D("0")),
        (D("0.34"), D("10")),  # Decimal, int and float figures as well as text
        (1, D("10")),
        (0.26, D("6")),
    ],
)
def test_formula_takes_the_highest_threshold_reached(share, score):
    result = computed_indicators(RULES, {**GOOD, "workstation_share": share})

    assert result.values["3.1.1"] == score


def test_formula_thresholds_in_any_order():
    rule = Rule(
        "1.1",
        "formula",
        {
            "input": "income",
            "thresholds": [
                {"min": "50", "score": "5"},
                {"min": "200", "score": "15"},
                {"min": "100", "score": 10},
            ],
        },
    )

    assert computed_indicators([rule], {"income": "150"}).values == {"1.1": D("10")}
    assert computed_indicators([rule], {"income": "200"}).values == {"1.1": D("15")}
    assert computed_indicators([rule], {"income": "49.99"}).values == {"1.1": D("0")}


@pytest.mark.parametrize(
    ("investment", "passed"),
    [("30000000", 1), ("30000000.00", 1), ("29999999.99", 0), ("45000000", 1), ("1,000", 0)],
)
def test_gate_on_a_minimum_boundary(investment, passed):
    assert computed_indicators(RULES, {**GOOD, "total_investment": investment}).values["2.1.1"] == passed


@pytest.mark.parametrize(("share", "passed"), [("0.3333", 1), ("0.3332", 0), ("1/3", 1), ("0.33", 0)])
def test_gate_on_a_third(share, passed):
    assert computed_indicators(RULES, {**GOOD, "enterprise_share": share}).values["2.1.2"] == passed


@pytest.mark.parametrize(
    ("figure", "passed"),
    [(True, 1), (False, 0), ("true", 1), ("false", 0), ("是", 1), ("否", 0), (1, 1), (0, 0)],
)
def test_boolean_gate(figure, passed):
    assert computed_indicators(RULES, {**GOOD, "reports_on_time": figure}).values["2.2.1"] == passed


def test_veto_fires_when_its_condition_fails():
    fired = computed_indicators(RULES, {**GOOD, "conditions_hold": False})
    held = computed_indicators(RULES, GOOD)

    assert fired.vetoed == ("V1",)
    assert held.vetoed == ()


def test_veto_on_a_minimum():
    rule = {"code": "V2", "method": "veto", "formula": {"input": "total_investment", "min": "30000000"}}

    assert computed_indicators([rule], {"total_investment": "25000000"}).vetoed == ("V2",)
    assert computed_indicators([rule], {"total_investment": "30000000"}).vetoed == ()


def test_missing_figures_are_left_to_the_expert():
    inputs = {**GOOD, "workstation_share": None, "conditions_hold": None}
    del inputs["enterprise_share"]  # absent counts as missing too

    result = computed_indicators(RULES, inputs)

    assert result.missing == ("2.1.2", "3.1.1", "V1")
    assert "3.1.1" not in result.values
    assert "2.1.2" not in result.values
    assert result.vetoed == ()  # a missing figure vetoes nothing
    assert result.values == {"2.1.1": 1, "2.2.1": 1}


def test_unreadable_figures_are_missing_not_zero():
    result = computed_indicators(
        RULES, {**GOOD, "workstation_share": "n/a", "reports_on_time": "maybe", "total_investment": True}
    )

    # a yes/no figure read as a number is 1: below the minimum, so the gate fails rather than guessing
    assert result.values["2.1.1"] == 0
    assert set(result.missing) == {"2.2.1", "3.1.1"}


def test_no_inputs_at_all():
    result = computed_indicators(RULES, None)

    assert result.values == {}
    assert result.missing == ("2.1.1", "2.1.2", "2.2.1", "3.1.1", "V1")


def test_rows_with_attributes_are_read_as_rules():
    class Row:
        def __init__(self, code, method, formula):
            self.code, self.method, self.formula = code, method, formula

    rows = [Row("g", "gate", {"input": "x", "min": "1"}), Row("e", "expert", {}), Row("grp", "group", {})]

    assert computed_indicators(rows, {"x": "3"}).values == {"g": 1}


def _pack_rules(pack: str, system: str) -> list[dict]:
    """The pack file's rules as the loader stores them (the gate's `gate`, the veto's `condition`
    become the row's `formula`)."""
    document = yaml.safe_load((PACKS / pack).read_text(encoding="utf-8"))
    doc = next(s for s in document["indicator_systems"] if s["code"] == system)
    rules = []

    def walk(items):
        for item in items:
            method = item.get("method", "group")
            rules.append(
                {
                    "code": str(item["code"]),
                    "method": method,
                    "formula": item.get("formula") or item.get("gate") or {},
                }
            )
            walk(item.get("children", []))

    walk(doc["indicators"])
    rules.extend({"code": v["code"], "method": "veto", "formula": v["condition"]} for v in doc["vetoes"])
    return rules


def test_jiangsu_performance_pack():
    rules = _pack_rules("jiangsu-integration-platform.yaml", "jiangsu-performance")
    inputs = {
        "tech_service_income": "120.5",  # 万元: ≥100 → 10
        "transfer_projects": "0",  # gate ≥1: not met
        "incubated_student_projects": "2",
        "research_projects": "3",  # ≥3 → 8
        "patents": None,  # missing: the expert scores 1.5
        "workstation_share": "0.2000",  # ≥1/5 → 5
        "conditions_hold": True,
    }

    result = computed_indicators(rules, inputs)

    assert result.values == {"1.1": D("10"), "1.2": 0, "1.3": 1, "1.4": D("8"), "2.1": D("5")}
    assert result.missing == ("1.5",)
    assert result.vetoed == ()
