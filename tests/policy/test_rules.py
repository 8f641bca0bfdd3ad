"""evaluate(): every broken rule at once, with stable codes, current and required values and sources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from chanjiao.policy.models import Call, DeadlineExtension, ProjectType
from chanjiao.policy.rules import evaluate, money_text, rules_for, share_text
from tests.factories import make_org

from .factories import facts, make_call


@pytest.fixture
def platform(jiangsu) -> ProjectType:
    return ProjectType.objects.select_related("pack").get(pack=jiangsu, code="integration-platform")


@pytest.fixture
def js_call(jiangsu, edition) -> Call:
    return make_call(jiangsu, edition=edition, title="2019年省产教融合集成平台申报")


@pytest.fixture
def good(js_school, js_enterprise):
    return facts(
        applicant_id=js_school.pk,
        partners=((js_enterprise.pk, "co_building_enterprise", "enterprise"),),
        signed_by={"co_building_agreement": (js_school.pk, js_enterprise.pk)},
    )


def codes(errors) -> list[str]:
    return [e.code for e in errors]


def test_a_submission_that_satisfies_every_rule_passes(js_call, platform, good):
    assert evaluate(call=js_call, project_type=platform, facts=good) == []


def test_every_broken_rule_is_reported_at_once(js_call, platform, js_school, regions):
    # given a submission that breaks nearly every rule of the Jiangsu plan
    other_school = make_org("合作学院", kind="school", region=regions.nanjing, school_level="associate")
    bad = facts(
        applicant_id=js_school.pk,
        applicant_school_level="vocational_bachelor",
        applicant_is_independent=False,
        applicant_region_code="340104",
        partners=((other_school.pk, "school", "school"),),
        programme_codes=(),
        task_codes=("1", "2", "9"),
        budget_by_source={
            "enterprise": Decimal("7500000"),
            "school": Decimal("17500000"),
            "lottery": Decimal("1"),
        },
        budget_by_kind={"cash": Decimal("25000000"), "gold": Decimal("1")},
        attachment_codes=("co_building_agreement",),
        signed_by={"co_building_agreement": (js_school.pk,)},
        fields={"programme_cluster_name": " "},
        kpi_codes=("tech_service_income",),
        other_applications_in_call=1,
        now=js_call.closes_at + dt.timedelta(minutes=1),
    )
    # when it is evaluated
    errors = evaluate(call=js_call, project_type=platform, facts=bad)
    # then every rule it breaks is there, once each (tasks, fields and KPIs once per item)
    assert sorted(set(codes(errors))) == sorted(
        [
            "call.closed",
            "applicant.region_not_eligible",
            "applicant.level_not_eligible",
            "applicant.not_independent",
            "applicant.limit_per_call",
            "programme.cluster_required",
            "partners.enterprise_required",
            "tasks.mandatory_missing",
            "tasks.unknown",
            "budget.total_below_minimum",
            "budget.enterprise_share_below_minimum",
            "budget.unknown_source",
            "budget.unknown_kind",
            "attachments.required_missing",
            "attachments.not_signed_by_all_partners",
            "fields.required",
            "kpis.required_missing",
        ]
    )
    by_code = {}
    for e in errors:
        by_code.setdefault(e.code, []).append(e)
    # the messages carry the current and the required value, and the source
    (share,) = by_code["budget.enterprise_share_below_minimum"]
    assert share.field == "budget.enterprise_share"
    # 7,500,000 of 25,000,001
    assert share.message == "合作企业投入不少于总投入的三分之一（当前：30.0%，依据：江苏建设计划 三(二)）"
    (total,) = by_code["budget.total_below_minimum"]
    assert total.message == "建设资金总投入不得低于3,000万元（当前：25,000,001元，依据：江苏建设计划 三(二)）"
    missing = [e.message for e in by_code["tasks.mandatory_missing"]]
    assert len(missing) == 5
    assert missing[0] == "缺少必选任务（三）组建高水平教师教学创新团队（依据：江苏建设计划 二 注1）"
    assert "（七）创新集成平台建设运行机制" in missing[-1]
    assert "任务 9 不是本项目类型的建设任务" in by_code["tasks.unknown"][0].message
    assert "已有1个申报" in by_code["applicant.limit_per_call"][0].message
    assert "限高职专科" in by_code["applicant.level_not_eligible"][0].message
    assert "当前：职业本科" in by_code["applicant.level_not_eligible"][0].message
    assert "截止时间" in by_code["call.closed"][0].message
    (unsigned,) = by_code["attachments.not_signed_by_all_partners"]
    assert "合作学院" in unsigned.message
    assert "三(三)2" in unsigned.message
    assert [e.field for e in by_code["attachments.required_missing"]] == ["attachments.construction_plan"]
    assert "平台默认（非官方）" in by_code["attachments.required_missing"][0].message
    assert {e.field for e in by_code["fields.required"]} == {
        "fields.programme_cluster_name",
        "fields.industry_focus",
        "fields.social_training_workstation_share",
    }
    assert len(by_code["kpis.required_missing"]) == 4
    assert by_code["budget.unknown_source"][0].field == "budget.sources.lottery"
    assert by_code["budget.unknown_kind"][0].field == "budget.kinds.gold"


def test_mended_one_by_one_the_errors_go_away(js_call, platform, good):
    cases = [
        ({"budget_by_source": {"enterprise": Decimal("9000000"), "school": Decimal("21000000")}}, []),  # 30%
        (
            {"budget_by_source": {"enterprise": Decimal("10000000"), "school": Decimal("20000000")}},
            None,
        ),  # 1/3
        ({"budget_by_source": {"enterprise": Decimal("9999999.99"), "school": Decimal("20000000.01")}}, []),
        ({"budget_by_source": {"enterprise": Decimal("10000000"), "school": Decimal("19999999.99")}}, []),
        ({"programme_codes": ("460101", "999999")}, ["programme.unknown_code"]),
        ({"task_codes": ("1", "2", "3", "4", "5", "6", "7", "8")}, None),
    ]
    for overrides, expected in cases:
        result = codes(
            evaluate(call=js_call, project_type=platform, facts=facts(**{**good.__dict__, **overrides}))
        )
        if expected is None:
            assert result == [], overrides
        elif expected:
            assert result == expected, overrides
        else:
            assert result, overrides


def test_the_enterprise_share_boundary_is_exact(js_call, platform, good):
    # exactly one third passes; a fen less does not
    ok = facts(
        **{
            **good.__dict__,
            "budget_by_source": {"enterprise": Decimal("10000000"), "school": Decimal("20000000")},
        }
    )
    assert evaluate(call=js_call, project_type=platform, facts=ok) == []
    short = facts(
        **{
            **good.__dict__,
            "budget_by_source": {"enterprise": Decimal("9999999.99"), "school": Decimal("20000000.01")},
        }
    )
    assert codes(evaluate(call=js_call, project_type=platform, facts=short)) == [
        "budget.enterprise_share_below_minimum"
    ]


def test_unknown_programme_codes_are_each_named_with_the_edition(js_call, platform, good):
    errors = evaluate(
        call=js_call,
        project_type=platform,
        facts=facts(**{**good.__dict__, "programme_codes": ("460101", "999999", "888888")}),
    )
    assert [e.message for e in errors] == [
        "专业代码 999999 不在2024年专业目录中（依据：申报通知 专业目录版本）",
        "专业代码 888888 不在2024年专业目录中（依据：申报通知 专业目录版本）",
    ]


def test_the_deadline_is_the_applicants_own(js_call, platform, good, js_school, province_officer):
    late = js_call.closes_at + dt.timedelta(hours=2)
    assert codes(
        evaluate(call=js_call, project_type=platform, facts=facts(**{**good.__dict__, "now": late}))
    ) == ["call.closed"]
    DeadlineExtension.objects.create(
        call=js_call,
        applicant=js_school,
        until=js_call.closes_at + dt.timedelta(days=3),
        reason="系统故障",
        granted_by=province_officer,
    )
    assert evaluate(call=js_call, project_type=platform, facts=facts(**{**good.__dict__, "now": late})) == []
    # another applicant still closes with the call
    assert (
        codes(
            evaluate(
                call=js_call,
                project_type=platform,
                facts=facts(**{**good.__dict__, "now": late, "applicant_id": 999}),
            )
        )[0]
        == "call.closed"
    )


def test_a_draft_or_unopened_call_refuses(jiangsu, platform, good):
    later = timezone.now() + dt.timedelta(days=5)
    call = make_call(jiangsu, opens=later, closes=later + dt.timedelta(days=5))
    assert codes(evaluate(call=call, project_type=platform, facts=good))[0] == "call.not_open"
    draft = make_call(jiangsu, status=Call.Status.DRAFT)
    assert codes(evaluate(call=draft, project_type=platform, facts=good))[0] == "call.not_open"


def test_the_calls_limit_is_the_one_applied(jiangsu, platform, good, edition):
    call = make_call(jiangsu, limit=2, edition=edition)
    assert (
        evaluate(
            call=call,
            project_type=platform,
            facts=facts(**{**good.__dict__, "other_applications_in_call": 1}),
        )
        == []
    )
    errors = evaluate(
        call=call, project_type=platform, facts=facts(**{**good.__dict__, "other_applications_in_call": 2})
    )
    assert codes(errors) == ["applicant.limit_per_call"]
    assert "依据：申报通知" in errors[0].message


# --- Anhui: who may apply, and where --------------------------------------------------------------


def _anhui_facts(org, **overrides):
    base = {
        "applicant_id": org.pk,
        "applicant_kind": org.kind,
        "applicant_school_level": org.school_level,
        "applicant_is_independent": True,
        "applicant_region_code": org.region_id,
        "partners": (),
        "programme_codes": (),
        "task_codes": (),
        "budget_by_source": {},
        "budget_by_kind": {},
        "attachment_codes": (),
        "fields": {},
        "kpi_codes": (),
    }
    base.update(overrides)
    return facts(**base)


def test_only_a_city_applies_for_the_iei_city_type(anhui, city_dept, province_dept, school):
    call = make_call(anhui, types=["iei-city"])
    pt = call.project_types.get()
    assert evaluate(call=call, project_type=pt, facts=_anhui_facts(city_dept)) == []
    # the province's department is neither a city nor in the zone's cities
    errors = evaluate(call=call, project_type=pt, facts=_anhui_facts(province_dept))
    assert codes(errors) == ["applicant.region_not_eligible", "applicant.level_not_eligible"]
    assert "当前：省级" in errors[1].message
    assert "二(一)1" in errors[1].message
    assert codes(evaluate(call=call, project_type=pt, facts=_anhui_facts(school))) == [
        "applicant.kind_not_eligible"
    ]


def test_an_applicant_outside_the_pilot_zone_is_refused(anhui, regions):
    from chanjiao.core.models import Region

    outside = make_org(
        "六安职业技术学院", kind="school", region=Region.objects.get(code="341503"), school_level="associate"
    )
    inside = make_org(
        "金安职业学校", kind="school", region=Region.objects.get(code="341502"), school_level="secondary"
    )
    call = make_call(anhui, types=["luban-workshop"])
    pt = call.project_types.get()
    errors = evaluate(call=call, project_type=pt, facts=_anhui_facts(outside))
    assert codes(errors) == ["applicant.region_not_eligible"]
    assert "皖江经济带产教融合职业教育创新发展试验区" in errors[0].message
    assert evaluate(call=call, project_type=pt, facts=_anhui_facts(inside)) == []


def test_co_built_types_require_their_partners(anhui, school, enterprise, city_dept):
    call = make_call(anhui, types=["training-base"])
    pt = call.project_types.get()
    errors = evaluate(call=call, project_type=pt, facts=_anhui_facts(school))
    assert codes(errors) == ["partners.enterprise_required", "partners.local_government_required"]
    assert (
        errors[0].message == "须有至少1家共建企业作为共建单位（当前：0家，依据：皖江试验区实施方案 二(二)6）"
    )
    mended = _anhui_facts(
        school,
        partners=(
            (enterprise.pk, "co_building_enterprise", "enterprise"),
            (city_dept.pk, "local_government", "department"),
        ),
    )
    assert evaluate(call=call, project_type=pt, facts=mended) == []


def test_a_field_the_plan_requires_to_be_true(anhui, school, enterprise):
    call = make_call(anhui, types=["demonstration-school"])
    pt = call.project_types.get()
    partners = ((enterprise.pk, "co_building_enterprise", "enterprise"),)
    missing = evaluate(call=call, project_type=pt, facts=_anhui_facts(school, partners=partners))
    assert codes(missing) == ["fields.required"]
    no = evaluate(
        call=call,
        project_type=pt,
        facts=_anhui_facts(school, partners=partners, fields={"provincial_model_school": False}),
    )
    assert codes(no) == ["fields.condition_not_met"]
    assert "已入选安徽省校企合作示范典型学校" in no[0].message
    assert "当前：否" in no[0].message
    yes = _anhui_facts(school, partners=partners, fields={"provincial_model_school": True})
    assert evaluate(call=call, project_type=pt, facts=yes) == []


# --- one list for the page and for evaluate ---------------------------------------------------------


def test_the_page_lists_the_rules_evaluate_checks(js_call, platform):
    described = rules_for(platform, js_call)
    assert {r.code for r in described} >= {
        "call.closed",
        "applicant.kind_not_eligible",
        "applicant.level_not_eligible",
        "applicant.not_independent",
        "applicant.limit_per_call",
        "programme.cluster_required",
        "programme.unknown_code",
        "partners.enterprise_required",
        "tasks.mandatory_missing",
        "tasks.unknown",
        "budget.total_below_minimum",
        "budget.enterprise_share_below_minimum",
        "budget.unknown_source",
        "budget.unknown_kind",
        "attachments.required_missing",
        "attachments.not_signed_by_all_partners",
        "fields.required",
        "kpis.required_missing",
    }
    by_code = {r.code: r for r in described}
    assert by_code["budget.enterprise_share_below_minimum"].text == "合作企业投入不少于总投入的三分之一"
    assert str(by_code["budget.enterprise_share_below_minimum"].source) == "江苏建设计划 三(二)"
    assert by_code["budget.total_below_minimum"].text == "建设资金总投入不得低于3,000万元"
    assert all(r.source.plan and r.source.section for r in described)
    defaults = [r for r in described if r.is_default]
    assert [r.text for r in defaults] == ["须提交建设方案，内容包括建设目标、具体措施、建设进度、保障措施"]


def test_formatting_helpers():
    assert money_text(Decimal("30000000")) == "3,000万元"
    assert money_text(Decimal("25000001")) == "25,000,001元"
    assert money_text(Decimal("1234.5")) == "1,234.50元"
    from fractions import Fraction

    assert share_text(Fraction(1, 3)) == "三分之一"
    assert share_text(Decimal("0.25")) == "25.0%"
