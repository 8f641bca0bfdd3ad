"""Notifications: the inbox row in the writer's transaction, the email after commit, and each
person's inbox (their own only) on the API, the page and the header's badge."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from chanjiao.core.models import Notification
from chanjiao.core.notifications import notify, send_emails
from tests.conftest import ApiClient, client_for

A = "/api/v1"


@pytest.fixture
def people(school_admin, school_staff, province_officer):
    school_admin.email = "admin@school.example.cn"
    school_admin.save()
    return school_admin, school_staff, province_officer


def test_notify_writes_the_inbox_and_mails_after_commit(people, django_capture_on_commit_callbacks):
    admin, staff, officer = people
    officer.is_active = False
    officer.save()
    # when three people are told (one twice, one no longer active) inside a write
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = notify(
            [admin, staff, admin, officer],
            subject="申报“集成平台”已列入\n公示名单",
            body="公示期：2026-11-26至2026-12-02",
            url="/review/publicity/1/",
            kind="publicity.published",
        )
        # then nothing is mailed before the write commits
        assert mail.outbox == []
    # the two active people each get one row; the header line is one line
    assert sorted(r.recipient_id for r in rows) == sorted([admin.pk, staff.pk])
    assert Notification.objects.filter(subject="申报“集成平台”已列入 公示名单").count() == 2
    assert len(callbacks) == 1
    # and only the person with an address gets an email, with the link on the site
    assert [m.to for m in mail.outbox] == [["admin@school.example.cn"]]
    assert mail.outbox[0].subject == "申报“集成平台”已列入 公示名单"
    assert "http://" in mail.outbox[0].body
    assert mail.outbox[0].body.endswith("/review/publicity/1/")
    emailed = Notification.objects.get(recipient=admin)
    assert emailed.emailed_at is not None
    assert Notification.objects.get(recipient=staff).emailed_at is None
    # sending again sends nothing twice
    assert send_emails([n.pk for n in rows]) == 0


def test_a_refused_write_notifies_no_one(people, django_capture_on_commit_callbacks):
    admin, _staff, _officer = people
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify([admin], subject="不会发出")
                raise RuntimeError("the write is refused")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_mail_server_failure_leaves_the_inbox_and_mails_the_rest(people, monkeypatch):
    admin, staff, _officer = people
    staff.email = "staff@school.example.cn"
    staff.save()
    rows = notify([admin, staff], subject="提醒")
    import django.core.mail

    real = django.core.mail.send_mail

    def flaky(**kwargs):
        if kwargs["recipient_list"] == ["admin@school.example.cn"]:
            raise OSError("connection refused")
        return real(**kwargs)

    monkeypatch.setattr(django.core.mail, "send_mail", flaky)
    assert send_emails([n.pk for n in rows]) == 1
    assert [m.to for m in mail.outbox] == [["staff@school.example.cn"]]
    assert Notification.objects.get(recipient=admin).emailed_at is None
    assert Notification.objects.get(recipient=staff).emailed_at is not None


def test_the_api_lists_and_marks_only_ones_own(school_admin, school_staff):
    mine = [notify([school_admin], subject=f"给我的{i}")[0] for i in range(3)]
    theirs = notify([school_staff], subject="给别人的")[0]
    api = ApiClient(school_admin)
    listed = api.get(f"{A}/notifications").json()
    assert listed["count"] == 3
    assert [n["subject"] for n in listed["items"]] == ["给我的2", "给我的1", "给我的0"]
    # marking one read
    read = api.post(f"{A}/notifications/{mine[0].pk}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert api.get(f"{A}/notifications?unread=true").json()["count"] == 2
    # another person's notification is not there at all
    assert api.post(f"{A}/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # all read: only mine
    assert api.post(f"{A}/notifications/read-all").json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=school_admin, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_inbox_page_badge_and_link_through(school_admin, school_staff):
    first = notify([school_admin], subject="申报已列入公示名单", url="/review/publicity/7/")[0]
    second = notify([school_admin], subject="另一条", url="https://elsewhere.example.com/")[0]
    theirs = notify([school_staff], subject="别人的通知")[0]
    page = client_for(school_admin)
    html = page.get("/notifications/").content.decode()
    assert "申报已列入公示名单" in html
    assert "别人的通知" not in html
    assert html.count("data-unread ") + html.count("data-unread>") == 2
    assert "data-unread-count>2<" in html
    # opening one marks it read and goes to what it is about
    opened = page.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert opened.status_code == 302
    assert opened["Location"] == "/review/publicity/7/"
    # a link off the site is not followed
    off_site = page.post(f"/notifications/{second.pk}/read/", {"open": "1"})
    assert off_site["Location"] == "/notifications/"
    assert "data-unread-count" not in page.get("/notifications/").content.decode()
    # marking read with htmx answers the row alone
    third = notify([school_admin], subject="第三条")[0]
    row = page.post(f"/notifications/{third.pk}/read/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in row
    assert f'data-notification="{third.pk}"' in row
    assert "data-unread" not in row
    # another person's notification: 404, unchanged
    assert page.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    # all read
    notify([school_admin], subject="第四条")
    assert page.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=school_admin, read_at__isnull=True).exists()


def test_the_header_badge_costs_one_query(school_admin):
    notify([school_admin], subject="一条")
    page = client_for(school_admin)
    page.get("/")
    with CaptureQueriesContext(connection) as queries:
        html = page.get("/").content.decode()
    assert "data-unread-count>1<" in html
    assert sum('"core_notification"' in q["sql"] for q in queries.captured_queries) == 1
