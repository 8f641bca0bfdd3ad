"""Every conflict rule on a worked example, in words; declaring, adding and waiving (with reasons)."""

from __future__ import annotations

import pytest
from django.utils import translation

from chanjiao.core.errors import ConflictError, Forbidden, ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.review import conflicts
from chanjiao.review.models import Conflict, EducationGroup, EducationGroupMember, Exclusion
from tests.conftest import ApiClient, actor_of, error_codes
from tests.factories import make_org

from .factories import make_application, make_enterprise, make_expert, make_school


@pytest.fixture
def parties(regions):
    group = make_org("皖江装备集团有限公司", kind="enterprise", region=regions.hefei)
    return {
        "group": group,
        "subsidiary": make_enterprise(regions.hefei_shushan, "皖江装备合肥分公司", parent=group),
        "sister": make_enterprise(regions.wuhu_jinghu, "皖江装备芜湖有限公司", parent=group),
        "school": make_school(regions.hefei_shushan, "合肥机电职业技术学院"),
        "partner": make_enterprise(regions.hefei_shushan, "合肥智造有限公司"),
        "elsewhere": make_school(regions.wuhu_jinghu, "芜湖信息职业技术学院"),
    }


def found(review, application, expert):
    with translation.override("zh-hans"):
        return {
            c.kind: conflicts.conflict_text(c)
            for c in Conflict.objects.filter(round=review.round, application=application, expert=expert)
        }


def compute(review, officer):
    return conflicts.conflicts_compute(actor=actor_of(officer), review_round=review.round)


def test_employer_is_the_applicant_or_a_partner(review, regions, parties, province_officer):
    app = make_application(
        review.call,
        review.project_type,
        parties["school"],
        partners=[(parties["partner"], "co_building_enterprise")],
    )
    own = make_expert(regions.anhui, parties["school"], name="李校长")
    partner_staff = make_expert(regions.anhui, parties["partner"], name="王工")
    stranger = make_expert(regions.anhui, parties["elsewhere"], name="赵老师")
    compute(review, province_officer)
    assert found(review, app, own) == {"employer_is_party": "专家所在单位“合肥机电职业技术学院”就是申报单位"}
    assert found(review, app, partner_staff) == {
        "employer_is_party": "专家所在单位“合肥智造有限公司”是申报单位“合肥机电职业技术学院”的共建企业"
    }
    assert found(review, app, stranger) == {}


def test_same_legal_person_or_parent_group(review, regions, parties, province_officer):
    # the partner is the group's Hefei branch; experts at the group, at a sister company and at the branch's
    app = make_application(
        review.call,
        review.project_type,
        parties["school"],
        partners=[(parties["subsidiary"], "co_building_enterprise")],
    )
    at_parent = make_expert(regions.anhui, parties["group"], name="钱总")
    at_sister = make_expert(regions.anhui, parties["sister"], name="孙工")
    compute(review, province_officer)
    assert found(review, app, at_parent) == {
        "same_group": "专家所在单位“皖江装备集团有限公司”是共建企业“皖江装备合肥分公司”的上级单位（母公司）"
    }
    assert found(review, app, at_sister) == {
        "same_group": "专家所在单位“皖江装备芜湖有限公司”与共建企业“皖江装备合肥分公司”同属“皖江装备集团有限公司”"
    }
    # and the other way round: an expert at a subsidiary of the applicant's partner group
    app2 = make_application(
        review.call,
        review.project_type,
        parties["elsewhere"],
        partners=[(parties["group"], "co_building_enterprise")],
    )
    at_branch = make_expert(regions.anhui, parties["subsidiary"], name="周工")
    compute(review, province_officer)
    assert found(review, app2, at_branch) == {
        "same_group": "专家所在单位“皖江装备合肥分公司”是共建企业“皖江装备集团有限公司”的下属单位"
    }


def test_same_vocational_education_group(review, regions, parties, province_officer):
    group = EducationGroup.objects.create(name="安徽装备制造职业教育集团", province=regions.anhui)
    for org in (parties["school"], parties["elsewhere"]):
        EducationGroupMember.objects.create(group=group, organization=org)
    app = make_application(review.call, review.project_type, parties["school"])
    member = make_expert(regions.anhui, parties["elsewhere"], name="吴老师")
    compute(review, province_officer)
    assert found(review, app, member) == {
        "education_group": "专家所在单位“芜湖信息职业技术学院”与申报单位“合肥机电职业技术学院”同为职业教育集团“安徽装备制造职业教育集团”的成员"
    }


def test_the_applicants_exclusion_matches_the_name_and_employer(review, regions, parties, province_officer):
    app = make_application(review.call, review.project_type, parties["school"])
    Exclusion.objects.create(
        application=app,
        expert_name="郑工",
        employer_name="皖江装备芜湖",
        reason="曾与我校有合同纠纷",
        created_by=province_officer,
    )
    named = make_expert(regions.anhui, parties["sister"], name="郑工")
    namesake = make_expert(regions.anhui, parties["partner"], name="郑工")
    compute(review, province_officer)
    assert found(review, app, named) == {
        "exclusion": "申报单位申请回避专家“郑工（皖江装备芜湖）”，理由：曾与我校有合同纠纷"
    }
    assert found(review, app, namesake) == {}


