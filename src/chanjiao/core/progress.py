"""Progress of long work: a line on the terminal and a `Job` row that pages show as a bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job

ProgressCallback = Callable[[int, int], None]


def terminal_progress(label: str, stream=None) -> ProgressCallback:
    """A callback printing `label: done/total (pct%)` on one line, at most ten times a second."""
    out = stream or sys.stderr
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        pct = f" ({100 * done // total}%)" if total else ""
        end = "\n" if total and done >= total else ""
        out.write(f"\r{label}: {done}/{total}{pct}{end}")
        out.flush()

    return report


def job_progress(job: Job) -> ProgressCallback:
    """A callback saving progress to a Job row, at most once a second."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 1.0:
            return
        last[0] = now
        Job.objects.filter(pk=job.pk).update(done=done, total=total, status=Job.Status.RUNNING)

    return report


def job_finish(job: Job, *, ok: bool, result: dict) -> None:
    job.status = Job.Status.SUCCEEDED if ok else Job.Status.FAILED
    job.result = result
    job.finished_at = timezone.now()
    if ok:
        job.done = job.total
    job.save(update_fields=["status", "result", "finished_at", "done"])


def job_start(*, actor, kind: str, label: str = "") -> Job:
    """A pending job for `actor`, whose page (core:job_detail) shows its progress to them."""
    return Job.objects.create(
        kind=kind,
        label=label,
        created_by=actor.user if actor.is_authenticated else None,
        organization_id=getattr(actor.organization, "pk", None),
    )


def job_run(job: Job, work: Callable[[ProgressCallback], dict | None]) -> Job:
    """Runs `work(progress)` for `job` and records how it ended.

    A refusal (DomainError) is recorded with every problem, so the page can list them; any other
    exception is recorded as a failure and raised again. Progress written inside the work's own
    transaction becomes visible to other connections when that transaction commits.
    """
    from .errors import DomainError

    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    try:
        result = work(job_progress(job)) or {}
    except DomainError as exc:
        message = _("共 %(n)d 个问题，未做任何更改") % {"n": len(exc.errors)}
        job_finish(job, ok=False, result={"message": message, "errors": [e.as_dict() for e in exc.errors]})
        return job
    except Exception as exc:
        job_finish(job, ok=False, result={"message": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    job.refresh_from_db(fields=["done", "total"])
    job_finish(job, ok=True, result=result)
    return job
