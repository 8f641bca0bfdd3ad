"""Working days and the holiday list: worked examples counted by hand on the 2026 calendar, the
shipped 2026 arrangement, and the holiday page and API (province staff keep it, the rest read it)."""

from __future__ import annotations

import datetime as dt

import pytest

from chanjiao.core.calendar import special_days, working_days_between, working_days_from
from chanjiao.core.models import AuditEntry, Holiday
from chanjiao.core.services import holidays_load_seed
from tests.conftest import ApiClient, client_for, error_codes

D = dt.date.fromisoformat
A = "/api/v1"


@pytest.fixture
def seed_2026(db):
    holidays_load_seed()


# --- counting -------------------------------------------------------------------------------------


def test_a_thursday_and_five_working_days_end_on_the_next_wednesday(db):
    # Thu 26 Nov (1), Fri 27 (2), Sat–Sun skipped, Mon 30 (3), Tue 1 Dec (4), Wed 2 Dec (5)
    assert working_days_from(D("2026-11-26"), 5) == D("2026-12-02")


def test_a_period_starting_on_a_sunday_begins_on_the_monday(db):
    # Sun 22 Nov is not counted: Mon 23 (1) … Fri 27 (5)
    assert working_days_from(D("2026-11-22"), 5) == D("2026-11-27")
    assert working_days_from(D("2026-11-22"), 1) == D("2026-11-23")


def test_across_the_national_day_the_makeup_saturday_counts(seed_2026):
    # Wed 30 Sep (1); 1–7 Oct 国庆 off; Thu 8 (2), Fri 9 (3), Sat 10 Oct 调休上班 (4), Sun 11 off,
    # Mon 12 (5). Without the makeup Saturday the period would end on Tue 13 Oct.
    assert working_days_from(D("2026-09-30"), 5) == D("2026-10-12")
    # and the makeup Sunday before it: Fri 18 Sep (1), Sun 20 Sep 调休上班 (2), Mon 21 (3)
    assert working_days_from(D("2026-09-18"), 3) == D("2026-09-21")
    # a period that starts on a holiday begins when work resumes
    assert working_days_from(D("2026-10-01"), 1) == D("2026-10-08")


def test_the_spring_festival_skips_nine_days(seed_2026):
    # Fri 13 Feb (1), Sat 14 Feb 调休上班 (2), 15–23 Feb 春节 off, Tue 24 Feb (3)
    assert working_days_from(D("2026-02-13"), 2) == D("2026-02-14")
    assert working_days_from(D("2026-02-13"), 3) == D("2026-02-24")


def test_working_days_between_counts_both_ends(seed_2026):
    # Mon 28, Tue 29, Wed 30 Sep, Thu 8, Fri 9, Sat 10 Oct (调休) = 6
    assert working_days_between(D("2026-09-28"), D("2026-10-11")) == 6
    assert working_days_between(D("2026-10-02"), D("2026-10-01")) == 0


def test_a_period_needs_one_working_day_at_least(db):
    with pytest.raises(ValueError, match="at least one working day"):
        working_days_from(D("2026-11-26"), 0)


def test_the_days_a_period_counts_differently_are_named(seed_2026):
    days = special_days(D("2026-09-30"), D("2026-10-12"))
    skipped = [(d.date.isoformat(), d.name) for d in days if not d.counts]
    worked = [(d.date.isoformat(), d.name) for d in days if d.counts]
    assert skipped == [(f"2026-10-0{i}", "国庆节") for i in range(1, 8)] + [("2026-10-11", "周末")]
    assert worked == [("2026-10-10", "国庆节调休上班")]


def test_a_day_added_by_hand_moves_the_end(db):
    # a one-off day off on Mon 30 Nov: Thu 26 + 5 working days now ends on Thu 3 Dec
    Holiday.objects.create(date=D("2026-11-30"), name="临时休假")
    assert working_days_from(D("2026-11-26"), 5) == D("2026-12-03")


# --- the shipped 2026 arrangement ------------------------------------------------------------------


def test_the_2026_seed_is_the_state_councils_arrangement_and_loads_once(db):
    first = holidays_load_seed()
    assert first == {"created": 39, "kept": 0}
    workdays = sorted(h.date.isoformat() for h in Holiday.objects.filter(is_workday=True))
    assert workdays == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    off = Holiday.objects.filter(is_workday=False)
    assert off.count() == 33  # 元旦3 + 春节9 + 清明3 + 劳动节5 + 端午3 + 中秋3 + 国庆7
    assert list(off.filter(name="春节").values_list("date", flat=True)) == [
        D("2026-02-15") + dt.timedelta(days=i) for i in range(9)
    ]
    assert all(
        h.weekday() >= 5 for h in Holiday.objects.filter(is_workday=True).values_list("date", flat=True)
    )
    # a correction made by hand survives a second load, which changes nothing
    Holiday.objects.filter(date=D("2026-06-19")).update(name="端午节（改）")
    entries = AuditEntry.objects.count()
    assert holidays_load_seed() == {"created": 0, "kept": 39}
    assert Holiday.objects.get(date=D("2026-06-19")).name == "端午节（改）"
    assert AuditEntry.objects.count() == entries


