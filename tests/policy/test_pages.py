"""The policy pages: packs, project types (what a school must satisfy and where it comes from),
indicator trees, and calls for each role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from chanjiao.core.models import AuditEntry
from chanjiao.policy.models import Call, DeadlineExtension, IndicatorSystem, ProjectType
from chanjiao.policy.services import indicator_system_document
from tests.conftest import client_for

from .factories import make_call


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_pack_list_and_a_pack_page(school_admin, packs):
    client = client_for(school_admin)
    listing = text(client.get("/policy/"))
    assert "皖江经济带产教融合职业教育创新发展试验区建设项目实施方案" in listing
    assert "江苏省高等职业教育产教融合集成平台建设计划" in listing
    page = client.get("/policy/packs/anhui-wanjiang/")
    assert page.status_code == 200
    html = text(page)
    # five programmes, fifteen types, the targets the plan gives
    assert html.count('data-programme="') == 5
    assert html.count('data-project-type="') == 15
    assert "产教融合体制机制创新工程" in html
    assert "对外交流合作工程" in html
    assert 'data-target="150"' in html
    assert "约150家" in html
    assert 'data-target="50"' in html
    assert "50个" in html
    assert 'data-list="reform_mechanism"' in html
    assert "平台默认（非官方）" in html  # its indicator systems are the platform's defaults
    assert client.get("/policy/packs/no-such-pack/").status_code == 404


def test_the_project_type_page_shows_what_a_school_must_satisfy_and_where_it_comes_from(
    js_school_admin, jiangsu
):
    pt = ProjectType.objects.get(pack=jiangsu)
    html = text(client_for(js_school_admin).get(f"/policy/project-types/{pt.pk}/"))
    assert "申报须满足的条件" in html
    assert "合作企业投入不少于总投入的三分之一" in html
    assert "建设资金总投入不得低于3,000万元" in html
    assert "依据：江苏建设计划 三(二)" in html
    assert "依据：江苏建设计划 二 注1" in html
    assert 'data-rule="budget.enterprise_share_below_minimum"' in html
    # the reporting cadence and the construction plan are the platform's: marked so
    assert html.count("data-default") >= 2
    assert "每年上报：资金投入、设备更新、平台使用" in html
    assert "每年向企业或社会提供三分之一左右的工位作为培训资源" in html
    assert html.count("必选") >= 7
    assert "可选" in html
    assert "本单位符合申报单位的条件" in html
    assert 'data-task="3"> <td class="text-nowrap text-secondary">（三）</td>' in html
    assert "各方责权利、设备与经费投入方式、使用和管理办法" in html
    assert "标准条件" in html
    assert "纪检监察部门全程参与" in html
    assert "减小支持力度或不再作为重点支持项目" in html


def test_a_school_that_may_not_apply_is_told_why(school_admin, jiangsu):
    pt = ProjectType.objects.get(pack=jiangsu)
    html = text(client_for(school_admin).get(f"/policy/project-types/{pt.pk}/"))
    assert "本单位不符合申报条件" in html
    assert 'data-error="applicant.region_not_eligible"' in html


def test_the_indicator_tree_page(school_admin, jiangsu):
    system = IndicatorSystem.objects.get(pack=jiangsu, code="jiangsu-selection")
    html = text(client_for(school_admin).get(f"/policy/indicator-systems/{system.pk}/"))
    assert "data-default-system" in html
    assert "平台默认（非官方）" in html
    assert "一级" in html
    assert "二级" in html
    assert "三级" in html
    assert 'data-indicator="1.1.1"' in html
    assert 'data-weight="6"' in html
    assert "专家评分" in html
    assert "按填报数据计算" in html
    assert "达标判定" in html
    assert "一票否决项" in html
    assert 'data-veto="V1"' in html
    assert "修改（保存为新版本）" not in html  # only province staff of Jiangsu edit


def test_province_staff_edit_the_tree_on_its_page(jiangsu_officer, jiangsu):
    import yaml

    system = IndicatorSystem.objects.get(pack=jiangsu, code="jiangsu-selection")
    client = client_for(jiangsu_officer)
    page = client.get(f"/policy/indicator-systems/{system.pk}/edit/")
    assert page.status_code == 200
    document = indicator_system_document(system)
    document["indicators"][0]["weight"] = 21
    refused = client.post(
        f"/policy/indicator-systems/{system.pk}/edit/",
        {"document": yaml.safe_dump(document, allow_unicode=True)},
    )
    assert refused.status_code == 200
    html = text(refused)
    assert "indicators[0].weight" in html
    assert "下级指标分值之和应等于本指标分值" in html
    broken = client.post(f"/policy/indicator-systems/{system.pk}/edit/", {"document": "name: [未闭合"})
    assert "YAML 语法错误（第2行" in text(broken)
    assert 'data-error="pack.yaml_syntax"' in text(broken)
    assert IndicatorSystem.objects.filter(code="jiangsu-selection").count() == 1
    document["indicators"][0]["weight"] = 20
    document["name"] = "遴选指标体系（省厅修订）"
    saved = client.post(
        f"/policy/indicator-systems/{system.pk}/edit/",
        {"document": yaml.safe_dump(document, allow_unicode=True)},
    )
    new = IndicatorSystem.objects.get(code="jiangsu-selection", is_current=True)
    assert saved.status_code == 302
    assert saved["Location"] == f"/policy/indicator-systems/{new.pk}/"
    assert (new.version, new.name, new.is_default) == (2, "遴选指标体系（省厅修订）", False)
    assert AuditEntry.objects.filter(action="indicator_system.edit").count() == 1


# --- calls -----------------------------------------------------------------------------------------


def test_province_staff_open_edit_and_publish_a_call_on_the_pages(province_officer, anhui, edition):
    client = client_for(province_officer)
    chooser = text(client.get("/policy/calls/new/"))
    assert 'data-pack="anhui-wanjiang"' in chooser
    assert "jiangsu" not in chooser
    form = client.get("/policy/calls/new/?pack=anhui-wanjiang")
    assert form.status_code == 200
    assert "合肥市" in text(form)
    # refused: closing before opening, a negative quota
    refused = client.post(
        "/policy/calls/new/?pack=anhui-wanjiang",
        {
            "title": "2026年皖江试验区项目申报",
            "project_types": ["training-base", "teacher-base"],
            "opens_at": "2026-03-31T17:00",
            "closes_at": "2026-03-01T09:00",
            "quota_340100": "-1",
        },
    )
    assert refused.status_code == 200
    html = text(refused)
    assert "截止时间应晚于开始时间" in html
    assert "合肥市的推荐名额不能为负数（当前：-1）" in html
    assert Call.objects.count() == 0
    created = client.post(
        "/policy/calls/new/?pack=anhui-wanjiang",
        {
            "title": "2026年皖江试验区项目申报",
            "project_types": ["training-base", "teacher-base"],
            "opens_at": "2026-03-01T09:00",
            "closes_at": "2099-03-31T17:00",
            "quota_340100": "5",
        },
    )
    call = Call.objects.get()
    assert created["Location"] == f"/policy/calls/{call.pk}/"
    assert call.status == Call.Status.DRAFT
    assert call.quotas.get().quota == 5
    detail = text(client.get(f"/policy/calls/{call.pk}/"))
    assert "草稿" in detail
    assert "发布" in detail
    assert "2026-03-01 09:00" in detail
    edited = client.post(
        f"/policy/calls/{call.pk}/edit/",
        {
            "title": "2026年皖江试验区项目申报（第一批）",
            "project_types": ["training-base"],
            "opens_at": "2026-03-01T09:00",
            "closes_at": "2099-03-31T17:00",
            "start_batch": "1",
        },
    )
    assert edited.status_code == 302
    call.refresh_from_db()
    assert call.title.endswith("（第一批）")
    assert call.start_batch == 1
    assert client.post(f"/policy/calls/{call.pk}/publish/").status_code == 302
    call.refresh_from_db()
    assert call.status == Call.Status.PUBLISHED
    # once published, the edit page sends back to the call
    assert client.get(f"/policy/calls/{call.pk}/edit/")["Location"] == f"/policy/calls/{call.pk}/"


def test_the_deadline_extension_form(province_officer, anhui, school):
    call = make_call(anhui, types=["training-base"])
    client = client_for(province_officer)
    page = text(client.get(f"/policy/calls/{call.pk}/extensions/"))
    assert school.name in page
    refused = client.post(
        f"/policy/calls/{call.pk}/extensions/",
        {"applicant": school.pk, "until": "2099-01-01T00:00", "reason": ""},
    )
    assert "请填写延期理由" in text(refused)
    assert DeadlineExtension.objects.count() == 0
    done = client.post(
        f"/policy/calls/{call.pk}/extensions/",
        {"applicant": school.pk, "until": "2099-01-01T00:00", "reason": "网络故障"},
    )
    assert done.status_code == 302
    detail = text(client.get(f"/policy/calls/{call.pk}/"))
    assert f'data-extension="{school.pk}"' in detail
    assert "网络故障" in detail


def test_a_school_sees_its_calls_and_its_own_deadline(school_admin, province_officer, anhui, school):
    now = timezone.now()
    call = make_call(anhui, types=["training-base"], title="实训基地申报", closes=now + dt.timedelta(days=2))
    make_call(anhui, types=["iei-enterprise"], title="企业培育申报")
    make_call(anhui, types=["training-base"], title="草稿", status=Call.Status.DRAFT)
    DeadlineExtension.objects.create(
        call=call, applicant=school, until=now + dt.timedelta(days=5), reason="r", granted_by=province_officer
    )
    client = client_for(school_admin)
    html = text(client.get("/policy/calls/"))
    assert "实训基地申报" in html
    assert "企业培育申报" not in html
    assert "草稿" not in html.split("<tbody>")[1]
    assert "已延期" in html
    detail = text(client.get(f"/policy/calls/{call.pk}/"))
    assert "本单位截止时间" in detail
    assert "本单位可申报" in detail
    assert "为申报单位延期" not in detail


def test_the_call_list_does_not_grow_queries_with_calls(school_admin, anhui, django_assert_max_num_queries):
    client = client_for(school_admin)
    for n in range(3):
        make_call(anhui, types=["training-base", "luban-workshop"], title=f"通知{n}")
    client.get("/policy/calls/")  # warm the session and caches
    with django_assert_max_num_queries(30) as few:
        client.get("/policy/calls/")
    for n in range(3, 12):
        make_call(anhui, types=["training-base", "luban-workshop"], title=f"通知{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/policy/calls/")
    assert text(response).count('data-call="') == 12


@pytest.mark.parametrize(("persona", "count"), [("city_officer", 1), ("expert", 0), ("learner", 0)])
def test_other_roles_on_the_call_list(persona, count, request, anhui):
    make_call(anhui, types=["training-base"])
    user = request.getfixturevalue(persona)
    html = text(client_for(user).get("/policy/calls/"))
    assert html.count('data-call="') == count


def test_the_admin_shows_packs_and_calls_read_only(anhui, db):
    from chanjiao.orgs.models import User

    admin = User.objects.create_superuser("root", "root@example.cn", "Root-pass-2026")
    make_call(anhui)
    client = client_for(admin)
    for path in ("/admin/policy/policypack/", "/admin/policy/call/", "/admin/policy/indicatorsystem/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/policy/call/add/").status_code == 403
