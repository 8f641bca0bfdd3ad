"""The policy API: packs, project types with their rules, indicator systems, calls."""

from __future__ import annotations

import pytest

from chanjiao.core.models import AuditEntry
from chanjiao.policy.models import Call, DeadlineExtension, IndicatorSystem, ProjectType
from chanjiao.policy.services import PACKS_DIR, indicator_system_document, pack_load
from tests.conftest import error_codes, error_fields

from .factories import make_call

API = "/api/v1"


def test_packs_are_listed_with_their_current_versions(api, school_admin, packs):
    response = api(school_admin).get(f"{API}/policy-packs")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["code"] for p in body["items"]] == ["anhui-wanjiang", "jiangsu-integration-platform"]
    assert body["items"][1]["region"] == {"code": "320000", "name": "江苏省"}
    assert body["items"][0]["loaded_at"].endswith("+08:00")


def test_a_pack_answers_with_its_versions(api, jiangsu_officer, jiangsu):
    text = (PACKS_DIR / "jiangsu-integration-platform.yaml").read_text(encoding="utf-8")
    pack_load(text=text.replace('version: "2019.1"', 'version: "2019.2"', 1))
    client = api(jiangsu_officer)
    body = client.get(f"{API}/policy-packs/jiangsu-integration-platform").json()
    assert body["version"] == "2019.2"
    assert [(v["version"], v["is_current"]) for v in body["versions"]] == [
        ("2019.2", True),
        ("2019.1", False),
    ]
    assert body["project_type_count"] == 1
    assert len(body["indicator_system_ids"]) == 3
    old = client.get(f"{API}/policy-packs/jiangsu-integration-platform?version=2019.1").json()
    assert old["version"] == "2019.1"
    assert old["content"]["project_types"][0]["investment"]["min_total"]["amount"] == "30000000.00"
    assert client.get(f"{API}/policy-packs/no-such-pack").status_code == 404


def test_project_types_of_a_pack(api, school_admin, packs):
    client = api(school_admin)
    body = client.get(f"{API}/project-types?pack=anhui-wanjiang&page_size=200").json()
    assert body["count"] == 15
    assert body["items"][2]["name"] == "产教融合型企业培育项目"
    assert body["items"][2]["target_count"] == 150
    assert body["items"][2]["programme_name"] == "产教融合体制机制创新工程"
    assert client.get(f"{API}/project-types?pack=anhui-wanjiang&version=2019.1").json()["count"] == 15
    assert client.get(f"{API}/project-types").json()["count"] == 16
    assert client.get(f"{API}/project-types?pack=anhui-wanjiang&version=1999").status_code == 404
    refused = client.get(f"{API}/project-types?version=2019.1")
    assert refused.status_code == 422
    assert error_codes(refused) == ["policy.version_without_pack"]


def test_a_project_type_shows_every_rule_with_its_source(api, school_admin, jiangsu):
    pt = ProjectType.objects.get(pack=jiangsu)
    body = api(school_admin).get(f"{API}/project-types/{pt.pk}").json()
    assert body["min_total_investment"] == "30000000.00"
    assert body["min_enterprise_share"] == "1/3"
    assert body["construction_years"] == 3
    assert body["limit_per_applicant"] == 1
    assert body["eligible_kinds"] == ["school"]
    assert body["eligible_levels"] == ["associate"]
    assert [t["mandatory"] for t in body["tasks"]] == [True] * 7 + [False]
    assert body["tasks"][0]["source"] == {"plan": "江苏建设计划", "section": "二(一)"}
    share = next(r for r in body["rules"] if r["code"] == "budget.enterprise_share_below_minimum")
    assert share == {
        "code": "budget.enterprise_share_below_minimum",
        "text": "合作企业投入不少于总投入的三分之一",
        "source": {"plan": "江苏建设计划", "section": "三(二)"},
        "is_default": False,
    }
    assert [r["text"] for r in body["rules"] if r["is_default"]] == [
        "须提交建设方案，内容包括建设目标、具体措施、建设进度、保障措施"
    ]
    assert body["attachments"][0]["contents"] == ["各方责权利", "设备与经费投入方式", "使用和管理办法"]
    assert body["funding_sources"][0] == {"code": "provincial_fund", "name": "省财政专项资金"}
    assert len(body["indicator_system_ids"]) == 3


