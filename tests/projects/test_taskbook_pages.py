"""The task book's and change requests' pages, as each person sees them: the figures, who is offered
which button, a refused form shown again with the rule, and the observer reading without writing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chanjiao.projects.models import ChangeRequest, TaskBook
from tests.conftest import client_for

from .test_taskbook_services import PDF, budget_rows, confirmed, project, stored  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def budget_post(rows: list[dict], reason: str) -> dict:
    data = {"kind": "budget", "reason": reason, "budget-count": str(len(rows))}
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"budget-{i}-{name}"] = str(value)
    return data


def test_the_task_book_reads_as_a_document(project, observer, school_admin):  # noqa: F811
    page = client_for(observer).get(f"/projects/{project.pk}/task-book/")
    assert page.status_code == 200
    html = page.content.decode()
    # by hand: 30,000,000.00 in all, the enterprise 12,000,000.00 = 40.00%
    assert "30,000,000.00" in html
    assert "12,000,000.00" in html
    assert "40.00%" in html
    assert "服务高水平专业群建设目标" in html
    assert "任务1首年目标" in html
    assert "技术专利" in html
    assert "data-confirm-school" not in html
    assert "data-confirm-province" not in html
    # the school's administrator is offered the confirmation, with the agreement to upload
    html = client_for(school_admin).get(f"/projects/{project.pk}/task-book/").content.decode()
    assert "data-confirm-school" in html
    # the project's page leads to it
    assert (
        f"/projects/{project.pk}/task-book/"
        in client_for(observer).get(f"/projects/{project.pk}/").content.decode()
    )


def test_confirming_through_the_pages(project, school_admin, province_officer, observer, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    url = f"/projects/{project.pk}/task-book/v/1/confirm/"
    before = stored()
    # without the agreement: refused, shown again with the reason
    page = client_for(school_admin).post(url, {})
    assert page.status_code == 422
    assert 'data-error-code="task_book.agreement_required"' in page.content.decode()
    assert client_for(observer).post(url, {}).status_code == 403
    assert stored() == before
    upload = SimpleUploadedFile("共建协议.pdf", PDF, content_type="application/pdf")
    page = client_for(school_admin).post(url, {"agreement": upload})
    assert page.status_code == 302
    book = project.task_books.get()
    assert book.status == TaskBook.Status.SCHOOL_CONFIRMED
    assert book.agreement.original_name == "共建协议.pdf"
    html = client_for(province_officer).get(f"/projects/{project.pk}/task-book/").content.decode()
    assert "data-confirm-province" in html
    assert client_for(province_officer).post(url, {}).status_code == 302
    assert project.task_books.get().status == TaskBook.Status.CONFIRMED


def test_a_budget_form_below_one_third_is_shown_again(confirmed, school_admin):  # noqa: F811
    form = client_for(school_admin).get(f"/projects/{confirmed.pk}/changes/new/?kind=budget")
    assert form.status_code == 200
    assert 'data-change-form="budget"' in form.content.decode()
    rows = budget_rows({(1, "enterprise", "equipment"): "2000000.00", (1, "school", "cash"): "11000000.00"})
    before = stored()
    page = client_for(school_admin).post(
        f"/projects/{confirmed.pk}/changes/new/", budget_post(rows, "企业设备推迟")
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "合作企业投入不少于总投入的三分之一（当前：30.0%" in html
    assert 'value="11000000.00"' in html  # what was typed is kept
    assert stored() == before


def test_change_approved_and_rejected_through_the_pages(confirmed, school_admin, province_officer, observer):  # noqa: F811
    rows = budget_rows({(1, "enterprise", "equipment"): "6000000.00", (1, "school", "cash"): "7000000.00"})
    page = client_for(school_admin).post(
        f"/projects/{confirmed.pk}/changes/new/", budget_post(rows, "企业追加投入")
    )
    assert page.status_code == 302
    change = ChangeRequest.objects.get()
    detail = f"/projects/{confirmed.pk}/changes/{change.pk}/"
    html = client_for(observer).get(detail).content.decode()
    assert "预算第1年 合作企业 · 设备：5,000,000.00元 → 6,000,000.00元" in html
    assert "data-decide-form" not in html
    assert "data-decide-form" in client_for(province_officer).get(detail).content.decode()
    before = stored()
    page = client_for(province_officer).post(detail + "decide/", {"decision": "reject", "reason": ""})
    assert page.status_code == 422
    assert 'data-error-code="change_request.rejection_reason_required"' in page.content.decode()
    assert client_for(observer).post(detail + "decide/", {"decision": "approve"}).status_code == 403
    assert stored() == before
    assert client_for(province_officer).post(detail + "decide/", {"decision": "approve"}).status_code == 302
    diff = client_for(observer).get(f"/projects/{confirmed.pk}/task-book/diff/?a=1&b=2").content.decode()
    assert diff.count("data-diff-line=") == 2
    assert "学校自筹 · 资金：8,000,000.00元 → 7,000,000.00元" in diff
    listing = client_for(observer).get(f"/projects/{confirmed.pk}/changes/").content.decode()
    assert 'data-status="approved"' in listing


def test_other_school_and_other_province_get_404(confirmed, other_school_admin, jiangsu_officer):  # noqa: F811
    for user in (other_school_admin, jiangsu_officer):
        client = client_for(user)
        for path in ("task-book/", "task-book/v/1/", "task-book/diff/", "changes/"):
            assert client.get(f"/projects/{confirmed.pk}/{path}").status_code == 404, path
