"""Applications through the API: drafts, every rule at once, versions, the recommendation chain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chanjiao.applications.models import Application, ApplicationVersion, BudgetLine, Status
from chanjiao.core.models import AuditEntry
from tests.conftest import error_codes

from .factories import PDF, complete_draft, make_quota

API = "/api/v1"


def create(client, setting, **extra):
    return client.post(
        f"{API}/applications",
        {"call_id": setting.call.pk, "project_type_id": setting.project_type.pk, **extra},
    )


def submit(client, app_id, version, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"{API}/applications/{app_id}/submit", {"expected_version": version}, headers=headers)


def current_version(app_id) -> int:
    return Application.objects.get(pk=app_id).row_version


# --- drafts -----------------------------------------------------------------------------------


def test_school_staff_creates_a_draft(api, setting, school_staff, school):
    response = create(api(school_staff), setting, title="智能制造平台")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["applicant"]["id"] == school.pk
    assert body["row_version"] == 1
    assert "submit" in body["allowed_actions"]
    assert AuditEntry.objects.filter(action="application.create", object_id=str(body["id"])).exists()


def test_a_second_application_in_the_call_is_refused(api, setting, school_admin):
    client = api(school_admin)
    assert create(client, setting).status_code == 201
    response = create(client, setting)
    assert response.status_code == 422
    assert error_codes(response) == ["applicant.limit_per_call"]
    assert Application.objects.count() == 1


def test_an_enterprise_may_not_apply_for_a_school_type(api, setting, enterprise_contact):
    response = create(api(enterprise_contact), setting)
    assert response.status_code == 422
    assert "applicant.kind_not_eligible" in error_codes(response)
    assert Application.objects.count() == 0


def test_a_closed_call_takes_no_new_application(api, setting, school_admin):
    setting.call.opens_at = timezone.now() - dt.timedelta(days=10)
    setting.call.closes_at = timezone.now() - dt.timedelta(days=1)
    setting.call.save()
    response = create(api(school_admin), setting)
    assert response.status_code == 422
    assert error_codes(response) == ["call.closed"]


def test_draft_save_refuses_bad_amounts_and_codes_all_at_once(api, setting, school_admin):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]
    response = client.patch(
        f"{API}/applications/{app_id}",
        {
            "title": "新名称",
            "budget_lines": [
                {"year": 1, "source": "enterprise", "kind": "cash", "amount": "-5"},
                {"year": 1, "source": "school", "kind": "cash", "amount": "一百万"},
                {"year": 2, "source": "school", "kind": "cash", "amount": "10.005"},
                {"year": 2, "source": "lottery", "kind": "cash", "amount": "1"},
                {"year": 3, "source": "school", "kind": "goodwill", "amount": "1"},
                {"year": 9, "source": "school", "kind": "equipment", "amount": "1"},
            ],
            "programmes": ["999999"],
        },
    )
    assert response.status_code == 422
    found = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert found == {
        ("budget_lines[0].amount", "amount.negative"),
        ("budget_lines[1].amount", "amount.invalid"),
        ("budget_lines[2].amount", "amount.too_precise"),
        ("budget_lines[3].source", "budget.unknown_source"),
        ("budget_lines[4].kind", "budget.unknown_kind"),
        ("budget_lines[5].year", "year.out_of_range"),
        ("programmes[0]", "programme.unknown_code"),
    }
    negative = next(e for e in response.json()["errors"] if e["code"] == "amount.negative")
    assert "当前：-5" in negative["message"]
    # nothing was stored, not even the valid title
    app = Application.objects.get(pk=app_id)
    assert app.title == ""
    assert app.row_version == 1
    assert not BudgetLine.objects.exists()


def test_draft_save_refuses_unknown_fields_in_the_body(api, setting, school_admin):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]
    response = client.patch(f"{API}/applications/{app_id}", {"budget": "lots"})
    assert response.status_code == 422
    assert error_codes(response) == ["input.extra_forbidden"]


def test_draft_save_stores_sections_and_computes_totals(api, setting, school_admin, enterprise):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]
    response = client.patch(f"{API}/applications/{app_id}", complete_draft(enterprise))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["row_version"] == 2
    assert body["budget"]["total"] == "30000000.00"
    assert body["budget"]["enterprise_total"] == "12000000.00"
    assert body["budget"]["enterprise_share_percent"] == "40.00"
    assert body["partners"][0]["organization"]["id"] == enterprise.pk
    assert len(body["tasks"]) == 7


def test_a_stale_draft_save_is_a_conflict(api, setting, school_admin):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]
    assert client.patch(f"{API}/applications/{app_id}", {"title": "一"}).status_code == 200
    response = client.patch(f"{API}/applications/{app_id}", {"title": "二", "expected_version": 1})
    assert response.status_code == 409
    assert error_codes(response) == ["application.stale_version"]
    assert Application.objects.get(pk=app_id).title == "一"


# --- submitting ---------------------------------------------------------------------------------


def test_submit_answers_every_broken_rule_then_the_mended_application_goes_through(
    api, setting, school_admin, school, enterprise
):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]
    # given a draft with too little money, too small an enterprise share and nothing else
    client.patch(
        f"{API}/applications/{app_id}",
        {
            "budget_lines": [
                {"year": 1, "source": "enterprise", "kind": "cash", "amount": "1000000"},
                {"year": 1, "source": "school", "kind": "cash", "amount": "4000000"},
            ]
        },
    )
    response = submit(client, app_id, current_version(app_id))
    assert response.status_code == 422
    codes = error_codes(response)
    for code in (
        "tasks.mandatory_missing",
        "budget.total_below_minimum",
        "budget.enterprise_share_below_minimum",
        "attachments.required_missing",
        "partners.enterprise_required",
        "programme.cluster_required",
        "fields.required",
        "kpis.required_missing",
        "application.title_required",
    ):
        assert code in codes, code
    assert codes.count("tasks.mandatory_missing") == 7
    share = next(e for e in response.json()["errors"] if e["code"] == "budget.enterprise_share_below_minimum")
    assert share["field"] == "budget.enterprise_share"
    assert "20.0%" in share["message"]
    assert "三分之一" in share["message"]
    total = next(e for e in response.json()["errors"] if e["code"] == "budget.total_below_minimum")
    assert "500万元" in total["message"]
    assert "3,000万元" in total["message"]
    assert Application.objects.get(pk=app_id).status == Status.DRAFT
    assert not ApplicationVersion.objects.exists()
    # when every section is mended and the agreement is signed by both parties
    assert client.patch(f"{API}/applications/{app_id}", complete_draft(enterprise)).status_code == 200
    for code, signers in (("co_building_agreement", [school.pk, enterprise.pk]), ("construction_plan", [])):
        upload = client.client.post(
            f"{API}/applications/{app_id}/attachments",
            {
                "file": SimpleUploadedFile(f"{code}.pdf", PDF + code.encode()),
                "spec_code": code,
                "signed_by": signers,
            },
            headers=client.headers,
        )
        assert upload.status_code == 201, upload.json()
    response = submit(client, app_id, current_version(app_id))
    # then it is submitted as version 1
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 1
    app = Application.objects.get(pk=app_id)
    assert app.status == Status.SUBMITTED
    assert app.first_submitted_at is not None
    snapshot = app.versions.get().snapshot
    assert snapshot["budget"]["total"] == "30000000.00"
    assert snapshot["budget"]["enterprise_share_percent"] == "40.00"


def test_an_agreement_not_signed_by_every_partner_is_refused(
    api, setting, school_admin, school, enterprise, complete_application
):
    app = complete_application()
    link = app.attachments.get(spec_code="co_building_agreement")
    link.signed_by.set([school.pk])
    response = submit(api(school_admin), app.pk, app.row_version)
    assert response.status_code == 422
    assert error_codes(response) == ["attachments.not_signed_by_all_partners"]
    assert enterprise.name in response.json()["errors"][0]["message"]


def test_a_stale_submission_is_a_conflict(api, setting, school_admin, complete_application):
    app = complete_application()
    response = submit(api(school_admin), app.pk, app.row_version - 1)
    assert response.status_code == 409
    assert error_codes(response) == ["application.stale_version"]
    assert not ApplicationVersion.objects.exists()


def test_the_same_idempotency_key_submits_once(api, setting, school_admin, complete_application):
    app = complete_application()
    client = api(school_admin)
    first = submit(client, app.pk, app.row_version, key="k-1")
    again = submit(client, app.pk, app.row_version, key="k-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"] == 1
    assert ApplicationVersion.objects.count() == 1


def test_submitting_twice_without_a_key_is_an_illegal_transition(
    api, setting, school_admin, complete_application
):
    app = complete_application()
    client = api(school_admin)
    assert submit(client, app.pk, app.row_version).status_code == 201
    response = submit(client, app.pk, current_version(app.pk))
    assert response.status_code == 409
    assert error_codes(response) == ["application.illegal_transition"]
    assert "已提交" in response.json()["errors"][0]["message"]
    assert "撤回" in response.json()["errors"][0]["message"]


def test_versions_are_immutable():
    with pytest.raises(PermissionError):
        ApplicationVersion.objects.update(number=9)


def test_return_and_resubmit_make_a_second_version_with_a_diff(
    api, setting, school_admin, city_officer, complete_application
):
    app = complete_application()
    school_client, city_client = api(school_admin), api(city_officer)
    assert submit(school_client, app.pk, app.row_version).status_code == 201
    # reasons are required
    refused = city_client.post(f"{API}/applications/{app.pk}/return", {"reasons": ["  "]})
    assert refused.status_code == 422
    assert error_codes(refused) == ["return.reasons_required"]
    returned = city_client.post(f"{API}/applications/{app.pk}/return", {"reasons": ["企业投入证明不全"]})
    assert returned.status_code == 200, returned.json()
    assert returned.json()["status"] == "returned"
    detail = school_client.get(f"{API}/applications/{app.pk}").json()
    assert detail["return_notes"][0]["reasons"] == ["企业投入证明不全"]
    # the school corrects the title and one amount and resubmits
    lines = detail["budget_lines"]
    lines[0]["amount"] = "5000000.00"
    saved = school_client.patch(
        f"{API}/applications/{app.pk}", {"title": "改后的名称", "budget_lines": lines}
    )
    assert saved.status_code == 200, saved.json()
    assert submit(school_client, app.pk, saved.json()["row_version"]).json()["number"] == 2
    diff = school_client.get(f"{API}/applications/{app.pk}/versions/1/diff/2").json()
    fields = {c["field"]: c for c in diff["changes"]}
    assert fields["application.title"]["before"] == "智能制造产教融合集成平台"
    assert fields["application.title"]["after"] == "改后的名称"
    assert fields["budget.lines[1/enterprise/equipment].amount"]["after"] == "5000000.00"
    assert "budget.total" in fields
    versions = school_client.get(f"{API}/applications/{app.pk}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    v1 = school_client.get(f"{API}/applications/{app.pk}/versions/1").json()
    assert v1["snapshot"]["application"]["title"] == "智能制造产教融合集成平台"


def test_withdraw_before_closing_frees_the_slot(api, setting, school_admin, complete_application):
    app = complete_application()
    client = api(school_admin)
    response = client.post(f"{API}/applications/{app.pk}/withdraw", {})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    # the school may apply again
    assert create(client, setting).status_code == 201


def test_withdraw_after_closing_is_refused(api, setting, school_admin, complete_application):
    app = complete_application()
    setting.call.closes_at = timezone.now() - dt.timedelta(minutes=1)
    setting.call.opens_at = timezone.now() - dt.timedelta(days=3)
    setting.call.save()
    response = api(school_admin).post(f"{API}/applications/{app.pk}/withdraw", {})
    assert response.status_code == 409
    assert error_codes(response) == ["call.closed"]
    assert Application.objects.get(pk=app.pk).status == Status.DRAFT


# --- the recommendation chain -------------------------------------------------------------------


def submitted(complete_application, api, user, org=None):
    app = complete_application(user, org) if org else complete_application()
    response = submit(api(user), app.pk, app.row_version)
    assert response.status_code == 201, response.json()
    return Application.objects.get(pk=app.pk)


def test_city_staff_endorse_within_the_quota_and_over_it_are_refused(
    api, setting, regions, school_admin, city_officer, complete_application
):
    from chanjiao.core.permissions import Role
    from tests.factories import make_org, make_person

    make_quota(setting.call, regions.hefei, 1)
    first = submitted(complete_application, api, school_admin)
    second_school = make_org(
        "合肥第二职业学院", kind="school", region=regions.hefei_shushan, school_level="associate"
    )
    second_admin = make_person("second_admin", second_school, Role.ORG_ADMIN, password="Test-pass-2026")
    second = submitted(complete_application, api, second_admin, second_school)
    city = api(city_officer)
    ok = city.post(f"{API}/applications/{first.pk}/endorse", {"rank": 1})
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "endorsed"
    assert ok.json()["city_rank"] == 1
    over = city.post(f"{API}/applications/{second.pk}/endorse", {"rank": 2})
    assert over.status_code == 422
    assert error_codes(over) == ["endorse.over_quota"]
    assert "已推荐：1项" in over.json()["errors"][0]["message"]
    assert "名额：1项" in over.json()["errors"][0]["message"]
    assert Application.objects.get(pk=second.pk).status == Status.SUBMITTED


def test_two_endorsements_may_not_share_a_rank(
    api, setting, regions, school_admin, city_officer, complete_application
):
    from chanjiao.core.permissions import Role
    from tests.factories import make_org, make_person

    first = submitted(complete_application, api, school_admin)
    second_school = make_org(
        "合肥第二职业学院", kind="school", region=regions.hefei_shushan, school_level="associate"
    )
    second_admin = make_person("second_admin", second_school, Role.ORG_ADMIN, password="Test-pass-2026")
    second = submitted(complete_application, api, second_admin, second_school)
    city = api(city_officer)
    assert city.post(f"{API}/applications/{first.pk}/endorse", {"rank": 1}).status_code == 200
    taken = city.post(f"{API}/applications/{second.pk}/endorse", {"rank": 1})
    assert taken.status_code == 422
    assert error_codes(taken) == ["endorse.rank_taken"]


def test_province_takes_endorsed_applications_into_review_only(
    api, setting, school_admin, city_officer, province_officer, complete_application
):
    app = submitted(complete_application, api, school_admin)
    province = api(province_officer)
    early = province.post(f"{API}/applications/{app.pk}/accept", {})
    assert early.status_code == 409
    assert error_codes(early) == ["application.illegal_transition"]
    assert "已提交" in early.json()["errors"][0]["message"]
    assert api(city_officer).post(f"{API}/applications/{app.pk}/endorse", {"rank": 1}).status_code == 200
    accepted = province.post(f"{API}/applications/{app.pk}/accept", {})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "under_review"


def test_illegal_moves_are_refused_with_the_state_and_what_it_allows(
    api, setting, school_admin, city_officer, complete_application
):
    app = complete_application()
    # a draft cannot be endorsed; the city does not even see it
    assert api(city_officer).post(f"{API}/applications/{app.pk}/endorse", {"rank": 1}).status_code == 404
    # the school may not endorse its own application
    response = api(school_admin).post(f"{API}/applications/{app.pk}/endorse", {"rank": 1})
    assert response.status_code == 403
    # a submitted application cannot be edited
    client = api(school_admin)
    assert submit(client, app.pk, app.row_version).status_code == 201
    edit = client.patch(f"{API}/applications/{app.pk}", {"title": "迟到的修改"})
    assert edit.status_code == 409
    assert error_codes(edit) == ["application.not_editable"]


# --- scopes -------------------------------------------------------------------------------------


def test_scopes(
    api,
    setting,
    school_admin,
    other_school_admin,
    city_officer,
    province_officer,
    observer,
    jiangsu_officer,
    wuhu_dept,
    complete_application,
):
    from chanjiao.core.permissions import Role
    from tests.factories import make_person

    app = complete_application()
    url = f"{API}/applications/{app.pk}"
    # a draft: the school only
    assert api(school_admin).get(url).status_code == 200
    for user in (other_school_admin, city_officer, province_officer, observer, jiangsu_officer):
        assert api(user).get(url).status_code == 404, user
    assert api(school_admin).get(f"{API}/applications").json()["count"] == 1
    assert api(city_officer).get(f"{API}/applications").json()["count"] == 0
    # submitted: its city, its province and the observer too; not another city or province
    submit(api(school_admin), app.pk, app.row_version)
    wuhu_officer = make_person("wuhu_city", wuhu_dept, Role.CITY_ADMIN, password="Test-pass-2026")
    for user in (city_officer, province_officer, observer):
        assert api(user).get(url).status_code == 200, user
    for user in (other_school_admin, jiangsu_officer, wuhu_officer):
        assert api(user).get(url).status_code == 404, user
        assert api(user).get(f"{url}/versions/1").status_code == 404, user


# --- attachments --------------------------------------------------------------------------------


def test_oversize_mistyped_and_unknown_attachments_are_refused(api, setting, school_admin, settings):
    client = api(school_admin)
    app_id = create(client, setting).json()["id"]

    def upload(name, content, spec="construction_plan"):
        return client.client.post(
            f"{API}/applications/{app_id}/attachments",
            {"file": SimpleUploadedFile(name, content), "spec_code": spec},
            headers=client.headers,
        )

    settings.ATTACHMENT_MAX_BYTES = 50
    assert error_codes(upload("big.pdf", PDF + b"x" * 100)) == ["attachment.too_large"]
    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    assert error_codes(upload("plan.pdf", b"just some text, not a PDF")) == ["attachment.type_not_allowed"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert error_codes(upload("plan.pdf", png)) == ["attachment.type_mismatch"]
    assert error_codes(upload("plan.pdf", PDF, spec="photo_of_the_dean")) == ["attachments.unknown_spec"]
    assert Application.objects.get(pk=app_id).attachments.count() == 0