def test_an_indicator_system_as_a_tree(api, school_admin, jiangsu):
    system = IndicatorSystem.objects.get(pack=jiangsu, code="jiangsu-selection")
    body = api(school_admin).get(f"{API}/indicator-systems/{system.pk}").json()
    assert body["is_default"] is True
    assert body["default_label"] == "平台默认（非官方）"
    assert body["total"] == "100.00"
    assert [n["name"] for n in body["indicators"]][:2] == ["产教深度融合", "功能有机集成"]
    leaf = body["indicators"][0]["children"][0]["children"][0]
    assert leaf["method"] == "formula"
    assert leaf["formula"]["thresholds"][-1] == {"min": "1/3", "score": "4"}
    assert leaf["level"] == 3
    assert [v["name"] for v in body["vetoes"]][:2] == [
        "共建协议未由各共建单位签署",
        "合作企业投入低于总投入的三分之一",
    ]


def _edit_body(system, **changes):
    document = indicator_system_document(system)
    body = {k: document[k] for k in ("name", "note", "total", "inputs", "indicators", "vetoes")}
    body.update(changes)
    return body


def test_province_staff_edit_an_indicator_system_as_a_new_version(
    api, jiangsu_officer, province_officer, jiangsu
):
    system = IndicatorSystem.objects.get(pack=jiangsu, code="jiangsu-selection")
    body = _edit_body(system, name="省产教融合集成平台遴选指标体系（2020年修订）")
    # another province's staff may not
    assert (
        api(province_officer).post(f"{API}/indicator-systems/{system.pk}/versions", body).status_code == 403
    )
    # a tree whose weights do not add up is refused with the path of each problem
    bad = _edit_body(system)
    bad["indicators"][0]["weight"] = 30
    refused = api(jiangsu_officer).post(f"{API}/indicator-systems/{system.pk}/versions", bad)
    assert refused.status_code == 422
    assert set(error_fields(refused)) == {"indicators", "indicators[0].weight"}
    assert set(error_codes(refused)) == {"pack.schema"}
    assert IndicatorSystem.objects.filter(code="jiangsu-selection").count() == 1
    # a good one is the next version; the first stays as it was
    response = api(jiangsu_officer).post(f"{API}/indicator-systems/{system.pk}/versions", body)
    assert response.status_code == 201
    new = response.json()
    assert (new["version"], new["is_current"], new["is_default"], new["default_label"]) == (
        2,
        True,
        False,
        None,
    )
    system.refresh_from_db()
    assert not system.is_current
    assert system.indicators.count() == IndicatorSystem.objects.get(pk=new["id"]).indicators.count()
    # editing the old version again is refused: it is no longer current
    stale = api(jiangsu_officer).post(f"{API}/indicator-systems/{system.pk}/versions", body)
    assert stale.status_code == 409
    assert error_codes(stale) == ["indicator_system.stale"]


# --- calls -----------------------------------------------------------------------------------------


def call_body(**overrides):
    body = {
        "pack": "jiangsu-integration-platform",
        "title": "2020年省产教融合集成平台申报",
        "project_types": ["integration-platform"],
        "opens_at": "2030-03-01T09:00:00+08:00",
        "closes_at": "2030-03-31T17:00:00+08:00",
        "start_batch": 2,
        "quotas": {"320100": 4},
    }
    body.update(overrides)
    return body


