"""Calls: opened from a pinned pack version by province staff, published, seen by whom they are for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from chanjiao.core.errors import ConflictError, Forbidden, NotFound, ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.policy import selectors, services
from chanjiao.policy.models import Call, CityQuota, DeadlineExtension, ProjectType
from tests.conftest import actor_of
from tests.factories import make_org, make_person

from .factories import make_call

NOW = timezone.now()


def call_data(**overrides):
    data = {
        "title": "2026年皖江试验区建设项目申报",
        "project_types": ["training-base", "teacher-base"],
        "opens_at": "2026-03-01T09:00:00+08:00",
        "closes_at": "2026-03-31T17:00:00+08:00",
        "quotas": {"340100": 5, "340200": 3},
    }
    data.update(overrides)
    return data


def test_province_staff_open_a_draft_call_from_a_pack_version(anhui, province_officer, edition):
    # when the Anhui officer opens a call for two of the pack's project types
    call = services.call_create(
        actor=actor_of(province_officer), pack=anhui, data=call_data(start_batch=None)
    )
    # then it is a draft pinned to the pack version, with its types, times, quotas and defaults
    assert call.status == Call.Status.DRAFT
    assert call.pack == anhui
    assert sorted(call.project_types.values_list("code", flat=True)) == ["teacher-base", "training-base"]
    assert timezone.localtime(call.opens_at).strftime("%Y-%m-%d %H:%M") == "2026-03-01 09:00"
    assert call.closes_at == dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC)
    assert call.limit_per_applicant == 1  # from the project types
    assert call.catalogue_edition == edition  # the current edition
    assert {q.city_id: q.quota for q in call.quotas.all()} == {"340100": 5, "340200": 3}
    entry = AuditEntry.objects.get(action="call.create", object_id=str(call.pk))
    assert entry.changes["project_types"] == [None, ["teacher-base", "training-base"]]


def test_a_time_without_offset_is_beijing_time(anhui, province_officer):
    call = services.call_create(
        actor=actor_of(province_officer),
        pack=anhui,
        data=call_data(opens_at="2026-03-01T09:00", closes_at="2026-03-31T17:00"),
    )
    assert call.opens_at == dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)


def test_bad_calls_are_refused_with_every_problem_and_nothing_is_stored(anhui, jiangsu, province_officer):
    before = (Call.objects.count(), CityQuota.objects.count(), AuditEntry.objects.count())
    js_type = ProjectType.objects.get(pack=jiangsu).code
    with pytest.raises(ValidationFailed) as exc:
        services.call_create(
            actor=actor_of(province_officer),
            pack=anhui,
            data=call_data(
                title="",
                project_types=["training-base", js_type, "no-such-type"],
                opens_at="2026-03-31T17:00:00+08:00",
                closes_at="2026-03-01T09:00:00+08:00",
                limit_per_applicant=0,
                start_batch=0,
                quotas={"340100": -1, "320100": 2},
            ),
        )
    codes = [(e.field, e.code) for e in exc.value.errors]
    assert codes == [
        ("title", "required"),
        ("closes_at", "call.closes_before_opens"),
        ("project_types", "call.project_type_not_in_pack"),
        ("project_types", "call.project_type_not_in_pack"),
        ("limit_per_applicant", "call.limit_invalid"),
        ("start_batch", "call.start_batch_out_of_range"),
        ("quotas.340100", "call.quota_negative"),
        ("quotas.320100", "call.quota_city_unknown"),
    ]
    messages = {e.code: e.message for e in exc.value.errors}
    assert (
        "截止时间应晚于开始时间（当前：开始 2026-03-31 17:00，截止 2026-03-01 09:00"
        in messages["call.closes_before_opens"]
    )
    assert (
        "皖江经济带产教融合职业教育创新发展试验区建设项目实施方案"
        in messages["call.project_type_not_in_pack"]
    )
    assert "版本 2019.1" in messages["call.project_type_not_in_pack"]
    assert messages["call.quota_negative"] == "合肥市的推荐名额不能为负数（当前：-1）"
    assert (Call.objects.count(), CityQuota.objects.count(), AuditEntry.objects.count()) == before


def test_the_database_refuses_what_the_service_would(anhui):
    call = make_call(anhui)
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(closes_at=call.opens_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(limit_per_applicant=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        CityQuota.objects.create(call=call, city_id="340100", quota=-1)


def test_only_province_staff_of_the_packs_province_open_calls(
    anhui, jiangsu_officer, school_admin, city_officer
):
    for user in (jiangsu_officer, school_admin, city_officer):
        with pytest.raises(Forbidden):
            services.call_create(actor=actor_of(user), pack=anhui, data=call_data())
    assert Call.objects.count() == 0


def test_a_draft_changes_until_it_is_published(anhui, province_officer):
    actor = actor_of(province_officer)
    call = services.call_create(actor=actor, pack=anhui, data=call_data())
    services.call_update(actor=actor, call=call, data={"title": "改后的标题", "quotas": {"340100": 6}})
    call.refresh_from_db()
    assert call.title == "改后的标题"
    assert {q.city_id: q.quota for q in call.quotas.all()} == {"340100": 6}
    assert AuditEntry.objects.get(action="call.update").changes["title"] == [
        "2026年皖江试验区建设项目申报",
        "改后的标题",
    ]
    # closing before opening is refused on update too
    with pytest.raises(ValidationFailed) as exc:
        services.call_update(actor=actor, call=call, data={"closes_at": "2026-02-01T00:00:00+08:00"})
    assert [e.code for e in exc.value.errors] == ["call.closes_before_opens"]
    # published, it is not changed
    services.call_publish(actor=actor, call=call, now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    with pytest.raises(ConflictError) as exc:
        services.call_update(actor=actor, call=call, data={"title": "再改"})
    assert exc.value.errors[0].code == "call.not_draft"
    call.refresh_from_db()
    assert call.title == "改后的标题"


def test_publishing(anhui, province_officer):
    actor = actor_of(province_officer)
    call = services.call_create(actor=actor, pack=anhui, data=call_data())
    when = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    services.call_publish(actor=actor, call=call, now=when)
    call.refresh_from_db()
    assert (call.status, call.published_at) == (Call.Status.PUBLISHED, when)
    assert AuditEntry.objects.filter(action="call.publish", object_id=str(call.pk)).count() == 1
    with pytest.raises(ConflictError) as exc:
        services.call_publish(actor=actor, call=call)
    assert exc.value.errors[0].code == "call.not_draft"
    # a call whose closing time has passed is not published
    past = services.call_create(
        actor=actor,
        pack=anhui,
        data=call_data(opens_at="2020-01-01T00:00:00+08:00", closes_at="2020-02-01T00:00:00+08:00"),
    )
    with pytest.raises(ConflictError) as exc:
        services.call_publish(actor=actor, call=past)
    assert exc.value.errors[0].code == "call.closes_in_past"


def test_closing_follows_server_time(anhui, school):
    call = make_call(anhui)
    assert call.is_open_for(school.pk, call.opens_at)
    assert call.is_open_for(school.pk, call.closes_at - dt.timedelta(seconds=1))
    assert not call.is_open_for(school.pk, call.closes_at)
    assert not call.is_open_for(school.pk, call.opens_at - dt.timedelta(seconds=1))
    assert call.effective_status(call.closes_at) == Call.Status.CLOSED
    draft = make_call(anhui, status=Call.Status.DRAFT)
    assert not draft.is_open_for(school.pk, draft.opens_at)


def test_a_running_call_keeps_its_pack_version_when_a_new_one_loads(jiangsu, jiangsu_officer):
    from chanjiao.policy.services import PACKS_DIR, pack_load

    call = make_call(jiangsu)
    text = (PACKS_DIR / "jiangsu-integration-platform.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2019.1"', 'version: "2020.1"', 1).replace(
        'amount: "30000000.00"', 'amount: "40000000.00"'
    )
    new = pack_load(actor=actor_of(jiangsu_officer), text=text).pack
    call.refresh_from_db()
    assert call.pack == jiangsu
    assert call.pack.version == "2019.1"
    (pt,) = call.project_types.all()
    assert str(pt.min_total_investment) == "30000000.00"
    assert new.is_current
    # a new call opens from the current version by default, and may name the older one
    assert selectors.pack_get_for(actor=actor_of(jiangsu_officer), code=jiangsu.code) == new
    assert (
        selectors.pack_get_for(actor=actor_of(jiangsu_officer), code=jiangsu.code, version="2019.1")
        == jiangsu
    )


# --- deadline extensions ------------------------------------------------------------------------


def test_staff_extend_the_deadline_for_one_applicant_with_a_reason(
    anhui, province_officer, school, other_school
):
    actor = actor_of(province_officer)
    call = make_call(anhui)
    until = call.closes_at + dt.timedelta(days=3)
    # a reason is required, and the new time must be after the call's closing
    with pytest.raises(ValidationFailed) as exc:
        services.deadline_extend(actor=actor, call=call, applicant=school, until=call.closes_at, reason=" ")
    assert [e.code for e in exc.value.errors] == [
        "extension.reason_required",
        "extension.until_not_after_close",
    ]
    assert DeadlineExtension.objects.count() == 0
    extension = services.deadline_extend(
        actor=actor, call=call, applicant=school, until=until, reason="停电，系统无法上传"
    )
    assert extension.until == until
    entry = AuditEntry.objects.get(action="call.deadline_extend")
    assert entry.changes["reason"] == [None, "停电，系统无法上传"]
    assert entry.changes["applicant"] == [None, f"{school.pk} {school.name}"]
    # the school's deadline moves; another school's does not
    assert call.deadline_for(school.pk) == until
    assert call.deadline_for(other_school.pk) == call.closes_at
    assert call.is_open_for(school.pk, call.closes_at + dt.timedelta(days=1))
    assert not call.is_open_for(other_school.pk, call.closes_at + dt.timedelta(days=1))
    # granting again changes it, and the log keeps both
    services.deadline_extend(
        actor=actor, call=call, applicant=school, until=until + dt.timedelta(days=1), reason="再延一天"
    )
    assert DeadlineExtension.objects.count() == 1
    assert AuditEntry.objects.filter(action="call.deadline_extend").count() == 2


def test_extensions_need_a_published_call_and_an_applicant_of_the_province(
    anhui, province_officer, jiangsu_officer, js_school, school
):
    draft = make_call(anhui, status=Call.Status.DRAFT)
    with pytest.raises(ConflictError):
        services.deadline_extend(
            actor=actor_of(province_officer),
            call=draft,
            applicant=school,
            until=draft.closes_at + dt.timedelta(1),
            reason="x",
        )
    call = make_call(anhui)
    with pytest.raises(ValidationFailed) as exc:
        services.deadline_extend(
            actor=actor_of(province_officer),
            call=call,
            applicant=js_school,
            until=call.closes_at + dt.timedelta(1),
            reason="x",
        )
    assert exc.value.errors[0].code == "extension.applicant_unknown"
    with pytest.raises(Forbidden):
        services.deadline_extend(
            actor=actor_of(jiangsu_officer),
            call=call,
            applicant=school,
            until=call.closes_at + dt.timedelta(1),
            reason="x",
        )


# --- who sees which calls -------------------------------------------------------------------------


@pytest.fixture
def anhui_calls(anhui):
    return {
        "draft": make_call(anhui, status=Call.Status.DRAFT, title="草稿"),
        "schools": make_call(anhui, types=["training-base", "luban-workshop"], title="学校的通知"),
        "enterprises": make_call(anhui, types=["iei-enterprise"], title="企业的通知"),
        "closed": make_call(
            anhui,
            types=["luban-workshop"],
            title="已截止",
            opens=NOW - dt.timedelta(days=30),
            closes=NOW - dt.timedelta(days=1),
        ),
    }


def titles(qs):
    return sorted(c.title for c in qs)


def test_each_role_sees_its_calls(
    anhui_calls,
    province_officer,
    observer,
    city_officer,
    school_admin,
    enterprise_contact,
    expert,
    jiangsu_officer,
):
    assert titles(selectors.calls_for(actor_of(province_officer))) == [
        "企业的通知",
        "学校的通知",
        "已截止",
        "草稿",
    ]
    assert titles(selectors.calls_for(actor_of(observer))) == ["企业的通知", "学校的通知", "已截止", "草稿"]
    assert titles(selectors.calls_for(actor_of(city_officer))) == ["企业的通知", "学校的通知", "已截止"]
    # applicants: the published calls they may apply for; by default the list shows the open ones
    assert titles(selectors.calls_for(actor_of(school_admin))) == ["学校的通知", "已截止"]
    assert titles(selectors.calls_for(actor_of(school_admin), status="open")) == ["学校的通知"]
    assert titles(selectors.calls_for(actor_of(school_admin), status="closed")) == ["已截止"]
    assert titles(selectors.calls_for(actor_of(enterprise_contact))) == ["企业的通知"]
    assert titles(selectors.calls_for(actor_of(expert))) == []
    assert titles(selectors.calls_for(actor_of(jiangsu_officer))) == []


def test_a_school_outside_the_pilot_zone_does_not_see_the_zones_calls(anhui_calls, regions):
    from chanjiao.core.models import Region

    outside = make_org(
        "六安职业技术学院", kind="school", region=Region.objects.get(code="341503"), school_level="associate"
    )
    admin = make_person("liuan", outside, "org_admin")
    assert titles(selectors.calls_for(actor_of(admin))) == []


def test_an_applicant_sees_its_own_deadline(
    anhui_calls, province_officer, school_admin, school, other_school_admin
):
    call = anhui_calls["closed"]
    services.deadline_extend(
        actor=actor_of(province_officer),
        call=call,
        applicant=school,
        until=NOW + dt.timedelta(days=2),
        reason="补交材料",
    )
    mine = selectors.calls_for(actor_of(school_admin), status="open")
    assert titles(mine) == ["学校的通知", "已截止"]
    assert next(c for c in mine if c.pk == call.pk).applicant_deadline > NOW
    assert titles(selectors.calls_for(actor_of(other_school_admin), status="open")) == ["学校的通知"]
    assert selectors.call_get_for(actor=actor_of(school_admin), pk=call.pk).applicant_deadline > NOW


def test_call_get_for_answers_404_outside_scope(
    anhui_calls, school_admin, jiangsu_officer, city_officer, expert
):
    with pytest.raises(NotFound):
        selectors.call_get_for(actor=actor_of(school_admin), pk=anhui_calls["draft"].pk)
    with pytest.raises(NotFound):
        selectors.call_get_for(actor=actor_of(jiangsu_officer), pk=anhui_calls["schools"].pk)
    with pytest.raises(NotFound):
        selectors.call_get_for(actor=actor_of(expert), pk=anhui_calls["schools"].pk)
    with pytest.raises(NotFound):
        selectors.call_get_for(actor=actor_of(city_officer), pk="x")
    # a published call of the province opens for a school that may not apply, to say why
    assert selectors.call_get_for(actor=actor_of(school_admin), pk=anhui_calls["enterprises"].pk)
