"""The acceptance and performance API, as an integration would use it: a batch opened, the school's
self-assessment, the experts' review (through the review's own services), decisions and
rectification; who reads which batches and entries; the 422 and 409 bodies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chanjiao.projects import assessment_services as svc
from chanjiao.projects.models import Assessment, Project
from chanjiao.review import assignment as review_assignment
from chanjiao.review.models import Assignment
from tests.conftest import ApiClient

from .assessment_factories import (
    acceptance_sheet,
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
    submit_self_assessments,
)

API = "/api/v1"


@pytest.fixture
def world(regions, province_officer):
    return make_world(regions.anhui, province_officer)


@pytest.fixture
def experts(regions):
    return make_experts(regions.anhui, 3)


@pytest.fixture
def two(world, school, other_school):
    return [make_awarded_project(world, school), make_awarded_project(world, other_school)]


def _create_body(world, projects, **changes) -> dict:
    body = {
        "kind": "acceptance",
        "call_id": world.call.pk,
        "project_type_id": world.project_type.pk,
        "project_ids": [p.pk for p in projects],
        "year": timezone.localdate().year,
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        "reviews_per_application": 2,
    }
    body.update(changes)
    return body


def test_acceptance_through_the_api(world, two, experts, province_officer, school_admin, other_school_admin):
    staff = ApiClient(province_officer)
    # staff list what may go into a batch, then open one
    eligible = staff.get(
        f"{API}/assessments/eligible-projects?call_id={world.call.pk}&project_type_id={world.project_type.pk}"
        f"&kind=acceptance&year={timezone.localdate().year}"
    )
    assert eligible.status_code == 200
    assert sorted(p["id"] for p in eligible.json()["items"]) == sorted(p.pk for p in two)
    created = staff.post(f"{API}/assessments", _create_body(world, two))
    assert created.status_code == 201, created.content
    batch = created.json()
    assert (batch["kind"], batch["status"], batch["round_status"]) == (
        "acceptance",
        "self_assessment",
        "setup",
    )
    assert batch["indicator_system"]["code"] == "jiangsu-acceptance"
    assert batch["grade_lines"] == {"excellent_min": "90.00", "pass_min": "60.00", "is_default": True}
    assert batch["acceptance_rule"] == {"from_year": 2022, "in_batches": True, "section": "三(二)"}
    assert batch["counts"]["entries"] == 2
    # the projects are no longer eligible
    again = staff.get(
        f"{API}/assessments/eligible-projects?call_id={world.call.pk}&project_type_id={world.project_type.pk}"
        f"&kind=acceptance&year={timezone.localdate().year}"
    )
    assert again.json()["count"] == 0

    # the school sees its own entry only, and writes its self-assessment
    school = ApiClient(school_admin)
    entries = school.get(f"{API}/assessments/{batch['id']}/entries").json()
    assert [e["project"]["id"] for e in entries["items"]] == [two[0].pk]
    entry = entries["items"][0]
    assert entry["inputs"]["total_investment"] == "30000000"
    file = make_attachment(two[0].organization)
    saved = school.put(
        f"{API}/assessment-entries/{entry['id']}/self-assessment",
        {"self_assessment": "任务全部完成", "self_score": 92, "attachment_ids": [file.pk]},
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["self_score"] == "92.00"
    assert saved.json()["self_attachments"] == [{"id": file.pk, "name": file.original_name}]
    submitted = school.post(f"{API}/assessment-entries/{entry['id']}/self-assessment/submit", {})
    assert submitted.status_code == 200
    assert submitted.json()["self_submitted_at"] is not None
    other = ApiClient(other_school_admin)
    other_entry = other.get(f"{API}/assessments/{batch['id']}/entries").json()["items"][0]
    other.put(f"{API}/assessment-entries/{other_entry['id']}/self-assessment", {"self_assessment": "自评"})
    other.post(f"{API}/assessment-entries/{other_entry['id']}/self-assessment/submit", {})

    # staff start the review; the experts score through the review; staff conclude
    started = staff.post(f"{API}/assessments/{batch['id']}/start-review", {})
    assert started.json()["status"] == "reviewing"
    the_batch = Assessment.objects.get(pk=batch["id"])
    drive_to_panel(
        the_batch,
        province_officer,
        experts,
        {two[0].pk: acceptance_sheet("0.9"), two[1].pk: acceptance_sheet("0.2")},
    )
    concluded = staff.post(f"{API}/assessments/{batch['id']}/conclude", {})
    assert concluded.status_code == 200, concluded.content
    assert (concluded.json()["status"], concluded.json()["round_status"]) == ("concluded", "closed")
    rows = {
        e["project"]["id"]: e for e in staff.get(f"{API}/assessments/{batch['id']}/entries").json()["items"]
    }
    assert (rows[two[0].pk]["score"], rows[two[0].pk]["grade"]) == ("93.40", "excellent")
    assert (rows[two[1].pk]["score"], rows[two[1].pk]["grade_display"]) == ("47.20", "不合格")

    # staff decide: pass, and rectify with a deadline
    passed = staff.post(
        f"{API}/assessment-entries/{rows[two[0].pk]['id']}/decide", {"decision": "pass", "reason": "成效显著"}
    )
    assert (passed.json()["result"], passed.json()["project"]["status"]) == ("passed", "accepted")
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    rectify = staff.post(
        f"{API}/assessment-entries/{rows[two[1].pk]['id']}/decide",
        {
            "decision": "rectify",
            "reason": "平台效益不足",
            "requirements": "补齐社会培训",
            "deadline": deadline,
        },
    )
    assert rectify.status_code == 200, rectify.content
    rectification = rectify.json()["rectification"]
    assert (rectification["status"], rectification["deadline"]) == ("open", deadline)

    # the school resubmits, staff re-check, the batch closes
    resubmitted = other.post(f"{API}/rectifications/{rectification['id']}/submit", {"report": "已补齐"})
    assert resubmitted.json()["status"] == "resubmitted"
    rechecked = staff.post(
        f"{API}/rectifications/{rectification['id']}/recheck", {"passed": True, "note": "整改到位"}
    )
    assert rechecked.json()["status"] == "passed"
    assert staff.get(f"{API}/assessments/{batch['id']}").json()["status"] == "closed"
    history = school.get(f"{API}/projects/{two[0].pk}/assessments").json()
    assert [e["result"] for e in history["items"]] == ["passed"]


def test_a_refusal_answers_every_problem_and_stores_nothing(world, two, province_officer):
    Project.objects.filter(pk=two[1].pk).update(status="accepted")
    client = ApiClient(province_officer)  # its token is audited: made before the snapshot
    before = assessment_state()
    response = client.post(f"{API}/assessments", _create_body(world, two, year=2021, pass_min="95"))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {e["code"] for e in errors} == {
        "assessment.year_before_acceptance",
        "assessment.grade_lines_disordered",
        "assessment.project_not_under_construction",
        "assessment.construction_not_ended",
    }
    assert all(e["field"] and e["message"] for e in errors)
    assert assessment_state() == before


def test_a_conflicting_state_is_409(world, two, province_officer):
    batch = open_batch(world, two)
    response = ApiClient(province_officer).post(f"{API}/assessments/{batch.pk}/conclude", {})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "assessment.conclude_wrong_status"


def test_unknown_fields_are_refused(world, two, province_officer):
    response = ApiClient(province_officer).post(
        f"{API}/assessments", {**_create_body(world, two), "grade": "A"}
    )
    assert response.status_code == 422
    assert not Assessment.objects.exists()


def test_who_reads_which_batches(
    world,
    two,
    regions,
    province_officer,
    observer,
    city_officer,
    school_admin,
    other_school_admin,
    enterprise_contact,
    expert,
    jiangsu_officer,
    jiangsu_school,
):
    batch = open_batch(world, two)
    foreign_world = make_world(regions.jiangsu, jiangsu_officer, code="assessment-api-foreign")
    foreign = open_batch(foreign_world, [make_awarded_project(foreign_world, jiangsu_school)])

    def listed(user) -> list[int]:
        return [b["id"] for b in ApiClient(user).get(f"{API}/assessments").json()["items"]]

    assert listed(province_officer) == [batch.pk]
    assert listed(observer) == [batch.pk]
    assert listed(city_officer) == [batch.pk]  # the Hefei school's project is in it
    assert listed(school_admin) == [batch.pk]
    assert listed(other_school_admin) == [batch.pk]
    assert listed(enterprise_contact) == []  # no project of its own
    assert listed(jiangsu_officer) == [foreign.pk]
    assert ApiClient(expert).get(f"{API}/assessments").status_code == 403
    # the city sees the Hefei project's entry only; the observer every entry
    city_entries = ApiClient(city_officer).get(f"{API}/assessments/{batch.pk}/entries").json()
    assert [e["project"]["id"] for e in city_entries["items"]] == [two[0].pk]
    assert ApiClient(observer).get(f"{API}/assessments/{batch.pk}/entries").json()["count"] == 2
    # outside the scope is 404: another province's batch, another school's entry
    assert ApiClient(province_officer).get(f"{API}/assessments/{foreign.pk}").status_code == 404
    other_entry = entry_of(batch, two[1])
    assert ApiClient(school_admin).get(f"{API}/assessment-entries/{other_entry.pk}").status_code == 404
    assert ApiClient(city_officer).get(f"{API}/assessment-entries/{other_entry.pk}").status_code == 404
    # the observer reads and changes nothing
    watcher = ApiClient(observer)
    before = assessment_state()
    assert watcher.post(f"{API}/assessments/{batch.pk}/start-review", {}).status_code == 403
    assert assessment_state() == before


def test_performance_detail_shows_the_outcomes_with_their_conditions(world, two, experts, province_officer):
    batch = concluded_batch(
        world, two, experts, kind="performance", sheets={two[1].pk: performance_sheet("0.5")}
    )
    detail = ApiClient(province_officer).get(f"{API}/assessments/{batch.pk}").json()
    outcomes = {o["code"]: o for o in detail["outcomes"]}
    assert outcomes["reduced_support"]["condition"] == "建设措施不力、成效较差"
    assert outcomes["reduced_support"]["section"] == "三(三)3"
    assert outcomes["terminate"]["pack_name"] == "及时调整或中止"
    assert detail["grade_lines"]["is_default"] is True
    entry = entry_of(batch, two[1])
    response = ApiClient(province_officer).post(
        f"{API}/assessment-entries/{entry.pk}/decide", {"outcome": "reduced_support", "reason": "成效较差"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["outcome"], response.json()["result"]) == ("reduced_support", "decided")
    assert response.json()["grade"] == ""


def test_the_list_reads_in_a_fixed_number_of_queries(
    world, school, province_officer, django_assert_max_num_queries
):
    for _ in range(3):
        open_batch(world, [make_awarded_project(world, school)])
    client = ApiClient(province_officer)
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/assessments")
    assert response.json()["count"] == 3


def test_the_entries_read_in_a_fixed_number_of_queries(
    world, school, province_officer, django_assert_max_num_queries
):
    batch = open_batch(world, [make_awarded_project(world, school) for _ in range(4)])
    client = ApiClient(province_officer)
    with django_assert_max_num_queries(10):
        response = client.get(f"{API}/assessments/{batch.pk}/entries")
    assert response.json()["count"] == 4


def test_a_school_cannot_decide_or_recheck(world, two, school_admin):
    batch = open_batch(world, two)
    entry = entry_of(batch, two[0])
    client = ApiClient(school_admin)
    before = assessment_state()
    response = client.post(f"{API}/assessment-entries/{entry.pk}/decide", {"decision": "pass", "reason": "x"})
    assert response.status_code == 403
    assert assessment_state() == before


def test_the_observer_reads_the_batchs_whole_record(world, two, experts, observer, school_admin):
    # given a batch run to its conclusion and a decision
    batch = concluded_batch(world, two, experts, sheets={two[1].pk: acceptance_sheet("0.2")})
    entry = entry_of(batch, two[1])
    svc.entry_decide(actor=world.actor, entry=entry, data={"decision": "fail", "reason": "建设任务未完成"})
    # when the observer reads the batch's record
    response = ApiClient(observer).get(f"{API}/assessments/{batch.pk}/trail?page_size=200")
    assert response.status_code == 200
    items = response.json()["items"]
    actions = [i["action"] for i in items]
    # then every step is there, in time order, with who did it
    assert actions[:2] == ["review_round.create", "project.update"]
    for action in (
        "assessment.create",
        "assessment.self_assessment_submit",
        "assessment.start_review",
        "review_round.update",
        "assessment.conclude",
        "assessment.decide",
    ):
        assert action in actions
    assert (
        actions.index("assessment.start_review")
        < actions.index("assessment.conclude")
        < actions.index("assessment.decide")
    )
    decided = next(i for i in items if i["action"] == "assessment.decide")
    assert decided["action_display"] == "作出结论"
    assert decided["changes"]["result"] == ["pending", "failed"]
    assert decided["actor"]
    failed = [i for i in items if i["action"] == "project.update" and i["changes"]["status"][1] == "failed"]
    assert [i["object_id"] for i in failed] == [str(two[1].pk)]
    # and the experts' side is the round's own record, which the observer reads too
    round_trail = ApiClient(observer).get(f"{API}/review-rounds/{batch.round_id}/trail?page_size=200")
    assert round_trail.status_code == 200
    assert any(i["action"] == "score_sheet.submit" for i in round_trail.json()["items"])
    # a school reads neither
    assert ApiClient(school_admin).get(f"{API}/assessments/{batch.pk}/trail").status_code == 403


def test_experts_read_the_self_assessments_of_what_they_review(world, two, experts, school_admin):
    batch = open_batch(world, two)
    submit_self_assessments(batch)
    svc.assessment_start_review(actor=world.actor, assessment=batch)
    review_assignment.assign_exact(actor=world.actor, review_round=batch.round)
    for expert_profile in experts:
        mine = set(
            Assignment.objects.filter(round=batch.round, expert=expert_profile, reserve=False).values_list(
                "application_id", flat=True
            )
        )
        body = ApiClient(expert_profile.user).get(f"{API}/assessment-entries/assigned").json()
        # each expert reads exactly the projects assigned to them, with the school's text and figures
        assert {e["application_id"] for e in body["items"]} == mine
        for item in body["items"]:
            assert item["self_assessment"] == "建设任务全部完成，平台运行良好。"
            assert item["inputs"]["total_investment"] == "30000000"
            assert item["round_id"] == batch.round_id
    # and a school's staff may not ask
    assert ApiClient(school_admin).get(f"{API}/assessment-entries/assigned").status_code == 403
