"""The public publicity pages and API (no login): the list as published, the period with the days it
skips, how to object, the objection form; and nothing of the review behind it (no expert, no
score)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from chanjiao.core.services import holidays_load_seed
from chanjiao.review.models import Assignment, Objection, ScoreSheet

from .factories import make_enterprise, make_expert
from .factories_publicity import make_recommended_round, publish_directly

A = "/api/v1"
D = dt.date.fromisoformat


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def rec(regions, province_officer):
    return make_recommended_round(
        regions.anhui, province_officer, [regions.hefei_shushan, regions.wuhu_jinghu], listed=2, not_listed=1
    )


@pytest.fixture
def reviewed(rec, regions, province_officer):
    """An expert reviewed the first listed application and submitted 87.65."""
    expert = make_expert(regions.anhui, make_enterprise(regions.hefei_shushan), name="欧阳评审")
    app = rec.listed[0]
    assignment = Assignment.objects.create(
        round=rec.round, expert=expert, application=app, method="exact", created_by=province_officer
    )
    ScoreSheet.objects.create(
        assignment=assignment,
        round=rec.round,
        expert=expert,
        application=app,
        status="submitted",
        scores={"1.1": "8.5"},
        total=Decimal("87.65"),
        overall_comment="欧阳评审的总体评价",
        submitted_at=timezone.now(),
    )
    return expert


def test_the_public_list_and_page_need_no_login_and_show_no_review(rec, reviewed, province_officer):
    publicity = publish_directly(rec, province_officer, starts_on=days(-1), ends_on=days(4))
    client = Client()
    listing = client.get("/review/publicity/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f'data-publicity="{publicity.pk}"' in html
    assert 'data-phase="open"' in html
    page = client.get(f"/review/publicity/{publicity.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # the list: rank, applicant, city, title, type; the application below the cut is not on it
    first, second = rec.listed
    for app in (first, second):
        assert f'data-entry="{app.pk}"' in html
        assert app.applicant.name in html
        assert app.title in html
    assert "合肥市" in html
    assert "芜湖市" in html
    assert rec.not_listed[0].title not in html
    assert "data-objection-form" in html
    assert "data-how-to-object" in html
    assert "0551-62831234" in html  # the contact given
    # nothing of the review: no expert, no sheet, no score
    for secret in ("欧阳评审", "87.65", "90.00", "89.00", "总体评价"):
        assert secret not in html
    # the API says the same, and no more
    detail = client.get(f"{A}/publicities/{publicity.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert [(e["rank"], e["application_id"], e["city"]) for e in body["entries"]] == [
        (1, first.pk, "合肥市"),
        (2, second.pk, "芜湖市"),
    ]
    assert set(body["entries"][0]) == {"application_id", "rank", "applicant", "city", "title", "project_type"}
    assert body["objections_accepted"] is True
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("欧阳评审", "87.65", "90.0", "总体评价"):
        assert secret not in text
    listed = client.get(f"{A}/publicities").json()
    assert [(p["id"], p["listed"], p["phase"]) for p in listed["items"]] == [(publicity.pk, 2, "open")]
    assert client.get(f"{A}/publicities/{publicity.pk + 1000}").status_code == 404
    assert client.get(f"/review/publicity/{publicity.pk + 1000}/").status_code == 404


def test_the_period_names_the_days_it_skips_and_counts(rec, province_officer):
    # 30 Sep 2026 + 5 working days, across 国庆 with its makeup Saturday, ends on Mon 12 Oct
    holidays_load_seed()
    publicity = publish_directly(rec, province_officer, starts_on=D("2026-09-30"), ends_on=D("2026-10-12"))
    html = Client().get(f"/review/publicity/{publicity.pk}/").content.decode()
    assert "2026-09-30 至 2026-10-12，共 5 个工作日" in html
    assert "10月1日（国庆节）" in html
    assert "10月7日（国庆节）" in html
    assert "10月11日（周末）" in html
    worked = html[html.index("data-worked") :]
    assert "10月10日（国庆节调休上班）" in worked
    body = Client().get(f"{A}/publicities/{publicity.pk}").json()
    assert body["days_worked"] == [{"date": "2026-10-10", "name": "国庆节调休上班"}]
    assert len(body["days_skipped"]) == 8


def test_the_objection_form_on_the_public_page(rec, province_officer):
    publicity = publish_directly(rec, province_officer, starts_on=days(0), ends_on=days(6))
    client = Client()
    url = f"/review/publicity/{publicity.pk}/"
    refused = client.post(url, {"name": "王芳", "content": "有异议", "application": str(rec.listed[0].pk)})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "请填写联系电话（异议须实名提出，以便核实和答复）" in html
    assert 'data-error-for="phone"' in html
    assert not Objection.objects.exists()
    sent = client.post(
        url,
        {"name": "王芳", "phone": "025-83335555", "content": "有异议", "application": str(rec.listed[0].pk)},
    )
    assert sent.status_code == 302
    row = Objection.objects.get()
    assert (row.name, row.application_id, row.channel) == ("王芳", rec.listed[0].pk, "online")
    assert "您的异议已收到" in client.get(url).content.decode()


def test_an_upcoming_publicity_is_shown_but_takes_no_objection_yet(rec, province_officer):
    publicity = publish_directly(rec, province_officer, starts_on=days(2), ends_on=days(8))
    html = Client().get(f"/review/publicity/{publicity.pk}/").content.decode()
    assert 'data-phase="upcoming"' in html
    assert "data-objection-form" not in html
    assert f"公示期自 {days(2).isoformat()} 开始" in html


def test_current_first_then_upcoming_then_ended(regions, province_officer):
    def published(start: int, end: int):
        rec = make_recommended_round(regions.anhui, province_officer, [regions.hefei_shushan], listed=1)
        return publish_directly(rec, province_officer, starts_on=days(start), ends_on=days(end))

    ended = published(-20, -10)
    upcoming = published(3, 9)
    current = published(-1, 5)
    ended_later = published(-9, -2)
    items = Client().get(f"{A}/publicities").json()["items"]
    assert [p["id"] for p in items] == [current.pk, upcoming.pk, ended_later.pk, ended.pk]
    assert [p["phase"] for p in items] == ["open", "upcoming", "ended", "ended"]
