"""The demo's review scenario (Jiangsu): what `make demo` leaves for a person to walk the review from its
first click, made through the services, and made once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db.models import Sum
from django.utils import timezone

from chanjiao.applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationVersion,
    BudgetLine,
    KpiTarget,
    Partner,
    Status,
    TaskPlan,
)
from chanjiao.core.errors import ConflictError
from chanjiao.core.models import AuditEntry
from chanjiao.core.permissions import Role
from chanjiao.ops.demo_data import DEMO_PASSWORD
from chanjiao.ops.demo_review import THEMES, end_publicity, seed_review_scenario, submit_demo_sheets
from chanjiao.ops.reference import load_reference_seeds
from chanjiao.orgs.models import Membership, Organization, User
from chanjiao.orgs.selectors import actor_for
from chanjiao.policy.models import Call
from chanjiao.review import selectors
from chanjiao.review.assignment import assign_exact
from chanjiao.review.conflicts import conflicts_compute
from chanjiao.review.models import (
    Assignment,
    Conflict,
    EducationGroup,
    Exclusion,
    ExpertProfile,
    ReviewRound,
)
from chanjiao.review.services import exclusion_add, exclusion_window
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(db):
    """An empty database with the shipped reference seeds, then the scenario (which makes the demo's
    people itself when they are missing)."""
    list(load_reference_seeds())
    return seed_review_scenario()


def _actor(username: str):
    return actor_for(User.objects.get(username=username))


def _js_school() -> Organization:
    return Membership.objects.get(user__username="js_school_admin", role=Role.ORG_ADMIN).organization


def test_twelve_jiangsu_schools_applied_with_varied_plans_and_were_taken_into_review(scenario):
    call = scenario.call
    # the call: the current Jiangsu pack, its integration platform, first batch, and closed by now
    assert call.title == "2026年江苏省高职产教融合集成平台建设项目申报"
    assert (call.pack.code, call.pack.is_current) == ("jiangsu-integration-platform", True)
    assert list(call.project_types.values_list("code", flat=True)) == ["integration-platform"]
    assert call.start_batch == 1
    assert call.closes_at <= timezone.now()
    assert call.effective_status() == Call.Status.CLOSED

    apps = list(Application.objects.filter(call=call).select_related("applicant", "endorsed_by"))
    assert scenario.applications == len(apps) == 12
    assert {a.status for a in apps} == {Status.UNDER_REVIEW}
    # from twelve distinct independent associate-level Jiangsu schools, js_school_admin's among them
    assert len({a.applicant_id for a in apps}) == 12
    assert all(
        a.applicant.kind == "school"
        and a.applicant.school_level == "associate"
        and a.applicant.is_independent
        and a.applicant.region_id.startswith("32")
        for a in apps
    )
    assert _js_school().pk in {a.applicant_id for a in apps}
    # each submitted once (version 1, before the deadline), endorsed by staff of its own city's bureau
    for app in apps:
        version = ApplicationVersion.objects.get(application=app)
        assert version.number == 1
        assert version.submitted_at <= call.closes_at
        bureau = Membership.objects.get(user=app.endorsed_by, role=Role.CITY_ADMIN).organization
        assert bureau.region_id == app.city_code == app.applicant.region_id[:4] + "00"
        assert app.accepted_at is not None
    # partners are Jiangsu enterprises; the agreement is signed by the school and every partner
    partners = Partner.objects.filter(application__call=call).select_related("organization")
    assert all(p.organization.kind == "enterprise" and p.organization.region_id[:2] == "32" for p in partners)
    for link in ApplicationAttachment.objects.filter(
        application__call=call, spec_code="co_building_agreement"
    ):
        parties = {
            link.application.applicant_id,
            *link.application.partners.values_list("organization", flat=True),
        }
        assert set(link.signed_by.values_list("pk", flat=True)) == parties

    # budgets, tasks and targets vary within the plan's rules
    apps = Application.objects.filter(call=scenario.call)
    totals, shares = [], []
    for app in apps:
        lines = BudgetLine.objects.filter(application=app)
        total = lines.aggregate(s=Sum("amount"))["s"]
        enterprise = lines.filter(source="enterprise").aggregate(s=Sum("amount"))["s"]
        totals.append(total)
        shares.append(Fraction(enterprise) / Fraction(total))
        tasks = set(TaskPlan.objects.filter(application=app).values_list("task_code", flat=True))
        assert {"1", "2", "3", "4", "5", "6", "7"} <= tasks <= {"1", "2", "3", "4", "5", "6", "7", "8"}
        # five required targets, one per construction year
        assert KpiTarget.objects.filter(application=app).count() == 5 * 3
    assert min(totals) == Decimal("30000000")
    assert max(totals) == Decimal("60000000")
    assert len(set(totals)) == 12
    assert min(shares) == Fraction(34, 100)
    assert max(shares) == Fraction(55, 100)
    with_eight = TaskPlan.objects.filter(application__call=scenario.call, task_code="8").count()
    assert with_eight == sum(t.international for t in THEMES) == 5

    # Worked by hand for js_school_admin's school (轨道交通装备, 4200万元, 40% from the enterprises):
    # enterprise 16,800,000 of which equipment 60% = 10,080,000, in year 1 40% = 4,032,000;
    # the rest 25,200,000: provincial fund 20% = 5,040,000 (year 3: 25% = 1,260,000), school cash
    # 45% = 11,340,000, facilities 15% = 3,780,000, and the local government the remaining 5,040,000.
    app = apps.get(applicant=_js_school())
    lines = BudgetLine.objects.filter(application=app)
    assert lines.get(year=1, source="enterprise", kind="equipment").amount == Decimal("4032000.00")
    assert lines.get(year=3, source="provincial_fund", kind="cash").amount == Decimal("1260000.00")
    assert lines.filter(source="school", kind="cash").aggregate(s=Sum("amount"))["s"] == Decimal(
        "11340000.00"
    )
    assert lines.filter(source="local_government").aggregate(s=Sum("amount"))["s"] == Decimal("5040000.00")
    assert lines.filter(source="school", kind="facilities").aggregate(s=Sum("amount"))["s"] == Decimal(
        "3780000.00"
    )
    assert lines.aggregate(s=Sum("amount"))["s"] == Decimal("42000000.00")


def test_the_round_waits_in_setup_with_its_settings_and_exclusions_closed(scenario):
    review_round = scenario.review_round
    assert review_round.status == ReviewRound.Status.SETUP
    assert (review_round.indicator_system.code, review_round.indicator_system.is_current) == (
        "jiangsu-selection",
        True,
    )
    assert (review_round.reviews_per_application, review_round.load_cap, review_round.reserves) == (5, 8, 2)
    deadline = timezone.localtime(review_round.review_deadline)
    assert deadline.date() == timezone.localdate() + dt.timedelta(days=14)
    # nothing computed or assigned yet: that is the walkthrough's first click
    assert not Conflict.objects.filter(round=review_round).exists()
    assert not Assignment.objects.filter(round=review_round).exists()
    # one exclusion, with its reason, on js_school_admin's application; asking for another is refused
    exclusion = Exclusion.objects.select_related("application").get()
    assert exclusion.application.applicant_id == _js_school().pk
    assert exclusion.reason
    _round, _limit, open_ = exclusion_window(exclusion.application)
    assert not open_
    with pytest.raises(ConflictError) as refused:
        exclusion_add(
            actor=_actor("js_school_admin"),
            application=exclusion.application,
            expert_name="许振华",
            reason="测试",
        )
    assert refused.value.errors[0].code == "exclusion.closed"
    assert Exclusion.objects.count() == 1


def test_the_pool_has_enough_experts_from_industry_and_the_observer_reads_it_all(scenario):
    pool = ExpertProfile.objects.filter(province_id="320000", is_active=True)
    # 22 from the small demo data's people in Jiangsu, 16 added by the scenario (js_expert among them)
    assert scenario.pool == pool.count() == 38
    assert scenario.industry == pool.filter(is_industry=True).count() == 16  # 42%
    assert 0.35 <= scenario.industry / scenario.pool <= 0.45
    js_expert = pool.get(user__username="js_expert")
    assert js_expert.is_industry
    assert js_expert.employer.kind == "enterprise"
    assert js_expert.employer.region_id.startswith("32")
    assert User.objects.get(username="js_expert").check_password(DEMO_PASSWORD)
    observer = User.objects.get(username="js_observer")
    assert observer.check_password(DEMO_PASSWORD)
    assert Membership.objects.get(user=observer, role=Role.OBSERVER).organization.name == "江苏省教育厅"
    # every application shares a programme category with at least k experts
    for app in Application.objects.filter(call=scenario.call).prefetch_related("programmes"):
        categories = {p.code[:2] for p in app.programmes.all()}
        fits = [e for e in pool if categories & set(e.programme_categories)]
        assert len(fits) >= 5, app
    # the education group: two applying schools and one expert's employer
    group = EducationGroup.objects.get(province_id="320000")
    members = set(group.members.values_list("pk", flat=True))
    applicants = set(Application.objects.filter(call=scenario.call).values_list("applicant", flat=True))
    assert len(members & applicants) == 2
    assert len(members - applicants) == 1
    assert pool.filter(employer_id__in=members - applicants).exists()

    # the observer (纪检监察) reads the round, its conflicts page included, and may not assign
    review_round = scenario.review_round
    assert selectors.round_get_for(actor=actor_for(observer), pk=review_round.pk) == review_round
    client = client_for(observer)
    assert client.get(f"/review/rounds/{review_round.pk}/").status_code == 200
    assert client.get(f"/review/rounds/{review_round.pk}/conflicts/").status_code == 200
    assert client.post(f"/review/rounds/{review_round.pk}/assign/").status_code == 403
    assert not Assignment.objects.filter(round=review_round).exists()


def test_running_the_scenario_again_makes_nothing_new(scenario):
    models = (
        Organization,
        User,
        Membership,
        Call,
        Application,
        ApplicationVersion,
        ApplicationAttachment,
        ExpertProfile,
        EducationGroup,
        Exclusion,
        ReviewRound,
        AuditEntry,
    )
    before = {m.__name__: m.objects.count() for m in models}
    again = seed_review_scenario()
    assert {m.__name__: m.objects.count() for m in models} == before
    assert set(again.created.values()) == {0}
    assert (again.call, again.review_round, again.applications) == (scenario.call, scenario.review_round, 12)


def test_the_walkthrough_computes_conflicts_then_assigns_five_experts_to_every_application(scenario, client):
    # 回避计算: every kind the scenario sets up is found
    counts = conflicts_compute(actor=_actor("js_province"), review_round=scenario.review_round)
    conflicts = Conflict.objects.filter(round=scenario.review_round).select_related("expert", "application")
    assert counts["created"] == conflicts.count() > 0
    kinds = Counter(c.kind for c in conflicts)
    assert {"employer_is_party", "same_group", "education_group", "exclusion"} <= set(kinds)
    # the expert at the group above a partner's subsidiary: the parent relation
    group = [
        c for c in conflicts if c.kind == "same_group" and c.details["items"][0].get("relation") == "parent"
    ]
    assert len(group) == 1
    item = group[0].details["items"][0]
    partner = Organization.objects.get(name=item["party"])
    assert partner.parent.name == item["employer"] == group[0].expert.employer.name
    assert Partner.objects.filter(application=group[0].application, organization=partner).exists()
    # the applicant's exclusion names that same expert
    exclusion = conflicts.get(kind="exclusion")
    assert exclusion.expert == group[0].expert
    assert exclusion.application.applicant_id == _js_school().pk

    # 最优分配: every application gets five experts, none in conflict with it
    review_round = scenario.review_round
    run = assign_exact(actor=_actor("js_province"), review_round=review_round)
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.ASSIGNED
    assert run.result["industry_covered"] == 12
    assert run.result["industry_uncovered"] == []
    assignments = list(Assignment.objects.filter(round=review_round, reserve=False).select_related("expert"))
    per_app = Counter(a.application_id for a in assignments)
    assert len(per_app) == 12
    assert set(per_app.values()) == {5}
    assert len({(a.application_id, a.expert_id) for a in assignments}) == 60
    conflicted = set(Conflict.objects.filter(round=review_round).values_list("application_id", "expert_id"))
    assert conflicted  # computed by the solve itself
    assert not {(a.application_id, a.expert_id) for a in assignments} & conflicted
    assert max(Counter(a.expert_id for a in assignments).values()) <= 8
    industry = Counter(a.application_id for a in assignments if a.expert.is_industry)
    assert len(industry) == 12  # every application has an expert from industry
    # js_expert finds their reviews on 我的评审 once assigned
    mine = selectors.expert_assignments(_actor("js_expert"))
    assert mine.count() >= 1
    client.force_login(User.objects.get(username="js_expert"))
    page = client.get("/review/mine/")
    assert page.status_code == 200
    assert mine.first().application.title in page.content.decode()


def test_with_the_demo_aids_the_walk_goes_on_to_the_award(scenario):
    from chanjiao.projects.models import Project
    from chanjiao.projects.selectors import requested_provincial_fund
    from chanjiao.projects.services import decision_award
    from chanjiao.review.panel_services import panel_open, recommendation_confirm
    from chanjiao.review.publicity_services import objection_answer, objection_submit, publicity_publish

    province = _actor("js_province")
    review_round = scenario.review_round
    assign_exact(actor=province, review_round=review_round)
    mine = selectors.expert_assignments(_actor("js_expert")).count()
    assert mine >= 1
    # the other experts of the panel score; js_expert's sheets are left to the person walking
    assert submit_demo_sheets(review_round) == 60 - mine
    with pytest.raises(ConflictError) as waiting:
        panel_open(actor=province, review_round=review_round)
    assert [e.code for e in waiting.value.errors] == ["panel.sheets_missing"] * mine
    assert submit_demo_sheets(review_round, leave_to=None) == mine
    assert submit_demo_sheets(review_round, leave_to=None) == 0  # submitted sheets stay as they are

    panel_open(actor=province, review_round=review_round)
    entries = recommendation_confirm(actor=province, review_round=review_round)
    recommended = [e for e in entries if e.recommended]
    assert len(entries) == 12
    assert len(recommended) == 10  # the type's target 30 over the plan's 3 start batches
    publicity = publicity_publish(
        actor=province, review_round=review_round, title="2026年江苏省产教融合集成平台拟立项项目公示"
    )
    objected = recommended[0].application
    objection = objection_submit(
        data={
            "name": "王明",
            "phone": "13812345678",
            "content": "该项目合作企业的设备投入是否到位，请核实。",
            "application_id": objected.pk,
        },
        publicity=publicity,
    )
    # no award before the publicity is over and the objection answered
    with pytest.raises(ConflictError) as early:
        decision_award(actor=province, application=objected, approved_budget="0")
    assert {e.code for e in early.value.errors} == {"award.publicity_not_over", "award.objections_open"}
    objection_answer(
        actor=province,
        objection=objection,
        answer="经核查，企业设备投入已列入共建协议。",
        outcome="dismissed",
    )
    ended = end_publicity(review_round)
    assert ended.ends_on < timezone.localdate()
    assert (ended.ends_on - publicity.ends_on).days % 7 == 0
    for entry in recommended:
        app = Application.objects.get(pk=entry.application_id)
        decision_award(actor=province, application=app, approved_budget=requested_provincial_fund(app))
    review_round.refresh_from_db()
    assert review_round.status == ReviewRound.Status.CLOSED
    assert Project.objects.count() == 10
    assert Application.objects.filter(call=scenario.call, status=Status.AWARDED).count() == 10
