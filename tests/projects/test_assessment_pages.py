"""Acceptance (验收) and performance (绩效评价) through the pages, as each person uses them: province
staff open a batch, start the review, conclude, decide and re-check; the school writes its
self-assessment and its rectification report; the city and the observer read; a refusal is shown at
its field with the current and the required values, and stores nothing."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from chanjiao.core.models import AuditEntry
from chanjiao.projects import assessment_services
from chanjiao.projects.models import Assessment, Project, Rectification
from tests.conftest import client_for
from tests.projects.assessment_factories import (
    acceptance_sheet,
    concluded_batch,
    entry_of,
    make_awarded_project,
    make_experts,
    make_world,
    open_batch,
)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NEW = "/projects/assessments/new/"


@pytest.fixture
def world(regions, province_officer):
    return make_world(regions.anhui, province_officer)


@pytest.fixture
def projects(world, school, other_school):
    """The Hefei school's project and the Wuhu school's, construction ended, every report in
    (4,000,000 of 10,000,000 from the enterprise a year: 40%; 400 social of 1,000 hours: 40%)."""
    return [make_awarded_project(world, school), make_awarded_project(world, other_school)]


def _subject(world) -> str:
    return f"{world.call.pk}-{world.project_type.pk}"


def _errors_at(response, field: str) -> list[str]:
    """The messages shown at a field (data-error-for) of the page."""
    html = response.content.decode()
    found = re.findall(rf'data-error-for="{field}"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    return [re.sub(r"<[^>]+>", "", f).strip() for f in found]


def _create_form(world, projects, **over) -> dict:
    data = {
        "kind": "acceptance",
        "subject": _subject(world),
        "year": str(max(p.ends_on.year for p in projects)),
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        "excellent_min": "90",
        "pass_min": "60",
        "project_ids": [str(p.pk) for p in projects],
    }
    data.update(over)
    return data


# --- province staff open a batch ----------------------------------------------------------------


def test_the_new_batch_page_lists_the_eligible_projects_and_creates_the_batch(
    world, projects, province_officer, school_admin
):
    staff = client_for(province_officer)
    year = max(p.ends_on.year for p in projects)
    page = staff.get(f"{NEW}?kind=acceptance&subject={_subject(world)}&year={year}")
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'data-project="{p.pk}"' in html for p in projects)
    # the htmx part: only the projects' table, for the call and year picked
    part = staff.get(
        f"{NEW}?kind=acceptance&subject={_subject(world)}&year={year}&part=projects", HTTP_HX_REQUEST="true"
    )
    assert part.status_code == 200
    assert "<html" not in part.content.decode()
    assert f'data-project="{projects[0].pk}"' in part.content.decode()
    # a year before construction ends lists none
    early = staff.get(f"{NEW}?kind=acceptance&subject={_subject(world)}&year={year - 2}").content.decode()
    assert "data-no-eligible" in early

    response = staff.post(NEW, _create_form(world, projects))
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = Assessment.objects.get()
    assert response["Location"] == f"/projects/assessments/{batch.pk}/"
    assert (batch.kind, batch.entries.count(), batch.status) == ("acceptance", 2, "self_assessment")
    assert set(Project.objects.values_list("status", flat=True)) == {"in_acceptance"}

    detail = staff.get(response["Location"]).content.decode()
    # the inputs as the indicator system names them: 元 as 万元, shares as percentages
    assert "建设资金实际总投入" in detail
    assert "合作企业实际投入占比" in detail
    assert "万元" in detail
    assert "40.0%" in detail
    assert detail.count('data-self="missing"') == 2
    assert f'href="/review/rounds/{batch.round_id}/"' in detail
    assert "data-start-review" in detail


def test_a_refused_batch_shows_each_problem_at_its_field_and_stores_nothing(
    world, projects, province_officer
):
    before = (Assessment.objects.count(), AuditEntry.objects.count())
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client_for(province_officer).post(
        NEW,
        _create_form(
            world,
            projects,
            self_assessment_due=yesterday.isoformat(),
            excellent_min="70",
            pass_min="80",
        ),
    )
    assert response.status_code == 422
    due = _errors_at(response, "self_assessment_due")
    assert due
    assert f"当前：{yesterday:%Y-%m-%d}" in due[0]
    lines = _errors_at(response, "pass_min")
    assert lines
    assert "当前：合格80" in lines[0]
    assert "优秀70" in lines[0]
    # what was typed is shown again, the projects still ticked
    html = response.content.decode()
    assert f'value="{projects[0].pk}" aria-label' in html
    assert "checked" in html
    assert (Assessment.objects.count(), AuditEntry.objects.count()) == before


def test_a_project_not_eligible_is_refused_at_the_projects_with_its_end_date(
    world, projects, province_officer
):
    young = make_awarded_project(world, projects[0].organization, years_ago=1)
    year = max(p.ends_on.year for p in projects)
    response = client_for(province_officer).post(
        NEW, _create_form(world, projects, year=str(year), project_ids=[str(young.pk)])
    )
    assert response.status_code == 422
    messages = _errors_at(response, "project_ids")
    assert messages
    assert f"{young.ends_on:%Y-%m-%d}" in messages[0]
    assert Assessment.objects.count() == 0


# --- the school's self-assessment ---------------------------------------------------------------


def test_the_school_saves_submits_and_then_only_reads_its_self_assessment(
    world, projects, school_admin, province_officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    batch = open_batch(world, projects)
    entry = entry_of(batch, projects[0])
    school = client_for(school_admin)
    url = f"/projects/assessments/entries/{entry.pk}/"
    page = school.get(url).content.decode()
    assert "data-self-form" in page
    # submitting an empty text: refused at the field, nothing submitted
    empty = school.post(url, {"self_assessment": "", "action": "submit"})
    assert empty.status_code == 422
    assert any("当前：空" in m for m in _errors_at(empty, "self_assessment"))
    entry.refresh_from_db()
    assert entry.self_submitted_at is None
    # a score out of range: refused with the value typed
    bad = school.post(url, {"self_assessment": "完成", "self_score": "120", "action": "save"})
    assert bad.status_code == 422
    assert any("当前：120" in m for m in _errors_at(bad, "self_score"))
    # saved with a file, then submitted
    saved = school.post(
        url,
        {
            "self_assessment": "建设任务全部完成。",
            "self_score": "88",
            "action": "save",
            "files": SimpleUploadedFile("自评佐证.pdf", PDF),
        },
    )
    assert saved.status_code == 302
    entry.refresh_from_db()
    assert (entry.self_assessment, str(entry.self_score)) == ("建设任务全部完成。", "88.00")
    assert [a.original_name for a in entry.self_attachments.all()] == ["自评佐证.pdf"]
    kept = entry.self_attachments.get().pk
    submitted = school.post(
        url,
        {
            "self_assessment": "建设任务全部完成。",
            "self_score": "88",
            "keep": [str(kept)],
            "action": "submit",
        },
    )
    assert submitted.status_code == 302
    entry.refresh_from_db()
    assert entry.self_submitted_at is not None
    assert entry.self_attachments.count() == 1
    after = school.get(url).content.decode()
    assert "data-self-form" not in after
    assert "建设任务全部完成。" in after
    assert "自评佐证.pdf" in after
    # staff see it submitted on the batch page
    detail = client_for(province_officer).get(f"/projects/assessments/{batch.pk}/").content.decode()
    assert 'data-self="submitted"' in detail
    assert 'data-self="missing"' in detail


def test_the_school_city_observer_and_others_see_what_their_scope_holds(
    world, projects, school_admin, city_officer, observer, other_school_admin, jiangsu_officer
):
    batch = open_batch(world, projects)
    hefei, wuhu = entry_of(batch, projects[0]), entry_of(batch, projects[1])
    for user, sees, hidden in (
        (school_admin, [hefei], [wuhu]),
        (city_officer, [hefei], [wuhu]),
        (other_school_admin, [wuhu], [hefei]),
        (observer, [hefei, wuhu], []),
    ):
        client = client_for(user)
        listing = client.get("/projects/assessments/").content.decode()
        assert f'data-assessment="{batch.pk}"' in listing
        detail = client.get(f"/projects/assessments/{batch.pk}/").content.decode()
        for e in sees:
            assert f'data-entry="{e.pk}"' in detail
            assert client.get(f"/projects/assessments/entries/{e.pk}/").status_code == 200
        for e in hidden:
            assert f'data-entry="{e.pk}"' not in detail
            assert client.get(f"/projects/assessments/entries/{e.pk}/").status_code == 404
        assert "data-start-review" not in detail
    # the observer reads the round's pages' links, the school does not
    assert (
        "data-round-link" in client_for(observer).get(f"/projects/assessments/{batch.pk}/").content.decode()
    )
    assert (
        "data-round-link"
        not in client_for(school_admin).get(f"/projects/assessments/{batch.pk}/").content.decode()
    )
    # the observer changes nothing; another province sees nothing
    before = AuditEntry.objects.count()
    assert client_for(observer).post(f"/projects/assessments/{batch.pk}/start-review/").status_code == 403
    assert AuditEntry.objects.count() == before
    other = client_for(jiangsu_officer)
    assert f'data-assessment="{batch.pk}"' not in other.get("/projects/assessments/").content.decode()
    assert other.get(f"/projects/assessments/{batch.pk}/").status_code == 404
    assert other.post(f"/projects/assessments/{batch.pk}/start-review/").status_code == 404


def test_the_list_filters_by_kind_and_status(world, projects, province_officer):
    acceptance = open_batch(world, projects[:1])
    performance = open_batch(world, projects[1:], kind="performance")
    staff = client_for(province_officer)
    only = staff.get("/projects/assessments/?kind=performance").content.decode()
    assert f'data-assessment="{performance.pk}"' in only
    assert f'data-assessment="{acceptance.pk}"' not in only
    part = staff.get("/projects/assessments/?kind=acceptance&status=self_assessment", HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert "<html" not in html
    assert f'data-assessment="{acceptance.pk}"' in html
    assert (
        f'data-assessment="{acceptance.pk}"'
        not in staff.get("/projects/assessments/?status=closed").content.decode()
    )


# --- starting the review ------------------------------------------------------------------------


def test_starting_the_review_early_names_the_missing_projects_then_starts(
    world, projects, province_officer, school_admin, monkeypatch
):
    batch = open_batch(world, projects)
    staff = client_for(province_officer)
    refused = staff.post(f"/projects/assessments/{batch.pk}/start-review/")
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "data-errors" in html
    assert projects[0].title in html
    batch.refresh_from_db()
    assert batch.status == "self_assessment"
    # after the due date the review starts with the self-assessments missing
    later = batch.self_assessment_due + dt.timedelta(days=1)
    monkeypatch.setattr(assessment_services, "today", lambda: later)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    started = staff.post(f"/projects/assessments/{batch.pk}/start-review/")
    assert started.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "reviewing"
    detail = staff.get(f"/projects/assessments/{batch.pk}/").content.decode()
    assert "data-conclude" in detail
    assert f"/review/rounds/{batch.round_id}/sheets/" in detail
    # the school can no longer write
    entry = entry_of(batch, projects[0])
    page = client_for(school_admin).get(f"/projects/assessments/entries/{entry.pk}/").content.decode()
    assert "data-self-form" not in page
    assert 'data-self="late"' in page
    # concluding before the panel: refused, with the round's state
    early = staff.post(f"/projects/assessments/{batch.pk}/conclude/")
    assert early.status_code in (409, 422)
    batch.refresh_from_db()
    assert batch.status == "reviewing"


# --- deciding, rectifying, re-checking ----------------------------------------------------------


def test_deciding_a_rectification_then_the_school_reports_and_staff_recheck(
    world, projects, regions, province_officer, school_admin, observer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    experts = make_experts(regions.anhui, 3)
    sheets = {projects[0].pk: acceptance_sheet("0.5")}
    batch = concluded_batch(world, projects, experts, sheets=sheets)
    hefei = entry_of(batch, projects[0])
    staff = client_for(province_officer)
    detail = staff.get(f"/projects/assessments/{batch.pk}/").content.decode()
    assert f'data-entry="{hefei.pk}"' in detail
    assert 'data-result="pending"' in detail
    url = f"/projects/assessments/entries/{hefei.pk}/"
    page = staff.get(url).content.decode()
    assert "data-decide" in page
    # rectify without requirements, deadline or reason: each refused at its field, nothing stored
    refused = staff.post(f"{url}decide/", {"decision": "rectify"})
    assert refused.status_code == 422
    assert _errors_at(refused, "requirements")
    assert _errors_at(refused, "reason")
    assert not Rectification.objects.exists()
    deadline = timezone.localdate() + dt.timedelta(days=60)
    decided = staff.post(
        f"{url}decide/",
        {
            "decision": "rectify",
            "reason": "平台运行机制不完善",
            "requirements": "完善运行管理制度",
            "deadline": deadline.isoformat(),
        },
    )
    assert decided.status_code == 302
    hefei.refresh_from_db()
    rect = hefei.rectification
    assert (hefei.result, rect.status, rect.deadline) == ("rectifying", "open", deadline)
    # the school reads the reason and reports
    school = client_for(school_admin)
    entry_page = school.get(url).content.decode()
    assert "平台运行机制不完善" in entry_page
    assert f"/projects/rectifications/{rect.pk}/" in entry_page
    rect_url = f"/projects/rectifications/{rect.pk}/"
    empty = school.post(rect_url, {"report": ""})
    assert empty.status_code == 422
    assert _errors_at(empty, "report")
    reported = school.post(
        rect_url, {"report": "已完善运行管理制度。", "files": SimpleUploadedFile("制度.pdf", PDF)}
    )
    assert reported.status_code == 302
    rect.refresh_from_db()
    assert (rect.status, rect.attachments.count()) == ("resubmitted", 1)
    # the observer reads, cannot re-check
    assert client_for(observer).get(rect_url).status_code == 200
    assert client_for(observer).post(f"{rect_url}recheck/", {"passed": "1", "note": "x"}).status_code == 403
    # staff re-check: a note is required
    no_note = staff.post(f"{rect_url}recheck/", {"passed": "1"})
    assert no_note.status_code == 422
    assert _errors_at(no_note, "note")
    passed = staff.post(f"{rect_url}recheck/", {"passed": "1", "note": "整改到位"})
    assert passed.status_code == 302
    rect.refresh_from_db()
    hefei.refresh_from_db()
    assert (rect.status, hefei.result, hefei.project.status) == ("passed", "passed", "accepted")
    # the project page's block shows it
    block = school.get(f"/projects/{projects[0].pk}/assessments/").content.decode()
    assert f'data-entry="{hefei.pk}"' in block
    assert 'data-result="passed"' in block


def test_a_performance_decision_shows_the_pack_conditions_and_terminates(
    world, projects, regions, province_officer, school_admin
):
    experts = make_experts(regions.anhui, 3)
    batch = concluded_batch(world, projects, experts, kind="performance")
    entry = entry_of(batch, projects[1])
    staff = client_for(province_officer)
    url = f"/projects/assessments/entries/{entry.pk}/"
    page = staff.get(url).content.decode()
    assert "建设成效显著、运行机制完善、绩效特别突出" in page
    assert "立项条件基础丧失" in page
    assert "三(三)3" in page
    no_reason = staff.post(f"{url}decide/", {"outcome": "terminate"})
    assert no_reason.status_code == 422
    assert _errors_at(no_reason, "reason")
    done = staff.post(f"{url}decide/", {"outcome": "terminate", "reason": "立项条件基础丧失"})
    assert done.status_code == 302
    entry.refresh_from_db()
    assert (entry.outcome, entry.result, entry.project.status) == ("terminate", "decided", "terminated")
    detail = staff.get(f"/projects/assessments/{batch.pk}/").content.decode()
    assert 'data-conclusion="terminate"' in detail


def test_the_export_has_every_project_with_its_figures_and_conclusion(
    world, projects, province_officer, school_admin
):
    batch = open_batch(world, projects)
    response = client_for(province_officer).get(f"/projects/assessments/{batch.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert "建设资金实际总投入（万元）" in headers
    assert "合作企业实际投入占比（%）" in headers
    assert {r[0] for r in rows[1:]} == {p.code for p in projects}
    share = headers.index("合作企业实际投入占比（%）")
    assert all(r[share] == 40 for r in rows[1:])
    # the school's export holds its own project only
    own = client_for(school_admin).get(f"/projects/assessments/{batch.pk}/export.xlsx")
    own_rows = list(load_workbook(io.BytesIO(own.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in own_rows[1:]] == [projects[0].code]


def test_the_project_page_loads_its_assessment_block(world, projects, school_admin):
    batch = open_batch(world, projects)
    client = client_for(school_admin)
    page = client.get(f"/projects/{projects[0].pk}/").content.decode()
    assert f'hx-get="/projects/{projects[0].pk}/assessments/"' in page
    block = client.get(f"/projects/{projects[0].pk}/assessments/").content.decode()
    assert batch.name in block
    assert client.get(f"/projects/{projects[1].pk}/assessments/").status_code == 404


def test_the_batch_page_and_the_list_read_in_a_fixed_number_of_queries(
    world, projects, school, other_school, province_officer, django_assert_max_num_queries
):
    staff = client_for(province_officer)
    small = open_batch(world, projects)
    more = [make_awarded_project(world, s) for s in (school, other_school, school, other_school)]
    large = open_batch(world, more)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(url).status_code == 200
        return len(ctx.captured_queries)

    # two projects or four: the same queries (no query per project)
    assert count(f"/projects/assessments/{small.pk}/") == count(f"/projects/assessments/{large.pk}/")
    with django_assert_max_num_queries(12):
        staff.get("/projects/assessments/")


def test_the_observer_reads_the_batch_record_and_the_school_may_not(
    world, projects, observer, school_admin, jiangsu_officer
):
    batch = open_batch(world, projects)
    url = f"/projects/assessments/{batch.pk}/trail/"
    page = client_for(observer).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-action="assessment.create"' in html
    assert "开启批次" in html
    assert 'data-action="project.update"' in html
    assert f"/review/rounds/{batch.round_id}/trail/" in html
    detail = client_for(observer).get(f"/projects/assessments/{batch.pk}/").content.decode()
    assert f'href="{url}"' in detail
    assert client_for(school_admin).get(url).status_code == 403
    assert client_for(jiangsu_officer).get(url).status_code == 404
