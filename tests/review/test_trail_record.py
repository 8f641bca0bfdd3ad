"""The round's whole-process record: what it finds, in what order, how it filters, what it never
shows, and that reading it costs the same number of queries however large the round."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from chanjiao.core.audit import audit_record
from chanjiao.core.errors import NotFound, ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.review import assignment as assigning
from chanjiao.review import conflicts, services, trail_selectors
from chanjiao.review.models import Assignment, ReviewRound
from tests.conftest import ApiClient, actor_of, client_for, error_codes

from .factories import (
    make_application,
    make_enterprise,
    make_expert,
    make_review_call,
    make_round,
    make_school,
)
from .test_observer import REMOVE_REASON, SEED, WAIVE_REASON, walk_round

A = "/api/v1"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def walked(regions, province_officer):
    return walk_round(regions, province_officer)


def trail(actor, review_round, **filters) -> list[AuditEntry]:
    return list(trail_selectors.round_trail(actor, review_round, **filters))


def test_every_kind_of_step_is_found_in_time_order(walked, observer):
    entries = trail(actor_of(observer), walked.round)
    kinds = [trail_selectors.entry_kind(e) for e in entries]
    # the walk's steps, by kind (the round itself was made without a service):
    assert {k: kinds.count(k) for k in dict.fromkeys(kinds)} == {
        "exclusions": 3,  # 2 asked, 1 withdrawn
        "availability": 1,  # one expert not taking part
        "conflicts": 2,  # computed once, 1 waiver
        "assignment": 4,  # exact, draw, 1 removed by hand, 1 reserve called in
        "scoring": 11,  # 12 reviewers, 11 submitted; the draft's two saves are not listed
        "round": 2,  # the deadline set, the round closed after its last decision
        "panel": 3,  # opened, 1 override, the recommendation settled
        "applications": 12,  # 3 recommended, 3 not, 3 publicised, 2 awarded, 1 rejected
        "publicity": 3,  # published, 1 objection recorded, answered
        "award": 5,  # 3 decisions, 2 projects
    }
    assert len(entries) == 46
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)
    assert all(a.created_at <= b.created_at for a, b in zip(entries, entries[1:], strict=False))
    assert "score_sheet.save" not in {e.action for e in entries}


def test_other_rounds_and_other_calls_stay_out(walked, regions, province_officer, observer):
    # given a second round in another call, with a hand-made assignment removed and an exclusion
    staff = actor_of(province_officer)
    call, project_type = make_review_call(regions.anhui, code="trail-other")
    other = make_round(call, project_type, province_officer, reviews_per_application=1)
    app = make_application(call, project_type, make_school(regions.hefei_shushan))
    services.exclusion_add(
        actor=actor_of(app.created_by), application=app, expert_name="某专家", reason="其他轮次"
    )
    expert = make_expert(regions.anhui, make_enterprise(regions.hefei_shushan))
    row = assigning.assignment_add(
        actor=staff, review_round=other, expert=expert, application=app, reason="其他轮次"
    )
    assigning.assignment_remove(actor=staff, assignment=row, reason="其他轮次")
    # then neither round's record shows the other's entries
    mine = {e.pk for e in trail(actor_of(observer), walked.round)}
    theirs = {e.pk for e in trail(actor_of(observer), other)}
    assert mine
    assert theirs
    assert not mine & theirs
    assert {e.action for e in trail(actor_of(observer), other)} == {
        "review_exclusion.create",
        "review_assignment.add",
        "review_assignment.remove",
    }


def test_a_round_outside_the_scope_is_404(walked, jiangsu_officer, expert, school_admin):
    with pytest.raises(NotFound):
        trail_selectors.round_trail(actor_of(jiangsu_officer), walked.round.pk)
    assert ApiClient(jiangsu_officer).get(f"{A}/review-rounds/{walked.round.pk}/trail").status_code == 404
    assert client_for(jiangsu_officer).get(f"/review/rounds/{walked.round.pk}/trail/").status_code == 404
    assert (
        ApiClient(jiangsu_officer).get(f"{A}/review-rounds/{walked.round.pk}/trail.xlsx").status_code == 404
    )
    # and a role that reads no review is refused
    for user in (expert, school_admin):
        assert ApiClient(user).get(f"{A}/review-rounds/{walked.round.pk}/trail").status_code == 403
        assert client_for(user).get(f"/review/rounds/{walked.round.pk}/trail/").status_code == 403


def test_filters_by_kind_of_step(walked, observer):
    reader = ApiClient(observer)
    url = f"{A}/review-rounds/{walked.round.pk}/trail"
    conflicts_only = reader.get(f"{url}?kind=conflicts").json()
    assert [i["action"] for i in conflicts_only["items"]] == [
        "review_round.conflicts_compute",
        "review_conflict.waive",
    ]
    both = reader.get(f"{url}?kind=conflicts&kind=availability").json()
    assert both["count"] == 3
    assert {i["kind"] for i in both["items"]} == {"conflicts", "availability"}
    page = (
        client_for(observer).get(f"/review/rounds/{walked.round.pk}/trail/?kind=assignment").content.decode()
    )
    assert page.count('data-kind="assignment"') == 4
    assert 'data-kind="scoring"' not in page


def _entry_at(moment: dt.datetime, review_round: ReviewRound, note: str) -> AuditEntry:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit_record(
            actor=None,
            action="review_round.update",
            object_type="review.reviewround",
            object_id=str(review_round.pk),
            object_repr=review_round.name,
            changes={"name": [None, note]},
        )


def test_dates_are_local_days_both_included(review, province_officer, observer):
    # given three entries: 20 Nov 10:00, 21 Nov 23:30 and 22 Nov 00:30, Beijing time
    # (21 Nov 23:30 in Beijing is 15:30 UTC, still 21 Nov; 22 Nov 00:30 is 21 Nov 16:30 UTC)
    r = review.round
    first = _entry_at(dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), r, "第一")
    late = _entry_at(dt.datetime(2026, 11, 21, 23, 30, tzinfo=SHANGHAI), r, "第二")
    after_midnight = _entry_at(dt.datetime(2026, 11, 22, 0, 30, tzinfo=SHANGHAI), r, "第三")
    actor = actor_of(observer)
    # then the 21st is the 23:30 entry only, in local days, whatever UTC says
    assert [e.pk for e in trail(actor, r, since=dt.date(2026, 11, 21), until=dt.date(2026, 11, 21))] == [
        late.pk
    ]
    assert [e.pk for e in trail(actor, r, since=dt.date(2026, 11, 21))] == [late.pk, after_midnight.pk]
    assert [e.pk for e in trail(actor, r, until=dt.date(2026, 11, 21))] == [first.pk, late.pk]
    # and the API and the page say the same
    body = ApiClient(observer).get(f"{A}/review-rounds/{r.pk}/trail?since=2026-11-22").json()
    assert [i["id"] for i in body["items"]] == [after_midnight.pk]
    assert body["items"][0]["created_at"].startswith("2026-11-22T00:30:00+08:00")
    html = (
        client_for(observer)
        .get(f"/review/rounds/{r.pk}/trail/?since=2026-11-20&until=2026-11-20")
        .content.decode()
    )
    assert f'data-entry="{first.pk}"' in html
    assert f'data-entry="{late.pk}"' not in html


def test_bad_filters_are_refused_with_what_is_allowed(review, observer):
    reader = ApiClient(observer)
    url = f"{A}/review-rounds/{review.round.pk}/trail"
    unknown = reader.get(f"{url}?kind=votes")
    assert unknown.status_code == 422
    assert error_codes(unknown) == ["trail.unknown_kind"]
    assert "当前：votes" in unknown.json()["errors"][0]["message"]
    assert "conflicts" in unknown.json()["errors"][0]["message"]
    reversed_ = reader.get(f"{url}?since=2026-11-22&until=2026-11-21")
    assert reversed_.status_code == 422
    assert error_codes(reversed_) == ["trail.dates_reversed"]
    assert (
        reversed_.json()["errors"][0]["message"]
        == "结束日期应不早于开始日期（当前：开始 2026-11-22，结束 2026-11-21）"
    )
    assert reader.get(f"{url}?since=22-11-2026").status_code == 422
    with pytest.raises(ValidationFailed):
        trail_selectors.round_trail(actor_of(observer), review.round, kinds=["votes"])
    page = client_for(observer).get(
        f"/review/rounds/{review.round.pk}/trail/?since=2026-11-22&until=2026-11-21"
    )
    assert page.status_code == 422
    assert "结束日期应不早于开始日期" in page.content.decode()


def test_reasons_are_shown_in_full(review, applications, regions, province_officer, observer):
    # given a conflict added by staff with a reason of 600 characters
    reason = "该专家与申报单位负责人系同门师兄弟，" * 30 + "理由完。"
    expert = make_expert(regions.anhui, make_school(regions.hefei_shushan))
    conflicts.conflict_add(
        actor=actor_of(province_officer),
        review_round=review.round,
        expert=expert,
        application=applications[2],
        reason=reason,
    )
    # then the record gives it whole, on the page, in the API and in the export
    body = ApiClient(observer).get(f"{A}/review-rounds/{review.round.pk}/trail?kind=conflicts").json()
    assert [i["reason"] for i in body["items"]] == [reason]
    assert body["items"][0]["action_display"] == "管理员认定回避"
    html = (
        client_for(observer).get(f"/review/rounds/{review.round.pk}/trail/?kind=conflicts").content.decode()
    )
    assert reason in html
    xlsx = client_for(observer).get(f"/review/rounds/{review.round.pk}/trail.xlsx?kind=conflicts")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet["H"]] == ["理由", reason]


def test_the_page_reads_each_change_in_words(walked, observer):
    html = client_for(observer).get(f"/review/rounds/{walked.round.pk}/trail/?page_size=100").content.decode()
    # the waiver with its reason, the draw with its seed and a link to its record, the removal
    assert WAIVE_REASON in html
    assert str(SEED) in html
    assert f"/review/runs/{walked.draw.pk}/" in html
    assert REMOVE_REASON in html
    # ids read as names: the expert and the application of the called-in reserve
    called_in = Assignment.objects.select_related("expert__user", "application").get(pk=walked.called_in.pk)
    assert called_in.expert.name in html
    assert called_in.application.title in html
    # choices read as their labels, the acting organisation is named
    assert "人工调整" in html
    assert "安徽省教育厅" in html
    # the stage timeline is on the page, with the round (closed after its decisions) at 立项,
    # and the round's tabs, this one current
    assert 'data-stage="award" data-current' in html
    assert (
        f'nav-link active" href="/review/rounds/{walked.round.pk}/trail/" data-tab="trail">全过程记录' in html
    )


def test_htmx_asks_for_the_table_only(walked, observer):
    response = client_for(observer).get(
        f"/review/rounds/{walked.round.pk}/trail/?kind=conflicts", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count("data-entry=") == 2


def test_the_export_has_every_entry_the_filters_keep(walked, observer):
    response = client_for(observer).get(f"/review/rounds/{walked.round.pk}/trail.xlsx?kind=assignment")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "步骤", "操作人", "代表单位", "操作")
    assert [r[4] for r in rows[1:]] == ["最优分配", "随机抽取", "移除分配", "人工分配"]
    assert all(r[1] == "分配与抽取" for r in rows[1:])
    assert f"随机种子：{SEED}" in rows[2][8]
    api = ApiClient(observer).get(f"{A}/review-rounds/{walked.round.pk}/trail.xlsx?kind=assignment")
    assert api.status_code == 200
    assert len(list(load_workbook(io.BytesIO(api.content)).active.iter_rows())) == 5


def test_reading_a_page_costs_the_same_queries_however_large_the_round(walked, province_officer, observer):
    reader = ApiClient(observer)
    page = client_for(observer)
    url = f"{A}/review-rounds/{walked.round.pk}/trail?page_size=200"
    html_url = f"/review/rounds/{walked.round.pk}/trail/?page_size=200"
    reader.get(url)
    with CaptureQueriesContext(connection) as small_api:
        small = reader.get(url).json()
    with CaptureQueriesContext(connection) as small_page:
        page.get(html_url)
    # when the round grows: 40 more settings of experts' participation (each with its entry)
    staff = actor_of(province_officer)
    for i in range(40):
        services.availability_set(
            actor=staff, review_round=walked.round, expert=walked.pool[i % 8], available=True, load_cap=5 + i
        )
    with CaptureQueriesContext(connection) as big_api:
        big = reader.get(url).json()
    with CaptureQueriesContext(connection) as big_page:
        page.get(html_url)
    # then there is more to read, with the same number of queries
    assert big["count"] == small["count"] + 40
    assert len(big_api) == len(small_api), [q["sql"] for q in big_api]
    assert len(big_page) == len(small_page), [q["sql"] for q in big_page]
    assert len(big_api) <= 12


def test_the_stage_timeline_follows_the_round(review, applications, province_officer, observer, regions):
    page = client_for(observer)
    url = f"/review/rounds/{review.round.pk}/"
    html = page.get(url).content.decode()
    assert 'data-stage="prepare" data-current' in html
    assert f'href="/review/rounds/{review.round.pk}/trail/"' in html
    # each stage links to its page: 准备 to the experts' participation, 立项 to the decisions
    assert f'<a href="/review/rounds/{review.round.pk}/availability/">准备</a>' in html
    assert f'<a href="/projects/decisions/{review.round.pk}/">立项</a>' in html
    # once the conflicts are computed the round is at 分配
    conflicts.conflicts_compute(actor=actor_of(province_officer), review_round=review.round)
    assert 'data-stage="assign" data-current' in page.get(url).content.decode()
    # and each later status has its stage
    for status, stage in (
        ("assigned", "scoring"),
        ("panel", "panel"),
        ("recommended", "recommend"),
        ("publicised", "publicity"),
        ("closed", "award"),
    ):
        ReviewRound.objects.filter(pk=review.round.pk).update(status=status)
        html = page.get(url).content.decode()
        assert f'data-stage="{stage}" data-current' in html, status
        assert html.count("data-current") == 1


def test_a_sheet_shows_its_contents_only_as_submitted(walked, observer):
    # given entries on a sheet that carry contents: a recusal whose "before" is the draft's scores,
    # and a submission whose "before" is the last draft
    sheet = walked.draft
    recused = audit_record(
        actor=None,
        action="score_sheet.recuse",
        obj=sheet,
        changes={
            "status": ["draft", "recused"],
            "scores": [{"1.1": "6.75"}, {}],
            "recusal_reason": [None, "亲属"],
        },
    )
    submitted = audit_record(
        actor=None,
        action="score_sheet.submit",
        obj=sheet,
        changes={"status": ["draft", "submitted"], "scores": [{"1.1": "6.75"}, {"1.1": "9"}]},
    )
    # then the recusal shows its status and reason and no scores; the submission only what it submitted
    assert trail_selectors.safe_changes(recused) == {
        "status": ["draft", "recused"],
        "recusal_reason": [None, "亲属"],
    }
    assert trail_selectors.safe_changes(submitted) == {
        "status": ["draft", "submitted"],
        "scores": [None, {"1.1": "9"}],
    }
    items = {i.entry.pk: i for i in trail_selectors.describe([recused, submitted])}
    assert items[recused.pk].reason == "亲属"
    assert items[recused.pk].action_label == "专家评分时申报回避"
    assert [(r["field"], r["before"], r["after"]) for r in items[submitted.pk].rows] == [
        ("状态", "草稿", "已提交"),
        ("各项得分", "—", "1.1：9"),
    ]


def test_the_round_keeps_its_applications_after_the_review_moves_them_on(walked, observer, province_officer):
    # given the walked round closed: of its 6 applications 2 awarded, 1 rejected, 3 not recommended
    page = client_for(observer)
    html = page.get(f"/review/rounds/{walked.round.pk}/").content.decode()
    # then its page still lists all six with their reviewers, and each one's assignment page opens
    assert html.count("data-application=") == 6
    for app in walked.apps:
        response = page.get(f"/review/rounds/{walked.round.pk}/applications/{app.pk}/")
        assert response.status_code == 200, app.status
    coverage = ApiClient(observer).get(f"{A}/review-rounds/{walked.round.pk}/applications").json()
    assert coverage["count"] == 6
    assert sorted(i["assigned"] for i in coverage["items"]) == [2] * 6
    # while assignment by hand still takes only applications under review (none are now)
    response = ApiClient(province_officer).post(
        f"{A}/assignments",
        {
            "round_id": walked.round.pk,
            "expert_id": walked.pool[0].pk,
            "application_id": walked.apps[0].pk,
            "reason": "补",
        },
    )
    assert response.status_code == 404
