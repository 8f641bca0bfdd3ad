"""Builders for the panel tests: a round whose submitted sheets are given as totals per application and
expert (or as scores on a small indicator system, the total worked out by aggregation.sheet_total)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from chanjiao.applications.models import Application
from chanjiao.policy.models import Indicator, IndicatorSystem
from chanjiao.review.aggregation import ScoringTree, sheet_total
from chanjiao.review.models import Assignment, ExpertProfile, ReviewRound, ScoreSheet

from .factories import make_application, make_expert, make_school


def make_panel_system(pack, *, code: str = "panel-test") -> IndicatorSystem:
    """Total 100 in two first-level indicators:

    1 专业建设 40      1.1 参与专业建设 expert 0–20 (20 points)   1.2 参与课程改革 expert 0–20 (20 points)
    2 协同育人 60      2.1 人才培养 expert 0–30 (30 points)        2.2 有专业群依托 gate (30 points)
    and a veto item, V1 共建协议未签署.
    """
    system = IndicatorSystem.objects.create(
        pack=pack, code=code, name="合议测试指标体系", purpose="selection", total=Decimal("100")
    )
    position = iter(range(1, 100))

    def add(code, name, method, *, parent=None, level=1, weight="0", low=None, high=None):
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
            position=next(position),
        )

    first = add("1", "专业建设", "group", weight="40")
    add("1.1", "参与专业建设", "expert", parent=first, level=2, weight="20", low="0", high="20")
    add("1.2", "参与课程改革", "expert", parent=first, level=2, weight="20", low="0", high="20")
    second = add("2", "协同育人", "group", weight="60")
    add("2.1", "人才培养", "expert", parent=second, level=2, weight="30", low="0", high="30")
    add("2.2", "有专业群依托", "gate", parent=second, level=2, weight="30")
    add("V1", "共建协议未签署", "veto")
    return system


@dataclass
class Panel:
    round: ReviewRound
    apps: dict[str, Application]
    experts: dict[str, ExpertProfile]
    assignments: dict[tuple[str, str], Assignment] = field(default_factory=dict)
    sheets: dict[tuple[str, str], ScoreSheet] = field(default_factory=dict)


def build_panel(
    review_round: ReviewRound,
    regions,
    creator,
    totals: dict[str, dict[str, str]],
    *,
    scores: dict[tuple[str, str], dict] | None = None,
    vetoes: dict[tuple[str, str], list[str]] | None = None,
    experts: dict[str, ExpertProfile] | None = None,
) -> Panel:
    """`totals` maps an application's label to {expert label: total}; an application and an expert are
    made per label (applicants in Wuhu, experts' employers in Hefei). A pair in `scores` gets those
    scores and the total sheet_total works out on the round's indicator system instead."""
    experts = dict(experts or {})
    panel = Panel(review_round, {}, experts)
    tree = None
    if review_round.indicator_system_id:
        tree = ScoringTree.from_indicators(
            Indicator.objects.filter(system=review_round.indicator_system_id).order_by("position", "id")
        )
    now = timezone.now()
    for app_label, by_expert in totals.items():
        app = make_application(
            review_round.call,
            review_round.project_type,
            make_school(regions.wuhu_jinghu, name=f"{app_label}职业技术学院"),
            title=f"{app_label}产教融合集成平台",
        )
        panel.apps[app_label] = app
        for expert_label, total in by_expert.items():
            if expert_label not in experts:
                experts[expert_label] = make_expert(
                    regions.anhui, make_school(regions.hefei_shushan), name=f"{expert_label}教授"
                )
            expert = experts[expert_label]
            key = (app_label, expert_label)
            assignment = Assignment.objects.create(
                round=review_round, expert=expert, application=app, method="exact", created_by=creator
            )
            sheet_scores = (scores or {}).get(key, {})
            if sheet_scores and tree is not None:
                total = sheet_total(tree, sheet_scores)
            if total is None:
                panel.assignments[key] = assignment
                continue
            panel.assignments[key] = assignment
            panel.sheets[key] = ScoreSheet.objects.create(
                assignment=assignment,
                round=review_round,
                expert=expert,
                application=app,
                status=ScoreSheet.Status.SUBMITTED,
                scores=sheet_scores,
                vetoes=(vetoes or {}).get(key, []),
                comments={"1": f"{expert_label}对{app_label}的专业建设评语", "2": "协同育人扎实"},
                overall_comment=f"{expert_label}的总体评价",
                recommendation=ScoreSheet.Recommendation.RECOMMEND,
                total=Decimal(str(total)),
                submitted_at=now,
            )
    panel.experts = experts
    return panel


def set_round(review_round: ReviewRound, **values) -> ReviewRound:
    """Test set-up: the round's fields as the test needs them (not a service)."""
    for key, value in values.items():
        setattr(review_round, key, value)
    review_round.save()
    return review_round
