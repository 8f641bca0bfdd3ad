"""Progress of long work: a line on the terminal and a `Job` row that pages show as a bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from django.utils import timezone

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
