"""Builders for the award-decision tests: a selection round whose recommended list has been publicised
(the state the province decides in), its applications with their budget lines and ranking, objections.

Other stages build the publicity and the ranking; here that state is made directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chanjiao.applications.models import Application, BudgetLine, Status
from chanjiao.review.models import Objection, Publicity, RankingEntry, ReviewRound
from tests.review.factories import make_application, make_review_call, make_round

PUBLICITY_ENDS = dt.date(2026, 11, 30)
# The worked example's budget (yuan): what each application asks of the provincial fund, what the
# partner enterprise and the school bring. 10,000,000 + 12,000,000 + 8,000,000 = 30,000,000;
# the enterprise brings 12,000,000 of it (40%).
BUDGET = (
    (1, "provincial_fund", "cash", "4000000.00"),
    (2, "provincial_fund", "cash", "3000000.00"),
    (3, "provincial_fund", "cash", "3000000.00"),
    (1, "enterprise", "equipment", "5000000.00"),
    (2, "enterprise", "equipment", "4000000.00"),
    (3, "enterprise", "technology", "3000000.00"),
    (1, "school", "cash", "8000000.00"),
)


def add_budget(app: Application, lines=BUDGET) -> None:
    for year, source, kind, amount in lines:
        BudgetLine.objects.create(
            application=app, year=year, source=source, kind=kind, amount=Decimal(amount)
        )


def make_publicised_round(
    region,
    creator,
    applicants,
    *,
    partner=None,
    code: str = "award-test",
    ends_on: dt.date = PUBLICITY_ENDS,
    start_batch: int | None = None,
) -> tuple[ReviewRound, list[Application]]:
    """A round of the integration-platform type (3 years, 3 start batches) in `region`'s province,
    publicised from ends_on − 6 days to `ends_on`, one application per applicant (ranked in that
    order, scores 90, 85, …), each with the worked example's budget and `partner` as enterprise."""
    call, project_type = make_review_call(region, code=code)
    if start_batch is not None:
        call.start_batch = start_batch
        call.save(update_fields=["start_batch"])
    review_round = make_round(call, project_type, creator, status=ReviewRound.Status.PUBLICISED)
    apps = []
    for i, applicant in enumerate(applicants):
        app = make_application(
            call,
            project_type,
            applicant,
            partners=[(partner, "co_building_enterprise")] if partner is not None else (),
            status=Status.PUBLICISED,
            title=f"智能制造产教融合集成平台{i + 1}",
        )
        add_budget(app)
        score = Decimal(90 - 5 * i)
        RankingEntry.objects.create(
            round=review_round,
            application=app,
            rank=i + 1,
            score=score,
            mean=score,
            trimmed_mean=score,
            zscore=Decimal("0"),
            sheets=5,
            spread=Decimal("4"),
            recommended=True,
        )
        apps.append(app)
    Publicity.objects.create(
        round=review_round,
        title=f"{call.title}拟立项名单公示",
        starts_on=ends_on - dt.timedelta(days=6),
        ends_on=ends_on,
        working_days=5,
        published_by=creator,
    )
    return review_round, apps


def make_objection(review_round: ReviewRound, application: Application | None, *, name: str = "王异议"):
    return Objection.objects.create(
        publicity=review_round.publicity,
        application=application,
        name=name,
        phone="13800000000",
        content="申报材料中的企业投入与实际不符",
    )
