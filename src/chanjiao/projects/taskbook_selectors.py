"""Every read of the construction task book (建设任务书) and its change requests (变更申请).

The task books and change requests a person may read are those of the projects they may read
(`projects_for`); outside that scope is 404, never 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor

from .models import ChangeRequest, Project, TaskBook
from .selectors import projects_for


def current_task_book(project: Project) -> TaskBook | None:
    """The task book the project is built to: its highest confirmed version, else its latest one."""
    books = TaskBook.objects.filter(project=project)
    confirmed = books.filter(status=TaskBook.Status.CONFIRMED).order_by("-version").first()
    return confirmed or books.order_by("-version").first()
