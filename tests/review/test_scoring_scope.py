"""Who sees which sheet: an expert their own only (another expert's is 404 through the API and the
pages, a reserve has none), staff and the observer every sheet's status but the contents of
submitted sheets only (a draft's values appear nowhere: not in the API, the pages or the audit
log), the observer reads and never writes, another province sees nothing."""

from __future__ import annotations

import json

import pytest

from chanjiao.core.models import AuditEntry
from chanjiao.review.models import ScoreSheet
from tests.conftest import ApiClient, client_for

from .scoring_factories import full_sheet, scoring_case

A = "/api/v1"
SECRET_COMMENT = "草稿里尚未成形的评语"
SECRET_SCORE = "6.25"


@pytest.fixture
def case(review, regions, expert, enterprise, province_officer):
    return scoring_case(review, regions, expert, enterprise, province_officer)


@pytest.fixture
def sheets(case, expert):
    """`me` has a draft on app 0 and a submitted sheet on app 1; `other` has not started."""
    api = ApiClient(expert)
    draft = api.put(
        f"{A}/assigned-applications/{case.apps[0].pk}/sheet",
        {"expected_version": 0, "scores": {"1.1": SECRET_SCORE}, "comments": {"1": SECRET_COMMENT}},
    )
    submitted = api.post(
        f"{A}/assigned-applications/{case.apps[1].pk}/sheet/submit", {"expected_version": 0, **full_sheet()}
    )
    assert (draft.status_code, submitted.status_code) == (200, 200)
    return ScoreSheet.objects.get(pk=draft.json()["id"]), ScoreSheet.objects.get(pk=submitted.json()["id"])


def other_expert_client(case, api: bool):
    return ApiClient(case.other.user) if api else client_for(case.other.user)


def test_another_expert_cannot_read_or_write_my_sheet(case, sheets):
    draft, submitted = sheets
    api, page = other_expert_client(case, True), other_expert_client(case, False)
    # app 1 is not theirs to review
    assert api.get(f"{A}/assigned-applications/{case.apps[1].pk}/sheet").status_code == 404
    for sheet in (draft, submitted):
        assert api.get(f"{A}/score-sheets/{sheet.pk}").status_code == 404
        assert page.get(f"/review/sheets/{sheet.pk}/").status_code == 404
    assert page.get(f"/review/mine/{case.apps[1].pk}/sheet/").status_code == 404
    before = list(ScoreSheet.objects.order_by("pk").values_list("pk", "row_version", "scores"))
    put = api.put(f"{A}/assigned-applications/{case.apps[1].pk}/sheet", {"expected_version": 2, "scores": {}})
    assert put.status_code == 404
    assert page.post(f"/review/mine/{case.apps[1].pk}/sheet/", {"expected_version": "2"}).status_code == 404
    assert list(ScoreSheet.objects.order_by("pk").values_list("pk", "row_version", "scores")) == before
    # app 0 they review too: they get their own, empty sheet, never mine
    theirs = api.get(f"{A}/assigned-applications/{case.apps[0].pk}/sheet").json()
    assert (theirs["id"], theirs["status"], theirs["scores"]) == (None, "not_started", {})
    html = page.get(f"/review/mine/{case.apps[0].pk}/sheet/").content.decode()
    assert SECRET_COMMENT not in html
    assert f'value="{SECRET_SCORE}"' not in html


def test_an_expert_reads_their_own_sheet_by_its_id(case, sheets, expert):
    draft, submitted = sheets
    api = ApiClient(expert)
    body = api.get(f"{A}/score-sheets/{draft.pk}").json()
    assert (body["status"], body["comments"], body["running_total"]) == (
        "draft",
        {"1": SECRET_COMMENT},
        "12.50",
    )
    assert api.get(f"{A}/score-sheets/{submitted.pk}").json()["total"] == "87.89"
    assert client_for(expert).get(f"/review/sheets/{submitted.pk}/").status_code == 200


def test_a_reserve_has_no_sheet(case, expert):
    # `me` is a reserve on app 2: a reserve is not a reviewer
    api = ApiClient(expert)
    assert api.get(f"{A}/assigned-applications/{case.apps[2].pk}/sheet").status_code == 404
    response = api.put(f"{A}/assigned-applications/{case.apps[2].pk}/sheet", {"expected_version": 0})
    assert response.status_code == 404
    assert client_for(expert).get(f"/review/mine/{case.apps[2].pk}/sheet/").status_code == 404
    assert not ScoreSheet.objects.exists()


