"""Every read of the construction task book (建设任务书) and its change requests (变更申请).

The task books and change requests a person may read are those of the projects they may read
(`projects_for`); outside that scope is 404, never 403.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

from .models import ChangeRequest, Project, TaskBook
from .selectors import projects_for


def current_task_book(project: Project) -> TaskBook | None:
    """The task book the project is built to: its highest confirmed version, else its latest one."""
    books = TaskBook.objects.filter(project=project)
    confirmed = books.filter(status=TaskBook.Status.CONFIRMED).order_by("-version").first()
    return confirmed or books.order_by("-version").first()


def _get(qs: QuerySet, **lookup: Any):
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def task_books_for(actor: Actor) -> QuerySet[TaskBook]:
    """The task books of the projects the actor may read."""
    return TaskBook.objects.filter(project__in=projects_for(actor).values("pk")).select_related(
        "project", "project__organization", "project__project_type", "agreement", "change_request"
    )


def task_books_of(actor: Actor, project: Project) -> QuerySet[TaskBook]:
    """Every version of one project's task book, newest first (none outside the actor's scope)."""
    return task_books_for(actor).filter(project=project).order_by("-version")


def task_book_get_for(*, actor: Actor, pk: Any) -> TaskBook:
    return _get(task_books_for(actor), pk=pk)


def task_book_version_for(*, actor: Actor, project: Project, version: Any) -> TaskBook:
    return _get(task_books_of(actor, project), version=version)


def change_requests_for(actor: Actor) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(project__in=projects_for(actor).values("pk")).select_related(
        "project", "project__organization", "created_by", "decided_by"
    )


def change_requests_of(actor: Actor, project: Project) -> QuerySet[ChangeRequest]:
    return change_requests_for(actor).filter(project=project).order_by("-created_at", "-id")


def change_request_get_for(*, actor: Actor, pk: Any) -> ChangeRequest:
    return _get(change_requests_for(actor), pk=pk)


# --- the differences between two versions --------------------------------------------------------


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _names(pairs) -> dict[str, str]:
    return {code: _(name) for code, name in pairs}


def task_book_diff(a: TaskBook | dict, b: TaskBook | dict) -> list[dict[str, str]]:
    """What changed from version `a` to version `b`, as readable lines:
    [{"section", "kind" (added / removed / changed), "subject", "text"}]."""
    old = a.content if isinstance(a, TaskBook) else a
    new = b.content if isinstance(b, TaskBook) else b
    lines: list[dict[str, str]] = []

    def add(section: str, kind: str, subject: str, text: str) -> None:
        lines.append({"section": section, "kind": kind, "subject": subject, "text": text})

    # tasks
    before = {t["code"]: t for t in old.get("tasks", [])}
    after = {t["code"]: t for t in new.get("tasks", [])}
    for code, task in after.items():
        label = f"{code} {task.get('name', '')}".strip()
        if code not in before:
            add("tasks", "added", label, _("新增任务：%(task)s") % {"task": label})
            continue
        was = before[code]
        if (was.get("plan") or "") != (task.get("plan") or ""):
            add(
                "tasks",
                "changed",
                label,
                _("任务%(task)s的建设内容：“%(old)s” → “%(new)s”")
                % {"task": label, "old": was.get("plan") or "—", "new": task.get("plan") or "—"},
            )
        old_targets, new_targets = was.get("yearly_targets") or {}, task.get("yearly_targets") or {}
        for year in sorted(
            set(old_targets) | set(new_targets), key=lambda y: int(y) if str(y).isdigit() else 0
        ):
            if old_targets.get(year) != new_targets.get(year):
                add(
                    "tasks",
                    "changed",
                    label,
                    _("任务%(task)s第%(y)s年目标：“%(old)s” → “%(new)s”")
                    % {
                        "task": label,
                        "y": year,
                        "old": old_targets.get(year) or "—",
                        "new": new_targets.get(year) or "—",
                    },
                )
    for code, task in before.items():
        if code not in after:
            label = f"{code} {task.get('name', '')}".strip()
            add("tasks", "removed", label, _("删除任务：%(task)s") % {"task": label})

    # KPI targets
    before = {k["code"]: k for k in old.get("kpis", [])}
    after = {k["code"]: k for k in new.get("kpis", [])}
    for code in list(after) + [c for c in before if c not in after]:
        was, now = before.get(code, {}), after.get(code, {})
        label = (now or was).get("name") or code
        unit = (now or was).get("unit") or ""
        old_t, new_t = was.get("targets") or {}, now.get("targets") or {}
        for year in sorted(set(old_t) | set(new_t), key=lambda y: int(y) if str(y).isdigit() else 0):
            o, n = old_t.get(year), new_t.get(year)
            if o is not None and n is not None and Decimal(str(o)) == Decimal(str(n)):
                continue
            if o != n:
                add(
                    "kpis",
                    "changed" if o is not None and n is not None else ("added" if o is None else "removed"),
                    label,
                    _("绩效指标“%(kpi)s”第%(y)s年目标：%(old)s → %(new)s%(unit)s")
                    % {
                        "kpi": label,
                        "y": year,
                        "old": o if o is not None else "—",
                        "new": n if n is not None else "—",
                        "unit": unit,
                    },
                )

    # budget lines
    sources, kinds = _names(FUNDING_SOURCES), _names(CONTRIBUTION_KINDS)

    def cells(content):
        return {
            (int(x["year"]), x["source"], x["kind"]): Decimal(str(x["amount"]))
            for x in content.get("budget", [])
        }

    old_cells, new_cells = cells(old), cells(new)
    for key in sorted(set(old_cells) | set(new_cells)):
        o, n = old_cells.get(key), new_cells.get(key)
        if o == n:
            continue
        year, source, kind = key
        label = _("第%(y)d年 %(source)s · %(kind)s") % {
            "y": year,
            "source": sources.get(source, source),
            "kind": kinds.get(kind, kind),
        }
        add(
            "budget",
            "changed" if o is not None and n is not None else ("added" if o is None else "removed"),
            label,
            _("预算%(line)s：%(old)s元 → %(new)s元")
            % {
                "line": label,
                "old": _money(o) if o is not None else "—",
                "new": _money(n) if n is not None else "—",
            },
        )

    # leader
    if (old.get("leader") or "") != (new.get("leader") or ""):
        add(
            "leader",
            "changed",
            _("项目负责人"),
            _("项目负责人：%(old)s → %(new)s")
            % {"old": old.get("leader") or "—", "new": new.get("leader") or "—"},
        )

    # partners
    roles = _names(PARTNER_ROLES)
    before = {str(p["organization_id"]): p for p in old.get("partners", [])}
    after = {str(p["organization_id"]): p for p in new.get("partners", [])}
    for key, p in after.items():
        if key not in before:
            add(
                "partners",
                "added",
                p.get("name", key),
                _("新增合作单位：%(name)s（%(role)s）")
                % {"name": p.get("name", key), "role": roles.get(p.get("role"), p.get("role"))},
            )
            continue
        was = before[key]
        if was.get("role") != p.get("role"):
            add(
                "partners",
                "changed",
                p.get("name", key),
                _("合作单位%(name)s的角色：%(old)s → %(new)s")
                % {
                    "name": p.get("name", key),
                    "old": roles.get(was.get("role"), was.get("role")),
                    "new": roles.get(p.get("role"), p.get("role")),
                },
            )
        if (was.get("amount") or None) != (p.get("amount") or None):
            add(
                "partners",
                "changed",
                p.get("name", key),
                _("合作单位%(name)s的承诺投入：%(old)s元 → %(new)s元")
                % {
                    "name": p.get("name", key),
                    "old": _money(was["amount"]) if was.get("amount") else "—",
                    "new": _money(p["amount"]) if p.get("amount") else "—",
                },
            )
    for key, p in before.items():
        if key not in after:
            add(
                "partners",
                "removed",
                p.get("name", key),
                _("删除合作单位：%(name)s") % {"name": p.get("name", key)},
            )
    return lines
