"""Builders for the scoring tests and the scoring rows of the role matrix: the worked example's
indicator system, a round being scored, assignments, complete and submitted sheets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from chanjiao.applications.models import Application
from chanjiao.policy.models import Indicator, IndicatorSystem, PolicyPack
from chanjiao.review.models import Assignment, ReviewRound, ScoreSheet

from .factories import make_application, make_expert, make_school


def make_scoring_system(
    pack: PolicyPack, *, code: str = "scoring-test", gate: bool = False
) -> IndicatorSystem:
    """The worked example's indicator system (total 100), three leaves under two first-level indicators:

    1 产教融合 (weight 30)             1.1 共建机制 expert 0–10, weight 2 → 20 points
                                       1.2 合作企业投入占比 formula (≥1/2: 6, ≥2/5: 5, ≥1/3: 4), weight 1 → 10
    2 人才培养 (weight 70)             2.1 实训教学体系 expert 0–9 → 70 (with `gate`: 35, and
                                       2.2 有专业群为依托 gate → 35)
    and a veto item, V1 建设资金总投入低于3000万元.
    """
    system = IndicatorSystem.objects.create(
        pack=pack,
        code=code,
        name="评分测试指标体系",
        purpose=IndicatorSystem.Purpose.SELECTION,
        total=Decimal("100"),
        inputs=[
            {"code": "enterprise_share", "name": "合作企业投入占总投入比例", "unit": "比例", "type": "share"},
            {"code": "total_investment", "name": "建设资金总投入", "unit": "元", "type": "money"},
            {"code": "has_cluster", "name": "有符合条件的专业群为依托", "unit": "是/否", "type": "boolean"},
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

    first = add("1", "产教融合", "group", weight="30")
    add("1.1", "共建机制", "expert", parent=first, level=2, weight="2", low="0", high="10")
    add(
        "1.2",
        "合作企业投入占比",
        "formula",
        parent=first,
        level=2,
        weight="1",
        formula={
            "input": "enterprise_share",
            "thresholds": [
                {"min": "1/2", "score": "6"},
                {"min": "2/5", "score": "5"},
                {"min": "1/3", "score": "4"},
            ],
        },
    )
    second = add("2", "人才培养", "group", weight="70")
    add("2.1", "实训教学体系", "expert", parent=second, level=2, weight="1", low="0", high="9")
    if gate:
        add(
            "2.2",
            "有专业群为依托",
            "gate",
            parent=second,
            level=2,
            weight="1",
            formula={"input": "has_cluster", "equals": True},
        )
    add("V1", "建设资金总投入低于3000万元", "veto", formula={"input": "total_investment", "min": "30000000"})
    return system


def scoring_round(call, project_type, creator, system, **settings) -> ReviewRound:
    """A round of `call` being scored with `system`, k = 2, the deadline a week away."""
    settings.setdefault("status", ReviewRound.Status.ASSIGNED)
    settings.setdefault("reviews_per_application", 2)
    settings.setdefault("review_deadline", timezone.now() + dt.timedelta(days=7))
    return ReviewRound.objects.create(
        call=call,
        project_type=project_type,
        created_by=creator,
        name=settings.pop("name", "遴选评审（评分）"),
        indicator_system=system,
        **settings,
    )


def assign(review_round: ReviewRound, expert, application, creator) -> Assignment:
    return Assignment.objects.create(
        round=review_round, expert=expert, application=application, method="exact", created_by=creator
    )


@dataclass
class Case:
    """A round being scored (k = 2) and its people: `me` (the `expert` persona) reviews apps 0 and 1,
    `other` (another expert of the pool) apps 0 and 2; `reserve` is a reserve of `me` on app 2."""

    round: ReviewRound
    apps: list[Application]
    me: object
    other: object
    mine: list[Assignment]
    others: list[Assignment]
    reserve: Assignment


def scoring_case(review, regions, expert_user, employer, creator, *, gate: bool = False) -> Case:
    """The conftest's `review` round made ready for scoring with the worked example's system."""
    review_round = review.round
    review_round.indicator_system = make_scoring_system(review.call.pack, gate=gate)
    review_round.status = ReviewRound.Status.ASSIGNED
    review_round.reviews_per_application = 2
    review_round.review_deadline = timezone.now() + dt.timedelta(days=7)
    review_round.save()
    apps = [
        make_application(
            review.call, review.project_type, make_school(regions.wuhu_jinghu), title=f"评分申报{i}"
        )
        for i in range(3)
    ]
    me = make_expert(regions.anhui, employer, user=expert_user)
    other = make_expert(regions.anhui, make_school(regions.wuhu_jinghu), name="另一专家")
    mine = [assign(review_round, me, apps[0], creator), assign(review_round, me, apps[1], creator)]
    others = [assign(review_round, other, apps[0], creator), assign(review_round, other, apps[2], creator)]
    reserve = Assignment.objects.create(
        round=review_round,
        expert=me,
        application=apps[2],
        method="draw",
        reserve=True,
        reserve_rank=1,
        created_by=creator,
    )
    return Case(review_round, apps, me, other, mine, others, reserve)


# A complete sheet of the worked example (with `gate`, 2.2 passed too).
FULL_SCORES = {"1.1": "7.5", "1.2": "5", "2.1": "8.3"}
FULL_COMMENTS = {"1": "校企共建机制清楚，企业投入达到五分之二。", "2": "实训体系与岗位对应。"}


def full_sheet(**changes) -> dict:
    sheet = {
        "scores": dict(FULL_SCORES),
        "vetoes": [],
        "comments": dict(FULL_COMMENTS),
        "overall_comment": "建议立项。",
        "recommendation": "recommend",
    }
    sheet.update(changes)
    return sheet


def submitted_sheet(assignment: Assignment, total: str = "87.89") -> ScoreSheet:
    return ScoreSheet.objects.create(
        assignment=assignment,
        round=assignment.round,
        expert=assignment.expert,
        application=assignment.application,
        status=ScoreSheet.Status.SUBMITTED,
        scores=dict(FULL_SCORES),
        comments=dict(FULL_COMMENTS),
        recommendation="recommend",
        total=Decimal(total),
        submitted_at=timezone.now(),
        row_version=2,
    )
