"""The two shipped packs: they load, validate, and hold every figure and list of their plans."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from chanjiao.core.models import AuditEntry
from chanjiao.policy.models import Indicator, IndicatorSystem, PolicyPack, ProjectType
from chanjiao.policy.schema import PackInvalid, validate_pack_text
from chanjiao.policy.services import PACKS_DIR, content_sha256, pack_load

ANHUI_FILE = PACKS_DIR / "anhui-wanjiang.yaml"
JIANGSU_FILE = PACKS_DIR / "jiangsu-integration-platform.yaml"


def _list(items: list[dict], code: str) -> list[str]:
    found = next(x for x in items if x["code"] == code)
    return [i["name"] for i in found["items"]]


@pytest.mark.parametrize("path", [ANHUI_FILE, JIANGSU_FILE], ids=lambda p: p.stem)
def test_each_shipped_pack_validates(path: Path):
    doc = validate_pack_text(path.read_text(encoding="utf-8"))
    assert doc.code == path.stem
    assert doc.schema_version == 1


# --- Anhui: five programmes, fifteen project types ------------------------------------------------


ANHUI_TYPES = [
    (1, "iei-city", "产教融合型城市培育项目", "mechanism", None),
    (2, "iei-industry", "产教融合型行业培育项目", "mechanism", None),
    (3, "iei-enterprise", "产教融合型企业培育项目", "mechanism", 150),
    (4, "demonstration-school", "校企深度合作示范学校培育项目", "platforms", None),
    (5, "education-group", "示范性职业教育集团（联盟）培育项目", "platforms", 20),
    (6, "training-base", "高水平产教融合实训基地建设项目", "platforms", 50),
    (7, "teacher-base", "高水平“双师型”教师培养培训基地建设项目", "platforms", 20),
    (8, "through-training", "技术技能人才贯通培养试点项目", "talent", None),
    (9, "bachelor-pilot", "本科层次职业教育试点项目", "talent", None),
    (10, "jianghuai-craftsmen", "江淮工匠英才培养项目", "talent", None),
    (11, "one-plus-x", "学历证书+若干职业技能等级证书（1+X证书）制度试点项目", "training", None),
    (12, "shortage-skills", "紧缺专业技术技能人才专项培训项目", "training", None),
    (13, "credit-bank", "“学分银行”建设试点项目", "training", None),
    (14, "going-abroad", "职业教育服务皖企“走出去”培育项目", "international", None),
    (15, "luban-workshop", "鲁班工坊培育项目", "international", None),
]


def test_anhui_pack_has_five_programmes_and_all_fifteen_project_types(anhui):
    programmes = [(p["code"], p["name"]) for p in anhui.content["programmes"]]
    assert programmes == [
        ("mechanism", "产教融合体制机制创新工程"),
        ("platforms", "产教融合平台载体建设工程"),
        ("talent", "产教融合人才培养改革工程"),
        ("training", "现代职业培训体系建设工程"),
        ("international", "对外交流合作工程"),
    ]
    rows = list(anhui.project_types.order_by("position"))
    assert [
        (pt.spec["number"], pt.code, pt.name, pt.programme_code, pt.target_count) for pt in rows
    ] == ANHUI_TYPES
    assert rows[0].programme_name == "产教融合体制机制创新工程"
    # every type says where it comes from: 二(programme)number
    assert [pt.spec["source"]["section"] for pt in rows][:4] == ["二(一)1", "二(一)2", "二(一)3", "二(二)4"]
    assert rows[2].spec["target"] == {
        "count": 150,
        "approximate": True,
        "unit": "家",
        "source": {"section": "二(一)3"},
        "default": False,
    }


def test_anhui_pack_says_who_may_apply_for_each_type(anhui):
    types = {pt.code: pt for pt in anhui.project_types.all()}
    assert types["iei-city"].eligible_kinds == ["department"]
    assert types["iei-city"].spec["applicants"]["dept_levels"] == ["city"]
    assert types["iei-industry"].eligible_kinds == ["association"]
    assert types["iei-enterprise"].eligible_kinds == ["enterprise"]
    assert types["bachelor-pilot"].eligible_levels == ["associate"]
    for code in ("demonstration-school", "training-base", "teacher-base", "luban-workshop", "credit-bank"):
        assert types[code].eligible_kinds == ["school"], code
    # 共同建设: the school applies with an enterprise (and, for bases, the zone's government)
    assert [p["key"] for p in types["training-base"].required_partners()] == [
        "enterprise",
        "local_government",
    ]
    assert [p["key"] for p in types["teacher-base"].required_partners()] == ["enterprise"]
    assert [p["key"] for p in types["iei-industry"].required_partners()] == ["school"]
    assert anhui.content["eligible_area"]["pilot_zone"] == "wanjiang"


def test_anhui_pack_holds_every_list_of_the_plan(anhui):
    types = {pt.code: pt.spec["lists"] for pt in anhui.project_types.all()}
    assert _list(types["iei-enterprise"], "incentives") == ["金融", "财政", "土地", "信用"]
    assert _list(types["iei-enterprise"], "participation_areas") == [
        "技术技能人才培养培训",
        "专业建设",
        "课程改革",
        "实训教学",
        "师资培养",
    ]
    assert _list(types["demonstration-school"], "cooperation_areas") == [
        "人才培养",
        "技术创新",
        "就业创业",
        "社会服务",
        "文化传承",
    ]
    assert _list(types["training-base"], "functions") == [
        "实践教学",
        "社会培训",
        "企业真实生产",
        "社会技术服务",
    ]
    assert _list(types["training-base"], "operation") == ["多元化投入", "市场化运作", "企业化管理"]
    assert _list(types["teacher-base"], "fields") == [
        "战略性新兴产业",
        "现代农业",
        "先进制造业",
        "现代服务业",
    ]
    assert _list(types["teacher-base"], "master_studio") == [
        "技术研修",
        "技术攻关",
        "技术技能创新",
        "带徒传技",
    ]
    assert _list(types["going-abroad"], "enterprises") == [
        "科大讯飞",
        "江淮汽车",
        "奇瑞汽车",
        "海螺材料",
        "埃夫特智能装备",
    ]
    assert _list(types["going-abroad"], "technology_fields") == ["人工智能", "新能源汽车", "智能制造装备"]
    assert _list(types["shortage-skills"], "skill_areas") == ["智能制造", "新能源汽车"]
    assert _list(types["one-plus-x"], "certificate_system") == ["学历证书", "若干职业技能等级证书"]
    assert _list(types["credit-bank"], "functions") == ["认定", "积累", "转换"]
    assert _list(types["education-group"], "qualities") == ["职责明确", "统筹有力", "有机衔接", "高效运转"]
    assert _list(types["education-group"], "reforms") == ["办学模式", "培养模式", "教学模式", "评价模式"]
    assert _list(types["jianghuai-craftsmen"], "apprenticeship_modes") == ["现代学徒制", "企业新型学徒制"]
    assert _list(types["through-training"], "stages") == ["中职", "高职", "应用型本科"]
    assert len(_list(types["iei-city"], "content")) == 5
    assert _list(anhui.content["lists"], "reform_mechanism") == [
        "城市为节点",
        "行业为支点",
        "企业为重点",
        "学校为基点",
    ]
    assert _list(anhui.content["lists"], "management_mechanism") == [
        "政府统筹",
        "行业指导",
        "企业参与",
        "权责明确",
        "共同协作",
    ]
    assert _list(anhui.content["lists"], "training_architecture") == [
        "校企结合",
        "工学结合",
        "育训结合",
        "长短结合",
        "内外结合",
    ]
    # every type has its content (项目内容) as a list
    assert all(any(lst["code"] == "content" for lst in lists) for lists in types.values())


# --- Jiangsu: one project type, every rule ---------------------------------------------------------


def test_jiangsu_pack_holds_every_rule_of_the_plan(jiangsu):
    pt = ProjectType.objects.get(pack=jiangsu)
    assert (pt.code, pt.name, pt.target_count) == ("integration-platform", "省产教融合集成平台", 30)
    assert pt.spec["target"]["approximate"] is True
    # tasks (一)–(七) mandatory, (八) optional, with the plan's titles
    tasks = pt.tasks()
    assert [(t.code, t.mandatory) for t in tasks] == [(str(n), n <= 7) for n in range(1, 9)]
    assert tasks[0].title == "服务高水平专业群建设目标"
    assert tasks[4].title == "打造产学研用技术创新高地"
    assert tasks[7].title == "提升国际合作与交流能力"
    assert str(tasks[0].source) == "江苏建设计划 二(一)"
    # who applies: independent 高职 schools with a programme cluster, one per school
    assert pt.eligible_kinds == ["school"]
    assert pt.eligible_levels == ["associate"]
    assert pt.independent_required
    assert pt.programme_cluster_required
    assert pt.limit_per_applicant == 1
    # money
    assert pt.min_total_investment == Decimal("30000000.00")
    assert pt.min_enterprise_share == Fraction(1, 3)
    assert pt.funding_sources() == [
        ("provincial_fund", "省财政专项资金"),
        ("local_government", "地方政府"),
        ("sponsor", "举办方"),
        ("industry", "行业"),
        ("enterprise", "合作企业"),
        ("school", "高职院校"),
    ]
    assert [c for c, _n in pt.contribution_kinds()] == [
        "cash",
        "technology",
        "knowledge",
        "facilities",
        "equipment",
        "management",
    ]
    assert [n for _c, n in pt.contribution_kinds()] == ["资本", "技术", "知识", "设施", "设备", "管理"]
    # construction, review, acceptance, reporting
    assert pt.construction_years == 3
    review = pt.spec["review"]
    assert (review["rounds"], review["start_batches"], review["batch_interval"]["value"]) == (1, 3, "yearly")
    assert review["principles"] == [
        "标准条件",
        "公平竞争",
        "规范程序",
        "专家评审推荐",
        "行政决定立项",
        "纪检监察部门全程参与",
    ]
    assert review["organisers"] == ["省教育厅", "省财政厅"]
    assert pt.spec["acceptance"]["from_year"] == 2022
    assert pt.spec["acceptance"]["in_batches"] is True
    reporting = pt.spec["reporting"]
    assert reporting["cadence"] == {"value": "yearly", "default": True, "source": {"section": "三(三)2"}}
    assert [c["name"] for c in reporting["contents"]] == ["资金投入", "设备更新", "平台使用"]
    assert pt.spec["workstations"]["social_training_share"] == "1/3"
    assert pt.spec["workstations"]["approximate"] is True
    # KPIs
    assert [(k.code, k.name, k.unit) for k in pt.kpis()] == [
        ("tech_service_income", "“四技”到账经费", "万元"),
        ("transfer_projects", "成果转移转化项目", "项"),
        ("incubated_student_projects", "孵化大学生实践创新创业项目", "项"),
        ("research_projects", "省级以上课题", "项"),
        ("patents", "技术专利", "项"),
    ]
    yearly = {k["code"]: k.get("min_per_year") for k in pt.spec["kpis"]}
    assert yearly["transfer_projects"] == 1
    assert yearly["incubated_student_projects"] == 1
    # performance outcomes
    assert [(o["code"], o["name"]) for o in pt.spec["performance"]["outcomes"]] == [
        ("reward", "给予一定奖励"),
        ("reduced_support", "减小支持力度或不再作为重点支持项目"),
        ("terminated", "及时调整或中止"),
    ]
    # the co-building agreement, signed by every partner, with its contents
    agreement = pt.attachments()[0]
    assert (agreement.code, agreement.name, agreement.required, agreement.signed_by_all_partners) == (
        "co_building_agreement",
        "共建协议",
        True,
        True,
    )
    assert agreement.contents == ("各方责权利", "设备与经费投入方式", "使用和管理办法")
    assert str(agreement.source) == "江苏建设计划 三(三)2"
    # the six descriptors
    assert _list(jiangsu.content["lists"], "descriptors") == [
        "产教深度融合",
        "功能有机集成",
        "设施设备先进",
        "资源集聚集优",
        "团队结构优化",
        "管理集约高效",
    ]
    lists = pt.spec["lists"]
    assert _list(lists, "co_building_principles") == ["共建", "共管", "共用", "共享"]
    assert _list(lists, "operating_mechanism") == ["企业化管理", "市场化运作", "集成化展示"]
    assert _list(lists, "retraining_groups") == ["退役军人", "下岗职工", "农民工"]
    assert _list(lists, "course_elements") == ["定位", "目标", "工作情境", "考核方式", "媒体资源"]


def test_every_rule_bearing_item_has_a_source(packs):
    def walk(node, path):
        if isinstance(node, dict):
            if (
                {"code", "name"} <= set(node)
                and ("items" in node or "title" in node or "unit" in node)
                and ".inputs[" not in path
            ):
                assert node.get("source"), path
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    for pack in packs:
        walk(pack.content, pack.code)
        for pt in pack.project_types.all():
            for key in (
                "applicants",
                "construction",
                "limit_per_applicant",
                "review",
                "acceptance",
                "reporting",
            ):
                if pt.spec.get(key):
                    assert pt.spec[key]["source"]["section"], (pt.code, key)


# --- indicator systems -------------------------------------------------------------------------


def test_jiangsu_selection_system_is_the_platforms_default_with_weights_summing_to_100(jiangsu):
    system = IndicatorSystem.objects.get(pack=jiangsu, code="jiangsu-selection")
    assert system.is_default
    assert system.purpose == "selection"
    assert system.version == 1
    roots = system.indicators.filter(parent=None).exclude(method="veto").order_by("position")
    assert [r.name for r in roots] == [
        "产教深度融合",
        "功能有机集成",
        "设施设备先进",
        "资源集聚集优",
        "团队结构优化",
        "管理集约高效",
    ]
    assert sum(r.weight for r in roots) == Decimal("100")
    for row in system.indicators.exclude(method__in=["veto"]):
        kids = list(row.children.all())
        if kids:
            assert sum(k.weight for k in kids) == row.weight, row.code
        else:
            assert row.method in {"expert", "formula", "gate"}, row.code
        if row.method == "expert":
            assert Decimal("0") <= row.min_score <= row.max_score <= row.weight
    assert system.indicators.filter(level=3).exists()
    assert system.indicators.filter(method="gate").exists()
    vetoes = {v.name for v in system.indicators.filter(method="veto")}
    assert {"共建协议未由各共建单位签署", "合作企业投入低于总投入的三分之一"} <= vetoes
    assert {s.purpose for s in IndicatorSystem.objects.filter(pack=jiangsu)} == {
        "selection",
        "acceptance",
        "performance",
    }


def test_anhui_systems_are_marked_as_defaults(anhui):
    systems = IndicatorSystem.objects.filter(pack=anhui)
    assert systems.count() == 2
    assert all(s.is_default for s in systems)
    assert Indicator.objects.filter(system__in=systems, method="veto").count() == 1


# --- refusing malformed packs ------------------------------------------------------------------


def _jiangsu_data() -> dict:
    return yaml.safe_load(JIANGSU_FILE.read_text(encoding="utf-8"))


def test_a_malformed_pack_is_refused_with_every_error_and_its_path():
    data = _jiangsu_data()
    pt = data["project_types"][0]
    pt["investment"]["min_total"]["amount"] = "三千万"
    pt["investment"]["min_enterprise_share"]["value"] = "4/3"
    pt["construction"]["years"] = "three"
    pt["applicants"]["kinds"] = ["school", "university"]
    pt["colour"] = "blue"
    del data["issuer"]
    with pytest.raises(PackInvalid) as exc:
        validate_pack_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    found = {e.path: e.message for e in exc.value.errors}
    assert found["project_types[0].investment.min_total.amount"].startswith("应为金额")
    assert found["project_types[0].investment.min_enterprise_share.value"].startswith("比例应大于0且不大于1")
    assert found["project_types[0].construction.years"] == "应为整数"
    assert found["project_types[0].applicants.kinds[1]"].startswith("取值无效")
    assert found["project_types[0].colour"].startswith("不允许的字段")
    assert found["issuer"] == "必填"
    assert len(exc.value.errors) == 6
    # each says the line it is on
    assert all(e.line for e in exc.value.errors if e.path != "issuer")
    assert str(exc.value.errors[0]).startswith(exc.value.errors[0].path + ": ")


def test_a_pack_whose_parts_do_not_fit_together_is_refused_with_every_path():
    data = _jiangsu_data()
    data["project_types"][0]["tasks"][1]["code"] = "1"
    data["indicator_systems"][0]["indicators"][0]["weight"] = 25
    data["indicator_systems"][0]["project_types"] = ["no-such-type"]
    data["indicator_systems"][0]["vetoes"][0]["condition"]["input"] = "nothing"
    with pytest.raises(PackInvalid) as exc:
        validate_pack_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    paths = [e.path for e in exc.value.errors]
    assert "project_types[0].tasks[1].code" in paths
    assert "indicator_systems[0].project_types[0]" in paths
    assert "indicator_systems[0].indicators" in paths  # 25 + 80 ≠ 100
    assert "indicator_systems[0].indicators[0].weight" in paths  # children add up to 20, not 25
    assert "indicator_systems[0].vetoes[0].condition.input" in paths


def test_a_yaml_syntax_error_names_its_line():
    text = JIANGSU_FILE.read_text(encoding="utf-8").replace('version: "2019.1"', "version: [2019.1", 1)
    with pytest.raises(PackInvalid) as exc:
        validate_pack_text(text)
    (error,) = exc.value.errors
    assert error.path == ""
    assert error.line is not None
    assert error.line > 1
    assert f"第{error.line}行" in error.message
    assert "YAML 语法错误" in error.message


# --- versions ----------------------------------------------------------------------------------


def test_loading_again_changes_nothing_and_a_changed_version_is_refused(jiangsu):
    text = JIANGSU_FILE.read_text(encoding="utf-8")
    result = pack_load(text=text + "\n# a comment does not change the content\n")
    assert result.created is False
    assert result.pack.pk == jiangsu.pk
    changed = text.replace('amount: "30000000.00"', 'amount: "20000000.00"')
    from chanjiao.core.errors import ConflictError

    audit_before = AuditEntry.objects.count()
    with pytest.raises(ConflictError) as exc:
        pack_load(text=changed)
    assert exc.value.errors[0].code == "pack.version_conflict"
    assert PolicyPack.objects.filter(code=jiangsu.code).count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_a_new_version_becomes_current_and_the_old_one_stays(jiangsu):
    text = JIANGSU_FILE.read_text(encoding="utf-8").replace('version: "2019.1"', 'version: "2019.2"', 1)
    text = text.replace('amount: "30000000.00"', 'amount: "35000000.00"')
    result = pack_load(text=text)
    assert result.created
    jiangsu.refresh_from_db()
    assert not jiangsu.is_current
    assert result.pack.is_current
    old = ProjectType.objects.get(pack=jiangsu)
    new = ProjectType.objects.get(pack=result.pack)
    assert old.min_total_investment == Decimal("30000000.00")
    assert new.min_total_investment == Decimal("35000000.00")
    assert result.pack.sha256 == content_sha256(result.pack.content)
    entry = AuditEntry.objects.filter(action="policy_pack.load", object_id=str(result.pack.pk)).get()
    assert entry.changes["version"] == ["2019.1", "2019.2"]


def test_a_person_loads_only_their_own_provinces_pack(jiangsu, province_officer, jiangsu_officer):
    from chanjiao.core.errors import Forbidden
    from tests.conftest import actor_of

    text = JIANGSU_FILE.read_text(encoding="utf-8").replace('version: "2019.1"', 'version: "2019.3"', 1)
    with pytest.raises(Forbidden):
        pack_load(actor=actor_of(province_officer), text=text)
    result = pack_load(actor=actor_of(jiangsu_officer), text=text)
    assert result.pack.loaded_by == jiangsu_officer
