"""Who sees what: a conflicted expert never sees the application (API and pages alike), an expert
sees only their own assignments, the observer reads everything and changes nothing."""

from __future__ import annotations

import pytest

from chanjiao.review import conflicts
from chanjiao.review.models import Assignment, Conflict, ReviewRound
from tests.conftest import ApiClient, actor_of, client_for

from .factories import make_application, make_expert, make_school

A = "/api/v1"


@pytest.fixture
def assigned(review, regions, expert, enterprise, province_officer):
    """The `expert` persona (an enterprise's expert) assigned to one application; another expert to another."""
    review.round.status = ReviewRound.Status.ASSIGNED
    review.round.save()
    mine = make_expert(regions.anhui, enterprise, user=expert)
    other_expert = make_expert(regions.anhui, make_school(regions.wuhu_jinghu))
    apps = [
        make_application(review.call, review.project_type, make_school(regions.wuhu_jinghu)) for _ in range(2)
    ]
    rows = [
        Assignment.objects.create(
            round=review.round, expert=mine, application=apps[0], method="exact", created_by=province_officer
        ),
        Assignment.objects.create(
            round=review.round,
            expert=other_expert,
            application=apps[1],
            method="exact",
            created_by=province_officer,
        ),
    ]
    return mine, apps, rows


def test_expert_sees_only_their_assignment(assigned, expert):
    mine, apps, _rows = assigned
    api = ApiClient(expert)
    listed = api.get(f"{A}/assigned-applications").json()
    assert [i["application"]["id"] for i in listed["items"]] == [apps[0].pk]
    assert api.get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 200
    assert api.get(f"{A}/assigned-applications/{apps[1].pk}").status_code == 404
    page = client_for(expert)
    assert page.get(f"/review/mine/{apps[0].pk}/").status_code == 200
    assert page.get(f"/review/mine/{apps[1].pk}/").status_code == 404
    # and the staff's API is not theirs
    assert api.get(f"{A}/assignments").status_code == 403
    assert api.get(f"{A}/applications/{apps[0].pk}").status_code == 403


def test_a_conflicted_expert_gets_404_on_the_application_through_api_and_pages(assigned, review, expert):
    mine, apps, rows = assigned
    # given a conflict recorded for the pair however it came about (here written straight to the table,
    # so the assignment row stays: the selector itself must keep the expert out)
    Conflict.objects.create(
        round=review.round,
        expert=mine,
        application=apps[0],
        kind="same_city",
        source="computed",
        details={"items": []},
    )
    assert Assignment.objects.filter(pk=rows[0].pk).exists()
    # then the application is gone from the expert's list and 404 wherever they ask for it
    api = ApiClient(expert)
    assert api.get(f"{A}/assigned-applications").json()["count"] == 0
    assert api.get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 404
    assert (
        api.post(f"{A}/assigned-applications/{apps[0].pk}/declare-conflict", {"reason": "x"}).status_code
        == 404
    )
    page = client_for(expert)
    assert page.get(f"/review/mine/{apps[0].pk}/").status_code == 404
    assert page.get(f"/review/mine/{apps[0].pk}/declare/").status_code == 404
    assert apps[0].title not in page.get("/review/mine/").content.decode()


def test_a_waived_conflict_lets_the_expert_see_it_again(assigned, review, expert):
    mine, apps, _rows = assigned
    conflict = Conflict.objects.create(
        round=review.round,
        expert=mine,
        application=apps[0],
        kind="same_city",
        source="computed",
        details={"items": []},
    )
    api = ApiClient(expert)
    assert api.get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 404
    from django.utils import timezone

    conflict.waived_at = timezone.now()
    conflict.waive_reason = "同城但无利益关系"
    conflict.save()
    assert api.get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 200


def test_an_expert_declaring_a_conflict_stops_seeing_it(assigned, review, expert):
    mine, apps, rows = assigned
    api = ApiClient(expert)
    refused = api.post(f"{A}/assigned-applications/{apps[0].pk}/declare-conflict", {"reason": ""})
    assert refused.status_code == 422
    response = api.post(
        f"{A}/assigned-applications/{apps[0].pk}/declare-conflict", {"reason": "曾为该校兼职教师"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["explanation"] == "专家本人申报回避，理由：曾为该校兼职教师"
    assert not Assignment.objects.filter(pk=rows[0].pk).exists()
    assert api.get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 404


def test_staff_adding_a_conflict_after_assignment_removes_it(assigned, review, province_officer, expert):
    mine, apps, rows = assigned
    conflicts.conflict_add(
        actor=actor_of(province_officer),
        review_round=review.round,
        expert=mine,
        application=apps[0],
        reason="举报核实",
    )
    assert not Assignment.objects.filter(pk=rows[0].pk).exists()
    assert client_for(expert).get(f"/review/mine/{apps[0].pk}/").status_code == 404


def test_experts_see_nothing_before_the_round_is_assigned(assigned, review, expert):
    _mine, apps, _rows = assigned
    review.round.status = ReviewRound.Status.SETUP
    review.round.save()
    assert ApiClient(expert).get(f"{A}/assigned-applications/{apps[0].pk}").status_code == 404


def test_observer_reads_everything_and_changes_nothing(assigned, review, observer):
    _mine, apps, rows = assigned
    api = ApiClient(observer)
    assert api.get(f"{A}/assignments?round={review.round.pk}").json()["count"] == 2
    assert api.get(f"{A}/review-rounds/{review.round.pk}/conflicts").status_code == 200
    assert api.get(f"{A}/expert-profiles").json()["count"] == 2
    assert api.post(f"{A}/review-rounds/{review.round.pk}/assign").status_code == 403
    assert api.post(f"{A}/assignments/{rows[0].pk}/remove", {"reason": "x"}).status_code == 403
    page = client_for(observer)
    html = page.get(f"/review/rounds/{review.round.pk}/").content.decode()
    assert "data-assign" not in html
    assert "data-draw" not in html


def test_another_province_sees_none_of_it(assigned, review, jiangsu_officer):
    _mine, _apps, rows = assigned
    api = ApiClient(jiangsu_officer)
    assert api.get(f"{A}/review-rounds/{review.round.pk}").status_code == 404
    assert api.get(f"{A}/assignments/{rows[0].pk}").status_code == 404
    assert api.get(f"{A}/expert-profiles").json()["count"] == 0
