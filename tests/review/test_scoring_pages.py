"""The scoring pages: the expert's sheet (grouped by first-level indicator, ranges and shares, vetoes,
comments, recommendation), saving and submitting with errors at the fields, the live total over
htmx, the read-only sheet after submission, the expert's list with each sheet's status and the
count, and the round's progress for staff and the observer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.review.models import ScoreSheet
from tests.conftest import client_for

from .scoring_factories import FULL_COMMENTS, scoring_case

HX = {"HX-Request": "true"}


@pytest.fixture
def case(review, regions, expert, enterprise, province_officer):
    return scoring_case(review, regions, expert, enterprise, province_officer, gate=True)


def sheet_form(version: int, action: str = "save", **values) -> dict:
    """The sheet as the page posts it (the worked example with the gate passed)."""
    form = {
        "expected_version": str(version),
        "action": action,
        "scores.1.1": "7.5",
        "scores.1.2": "5",
        "scores.2.1": "8.3",
        "scores.2.2": "1",
        "comments.1": FULL_COMMENTS["1"],
        "comments.2": FULL_COMMENTS["2"],
        "overall_comment": "建议立项。",
        "recommendation": "recommend",
    }
    form.update(values)
    return form


def test_the_sheet_page_lays_out_the_indicator_system(case, expert):
    html = client_for(expert).get(f"/review/mine/{case.apps[0].pk}/sheet/").content.decode()
    # leaves grouped under their first-level indicator, each with its range and share of the total
    assert html.index('data-section="1"') < html.index('data-leaf="1.1"') < html.index('data-leaf="1.2"')
    assert html.index('data-section="2"') < html.index('data-leaf="2.1"') < html.index('data-leaf="2.2"')
    assert "1 产教融合" in html
    assert "（占30.00分）" in html
    assert "评分范围 0–10，占总分20.00分" in html
    assert "评分范围 0–6，占总分10.00分" in html
    assert "达标判定：达标得35.00分，不达标得0分" in html
    assert 'name="scores.1.1"' in html
    assert 'name="scores.2.2" id="f-scores-2-2" value="1"' in html
    # the formula leaf says how the plan scores it, and that the expert applies it
    assert "按“合作企业投入占总投入比例”分档" in html
    assert "平台尚未从申报书自动计算" in html
    # a veto checkbox with its name, a comment box per first-level indicator, the recommendation
    assert 'name="vetoes" value="V1"' in html
    assert "建设资金总投入低于3000万元" in html
    assert 'name="comments.1"' in html
    assert 'name="comments.2"' in html
    assert 'name="recommendation" value="not_recommended"' in html
    assert "保存草稿" in html
    assert "提交评分" in html
    assert 'hx-confirm="提交后不能再修改，确定提交评分吗？"' in html
    assert f'hx-post="/review/mine/{case.apps[0].pk}/sheet/total/"' in html


def test_save_then_submit_on_the_page(case, expert):
    page = client_for(expert)
    url = f"/review/mine/{case.apps[0].pk}/sheet/"
    saved = page.post(
        url, {"expected_version": "0", "action": "save", "scores.1.1": "7.5", "comments.1": "初稿"}
    )
    assert saved.status_code == 302
    sheet = ScoreSheet.objects.get()
    assert (sheet.status, sheet.row_version, sheet.scores, sheet.comments) == (
        "draft",
        1,
        {"1.1": "7.5"},
        {"1": "初稿"},
    )
    html = page.get(url).content.decode()
    assert 'value="7.5"' in html
    assert ">15.00<" in html  # the draft's total so far: 7.5 / 10 × 20
    # submitting without 2.1 and a recommendation: refused, each problem at its field, nothing stored
    refused = page.post(url, sheet_form(1, "submit", **{"scores.2.1": "", "recommendation": ""}))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "未能提交：有 2 处问题，已在各处标出" in text
    assert 'data-error-for="scores.2.1">请为“2.1 实训教学体系”评分（当前：空，评分范围 0–9）' in text
    assert 'data-error-for="recommendation">请选择推荐意见' in text
    assert 'name="scores.1.2" id="f-scores-1-2" value="5"' in text  # what was typed stays in the form
    assert ScoreSheet.objects.get().row_version == 1
    assert ScoreSheet.objects.get().status == "draft"
    # submitted whole: 15 + 25/3 + 8.3/9 × 35 + 35 = 90.61
    done = page.post(url, sheet_form(1, "submit"))
    assert done.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.status, str(sheet.total)) == ("submitted", "90.61")
    after = page.get(url).content.decode()
    assert 'data-sheet-status="submitted"' in after
    assert "总分 90.61" in after
    assert 'name="scores.1.1"' not in after  # read-only now
    assert "达标" in after
    # and a second submission is refused with the status named
    again = page.post(url, sheet_form(2, "submit"))
    assert again.status_code == 409
    assert "不能再修改（当前状态：已提交）" in again.content.decode()


def test_out_of_range_on_the_page_is_shown_at_the_field(case, expert):
    page = client_for(expert)
    response = page.post(
        f"/review/mine/{case.apps[0].pk}/sheet/", sheet_form(0, "save", **{"scores.1.1": "12"})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-for="scores.1.1">“1.1 共建机制”的评分应在 0–10 之间（当前：12）' in html
    assert 'value="12"' in html
    assert not ScoreSheet.objects.exists()


def test_a_stale_form_stays_stale(case, expert):
    page = client_for(expert)
    url = f"/review/mine/{case.apps[0].pk}/sheet/"
    assert page.post(url, {"expected_version": "0", "scores.1.1": "5"}).status_code == 302
    stale = page.post(url, {"expected_version": "0", "scores.1.1": "9"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "您看到的版本：0，当前版本：1" in html
    assert 'name="expected_version" value="0"' in html  # saving again needs a reload
    assert ScoreSheet.objects.get().scores == {"1.1": "5"}


def test_htmx_gets_the_card_and_a_live_total_with_errors_at_the_fields(case, expert):
    page = client_for(expert)
    app = case.apps[0]
    card = page.get(f"/review/mine/{app.pk}/sheet/", headers=HX).content.decode()
    assert "<html" not in card
    assert 'id="score-sheet"' in card
    # the running total of what the form holds: 7.5 → 15.00 and the gate passed → 35.00
    live = page.post(
        f"/review/mine/{app.pk}/sheet/total/", {"scores.1.1": "7.5", "scores.2.2": "1"}, headers=HX
    )
    assert live.status_code == 200
    assert '<strong id="sheet-total" data-total>50.00</strong>' in live.content.decode()
    # a value out of range: no total, and the message swapped in at its field
    bad = page.post(f"/review/mine/{app.pk}/sheet/total/", {"scores.1.1": "12"}, headers=HX).content.decode()
    assert '<strong id="sheet-total" data-total>—</strong>' in bad
    assert 'id="err-f-scores-1-1" hx-swap-oob="true"' in bad
    assert "“1.1 共建机制”的评分应在 0–10 之间（当前：12）" in bad
    assert not ScoreSheet.objects.exists()  # the live total stores nothing
    # a save over htmx answers the card (200, so htmx swaps it) with the refusal at the field
    refused = page.post(f"/review/mine/{app.pk}/sheet/", sheet_form(0, **{"scores.1.1": "12"}), headers=HX)
    assert refused.status_code == 200
    assert 'data-error-for="scores.1.1"' in refused.content.decode()
    saved = page.post(f"/review/mine/{app.pk}/sheet/", sheet_form(0), headers=HX).content.decode()
    assert 'data-save-state="saved"' in saved
    assert 'name="expected_version" value="1"' in saved


def test_the_review_page_embeds_the_sheet(case, expert):
    html = client_for(expert).get(f"/review/mine/{case.apps[0].pk}/").content.decode()
    assert f'hx-get="/review/mine/{case.apps[0].pk}/sheet/"' in html
    assert f'href="/review/mine/{case.apps[0].pk}/sheet/"' in html


def test_my_reviews_list_each_sheets_status_and_the_count(case, expert):
    page = client_for(expert)
    assert page.post(f"/review/mine/{case.apps[1].pk}/sheet/", sheet_form(0, "submit")).status_code == 302
    assert page.post(f"/review/mine/{case.apps[0].pk}/sheet/", {"expected_version": "0"}).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        html = page.get("/review/mine/").content.decode()
    assert "已提交 1 / 2" in html
    assert f'<tr data-application="{case.apps[0].pk}">' in html
    assert 'data-sheet-status="draft"' in html
    assert 'data-sheet-status="submitted"' in html
    assert "已提交 · 90.61" in html
    assert case.apps[2].title not in html  # a reserve is not a review
    assert len(queries) <= 14, [q["sql"] for q in queries]


@pytest.mark.parametrize("reader", ["province_officer", "observer"])
def test_the_rounds_progress_per_application_and_per_expert(case, expert, reader, request):
    page = client_for(expert)
    assert page.post(f"/review/mine/{case.apps[1].pk}/sheet/", sheet_form(0, "submit")).status_code == 302
    assert page.post(f"/review/mine/{case.apps[0].pk}/sheet/", sheet_form(0)).status_code == 302
    staff = client_for(request.getfixturevalue(reader))
    html = staff.get(f"/review/rounds/{case.round.pk}/sheets/").content.decode()
    assert "0 / 3 项申报已评完" in html
    assert "已提交 1 份，草稿 1 份，回避 0 份" in html
    row = html[html.index(f'data-application="{case.apps[1].pk}"') :]
    assert '<td class="text-end" data-progress>1 / 2</td>' in row[:2000]
    sheet = ScoreSheet.objects.get(status="submitted")
    assert (
        f'href="/review/sheets/{sheet.pk}/" data-sheet="{sheet.pk}">{case.me.name}</a> <strong>90.61</strong>'
        in html
    )
    draft = ScoreSheet.objects.get(status="draft")
    assert f"/review/sheets/{draft.pk}/" not in html
    by_expert = staff.get(f"/review/rounds/{case.round.pk}/sheets/?by=expert").content.decode()
    mine = by_expert[by_expert.index(f'data-expert="{case.me.pk}"') :]
    assert '<td class="text-end" data-progress>1 / 2</td>' in mine[:2000]
    detail = staff.get(f"/review/sheets/{sheet.pk}/").content.decode()
    assert case.me.name in detail
    assert FULL_COMMENTS["1"] in detail
    assert "总分 90.61" in detail
    assert 'name="scores.1.1"' not in detail
    # the round's page links to its progress
    overview = staff.get(f"/review/rounds/{case.round.pk}/").content.decode()
    assert f'href="/review/rounds/{case.round.pk}/sheets/" data-sheets-link' in overview
