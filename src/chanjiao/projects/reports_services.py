"""Periodic reports (定期上报): the school writes a report for each period, the province reviews it.

The plans: 定期报送资金投入、设备更新、平台使用等情况 (江苏 三(三)2). A report is started only for a
period that has begun and once per period; it is saved as a draft as often as the school likes
(optimistic `row_version`), submitted by the school's staff, then returned with reasons (the school
edits and submits again) or accepted by the province's staff. After a submission and an acceptance
the plan checks run for the project (checks.run_checks).

Every write is one transaction: permission first, all input checked before anything is stored, an
audit entry, and notices to the people concerned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.applications.models import KIND_CODES, SOURCE_CODES
from chanjiao.core.audit import audit_record
from chanjiao.core.errors import ConflictError, ErrorCollector, Forbidden, ValidationFailed
from chanjiao.core.models import Attachment
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor, Role
from chanjiao.core.services import attachment_store

from . import checks, reports_selectors
from .models import (
    EQUIPMENT_SOURCES,
    SOCIAL_GROUPS,
    TECH_SERVICE_KINDS,
    USAGE_PURPOSES,
    EquipmentChange,
    Funding,
    ProgressReport,
    Project,
    Usage,
)
from .services import _people

WRITE_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
REVIEW_ROLES = (Role.PROVINCE_ADMIN,)
EDITABLE = (ProgressReport.Status.DRAFT, ProgressReport.Status.RETURNED)
CENT = Decimal("0.01")
WAN = Decimal("10000")


def today() -> dt.date:
    return timezone.localdate()


def wan(amount: Decimal) -> str:
    return checks.wan(amount)


# --- who may -------------------------------------------------------------------------------------


def require_writer(actor: Actor, project: Project) -> None:
    """The building school's own staff (ORG_ADMIN / ORG_STAFF acting for it), else 403."""
    org = actor.organization
    if not (actor.has_role(*WRITE_ROLES) and org is not None and org.pk == project.organization_id):
        raise Forbidden(
            _("只有建设单位（%(school)s）的管理员或工作人员可以填报定期报告")
            % {"school": project.organization.name}
        )


def require_reviewer(actor: Actor, project: Project) -> None:
    if not (
        actor.is_province_staff
        and actor.province_prefix
        and project.province_code.startswith(actor.province_prefix)
    ):
        raise Forbidden(_("只有项目所在省的省级管理员可以审核定期报告"))


# --- input ---------------------------------------------------------------------------------------


def _amount(
    errors: ErrorCollector, field: str, label: str, raw: Any, *, places: Decimal = CENT
) -> Decimal | None:
    if raw in (None, ""):
        return Decimal("0")
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.add(
            field,
            "report.not_a_number",
            _("%(label)s应为数字（当前：%(raw)s）") % {"label": label, "raw": raw},
        )
        return None
    if not value.is_finite():
        errors.add(
            field,
            "report.not_a_number",
            _("%(label)s应为数字（当前：%(raw)s）") % {"label": label, "raw": raw},
        )
        return None
    if value < 0:
        errors.add(
            field,
            "report.negative",
            _("%(label)s不能为负数（当前：%(raw)s；要求：大于或等于0）") % {"label": label, "raw": raw},
        )
        return None
    return value.quantize(places)


def _choice(errors: ErrorCollector, field: str, label: str, raw: Any, choices) -> str | None:
    codes = [c for c, _n in choices]
    if raw in codes:
        return raw
    errors.add(
        field,
        "report.unknown_choice",
        _("%(label)s不在可选范围内（当前：%(raw)s；可选：%(codes)s）")
        % {"label": label, "raw": raw or _("空"), "codes": "、".join(codes)},
    )
    return None


