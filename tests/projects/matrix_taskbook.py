"""The role matrix rows of the task book and change requests (tests/test_role_matrix.py).

Built on the projects' own matrix data (tests/projects/matrix.py): the Hefei school's, the Wuhu
school's and the Nanjing school's awarded projects, whose task book v1 the award generated. Here
each v1 is made confirmed (as after the school and the province), and each project gets one
withdrawn change request for the pages that read one. A write that should succeed gets a fresh
object of its own, made when its URL is asked for: a draft version for the school to confirm (with
its co-building agreement already attached), a version the school has confirmed for the province,
an open change request to decide or withdraw.
"""

from __future__ import annotations

from dataclasses import dataclass

from chanjiao.projects.models import ChangeRequest, Project, TaskBook
from chanjiao.projects.permissions import READ_ROLES
from chanjiao.projects.taskbook_selectors import current_task_book
from chanjiao.projects.taskbook_services import CONFIRM_ROLES, DECIDE_ROLES, SUBMIT_ROLES
from tests.projects.matrix import FOREIGN_READS, READS, data
from tests.test_role_matrix import API, Row, World

# The partner enterprise's administrator reads the Hefei school's project but is not its school.
NOT_THE_SCHOOL = {"enterprise": 403}


@dataclass
class TaskBookData:
    withdrawn: dict[str, ChangeRequest]  # organisation key → a decided (withdrawn) change request


def tb_data(w: World) -> TaskBookData:
    cached = w.__dict__.get("_taskbook")
    if cached is not None:
        return cached
    projects = data(w).projects
    withdrawn = {}
    for key, project in projects.items():
        TaskBook.objects.filter(project=project, version=1).update(status=TaskBook.Status.CONFIRMED)
        withdrawn[key] = ChangeRequest.objects.create(
            project=project,
            kind=ChangeRequest.Kind.LEADER,
            reason="矩阵：人事调整",
            proposed={"leader": "矩阵负责人"},
            base_version=1,
            status=ChangeRequest.Status.WITHDRAWN,
            created_by=w.users["school_admin"],
        )
    d = TaskBookData(withdrawn=withdrawn)
    w.__dict__["_taskbook"] = d
    return d


def project_of(w: World, p: str, reads: dict[str, str]) -> Project:
    tb_data(w)
    return data(w).projects[reads.get(p, "school")]


def project_url(template: str, reads: dict[str, str] = READS):
    return lambda w, p: template.format(pk=project_of(w, p, reads).pk)


def withdrawn_url(template: str, reads: dict[str, str] = READS):
    def url(w: World, p: str):
        project = project_of(w, p, reads)
        cr = tb_data(w).withdrawn[reads.get(p, "school")]
        return template.format(pk=project.pk, cr=cr.pk)

    return url


# --- fresh objects for the writes that succeed -----------------------------------------------------


def _fresh_book(w: World, p: str) -> TaskBook:
    """A new version of the persona's project: school-confirmed for province staff, else a draft
    carrying the school's own file as its agreement."""
    project = project_of(w, p, READS)
    base = current_task_book(project)
    latest = TaskBook.objects.filter(project=project).order_by("-version").first()
    org_key = READS.get(p, "school")
    book = TaskBook.objects.create(
        project=project,
        version=latest.version + 1,
        content=base.content,
        agreement=w.attachments[org_key],
    )
    if p in ("province", "jiangsu"):
        book.status = TaskBook.Status.SCHOOL_CONFIRMED
        book.school_confirmed_by = w.users["school_admin"]
        book.save()
    return book


def fresh_book_url(template: str):
    def url(w: World, p: str):
        book = _fresh_book(w, p)
        return template.format(pk=book.project_id, version=book.version, id=book.pk)

    return url


def foreign_book_url(template: str):
    def url(w: World, p: str):
        project = project_of(w, p, FOREIGN_READS)
        book = TaskBook.objects.get(project=project, version=1)
        return template.format(pk=project.pk, version=1, id=book.pk)

    return url


def _fresh_change(w: World, p: str) -> ChangeRequest:
    project = project_of(w, p, READS)
    return ChangeRequest.objects.create(
        project=project,
        kind=ChangeRequest.Kind.LEADER,
        reason="矩阵：负责人调离",
        proposed={"leader": f"矩阵新负责人{w.n()}"},
        base_version=current_task_book(project).version,
        created_by=w.users["school_admin"],
    )


def fresh_change_url(template: str):
    def url(w: World, p: str):
        cr = _fresh_change(w, p)
        return template.format(pk=cr.project_id, cr=cr.pk)

    return url


def no_open_change_url(template: str):
    """The persona's project with no change request open, so theirs is the only one."""

    def url(w: World, p: str):
        project = project_of(w, p, READS)
        ChangeRequest.objects.filter(project=project, status=ChangeRequest.Status.SUBMITTED).update(
            status=ChangeRequest.Status.WITHDRAWN
        )
        return template.format(pk=project.pk)

    return url


def change_form(w: World, p: str) -> dict:
    return {"kind": "leader", "reason": "矩阵：负责人调离", "leader": f"矩阵负责人{w.n()}"}


def change_json(w: World, p: str) -> dict:
    return {"kind": "leader", "reason": "矩阵：负责人调离", "proposed": {"leader": f"矩阵负责人{w.n()}"}}


