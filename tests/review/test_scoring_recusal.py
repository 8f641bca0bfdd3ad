"""Recusal (回避) from the score sheet: a reason is required, the application disappears from the
expert at once (API and pages 404), the recused sheet stays on record with its assignment, and
the place is staff's to fill. And how the assignment's other writes treat a sheet hanging on it."""

from __future__ import annotations

import pytest

from chanjiao.core.errors import ConflictError
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.review import assignment as assigning
from chanjiao.review import conflicts
from chanjiao.review.models import Assignment, Conflict, ScoreSheet
from tests.conftest import ApiClient, actor_of, client_for, error_codes

from .factories import make_expert, make_school
from .scoring_factories import full_sheet, scoring_case

A = "/api/v1"


@pytest.fixture
def case(review, regions, expert, enterprise, province_officer):
    return scoring_case(review, regions, expert, enterprise, province_officer)


def state() -> tuple:
    return (
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version", "recusal_reason")),
        list(Conflict.objects.order_by("pk").values_list("pk", "kind")),
        list(Assignment.objects.order_by("pk").values_list("pk", "expert_id", "application_id")),
        AuditEntry.objects.count(),
    )


def test_a_recusal_needs_a_reason_and_stores_nothing_without_one(case, expert):
    api = ApiClient(expert)
    before = state()
    for reason in ("", "   "):
        response = api.post(f"{A}/assigned-applications/{case.apps[0].pk}/sheet/recuse", {"reason": reason})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "reason",
                "code": "score_sheet.recusal_reason_required",
                "message": "请写明回避的理由（当前：空）",
            }
        ]
    assert state() == before