def clean_report(project: Project, data: dict, *, report_id: int | None) -> tuple[dict, ErrorCollector]:
    """Checks every part of a report's input; (the cleaned values, the problems found)."""
    errors = ErrorCollector()
    funding: dict[tuple[str, str], dict] = {}
    total_r, total_s = Decimal("0"), Decimal("0")
    for i, line in enumerate(data.get("funding") or [], start=1):
        f = f"funding.{i}."
        source = _choice(
            errors,
            f + "source",
            _("第%(i)s行资金来源") % {"i": i},
            line.get("source"),
            [(c, c) for c in SOURCE_CODES],
        )
        kind = _choice(
            errors,
            f + "kind",
            _("第%(i)s行投入方式") % {"i": i},
            line.get("kind"),
            [(c, c) for c in KIND_CODES],
        )
        received = _amount(errors, f + "received", _("第%(i)s行到位资金") % {"i": i}, line.get("received"))
        spent = _amount(errors, f + "spent", _("第%(i)s行支出") % {"i": i}, line.get("spent"))
        if None in (source, kind, received, spent):
            continue
        if (source, kind) in funding:
            errors.add(
                f + "source",
                "report.funding_duplicate",
                _("第%(i)s行资金来源与投入方式重复（%(s)s / %(k)s已填写）")
                % {"i": i, "s": source, "k": kind},
            )
            continue
        if spent > received:
            errors.add(
                f + "spent",
                "report.spent_over_received",
                _("第%(i)s行支出（%(spent)s）超过到位资金（%(received)s）")
                % {"i": i, "spent": wan(spent), "received": wan(received)},
            )
        total_r += received
        total_s += spent
        if received or spent:
            funding[(source, kind)] = {"source": source, "kind": kind, "received": received, "spent": spent}
    if total_s > total_r:
        errors.add(
            "funding",
            "report.spent_over_received",
            _("支出（%(spent)s）超过到位资金（%(received)s）")
            % {"spent": wan(total_s), "received": wan(total_r)},
        )

    equipment = []
    register = reports_selectors.register_of(project, exclude_report=report_id)
    seen: set[tuple[str, str]] = set()
    for i, line in enumerate(data.get("equipment") or [], start=1):
        f = f"equipment.{i}."
        action = line.get("action") or "add"
        action = _choice(
            errors, f + "action", _("第%(i)s项设备变动") % {"i": i}, action, EquipmentChange.Action.choices
        )
        number = str(line.get("asset_number") or "").strip()
        name = str(line.get("name") or "").strip()
        value = _amount(errors, f + "value", _("第%(i)s项设备价值") % {"i": i}, line.get("value"))
        source = _choice(
            errors,
            f + "source",
            _("第%(i)s项设备来源") % {"i": i},
            line.get("source") or "purchase",
            EQUIPMENT_SOURCES,
        )
        stations = _amount(
            errors,
            f + "workstations",
            _("第%(i)s项新增工位数") % {"i": i},
            line.get("workstations"),
            places=Decimal("1"),
        )
        changed_on = line.get("changed_on")
        if isinstance(changed_on, str):
            try:
                changed_on = dt.date.fromisoformat(changed_on.strip())
            except ValueError:
                changed_on = None
        if not isinstance(changed_on, dt.date):
            errors.add(
                f + "changed_on",
                "report.date_required",
                _("第%(i)s项设备请填写日期（格式：2026-01-31；当前：%(raw)s）")
                % {"i": i, "raw": line.get("changed_on") or _("空")},
            )
        if not number:
            errors.add(
                f + "asset_number",
                "report.asset_number_required",
                _("第%(i)s项设备请填写资产编号（当前：空）") % {"i": i},
            )
        if not name:
            errors.add(
                f + "name",
                "report.asset_name_required",
                _("第%(i)s项设备请填写设备名称（当前：空）") % {"i": i},
            )
        if not number or action is None:
            continue
        if (number, action) in seen:
            errors.add(
                f + "asset_number",
                "report.asset_duplicate",
                _("资产编号%(n)s在本报告中重复（第%(i)s项）") % {"n": number, "i": i},
            )
            continue
        seen.add((number, action))
        if action == "add" and number in register:
            errors.add(
                f + "asset_number",
                "report.asset_registered",
                _("资产编号%(n)s已在本项目设备台账中，不能重复新增（第%(i)s项）") % {"n": number, "i": i},
            )
        if action == "remove" and number not in register:
            errors.add(
                f + "asset_number",
                "report.asset_not_registered",
                _("资产编号%(n)s不在本项目设备台账中，不能报废或归还（第%(i)s项）") % {"n": number, "i": i},
            )
        if None in (value, source, stations) or not isinstance(changed_on, dt.date) or not name:
            continue
        equipment.append(
            {
                "action": action,
                "asset_number": number[:64],
                "name": name[:128],
                "model": str(line.get("model") or "").strip()[:128],
                "value": value,
                "source": source,
                "changed_on": changed_on,
                "workstations": int(stations),
            }
        )

    usage: dict[tuple[str, str], dict] = {}
    for i, line in enumerate(data.get("usage") or [], start=1):
        f = f"usage.{i}."
        purpose = _choice(
            errors, f + "purpose", _("第%(i)s行用途") % {"i": i}, line.get("purpose"), USAGE_PURPOSES
        )
        group = line.get("group") or ""
        if purpose == "social":
            group = _choice(
                errors, f + "group", _("第%(i)s行社会培训对象") % {"i": i}, group or "other", SOCIAL_GROUPS
            )
        elif group:
            errors.add(
                f + "group",
                "report.group_only_social",
                _("第%(i)s行只有社会培训可填写培训对象（当前用途：%(p)s）") % {"i": i, "p": purpose},
            )
            continue
        hours = _amount(
            errors, f + "hours", _("第%(i)s行工位时数") % {"i": i}, line.get("hours"), places=Decimal("0.1")
        )
        people = _amount(
            errors, f + "people", _("第%(i)s行人次") % {"i": i}, line.get("people"), places=Decimal("1")
        )
        if None in (purpose, group, hours, people):
            continue
        if (purpose, group) in usage:
            errors.add(
                f + "purpose",
                "report.usage_duplicate",
                _("第%(i)s行用途重复（%(p)s %(g)s已填写）") % {"i": i, "p": purpose, "g": group},
            )
            continue
        if hours or people:
            usage[(purpose, group)] = {
                "purpose": purpose,
                "group": group,
                "hours": hours,
                "people": int(people),
            }

    kpi_codes = [k["code"] for k in project.project_type.spec.get("kpis", []) or []]
    kpis = {}
    for code, raw in (data.get("kpi_values") or {}).items():
        if code not in kpi_codes:
            errors.add(
                f"kpi_values.{code}",
                "report.kpi_unknown",
                _("绩效指标%(code)s不在本项目类型的指标中（可选：%(codes)s）")
                % {"code": code, "codes": "、".join(kpi_codes)},
            )
            continue
        value = _amount(errors, f"kpi_values.{code}", _("绩效指标%(code)s") % {"code": code}, raw)
        if value is not None and raw not in (None, ""):
            kpis[code] = str(value.normalize()) if value == value.to_integral() else str(value)
    income = {}
    for code, raw in (data.get("tech_service_income") or {}).items():
        if code not in dict(TECH_SERVICE_KINDS):
            errors.add(
                f"tech_service_income.{code}",
                "report.unknown_choice",
                _("四技服务类型不在可选范围内（当前：%(raw)s；可选：%(codes)s）")
                % {"raw": code, "codes": "、".join(dict(TECH_SERVICE_KINDS))},
            )
            continue
        value = _amount(
            errors, f"tech_service_income.{code}", _("四技服务收入（%(code)s）") % {"code": code}, raw
        )
        if value is not None and raw not in (None, ""):
            income[code] = str(value)
    return {
        "funding": list(funding.values()),
        "equipment": equipment,
        "usage": list(usage.values()),
        "kpi_values": kpis,
        "tech_service_income": income,
        "narrative": str(data.get("narrative") or "").strip(),
    }, errors