@pytest.mark.parametrize("reader", ["province_officer", "observer"])
def test_a_drafts_contents_are_never_shown_to_staff_or_the_observer(case, sheets, reader, request):
    draft, submitted = sheets
    user = request.getfixturevalue(reader)
    api, page = ApiClient(user), client_for(user)
    # the progress lists the draft's status, without a total
    rows = api.get(f"{A}/review-rounds/{case.round.pk}/sheets").json()
    by_sheet = {r["sheet_id"]: r for r in rows["items"]}
    assert rows["count"] == 4  # 3 applications: me on 0 and 1, other on 0 and 2
    assert (by_sheet[draft.pk]["status"], by_sheet[draft.pk]["total"]) == ("draft", None)
    assert (by_sheet[submitted.pk]["status"], by_sheet[submitted.pk]["total"]) == ("submitted", "87.89")
    assert by_sheet[None]["status"] == "not_started"
    # the draft itself is not theirs to open; the submitted sheet is, whole, with its expert
    assert api.get(f"{A}/score-sheets/{draft.pk}").status_code == 404
    assert page.get(f"/review/sheets/{draft.pk}/").status_code == 404
    body = api.get(f"{A}/score-sheets/{submitted.pk}").json()
    assert (body["expert"]["name"], body["comments"], body["total"]) == (
        case.me.name,
        full_sheet()["comments"],
        "87.89",
    )
    # and the draft's words and score appear nowhere they read: API, pages, the audit log
    texts = [
        json.dumps(rows, ensure_ascii=False),
        page.get(f"/review/rounds/{case.round.pk}/sheets/").content.decode(),
        page.get(f"/review/rounds/{case.round.pk}/sheets/?by=expert").content.decode(),
        page.get(f"/review/sheets/{submitted.pk}/").content.decode(),
        json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)), ensure_ascii=False),
    ]
    for text in texts:
        assert SECRET_COMMENT not in text
        assert SECRET_SCORE not in text


def test_the_draft_save_is_audited_by_which_parts_changed(case, sheets):
    draft, _submitted = sheets
    entry = AuditEntry.objects.get(action="score_sheet.save", object_id=str(draft.pk))
    assert entry.changes == {"row_version": [0, 1], "parts": [None, ["comments", "scores"]]}
    submit = AuditEntry.objects.get(action="score_sheet.submit")
    assert submit.changes["total"] == [None, "87.89"]
    assert submit.changes["scores"] == [None, {"1.1": "7.5", "1.2": "5", "2.1": "8.3"}]


def test_the_observer_reads_and_never_writes(case, sheets, observer):
    draft, submitted = sheets
    api, page = ApiClient(observer), client_for(observer)
    assert api.get(f"{A}/review-rounds/{case.round.pk}/sheets").status_code == 200
    assert page.get(f"/review/rounds/{case.round.pk}/sheets/").status_code == 200
    assert page.get(f"/review/sheets/{submitted.pk}/").status_code == 200
    before = (
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version")),
        AuditEntry.objects.count(),
    )
    url = f"{A}/assigned-applications/{case.apps[0].pk}/sheet"
    assert api.put(url, {"expected_version": 1, "scores": {}}).status_code == 403
    assert api.post(url + "/submit", {"expected_version": 1}).status_code == 403
    assert api.post(url + "/recuse", {"reason": "x"}).status_code == 403
    assert page.post(f"/review/mine/{case.apps[0].pk}/sheet/", {"expected_version": "1"}).status_code == 403
    assert page.post(f"/review/mine/{case.apps[0].pk}/recuse/", {"reason": "x"}).status_code == 403
    after = (
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version")),
        AuditEntry.objects.count(),
    )
    assert after == before


def test_another_province_sees_none_of_it(case, sheets, jiangsu_officer):
    _draft, submitted = sheets
    api = ApiClient(jiangsu_officer)
    assert api.get(f"{A}/review-rounds/{case.round.pk}/sheets").status_code == 404
    assert api.get(f"{A}/score-sheets/{submitted.pk}").status_code == 404
    page = client_for(jiangsu_officer)
    assert page.get(f"/review/rounds/{case.round.pk}/sheets/").status_code == 404
    assert page.get(f"/review/sheets/{submitted.pk}/").status_code == 404