# --- the holiday list: page and API ----------------------------------------------------------------


def test_province_staff_add_and_remove_a_day_through_the_api(province_officer, jiangsu_officer):
    api = ApiClient(province_officer)
    added = api.post(
        f"{A}/holidays",
        {"date": "2027-01-01", "name": "元旦", "note": "国务院办公厅关于2027年部分节假日安排的通知"},
    )
    assert added.status_code == 201
    assert added.json() == {
        "date": "2027-01-01",
        "name": "元旦",
        "is_workday": False,
        "note": "国务院办公厅关于2027年部分节假日安排的通知",
    }
    assert AuditEntry.objects.filter(action="holiday.create", object_repr__startswith="2027-01-01").exists()
    # the list is national: staff of another province keep it too, and see the same days
    listed = ApiClient(jiangsu_officer).get(f"{A}/holidays?year=2027").json()
    assert [h["date"] for h in listed["items"]] == ["2027-01-01"]
    assert ApiClient(jiangsu_officer).delete(f"{A}/holidays/2027-01-01").status_code == 204
    assert not Holiday.objects.filter(date=D("2027-01-01")).exists()
    assert AuditEntry.objects.filter(action="holiday.revoke").count() == 1
    assert api.delete(f"{A}/holidays/2027-01-01").status_code == 404


def test_a_date_twice_is_refused_and_nothing_stored(province_officer):
    Holiday.objects.create(date=D("2026-10-01"), name="国庆节")
    api = ApiClient(province_officer)
    entries = AuditEntry.objects.count()
    twice = api.post(f"{A}/holidays", {"date": "2026-10-01", "name": "国庆"})
    assert twice.status_code == 409
    assert error_codes(twice) == ["holiday.duplicate"]
    assert twice.json()["errors"][0]["message"].startswith("2026-10-01已在节假日表中（国庆节，放假）")
    assert Holiday.objects.get(date=D("2026-10-01")).name == "国庆节"
    assert AuditEntry.objects.count() == entries


def test_a_weekday_cannot_be_a_makeup_workday_and_a_name_is_needed(province_officer):
    refused = ApiClient(province_officer).post(
        f"{A}/holidays", {"date": "2026-10-08", "name": "", "is_workday": True}
    )
    assert refused.status_code == 422
    assert sorted(error_codes(refused)) == ["holiday.name_required", "holiday.workday_not_weekend"]
    messages = {e["code"]: e["message"] for e in refused.json()["errors"]}
    assert messages["holiday.workday_not_weekend"] == "调休上班日应为周六或周日（当前：2026-10-08，星期四）"
    assert not Holiday.objects.exists()


def test_the_observer_reads_and_may_not_edit(observer, province_officer):
    Holiday.objects.create(date=D("2026-10-01"), name="国庆节")
    api = ApiClient(observer)
    assert [h["date"] for h in api.get(f"{A}/holidays").json()["items"]] == ["2026-10-01"]
    assert api.post(f"{A}/holidays", {"date": "2026-10-02", "name": "国庆节"}).status_code == 403
    assert api.delete(f"{A}/holidays/2026-10-01").status_code == 403
    page = client_for(observer)
    html = page.get("/holidays/?year=2026").content.decode()
    assert 'data-holiday="2026-10-01"' in html
    assert "登记一天" not in html
    assert page.post("/holidays/", {"date": "2026-10-02", "name": "国庆节"}).status_code == 403
    assert page.post("/holidays/2026-10-01/remove/").status_code == 403
    assert list(Holiday.objects.values_list("date", flat=True)) == [D("2026-10-01")]


def test_the_page_adds_refuses_and_removes(province_officer):
    page = client_for(province_officer)
    ok = page.post("/holidays/", {"date": "2026-10-10", "name": "国庆节调休上班", "is_workday": "on"})
    assert ok.status_code == 302
    assert ok["Location"] == "/holidays/?year=2026"
    assert Holiday.objects.get(date=D("2026-10-10")).is_workday
    twice = page.post("/holidays/", {"date": "2026-10-10", "name": "再来一次"})
    assert twice.status_code == 422
    assert "2026-10-10已在节假日表中（国庆节调休上班，调休上班）" in twice.content.decode()
    html = page.get("/holidays/?year=2026").content.decode()
    assert 'data-holiday="2026-10-10"' in html
    assert "星期六" in html
    assert page.post("/holidays/2026-10-10/remove/").status_code == 302
    assert not Holiday.objects.exists()
    assert page.post("/holidays/2026-02-30/remove/").status_code == 404