# --- writes --------------------------------------------------------------------------------------


def _summary(report: ProgressReport) -> dict:
    return {"period": report.period, "status": report.status, "row_version": report.row_version}


def report_save(
    *,
    actor: Actor,
    project: Project,
    period: int,
    data: dict,
    row_version: int | None = None,
    evidence: list[Attachment] | None = None,
    files: list | None = None,
) -> ProgressReport:
    """Starts (row_version None) or saves (row_version the one read) the draft of one period.

    Refused: a period that has not begun (422), a second report of one period (409), a stale
    version (409), a report submitted or accepted (409), and every bad line (422) — nothing stored.
    """
    require_writer(actor, project)
    the_period = reports_selectors.period_of(project, period)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        report = (
            ProgressReport.objects.select_for_update()
            .filter(project=project, period=the_period.number)
            .first()
        )
        if report is None:
            if the_period.start > today():
                raise ValidationFailed.single(
                    "period",
                    "report.period_not_begun",
                    _("第%(n)s期报告期尚未开始，不能填报（开始日期：%(start)s；今天：%(today)s）")
                    % {
                        "n": the_period.number,
                        "start": the_period.start.isoformat(),
                        "today": today().isoformat(),
                    },
                )
            if row_version is not None:
                raise ConflictError.single(
                    "row_version",
                    "report.stale",
                    _("第%(n)s期报告不存在，无法按修改版本保存（当前：%(v)s）")
                    % {"n": the_period.number, "v": row_version},
                )
        else:
            if row_version is None:
                raise ConflictError.single(
                    "period",
                    "report.period_taken",
                    _(
                        "第%(n)s期已有定期报告（状态：%(s)s），每期只能填报一份，请在原报告上修改（修改版本：%(v)s）"
                    )
                    % {"n": the_period.number, "s": report.get_status_display(), "v": report.row_version},
                )
            if report.status not in EDITABLE:
                raise ConflictError.single(
                    "status",
                    "report.not_editable",
                    _("第%(n)s期报告%(s)s，不能修改（可修改：草稿、退回修改）")
                    % {"n": report.period, "s": report.get_status_display()},
                )
            if int(row_version) != report.row_version:
                raise ConflictError.single(
                    "row_version",
                    "report.stale",
                    _("报告已被他人修改（当前版本：%(cur)s；您提交的版本：%(v)s），请刷新后再保存")
                    % {"cur": report.row_version, "v": row_version},
                )
        cleaned, errors = clean_report(project, data, report_id=report.pk if report else None)
        errors.raise_if_any()
        created = report is None
        if created:
            report = ProgressReport(
                project=project,
                period=the_period.number,
                period_start=the_period.start,
                period_end=the_period.end,
                due_on=the_period.due_on,
            )
        else:
            report.row_version += 1
        report.narrative = cleaned["narrative"]
        report.kpi_values = cleaned["kpi_values"]
        report.tech_service_income = cleaned["tech_service_income"]
        report.save()
        report.funding.all().delete()
        report.equipment_changes.all().delete()
        report.usage.all().delete()
        Funding.objects.bulk_create([Funding(report=report, **x) for x in cleaned["funding"]])
        EquipmentChange.objects.bulk_create(
            [EquipmentChange(report=report, **x) for x in cleaned["equipment"]]
        )
        Usage.objects.bulk_create([Usage(report=report, **x) for x in cleaned["usage"]])
        stored = [
            attachment_store(actor=actor, file=f, owner_organization=project.organization)
            for f in files or []
        ]
        if evidence or stored:
            report.evidence.add(*(evidence or []), *stored)
        audit_record(
            actor=actor,
            action="progress_report.create" if created else "progress_report.update",
            obj=report,
            changes={
                "period": [None, report.period],
                "funding": [None, [{k: str(v) for k, v in x.items()} for x in cleaned["funding"]]],
                "equipment": [None, [x["asset_number"] for x in cleaned["equipment"]]],
                "row_version": [None, report.row_version],
            },
        )
    return report


