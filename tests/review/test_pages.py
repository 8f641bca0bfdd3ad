"""The pages: the pool with filters and pagination, round setup, conflicts with their words,
results per application and per expert with explanations, the draw with its seed, adjustment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.review.models import Assignment, AssignmentRun, Conflict, ReviewRound
from tests.conftest import client_for

from .factories import make_enterprise, make_expert, make_review_call, make_school


@pytest.fixture
def pool(regions, applications):
    experts = [
        make_expert(regions.anhui, make_school(regions.hefei_shushan), categories=["46"]) for _ in range(6)
    ]
    experts += [
        make_expert(regions.anhui, make_enterprise(regions.hefei_shushan), industries=["C"]) for _ in range(3)
    ]
    partner = applications[0].partners.get().organization
    experts.append(make_expert(regions.anhui, partner, name="合作企业专家"))
    return experts


def test_pool_page_filters_and_paginates_in_few_queries(province_officer, regions):
    for i in range(45):
        employer = make_enterprise(regions.hefei_shushan) if i % 3 == 0 else make_school(regions.wuhu_jinghu)
        make_expert(regions.anhui, employer, categories=["46"] if i % 2 else ["51"], name=f"池专家{i:02d}")
    page = client_for(province_officer)
    html = page.get("/review/experts/").content.decode()
    assert html.count("data-expert=") == 20
    assert "共 45 条" in html
    with CaptureQueriesContext(connection) as queries:
        page.get("/review/experts/?page=2")
    assert len(queries) <= 12, [q["sql"] for q in queries]
    industry = page.get("/review/experts/?is_industry=1", headers={"HX-Request": "true"}).content.decode()
    assert industry.count("data-expert=") == 15
    assert "<html" not in industry
    assert page.get("/review/experts/?category=46").content.decode().count("data-expert=") == 20
    assert "池专家07" in page.get("/review/experts/?q=池专家07").content.decode()


def test_expert_added_on_the_page(province_officer, expert, enterprise):
    page = client_for(province_officer)
    missing = page.post("/review/experts/new/", {"username": "nobody", "employer": "不存在"})
    assert missing.status_code == 422
    assert "没有该用户名的人员" in missing.content.decode()
    response = page.post(
        "/review/experts/new/",
        {
            "username": expert.username,
            "employer": enterprise.uscc,
            "programme_categories": "46",
            "industries": "C",
        },
    )
    assert response.status_code == 302
    detail = page.get(response["Location"]).content.decode()
    assert enterprise.name in detail
    assert "行业企业" in detail


def test_round_set_up_on_the_page(province_officer, regions):
    call, project_type = make_review_call(regions.anhui, code="page-round")
    page = client_for(province_officer)
    form = page.get("/review/rounds/new/").content.decode()
    assert f"{call.pk}:{project_type.pk}" in form
    response = page.post(
        "/review/rounds/new/",
        {
            "call_type": f"{call.pk}:{project_type.pk}",
            "kind": "selection",
            "reviews_per_application": 7,
            "load_cap": 15,
            "max_exclusions": 2,
            "reserves": 1,
            "same_city_conflict": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    review_round = ReviewRound.objects.get(call=call)
    assert (review_round.reviews_per_application, review_round.load_cap, review_round.same_city_conflict) == (
        7,
        15,
        True,
    )
    again = page.post(
        "/review/rounds/new/",
        {
            "call_type": f"{call.pk}:{project_type.pk}",
            "kind": "selection",
            "reviews_per_application": 5,
            "load_cap": 20,
            "max_exclusions": 3,
            "reserves": 2,
        },
    )
    assert again.status_code == 422
    assert "已有遴选评审轮次" in again.content.decode()


def test_assignment_results_per_application_and_per_expert(
    review, applications, pool, province_officer, observer
):
    review.round.reviews_per_application = 3
    review.round.load_cap = 3
    review.round.save()
    page = client_for(province_officer)
    assert page.post(f"/review/rounds/{review.round.pk}/assign/").status_code == 302
    overview = page.get(f"/review/rounds/{review.round.pk}/").content.decode()
    assert "data-last-run" in overview
    assert overview.count("data-application=") == 6
    app = applications[0]
    html = (
        client_for(observer).get(f"/review/rounds/{review.round.pk}/applications/{app.pk}/").content.decode()
    )
    assert html.count("data-assignment=") == 3
    assert "匹配度" in html
    assert "为何不是其他专家" in html
    # the partner's expert is listed with the conflict in words
    assert "合作企业专家" in html
    assert "的共建企业" in html
    experts = page.get(f"/review/rounds/{review.round.pk}/experts/?assigned=1").content.decode()
    assert experts.count("data-expert=") >= 6
    row = Assignment.objects.filter(round=review.round).first()
    detail = client_for(observer).get(f"/review/assignments/{row.pk}/").content.decode()
    assert "data-explanation" in detail
    assert "移除该分配" not in detail


def test_infeasible_assignment_shows_why_and_stores_nothing(review, applications, pool, province_officer):
    review.round.load_cap = 1
    review.round.save()
    response = client_for(province_officer).post(f"/review/rounds/{review.round.pk}/assign/")
    assert response.status_code == 422
    html = response.content.decode()
    assert "data-refusal" in html
    assert "未保存任何分配" in html
    assert "最多只能承担" in html
    assert not Assignment.objects.exists()
    assert not AssignmentRun.objects.exists()
    assert not Conflict.objects.exists()


def test_draw_page_shows_its_seed_and_replays(review, applications, pool, province_officer, observer):
    review.round.reviews_per_application = 2
    review.round.save()
    response = client_for(province_officer).post(
        f"/review/rounds/{review.round.pk}/draw/", {"seed": 4242, "reserves": 1}
    )
    assert response.status_code == 302
    run = AssignmentRun.objects.get()
    html = client_for(observer).get(f"/review/runs/{run.pk}/?replay=1").content.decode()
    assert "data-seed>4242<" in html
    assert 'data-replay="same"' in html
    assert html.count("data-application=") == 6


def test_manual_assignment_on_the_page_names_the_conflict(review, applications, pool, province_officer):
    review.round.reviews_per_application = 3
    review.round.save()
    page = client_for(province_officer)
    partner_expert = pool[-1]
    app = applications[0]
    response = page.post(
        f"/review/rounds/{review.round.pk}/applications/{app.pk}/add/",
        {"expert": partner_expert.pk, "reason": "熟悉"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "存在回避关系，不能分配" in html
    assert "的共建企业" in html
    assert not Assignment.objects.exists()
    ok = page.post(
        f"/review/rounds/{review.round.pk}/applications/{app.pk}/add/",
        {"expert": pool[0].pk, "reason": "组长"},
    )
    assert ok.status_code == 302
    assert Assignment.objects.filter(method="manual").count() == 1


def test_conflicts_page_shows_words_and_waiver_needs_a_reason(
    review, applications, pool, province_officer, observer
):
    page = client_for(province_officer)
    assert page.post(f"/review/rounds/{review.round.pk}/conflicts/compute/").status_code == 302
    html = client_for(observer).get(f"/review/rounds/{review.round.pk}/conflicts/").content.decode()
    assert "的共建企业" in html
    assert "豁免</a>" not in html
    conflict = Conflict.objects.first()
    refused = page.post(f"/review/conflicts/{conflict.pk}/waive/", {"reason": ""})
    assert refused.status_code == 422
    assert "豁免回避须写明理由" in refused.content.decode()
    assert page.post(f"/review/conflicts/{conflict.pk}/waive/", {"reason": "已离职"}).status_code == 302
    waived = (
        client_for(observer).get(f"/review/rounds/{review.round.pk}/conflicts/?waived=1").content.decode()
    )
    assert "已离职" in waived


def test_availability_on_the_page(review, pool, province_officer):
    page = client_for(province_officer)
    assert page.get(f"/review/rounds/{review.round.pk}/availability/").status_code == 200
    response = page.post(
        f"/review/rounds/{review.round.pk}/availability/",
        {"expert": pool[0].pk, "load_cap": 3, "note": "出差"},
    )
    assert response.status_code == 302
    row = pool[0].availabilities.get()
    assert (row.available, row.load_cap, row.note) == (False, 3, "出差")
