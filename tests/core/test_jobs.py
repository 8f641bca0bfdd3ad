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


# --- running work as a job ----------------------------------------------------------------------


def _region_files(*areas: str):
    import io

    return (
        io.BytesIO("code,name\n34,安徽省\n".encode()),
        io.BytesIO("code,name,provinceCode\n3401,合肥市,34\n".encode()),
        io.BytesIO(("code,name,cityCode,provinceCode\n" + "\n".join(areas) + "\n").encode()),
    )


@pytest.mark.django_db
def test_an_import_run_as_a_job_records_its_counts(school_admin):
    from chanjiao.core.importers import import_regions
    from chanjiao.core.progress import job_run, job_start
    from tests.conftest import actor_of

    # given a job for an import
    job = job_start(actor=actor_of(school_admin), kind="regions.import", label="行政区划导入")
    # when the import runs in it
    files = _region_files("340104,蜀山区,3401,34", "340111,包河区,3401,34")
    job_run(job, lambda progress: import_regions(*files, progress=progress))
    # then the job succeeded with the import's counts, at 100 %
    job.refresh_from_db()
    assert (job.status, job.percent, job.created_by) == ("succeeded", 100, school_admin)
    assert (job.result["provinces"], job.result["cities"], job.result["counties"]) == (1, 1, 2)
    assert job.result["created"] == 1  # 包河区; the others were there already
    assert job.finished_at is not None


@pytest.mark.django_db
def test_a_refused_import_run_as_a_job_lists_every_problem_on_its_page(school_admin):
    from chanjiao.core.importers import import_regions
    from chanjiao.core.models import Region
    from chanjiao.core.progress import job_run, job_start
    from tests.conftest import actor_of

    job = job_start(actor=actor_of(school_admin), kind="regions.import")
    before = Region.objects.count()
    files = _region_files("34010X,坏代码,3401,34", "340105,未知市,3409,34")
    job_run(job, lambda progress: import_regions(*files, progress=progress))
    job.refresh_from_db()
    assert job.status == "failed"
    assert [e["code"] for e in job.result["errors"]] == ["region.bad_code", "region.unknown_parent"]
    assert Region.objects.count() == before
    client = Client()
    client.force_login(school_admin)
    html = client.get(reverse("core:job_detail", args=[job.pk]), headers=HTMX).content.decode()
    assert "共 2 个问题，未做任何更改" in html
    assert "areas.csv 第2行" in html
    assert "areas.csv 第3行" in html


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_and_is_raised(school_admin):
    from chanjiao.core.progress import job_run, job_start
    from tests.conftest import actor_of

    job = job_start(actor=actor_of(school_admin), kind="x")

    def boom(progress):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        job_run(job, boom)
    job.refresh_from_db()
    assert (job.status, job.result["message"]) == ("failed", "RuntimeError: disk full")