def _locked(report: ProgressReport) -> ProgressReport:
    return (
        ProgressReport.objects.select_for_update()
        .select_related("project", "project__organization", "project__project_type")
        .get(pk=report.pk)
    )


def report_submit(*, actor: Actor, report: ProgressReport) -> ProgressReport:
    """The school submits a draft (or a returned report); the plan checks then run for the project."""
    require_writer(actor, report.project)
    with transaction.atomic():
        r = _locked(report)
        if r.status not in EDITABLE:
            raise ConflictError.single(
                "status",
                "report.not_submittable",
                _("第%(n)s期报告%(s)s，不能再次提交（可提交：草稿、退回修改）")
                % {"n": r.period, "s": r.get_status_display()},
            )
        before = r.status
        r.status = ProgressReport.Status.SUBMITTED
        r.submitted_by, r.submitted_at = actor.user, timezone.now()
        r.row_version += 1
        r.save()
        audit_record(
            actor=actor, action="progress_report.submit", obj=r, changes={"status": [before, r.status]}
        )
        province = r.project.province_code[:2]
        staff = _province_staff(province)
        notify(
            staff,
            subject=_("“%(title)s”第%(n)s期定期报告待审核") % {"title": r.project.title, "n": r.period},
            body=_("%(school)s已提交第%(n)s期定期报告（%(start)s至%(end)s）。")
            % {
                "school": r.project.organization.name,
                "n": r.period,
                "start": r.period_start,
                "end": r.period_end,
            },
            url=reverse("projects:report_form", args=[r.project_id, r.period]),
            kind="report.submitted",
        )
        checks.run_checks(Project.objects.filter(pk=r.project_id), today=today())
    return r


def _province_staff(province: str):
    from chanjiao.orgs.models import User

    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role=Role.PROVINCE_ADMIN,
            memberships__organization__region__code__startswith=province,
            memberships__organization__kind="department",
        )
        .distinct()
        .order_by("pk")
    )