def test_the_expert_named_in_the_application(review, regions, parties, province_officer):
    writer = make_expert(regions.anhui, parties["elsewhere"], name="冯教授")
    app = make_application(
        review.call,
        review.project_type,
        parties["school"],
        summary="聘请冯教授担任平台首席顾问。",
        created_by=writer.user,
    )
    mentioned = make_expert(regions.anhui, parties["partner"], name="陈博士")
    app.contact_name = "陈博士"
    app.save()
    compute(review, province_officer)
    assert found(review, app, writer) == {
        "named": "专家“冯教授”是申报书的填报人；专家“冯教授”的姓名出现在申报书的“建设基础与目标”中"
    }
    # the partner's employee is also conflicted as staff of a party; the name rule adds its own words
    assert found(review, app, mentioned)["named"] == "专家“陈博士”的姓名出现在申报书的“联系人”中"


def test_same_city_only_when_the_round_asks(review, regions, parties, province_officer):
    app = make_application(review.call, review.project_type, parties["school"])
    neighbour = make_expert(regions.anhui, make_school(regions.hefei_shushan), name="褚老师")
    compute(review, province_officer)
    assert found(review, app, neighbour) == {}
    review.round.same_city_conflict = True
    review.round.save()
    compute(review, province_officer)
    assert found(review, app, neighbour) == {
        "same_city": "专家所在地“合肥市”与申报单位“合肥机电职业技术学院”在同一城市（本轮同城回避）"
    }
    # and switching it off again removes it
    review.round.same_city_conflict = False
    review.round.save()
    assert compute(review, province_officer)["removed"] == 1
    assert found(review, app, neighbour) == {}


def test_waiver_needs_a_reason_and_is_recorded(review, regions, parties, province_officer, observer):
    app = make_application(review.call, review.project_type, parties["school"])
    expert = make_expert(regions.anhui, parties["school"], name="卫老师")
    compute(review, province_officer)
    conflict = Conflict.objects.get(round=review.round, application=app, expert=expert)
    officer = ApiClient(province_officer)
    before = AuditEntry.objects.count()
    # when staff waive without a reason: refused, nothing changes
    response = officer.post(f"/api/v1/conflicts/{conflict.pk}/waive", {"reason": "  "})
    assert response.status_code == 422
    assert error_codes(response) == ["conflict.waive_reason_required"]
    conflict.refresh_from_db()
    assert conflict.waived_at is None
    assert AuditEntry.objects.count() == before
    # the observer may not waive at all
    assert (
        ApiClient(observer).post(f"/api/v1/conflicts/{conflict.pk}/waive", {"reason": "x"}).status_code == 403
    )
    # with a reason: waived, who and why recorded and shown to the observer
    response = officer.post(f"/api/v1/conflicts/{conflict.pk}/waive", {"reason": "该专家已于2025年调离本校"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["waived"] is True
    assert body["waive_reason"] == "该专家已于2025年调离本校"
    listed = ApiClient(observer).get(f"/api/v1/review-rounds/{review.round.pk}/conflicts?waived=true").json()
    assert [c["waive_reason"] for c in listed["items"]] == ["该专家已于2025年调离本校"]
    assert AuditEntry.objects.filter(action="review_conflict.waive", object_id=str(conflict.pk)).exists()
    # and a waived conflict stays waived when conflicts are computed again
    compute(review, province_officer)
    conflict.refresh_from_db()
    assert conflict.waived_at is not None


def test_staff_add_needs_a_reason_and_declared_conflicts_are_not_waived(
    review, regions, parties, province_officer
):
    app = make_application(review.call, review.project_type, parties["school"])
    expert = make_expert(regions.anhui, parties["elsewhere"], name="蒋老师")
    actor = actor_of(province_officer)
    with pytest.raises(ValidationFailed) as exc:
        conflicts.conflict_add(
            actor=actor, review_round=review.round, expert=expert, application=app, reason=""
        )
    assert exc.value.errors[0].code == "conflict.reason_required"
    assert not Conflict.objects.exists()
    added = conflicts.conflict_add(
        actor=actor, review_round=review.round, expert=expert, application=app, reason="近亲属在申报单位任职"
    )
    assert conflicts.conflict_text(added) == "管理员认定回避，理由：近亲属在申报单位任职"
    declared = Conflict.objects.create(
        round=review.round,
        expert=expert,
        application=app,
        kind="declared",
        source="declared",
        reason="本人曾参与方案编写",
    )
    with pytest.raises(ConflictError) as exc:
        conflicts.conflict_waive(actor=actor, conflict=declared, reason="需要该专家")
    assert exc.value.errors[0].code == "conflict.declared_not_waivable"


def test_only_the_provinces_staff_compute(review, jiangsu_officer, observer):
    with pytest.raises(Forbidden):
        conflicts.conflicts_compute(actor=actor_of(jiangsu_officer), review_round=review.round)
    with pytest.raises(Forbidden):
        conflicts.conflicts_compute(actor=actor_of(observer), review_round=review.round)
