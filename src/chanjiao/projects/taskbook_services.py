"""The construction task book (建设任务书) and its change requests (变更申请).

Version 1 of the task book is generated from the awarded application when the province awards it
(`task_book_generate`, called by `decision_award` in the same transaction). The school (the
project's organisation's administrator) confirms it first, attaching the co-building agreement
(共建协议) when the plan lists one among the application's attachments; the province's staff
confirm it next. A confirmed task book changes only through a change request (scope, budget,
partner, leader) that the school submits with its reason and the province's staff decide on: an
approval makes the next version from the base with the proposed sections (confirmed by the
approval itself) and supersedes the previous one. A proposed budget, partner list or task list is
checked against the plan's rules as at submission (minimum total, enterprise share ≥ 1/3, the
mandatory tasks) and refused with the same messages.

Every write is one transaction: permission first, an audit entry, notices after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.applications import services as application_services
from chanjiao.applications import snapshots
from chanjiao.applications.models import ApplicationVersion
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, Forbidden, ValidationFailed
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Organization, User
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

from .models import ChangeRequest, Project, TaskBook
from .permissions import NOTIFIED_ROLES
from .taskbook_selectors import current_task_book

# Who confirms a task book (the school's administrator, then the province's staff), who asks for a
# change (the school's administrator) and who decides on it (the province's staff). The observer
# reads every page and operation (READ_ROLES) and writes nothing.
CONFIRM_ROLES = (Role.ORG_ADMIN, Role.PROVINCE_ADMIN)
SUBMIT_ROLES = (Role.ORG_ADMIN,)
DECIDE_ROLES = (Role.PROVINCE_ADMIN,)
AGREEMENT_SPEC = "co_building_agreement"
# The sections of the task book each kind of change may propose.
KIND_SECTIONS = {
    ChangeRequest.Kind.SCOPE: ("tasks", "kpis"),
    ChangeRequest.Kind.BUDGET: ("budget",),
    ChangeRequest.Kind.PARTNER: ("partners",),
    ChangeRequest.Kind.LEADER: ("leader",),
}
# The plan's rules a changed task book is held to (those about who applies and when are not).
RULE_PREFIXES = ("budget.", "tasks.", "partners.")
TASK_BOOK_FIELDS = ("project_id", "version", "status", "change_request_id", "agreement_id")
CHANGE_FIELDS = ("project_id", "kind", "reason", "proposed", "base_version", "status", "decision_reason")
ZERO = Decimal("0.00")
OPEN_PROJECT = (Project.Status.UNDER_CONSTRUCTION, Project.Status.RECTIFYING)


# --- who may ----------------------------------------------------------------------------------


def is_school_admin(actor: Actor, project: Project) -> bool:
    return (
        actor.has_role(Role.ORG_ADMIN)
        and actor.organization is not None
        and actor.organization.pk == project.organization_id
    )


def is_province_staff(actor: Actor, project: Project) -> bool:
    return bool(
        actor.is_province_staff
        and actor.province_prefix
        and project.province_code.startswith(actor.province_prefix)
    )


def require_school_admin(actor: Actor, project: Project, doing: str) -> None:
    if not is_school_admin(actor, project):
        raise Forbidden(
            _("只有建设单位（%(org)s）的管理员可以%(doing)s")
            % {"org": project.organization.name, "doing": doing}
        )


def require_province_staff(actor: Actor, project: Project, doing: str) -> None:
    if not is_province_staff(actor, project):
        raise Forbidden(_("只有项目所在省的省级管理员可以%(doing)s") % {"doing": doing})


# --- the content ------------------------------------------------------------------------------


def _submitted_content(application) -> dict[str, Any]:
    """The application as last submitted (its latest version), else as it stands (awarded: locked)."""
    version = ApplicationVersion.objects.filter(application=application).order_by("-number").first()
    if (
        version is not None
        and isinstance(version.snapshot, dict)
        and version.snapshot.get("tasks") is not None
    ):
        return version.snapshot
    return snapshots.build(application)


def content_from_application(application) -> dict[str, Any]:
    """The task book's content from the application's submitted sections (see TaskBook's docstring)."""
    data = _submitted_content(application)
    kpis: dict[str, dict[str, Any]] = {}
    for k in data.get("kpis", []):
        entry = kpis.setdefault(
            k["kpi_code"],
            {
                "code": k["kpi_code"],
                "name": k.get("name", k["kpi_code"]),
                "unit": k.get("unit", ""),
                "targets": {},
            },
        )
        entry["targets"][str(k["year"])] = str(k["value"])
    app = data.get("application", {})
    leader = (application.fields or {}).get("leader") or app.get("contact_name") or application.contact_name
    return {
        "tasks": [
            {
                "code": t["task_code"],
                "name": t.get("title", t["task_code"]),
                "mandatory": bool(t.get("mandatory")),
                "plan": t.get("plan", ""),
                "yearly_targets": {str(y): v for y, v in (t.get("yearly_targets") or {}).items()},
            }
            for t in data.get("tasks", [])
        ],
        "kpis": list(kpis.values()),
        "budget": [
            {"year": int(x["year"]), "source": x["source"], "kind": x["kind"], "amount": str(x["amount"])}
            for x in (data.get("budget") or {}).get("lines", [])
        ],
        "leader": str(leader or ""),
        "partners": [
            {
                "organization_id": p["organization_id"],
                "name": p.get("name", ""),
                "role": p.get("role", ""),
                "amount": p.get("contribution_amount"),
            }
            for p in data.get("partners", [])
        ],
    }


def budget_totals(content: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(the total, the partner enterprises' part) of a task book's budget."""
    totals = snapshots.Totals(
        (x["year"], x["source"], x["kind"], Decimal(str(x["amount"]))) for x in content.get("budget", [])
    )
    return totals.total.quantize(ZERO), totals.enterprise_total.quantize(ZERO)


def agreement_required(project: Project) -> bool:
    """Whether the plan lists a co-building agreement among the application's attachments."""
    return any(a.code == AGREEMENT_SPEC for a in project.project_type.attachments())


# --- generation and confirmation ---------------------------------------------------------------


def task_book_generate(project: Project, *, actor: Actor | None = None) -> TaskBook:
    """Version 1, from the awarded application (called by `decision_award` inside its transaction)."""
    with transaction.atomic():
        book = TaskBook.objects.create(
            project=project, version=1, content=content_from_application(project.application)
        )
        audit_record(
            actor=actor,
            action="task_book.create",
            obj=book,
            changes=diff({}, snapshot(book, TASK_BOOK_FIELDS)),
        )
    return book


def _locked_book(task_book: TaskBook) -> TaskBook:
    return (
        TaskBook.objects.select_for_update(of=("self",))
        .select_related("project", "project__organization", "project__project_type")
        .get(pk=task_book.pk)
    )


def task_book_confirm_school(*, actor: Actor, task_book: TaskBook, agreement=None) -> TaskBook:
    """The school's administrator confirms a draft version, with the co-building agreement when
    the plan lists one (403 not the school's administrator; 409 not a draft; 422 the agreement
    missing or not the school's file)."""
    require_school_admin(actor, task_book.project, _("确认建设任务书"))
    with transaction.atomic():
        book = _locked_book(task_book)
        before = snapshot(book, TASK_BOOK_FIELDS)
        if book.status != TaskBook.Status.DRAFT:
            raise ConflictError.single(
                "status",
                "task_book.not_draft",
                _("第%(v)d版任务书的状态是“%(cur)s”，学校只能确认“%(ok)s”的版本")
                % {"v": book.version, "cur": book.get_status_display(), "ok": TaskBook.Status.DRAFT.label},
            )
        chosen = agreement if agreement is not None else book.agreement
        if chosen is None and agreement_required(book.project):
            raise ValidationFailed.single(
                "agreement",
                "task_book.agreement_required",
                _("确认任务书须上传共建协议（申报计划要求的附件“共建协议”；当前：未上传）"),
            )
        if chosen is not None and chosen.owner_organization_id != book.project.organization_id:
            raise ValidationFailed.single(
                "agreement",
                "task_book.agreement_not_own",
                _("共建协议应为建设单位（%(org)s）上传的文件（当前：%(name)s）")
                % {"org": book.project.organization.name, "name": chosen.original_name},
            )
        book.agreement = chosen
        book.status = TaskBook.Status.SCHOOL_CONFIRMED
        book.school_confirmed_by = actor.user
        book.school_confirmed_at = timezone.now()
        book.save()
        audit_record(
            actor=actor,
            action="task_book.confirm_school",
            obj=book,
            changes=diff(before, snapshot(book, TASK_BOOK_FIELDS)),
        )
        notify(
            province_people(book.project),
            subject=_("“%(title)s”第%(v)d版建设任务书待省级确认")
            % {"title": book.project.title, "v": book.version},
            body=_("建设单位已确认任务书，请省级管理员确认。"),
            url=reverse("projects:task_book", args=[book.project_id]),
            kind="task_book.school_confirmed",
        )
    return book


def task_book_confirm_province(*, actor: Actor, task_book: TaskBook) -> TaskBook:
    """Province staff confirm a version the school has confirmed (403 not the province's staff;
    409 the school has not confirmed it, or it is confirmed already)."""
    require_province_staff(actor, task_book.project, _("确认建设任务书"))
    with transaction.atomic():
        book = _locked_book(task_book)
        before = snapshot(book, TASK_BOOK_FIELDS)
        if book.status != TaskBook.Status.SCHOOL_CONFIRMED:
            raise ConflictError.single(
                "status",
                "task_book.not_school_confirmed",
                _("第%(v)d版任务书须先由学校确认，省级才能确认（当前：%(cur)s）")
                % {"v": book.version, "cur": book.get_status_display()},
            )
        book.status = TaskBook.Status.CONFIRMED
        book.province_confirmed_by = actor.user
        book.province_confirmed_at = timezone.now()
        book.save()
        TaskBook.objects.filter(
            project_id=book.project_id, status=TaskBook.Status.CONFIRMED, version__lt=book.version
        ).update(status=TaskBook.Status.SUPERSEDED)
        audit_record(
            actor=actor,
            action="task_book.confirm_province",
            obj=book,
            changes=diff(before, snapshot(book, TASK_BOOK_FIELDS)),
        )
        notify(
            school_people(book.project),
            subject=_("“%(title)s”第%(v)d版建设任务书已确认")
            % {"title": book.project.title, "v": book.version},
            body=_("省级管理员已确认建设任务书，项目按此任务书建设。"),
            url=reverse("projects:task_book", args=[book.project_id]),
            kind="task_book.confirmed",
        )
    return book


def task_book_confirm(*, actor: Actor, task_book: TaskBook, agreement=None) -> TaskBook:
    """The confirmation the actor may give: the province's as province staff, else the school's."""
    if actor.is_province_staff:
        return task_book_confirm_province(actor=actor, task_book=task_book)
    return task_book_confirm_school(actor=actor, task_book=task_book, agreement=agreement)


# --- who is told --------------------------------------------------------------------------------


def school_people(project: Project) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organization_id=project.organization_id,
            memberships__role__in=list(NOTIFIED_ROLES),
            memberships__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def province_people(project: Project) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organization__kind="department",
            memberships__organization__region__code__startswith=project.province_code[:2],
            memberships__role=Role.PROVINCE_ADMIN,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


# --- change requests: what is proposed ------------------------------------------------------------


def _clean_tasks(errors: ErrorCollector, project: Project, rows: Any) -> list[dict]:
    specs = {t.code: t for t in project.project_type.tasks()}
    if not isinstance(rows, list):
        errors.add(
            "proposed.tasks",
            "change_request.tasks_invalid",
            _("建设任务应为任务列表（当前：%(cur)s）") % {"cur": type(rows).__name__},
        )
        return []
    cleaned, seen = [], set()
    for i, row in enumerate(rows, start=1):
        code = str((row or {}).get("code", "")).strip() if isinstance(row, dict) else ""
        if not code:
            errors.add(
                f"proposed.tasks.{i}.code",
                "change_request.task_code_missing",
                _("第%(i)d项任务缺少任务代码（当前：空）") % {"i": i},
            )
            continue
        if code in seen:
            errors.add(
                f"proposed.tasks.{i}.code",
                "change_request.task_duplicate",
                _("任务“%(code)s”重复出现（每项任务只能列一次）") % {"code": code},
            )
            continue
        seen.add(code)
        targets = row.get("yearly_targets") or {}
        if not isinstance(targets, dict):
            targets = {}
        spec = specs.get(code)
        cleaned.append(
            {
                "code": code,
                "name": spec.title if spec else str(row.get("name") or code),
                "mandatory": bool(spec.mandatory) if spec else False,
                "plan": str(row.get("plan") or "").strip(),
                "yearly_targets": {
                    str(y): str(v).strip() for y, v in sorted(targets.items()) if str(v or "").strip()
                },
            }
        )
    return cleaned


def _clean_kpis(errors: ErrorCollector, project: Project, rows: Any) -> list[dict]:
    specs = {k.code: k for k in project.project_type.kpis()}
    if not isinstance(rows, list):
        errors.add(
            "proposed.kpis",
            "change_request.kpis_invalid",
            _("绩效指标应为指标列表（当前：%(cur)s）") % {"cur": type(rows).__name__},
        )
        return []
    cleaned = []
    for i, row in enumerate(rows, start=1):
        code = str((row or {}).get("code", "")).strip() if isinstance(row, dict) else ""
        if not code:
            errors.add(
                f"proposed.kpis.{i}.code",
                "change_request.kpi_code_missing",
                _("第%(i)d项绩效指标缺少指标代码（当前：空）") % {"i": i},
            )
            continue
        targets = {}
        for year, value in sorted((row.get("targets") or {}).items()):
            amount = application_services.parse_amount(
                errors,
                f"proposed.kpis.{i}.targets.{year}",
                value,
                label=_("指标“%(code)s”第%(y)s年目标值") % {"code": code, "y": year},
            )
            if amount is not None:
                targets[str(year)] = snapshots.money(amount)
        spec = specs.get(code)
        cleaned.append(
            {
                "code": code,
                "name": spec.name if spec else str(row.get("name") or code),
                "unit": spec.unit if spec else str(row.get("unit") or ""),
                "targets": targets,
            }
        )
    return cleaned


def _clean_budget(errors: ErrorCollector, project: Project, rows: Any) -> list[dict]:
    if not isinstance(rows, list):
        errors.add(
            "proposed.budget",
            "change_request.budget_invalid",
            _("建设预算应为预算行列表（当前：%(cur)s）") % {"cur": type(rows).__name__},
        )
        return []
    sources, kinds = dict(FUNDING_SOURCES), dict(CONTRIBUTION_KINDS)
    cleaned, seen = [], set()
    for i, row in enumerate(rows, start=1):
        row = row if isinstance(row, dict) else {}
        field = f"proposed.budget.{i}"
        try:
            year = int(str(row.get("year", "")).strip())
        except ValueError:
            year = 0
        if not 1 <= year <= project.construction_years:
            errors.add(
                f"{field}.year",
                "change_request.budget_year",
                _("第%(i)d行的建设年度应为1至%(max)d（当前：%(cur)s）")
                % {"i": i, "max": project.construction_years, "cur": row.get("year", "")},
            )
        source, kind = str(row.get("source", "")), str(row.get("kind", ""))
        if source not in sources:
            errors.add(
                f"{field}.source",
                "change_request.budget_source",
                _("第%(i)d行的资金来源不在计划所列之中（当前：%(cur)s）") % {"i": i, "cur": source or "空"},
            )
        if kind not in kinds:
            errors.add(
                f"{field}.kind",
                "change_request.budget_kind",
                _("第%(i)d行的投入方式不在计划所列之中（当前：%(cur)s）") % {"i": i, "cur": kind or "空"},
            )
        amount = application_services.parse_amount(
            errors, f"{field}.amount", row.get("amount"), label=_("第%(i)d行的金额") % {"i": i}
        )
        key = (year, source, kind)
        if key in seen:
            errors.add(
                f"{field}",
                "change_request.budget_duplicate",
                _("第%(i)d行与前面的行年度、来源、方式都相同，请合并为一行") % {"i": i},
            )
            continue
        seen.add(key)
        if (
            amount is not None
            and 1 <= year <= project.construction_years
            and source in sources
            and kind in kinds
        ):
            cleaned.append({"year": year, "source": source, "kind": kind, "amount": snapshots.money(amount)})
    return sorted(cleaned, key=lambda x: (x["year"], x["source"], x["kind"]))


def _clean_partners(errors: ErrorCollector, rows: Any) -> list[dict]:
    if not isinstance(rows, list):
        errors.add(
            "proposed.partners",
            "change_request.partners_invalid",
            _("合作单位应为单位列表（当前：%(cur)s）") % {"cur": type(rows).__name__},
        )
        return []
    roles = dict(PARTNER_ROLES)
    ids = []
    for row in rows:
        try:
            ids.append(int((row or {}).get("organization_id")))
        except (TypeError, ValueError, AttributeError):
            continue
    orgs = Organization.objects.in_bulk(ids)
    cleaned, seen = [], set()
    for i, row in enumerate(rows, start=1):
        row = row if isinstance(row, dict) else {}
        try:
            org = orgs.get(int(row.get("organization_id")))
        except (TypeError, ValueError):
            org = None
        if org is None:
            errors.add(
                f"proposed.partners.{i}.organization_id",
                "change_request.partner_unknown",
                _("第%(i)d个合作单位不存在（当前：%(cur)s）")
                % {"i": i, "cur": row.get("organization_id", "空")},
            )
            continue
        if org.pk in seen:
            errors.add(
                f"proposed.partners.{i}.organization_id",
                "change_request.partner_duplicate",
                _("合作单位“%(name)s”重复出现") % {"name": org.name},
            )
            continue
        seen.add(org.pk)
        role = str(row.get("role", ""))
        if role not in roles:
            errors.add(
                f"proposed.partners.{i}.role",
                "change_request.partner_role",
                _("“%(name)s”的角色不在计划所列之中（当前：%(cur)s）")
                % {"name": org.name, "cur": role or "空"},
            )
            continue
        amount = row.get("amount")
        if amount not in (None, ""):
            parsed = application_services.parse_amount(
                errors,
                f"proposed.partners.{i}.amount",
                amount,
                label=_("“%(name)s”的承诺投入") % {"name": org.name},
            )
            amount = None if parsed is None else snapshots.money(parsed)
        else:
            amount = None
        cleaned.append(
            {"organization_id": org.pk, "name": org.name, "role": role, "amount": amount, "kind": org.kind}
        )
    return cleaned


def _clean_proposed(errors: ErrorCollector, project: Project, kind: str, proposed: Any) -> dict[str, Any]:
    allowed = KIND_SECTIONS[kind]
    if not isinstance(proposed, dict) or not proposed:
        errors.add(
            "proposed",
            "change_request.proposed_missing",
            _("请填写变更后的内容（%(sections)s；当前：空）") % {"sections": "、".join(allowed)},
        )
        return {}
    extra = sorted(set(proposed) - set(allowed))
    if extra:
        errors.add(
            "proposed",
            "change_request.section_not_of_kind",
            _("“%(kind)s”变更只能改动%(ok)s（当前还包含：%(extra)s）")
            % {"kind": ChangeRequest.Kind(kind).label, "ok": "、".join(allowed), "extra": "、".join(extra)},
        )
        return {}
    cleaned: dict[str, Any] = {}
    if "tasks" in proposed:
        cleaned["tasks"] = _clean_tasks(errors, project, proposed["tasks"])
    if "kpis" in proposed:
        cleaned["kpis"] = _clean_kpis(errors, project, proposed["kpis"])
    if "budget" in proposed:
        cleaned["budget"] = _clean_budget(errors, project, proposed["budget"])
    if "partners" in proposed:
        cleaned["partners"] = _clean_partners(errors, proposed["partners"])
    if "leader" in proposed:
        leader = str(proposed["leader"] or "").strip()
        if not leader:
            errors.add(
                "proposed.leader", "change_request.leader_missing", _("请填写新的项目负责人（当前：空）")
            )
        elif len(leader) > 64:
            errors.add(
                "proposed.leader",
                "change_request.leader_too_long",
                _("项目负责人最多64个字（当前：%(n)d个）") % {"n": len(leader)},
            )
        cleaned["leader"] = leader
    return cleaned


def _comparable(section: str, value: Any) -> Any:
    if section == "partners":
        return [{k: v for k, v in p.items() if k != "kind"} for p in value]
    if section == "budget":
        return sorted((int(x["year"]), x["source"], x["kind"], Decimal(str(x["amount"]))) for x in value)
    return value


def rule_errors(project: Project, content: Mapping[str, Any]) -> list[FieldError]:
    """The plan's rules about budget, partners and tasks, judged on a task book's content."""
    app = project.application
    facts = application_services._facts(app)
    totals = snapshots.Totals(
        (x["year"], x["source"], x["kind"], Decimal(str(x["amount"]))) for x in content.get("budget", [])
    )
    kinds = dict(
        Organization.objects.filter(
            pk__in=[p["organization_id"] for p in content.get("partners", [])]
        ).values_list("pk", "kind")
    )
    facts = dataclasses.replace(
        facts,
        task_codes=tuple(t["code"] for t in content.get("tasks", [])),
        budget_by_source=dict(totals.by_source),
        budget_by_kind=dict(totals.by_kind),
        partners=tuple(
            (p["organization_id"], p["role"], kinds.get(p["organization_id"], ""))
            for p in content.get("partners", [])
        ),
    )
    found = application_services._evaluate(app.call, app.project_type, facts)
    return [e for e in found if e.code.startswith(RULE_PREFIXES)]


def _open_request(project: Project) -> ChangeRequest | None:
    return ChangeRequest.objects.filter(project=project, status=ChangeRequest.Status.SUBMITTED).first()


def change_request_submit(
    *, actor: Actor, project: Project, kind: str, reason: str, proposed: Any
) -> ChangeRequest:
    """The school's administrator asks to change the confirmed task book.

    Refused, storing nothing: not the school's administrator (403); the project not under
    construction, no confirmed task book, or another request still open (409); an unknown kind, no
    reason, sections of another kind, nothing changed, or a plan rule broken (422)."""
    require_school_admin(actor, project, _("提出变更申请"))
    with transaction.atomic():
        locked = (
            Project.objects.select_for_update()
            .select_related("project_type", "application", "application__call", "organization")
            .get(pk=project.pk)
        )
        if locked.status not in OPEN_PROJECT:
            raise ConflictError.single(
                "project",
                "change_request.project_closed",
                _("项目状态为“%(cur)s”，只有建设中或整改中的项目可以申请变更")
                % {"cur": locked.get_status_display()},
            )
        base = current_task_book(locked)
        if base is None or base.status != TaskBook.Status.CONFIRMED:
            raise ConflictError.single(
                "task_book",
                "change_request.no_confirmed_task_book",
                _("建设任务书经学校和省级确认后方可申请变更（当前：%(cur)s）")
                % {"cur": base.get_status_display() if base else _("未生成")},
            )
        pending = _open_request(locked)
        if pending is not None:
            raise ConflictError.single(
                "project",
                "change_request.already_open",
                _("已有一项变更申请待审核（%(kind)s，%(when)s提交），审核或撤回后才能再提出")
                % {
                    "kind": pending.get_kind_display(),
                    "when": timezone.localtime(pending.created_at).strftime("%Y-%m-%d"),
                },
            )
        errors = ErrorCollector()
        if kind not in KIND_SECTIONS:
            errors.add(
                "kind",
                "change_request.kind_unknown",
                _("变更类型应为%(ok)s之一（当前：%(cur)s）")
                % {
                    "ok": "、".join(f"{k}（{v}）" for k, v in ChangeRequest.Kind.choices),
                    "cur": kind or "空",
                },
            )
            errors.raise_if_any()
        reason = str(reason or "").strip()
        if not reason:
            errors.add("reason", "change_request.reason_required", _("请写明变更理由（当前：空）"))
        cleaned = _clean_proposed(errors, locked, kind, proposed)
        errors.raise_if_any()
        if all(
            _comparable(s, v) == _comparable(s, base.content.get(s, [] if s != "leader" else ""))
            for s, v in cleaned.items()
        ):
            raise ValidationFailed.single(
                "proposed",
                "change_request.no_change",
                _("变更后的内容与第%(v)d版任务书相同，请写明要变更的内容") % {"v": base.version},
            )
        after = {**base.content, **cleaned}
        # what the change itself breaks: a rule the base already broke the same way is not its doing
        already = {(e.field, e.code, e.message) for e in rule_errors(locked, base.content)}
        broken = [e for e in rule_errors(locked, after) if (e.field, e.code, e.message) not in already]
        if broken:
            raise ValidationFailed(broken)
        if "partners" in cleaned:
            cleaned["partners"] = [{k: v for k, v in p.items() if k != "kind"} for p in cleaned["partners"]]
        request = ChangeRequest.objects.create(
            project=locked,
            kind=kind,
            reason=reason,
            proposed=cleaned,
            base_version=base.version,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="change_request.create",
            obj=request,
            changes=diff({}, snapshot(request, CHANGE_FIELDS)),
        )
        notify(
            province_people(locked),
            subject=_("“%(title)s”提出%(kind)s变更申请")
            % {"title": locked.title, "kind": request.get_kind_display()},
            body=reason,
            url=reverse("projects:change_detail", args=[locked.pk, request.pk]),
            kind="change_request.submitted",
        )
    return request


def _locked_request(change_request: ChangeRequest) -> ChangeRequest:
    return (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("project", "project__organization", "project__project_type")
        .get(pk=change_request.pk)
    )


def _require_open(request: ChangeRequest) -> None:
    if request.status != ChangeRequest.Status.SUBMITTED:
        raise ConflictError.single(
            "status",
            "change_request.not_open",
            _("该变更申请的状态是“%(cur)s”，只有“%(ok)s”的申请可以审核或撤回")
            % {"cur": request.get_status_display(), "ok": ChangeRequest.Status.SUBMITTED.label},
        )


def change_request_decide(
    *, actor: Actor, change_request: ChangeRequest, approve: bool, reason: str = ""
) -> ChangeRequest:
    """Province staff approve (the next version, confirmed; the previous superseded; the project's
    planned totals follow a budget change) or reject, with a reason (422 without one)."""
    require_province_staff(actor, change_request.project, _("审核变更申请"))
    reason = str(reason or "").strip()
    with transaction.atomic():
        request = _locked_request(change_request)
        before = snapshot(request, CHANGE_FIELDS)
        _require_open(request)
        if not approve and not reason:
            raise ValidationFailed.single(
                "reason", "change_request.rejection_reason_required", _("不予批准须写明理由（当前：空）")
            )
        project = Project.objects.select_for_update().get(pk=request.project_id)
        request.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.decision_reason = reason
        book = None
        if approve:
            base = TaskBook.objects.select_for_update().get(project=project, version=request.base_version)
            current = current_task_book(project)
            if current is None or current.pk != base.pk or base.status != TaskBook.Status.CONFIRMED:
                raise ConflictError.single(
                    "base_version",
                    "change_request.base_stale",
                    _("该申请依据第%(base)d版任务书，但现行的是第%(cur)d版，请撤回后依据现行版本重新申请")
                    % {"base": request.base_version, "cur": current.version if current else 0},
                )
            latest = (
                TaskBook.objects.filter(project=project)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            now = timezone.now()
            request.save()
            book = TaskBook.objects.create(
                project=project,
                version=latest + 1,
                status=TaskBook.Status.CONFIRMED,
                content={**base.content, **request.proposed},
                change_request=request,
                agreement=base.agreement,
                province_confirmed_by=actor.user,
                province_confirmed_at=now,
            )
            TaskBook.objects.filter(project=project).exclude(pk=book.pk).exclude(
                status=TaskBook.Status.SUPERSEDED
            ).update(status=TaskBook.Status.SUPERSEDED)
            audit_record(
                actor=actor,
                action="task_book.create",
                obj=book,
                changes=diff({}, snapshot(book, TASK_BOOK_FIELDS)),
            )
            if "budget" in request.proposed:
                project_before = snapshot(project, ("planned_total", "planned_enterprise"))
                project.planned_total, project.planned_enterprise = budget_totals(book.content)
                project.save(update_fields=["planned_total", "planned_enterprise", "updated_at"])
                audit_record(
                    actor=actor,
                    action="project.update",
                    obj=project,
                    changes=diff(project_before, snapshot(project, ("planned_total", "planned_enterprise"))),
                )
        else:
            request.save()
        audit_record(
            actor=actor,
            action="change_request.decide",
            obj=request,
            changes=diff(before, snapshot(request, CHANGE_FIELDS)),
        )
        if approve:
            subject = _("“%(title)s”的%(kind)s变更已批准，任务书更新为第%(v)d版") % {
                "title": project.title,
                "kind": request.get_kind_display(),
                "v": book.version,
            }
        else:
            subject = _("“%(title)s”的%(kind)s变更未获批准") % {
                "title": project.title,
                "kind": request.get_kind_display(),
            }
        notify(
            school_people(project),
            subject=subject,
            body=reason,
            url=reverse("projects:change_detail", args=[project.pk, request.pk]),
            kind="change_request.decided",
        )
    change_request.__dict__.update({"status": request.status, "decision_reason": request.decision_reason})
    return request


def change_request_withdraw(*, actor: Actor, change_request: ChangeRequest) -> ChangeRequest:
    """The school's administrator withdraws an open request (409 once decided)."""
    require_school_admin(actor, change_request.project, _("撤回变更申请"))
    with transaction.atomic():
        request = _locked_request(change_request)
        before = snapshot(request, CHANGE_FIELDS)
        _require_open(request)
        request.status = ChangeRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="change_request.withdraw",
            obj=request,
            changes=diff(before, snapshot(request, CHANGE_FIELDS)),
        )
    change_request.__dict__.update({"status": request.status})
    return request
