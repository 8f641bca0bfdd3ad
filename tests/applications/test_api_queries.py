"""An applicant's deadline through the API takes a fixed, small number of queries per step, and what a
write answers is what a read afterwards shows (nothing read back is left out or stale)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chanjiao.applications.models import Application, ApplicationVersion, BudgetLine, Partner, TaskPlan
from chanjiao.core.models import AuditEntry

from .factories import PDF, complete_draft

API = "/api/v1"

# Counted here inside the test's transaction, where every atomic block adds a SAVEPOINT and a
# RELEASE. On PostgreSQL in the deadline burst the steps took, before these limits: create 24,
# save 28, attach 15, read 12, submit 32, the same submission again 8 (three of them for the token).
MAX_QUERIES = {
    "create": 11,
    "save": 20,
    "attach": 14,
    "read": 9,
    "submit": 19,
    "submit_again": 6,
}


@pytest.fixture
def applicant(api, school_admin):
    client = api(school_admin)
    assert client.get(f"{API}/me").status_code == 200  # the token's first use notes when it was used
    return client


def upload(client, app_id, spec_code, signers):
    return client.client.post(
        f"{API}/applications/{app_id}/attachments",
        {
            "spec_code": spec_code,
            "signed_by": [str(s) for s in signers],
            "file": SimpleUploadedFile(f"{spec_code}.pdf", PDF + spec_code.encode()),
        },
        headers=client.headers,
    )


def test_each_step_of_a_deadline_takes_a_fixed_number_of_queries(
    applicant, setting, school, enterprise, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES["create"]):
        created = applicant.post(
            f"{API}/applications", {"call_id": setting.call.pk, "project_type_id": setting.project_type.pk}
        )
    assert created.status_code == 201, created.json()
    path = f"{API}/applications/{created.json()['id']}"
    with django_assert_max_num_queries(MAX_QUERIES["save"]):
        saved = applicant.patch(path, complete_draft(enterprise))
    assert saved.status_code == 200, saved.json()
    for spec_code, signers in (
        ("co_building_agreement", [school.pk, enterprise.pk]),
        ("construction_plan", []),
    ):
        with django_assert_max_num_queries(MAX_QUERIES["attach"]):
            attached = upload(applicant, created.json()["id"], spec_code, signers)
        assert attached.status_code == 201, attached.json()
    with django_assert_max_num_queries(MAX_QUERIES["read"]):
        read = applicant.get(path)
    assert read.status_code == 200
    headers = {"Idempotency-Key": "deadline-1"}
    body = {"expected_version": read.json()["row_version"]}
    with django_assert_max_num_queries(MAX_QUERIES["submit"]):
        submitted = applicant.post(f"{path}/submit", body, headers=headers)
    assert submitted.status_code == 201, submitted.json()
    with django_assert_max_num_queries(MAX_QUERIES["submit_again"]):
        again = applicant.post(f"{path}/submit", body, headers=headers)
    assert again.status_code == 200
    assert again.json() == submitted.json()
    assert ApplicationVersion.objects.filter(application_id=created.json()["id"]).count() == 1


def test_what_create_and_save_answer_is_what_a_read_shows(applicant, setting, school, enterprise):
    created = applicant.post(
        f"{API}/applications",
        {"call_id": setting.call.pk, "project_type_id": setting.project_type.pk, "title": "平台"},
    )
    path = f"{API}/applications/{created.json()['id']}"
    assert created.json() == applicant.get(path).json()
    upload(applicant, created.json()["id"], "construction_plan", [])
    saved = applicant.patch(path, complete_draft(enterprise))
    read = applicant.get(path).json()
    assert saved.json() == read
    assert all(read[section] for section in ("partners", "programmes", "tasks", "budget_lines", "kpis"))
    assert len(read["attachments"]) == 1
    assert read["budget"]["total"] == "30000000.00"


def test_saving_a_section_changes_only_the_rows_that_differ(applicant, setting, enterprise):
    created = applicant.post(
        f"{API}/applications", {"call_id": setting.call.pk, "project_type_id": setting.project_type.pk}
    )
    app_id = created.json()["id"]
    path = f"{API}/applications/{app_id}"
    body = complete_draft(enterprise)
    applicant.patch(path, body)
    lines = {(b.year, b.source, b.kind): b.pk for b in BudgetLine.objects.filter(application_id=app_id)}
    tasks = dict(TaskPlan.objects.filter(application_id=app_id).values_list("task_code", "pk"))
    partner = Partner.objects.get(application_id=app_id)
    # when the same draft is saved again with one amount changed, one line dropped and one task's plan changed
    body["budget_lines"][0]["amount"] = "1.00"
    dropped = body["budget_lines"].pop()
    body["tasks"][0]["plan"] = "改写后的建设内容"
    response = applicant.patch(path, body)
    assert response.status_code == 200, response.json()
    # then the rows kept are the same rows, changed in place; the dropped line is gone
    after = {(b.year, b.source, b.kind): b for b in BudgetLine.objects.filter(application_id=app_id)}
    dropped_key = (dropped["year"], dropped["source"], dropped["kind"])
    assert dropped_key not in after
    assert {k: b.pk for k, b in after.items()} == {k: v for k, v in lines.items() if k != dropped_key}
    first = body["budget_lines"][0]
    assert str(after[(first["year"], first["source"], first["kind"])].amount) == "1.00"
    assert dict(TaskPlan.objects.filter(application_id=app_id).values_list("task_code", "pk")) == tasks
    assert TaskPlan.objects.get(pk=tasks[body["tasks"][0]["task_code"]]).plan == "改写后的建设内容"
    assert Partner.objects.get(application_id=app_id).pk == partner.pk
    # and the answer is what a read shows, the save audited with before and after
    assert response.json() == applicant.get(path).json()
    entry = AuditEntry.objects.filter(action="application.save_draft", object_id=str(app_id)).latest("id")
    assert entry.changes["row_version"] == [2, 3]
    assert Application.objects.get(pk=app_id).row_version == 3
