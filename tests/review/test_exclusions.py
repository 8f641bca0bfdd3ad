"""The applicant's exclusions (申请回避): a reason each, limited by the round, closed once assigned."""

from __future__ import annotations

from chanjiao.review.models import Exclusion, ReviewRound
from tests.conftest import ApiClient, client_for, error_codes

from .factories import make_application

A = "/api/v1"


def test_applicant_asks_within_the_limit_with_a_reason(
    review, school, school_admin, other_school_admin, observer
):
    app = make_application(review.call, review.project_type, school)
    review.round.max_exclusions = 2
    review.round.save()
    api = ApiClient(school_admin)
    url = f"{A}/applications/{app.pk}/exclusions"
    no_reason = api.post(url, {"expert_name": "张三"})
    assert no_reason.status_code == 422
    assert error_codes(no_reason) == ["exclusion.reason_required"]
    assert (
        api.post(
            url, {"expert_name": "张三", "employer_name": "某公司", "reason": "曾有业务纠纷"}
        ).status_code
        == 201
    )
    assert (
        api.post(url, {"expert_name": "张三", "employer_name": "某公司", "reason": "重复"}).status_code == 409
    )
    assert api.post(url, {"expert_name": "李四", "reason": "近亲属"}).status_code == 201
    third = api.post(url, {"expert_name": "王五", "reason": "竞争关系"})
    assert third.status_code == 422
    assert error_codes(third) == ["exclusion.limit_reached"]
    assert "最多申请回避2位专家（当前已申请2位）" in third.json()["errors"][0]["message"]
    listed = api.get(url).json()
    assert [i["expert_name"] for i in listed["items"]] == ["张三", "李四"]
    assert listed["limit"] == 2
    assert listed["open"]
    # another school may not see them; the observer may read but not add
    assert ApiClient(other_school_admin).get(url).status_code == 404
    assert ApiClient(observer).get(url).status_code == 200
    assert ApiClient(observer).post(url, {"expert_name": "赵六", "reason": "x"}).status_code == 403


def test_closed_once_the_round_is_assigned(review, school, school_admin):
    app = make_application(review.call, review.project_type, school)
    row = Exclusion.objects.create(
        application=app, expert_name="张三", reason="纠纷", created_by=school_admin
    )
    review.round.status = ReviewRound.Status.ASSIGNED
    review.round.save()
    api = ApiClient(school_admin)
    late = api.post(f"{A}/applications/{app.pk}/exclusions", {"expert_name": "李四", "reason": "近亲属"})
    assert late.status_code == 409
    assert error_codes(late) == ["exclusion.closed"]
    assert api.post(f"{A}/applications/{app.pk}/exclusions/{row.pk}/remove").status_code == 409
    html = client_for(school_admin).get(f"/review/exclusions/{app.pk}/").content.decode()
    assert "data-closed" in html


def test_page_adds_and_withdraws(review, school, school_admin):
    app = make_application(review.call, review.project_type, school)
    page = client_for(school_admin)
    response = page.post(f"/review/exclusions/{app.pk}/", {"expert_name": "张三", "reason": ""})
    assert response.status_code == 422
    assert "请写明申请回避的理由" in response.content.decode()
    assert (
        page.post(f"/review/exclusions/{app.pk}/", {"expert_name": "张三", "reason": "纠纷"}).status_code
        == 302
    )
    row = Exclusion.objects.get(application=app)
    assert page.post(f"/review/exclusions/{app.pk}/{row.pk}/remove/").status_code == 302
    assert not Exclusion.objects.exists()


def test_the_applicant_finds_its_applications_on_its_own_list(review, school, other_school, school_admin):
    # given one application of the school and one of another school
    mine = make_application(review.call, review.project_type, school)
    theirs = make_application(review.call, review.project_type, other_school)
    Exclusion.objects.create(application=mine, expert_name="张三", reason="纠纷", created_by=school_admin)
    # when the school's admin opens 申请回避
    response = client_for(school_admin).get("/review/exclusions/")
    html = response.content.decode()
    # then the school's own application is listed with its count against the round's limit, and open
    assert response.status_code == 200
    assert f'data-application="{mine.pk}"' in html
    assert f'data-application="{theirs.pk}"' not in html
    assert f"1 / {review.round.max_exclusions}" in html
    assert f'href="/review/exclusions/{mine.pk}/"' in html


def test_the_applicants_list_reads_in_a_fixed_number_of_queries(review, school, school_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_application(review.call, review.project_type, school)
    page = client_for(school_admin)
    page.get("/review/exclusions/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        page.get("/review/exclusions/")
    for _ in range(3):
        make_application(review.call, review.project_type, school)
    with CaptureQueriesContext(connection) as four:
        response = page.get("/review/exclusions/")
    # then four applications cost what one did (no query per application for its round)
    assert response.status_code == 200
    assert len(four) == len(one)
