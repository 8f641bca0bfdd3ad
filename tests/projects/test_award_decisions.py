"""The province's decision on a publicised application (立项 / 不予立项), through the API as an
integration would make it, with the figures checked by hand and every refusal storing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from chanjiao.applications.models import Application, ApplicationEvent, Status
from chanjiao.core.errors import ValidationFailed
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.core.permissions import Role
from chanjiao.orgs.models import Membership
from chanjiao.projects import services
from chanjiao.projects.models import AwardDecision, Project
from chanjiao.review.models import Objection, ReviewRound
from tests.conftest import ApiClient, actor_of, error_codes
from tests.factories import make_person

from .factories import make_objection, make_publicised_round

pytestmark = pytest.mark.django_db


def award_url(app) -> str:
    return f"/api/v1/applications/{app.pk}/award"


def reject_url(app) -> str:
    return f"/api/v1/applications/{app.pk}/reject"


def stored() -> tuple:
    """What a refused decision must leave as it was."""
    return (
        AwardDecision.objects.count(),
        Project.objects.count(),
        list(Application.objects.order_by("pk").values_list("pk", "status", "row_version")),
        ApplicationEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
        list(ReviewRound.objects.order_by("pk").values_list("pk", "status")),
    )


def messages_of(response) -> list[str]:
    return [e["message"] for e in response.json()["errors"]]


# --- an award, figure by figure ------------------------------------------------------------------


def test_award_makes_exactly_one_project_with_the_figures(award, province_officer):
    # given the school's publicised application: it asked the provincial fund for 4,000,000 +
    # 3,000,000 + 3,000,000 = 10,000,000.00; in all 30,000,000.00, of which the enterprise 12,000,000.00
    app = award.school_app
    client = ApiClient(province_officer)
    # when the province awards it 9,500,000.00 to start in the second batch, on 2026-12-01
    response = client.post(
        award_url(app),
        {"approved_budget": "9500000.00", "start_batch": 2, "document_number": "皖教职〔2026〕12号"},
    )
    # then the decision is recorded once, with the project it made
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "awarded"
    assert body["approved_budget"] == "9500000.00"
    assert body["start_batch"] == 2
    assert body["document_number"] == "皖教职〔2026〕12号"
    assert AwardDecision.objects.count() == 1
    assert Project.objects.count() == 1
    project = Project.objects.get()
    assert body["project"] == {"id": project.pk, "code": "34-2026-integration-platform-001"}
    # the project's figures: Anhui (34), decided in 2026, the type's code, the first of the year
    assert project.code == "34-2026-integration-platform-001"
    assert project.title == app.title
    assert project.organization_id == app.applicant_id
    assert (project.city_code, project.province_code) == ("340100", "340000")
    assert project.approved_budget == Decimal("9500000.00")
    assert project.planned_total == Decimal("30000000.00")
    assert project.planned_enterprise == Decimal("12000000.00")
    assert project.start_batch == 2
    # three years of construction from the day of the decision: 2026-12-01 to 2029-11-30
    assert project.starts_on == dt.date(2026, 12, 1)
    assert project.construction_years == 3
    assert project.ends_on == dt.date(2029, 11, 30)
    assert project.status == Project.Status.UNDER_CONSTRUCTION
    # and the application moved to awarded, with its event and audit entries
    app.refresh_from_db()
    assert app.status == Status.AWARDED
    event = ApplicationEvent.objects.get(application=app, action="award")
    assert (event.from_status, event.to_status) == (Status.PUBLICISED, Status.AWARDED)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"application.award", "award_decision.create", "project.create"} <= actions
    # and the project reads back through the API with the same figures
    detail = client.get(f"/api/v1/projects/{project.pk}").json()
    assert detail["planned_total"] == "30000000.00"
    assert detail["planned_enterprise"] == "12000000.00"
    assert detail["ends_on"] == "2029-11-30"
    assert [p["organization"]["name"] for p in detail["partners"]] == ["合肥智能装备有限公司"]


def test_codes_are_numbered_per_type_and_year(award, province_officer, decided_on):
    actor = actor_of(province_officer)
    services.decision_award(actor=actor, application=award.school_app, approved_budget="1.00")
    decided_on(dt.date(2027, 1, 4))
    services.decision_award(actor=actor, application=award.other_app, approved_budget="2.00")
    # a decision in 2027 starts the 2027 numbering again
    assert sorted(Project.objects.values_list("code", flat=True)) == [
        "34-2026-integration-platform-001",
        "34-2027-integration-platform-001",
    ]


def test_the_second_award_of_the_year_takes_the_next_number(award, province_officer):
    actor = actor_of(province_officer)
    services.decision_award(actor=actor, application=award.school_app, approved_budget="1.00")
    services.decision_award(actor=actor, application=award.other_app, approved_budget="2.00")
    assert list(Project.objects.order_by("id").values_list("code", flat=True)) == [
        "34-2026-integration-platform-001",
        "34-2026-integration-platform-002",
    ]


def test_the_batch_defaults_to_the_calls_and_must_be_one_of_the_plans(
    regions, province_officer, school, decided_on
):
    # given a call that starts construction in its second batch (the plan has three)
    review_round, (app,) = make_publicised_round(regions.anhui, province_officer, [school], start_batch=2)
    actor = actor_of(province_officer)
    before = stored()
    # when the province names a fourth batch, it is refused with the plan's range
    with pytest.raises(ValidationFailed) as refused:
        services.decision_award(actor=actor, application=app, approved_budget="1.00", start_batch=4)
    assert [(e.code, e.message) for e in refused.value.errors] == [
        ("award.start_batch_out_of_range", "启动批次应为1至3之间的整数（当前：4）")
    ]
    assert stored() == before
    # when it names none, the call's batch is taken
    decision = services.decision_award(actor=actor, application=app, approved_budget="1.00")
    assert decision.start_batch == 2
    assert Project.objects.get().start_batch == 2


def test_a_decision_made_on_29_february_ends_on_28_february():
    # a leap day plus three years is 1 March 2031 in a common year; the period ends the day before
    assert services.construction_end(dt.date(2028, 2, 29), 3) == dt.date(2031, 2, 28)
    assert services.construction_end(dt.date(2026, 12, 1), 3) == dt.date(2029, 11, 30)


# --- refusals ------------------------------------------------------------------------------------


def test_a_budget_above_the_request_is_refused_with_both_figures(award, province_officer):
    client = ApiClient(province_officer)
    before = stored()
    # when the province approves one fen more than the 10,000,000.00 asked for
    response = client.post(award_url(award.school_app), {"approved_budget": "10000000.01"})
    # then it is refused with both figures, and nothing is stored
    assert response.status_code == 422
    assert error_codes(response) == ["award.budget_above_request"]
    assert messages_of(response) == [
        "批准的省级财政支持不能超过申报书申请的省财政专项资金（当前：10000000.01元，申请：10000000.00元）"
    ]
    assert stored() == before
    # and the whole request is still accepted
    assert client.post(award_url(award.school_app), {"approved_budget": "10000000.00"}).status_code == 201


def test_a_bad_amount_and_a_bad_batch_are_refused_together(award, province_officer):
    client = ApiClient(province_officer)
    before = stored()
    response = client.post(award_url(award.school_app), {"approved_budget": "-5", "start_batch": 9})
    assert response.status_code == 422
    assert error_codes(response) == ["amount.negative", "award.start_batch_out_of_range"]
    assert messages_of(response)[0] == "批准的省级财政支持不能为负数（当前：-5，应不小于 0）"
    assert stored() == before


def test_an_award_before_the_publicity_ends_is_refused(award, province_officer, decided_on):
    # given the publicity runs to 2026-11-30 and today is 2026-11-25
    decided_on(dt.date(2026, 11, 25))
    client = ApiClient(province_officer)
    before = stored()
    response = client.post(award_url(award.school_app), {"approved_budget": "1.00"})
    assert response.status_code == 409
    assert error_codes(response) == ["award.publicity_not_over"]
    assert messages_of(response) == ["公示期至2026-11-30，公示期满后方可立项（当前：2026-11-25）"]
    assert stored() == before
    # on the last day of the publicity still not; the day after, yes
    decided_on(dt.date(2026, 11, 30))
    assert (
        ApiClient(province_officer).post(award_url(award.school_app), {"approved_budget": "1.00"}).status_code
        == 409
    )
    decided_on(dt.date(2026, 12, 1))
    assert (
        ApiClient(province_officer).post(award_url(award.school_app), {"approved_budget": "1.00"}).status_code
        == 201
    )


def test_an_open_objection_to_the_application_holds_its_decision(award, province_officer):
    # given an unanswered objection naming the school's application
    objection = make_objection(award.round, award.school_app, name="王异议")
    client = ApiClient(province_officer)
    before = stored()
    # then neither an award nor a rejection of it is made, and the objection is named
    for url, body in (
        (award_url(award.school_app), {"approved_budget": "1.00"}),
        (reject_url(award.school_app), {"reasons": ["x"]}),
    ):
        response = client.post(url, body)
        assert response.status_code == 409
        assert error_codes(response) == ["award.objections_open"]
        assert "王异议" in messages_of(response)[0]
        assert "针对本项目" in messages_of(response)[0]
    assert stored() == before
    # while the other application, which it does not name, may be decided
    assert client.post(award_url(award.other_app), {"approved_budget": "1.00"}).status_code == 201
    # and once the objection is answered, the school's application may be too
    Objection.objects.filter(pk=objection.pk).update(
        answer="经核实，投入属实",
        outcome="dismissed",
        answered_by=province_officer,
        answered_at=objection.received_at,
    )
    assert client.post(award_url(award.school_app), {"approved_budget": "1.00"}).status_code == 201


def test_an_open_objection_to_the_whole_list_holds_every_decision(award, province_officer):
    make_objection(award.round, None, name="李异议")
    client = ApiClient(province_officer)
    before = stored()
    for app in (award.school_app, award.other_app):
        response = client.post(award_url(app), {"approved_budget": "1.00"})
        assert response.status_code == 409
        assert "李异议" in messages_of(response)[0]
        assert "针对整个公示名单" in messages_of(response)[0]
    assert stored() == before


def test_the_publicity_and_the_objections_are_named_together(award, province_officer, decided_on):
    decided_on(dt.date(2026, 11, 28))
    make_objection(award.round, award.school_app)
    response = ApiClient(province_officer).post(award_url(award.school_app), {"approved_budget": "1.00"})
    assert response.status_code == 409
    assert error_codes(response) == ["award.publicity_not_over", "award.objections_open"]


def test_an_application_not_publicised_is_refused_with_its_state(award, province_officer):
    Application.objects.filter(pk=award.school_app.pk).update(status=Status.UNDER_REVIEW)
    client = ApiClient(province_officer)
    before = stored()
    response = client.post(award_url(award.school_app), {"approved_budget": "1.00"})
    assert response.status_code == 409
    assert error_codes(response) == ["application.illegal_transition"]
    assert "评审中" in messages_of(response)[0]
    assert stored() == before


def test_a_rejection_without_reasons_is_refused(award, province_officer):
    client = ApiClient(province_officer)
    before = stored()
    for reasons in ([], "", ["  ", ""], "\n \n"):
        response = client.post(reject_url(award.school_app), {"reasons": reasons})
        assert response.status_code == 422, reasons
        assert error_codes(response) == ["award.reasons_required"]
        assert messages_of(response) == ["请写明不予立项的理由（当前：空）"]
    assert stored() == before


def test_a_rejection_records_its_reasons(award, province_officer):
    response = ApiClient(province_officer).post(
        reject_url(award.school_app), {"reasons": "企业投入不足三分之一\n\n专业群基础薄弱 "}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["reasons"] == ["企业投入不足三分之一", "专业群基础薄弱"]
    assert response.json()["project"] is None
    decision = AwardDecision.objects.get()
    assert decision.outcome == AwardDecision.Outcome.REJECTED
    assert decision.approved_budget is None
    assert Project.objects.count() == 0
    award.school_app.refresh_from_db()
    assert award.school_app.status == Status.REJECTED


def test_a_second_decision_is_refused(award, province_officer):
    client = ApiClient(province_officer)
    assert client.post(award_url(award.school_app), {"approved_budget": "1.00"}).status_code == 201
    before = stored()
    for url, body in (
        (award_url(award.school_app), {"approved_budget": "2.00"}),
        (reject_url(award.school_app), {"reasons": ["改判"]}),
    ):
        response = client.post(url, body)
        assert response.status_code == 409
        assert error_codes(response) == ["award.already_decided"]
        assert messages_of(response) == [
            f"该申报已于{timezone.localdate():%Y-%m-%d}作出决定（立项），不能再次决定"
        ]
    assert stored() == before
    assert Project.objects.count() == 1


# --- who is told ---------------------------------------------------------------------------------


def test_an_award_notifies_the_applicant_and_the_partner_enterprise_by_inbox_and_email(
    award,
    province_officer,
    school,
    school_admin,
    school_staff,
    enterprise_contact,
    expert,
    learner,
    django_capture_on_commit_callbacks,
):
    # given a school staff member whose membership has ended
    gone = make_person("gone_staff", school, Role.ORG_STAFF, email="gone@example.cn")
    Membership.objects.filter(user=gone).update(is_active=False)
    # when the school's application is awarded
    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(province_officer).post(
            award_url(award.school_app), {"approved_budget": "9500000.00"}
        )
    assert response.status_code == 201
    project = Project.objects.get()
    # then the applicant's active administrators and staff, and the enterprise's administrator, are told
    told = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    applicant_people = set(
        Membership.objects.filter(
            organization=school, is_active=True, role__in=["org_admin", "org_staff"]
        ).values_list("user__username", flat=True)
    )
    assert {"school_admin", "school_staff"} <= applicant_people
    assert set(told) == applicant_people | {"enterprise"}
    # not the learner, the expert of the enterprise, nor the person who has left
    assert not {"learner", "expert", "gone_staff"} & set(told)
    for note in told.values():
        assert note.url == f"/projects/{project.pk}/"
        assert "34-2026-integration-platform-001" in note.body
        assert "9,500,000.00" in note.body
    assert told["school_admin"].subject == "“智能制造产教融合集成平台1”已立项"
    assert told["enterprise"].subject == "贵单位参与共建的“智能制造产教融合集成平台1”已立项"
    # and each of them with an address gets an email with the link
    assert sorted(m.to[0] for m in mail.outbox) == [
        "enterprise@example.cn",
        "school_admin@example.cn",
        "school_staff@example.cn",
    ]
    assert all(f"/projects/{project.pk}/" in m.body for m in mail.outbox)


def test_a_rejection_notifies_the_applicant_with_its_reasons(
    award, province_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ApiClient(province_officer).post(
            reject_url(award.school_app), {"reasons": ["企业投入不足", "基础薄弱"]}
        )
    told = Notification.objects.select_related("recipient")
    assert "enterprise" not in {n.recipient.username for n in told}
    note = told.get(recipient__username="school_admin")
    assert note.subject == "“智能制造产教融合集成平台1”未予立项"
    assert note.body == "省级教育部门决定不予立项，理由如下：\n1. 企业投入不足\n2. 基础薄弱"
    assert note.url == f"/projects/decisions/application/{award.school_app.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == ["school_admin@example.cn", "school_staff@example.cn"]


def test_a_refused_decision_notifies_no_one(award, province_officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ApiClient(province_officer).post(award_url(award.school_app), {"approved_budget": "99999999.00"})
    assert Notification.objects.count() == 0
    assert mail.outbox == []


# --- the round ------------------------------------------------------------------------------------


def test_the_round_closes_after_its_last_decision(award, province_officer):
    client = ApiClient(province_officer)
    assert client.post(award_url(award.school_app), {"approved_budget": "1.00"}).status_code == 201
    award.round.refresh_from_db()
    assert award.round.status == ReviewRound.Status.PUBLICISED  # the Wuhu school's is still open
    assert client.post(reject_url(award.other_app), {"reasons": ["基础薄弱"]}).status_code == 201
    award.round.refresh_from_db()
    assert award.round.status == ReviewRound.Status.CLOSED
    entry = AuditEntry.objects.get(action="review_round.update", object_id=str(award.round.pk))
    assert entry.changes == {"status": ["publicised", "closed"]}


def test_the_award_decisions_list_filters_by_round_and_outcome(award, province_officer, observer, regions):
    other_round, (elsewhere,) = make_publicised_round(
        regions.anhui, province_officer, [award.school_app.applicant], code="award-other"
    )
    actor = actor_of(province_officer)
    services.decision_award(actor=actor, application=award.school_app, approved_budget="1.00")
    services.decision_reject(actor=actor, application=award.other_app, reasons=["基础薄弱"])
    services.decision_award(actor=actor, application=elsewhere, approved_budget="1.00")
    client = ApiClient(observer)
    everything = client.get("/api/v1/award-decisions").json()
    assert everything["count"] == 3
    mine = client.get(f"/api/v1/award-decisions?round={award.round.pk}").json()
    assert {d["application"]["id"] for d in mine["items"]} == {award.school_app.pk, award.other_app.pk}
    rejected = client.get(f"/api/v1/award-decisions?round={award.round.pk}&outcome=rejected").json()
    assert [d["reasons"] for d in rejected["items"]] == [["基础薄弱"]]
    by_call = client.get(f"/api/v1/award-decisions?call={other_round.call_id}").json()
    assert [d["project"]["code"] for d in by_call["items"]] == ["34-2026-integration-platform-002"]
