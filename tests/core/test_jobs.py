"""Jobs: a progress bar that refreshes itself with htmx until the job is finished, for its creator only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chanjiao.core.models import Job
from chanjiao.core.progress import job_finish, job_progress

HTMX = {"HX-Request": "true"}


@pytest.fixture
def job(school_admin, school):
    return Job.objects.create(
        kind="import", label="单位导入", created_by=school_admin, organization_id=school.pk, total=200
    )


@pytest.mark.django_db
def test_the_creator_sees_a_page_that_polls_while_the_job_runs(job, school_admin):
    # given a running job half done
    job_progress(job)(100, 200)
    # when its creator opens the page
    response = Client()
    response.force_login(school_admin)
    page = response.get(reverse("core:job_detail", args=[job.pk]))
    # then the page shows 50 % and asks for itself again every second
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html
    assert 'aria-valuenow="50"' in html
    assert "100/200" in html
    assert f'hx-get="{reverse("core:job_detail", args=[job.pk])}"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'hx-swap="outerHTML"' in html


@pytest.mark.django_db
def test_htmx_polling_gets_the_partial_only(job, school_admin):
    job_progress(job)(20, 200)
    client = Client()
    client.force_login(school_admin)
    response = client.get(reverse("core:job_detail", args=[job.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith(f'<div id="job-{job.pk}"')
    assert 'aria-valuenow="10"' in html
    assert 'hx-trigger="every 1s"' in html


@pytest.mark.django_db
def test_polling_stops_when_the_job_has_finished_and_the_result_shows(job, school_admin):
    # given a job that finished
    job_finish(job, ok=True, result={"created": 200})
    client = Client()
    client.force_login(school_admin)
    # when the partial is fetched
    html = client.get(reverse("core:job_detail", args=[job.pk]), headers=HTMX).content.decode()
    # then it is full, shows the result, and no longer asks to be reloaded
    assert 'aria-valuenow="100"' in html
    assert "已完成" in html
    assert "created" in html
    assert "hx-trigger" not in html
    assert "hx-get" not in html


@pytest.mark.django_db
def test_a_failed_job_shows_its_errors_and_stops_polling(job, school_admin):
    job_finish(
        job, ok=False, result={"message": "第3行有误", "errors": [{"message": "第3行：单位名称不能为空"}]}
    )
    client = Client()
    client.force_login(school_admin)
    html = client.get(reverse("core:job_detail", args=[job.pk]), headers=HTMX).content.decode()
    assert "失败" in html
    assert "第3行：单位名称不能为空" in html
    assert "hx-trigger" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["school_staff", "province_officer", "other_school_admin"])
def test_nobody_else_sees_the_job(request, job, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("core:job_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("core:job_detail", args=[job.pk]), headers=HTMX).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(job):
    response = Client().get(reverse("core:job_detail", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("orgs:login"))


@pytest.mark.django_db
def test_the_api_reports_progress_to_the_creator_only(api, job, school_admin, school_staff):
    job_progress(job)(50, 200)
    mine = api(school_admin).get(f"/api/v1/jobs/{job.pk}")
    assert mine.status_code == 200
    assert {k: mine.json()[k] for k in ("status", "done", "total", "percent")} == {
        "status": "running",
        "done": 50,
        "total": 200,
        "percent": 25,
    }
    assert api(school_staff).get(f"/api/v1/jobs/{job.pk}").status_code == 404


@pytest.mark.django_db
def test_job_progress_writes_at_most_once_a_second_but_always_the_end(job):
    # given a progress callback
    report = job_progress(job)
    # when it is called many times quickly
    report(1, 200)
    report(2, 200)
    job.refresh_from_db()
    # then only the first call was written until a second has passed, and the last call always is
    assert job.done == 1
    report(200, 200)
    job.refresh_from_db()
    assert (job.done, job.status) == (200, "running")