def approve_form(w: World, p: str) -> dict:
    return {"decision": "approve", "reason": "同意"}


def approve_json(w: World, p: str) -> dict:
    return {"approve": True, "reason": "同意"}


def nothing(w: World, p: str) -> dict:
    return {}


P = "/projects/{pk}"
PAGE_ROWS = [
    Row(
        "projects/<int:pk>/task-book/",
        "GET",
        READ_ROLES,
        project_url(P + "/task-book/"),
        foreign=project_url(P + "/task-book/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/task-book/v/<int:version>/",
        "GET",
        READ_ROLES,
        project_url(P + "/task-book/v/1/"),
        foreign=project_url(P + "/task-book/v/1/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/task-book/v/<int:version>/confirm/",
        "POST",
        CONFIRM_ROLES,
        fresh_book_url(P + "/task-book/v/{version}/confirm/"),
        foreign=foreign_book_url(P + "/task-book/v/{version}/confirm/"),
        data=nothing,
        ok=302,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
    Row(
        "projects/<int:pk>/task-book/diff/",
        "GET",
        READ_ROLES,
        project_url(P + "/task-book/diff/?a=1&b=1"),
        foreign=project_url(P + "/task-book/diff/?a=1&b=1", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/changes/",
        "GET",
        READ_ROLES,
        project_url(P + "/changes/"),
        foreign=project_url(P + "/changes/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/changes/new/",
        "GET",
        SUBMIT_ROLES,
        project_url(P + "/changes/new/?kind=budget"),
        foreign=project_url(P + "/changes/new/", FOREIGN_READS),
        overrides=NOT_THE_SCHOOL,
    ),
    Row(
        "projects/<int:pk>/changes/new/",
        "POST",
        SUBMIT_ROLES,
        no_open_change_url(P + "/changes/new/"),
        foreign=project_url(P + "/changes/new/", FOREIGN_READS),
        data=change_form,
        ok=302,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
    Row(
        "projects/<int:pk>/changes/<int:change_id>/",
        "GET",
        READ_ROLES,
        withdrawn_url(P + "/changes/{cr}/"),
        foreign=withdrawn_url(P + "/changes/{cr}/", FOREIGN_READS),
    ),
    Row(
        "projects/<int:pk>/changes/<int:change_id>/decide/",
        "POST",
        DECIDE_ROLES,
        fresh_change_url(P + "/changes/{cr}/decide/"),
        foreign=withdrawn_url(P + "/changes/{cr}/decide/", FOREIGN_READS),
        data=approve_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "projects/<int:pk>/changes/<int:change_id>/withdraw/",
        "POST",
        SUBMIT_ROLES,
        fresh_change_url(P + "/changes/{cr}/withdraw/"),
        foreign=withdrawn_url(P + "/changes/{cr}/withdraw/", FOREIGN_READS),
        data=nothing,
        ok=302,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
]

AP = API + "/projects/{pk}"
API_ROWS = [
    Row(
        f"{API}/projects/{{project_id}}/task-books",
        "GET",
        READ_ROLES,
        project_url(AP + "/task-books"),
        foreign=project_url(AP + "/task-books", FOREIGN_READS),
    ),
    Row(
        f"{API}/projects/{{project_id}}/task-books/diff",
        "GET",
        READ_ROLES,
        project_url(AP + "/task-books/diff?a=1&b=1"),
        foreign=project_url(AP + "/task-books/diff?a=1&b=1", FOREIGN_READS),
    ),
    Row(
        f"{API}/projects/{{project_id}}/task-books/{{version}}",
        "GET",
        READ_ROLES,
        project_url(AP + "/task-books/1"),
        foreign=project_url(AP + "/task-books/1", FOREIGN_READS),
    ),
    Row(
        f"{API}/task-books/{{task_book_id}}/confirm",
        "POST",
        CONFIRM_ROLES,
        fresh_book_url(API + "/task-books/{id}/confirm"),
        foreign=foreign_book_url(API + "/task-books/{id}/confirm"),
        data=nothing,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
    Row(
        f"{API}/projects/{{project_id}}/change-requests",
        "GET",
        READ_ROLES,
        project_url(AP + "/change-requests"),
        foreign=project_url(AP + "/change-requests", FOREIGN_READS),
    ),
    Row(
        f"{API}/projects/{{project_id}}/change-requests",
        "POST",
        SUBMIT_ROLES,
        no_open_change_url(AP + "/change-requests"),
        foreign=project_url(AP + "/change-requests", FOREIGN_READS),
        data=change_json,
        ok=201,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
    Row(
        f"{API}/change-requests/{{change_request_id}}/decide",
        "POST",
        DECIDE_ROLES,
        fresh_change_url(API + "/change-requests/{cr}/decide"),
        foreign=withdrawn_url(API + "/change-requests/{cr}/decide", FOREIGN_READS),
        data=approve_json,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/change-requests/{{change_request_id}}/withdraw",
        "POST",
        SUBMIT_ROLES,
        fresh_change_url(API + "/change-requests/{cr}/withdraw"),
        foreign=withdrawn_url(API + "/change-requests/{cr}/withdraw", FOREIGN_READS),
        data=nothing,
        write=True,
        audited=True,
        overrides=NOT_THE_SCHOOL,
    ),
]
