"""Applications through the pages, as people use them: the editor saves as they type, submit shows
every failure at its field, the city and the province act from their queues."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from chanjiao.applications import services
from chanjiao.applications.models import Application, BudgetLine, Status
from tests.conftest import actor_of, client_for

from .factories import PDF, complete_draft, integration_platform_spec, make_quota

HTMX = {"HX-Request": "true"}


def new_draft(client, setting) -> Application:
    response = client.post(
        "/applications/new/", {"call": setting.call.pk, "project_type": setting.project_type.pk}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Application.objects.latest("pk")


def test_open_calls_lists_the_call_and_starts_a_draft(setting, school_staff):
    client = client_for(school_staff)
    page = client.get("/applications/calls/").content.decode()
    assert setting.call.title in page
    assert setting.project_type.name in page
    app = new_draft(client, setting)
    assert app.status == Status.DRAFT
    assert client.get("/applications/").content.decode().count(f'data-application="{app.pk}"') == 1


def test_the_editor_lists_every_section_and_autosaves(setting, school_admin):
    client = client_for(school_admin)
    app = new_draft(client, setting)
    html = client.get(f"/applications/{app.pk}/edit/").content.decode()
    for section in ("basic", "fields", "partners", "programmes", "tasks", "budget", "kpis", "attachments"):
        assert f'id="section-{section}"' in html, section
    assert 'hx-trigger="input changed delay:800ms"' in html
    # every mandatory task is listed already, the optional one can be chosen
    for task in integration_platform_spec()["tasks"]:
        assert f'data-task="{task["code"]}"' in html
    assert 'name="task-8-selected"' in html
    # the budget grid has a cell per year, source and kind
    assert 'name="b-3-enterprise-equipment"' in html
    # when the user types an amount, the section saves and the totals follow
    response = client.post(
        f"/applications/{app.pk}/edit/budget/",
        {"b-1-enterprise-cash": "10000000", "b-1-school-cash": "20000000.50"},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "已保存" in body
    assert "30,000,000.50" in body  # the total, swapped in out of band
    assert "33.33%" in body  # the enterprise share
    assert BudgetLine.objects.filter(application=app).count() == 2


def test_a_bad_amount_is_named_and_nothing_is_saved(setting, school_admin):
    client = client_for(school_admin)
    app = new_draft(client, setting)
    response = client.post(
        f"/applications/{app.pk}/edit/budget/",
        {"b-1-enterprise-cash": "-3", "b-2-school-cash": "12.345"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert "未保存" in body
    assert 'data-code="amount.negative"' in body
    assert 'data-code="amount.too_precise"' in body
    assert "当前：-3" in body
    assert not BudgetLine.objects.exists()


def test_submit_shows_every_failure_at_its_field_then_the_mended_application_goes_through(
    setting, school_admin, school, enterprise
):
    client = client_for(school_admin)
    app = new_draft(client, setting)
    client.post(
        f"/applications/{app.pk}/edit/budget/",
        {"b-1-enterprise-cash": "100", "b-1-school-cash": "900"},
        headers=HTMX,
    )
    app.refresh_from_db()
    # when the school submits what it has
    response = client.post(f"/applications/{app.pk}/submit/", {"expected_version": app.row_version})
    # then the editor comes back with every problem, at its section and field
    assert response.status_code == 422
    html = response.content.decode()
    assert "data-submit-errors" in html
    for code in (
        "tasks.mandatory_missing",
        "budget.total_below_minimum",
        "budget.enterprise_share_below_minimum",
        "attachments.required_missing",
        "partners.enterprise_required",
        "fields.required",
    ):
        assert f'data-code="{code}"' in html, code
    assert 'data-section-errors="budget"' in html
    assert "10.0%" in html
    assert "三分之一" in html
    assert 'data-error-for="f_industry_focus"' in html  # a required field, at the field
    assert Application.objects.get(pk=app.pk).status == Status.DRAFT
    # when every section is mended through the pages and the files are uploaded
    services.application_save_draft(
        actor=actor_of(school_admin, school), application=app, data=complete_draft(enterprise)
    )
    for code, signers in (("co_building_agreement", [school.pk, enterprise.pk]), ("construction_plan", [])):
        upload = client.post(
            f"/applications/{app.pk}/attachments/",
            {
                "spec_code": code,
                "signed_by": signers,
                "file": SimpleUploadedFile(f"{code}.pdf", PDF + code.encode()),
            },
        )
        assert upload.status_code == 302
    app.refresh_from_db()
    assert app.attachments.count() == 2
    form = {"expected_version": app.row_version, "idempotency_key": "page-key-1"}
    response = client.post(f"/applications/{app.pk}/submit/", form)
    # then it is submitted and the detail page says so; the same form sent again changes nothing
    assert response.status_code == 302
    assert client.post(f"/applications/{app.pk}/submit/", form).status_code == 302
    assert app.versions.count() == 1
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED
    detail = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'data-status="submitted"' in detail
    assert "第1版" in detail


def test_a_stale_page_submit_is_refused(setting, school_admin, complete_application):
    app = complete_application()
    response = client_for(school_admin).post(
        f"/applications/{app.pk}/submit/", {"expected_version": app.row_version - 1}
    )
    assert response.status_code == 409
    assert 'data-code="application.stale_version"' in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == Status.DRAFT


def test_city_endorses_from_its_queue_within_the_quota(
    setting, regions, school_admin, school, city_officer, complete_application
):
    make_quota(setting.call, regions.hefei, 1)
    app = complete_application()
    services.application_submit(
        actor=actor_of(school_admin, school), application=app, expected_version=app.row_version
    )
    client = client_for(city_officer)
    queue = client.get("/applications/city/").content.decode()
    assert f'data-application="{app.pk}"' in queue
    assert "0 / 1" in queue
    response = client.post(f"/applications/{app.pk}/endorse/", {"rank": "1"})
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.ENDORSED


def test_return_page_needs_reasons_and_the_school_sees_them(
    setting, school_admin, school, province_officer, complete_application
):
    app = complete_application()
    services.application_submit(
        actor=actor_of(school_admin, school), application=app, expected_version=app.row_version
    )
    client = client_for(province_officer)
    empty = client.post(f"/applications/{app.pk}/return/", {"reasons": "  "})
    assert empty.status_code == 200
    assert 'data-error-for="reasons"' in empty.content.decode()
    assert (
        client.post(
            f"/applications/{app.pk}/return/", {"reasons": "预算表缺少年度分解\n共建协议未盖章"}
        ).status_code
        == 302
    )
    detail = client_for(school_admin).get(f"/applications/{app.pk}/").content.decode()
    assert "预算表缺少年度分解" in detail
    assert "共建协议未盖章" in detail


def test_versions_and_diff_pages(setting, school_admin, school, city_officer, complete_application):
    app = complete_application()
    actor = actor_of(school_admin, school)
    services.application_submit(actor=actor, application=app, expected_version=app.row_version)
    services.application_return(actor=actor_of(city_officer), application=app, reasons=["请修改名称"])
    services.application_save_draft(actor=actor, application=app, data={"title": "第二稿名称"})
    services.application_submit(actor=actor, application=app, expected_version=app.row_version)
    client = client_for(school_admin)
    versions = client.get(f"/applications/{app.pk}/versions/").content.decode()
    assert 'data-version="1"' in versions
    assert 'data-version="2"' in versions
    diff = client.get(f"/applications/{app.pk}/versions/1/diff/2/").content.decode()
    assert 'data-diff-field="application.title"' in diff
    assert "第二稿名称" in diff
    v1 = client.get(f"/applications/{app.pk}/versions/1/").content.decode()
    assert "智能制造产教融合集成平台" in v1


def test_lists_do_not_query_per_application(
    setting,
    regions,
    api,
    province_officer,
    django_assert_max_num_queries,
    complete_application,
    school_admin,
    school,
):
    from chanjiao.core.permissions import Role
    from tests.factories import make_org, make_person

    # given ten submitted applications from ten schools
    for n in range(10):
        org = make_org(
            f"合肥第{n}职业学院", kind="school", region=regions.hefei_shushan, school_level="associate"
        )
        user = make_person(f"admin{n}", org, Role.ORG_ADMIN, password="Test-pass-2026")
        app = complete_application(user, org)
        services.application_submit(
            actor=actor_of(user, org), application=app, expected_version=app.row_version
        )
    client, browser = api(province_officer), client_for(province_officer)
    # then the API list and the province queue take a fixed number of queries
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/applications").json()
    assert body["count"] == 10
    with django_assert_max_num_queries(25):
        page = browser.get("/applications/province/")
    assert page.content.decode().count("data-application=") == 10


def test_partners_and_programmes_are_found_and_added_from_the_editor(setting, school_admin, enterprise):
    client = client_for(school_admin)
    app = new_draft(client, setting)
    # the partner search finds the enterprise by name, and by its USCC
    found = client.get(f"/applications/{app.pk}/partners/search/", {"q": "智能装备"}).content.decode()
    assert f'data-candidate="{enterprise.pk}"' in found
    assert (
        f'data-candidate="{enterprise.pk}"'
        in client.get(f"/applications/{app.pk}/partners/search/", {"q": enterprise.uscc}).content.decode()
    )
    added = client.post(
        f"/applications/{app.pk}/edit/partners/",
        {"rerender": "1", "add_organization": enterprise.pk, "add_role": "co_building_enterprise"},
        headers=HTMX,
    ).content.decode()
    assert f'data-partner="{enterprise.pk}"' in added
    assert app.partners.get().role == "co_building_enterprise"
    removed = client.post(
        f"/applications/{app.pk}/edit/partners/",
        {
            "rerender": "1",
            "partner-0-organization_id": enterprise.pk,
            "partner-0-role": "co_building_enterprise",
            "remove_organization": enterprise.pk,
        },
        headers=HTMX,
    ).content.decode()
    assert f'data-partner="{enterprise.pk}"' not in removed
    assert not app.partners.exists()
    # programmes come from the call's catalogue edition
    assert (
        "460101" in client.get(f"/applications/{app.pk}/programmes/search/", {"q": "4601"}).content.decode()
    )
    body = client.post(
        f"/applications/{app.pk}/edit/programmes/", {"rerender": "1", "add_programme": "460101"}, headers=HTMX
    ).content.decode()
    assert 'data-programme="460101"' in body
    refused = client.post(
        f"/applications/{app.pk}/edit/programmes/", {"rerender": "1", "add_programme": "999999"}, headers=HTMX
    ).content.decode()
    assert 'data-code="programme.unknown_code"' in refused
    assert list(app.programmes.values_list("code", flat=True)) == ["460101"]