def report_return(*, actor: Actor, report: ProgressReport, reasons) -> ProgressReport:
    """Province staff return a submitted report with their reasons; the school edits and submits again."""
    require_reviewer(actor, report.project)
    from .services import clean_reasons

    cleaned = clean_reasons(reasons)
    with transaction.atomic():
        r = _locked(report)
        if r.status != ProgressReport.Status.SUBMITTED:
            raise ConflictError.single(
                "status",
                "report.not_submitted",
                _("第%(n)s期报告%(s)s，只能退回已提交的报告") % {"n": r.period, "s": r.get_status_display()},
            )
        if not cleaned:
            raise ValidationFailed.single(
                "reasons", "report.reasons_required", _("请写明退回理由（当前：空）")
            )
        r.status = ProgressReport.Status.RETURNED
        r.return_reasons = cleaned
        r.reviewed_by, r.reviewed_at = actor.user, timezone.now()
        r.row_version += 1
        r.save()
        audit_record(
            actor=actor,
            action="progress_report.return",
            obj=r,
            changes={"status": ["submitted", r.status], "reasons": [None, cleaned]},
        )
        lines = "\n".join(f"{i}. {x}" for i, x in enumerate(cleaned, start=1))
        notify(
            _people([r.project.organization_id], WRITE_ROLES),
            subject=_("“%(title)s”第%(n)s期定期报告被退回") % {"title": r.project.title, "n": r.period},
            body=_("退回理由：\n%(reasons)s") % {"reasons": lines},
            url=reverse("projects:report_form", args=[r.project_id, r.period]),
            kind="report.returned",
        )
    return r


def report_accept(*, actor: Actor, report: ProgressReport) -> ProgressReport:
    """Province staff accept a submitted report; the plan checks then run for the project."""
    require_reviewer(actor, report.project)
    with transaction.atomic():
        r = _locked(report)
        if r.status != ProgressReport.Status.SUBMITTED:
            raise ConflictError.single(
                "status",
                "report.not_submitted",
                _("第%(n)s期报告%(s)s，只能通过已提交的报告") % {"n": r.period, "s": r.get_status_display()},
            )
        r.status = ProgressReport.Status.ACCEPTED
        r.reviewed_by, r.reviewed_at = actor.user, timezone.now()
        r.row_version += 1
        r.save()
        audit_record(
            actor=actor, action="progress_report.accept", obj=r, changes={"status": ["submitted", r.status]}
        )
        notify(
            _people([r.project.organization_id], WRITE_ROLES),
            subject=_("“%(title)s”第%(n)s期定期报告已通过") % {"title": r.project.title, "n": r.period},
            url=reverse("projects:report_form", args=[r.project_id, r.period]),
            kind="report.accepted",
        )
        checks.run_checks(Project.objects.filter(pk=r.project_id), today=today())
    return r


# --- reminders -----------------------------------------------------------------------------------

REMIND_DAYS = 14


def report_reminders(*, day: dt.date | None = None) -> int:
    """Tells each school whose report is due within 14 days or overdue (and not submitted); once a
    day per report period (a second run the same day sends nothing). Returns the notices sent."""
    from chanjiao.core.models import Notification

    day = day or today()
    projects = list(
        Project.objects.filter(status=Project.Status.UNDER_CONSTRUCTION).select_related(
            "project_type", "organization"
        )
    )
    reports = {
        (r.project_id, r.period): r.status
        for r in ProgressReport.objects.filter(project__in=[p.pk for p in projects])
    }
    stamp = _("提醒日期：%(day)s") % {"day": day.isoformat()}
    sent_today = set(
        Notification.objects.filter(kind="report.reminder", body__endswith=stamp).values_list(
            "url", flat=True
        )
    )
    count = 0
    with transaction.atomic():
        for project in projects:
            for period in reports_selectors.report_periods(project):
                status = reports.get((project.pk, period.number))
                if status in (ProgressReport.Status.SUBMITTED, ProgressReport.Status.ACCEPTED):
                    continue
                if period.start > day or period.due_on > day + dt.timedelta(days=REMIND_DAYS):
                    continue
                url = reverse("projects:report_form", args=[project.pk, period.number])
                if url in sent_today:
                    continue
                late = period.due_on < day
                words = {
                    "title": project.title,
                    "n": period.number,
                    "due": period.due_on.isoformat(),
                    "days": abs((period.due_on - day).days),
                }
                subject = (
                    _("“%(title)s”第%(n)s期定期报告已逾期%(days)s天（截止日期：%(due)s）")
                    if late
                    else _("“%(title)s”第%(n)s期定期报告将于%(due)s截止（还有%(days)s天）")
                ) % words
                count += len(
                    notify(
                        _people([project.organization_id], WRITE_ROLES),
                        subject=subject,
                        body=stamp,
                        url=url,
                        kind="report.reminder",
                    )
                )
    return count
