"""Objections (异议): raised by the public in their real name during the period, recorded by staff
from letters, calls and visits received in time, answered once with an outcome; the province's
staff are told; the observer reads them all and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from chanjiao.core.models import AuditEntry, Notification
from chanjiao.review.models import Objection
from chanjiao.review.publicity_selectors import objections_open
from tests.conftest import ApiClient, client_for, error_codes

from .factories_publicity import make_recommended_round, publish_directly

A = "/api/v1"


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def rec(regions, province_officer):
    return make_recommended_round(
        regions.anhui, province_officer, [regions.hefei_shushan, regions.wuhu_jinghu]
    )


@pytest.fixture
def open_publicity(rec, province_officer):
    """Published two days ago, ending in five days."""
    return publish_directly(rec, province_officer, starts_on=days(-2), ends_on=days(5))


@pytest.fixture
def ended_publicity(rec, province_officer):
    """Ended yesterday."""
    return publish_directly(rec, province_officer, starts_on=days(-8), ends_on=days(-1))


def objection(**fields) -> dict:
    return {"name": "张明", "phone": "13812345678", "content": "该项目合作企业投入未实际到位。", **fields}


def test_anyone_objects_without_logging_in_and_staff_are_told(
    open_publicity, rec, province_officer, jiangsu_officer, observer
):
    client = Client()
    sent = client.post(
        f"{A}/publicities/{open_publicity.pk}/objections",
        objection(application_id=rec.listed[1].pk, organization_name="某职业学院", email="zm@example.cn"),
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["application_id"] == rec.listed[1].pk
    row = Objection.objects.get()
    assert (row.name, row.phone, row.channel, row.recorded_by_id) == ("张明", "13812345678", "online", None)
    assert row.application_id == rec.listed[1].pk
    # the round's province staff are told, not another province's, nor the observer
    told = Notification.objects.filter(kind="publicity.objection")
    assert [n.recipient_id for n in told] == [province_officer.pk]
    assert told[0].url == f"/review/rounds/{rec.round.pk}/publicity/"
    assert "张明（网上提交，针对“" in told[0].body
    assert AuditEntry.objects.filter(action="objection.create", object_id=str(row.pk)).exists()
    # an objection to the list as a whole names no application
    assert (
        client.post(
            f"{A}/publicities/{open_publicity.pk}/objections", objection(), content_type="application/json"
        ).status_code
        == 201
    )


def test_real_name_phone_and_content_are_required_and_nothing_stored(open_publicity, rec):
    api = ApiClient()
    refused = api.post(
        f"{A}/publicities/{open_publicity.pk}/objections",
        {"name": "", "phone": "", "content": "", "email": "not-an-address"},
    )
    assert refused.status_code == 422
    assert sorted(error_codes(refused)) == [
        "objection.content_required",
        "objection.email_invalid",
        "objection.name_required",
        "objection.phone_required",
    ]
    bad_phone = api.post(f"{A}/publicities/{open_publicity.pk}/objections", objection(phone="12ab"))
    assert error_codes(bad_phone) == ["objection.phone_invalid"]
    assert "（当前：12ab）" in bad_phone.json()["errors"][0]["message"]
    # an application that is not on this list (the one ranked below the cut)
    not_listed = api.post(
        f"{A}/publicities/{open_publicity.pk}/objections", objection(application_id=rec.not_listed[0].pk)
    )
    assert not_listed.status_code == 422
    assert error_codes(not_listed) == ["objection.application_not_listed"]
    assert f"（当前：{rec.not_listed[0].pk}）" in not_listed.json()["errors"][0]["message"]
    assert not Objection.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEntry.objects.filter(action="objection.create").exists()


def test_after_the_period_an_objection_is_refused_and_nothing_stored(ended_publicity):
    refused = ApiClient().post(f"{A}/publicities/{ended_publicity.pk}/objections", objection())
    assert refused.status_code == 409
    assert error_codes(refused) == ["objection.period_ended"]
    assert refused.json()["errors"][0]["message"] == (
        f"公示期已于{days(-1).isoformat()}结束，不再受理异议（当前：{days(0).isoformat()}）"
    )
    assert not Objection.objects.exists()
    assert not Notification.objects.exists()
    # the page says so and offers no form; a late post is told the same and stores nothing
    page = Client()
    html = page.get(f"/review/publicity/{ended_publicity.pk}/").content.decode()
    assert "data-objection-form" not in html
    assert f"公示期已于 {days(-1).isoformat()} 结束，不再受理异议。" in html
    late = page.post(f"/review/publicity/{ended_publicity.pk}/", objection(), follow=True)
    assert f"公示期已于{days(-1).isoformat()}结束" in late.content.decode()
    assert not Objection.objects.exists()


def test_before_the_period_an_objection_waits(rec, province_officer):
    publicity = publish_directly(rec, province_officer, starts_on=days(3), ends_on=days(9))
    refused = ApiClient().post(f"{A}/publicities/{publicity.pk}/objections", objection())
    assert refused.status_code == 409
    assert error_codes(refused) == ["objection.period_not_started"]
    assert not Objection.objects.exists()


def test_staff_record_a_letter_received_in_time_even_after_the_period(ended_publicity, rec, province_officer):
    api = ApiClient(province_officer)
    url = f"{A}/publicities/{ended_publicity.pk}/objections/record"
    in_time = days(-3)
    recorded = api.post(
        url, objection(channel="letter", received_on=in_time.isoformat(), application_id=rec.listed[0].pk)
    )
    assert recorded.status_code == 201, recorded.json()
    body = recorded.json()
    assert (body["channel"], body["channel_display"], body["recorded_by"]) == (
        "letter",
        "书面材料",
        "province",
    )
    assert timezone.localtime(Objection.objects.get().received_at).date() == in_time
    # received after the period, in the future, or online: refused, nothing stored
    late = api.post(url, objection(channel="phone", received_on=days(0).isoformat()))
    assert late.status_code == 422
    assert error_codes(late) == ["objection.received_outside_period"]
    assert late.json()["errors"][0]["message"] == (
        f"只受理公示期内（{days(-8).isoformat()}至{days(-1).isoformat()}）收到的异议（当前：{days(0).isoformat()}）"
    )
    future = api.post(url, objection(channel="visit", received_on=days(1).isoformat()))
    assert error_codes(future) == ["objection.received_in_future"]
    online = api.post(url, objection(channel="online", received_on=in_time.isoformat(), name=""))
    assert sorted(error_codes(online)) == ["objection.channel_invalid", "objection.name_required"]
    assert Objection.objects.count() == 1


def test_answer_needs_both_and_is_given_once(
    open_publicity, province_officer, django_capture_on_commit_callbacks
):
    row = Objection.objects.create(
        publicity=open_publicity, name="张明", phone="13812345678", email="zm@example.cn", content="投入不实"
    )
    api = ApiClient(province_officer)
    url = f"{A}/objections/{row.pk}/answer"
    no_outcome = api.post(url, {"answer": "经核查，合作企业投入已到位。"})
    assert no_outcome.status_code == 422
    assert error_codes(no_outcome) == ["objection.outcome_required"]
    assert (
        no_outcome.json()["errors"][0]["message"]
        == "请选择处理结论：异议成立、部分成立、异议不成立（当前：空）"
    )
    no_answer = api.post(url, {"outcome": "dismissed"})
    assert error_codes(no_answer) == ["objection.answer_required"]
    wrong = api.post(url, {"answer": "x", "outcome": "maybe"})
    assert error_codes(wrong) == ["objection.outcome_invalid"]
    row.refresh_from_db()
    assert (row.answer, row.outcome, row.answered_at) == ("", "", None)
    assert not AuditEntry.objects.filter(action="objection.answer").exists()
    # answered: stored, audited, and mailed to the objector who left an address
    with django_capture_on_commit_callbacks(execute=True):
        answered = api.post(url, {"answer": "经核查，合作企业投入已到位。", "outcome": "dismissed"})
    assert answered.status_code == 200
    assert answered.json()["outcome_display"] == "异议不成立"
    assert answered.json()["answered_by"] == "province"
    assert AuditEntry.objects.filter(action="objection.answer", object_id=str(row.pk)).count() == 1
    assert [m.to for m in mail.outbox] == [["zm@example.cn"]]
    assert "处理结论：异议不成立" in mail.outbox[0].body
    # once only
    again = api.post(url, {"answer": "再答复", "outcome": "upheld"})
    assert again.status_code == 409
    assert error_codes(again) == ["objection.already_answered"]
    row.refresh_from_db()
    assert row.outcome == "dismissed"


def test_open_objections_for_the_award_decision(open_publicity, rec, province_officer):
    first, second = rec.listed
    on_first = Objection.objects.create(
        publicity=open_publicity, application=first, name="甲", phone="13800000001", content="一"
    )
    on_all = Objection.objects.create(publicity=open_publicity, name="乙", phone="13800000002", content="二")
    on_second = Objection.objects.create(
        publicity=open_publicity, application=second, name="丙", phone="13800000003", content="三"
    )
    assert list(objections_open(open_publicity)) == [on_first, on_all, on_second]
    assert list(objections_open(open_publicity, first)) == [on_first, on_all]
    ApiClient(province_officer).post(
        f"{A}/objections/{on_all.pk}/answer", {"answer": "名单符合程序。", "outcome": "dismissed"}
    )
    assert list(objections_open(open_publicity, first)) == [on_first]
    assert list(objections_open(open_publicity, second)) == [on_second]


def test_the_observer_reads_every_objection_and_writes_nothing(
    open_publicity, rec, observer, jiangsu_officer
):
    row = Objection.objects.create(
        publicity=open_publicity, name="张明", phone="13812345678", content="投入不实"
    )
    api = ApiClient(observer)
    listed = api.get(f"{A}/publicities/{open_publicity.pk}/objections")
    assert listed.status_code == 200
    assert [(o["name"], o["phone"], o["answered"]) for o in listed.json()["items"]] == [
        ("张明", "13812345678", False)
    ]
    assert api.get(f"{A}/publicities/{open_publicity.pk}/objections?answered=true").json()["count"] == 0
    entries = AuditEntry.objects.count()
    assert (
        api.post(
            f"{A}/publicities/{open_publicity.pk}/objections/record", objection(channel="letter")
        ).status_code
        == 403
    )
    assert (
        api.post(f"{A}/objections/{row.pk}/answer", {"answer": "x", "outcome": "upheld"}).status_code == 403
    )
    page = client_for(observer)
    html = page.get(f"/review/rounds/{rec.round.pk}/publicity/").content.decode()
    assert f'data-objection="{row.pk}"' in html
    assert "13812345678" in html
    assert "data-answer-form" not in html
    assert "data-record-form" not in html
    assert (
        page.post(f"/review/objections/{row.pk}/answer/", {"answer": "x", "outcome": "upheld"}).status_code
        == 403
    )
    assert (
        page.post(
            f"/review/rounds/{rec.round.pk}/publicity/objections/", objection(channel="letter")
        ).status_code
        == 403
    )
    row.refresh_from_db()
    assert row.answered_at is None
    assert Objection.objects.count() == 1
    assert AuditEntry.objects.count() == entries
    # another province's staff see none of it
    other = ApiClient(jiangsu_officer)
    assert other.get(f"{A}/publicities/{open_publicity.pk}/objections").status_code == 404
    assert (
        other.post(f"{A}/objections/{row.pk}/answer", {"answer": "x", "outcome": "upheld"}).status_code == 404
    )


def test_staff_record_and_answer_on_the_page(open_publicity, rec, province_officer):
    page = client_for(province_officer)
    base = f"/review/rounds/{rec.round.pk}/publicity/"
    refused = page.post(f"{base}objections/", {"channel": "phone", "name": "李华", "content": "有异议"})
    assert refused.status_code == 422
    assert "请填写联系电话" in refused.content.decode()
    assert not Objection.objects.exists()
    ok = page.post(
        f"{base}objections/",
        {
            "channel": "phone",
            "name": "李华",
            "phone": "0551-62831234",
            "content": "有异议",
            "application": str(rec.listed[0].pk),
        },
    )
    assert ok.status_code == 302
    row = Objection.objects.get()
    assert (row.channel, row.application_id, row.recorded_by_id) == (
        "phone",
        rec.listed[0].pk,
        province_officer.pk,
    )
    no_outcome = page.post(f"/review/objections/{row.pk}/answer/", {"answer": "已核查"})
    assert no_outcome.status_code == 422
    assert "请选择处理结论" in no_outcome.content.decode()
    done = page.post(
        f"/review/objections/{row.pk}/answer/", {"answer": "已核查，属实。", "outcome": "upheld"}
    )
    assert done.status_code == 302
    html = page.get(base).content.decode()
    assert 'data-outcome="upheld"' in html
    assert "已核查，属实。" in html
    stale = page.post(
        f"/review/objections/{row.pk}/answer/", {"answer": "又一次", "outcome": "dismissed"}, follow=True
    )
    assert "不能再次答复" in stale.content.decode()