def test_the_call_lifecycle_over_the_api(api, jiangsu_officer, js_school_admin, js_school, edition, jiangsu):
    staff = api(jiangsu_officer)
    # created as a draft
    created = staff.post(f"{API}/calls", call_body())
    assert created.status_code == 201
    call = created.json()
    assert call["status"] == "draft"
    assert call["opens_at"] == "2030-03-01T09:00:00+08:00"
    assert call["deadline"] == "2030-03-31T17:00:00+08:00"
    assert call["quotas"] == {"320100": 4}
    assert (call["pack_code"], call["pack_version"], call["start_batch"]) == (
        "jiangsu-integration-platform",
        "2019.1",
        2,
    )
    assert call["catalogue_edition"] == "2024"
    # schools do not see a draft
    school = api(js_school_admin)
    assert school.get(f"{API}/calls").json()["count"] == 0
    assert school.get(f"{API}/calls/{call['id']}").status_code == 404
    # changed while a draft, then published
    patched = staff.patch(f"{API}/calls/{call['id']}", {"title": "改后的标题", "quotas": {"320100": 5}})
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["quotas"]) == ("改后的标题", {"320100": 5})
    published = staff.post(f"{API}/calls/{call['id']}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert staff.patch(f"{API}/calls/{call['id']}", {"title": "再改"}).status_code == 409
    assert error_codes(staff.post(f"{API}/calls/{call['id']}/publish")) == ["call.not_draft"]
    # the school sees it now, with its own deadline
    listed = school.get(f"{API}/calls").json()
    assert [c["id"] for c in listed["items"]] == [call["id"]]
    # one school gets more time, with the reason in the audit log
    extended = staff.post(
        f"{API}/calls/{call['id']}/extensions",
        {"applicant_id": js_school.pk, "until": "2030-04-03T17:00:00+08:00", "reason": "材料盖章延误"},
    )
    assert extended.status_code == 201
    assert extended.json()["until"] == "2030-04-03T17:00:00+08:00"
    assert school.get(f"{API}/calls/{call['id']}").json()["deadline"] == "2030-04-03T17:00:00+08:00"
    entry = AuditEntry.objects.get(action="call.deadline_extend")
    assert entry.changes["reason"] == [None, "材料盖章延误"]


def test_a_bad_call_is_refused_with_every_problem(api, jiangsu_officer, jiangsu):
    response = api(jiangsu_officer).post(
        f"{API}/calls",
        call_body(
            project_types=["integration-platform", "training-base"],
            opens_at="2030-04-01T00:00:00+08:00",
            closes_at="2030-03-01T00:00:00+08:00",
            quotas={"320100": -2},
            limit_per_applicant=0,
        ),
    )
    assert response.status_code == 422
    assert error_codes(response) == [
        "call.closes_before_opens",
        "call.project_type_not_in_pack",
        "call.limit_invalid",
        "call.quota_negative",
    ]
    assert error_fields(response) == ["closes_at", "project_types", "limit_per_applicant", "quotas.320100"]
    assert Call.objects.count() == 0
    unknown = api(jiangsu_officer).post(f"{API}/calls", call_body(pack="no-such-pack"))
    assert unknown.status_code == 422
    assert error_codes(unknown) == ["call.pack_unknown"]
    extra = api(jiangsu_officer).post(f"{API}/calls", call_body(colour="red"))
    assert error_codes(extra) == ["input.extra_forbidden"]


def test_an_extension_needs_a_reason(api, jiangsu_officer, jiangsu, js_school):
    call = make_call(jiangsu)
    response = api(jiangsu_officer).post(
        f"{API}/calls/{call.pk}/extensions",
        {"applicant_id": js_school.pk, "until": "2099-01-01T00:00:00+08:00", "reason": ""},
    )
    assert response.status_code == 422
    assert error_codes(response) == ["extension.reason_required"]
    assert DeadlineExtension.objects.count() == 0


@pytest.mark.parametrize("persona", ["school_admin", "enterprise_contact"])
def test_applicants_see_only_the_calls_they_may_apply_for(api, persona, request, anhui):
    make_call(anhui, types=["training-base"], title="学校")
    make_call(anhui, types=["iei-enterprise"], title="企业")
    user = request.getfixturevalue(persona)
    titles = [c["title"] for c in api(user).get(f"{API}/calls").json()["items"]]
    assert titles == (["学校"] if persona == "school_admin" else ["企业"])