def test_recusing_hides_the_application_at_once_and_keeps_the_record(case, expert, province_officer):
    api, page = ApiClient(expert), client_for(expert)
    app = case.apps[0]
    # given a draft with some scores
    assert (
        api.put(
            f"{A}/assigned-applications/{app.pk}/sheet", {"expected_version": 0, **full_sheet()}
        ).status_code
        == 200
    )
    # when the expert recuses with a reason
    response = api.post(f"{A}/assigned-applications/{app.pk}/sheet/recuse", {"reason": "曾在该校兼职授课"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "recused"
    # then the sheet is recused with the reason, its draft values discarded
    sheet = ScoreSheet.objects.get(assignment=case.mine[0])
    assert (sheet.status, sheet.recusal_reason, sheet.scores, sheet.comments) == (
        "recused",
        "曾在该校兼职授课",
        {},
        {},
    )
    # and the conflict is declared with the same reason, the assignment kept as the sheet's record
    conflict = Conflict.objects.get(round=case.round, expert=case.me, application=app)
    assert (conflict.kind, conflict.source, conflict.reason) == ("declared", "declared", "曾在该校兼职授课")
    assert Assignment.objects.filter(pk=case.mine[0].pk).exists()
    # and the application is gone from the expert everywhere: 404, never 403
    assert api.get(f"{A}/assigned-applications/{app.pk}/sheet").status_code == 404
    assert api.get(f"{A}/assigned-applications/{app.pk}").status_code == 404
    assert api.get(f"{A}/score-sheets/{sheet.pk}").status_code == 404
    assert api.post(f"{A}/assigned-applications/{app.pk}/sheet/recuse", {"reason": "再来"}).status_code == 404
    for url in (f"/review/mine/{app.pk}/", f"/review/mine/{app.pk}/sheet/", f"/review/mine/{app.pk}/recuse/"):
        assert page.get(url).status_code == 404, url
    assert [i["application"]["id"] for i in api.get(f"{A}/assigned-applications").json()["items"]] == [
        case.apps[1].pk
    ]
    assert app.title not in page.get("/review/mine/").content.decode()
    # and the round's staff are told, with a link to the application's assignments
    note = Notification.objects.get(recipient=province_officer)
    assert note.subject == f"专家“{case.me.name}”申报回避：{app.title}"
    assert note.url == f"/review/rounds/{case.round.pk}/applications/{app.pk}/"


def test_staff_see_the_recusal_and_fill_the_place(case, expert, province_officer, regions):
    app = case.apps[0]
    staff = ApiClient(province_officer)
    coverage = staff.get(f"{A}/review-rounds/{case.round.pk}/applications").json()["items"]
    assert {c["application"]["id"]: c["assigned"] for c in coverage}[app.pk] == 2
    assert (
        ApiClient(expert)
        .post(f"{A}/assigned-applications/{app.pk}/sheet/recuse", {"reason": "亲属"})
        .status_code
        == 200
    )
    # the recused expert no longer counts among the application's reviewers
    coverage = staff.get(f"{A}/review-rounds/{case.round.pk}/applications").json()["items"]
    assert {c["application"]["id"]: c["assigned"] for c in coverage}[app.pk] == 1
    rows = staff.get(f"{A}/review-rounds/{case.round.pk}/sheets?application={app.pk}").json()["items"]
    assert {r["expert"]["id"]: r["status"] for r in rows} == {
        case.me.pk: "recused",
        case.other.pk: "not_started",
    }
    html = client_for(province_officer).get(f"/review/rounds/{case.round.pk}/applications/{app.pk}/").content
    assert 'data-recused title="亲属"' in html.decode()
    # so staff may assign another expert by hand though k = 2 assignments are on record
    third = make_expert(regions.anhui, make_school(regions.hefei_shushan), name="第三位专家")
    added = staff.post(
        f"{A}/assignments",
        {"round_id": case.round.pk, "expert_id": third.pk, "application_id": app.pk, "reason": "回避后递补"},
    )
    assert added.status_code == 201, added.content
    # but the recused expert's assignment cannot be removed: it is the recusal's record
    refused = staff.post(f"{A}/assignments/{case.mine[0].pk}/remove", {"reason": "清理"})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "assignment.has_sheet"
    assert Assignment.objects.filter(pk=case.mine[0].pk).exists()


def test_a_submitted_sheet_cannot_be_recused(case, expert):
    api = ApiClient(expert)
    url = f"{A}/assigned-applications/{case.apps[0].pk}/sheet"
    assert api.post(url + "/submit", {"expected_version": 0, **full_sheet()}).status_code == 200
    before = state()
    response = api.post(url + "/recuse", {"reason": "忘了申报"})
    assert response.status_code == 409
    assert error_codes(response) == ["score_sheet.not_editable"]
    assert state() == before


def test_recusing_on_the_pages(case, expert):
    page = client_for(expert)
    app = case.apps[1]
    form = page.get(f"/review/mine/{app.pk}/recuse/")
    assert form.status_code == 200
    assert "回避后您将不再看到该申报" in form.content.decode()
    before = state()
    empty = page.post(f"/review/mine/{app.pk}/recuse/", {"reason": ""})
    assert empty.status_code == 422
    assert state() == before
    done = page.post(f"/review/mine/{app.pk}/recuse/", {"reason": "与申报单位有合作项目"})
    assert done.status_code == 302
    assert done["Location"] == "/review/mine/"
    assert ScoreSheet.objects.get(assignment=case.mine[1]).status == "recused"
    assert page.get(f"/review/mine/{app.pk}/sheet/").status_code == 404


def test_the_review_page_sends_a_declaration_to_the_recusal(case, expert):
    html = client_for(expert).get(f"/review/mine/{case.apps[0].pk}/").content.decode()
    assert f'href="/review/mine/{case.apps[0].pk}/recuse/"' in html
    assert f'href="/review/mine/{case.apps[0].pk}/declare/"' not in html


# --- a sheet hanging on an assignment ------------------------------------------------------------------


def test_a_conflict_found_later_takes_a_draft_with_its_assignment(case, expert, province_officer):
    api = ApiClient(expert)
    assert (
        api.put(
            f"{A}/assigned-applications/{case.apps[0].pk}/sheet",
            {"expected_version": 0, "scores": {"1.1": 3}},
        ).status_code
        == 200
    )
    conflicts.conflict_add(
        actor=actor_of(province_officer),
        review_round=case.round,
        expert=case.me,
        application=case.apps[0],
        reason="举报核实",
    )
    assert not Assignment.objects.filter(pk=case.mine[0].pk).exists()
    assert not ScoreSheet.objects.filter(application=case.apps[0], expert=case.me).exists()
    entry = AuditEntry.objects.filter(action="review_assignment.remove").get()
    assert entry.changes["why"] == [None, "conflict"]
    assert "draft_sheet" in entry.changes


def test_a_conflict_found_after_submission_keeps_the_submitted_sheet(case, expert, province_officer):
    api = ApiClient(expert)
    url = f"{A}/assigned-applications/{case.apps[0].pk}/sheet/submit"
    assert api.post(url, {"expected_version": 0, **full_sheet()}).status_code == 200
    conflicts.conflict_add(
        actor=actor_of(province_officer),
        review_round=case.round,
        expert=case.me,
        application=case.apps[0],
        reason="举报核实",
    )
    # the sheet and its assignment stay on record; the expert no longer sees them
    assert ScoreSheet.objects.get(assignment=case.mine[0]).status == "submitted"
    assert api.get(f"{A}/assigned-applications/{case.apps[0].pk}/sheet").status_code == 404


def test_solving_again_is_refused_once_scoring_has_started(case, expert, province_officer):
    assert (
        ApiClient(expert)
        .put(
            f"{A}/assigned-applications/{case.apps[0].pk}/sheet",
            {"expected_version": 0, "scores": {"1.1": 3}},
        )
        .status_code
        == 200
    )
    staff = ApiClient(province_officer)
    before = state()
    response = staff.post(f"{A}/review-rounds/{case.round.pk}/assign")
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "field": "round",
            "code": "assignment.scoring_started",
            "message": "评审轮次“遴选评审”的专家已开始评分（已有1份评分表），不能重新分配；请在各申报页面人工调整",
        }
    ]
    assert state() == before
    with pytest.raises(ConflictError, match="已开始评分"):
        assigning.assign_draw(actor=actor_of(province_officer), review_round=case.round, seed=7)
    assert state() == before


def test_removing_an_assignment_by_hand_takes_its_draft(case, expert, province_officer):
    assert (
        ApiClient(expert)
        .put(
            f"{A}/assigned-applications/{case.apps[1].pk}/sheet",
            {"expected_version": 0, "scores": {"1.1": 3}},
        )
        .status_code
        == 200
    )
    response = ApiClient(province_officer).post(
        f"{A}/assignments/{case.mine[1].pk}/remove", {"reason": "调整"}
    )
    assert response.status_code == 204
    assert not Assignment.objects.filter(pk=case.mine[1].pk).exists()
    assert not ScoreSheet.objects.filter(application=case.apps[1], expert=case.me).exists()
