"""Publishing a round's recommended list (公示): the period in working days, the statuses that move,
the applicants told in their inbox and by email, and every refusal storing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from chanjiao.applications.models import Application, ApplicationEvent, Status
from chanjiao.core.calendar import working_days_from
from chanjiao.core.models import AuditEntry, Holiday, Notification
from chanjiao.core.permissions import Role
from chanjiao.review.models import Publicity, ReviewRound
from tests.conftest import ApiClient, client_for, error_codes

from .factories_publicity import add_member, make_recommended_round

A = "/api/v1"
D = dt.date.fromisoformat


@pytest.fixture
def rec(regions, province_officer):
    return make_recommended_round(
        regions.anhui, province_officer, [regions.hefei_shushan, regions.wuhu_jinghu], listed=2, not_listed=1
    )


def snapshot(rec) -> tuple:
    """What a refused publish must leave as it was."""
    return (
        Publicity.objects.count(),
        ReviewRound.objects.get(pk=rec.round.pk).status,
        sorted(Application.objects.filter(call=rec.round.call).values_list("pk", "status")),
        ApplicationEvent.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.exclude(action="api_token.create").count(),
    )


def test_publish_moves_the_list_and_tells_the_applicants(
    rec, province_officer, django_capture_on_commit_callbacks
):
    # given two applicants on the list: the first with an admin (with an address), the second with a
    # member whose membership has ended, and a learner who is not the applicant's staff
    first, second = rec.listed
    admin = add_member(first.applicant, Role.ORG_ADMIN, email="admin@first.example.cn")
    gone = add_member(second.applicant, Role.ORG_STAFF, email="gone@second.example.cn", active=False)
    learner = add_member(second.applicant, Role.LEARNER, email="learner@second.example.cn")
    # when province staff publish from Thursday 4 December 2031 for 5 working days
    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(province_officer).post(
            f"{A}/review-rounds/{rec.round.pk}/publicity",
            {
                "title": "2031年省产教融合集成平台拟立项项目公示",
                "body": "经专家评审，拟立项项目如下。",
                "contact": "省教育厅职成处 0551-62831234",
                "starts_on": "2031-12-04",
                "working_days": 5,
            },
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    # then the period ends on Wednesday 10 December: Thu 4, Fri 5, Mon 8, Tue 9, Wed 10
    assert (body["starts_on"], body["ends_on"], body["working_days"]) == ("2031-12-04", "2031-12-10", 5)
    assert [d["date"] for d in body["days_skipped"]] == ["2031-12-06", "2031-12-07"]
    assert body["phase"] == "upcoming"
    assert [e["application_id"] for e in body["entries"]] == [first.pk, second.pk]
    # the round is publicised; the listed applications are, the other is not moved
    rec.round.refresh_from_db()
    assert rec.round.status == ReviewRound.Status.PUBLICISED
    statuses = dict(Application.objects.filter(call=rec.round.call).values_list("pk", "status"))
    assert statuses == {
        first.pk: Status.PUBLICISED,
        second.pk: Status.PUBLICISED,
        rec.not_listed[0].pk: Status.NOT_RECOMMENDED,
    }
    assert ApplicationEvent.objects.filter(action="publicise").count() == 2
    # each applicant's active staff are told: the author of each application, and the admin
    told = Notification.objects.filter(kind="publicity.published")
    recipients = {n.recipient_id for n in told}
    assert recipients == {first.created_by_id, admin.pk, second.created_by_id}
    assert gone.pk not in recipients
    assert learner.pk not in recipients
    note = told.get(recipient=admin)
    assert note.subject == f"“{first.title}”已列入公示名单"
    assert "公示期：2031-12-04至2031-12-10（5个工作日）" in note.body
    assert note.url == f"/review/publicity/{body['id']}/"
    # and by email, where there is an address
    assert [m.to for m in mail.outbox] == [["admin@first.example.cn"]]
    # audited, with the list
    entry = AuditEntry.objects.get(action="publicity.create")
    assert entry.changes["applications"] == [None, [first.pk, second.pk]]
    assert entry.changes["ends_on"] == [None, "2031-12-10"]


def test_defaults_today_and_the_rounds_working_days(rec, province_officer):
    rec.round.publicity_days = 7
    rec.round.save()
    publicity = (
        ApiClient(province_officer)
        .post(f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示"})
        .json()
    )
    today = timezone.localdate()
    assert publicity["starts_on"] == today.isoformat()
    assert publicity["working_days"] == 7
    assert publicity["ends_on"] == working_days_from(today, 7).isoformat()
    assert publicity["phase"] == "open"


def test_a_holiday_in_the_period_pushes_the_end(rec, province_officer):
    # a day off on Monday 8 December 2031: Thu 4, Fri 5, Tue 9, Wed 10, Thu 11
    Holiday.objects.create(date=D("2031-12-08"), name="测试假日")
    publicity = (
        ApiClient(province_officer)
        .post(
            f"{A}/review-rounds/{rec.round.pk}/publicity",
            {"title": "公示", "starts_on": "2031-12-04", "working_days": 5},
        )
        .json()
    )
    assert publicity["ends_on"] == "2031-12-11"
    assert {"date": "2031-12-08", "name": "测试假日"} in publicity["days_skipped"]


def test_bad_input_is_refused_with_every_problem_and_nothing_stored(rec, province_officer):
    api = ApiClient(province_officer)
    before = snapshot(rec)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = api.post(
        f"{A}/review-rounds/{rec.round.pk}/publicity",
        {"title": " ", "starts_on": yesterday.isoformat(), "working_days": 31},
    )
    assert refused.status_code == 422
    assert sorted(error_codes(refused)) == [
        "publicity.starts_in_past",
        "publicity.title_required",
        "publicity.working_days_out_of_range",
    ]
    messages = {e["code"]: e["message"] for e in refused.json()["errors"]}
    assert messages["publicity.working_days_out_of_range"] == "公示期应为1至30个工作日（当前：31）"
    assert messages["publicity.starts_in_past"] == (
        f"公示开始日期不能早于今天{timezone.localdate().isoformat()}（当前：{yesterday.isoformat()}）"
    )
    assert (
        api.post(
            f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示", "working_days": 0}
        ).status_code
        == 422
    )
    assert snapshot(rec) == before


def test_only_a_recommended_round_is_published_and_only_once(rec, province_officer):
    api = ApiClient(province_officer)
    rec.round.status = ReviewRound.Status.PANEL
    rec.round.save()
    before = snapshot(rec)
    early = api.post(f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示"})
    assert early.status_code == 409
    assert error_codes(early) == ["publicity.round_not_recommended"]
    assert early.json()["errors"][0]["message"] == (
        f"评审轮次“{rec.round.name}”当前状态为“专家组合议”，只有“推荐名单已确定”的轮次可以公示"
    )
    assert snapshot(rec) == before
    rec.round.status = ReviewRound.Status.RECOMMENDED
    rec.round.save()
    assert api.post(f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示"}).status_code == 201
    again = api.post(f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "再次公示"})
    assert again.status_code == 409
    assert "当前状态为“公示中”" in again.json()["errors"][0]["message"]
    assert Publicity.objects.count() == 1


def test_an_empty_list_is_not_published(regions, province_officer):
    rec = make_recommended_round(
        regions.anhui, province_officer, [regions.hefei_shushan], listed=0, not_listed=2
    )
    before = snapshot(rec)
    refused = ApiClient(province_officer).post(
        f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示"}
    )
    assert refused.status_code == 409
    assert error_codes(refused) == ["publicity.list_empty"]
    assert snapshot(rec) == before


def test_an_application_that_left_the_list_state_stops_the_whole_publish(rec, province_officer):
    # the second application was withdrawn after the recommendation: nothing is published at all
    Application.objects.filter(pk=rec.listed[1].pk).update(status=Status.WITHDRAWN)
    before = snapshot(rec)
    refused = ApiClient(province_officer).post(
        f"{A}/review-rounds/{rec.round.pk}/publicity", {"title": "公示"}
    )
    assert refused.status_code == 409
    assert error_codes(refused) == ["application.illegal_transition"]
    assert snapshot(rec) == before
    assert Application.objects.get(pk=rec.listed[0].pk).status == Status.RECOMMENDED


def test_the_observer_and_another_province_may_not_publish(rec, observer, jiangsu_officer):
    observer_api, jiangsu_api = ApiClient(observer), ApiClient(jiangsu_officer)
    before = snapshot(rec)
    url = f"{A}/review-rounds/{rec.round.pk}/publicity"
    assert observer_api.post(url, {"title": "公示"}).status_code == 403
    assert jiangsu_api.post(url, {"title": "公示"}).status_code == 404
    assert (
        client_for(observer).post(f"/review/rounds/{rec.round.pk}/publicity/", {"title": "公示"}).status_code
        == 403
    )
    assert client_for(jiangsu_officer).get(f"/review/rounds/{rec.round.pk}/publicity/").status_code == 404
    assert snapshot(rec) == before


def test_the_page_previews_the_end_and_publishes(rec, province_officer):
    page = client_for(province_officer)
    html = page.get(f"/review/rounds/{rec.round.pk}/publicity/").content.decode()
    assert "data-publish-form" in html
    assert rec.listed[0].title in html
    # the preview (htmx) counts the working days as typed
    preview = page.get(
        f"/review/rounds/{rec.round.pk}/publicity/preview/?starts_on=2031-12-04&working_days=5",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in preview
    assert "2031-12-04 至 2031-12-10，共 5 个工作日" in preview
    assert "12月6日（周末）" in preview
    assert (
        "请填写有效的开始日期"
        in page.get(
            f"/review/rounds/{rec.round.pk}/publicity/preview/?starts_on=2031-12-04&working_days=40"
        ).content.decode()
    )
    # a refused form says what is wrong at the field
    refused = page.post(f"/review/rounds/{rec.round.pk}/publicity/", {"title": "", "working_days": 5})
    assert refused.status_code == 422
    assert "请填写公示标题" in refused.content.decode()
    assert not Publicity.objects.exists()
    # published
    done = page.post(
        f"/review/rounds/{rec.round.pk}/publicity/",
        {"title": "拟立项项目公示", "starts_on": "2031-12-04", "working_days": "5"},
    )
    assert done.status_code == 302
    publicity = Publicity.objects.get()
    assert (publicity.starts_on, publicity.ends_on) == (D("2031-12-04"), D("2031-12-10"))
    html = page.get(f"/review/rounds/{rec.round.pk}/publicity/").content.decode()
    assert "data-record-form" in html
    assert f'href="/review/publicity/{publicity.pk}/"' in html
    # publishing again from a stale page is told at the top, and nothing changes
    again = page.post(f"/review/rounds/{rec.round.pk}/publicity/", {"title": "再来"}, follow=True)
    assert "当前状态为“公示中”" in again.content.decode()
    assert Publicity.objects.count() == 1
