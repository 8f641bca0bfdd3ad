"""Acceptance (验收) and performance assessment (绩效评价) batches, through their services and the
review's own: a batch opened over awarded projects, the schools' self-assessments, the experts'
scores from the review's ranking, the grades, the decisions, rectification, and every refusal
(with its code, the current and the required values, and nothing stored)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from chanjiao.core.errors import ConflictError, Forbidden, ValidationFailed
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.policy.models import IndicatorSystem
from chanjiao.projects import assessment_selectors as sel
from chanjiao.projects import assessment_services as svc
from chanjiao.projects.models import Assessment, AssessmentEntry, Project, Rectification
from chanjiao.review.models import ReviewRound, RoundSubject
from tests.conftest import actor_of

from .assessment_factories import (
    acceptance_sheet,
    add_report,
    assessment_state,
    concluded_batch,
    drive_to_panel,
    entry_of,
    make_attachment,
    make_awarded_project,
    make_experts,
    make_world,
    open_batch,
    performance_sheet,
    school_people,
    submit_self_assessments,
)

TODAY = timezone.localdate


@pytest.fixture
def world(regions, province_officer):
    return make_world(regions.anhui, province_officer)


@pytest.fixture
def experts(regions):
    return make_experts(regions.anhui, 3)


@pytest.fixture
def two(world, school, other_school):
    """The Hefei school's and the Wuhu school's projects, construction ended, reports all in."""
    return [make_awarded_project(world, school), make_awarded_project(world, other_school)]


def codes(exc) -> list[str]:
    return [e.code for e in exc.value.errors]


# --- the whole acceptance ---------------------------------------------------------------------


def test_acceptance_batch_runs_from_opening_to_closing(world, school, other_school, regions, experts):
    # given three projects whose construction has ended, and their schools' people
    projects = [make_awarded_project(world, school) for _ in range(2)] + [
        make_awarded_project(world, other_school)
    ]
    admin, staff = school_people(school)

    # when province staff open a batch over them
    batch = open_batch(world, projects)

    # then the batch, its round over exactly their applications, an entry each with its figures
    assert (batch.kind, batch.status, batch.batch) == ("acceptance", "self_assessment", 1)
    assert batch.name.endswith("第1批验收")
    assert (batch.excellent_min, batch.pass_min) == (Decimal("90"), Decimal("60"))
    review_round = batch.round
    assert review_round.kind == ReviewRound.Kind.ACCEPTANCE
    assert review_round.indicator_system.code == "jiangsu-acceptance"
    assert review_round.quota == 3
    assert sorted(
        RoundSubject.objects.filter(round=review_round).values_list("application_id", flat=True)
    ) == sorted(p.application_id for p in projects)
    entry = entry_of(batch, projects[0])
    assert entry.inputs == {
        "total_investment": "30000000",
        "enterprise_share": "0.4000",
        "workstation_share": "0.4000",
        "reports_on_time": True,
        "conditions_hold": True,
    }
    assert (
        RoundSubject.objects.get(round=review_round, application=projects[0].application).inputs
        == entry.inputs
    )
    assert set(Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("status", flat=True)) == {
        "in_acceptance"
    }
    # and each school's people are told to write the self-assessment, the opening is audited
    told = Notification.objects.filter(kind="assessment.self_assessment_requested")
    assert {admin.pk, staff.pk} <= set(told.values_list("recipient_id", flat=True))
    audit = AuditEntry.objects.get(action="assessment.create", object_id=str(batch.pk))
    assert audit.changes["projects"] == [None, sorted(p.pk for p in projects)]
    assert audit.changes["indicator_system"] == [None, "jiangsu-acceptance"]

    # when the schools submit, staff start the review and the experts score (90%, 50%, 20% of
    # the expert indicators; the figures' indicators full)
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    sheets = {
        projects[0].pk: acceptance_sheet("0.9"),
        projects[1].pk: acceptance_sheet("0.5"),
        projects[2].pk: acceptance_sheet("0.2"),
    }
    drive_to_panel(batch, world.staff, experts, sheets)
    svc.assessment_conclude(actor=world.actor, assessment=batch)

    # then each score comes from the review's ranking and is graded by the lines 90 / 60
    batch.refresh_from_db()
    assert batch.status == "concluded"
    graded = {e.project_id: (e.score, e.vetoed, e.grade) for e in batch.entries.all()}
    assert graded == {
        projects[0].pk: (Decimal("93.40"), False, "excellent"),
        projects[1].pk: (Decimal("67.00"), False, "pass"),
        projects[2].pk: (Decimal("47.20"), False, "fail"),
    }
    assert ReviewRound.objects.get(pk=review_round.pk).status == ReviewRound.Status.CLOSED

    # when staff decide: pass the excellent one, rectify the pass one, fail the fail one
    first, second, third = (entry_of(batch, p) for p in projects)
    svc.entry_decide(actor=world.actor, entry=first, data={"decision": "pass", "reason": "建设成效显著"})
    deadline = TODAY() + dt.timedelta(days=60)
    svc.entry_decide(
        actor=world.actor,
        entry=second,
        data={
            "decision": "rectify",
            "reason": "社会培训不足",
            "requirements": "补齐社会培训台账",
            "deadline": deadline,
        },
    )
    svc.entry_decide(actor=world.actor, entry=third, data={"decision": "fail", "reason": "建设任务未完成"})

    # then the projects move, and the batch stays open while the rectification runs
    statuses = dict(Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("pk", "status"))
    assert statuses == {projects[0].pk: "accepted", projects[1].pk: "rectifying", projects[2].pk: "failed"}
    rectification = Rectification.objects.get(entry=second)
    assert (rectification.status, rectification.deadline) == ("open", deadline)
    assert Assessment.objects.get(pk=batch.pk).status == "concluded"

    # when the school resubmits and staff re-check it as passed
    svc.rectification_submit(
        actor=actor_of(admin), rectification=rectification, data={"report": "台账已补齐"}
    )
    assert Rectification.objects.get(pk=rectification.pk).status == "resubmitted"
    svc.rectification_recheck(
        actor=world.actor, rectification=rectification, data={"passed": True, "note": "整改到位"}
    )

    # then the project is accepted and the batch, every entry final, closes
    assert Project.objects.get(pk=projects[1].pk).status == "accepted"
    assert AssessmentEntry.objects.get(pk=second.pk).result == "passed"
    assert Assessment.objects.get(pk=batch.pk).status == "closed"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "assessment.create",
        "assessment.self_assessment_submit",
        "assessment.start_review",
        "assessment.conclude",
        "assessment.decide",
        "rectification.create",
        "rectification.submit",
        "rectification.recheck",
        "assessment.close",
    } <= actions


def test_a_veto_fails_the_grade_whatever_the_score(world, two, experts):
    # given a batch where every expert marks the veto 立项条件基础丧失 on the first project
    batch = open_batch(world, two)
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    drive_to_panel(batch, world.staff, experts, {two[0].pk: acceptance_sheet(vetoes=["V1"])})

    # when staff conclude
    svc.assessment_conclude(actor=world.actor, assessment=batch)

    # then it scores 100 but is vetoed and graded 不合格, and cannot simply pass
    vetoed = entry_of(batch, two[0])
    assert (vetoed.score, vetoed.vetoed, vetoed.grade) == (Decimal("100.00"), True, "fail")
    assert entry_of(batch, two[1]).grade == "excellent"
    before = assessment_state()
    with pytest.raises(ValidationFailed) as caught:
        svc.entry_decide(actor=world.actor, entry=vetoed, data={"decision": "pass", "reason": "同意"})
    assert codes(caught) == ["assessment.pass_refused_for_fail"]
    assert "一票否决" in caught.value.errors[0].message
    assert assessment_state() == before


def test_grade_lines_are_the_batchs_own(world, two, experts):
    # given a batch whose lines are 95 and 70
    batch = concluded_batch(
        world,
        two,
        experts,
        sheets={two[0].pk: acceptance_sheet("0.9"), two[1].pk: acceptance_sheet("0.5")},
        excellent_min="95",
        pass_min="70",
    )
    # then 93.40 is 合格 and 67.00 is 不合格
    assert entry_of(batch, two[0]).grade == "pass"
    assert entry_of(batch, two[1]).grade == "fail"


def test_grade_of_boundaries():
    lines = {"excellent_min": Decimal("90"), "pass_min": Decimal("60")}
    assert svc.grade_of(Decimal("90.00"), False, **lines) == "excellent"
    assert svc.grade_of(Decimal("89.99"), False, **lines) == "pass"
    assert svc.grade_of(Decimal("60.00"), False, **lines) == "pass"
    assert svc.grade_of(Decimal("59.99"), False, **lines) == "fail"
    assert svc.grade_of(Decimal("100"), True, **lines) == "fail"
    assert svc.grade_of(None, False, **lines) == "fail"


# --- opening a batch: refusals -----------------------------------------------------------------


def _data(world, projects, **changes):
    data = {
        "kind": "acceptance",
        "call_id": world.call.pk,
        "project_type_id": world.project_type.pk,
        "project_ids": [p.pk for p in projects],
        "year": TODAY().year,
        "self_assessment_due": (TODAY() + dt.timedelta(days=14)).isoformat(),
    }
    data.update(changes)
    return data


def _refused(world, data, exc=ValidationFailed):
    before = assessment_state()
    with pytest.raises(exc) as caught:
        svc.assessment_create(actor=world.actor, data=data)
    assert assessment_state() == before
    return caught


def test_create_refuses_bad_settings_all_at_once(world, two):
    caught = _refused(
        world,
        _data(
            world,
            two,
            year="二〇二六",
            excellent_min="60",
            pass_min="80",
            self_assessment_due=(TODAY() - dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert set(codes(caught)) >= {
        "input.int_parsing",
        "assessment.grade_lines_disordered",
        "assessment.due_in_past",
    }
    message = next(e.message for e in caught.value.errors if e.code == "assessment.grade_lines_disordered")
    assert "合格80分" in message
    assert "优秀60分" in message
    due = next(e.message for e in caught.value.errors if e.code == "assessment.due_in_past")
    assert (TODAY() - dt.timedelta(days=1)).isoformat() in due
    assert TODAY().isoformat() in due


def test_create_refuses_an_unknown_kind_and_an_empty_list(world):
    caught = _refused(world, _data(world, [], kind="midterm"))
    assert set(codes(caught)) == {"assessment.unknown_kind", "assessment.no_projects"}
    assert "midterm" in caught.value.errors[0].message


def test_create_refuses_a_year_before_the_packs_first_acceptance(world, two):
    caught = _refused(world, _data(world, two, year=2021))
    assert "assessment.year_before_acceptance" in codes(caught)
    message = next(e.message for e in caught.value.errors if e.code == "assessment.year_before_acceptance")
    assert "2022" in message
    assert "2021" in message
    assert "三(二)" in message


def test_create_refuses_without_a_current_system_of_that_purpose(world, two):
    IndicatorSystem.objects.filter(pack=world.call.pack, purpose="acceptance").update(is_current=False)
    caught = _refused(world, _data(world, two))
    assert codes(caught) == ["assessment.no_indicator_system"]
    assert "验收" in caught.value.errors[0].message


def test_create_refuses_projects_not_ready_for_acceptance(
    world, school, other_school, regions, jiangsu_school, jiangsu_officer
):
    # given a project still under construction until next years, one already accepted, and one of
    # another call of another province
    building = make_awarded_project(world, school, years_ago=1)
    accepted = make_awarded_project(world, other_school)
    Project.objects.filter(pk=accepted.pk).update(status="accepted")
    foreign_world = make_world(regions.jiangsu, jiangsu_officer, code="assessment-foreign")
    foreign = make_awarded_project(foreign_world, jiangsu_school)

    caught = _refused(world, _data(world, [building, accepted, foreign]))

    by_field = {e.field: e for e in caught.value.errors}
    assert by_field[f"project_ids.{building.pk}"].code == "assessment.construction_not_ended"
    assert building.ends_on.isoformat() in by_field[f"project_ids.{building.pk}"].message
    assert by_field[f"project_ids.{accepted.pk}"].code == "assessment.project_not_under_construction"
    assert "已通过验收" in by_field[f"project_ids.{accepted.pk}"].message
    assert by_field[f"project_ids.{foreign.pk}"].code == "assessment.project_unknown"


def test_create_refuses_a_project_of_another_call(world, regions, school, two):
    other_world = make_world(regions.anhui, world.staff, code="assessment-other-call")
    elsewhere = make_awarded_project(other_world, school)
    caught = _refused(world, _data(world, [*two, elsewhere]))
    assert codes(caught) == ["assessment.project_not_in_call"]
    assert caught.value.errors[0].field == f"project_ids.{elsewhere.pk}"


def test_a_project_is_in_one_open_batch_of_a_kind_at_a_time(world, two):
    open_batch(world, two[:1])
    caught = _refused(world, _data(world, two))
    assert codes(caught) == ["assessment.project_in_open_batch"]
    assert caught.value.errors[0].field == f"project_ids.{two[0].pk}"
    # a performance batch may take it all the same
    batch = open_batch(world, two, kind="performance")
    assert batch.entries.count() == 2


def test_performance_refuses_a_terminated_project(world, two):
    Project.objects.filter(pk=two[0].pk).update(status="terminated")
    caught = _refused(world, _data(world, two, kind="performance"))
    assert codes(caught) == ["assessment.project_terminated"]


def test_only_province_staff_open_a_batch(world, two, school_admin, observer, jiangsu_officer):
    for person in (school_admin, observer):
        with pytest.raises(Forbidden):
            svc.assessment_create(actor=actor_of(person), data=_data(world, two))
    # another province's staff do not find the call
    with pytest.raises(ValidationFailed) as caught:
        svc.assessment_create(actor=actor_of(jiangsu_officer), data=_data(world, two))
    assert "assessment.unknown_call" in codes(caught)
    assert not Assessment.objects.exists()


def test_batches_of_a_call_type_and_year_are_numbered(world, two):
    first = open_batch(world, two[:1])
    second = open_batch(world, two[1:])
    assert (first.batch, second.batch) == (1, 2)
    assert second.name.endswith("第2批验收")
    caught = _refused(
        world, _data(world, [make_awarded_project(world, two[0].organization)], batch=1), exc=ConflictError
    )
    assert codes(caught) == ["assessment.batch_taken"]


# --- the self-assessment -----------------------------------------------------------------------


def test_self_assessment_is_the_schools_own(world, two, school, other_school_admin, province_officer):
    batch = open_batch(world, two)
    entry = entry_of(batch, two[0])
    admin, _staff = school_people(school)
    for person in (other_school_admin, province_officer):
        with pytest.raises(Forbidden):
            svc.self_assessment_save(actor=actor_of(person), entry=entry, data={"self_assessment": "x"})
    svc.self_assessment_save(
        actor=actor_of(admin), entry=entry, data={"self_assessment": "  自评  ", "self_score": "91.5"}
    )
    entry.refresh_from_db()
    assert (entry.self_assessment, entry.self_score, entry.self_submitted_at) == (
        "自评",
        Decimal("91.50"),
        None,
    )


def test_self_assessment_refusals_store_nothing(world, two, school):
    batch = open_batch(world, two)
    entry = entry_of(batch, two[0])
    admin, _staff = school_people(school)
    actor = actor_of(admin)
    before = assessment_state()
    with pytest.raises(ValidationFailed) as caught:
        svc.self_assessment_save(actor=actor, entry=entry, data={"self_assessment": "x", "self_score": "120"})
    assert codes(caught) == ["assessment.self_score_out_of_range"]
    assert "120" in caught.value.errors[0].message
    with pytest.raises(ValidationFailed) as caught:
        svc.self_assessment_submit(actor=actor, entry=entry)
    assert codes(caught) == ["assessment.self_assessment_required"]
    assert assessment_state() == before


def test_self_assessment_attachments_must_be_the_schools(world, two, school, other_school):
    batch = open_batch(world, two)
    entry = entry_of(batch, two[0])
    admin, _staff = school_people(school)
    own, foreign = make_attachment(school), make_attachment(other_school)
    with pytest.raises(ValidationFailed) as caught:
        svc.self_assessment_save(
            actor=actor_of(admin),
            entry=entry,
            data={"self_assessment": "x", "attachment_ids": [own.pk, foreign.pk]},
        )
    assert codes(caught) == ["assessment.attachment_unknown"]
    assert str(foreign.pk) in caught.value.errors[0].message
    svc.self_assessment_save(
        actor=actor_of(admin), entry=entry, data={"self_assessment": "x", "attachment_ids": [own.pk]}
    )
    assert list(entry.self_attachments.values_list("pk", flat=True)) == [own.pk]


def test_a_submitted_self_assessment_is_read_only(world, two, school):
    batch = open_batch(world, two)
    entry = entry_of(batch, two[0])
    admin, _staff = school_people(school)
    svc.self_assessment_save(actor=actor_of(admin), entry=entry, data={"self_assessment": "自评"})
    svc.self_assessment_submit(actor=actor_of(admin), entry=entry)
    with pytest.raises(ConflictError) as caught:
        svc.self_assessment_save(actor=actor_of(admin), entry=entry, data={"self_assessment": "改"})
    assert codes(caught) == ["assessment.self_assessment_submitted"]
    assert AuditEntry.objects.filter(
        action="assessment.self_assessment_submit", object_id=str(entry.pk)
    ).exists()


def test_self_assessment_closes_when_the_review_starts(world, two, school, monkeypatch):
    batch = open_batch(world, two)
    monkeypatch.setattr(svc, "today", lambda: batch.self_assessment_due + dt.timedelta(days=1))
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    admin, _staff = school_people(school)
    with pytest.raises(ConflictError) as caught:
        svc.self_assessment_save(
            actor=actor_of(admin), entry=entry_of(batch, two[0]), data={"self_assessment": "x"}
        )
    assert codes(caught) == ["assessment.self_assessment_closed"]
    assert "专家评审中" in caught.value.errors[0].message


# --- starting the review and concluding --------------------------------------------------------


def test_review_waits_for_every_self_assessment_until_the_due_date(world, two, monkeypatch):
    batch = open_batch(world, two)
    before = assessment_state()
    with pytest.raises(ConflictError) as caught:
        svc.assessment_start_review(actor=world.actor, assessment=batch)
    assert codes(caught) == ["assessment.self_assessment_missing"] * 2
    assert batch.self_assessment_due.isoformat() in caught.value.errors[0].message
    assert assessment_state() == before
    # after the due date the review starts with what is in, the missing ones on record
    monkeypatch.setattr(svc, "today", lambda: batch.self_assessment_due + dt.timedelta(days=1))
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    assert Assessment.objects.get(pk=batch.pk).status == "reviewing"
    audit = AuditEntry.objects.get(action="assessment.start_review")
    assert sorted(audit.changes["missing_self_assessments"][1]) == sorted(p.pk for p in two)


def test_starting_the_review_computes_the_figures_again(world, school):
    # given a project whose third report was still a draft when the batch opened
    project = make_awarded_project(world, school, reports=False)
    add_report(project, 1)
    add_report(project, 2)
    late = add_report(project, 3, status="draft")
    batch = open_batch(world, [project])
    assert entry_of(batch, project).inputs["total_investment"] == "20000000"
    # when the report is submitted and the review starts
    late.status = "submitted"
    late.save()
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    # then the entry and the round's subject hold the new figures
    assert entry_of(batch, project).inputs["total_investment"] == "30000000"
    assert RoundSubject.objects.get(round=batch.round).inputs["total_investment"] == "30000000"


def test_conclude_needs_the_panel(world, two, experts):
    batch = open_batch(world, two)
    with pytest.raises(ConflictError) as caught:
        svc.assessment_conclude(actor=world.actor, assessment=batch)
    assert codes(caught) == ["assessment.conclude_wrong_status"]
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    before = assessment_state()
    with pytest.raises(ConflictError) as caught:
        svc.assessment_conclude(actor=world.actor, assessment=batch)
    assert codes(caught) == ["assessment.round_not_at_panel"]
    assert "准备中" in caught.value.errors[0].message
    assert assessment_state() == before


def test_only_the_provinces_staff_run_a_batch(world, two, jiangsu_officer, observer):
    batch = open_batch(world, two)
    for person in (jiangsu_officer, observer):
        with pytest.raises(Forbidden):
            svc.assessment_start_review(actor=actor_of(person), assessment=batch)


# --- decisions and rectification ---------------------------------------------------------------


@pytest.fixture
def concluded(world, two, experts):
    return concluded_batch(
        world, two, experts, sheets={two[0].pk: acceptance_sheet("0.9"), two[1].pk: acceptance_sheet("0.2")}
    )


def test_decisions_need_a_reason_and_come_once(world, two, concluded):
    entry = entry_of(concluded, two[0])
    before = assessment_state()
    with pytest.raises(ValidationFailed) as caught:
        svc.entry_decide(actor=world.actor, entry=entry, data={"decision": "pass", "reason": " "})
    assert codes(caught) == ["assessment.reason_required"]
    with pytest.raises(ValidationFailed) as caught:
        svc.entry_decide(actor=world.actor, entry=entry, data={"decision": "maybe", "reason": "x"})
    assert codes(caught) == ["assessment.unknown_decision"]
    assert assessment_state() == before
    svc.entry_decide(actor=world.actor, entry=entry, data={"decision": "pass", "reason": "成效显著"})
    with pytest.raises(ConflictError) as caught:
        svc.entry_decide(actor=world.actor, entry=entry, data={"decision": "fail", "reason": "x"})
    assert codes(caught) == ["assessment.already_decided"]
    assert "通过" in caught.value.errors[0].message


def test_rectify_needs_requirements_and_a_future_deadline(world, two, concluded):
    entry = entry_of(concluded, two[1])
    before = assessment_state()
    with pytest.raises(ValidationFailed) as caught:
        svc.entry_decide(
            actor=world.actor,
            entry=entry,
            data={
                "decision": "rectify",
                "reason": "不合格",
                "requirements": "",
                "deadline": TODAY().isoformat(),
            },
        )
    assert set(codes(caught)) == {"assessment.requirements_required", "assessment.deadline_not_future"}
    assert assessment_state() == before


def test_rectification_after_its_deadline(world, two, concluded, school_admin, other_school, monkeypatch):
    entry = entry_of(concluded, two[1])
    deadline = TODAY() + dt.timedelta(days=30)
    svc.entry_decide(
        actor=world.actor,
        entry=entry,
        data={"decision": "rectify", "reason": "不合格", "requirements": "补齐台账", "deadline": deadline},
    )
    rectification = Rectification.objects.get(entry=entry)
    admin, _staff = school_people(other_school)
    # staff cannot re-check what was not resubmitted before the deadline
    with pytest.raises(ConflictError) as caught:
        svc.rectification_recheck(
            actor=world.actor, rectification=rectification, data={"passed": False, "note": "x"}
        )
    assert codes(caught) == ["rectification.not_resubmitted"]
    # after the deadline the school can no longer resubmit
    monkeypatch.setattr(svc, "today", lambda: deadline + dt.timedelta(days=1))
    before = assessment_state()
    with pytest.raises(ConflictError) as caught:
        svc.rectification_submit(actor=actor_of(admin), rectification=rectification, data={"report": "迟交"})
    assert codes(caught) == ["rectification.deadline_passed"]
    assert deadline.isoformat() in caught.value.errors[0].message
    # and staff may only fail it
    with pytest.raises(ValidationFailed) as caught:
        svc.rectification_recheck(
            actor=world.actor, rectification=rectification, data={"passed": True, "note": "x"}
        )
    assert codes(caught) == ["rectification.overdue_cannot_pass"]
    assert assessment_state() == before
    svc.rectification_recheck(
        actor=world.actor, rectification=rectification, data={"passed": False, "note": "逾期未整改"}
    )
    assert Project.objects.get(pk=two[1].pk).status == "failed"
    assert AssessmentEntry.objects.get(pk=entry.pk).result == "failed"


def test_a_failed_recheck_fails_the_project_and_closes_the_batch(world, two, concluded, other_school):
    svc.entry_decide(
        actor=world.actor, entry=entry_of(concluded, two[0]), data={"decision": "pass", "reason": "成效显著"}
    )
    entry = entry_of(concluded, two[1])
    svc.entry_decide(
        actor=world.actor,
        entry=entry,
        data={
            "decision": "rectify",
            "reason": "不合格",
            "requirements": "补齐台账",
            "deadline": TODAY() + dt.timedelta(days=9),
        },
    )
    rectification = Rectification.objects.get(entry=entry)
    admin, _staff = school_people(other_school)
    svc.rectification_submit(actor=actor_of(admin), rectification=rectification, data={"report": "已整改"})
    with pytest.raises(ConflictError):
        svc.rectification_submit(actor=actor_of(admin), rectification=rectification, data={"report": "再交"})
    svc.rectification_recheck(
        actor=world.actor, rectification=rectification, data={"passed": "false", "note": "仍不达标"}
    )
    assert Project.objects.get(pk=two[1].pk).status == "failed"
    assert Assessment.objects.get(pk=concluded.pk).status == "closed"
    assert Notification.objects.filter(kind="rectification.rechecked").exists()


# --- performance -------------------------------------------------------------------------------


def test_performance_batch_reads_the_years_kpis_and_decides_outcomes(world, two, experts):
    # given a yearly performance batch over the two projects (construction year 3 ends this year)
    batch = open_batch(world, two, kind="performance")
    assert batch.name.endswith(f"{TODAY().year}年度绩效评价")
    assert batch.round.indicator_system.code == "jiangsu-performance"
    assert entry_of(batch, two[0]).inputs == {
        "tech_service_income": "250",
        "transfer_projects": "1",
        "incubated_student_projects": "2",
        "research_projects": "3",
        "patents": "5",
        "workstation_share": "0.4000",
        "conditions_hold": True,
    }
    # the projects stay under construction
    assert set(Project.objects.filter(pk__in=[p.pk for p in two]).values_list("status", flat=True)) == {
        "under_construction"
    }
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    drive_to_panel(batch, world.staff, experts, {two[1].pk: performance_sheet("0.5", vetoes=["V1"])})
    svc.assessment_conclude(actor=world.actor, assessment=batch)
    first, second = entry_of(batch, two[0]), entry_of(batch, two[1])
    assert (first.score, first.grade) == (Decimal("100.00"), "")
    assert second.vetoed is True

    # a vetoed project may only be adjusted or terminated
    before = assessment_state()
    with pytest.raises(ValidationFailed) as caught:
        svc.entry_decide(actor=world.actor, entry=second, data={"outcome": "continue", "reason": "x"})
    assert codes(caught) == ["assessment.vetoed_outcome"]
    assert assessment_state() == before

    svc.entry_decide(actor=world.actor, entry=first, data={"outcome": "reward", "reason": "绩效特别突出"})
    svc.entry_decide(
        actor=world.actor, entry=second, data={"outcome": "terminate", "reason": "立项条件基础丧失"}
    )
    assert AssessmentEntry.objects.get(pk=first.pk).outcome == "reward"
    assert Project.objects.get(pk=two[1].pk).status == "terminated"
    assert Project.objects.get(pk=two[0].pk).status == "under_construction"
    assert Assessment.objects.get(pk=batch.pk).status == "closed"


def test_final_performance_sums_every_year(world, two):
    batch = open_batch(world, two, kind="performance", is_final=True)
    assert batch.is_final
    assert batch.name.endswith("期末绩效评价")
    assert entry_of(batch, two[0]).inputs["patents"] == "15"


def test_final_is_for_performance_only(world, two):
    caught = _refused(world, _data(world, two, is_final=True))
    assert codes(caught) == ["assessment.final_is_performance"]


def test_performance_outcomes_carry_the_packs_conditions(world):
    outcomes = {o["code"]: o for o in sel.performance_outcomes(world.project_type)}
    assert list(outcomes) == ["reward", "continue", "reduced_support", "adjust", "terminate"]
    assert outcomes["reward"]["condition"] == "建设成效显著、运行机制完善、绩效特别突出"
    assert outcomes["reward"]["section"] == "三(三)3"
    assert outcomes["terminate"]["pack_code"] == "terminated"
    assert outcomes["adjust"]["condition"] == "立项条件基础丧失"
    assert outcomes["continue"]["is_default"] is True
    assert outcomes["reduced_support"]["is_default"] is False


def test_the_final_flag_reads_a_forms_text(world, two):
    yearly = open_batch(world, two[:1], kind="performance", is_final="false")
    final = open_batch(world, two[1:], kind="performance", is_final="on")
    assert (yearly.is_final, final.is_final) == (False, True)


def test_a_long_default_name_is_cut_to_the_fields_length(world, two):
    world.call.title = "长" * 250
    world.call.save(update_fields=["title"])
    batch = open_batch(world, two)
    assert len(batch.name) == 200
    assert batch.round.name == batch.name
