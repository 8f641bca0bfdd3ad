"""Opening the panel, the panel's overrides and the recommendation: refusals that store nothing, a tie
at the cut refused and then resolved by an override with its reason, statuses moved and the
applicants told.

The tie example (ranked by the mean, quota one): P 60 and 90 → 75.00; Q 70 and 95 → 82.50; R 80 and
85 → 82.50. Q and R share the first place, which straddles the one-place quota: nothing is
recommended and one place is left open for the panel.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from chanjiao.applications.models import Application, Status
from chanjiao.core.errors import ConflictError, Forbidden, ValidationFailed
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.core.permissions import Role
from chanjiao.review import panel_services
from chanjiao.review.models import Conflict, RankingEntry, RankingOverride, ReviewRound, ScoreSheet
from chanjiao.review.panel_selectors import round_ranking
from tests.conftest import ApiClient, actor_of, client_for, error_codes
from tests.factories import make_person

from .panel_factories import build_panel, set_round

A = "/api/v1"
TIE = {"P": {"E1": "60", "E2": "90"}, "Q": {"E1": "70", "E2": "95"}, "R": {"E1": "80", "E2": "85"}}


def stored(review_round) -> tuple:
    """What a refused panel write must leave as it was."""
    review_round.refresh_from_db()
    return (
        review_round.status,
        RankingOverride.objects.count(),
        RankingEntry.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
    )


@pytest.fixture
def tie(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=1, ranking_method="mean")
    return build_panel(review.round, regions, province_officer, TIE)


# --- opening the panel -------------------------------------------------------------------------


def test_the_panel_waits_for_every_sheet_before_the_deadline(review, regions, province_officer):
    deadline = timezone.now() + dt.timedelta(days=2)
    set_round(review.round, status=ReviewRound.Status.ASSIGNED, quota=1, review_deadline=deadline)
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "80", "E2": None, "E3": "70"}, "B": {"E1": "75", "E2": "72", "E3": None}},
    )
    # E3 saved a draft for B; E2 has not opened A
    ScoreSheet.objects.create(
        assignment=panel.assignments[("B", "E3")],
        round=review.round,
        expert=panel.experts["E3"],
        application=panel.apps["B"],
        scores={"1.1": "10"},
    )
    api = ApiClient(province_officer)
    before = stored(review.round)
    response = api.post(f"{A}/review-rounds/{review.round.pk}/panel")
    assert response.status_code == 409
    errors = response.json()["errors"]
    assert [e["code"] for e in errors] == ["panel.sheets_missing", "panel.sheets_missing"]
    assert errors[0]["field"] == f"assignments.{panel.assignments[('A', 'E2')].pk}"
    when = timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")
    assert errors[0]["message"] == (
        f"专家“E2教授”尚未提交对申报“A产教融合集成平台”（A职业技术学院）的评分表（当前：未开始评分）；"
        f"评审截止时间 {when} 尚未到，须全部提交或回避后才能开始专家组合议"
    )
    assert "专家“E3教授”尚未提交对申报“B产教融合集成平台”" in errors[1]["message"]
    assert "（当前：草稿）" in errors[1]["message"]
    assert stored(review.round) == before
    # the page shows the same refusal and changes nothing
    page = client_for(province_officer).post(f"/review/rounds/{review.round.pk}/panel/open/")
    assert page.status_code == 409
    assert "E2教授" in page.content.decode()
    assert 'data-error-code="panel.sheets_missing"' in page.content.decode()
    assert stored(review.round) == before


def test_recused_and_conflicted_reviewers_are_not_waited_for(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.ASSIGNED, quota=1)
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "80", "E2": None, "E3": None}, "B": {"E1": "75", "E2": "72", "E3": "70"}},
    )
    ScoreSheet.objects.create(
        assignment=panel.assignments[("A", "E2")],
        round=review.round,
        expert=panel.experts["E2"],
        application=panel.apps["A"],
        status=ScoreSheet.Status.RECUSED,
        recusal_reason="曾指导该校专业建设",
    )
    Conflict.objects.create(
        round=review.round,
        expert=panel.experts["E3"],
        application=panel.apps["A"],
        kind="staff",
        source="staff",
        reason="同一集团",
        created_by=province_officer,
    )
    panel_services.panel_open(actor=actor_of(province_officer), review_round=review.round)
    review.round.refresh_from_db()
    assert review.round.status == ReviewRound.Status.PANEL
    entry = AuditEntry.objects.get(action="review_round.panel_open")
    assert entry.changes == {"status": ["assigned", "panel"]}


def test_after_the_deadline_the_panel_opens_and_records_the_missing_sheets(review, regions, province_officer):
    set_round(
        review.round,
        status=ReviewRound.Status.ASSIGNED,
        quota=1,
        review_deadline=timezone.now() - dt.timedelta(hours=1),
    )
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {"A": {"E1": "80", "E2": None}, "B": {"E1": "75", "E2": "72"}},
    )
    response = client_for(province_officer).post(f"/review/rounds/{review.round.pk}/panel/open/")
    assert response.status_code == 302
    review.round.refresh_from_db()
    assert review.round.status == ReviewRound.Status.PANEL
    entry = AuditEntry.objects.get(action="review_round.panel_open")
    assert entry.changes["status"] == ["assigned", "panel"]
    assert entry.changes["missing_sheets"] == [
        None,
        [
            {
                "assignment": panel.assignments[("A", "E2")].pk,
                "expert": "E2教授",
                "application": panel.apps["A"].pk,
                "title": "A产教融合集成平台",
            }
        ],
    ]


def test_the_panel_does_not_open_on_an_application_nobody_scored(review, regions, province_officer):
    set_round(
        review.round,
        status=ReviewRound.Status.ASSIGNED,
        quota=1,
        review_deadline=timezone.now() - dt.timedelta(hours=1),
    )
    panel = build_panel(review.round, regions, province_officer, {"A": {"E1": "80"}, "B": {"E1": None}})
    before = stored(review.round)
    with pytest.raises(ConflictError) as refused:
        panel_services.panel_open(actor=actor_of(province_officer), review_round=review.round)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (f"applications.{panel.apps['B'].pk}", "panel.application_unscored")
    ]
    assert "B产教融合集成平台" in refused.value.errors[0].message
    assert stored(review.round) == before


def test_the_panel_does_not_open_without_a_quota(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.ASSIGNED)
    assert review.round.project_type.target_count is None
    build_panel(review.round, regions, province_officer, {"A": {"E1": "80"}})
    before = stored(review.round)
    response = ApiClient(province_officer).post(f"{A}/review-rounds/{review.round.pk}/panel")
    assert response.status_code == 409
    assert error_codes(response) == ["panel.no_quota"]
    assert "本批推荐名额" in response.json()["errors"][0]["message"]
    assert stored(review.round)[0] == before[0] == ReviewRound.Status.ASSIGNED


def test_the_panel_opens_only_from_scoring(tie, province_officer):
    with pytest.raises(ConflictError) as refused:
        panel_services.panel_open(actor=actor_of(province_officer), review_round=tie.round)
    assert refused.value.errors[0].code == "panel.open_wrong_status"
    assert "当前状态为“专家组合议”，须为“专家评分中”" in refused.value.errors[0].message


# --- a tie at the cut, refused, then resolved by an override ------------------------------------


def test_a_tie_at_the_cut_is_refused_then_resolved_by_an_override(tie, province_officer):
    ranking = round_ranking(tie.round)
    assert [(e.application, e.rank, e.tie_at_cut) for e in ranking.ranking.entries] == [
        (tie.apps["Q"].pk, 1, True),
        (tie.apps["R"].pk, 1, True),
        (tie.apps["P"].pk, 3, False),
    ]
    assert ranking.open_places == 1
    api = ApiClient(province_officer)
    before = stored(tie.round)
    refused = api.post(f"{A}/review-rounds/{tie.round.pk}/recommendation")
    assert refused.status_code == 409
    assert error_codes(refused) == ["panel.tie_at_cut"]
    assert refused.json()["errors"][0]["message"] == (
        "申报“Q产教融合集成平台”（Q职业技术学院）、“R产教融合集成平台”（R职业技术学院）得分同为82.50分，"
        "并列第1名，跨越推荐名额线：本批推荐名额1个，已确定0个，尚余1个名额待定。请专家组调整排名并写明理由"
    )
    assert stored(tie.round) == before
    # the page names the tie too
    html = client_for(province_officer).get(f"/review/rounds/{tie.round.pk}/ranking/").content.decode()
    assert "尚余1个名额待定" in html
    assert html.count("data-tie-at-cut") == 2

    # the panel puts R first, with its reason
    made = api.post(
        f"{A}/review-rounds/{tie.round.pk}/overrides",
        {
            "application_id": tie.apps["R"].pk,
            "to_rank": 1,
            "reason": "R的校企共建实训基地已投入使用，合议认为更优",
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["before_rank"], body["to_rank"], body["before_recommended"], body["after_recommended"]) == (
        1,
        1,
        False,
        True,
    )
    override = RankingOverride.objects.get()
    assert override.reason == "R的校企共建实训基地已投入使用，合议认为更优"
    audit = AuditEntry.objects.get(action="ranking_override.create")
    assert audit.changes["rank"] == [1, 1]
    assert audit.changes["recommended"] == [False, True]
    ranking = round_ranking(tie.round)
    assert [(e.application, e.rank, e.recommended, e.overridden) for e in ranking.ranking.entries] == [
        (tie.apps["R"].pk, 1, True, True),
        (tie.apps["Q"].pk, 2, False, False),
        (tie.apps["P"].pk, 3, False, False),
    ]
    listed = api.get(f"{A}/review-rounds/{tie.round.pk}/overrides").json()
    assert listed["count"] == 1
    assert listed["items"][0]["reason"].startswith("R的校企共建")

    # now the recommendation is settled
    confirmed = api.post(f"{A}/review-rounds/{tie.round.pk}/recommendation")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["recommended"] == 1
    tie.round.refresh_from_db()
    assert tie.round.status == ReviewRound.Status.RECOMMENDED
    statuses = dict(
        Application.objects.filter(pk__in=[a.pk for a in tie.apps.values()]).values_list("pk", "status")
    )
    assert statuses == {
        tie.apps["R"].pk: Status.RECOMMENDED,
        tie.apps["Q"].pk: Status.NOT_RECOMMENDED,
        tie.apps["P"].pk: Status.NOT_RECOMMENDED,
    }
    results = {r.application_id: r for r in RankingEntry.objects.filter(round=tie.round)}
    assert (results[tie.apps["R"].pk].rank, results[tie.apps["R"].pk].overridden) == (1, True)
    assert results[tie.apps["R"].pk].recommended
    assert not results[tie.apps["Q"].pk].recommended
    assert str(results[tie.apps["Q"].pk].score) == "82.50"
    assert str(results[tie.apps["P"].pk].mean) == "75.00"


def test_an_override_without_a_reason_is_refused_and_nothing_stored(tie, province_officer):
    api = ApiClient(province_officer)
    before = stored(tie.round)
    for reason in ("", "   "):
        response = api.post(
            f"{A}/review-rounds/{tie.round.pk}/overrides",
            {"application_id": tie.apps["R"].pk, "to_rank": 1, "reason": reason},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "reason",
                "code": "ranking.override_reason_required",
                "message": "调整排名须填写理由（当前：空）",
            }
        ]
    # no reason field at all is the same refusal
    response = api.post(
        f"{A}/review-rounds/{tie.round.pk}/overrides", {"application_id": tie.apps["R"].pk, "to_rank": 1}
    )
    assert error_codes(response) == ["ranking.override_reason_required"]
    assert stored(tie.round) == before
    # on the page (htmx): the refusal at the field, nothing stored
    page = client_for(province_officer).post(
        f"/review/rounds/{tie.round.pk}/overrides/",
        {"application": tie.apps["R"].pk, "to_rank": 1, "reason": ""},
        headers={"HX-Request": "true"},
    )
    assert page.status_code == 200
    assert "调整排名须填写理由（当前：空）" in page.content.decode()
    assert "<html" not in page.content.decode()
    assert stored(tie.round) == before
    # and without htmx the whole page, 422
    page = client_for(province_officer).post(
        f"/review/rounds/{tie.round.pk}/overrides/", {"application": tie.apps["R"].pk, "to_rank": 1}
    )
    assert page.status_code == 422
    assert stored(tie.round) == before


def test_an_override_to_a_rank_out_of_range_or_of_an_unknown_application_is_refused(
    tie, province_officer, regions
):
    api = ApiClient(province_officer)
    before = stored(tie.round)
    response = api.post(
        f"{A}/review-rounds/{tie.round.pk}/overrides",
        {"application_id": tie.apps["R"].pk, "to_rank": 4, "reason": "理由"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "调整后的名次应在 1–3 之间（当前：4）"
    response = api.post(
        f"{A}/review-rounds/{tie.round.pk}/overrides",
        {"application_id": 999999, "to_rank": 1, "reason": "理由"},
    )
    assert error_codes(response) == ["ranking.override_unknown_application"]
    assert stored(tie.round) == before


def test_an_override_by_htmx_re_renders_the_ranking(tie, province_officer):
    page = client_for(province_officer).post(
        f"/review/rounds/{tie.round.pk}/overrides/",
        {"application": tie.apps["Q"].pk, "to_rank": 1, "reason": "Q的企业投入更高"},
        headers={"HX-Request": "true"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="panel-ranking"' in html
    assert "<html" not in html
    assert "已将该申报调整到第1名" in html
    assert "Q的企业投入更高" in html
    q_row = html[html.index(f'data-application="{tie.apps["Q"].pk}"') :]
    assert "经专家组调整" in q_row[: q_row.index("</tr>")]
    assert "拟推荐" in q_row[: q_row.index("</tr>")]


def test_overrides_only_while_the_panel_sits(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.ASSIGNED, quota=1)
    panel = build_panel(review.round, regions, province_officer, TIE)
    with pytest.raises(ConflictError) as refused:
        panel_services.ranking_override(
            actor=actor_of(province_officer),
            review_round=review.round,
            application_id=panel.apps["Q"].pk,
            to_rank=1,
            reason="理由",
        )
    assert refused.value.errors[0].code == "panel.override_wrong_status"
    assert RankingOverride.objects.count() == 0


# --- the recommendation -------------------------------------------------------------------------


def test_the_recommendation_moves_every_application_and_tells_the_applicants(
    review, regions, province_officer, django_capture_on_commit_callbacks
):
    # A 85.00, B 80.00, C 70.00 (vetoed by E2), D 60.00; quota 2 by the mean → A and B
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=2, ranking_method="mean")
    panel = build_panel(
        review.round,
        regions,
        province_officer,
        {
            "A": {"E1": "90", "E2": "80"},
            "B": {"E1": "85", "E2": "75"},
            "C": {"E1": "95", "E2": "45"},
            "D": {"E1": "50", "E2": "70"},
        },
        vetoes={("C", "E2"): ["V1"]},
    )
    # the applicant's people: its staff (made with the application), an admin with an email address,
    # someone whose membership ended, and an expert of the same school (not told)
    school_a = panel.apps["A"].applicant
    admin = make_person("a_admin", school_a, Role.ORG_ADMIN, email="admin@a.example.cn")
    gone = make_person("a_gone", school_a, Role.ORG_STAFF, email="gone@a.example.cn")
    gone.memberships.update(is_active=False)
    make_person("a_expert", school_a, Role.EXPERT, email="expert@a.example.cn")
    make_person("c_admin", panel.apps["C"].applicant, Role.ORG_ADMIN, email="admin@c.example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(province_officer).post(f"/review/rounds/{review.round.pk}/recommendation/")
    assert response.status_code == 302

    review.round.refresh_from_db()
    assert review.round.status == ReviewRound.Status.RECOMMENDED
    statuses = {k: Application.objects.get(pk=a.pk).status for k, a in panel.apps.items()}
    assert statuses == {
        "A": Status.RECOMMENDED,
        "B": Status.RECOMMENDED,
        "C": Status.NOT_RECOMMENDED,
        "D": Status.NOT_RECOMMENDED,
    }
    results = {r.application_id: r for r in RankingEntry.objects.filter(round=review.round)}
    assert [(results[panel.apps[k].pk].rank, str(results[panel.apps[k].pk].score)) for k in "ABD"] == [
        (1, "85.00"),
        (2, "80.00"),
        (3, "60.00"),
    ]
    vetoed = results[panel.apps["C"].pk]
    assert (vetoed.rank, vetoed.vetoed, vetoed.veto_codes, vetoed.recommended) == (None, True, ["V1"], False)

    # inbox: A's staff and admin (not the ended membership, not the expert)
    notes_a = Notification.objects.filter(url=f"/applications/{panel.apps['A'].pk}/")
    assert sorted(n.recipient.username for n in notes_a) == sorted(
        ["a_admin", panel.apps["A"].created_by.username]
    )
    assert {n.subject for n in notes_a} == {"申报“A产教融合集成平台”列入拟推荐名单"}
    assert all(n.kind == "review.recommended" for n in notes_a)
    note_c = Notification.objects.get(recipient__username="c_admin")
    assert note_c.subject == "申报“C产教融合集成平台”未列入推荐名单"
    assert "一票否决" in note_c.body
    assert note_c.kind == "review.not_recommended"
    # C's staff and admin, D's staff
    assert Notification.objects.filter(kind="review.not_recommended").count() == 3
    # email went to those with an address, after the commit
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@a.example.cn", "admin@c.example.cn"]
    assert admin.notifications.get().emailed_at is not None

    # each move is the application's own step, with the round named
    audit = AuditEntry.objects.get(action="review_round.recommend")
    assert audit.changes["recommended"] == [None, [panel.apps["A"].pk, panel.apps["B"].pk]]
    assert AuditEntry.objects.filter(action="application.recommend").count() == 2
    assert AuditEntry.objects.filter(action="application.not_recommend").count() == 2
    # and the ranking page says it is settled, with no more buttons
    html = client_for(province_officer).get(f"/review/rounds/{review.round.pk}/ranking/").content.decode()
    assert "data-confirmed>" in html
    assert "data-recommend>" not in html
    assert "data-override-form>" not in html


def test_the_recommendation_is_refused_without_a_quota_and_twice(review, regions, province_officer):
    set_round(review.round, status=ReviewRound.Status.PANEL, quota=None)
    build_panel(review.round, regions, province_officer, {"A": {"E1": "80"}})
    actor = actor_of(province_officer)
    before = stored(review.round)
    with pytest.raises(ConflictError) as refused:
        panel_services.recommendation_confirm(actor=actor, review_round=review.round)
    assert refused.value.errors[0].code == "panel.no_quota"
    assert refused.value.errors[0].message == (
        "评审轮次“遴选评审”没有推荐名额：本轮未设“本批推荐名额”，项目类型“省产教融合集成平台”也未给出目标数量"
        "（当前：空；应为不小于1的整数，请在轮次设置中填写）"
    )
    assert stored(review.round) == before
    # a quota from the project type is enough
    review.round.project_type.target_count = 30
    review.round.project_type.save()
    panel_services.recommendation_confirm(actor=actor, review_round=review.round)
    with pytest.raises(ConflictError) as again:
        panel_services.recommendation_confirm(actor=actor, review_round=review.round)
    assert again.value.errors[0].code == "panel.recommend_wrong_status"
    assert RankingEntry.objects.filter(round=review.round).count() == 1


def test_a_refused_move_leaves_nothing_half_done(tie, province_officer):
    # Q and R tie; settle it, then take P out of review behind the panel's back: the recommendation
    # cannot move it, so nothing of it is kept (no result, no status, no notification)
    panel_services.ranking_override(
        actor=actor_of(province_officer),
        review_round=tie.round,
        application_id=tie.apps["Q"].pk,
        to_rank=1,
        reason="合议决定",
    )
    Application.objects.filter(pk=tie.apps["P"].pk).update(status=Status.RECOMMENDED)
    before = stored(tie.round)
    with pytest.raises((ConflictError, ValidationFailed)):
        panel_services.recommendation_confirm(actor=actor_of(province_officer), review_round=tie.round)
    assert stored(tie.round) == before


def test_only_province_staff_of_the_round_may_act(tie, observer, jiangsu_officer, province_officer):
    for person in (observer, jiangsu_officer):
        with pytest.raises(Forbidden):
            panel_services.recommendation_confirm(actor=actor_of(person), review_round=tie.round)
        with pytest.raises(Forbidden):
            panel_services.ranking_override(
                actor=actor_of(person),
                review_round=tie.round,
                application_id=tie.apps["Q"].pk,
                to_rank=1,
                reason="理由",
            )
    before = stored(tie.round)
    api = ApiClient(observer)
    assert api.post(f"{A}/review-rounds/{tie.round.pk}/recommendation").status_code == 403
    assert (
        api.post(
            f"{A}/review-rounds/{tie.round.pk}/overrides",
            {"application_id": tie.apps["Q"].pk, "to_rank": 1, "reason": "理由"},
        ).status_code
        == 403
    )
    page = client_for(observer)
    assert page.post(f"/review/rounds/{tie.round.pk}/recommendation/").status_code == 403
    assert page.post(f"/review/rounds/{tie.round.pk}/panel/open/").status_code == 403
    # another province's staff do not see the round at all
    other = ApiClient(jiangsu_officer)
    assert other.get(f"{A}/review-rounds/{tie.round.pk}/ranking").status_code == 404
    assert other.post(f"{A}/review-rounds/{tie.round.pk}/recommendation").status_code == 404
    assert client_for(jiangsu_officer).get(f"/review/rounds/{tie.round.pk}/ranking/").status_code == 404
    assert stored(tie.round)[:3] == before[:3]
