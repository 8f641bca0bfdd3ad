"""Acceptance (验收) and performance assessment (绩效评价) of awarded projects, in batches.

The plans: 自2022年开始分批组织验收 (江苏 三(二)); 省教育厅、财政厅制定项目绩效考核方案……对建设成效显著、
运行机制完善、绩效特别突出的给予一定奖励；对建设措施不力、成效较差的减小支持力度或不再作为重点支持项目；
对立项条件基础丧失的及时调整或中止 (江苏 三(三)3). The figures come from the pack (ProjectType.spec
acceptance / performance, the indicator systems of purpose acceptance and performance).

A batch (`Assessment`) runs:
1. province staff open it over some projects of one call and type (`assessment_create`): the
   figures each project's reports add up to are computed (assessment_inputs), a review round of
   kind acceptance or performance is opened over the projects' applications
   (review.services.later_round_open) and each school is told to write its self-assessment;
2. each school writes and submits its self-assessment (`self_assessment_save` / `_submit`);
3. staff start the review (`assessment_start_review`): the figures are computed again; the
   experts are kept clear of conflicts, assigned, score and meet as a panel through the review's
   own services and pages, on the batch's round;
4. once the panel has opened, staff conclude (`assessment_conclude`): each project's score and
   veto are read from the review's ranking; acceptance grades 优秀 / 合格 / 不合格 by the batch's
   lines (platform defaults 90 / 60: the plans give none);
5. staff decide each entry (`entry_decide`) with a reason: acceptance pass / rectify / fail,
   performance an outcome; a rectification (整改) is resubmitted by the school before its deadline
   (`rectification_submit`) and re-checked (`rectification_recheck`). The batch closes when every
   entry is final.

Every write is one transaction: permission first, every input checked before anything is stored,
an audit entry, and notices to the people concerned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, Forbidden, ValidationFailed
from chanjiao.core.models import Attachment
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor
from chanjiao.policy.models import Call, ProjectType
from chanjiao.review import services as review_services
from chanjiao.review.models import ReviewRound
from chanjiao.review.panel_selectors import PANEL_STATUSES, round_ranking

from . import assessment_inputs, assessment_selectors
from .assessment_selectors import (
    DEFAULT_EXCELLENT,
    DEFAULT_PASS,
    FINAL_RESULTS,
    SCHOOL_ROLES,
)
from .models import Assessment, AssessmentEntry, Project, Rectification
from .reports_services import _province_staff
from .services import _people

Kind = Assessment.Kind
Result = AssessmentEntry.Result
Grade = AssessmentEntry.Grade
Outcome = AssessmentEntry.Outcome
SCORE_MAX = Decimal("100")
TEXT_MAX = 20000
ASSESSMENT_FIELDS = (
    "kind",
    "name",
    "call_id",
    "project_type_id",
    "batch",
    "year",
    "is_final",
    "round_id",
    "self_assessment_due",
    "excellent_min",
    "pass_min",
    "status",
)
ENTRY_FIELDS = ("score", "vetoed", "grade", "outcome", "reason", "result")
# Round settings a batch may pass on to its review round (as the review's own round form takes them).
ROUND_SETTINGS = (
    "reviews_per_application",
    "load_cap",
    "review_deadline",
    "same_city_conflict",
    "reserves",
    "ranking_method",
    "disagreement_threshold",
)


def today() -> dt.date:
    """The platform's today (Asia/Shanghai) by the server's clock; tests set it."""
    return timezone.localdate()


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else _("空")


def _url(name: str, *args) -> str:
    """The page of an object, once the pages exist (built alongside)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- who may -----------------------------------------------------------------------------------


def require_manager(actor: Actor, assessment: Assessment) -> None:
    if not assessment_selectors.may_manage(actor, assessment):
        raise Forbidden(_("只有批次所在省的省级管理员可以执行此操作"))


def require_school(actor: Actor, entry: AssessmentEntry) -> None:
    if not assessment_selectors.may_self_assess(actor, entry):
        raise Forbidden(
            _("只有建设单位（%(school)s）的管理员或工作人员可以填写")
            % {"school": entry.project.organization.name}
        )


# --- reading input -----------------------------------------------------------------------------


def _int(errors: ErrorCollector, field: str, label: str, raw: Any) -> int | None:
    if isinstance(raw, bool):
        raw = str(raw)
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        errors.add(
            field, "input.int_parsing", _("%(label)s应为整数（当前：%(cur)s）") % {"label": label, "cur": raw}
        )
        return None


def _date(errors: ErrorCollector, field: str, label: str, raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return timezone.localtime(raw).date() if timezone.is_aware(raw) else raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.add(
            field,
            "input.date_parsing",
            _("%(label)s应为日期（格式：2026-01-31；当前：%(cur)s）")
            % {"label": label, "cur": text or _("空")},
        )
        return None


def _decimal(
    errors: ErrorCollector, field: str, label: str, raw: Any, *, places: str = "0.01"
) -> Decimal | None:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or isinstance(raw, bool) or not value.is_finite():
        errors.add(
            field,
            "input.decimal_parsing",
            _("%(label)s应为数字（当前：%(cur)s）") % {"label": label, "cur": raw},
        )
        return None
    if value != value.quantize(Decimal(places)):
        errors.add(
            field,
            "assessment.too_precise",
            _("%(label)s最多保留两位小数（当前：%(cur)s）") % {"label": label, "cur": raw},
        )
        return None
    return value


def _text(errors: ErrorCollector, field: str, label: str, raw: Any) -> str:
    """The text trimmed, within its length (each caller says itself when it must not be empty)."""
    text = str(raw or "").strip()
    if len(text) > TEXT_MAX:
        errors.add(
            field,
            "assessment.text_too_long",
            _("%(label)s最多%(max)d字（当前：%(n)d字）") % {"label": label, "max": TEXT_MAX, "n": len(text)},
        )
    return text


def _attachments(errors: ErrorCollector, field: str, ids: Any, project: Project) -> list[Attachment]:
    """The project's school's own uploaded files, by id (422 naming those it cannot find)."""
    try:
        wanted = sorted({int(i) for i in ids or []})
    except (TypeError, ValueError):
        errors.add(
            field, "assessment.attachment_unknown", _("附件编号应为整数（当前：%(cur)s）") % {"cur": ids}
        )
        return []
    found = list(Attachment.objects.filter(pk__in=wanted, owner_organization_id=project.organization_id))
    missing = sorted(set(wanted) - {a.pk for a in found})
    if missing:
        errors.add(
            field,
            "assessment.attachment_unknown",
            _("佐证材料须为建设单位（%(school)s）已上传的附件（找不到：%(ids)s）")
            % {"school": project.organization.name, "ids": "、".join(map(str, missing))},
        )
    return found


def _project_words(project: Project) -> str:
    return _("“%(title)s”（%(code)s，%(school)s）") % {
        "title": project.title,
        "code": project.code,
        "school": project.organization.name,
    }


# --- opening a batch ---------------------------------------------------------------------------


def _default_name(
    call: Call, project_type: ProjectType, kind: str, batch: int, year: int, final: bool
) -> str:
    head = f"{call.title} · {project_type.name} · "
    if kind == Kind.ACCEPTANCE:
        return head + _("第%(n)d批验收") % {"n": batch}
    tail = _("期末绩效评价") if final else _("%(year)d年度绩效评价") % {"year": year}
    if batch > 1:
        tail += _("（第%(n)d批）") % {"n": batch}
    return head + tail


def _next_batch(call: Call, project_type: ProjectType, kind: str, year: int, final: bool) -> int:
    top = Assessment.objects.filter(
        kind=kind, call=call, project_type=project_type, year=year, is_final=final
    ).aggregate(m=Max("batch"))["m"]
    return (top or 0) + 1


def _find_call(actor: Actor, raw: Any) -> Call | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return (
        Call.objects.select_related("pack")
        .filter(pk=pk, pack__region__code__startswith=actor.province_prefix)
        .first()
    )


def _check_projects(
    errors: ErrorCollector,
    *,
    kind: str,
    call: Call,
    project_type: ProjectType,
    province: str,
    year: int | None,
    raw_ids: Any,
) -> list[Project]:
    try:
        ids = list(dict.fromkeys(int(i) for i in raw_ids or []))
    except (TypeError, ValueError):
        errors.add(
            "project_ids",
            "assessment.project_ids_invalid",
            _("项目编号应为整数列表（当前：%(cur)s）") % {"cur": raw_ids},
        )
        return []
    if not ids:
        errors.add(
            "project_ids",
            "assessment.no_projects",
            _("请至少选择一个项目（当前：0个）"),
        )
        return []
    projects = {
        p.pk: p
        for p in Project.objects.filter(pk__in=ids).select_related("organization", "call", "project_type")
    }
    busy = assessment_selectors.busy_project_ids(kind, ids)
    kept = []
    for pk in ids:
        project = projects.get(pk)
        field = f"project_ids.{pk}"
        if project is None or not project.province_code.startswith(province):
            errors.add(
                field,
                "assessment.project_unknown",
                _("项目不存在或不属于本省（当前：%(cur)s）") % {"cur": pk},
            )
            continue
        if project.call_id != call.pk or project.project_type_id != project_type.pk:
            errors.add(
                field,
                "assessment.project_not_in_call",
                _("项目%(project)s属于“%(call)s · %(type)s”，不属于本批次的“%(want_call)s · %(want_type)s”")
                % {
                    "project": _project_words(project),
                    "call": project.call.title,
                    "type": project.project_type.name,
                    "want_call": call.title,
                    "want_type": project_type.name,
                },
            )
            continue
        if pk in busy:
            errors.add(
                field,
                "assessment.project_in_open_batch",
                _("项目%(project)s已在一个未结束的%(kind)s批次中，须该批次结束后才能再列入")
                % {"project": _project_words(project), "kind": Kind(kind).label},
            )
            continue
        if kind == Kind.ACCEPTANCE:
            if project.status != Project.Status.UNDER_CONSTRUCTION:
                errors.add(
                    field,
                    "assessment.project_not_under_construction",
                    _("项目%(project)s当前状态为“%(cur)s”，只有“%(ok)s”的项目可以列入验收")
                    % {
                        "project": _project_words(project),
                        "cur": project.get_status_display(),
                        "ok": Project.Status.UNDER_CONSTRUCTION.label,
                    },
                )
                continue
            if year is not None and project.ends_on.year > year:
                errors.add(
                    field,
                    "assessment.construction_not_ended",
                    _(
                        "项目%(project)s建设期至%(end)s，%(year)d年底前建设期未满，不能列入%(year)d年验收（当前：%(end)s；要求：不晚于%(year)d-12-31）"
                    )
                    % {"project": _project_words(project), "end": _day(project.ends_on), "year": year},
                )
                continue
        elif project.status == Project.Status.TERMINATED:
            errors.add(
                field,
                "assessment.project_terminated",
                _("项目%(project)s已中止，不再进行绩效评价（当前状态：%(cur)s）")
                % {"project": _project_words(project), "cur": project.get_status_display()},
            )
            continue
        kept.append(project)
    return kept


def _round_settings(data: dict[str, Any], count: int) -> dict[str, Any]:
    settings = {k: data[k] for k in ROUND_SETTINGS if data.get(k) not in (None, "")}
    # every subject is concluded on its own score, so the panel's quota takes them all
    settings["quota"] = max(1, count)
    return settings


def assessment_create(*, actor: Actor, data: dict) -> Assessment:
    """Province staff open a batch of acceptance or performance over some projects of one call and
    type. Refused (422, every problem at once, nothing stored): see the module's docstring and
    docs/acceptance.md for each rule and its code."""
    actor.require(*assessment_selectors.MANAGE_ROLES)
    province = actor.province_prefix
    errors = ErrorCollector()
    kind = str(data.get("kind") or "")
    if kind not in Kind.values:
        errors.add(
            "kind",
            "assessment.unknown_kind",
            _("批次类型应为 %(ok)s 之一（当前：%(cur)s）")
            % {"ok": "、".join(f"{k.value}（{k.label}）" for k in Kind), "cur": kind or _("空")},
        )
    call = _find_call(actor, data.get("call_id"))
    if call is None:
        errors.add(
            "call_id",
            "assessment.unknown_call",
            _("申报通知不存在或不属于本省（当前：%(cur)s）") % {"cur": data.get("call_id") or _("空")},
        )
    project_type = None
    if call is not None:
        project_type = ProjectType.objects.filter(pk=_pk(data.get("project_type_id")), calls=call).first()
        if project_type is None:
            errors.add(
                "project_type_id",
                "assessment.project_type_not_in_call",
                _("项目类型不在该申报通知中（当前：%(cur)s）")
                % {"cur": data.get("project_type_id") or _("空")},
            )
    year = _int(errors, "year", _("年度"), data.get("year"))
    if year is not None and not 2000 <= year <= 2100:
        errors.add(
            "year",
            "assessment.year_out_of_range",
            _("年度应在2000至2100之间（当前：%(cur)d）") % {"cur": year},
        )
        year = None
    asked_final = _flag(data.get("is_final"))
    final = asked_final if kind == Kind.PERFORMANCE else False
    if asked_final and kind == Kind.ACCEPTANCE:
        errors.add(
            "is_final",
            "assessment.final_is_performance",
            _("期末评价只适用于绩效评价批次（当前类型：%(kind)s）") % {"kind": Kind.ACCEPTANCE.label},
        )
    batch = None
    if data.get("batch") not in (None, ""):
        batch = _int(errors, "batch", _("批次"), data.get("batch"))
        if batch is not None and not 1 <= batch <= 99:
            errors.add(
                "batch",
                "assessment.batch_out_of_range",
                _("批次应在1至99之间（当前：%(cur)d）") % {"cur": batch},
            )
            batch = None
    due = _date(errors, "self_assessment_due", _("自评报告截止日期"), data.get("self_assessment_due"))
    if due is not None and due < today():
        errors.add(
            "self_assessment_due",
            "assessment.due_in_past",
            _("自评报告截止日期不能早于今天（当前：%(cur)s；今天：%(today)s）")
            % {"cur": _day(due), "today": _day(today())},
        )
    excellent, passing = DEFAULT_EXCELLENT, DEFAULT_PASS
    if kind == Kind.ACCEPTANCE:
        if data.get("excellent_min") not in (None, ""):
            excellent = _decimal(errors, "excellent_min", _("优秀分数线"), data["excellent_min"])
        if data.get("pass_min") not in (None, ""):
            passing = _decimal(errors, "pass_min", _("合格分数线"), data["pass_min"])
        for field, label, value in (
            ("excellent_min", _("优秀分数线"), excellent),
            ("pass_min", _("合格分数线"), passing),
        ):
            if value is not None and not 0 <= value <= SCORE_MAX:
                errors.add(
                    field,
                    "assessment.grade_line_out_of_range",
                    _("%(label)s应在0至100分之间（当前：%(cur)s）") % {"label": label, "cur": value},
                )
        if excellent is not None and passing is not None and passing > excellent:
            errors.add(
                "pass_min",
                "assessment.grade_lines_disordered",
                _("合格分数线不能高于优秀分数线（当前：合格%(p)s分，优秀%(e)s分）")
                % {"p": passing, "e": excellent},
            )
    system = None
    if call is not None and project_type is not None and kind in Kind.values:
        system = assessment_selectors.current_system(call, project_type, kind)
        if system is None:
            errors.add(
                "kind",
                "assessment.no_indicator_system",
                _(
                    "政策包“%(pack)s”没有适用于“%(type)s”的现行%(kind)s指标体系（当前：无；要求：用途为%(kind)s的指标体系）"
                )
                % {"pack": call.pack.name, "type": project_type.name, "kind": Kind(kind).label},
            )
        rule = assessment_selectors.acceptance_rule(project_type)
        if kind == Kind.ACCEPTANCE and year is not None and rule["from_year"] and year < rule["from_year"]:
            errors.add(
                "year",
                "assessment.year_before_acceptance",
                _(
                    "计划规定自%(from)d年开始分批组织验收（%(section)s），不能组织%(year)d年验收（当前：%(year)d；要求：不早于%(from)d）"
                )
                % {"from": rule["from_year"], "section": rule["section"] or "—", "year": year},
            )
    projects: list[Project] = []
    if call is not None and project_type is not None and kind in Kind.values:
        projects = _check_projects(
            errors,
            kind=kind,
            call=call,
            project_type=project_type,
            province=province,
            year=year,
            raw_ids=data.get("project_ids"),
        )
    elif not data.get("project_ids"):
        errors.add("project_ids", "assessment.no_projects", _("请至少选择一个项目（当前：0个）"))
    name = str(data.get("name") or "").strip()
    if len(name) > 200:
        errors.add(
            "name", "assessment.name_too_long", _("名称最多200个字（当前：%(n)d个）") % {"n": len(name)}
        )
    errors.raise_if_any()
    # every one of these is None only with an error found above
    assert call is not None
    assert project_type is not None
    assert system is not None
    assert year is not None

    with transaction.atomic():
        # projects locked so two batches cannot take the same project at once
        locked = list(
            Project.objects.select_for_update().filter(pk__in=[p.pk for p in projects]).order_by("pk")
        )
        busy = assessment_selectors.busy_project_ids(kind, [p.pk for p in locked])
        if busy:
            raise ConflictError.single(
                "project_ids",
                "assessment.project_in_open_batch",
                _("项目已在一个未结束的%(kind)s批次中（项目编号：%(ids)s）")
                % {"kind": Kind(kind).label, "ids": "、".join(map(str, sorted(busy)))},
            )
        batch = batch or _next_batch(call, project_type, kind, year, final)
        name = (name or _default_name(call, project_type, kind, batch, year, final))[:200]
        qs = Project.objects.filter(pk__in=[p.pk for p in projects])
        if kind == Kind.ACCEPTANCE:
            inputs = assessment_inputs.acceptance_inputs(qs, today=today())
        else:
            inputs = assessment_inputs.performance_inputs(qs, year=year, final=final)
        review_round = review_services.later_round_open(
            actor=actor,
            call=call,
            project_type=project_type,
            kind=kind,
            name=name,
            indicator_system=system,
            subjects={p.application_id: inputs.get(p.pk, {}) for p in projects},
            data=_round_settings(data, len(projects)),
        )
        try:
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    kind=kind,
                    name=name,
                    call=call,
                    project_type=project_type,
                    province_code=province + "0000",
                    batch=batch,
                    year=year,
                    is_final=final,
                    round=review_round,
                    self_assessment_due=due,
                    excellent_min=excellent,
                    pass_min=passing,
                    created_by=actor.user,
                )
        except IntegrityError:
            raise ConflictError.single(
                "batch",
                "assessment.batch_taken",
                _("“%(call)s · %(type)s”%(year)d年已有第%(n)d批%(kind)s，请换一个批次")
                % {
                    "call": call.title,
                    "type": project_type.name,
                    "year": year,
                    "n": batch,
                    "kind": Kind(kind).label,
                },
            ) from None
        AssessmentEntry.objects.bulk_create(
            AssessmentEntry(assessment=assessment, project=p, inputs=inputs.get(p.pk, {})) for p in projects
        )
        if kind == Kind.ACCEPTANCE:
            Project.objects.filter(pk__in=[p.pk for p in projects]).update(
                status=Project.Status.IN_ACCEPTANCE, updated_at=timezone.now()
            )
            for p in projects:
                audit_record(
                    actor=actor,
                    action="project.update",
                    obj=p,
                    changes={
                        "status": [p.status, Project.Status.IN_ACCEPTANCE],
                        "assessment": [None, assessment.pk],
                    },
                )
        audit_record(
            actor=actor,
            action="assessment.create",
            obj=assessment,
            changes={
                **diff({}, snapshot(assessment, ASSESSMENT_FIELDS)),
                "projects": [None, sorted(p.pk for p in projects)],
                "indicator_system": [None, system.code],
            },
        )
        for p in projects:
            entry = AssessmentEntry.objects.get(assessment=assessment, project=p)
            notify(
                _people([p.organization_id], SCHOOL_ROLES),
                subject=_("请填写“%(title)s”的%(kind)s自评报告")
                % {"title": p.title, "kind": Kind(kind).label},
                body=_("“%(name)s”已开始，请于%(due)s前提交自评报告。") % {"name": name, "due": _day(due)},
                url=_url("projects:assessment_entry", entry.pk),
                kind="assessment.self_assessment_requested",
            )
    return assessment


def _flag(raw: Any) -> bool:
    """A yes/no from JSON or a form: True/False, 1/0, "true"/"false", "on"; empty is no."""
    if isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "on", "yes")
    return bool(raw)


def _pk(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


# --- the school's self-assessment --------------------------------------------------------------


def _locked_entry(entry: AssessmentEntry) -> AssessmentEntry:
    return (
        AssessmentEntry.objects.select_for_update(of=("self",))
        .select_related("assessment", "project", "project__organization")
        .get(pk=entry.pk)
    )


def _require_self_assessment_open(entry: AssessmentEntry) -> None:
    batch = entry.assessment
    if batch.status != Assessment.Status.SELF_ASSESSMENT:
        raise ConflictError.single(
            "status",
            "assessment.self_assessment_closed",
            _("批次“%(name)s”当前状态为“%(cur)s”，自评报告只能在“%(ok)s”时填写")
            % {
                "name": batch.name,
                "cur": batch.get_status_display(),
                "ok": Assessment.Status.SELF_ASSESSMENT.label,
            },
        )
    if entry.self_submitted_at is not None:
        raise ConflictError.single(
            "self_submitted_at",
            "assessment.self_assessment_submitted",
            _("自评报告已于%(when)s提交，不能再修改")
            % {"when": timezone.localtime(entry.self_submitted_at).strftime("%Y-%m-%d %H:%M")},
        )


def self_assessment_save(*, actor: Actor, entry: AssessmentEntry, data: dict) -> AssessmentEntry:
    """The school saves its self-assessment (text, its own score 0–100 or none, its files); it may
    save as often as it likes until it submits."""
    require_school(actor, entry)
    with transaction.atomic():
        e = _locked_entry(entry)
        _require_self_assessment_open(e)
        errors = ErrorCollector()
        text = _text(errors, "self_assessment", _("自评报告"), data.get("self_assessment"))
        score = None
        if data.get("self_score") not in (None, ""):
            score = _decimal(errors, "self_score", _("自评得分"), data.get("self_score"))
            if score is not None and not 0 <= score <= SCORE_MAX:
                errors.add(
                    "self_score",
                    "assessment.self_score_out_of_range",
                    _("自评得分应在0至100分之间（当前：%(cur)s）") % {"cur": score},
                )
        files = None
        if data.get("attachment_ids") is not None:
            files = _attachments(errors, "attachment_ids", data.get("attachment_ids"), e.project)
        errors.raise_if_any()
        before = {"self_assessment": e.self_assessment, "self_score": e.self_score}
        e.self_assessment, e.self_score = text, score
        e.save(update_fields=["self_assessment", "self_score"])
        changes = diff(
            {k: str(v) if isinstance(v, Decimal) else v for k, v in before.items()},
            {"self_assessment": text, "self_score": None if score is None else str(score)},
        )
        if files is not None:
            old = sorted(e.self_attachments.values_list("pk", flat=True))
            e.self_attachments.set(files)
            new = sorted(a.pk for a in files)
            if old != new:
                changes["attachments"] = [old, new]
        audit_record(actor=actor, action="assessment_entry.self_assessment_save", obj=e, changes=changes)
    entry.__dict__.update({"self_assessment": e.self_assessment, "self_score": e.self_score})
    return e


def self_assessment_submit(*, actor: Actor, entry: AssessmentEntry) -> AssessmentEntry:
    """The school submits its self-assessment (its text must not be empty); it is then read-only."""
    require_school(actor, entry)
    with transaction.atomic():
        e = _locked_entry(entry)
        _require_self_assessment_open(e)
        if not e.self_assessment.strip():
            raise ValidationFailed.single(
                "self_assessment",
                "assessment.self_assessment_required",
                _("请先填写自评报告再提交（当前：空）"),
            )
        e.self_submitted_at = timezone.now()
        e.save(update_fields=["self_submitted_at"])
        audit_record(
            actor=actor,
            action="assessment.self_assessment_submit",
            obj=e,
            changes={
                "self_submitted_at": [None, e.self_submitted_at],
                "self_score": [None, e.self_score],
                "self_assessment": [None, e.self_assessment],
            },
        )
        notify(
            _province_staff(e.assessment.province_code[:2]),
            subject=_("%(school)s已提交“%(title)s”的自评报告")
            % {"school": e.project.organization.name, "title": e.project.title},
            url=_url("projects:assessment_entry", e.pk),
            kind="assessment.self_assessment_submitted",
        )
    entry.self_submitted_at = e.self_submitted_at
    return e


# --- the review --------------------------------------------------------------------------------


def _locked_batch(assessment: Assessment) -> Assessment:
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("call", "project_type", "round")
        .get(pk=assessment.pk)
    )
    return locked


def _wrong_status(batch: Assessment, required: str) -> str:
    return _("批次“%(name)s”当前状态为“%(cur)s”，须为“%(ok)s”") % {
        "name": batch.name,
        "cur": batch.get_status_display(),
        "ok": Assessment.Status(required).label,
    }


def _inputs_of(batch: Assessment) -> dict[int, dict[str, Any]]:
    qs = Project.objects.filter(assessment_entries__assessment=batch)
    if batch.kind == Kind.ACCEPTANCE:
        return assessment_inputs.acceptance_inputs(qs, today=today())
    return assessment_inputs.performance_inputs(qs, year=batch.year, final=batch.is_final)


def assessment_start_review(*, actor: Actor, assessment: Assessment) -> Assessment:
    """Staff close the self-assessment and start the experts' review. Refused while a school has
    not submitted and the due date has not passed (each such project named); the figures are
    computed again from the reports as they are now."""
    require_manager(actor, assessment)
    with transaction.atomic():
        batch = _locked_batch(assessment)
        if batch.status != Assessment.Status.SELF_ASSESSMENT:
            raise ConflictError.single(
                "status",
                "assessment.start_wrong_status",
                _wrong_status(batch, Assessment.Status.SELF_ASSESSMENT),
            )
        entries = list(
            batch.entries.select_related("project", "project__organization").order_by("project__code")
        )
        missing = [e for e in entries if e.self_submitted_at is None]
        if missing and today() <= batch.self_assessment_due:
            raise ConflictError(
                [
                    FieldError(
                        f"entries.{e.pk}",
                        "assessment.self_assessment_missing",
                        _(
                            "项目%(project)s尚未提交自评报告（截止日期：%(due)s；今天：%(today)s），须全部提交或截止日期过后才能开始专家评审"
                        )
                        % {
                            "project": _project_words(e.project),
                            "due": _day(batch.self_assessment_due),
                            "today": _day(today()),
                        },
                    )
                    for e in missing
                ]
            )
        inputs = _inputs_of(batch)
        for e in entries:
            e.inputs = inputs.get(e.project_id, e.inputs)
        AssessmentEntry.objects.bulk_update(entries, ["inputs"])
        if batch.round_id:
            review_services.subject_inputs_refresh(
                review_round=batch.round,
                inputs={e.project.application_id: e.inputs for e in entries},
            )
        batch.status = Assessment.Status.REVIEWING
        batch.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="assessment.start_review",
            obj=batch,
            changes={
                "status": [Assessment.Status.SELF_ASSESSMENT, batch.status],
                "missing_self_assessments": [None, [e.project_id for e in missing]],
                "inputs": [None, {str(e.project_id): e.inputs for e in entries}],
            },
        )
    assessment.status = batch.status
    return batch


def grade_of(score: Decimal | None, vetoed: bool, *, excellent_min: Decimal, pass_min: Decimal) -> str:
    """优秀 at or above the excellent line, 合格 at or above the pass line, else 不合格; a veto fails."""
    if score is None or vetoed:
        return Grade.FAIL
    if score >= excellent_min:
        return Grade.EXCELLENT
    if score >= pass_min:
        return Grade.PASS
    return Grade.FAIL


def assessment_conclude(*, actor: Actor, assessment: Assessment) -> Assessment:
    """Staff conclude the experts' review once its panel has opened: each project's score and veto
    from the round's ranking (by its method), a grade for acceptance; the round closes."""
    require_manager(actor, assessment)
    with transaction.atomic():
        batch = _locked_batch(assessment)
        if batch.status != Assessment.Status.REVIEWING:
            raise ConflictError.single(
                "status",
                "assessment.conclude_wrong_status",
                _wrong_status(batch, Assessment.Status.REVIEWING),
            )
        review_round = (
            ReviewRound.objects.select_for_update(of=("self",))
            .select_related("project_type")
            .get(pk=batch.round_id)
        )
        if review_round.status not in PANEL_STATUSES:
            raise ConflictError.single(
                "round",
                "assessment.round_not_at_panel",
                _("评审轮次“%(name)s”当前状态为“%(cur)s”，须专家评分全部提交并进入“%(ok)s”后才能出结论")
                % {
                    "name": review_round.name,
                    "cur": review_round.get_status_display(),
                    "ok": ReviewRound.Status.PANEL.label,
                },
            )
        ranking = round_ranking(review_round)
        ranked = {e.application: e for e in ranking.ranking.entries}
        entries = list(
            batch.entries.select_related("project", "project__organization").order_by("project__code")
        )
        unscored = [e for e in entries if e.project.application_id not in ranked]
        if unscored:
            raise ConflictError(
                [
                    FieldError(
                        f"entries.{e.pk}",
                        "assessment.entry_unscored",
                        _("项目%(project)s没有有效的专家评分表（当前：0份；至少应有1份）")
                        % {"project": _project_words(e.project)},
                    )
                    for e in unscored
                ]
            )
        results = {}
        for e in entries:
            row = ranked[e.project.application_id]
            e.score = row.score
            e.vetoed = bool(row.vetoed)
            if batch.kind == Kind.ACCEPTANCE:
                e.grade = grade_of(
                    e.score, e.vetoed, excellent_min=batch.excellent_min, pass_min=batch.pass_min
                )
            results[str(e.project_id)] = {"score": str(e.score), "vetoed": e.vetoed, "grade": e.grade}
        AssessmentEntry.objects.bulk_update(entries, ["score", "vetoed", "grade"])
        before_round = review_round.status
        review_round.status = ReviewRound.Status.CLOSED
        review_round.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="review_round.update",
            obj=review_round,
            changes={"status": [before_round, review_round.status]},
        )
        batch.status = Assessment.Status.CONCLUDED
        batch.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="assessment.conclude",
            obj=batch,
            changes={
                "status": [Assessment.Status.REVIEWING, batch.status],
                "ranking_method": [None, review_round.ranking_method],
                "results": [None, results],
                "grade_lines": [
                    None,
                    {"excellent_min": str(batch.excellent_min), "pass_min": str(batch.pass_min)},
                ],
            },
        )
    assessment.status = batch.status
    return batch


# --- decisions ---------------------------------------------------------------------------------


def _close_if_done(actor: Actor, batch: Assessment) -> None:
    """A concluded batch whose every entry is final closes."""
    if batch.status != Assessment.Status.CONCLUDED:
        return
    if batch.entries.exclude(result__in=FINAL_RESULTS).exists():
        return
    batch.status = Assessment.Status.CLOSED
    batch.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="assessment.close",
        obj=batch,
        changes={"status": [Assessment.Status.CONCLUDED, Assessment.Status.CLOSED]},
    )


def _set_project_status(actor: Actor, project: Project, status: str, why: str) -> None:
    before = project.status
    if before == status:
        return
    project.status = status
    project.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="project.update",
        obj=project,
        changes={"status": [before, status], "why": [None, why]},
    )


def _decide_acceptance(
    actor: Actor, e: AssessmentEntry, data: dict, errors: ErrorCollector, reason: str
) -> tuple[str, dict]:
    decision = str(data.get("decision") or "")
    choices = {"pass": _("通过验收"), "rectify": _("限期整改"), "fail": _("不通过验收")}
    if decision not in choices:
        errors.add(
            "decision",
            "assessment.unknown_decision",
            _("验收结论应为 %(ok)s 之一（当前：%(cur)s）")
            % {"ok": "、".join(f"{k}（{v}）" for k, v in choices.items()), "cur": decision or _("空")},
        )
        return "", {}
    extra: dict[str, Any] = {}
    if decision == "pass" and e.grade == Grade.FAIL:
        errors.add(
            "decision",
            "assessment.pass_refused_for_fail",
            _(
                "验收等级为“%(cur)s”（得分%(score)s，合格线%(line)s分%(veto)s），不能直接通过验收，请选择限期整改或不通过"
            )
            % {
                "cur": Grade.FAIL.label,
                "score": e.score if e.score is not None else _("空"),
                "line": e.assessment.pass_min,
                "veto": _("，一票否决") if e.vetoed else "",
            },
        )
    if decision == "rectify":
        extra["requirements"] = _text(errors, "requirements", _("整改要求"), data.get("requirements"))
        if not extra["requirements"]:
            errors.add("requirements", "assessment.requirements_required", _("请写明整改要求（当前：空）"))
        deadline = _date(errors, "deadline", _("整改期限"), data.get("deadline"))
        if deadline is not None and deadline <= today():
            errors.add(
                "deadline",
                "assessment.deadline_not_future",
                _("整改期限应晚于今天（当前：%(cur)s；今天：%(today)s）")
                % {"cur": _day(deadline), "today": _day(today())},
            )
        extra["deadline"] = deadline
    return decision, extra


def entry_decide(*, actor: Actor, entry: AssessmentEntry, data: dict) -> AssessmentEntry:
    """Staff decide one entry of a concluded batch, with a reason. Acceptance: pass (not for a 不合格
    grade) → the project is accepted; rectify (requirements and a deadline) → 整改; fail → the
    project failed. Performance: an outcome; terminate → the project is terminated. Each entry is
    decided once (a rectification is then settled by its re-check)."""
    require_manager(actor, entry.assessment)
    with transaction.atomic():
        batch = _locked_batch(entry.assessment)
        e = _locked_entry(entry)
        if batch.status != Assessment.Status.CONCLUDED:
            raise ConflictError.single(
                "status", "assessment.decide_wrong_status", _wrong_status(batch, Assessment.Status.CONCLUDED)
            )
        if e.result != Result.PENDING:
            raise ConflictError.single(
                "result",
                "assessment.already_decided",
                _("项目%(project)s已作出结论（当前：%(cur)s），不能再次决定")
                % {"project": _project_words(e.project), "cur": e.get_result_display()},
            )
        errors = ErrorCollector()
        reason = _text(errors, "reason", _("结论理由"), data.get("reason"))
        if not reason:
            errors.add("reason", "assessment.reason_required", _("请写明结论理由（当前：空）"))
        project = Project.objects.select_for_update().get(pk=e.project_id)
        before = snapshot(e, ENTRY_FIELDS)
        if batch.kind == Kind.ACCEPTANCE:
            decision, extra = _decide_acceptance(actor, e, data, errors, reason)
            errors.raise_if_any()
            if decision == "pass":
                e.result = Result.PASSED
                _set_project_status(actor, project, Project.Status.ACCEPTED, "assessment.decide")
            elif decision == "fail":
                e.result = Result.FAILED
                _set_project_status(actor, project, Project.Status.FAILED, "assessment.decide")
            else:
                e.result = Result.RECTIFYING
                rectification = Rectification.objects.create(
                    entry=e,
                    requirements=extra["requirements"],
                    deadline=extra["deadline"],
                    created_by=actor.user,
                )
                _set_project_status(actor, project, Project.Status.RECTIFYING, "assessment.decide")
                audit_record(
                    actor=actor,
                    action="rectification.create",
                    obj=rectification,
                    changes={
                        "requirements": [None, rectification.requirements],
                        "deadline": [None, rectification.deadline],
                    },
                )
        else:
            outcome = str(data.get("outcome") or "")
            if outcome not in Outcome.values:
                errors.add(
                    "outcome",
                    "assessment.unknown_outcome",
                    _("绩效评价结果应为 %(ok)s 之一（当前：%(cur)s）")
                    % {
                        "ok": "、".join(f"{o.value}（{o.label}）" for o in Outcome),
                        "cur": outcome or _("空"),
                    },
                )
            elif e.vetoed and outcome not in (Outcome.ADJUST, Outcome.TERMINATE):
                errors.add(
                    "outcome",
                    "assessment.vetoed_outcome",
                    _("项目经专家一票否决，结果只能为“%(adjust)s”或“%(terminate)s”（当前：%(cur)s）")
                    % {
                        "adjust": Outcome.ADJUST.label,
                        "terminate": Outcome.TERMINATE.label,
                        "cur": Outcome(outcome).label,
                    },
                )
            errors.raise_if_any()
            decision = outcome
            e.outcome = outcome
            e.result = Result.DECIDED
            if outcome == Outcome.TERMINATE:
                _set_project_status(actor, project, Project.Status.TERMINATED, "assessment.decide")
        e.reason = reason
        e.decided_by, e.decided_at = actor.user, timezone.now()
        e.save(update_fields=[*ENTRY_FIELDS, "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="assessment.decide",
            obj=e,
            changes={**diff(before, snapshot(e, ENTRY_FIELDS)), "decision": [None, decision]},
        )
        words = {"title": project.title, "name": batch.name, "reason": reason}
        if batch.kind == Kind.ACCEPTANCE:
            subject = {
                "pass": _("“%(title)s”通过验收"),
                "fail": _("“%(title)s”未通过验收"),
                "rectify": _("“%(title)s”须限期整改"),
            }[decision] % words
            body = _("%(name)s：%(reason)s") % words
            if decision == "rectify":
                body += "\n" + _("整改要求：%(req)s\n整改期限：%(deadline)s") % {
                    "req": e.rectification.requirements,
                    "deadline": _day(e.rectification.deadline),
                }
        else:
            subject = _("“%(title)s”绩效评价结果：%(outcome)s") % {
                **words,
                "outcome": e.get_outcome_display(),
            }
            body = _("%(name)s：%(reason)s") % words
        notify(
            _people([project.organization_id], SCHOOL_ROLES),
            subject=subject,
            body=body,
            url=_url("projects:assessment_entry", e.pk),
            kind="assessment.decided",
        )
        _close_if_done(actor, batch)
    entry.__dict__.update({k: getattr(e, k) for k in (*ENTRY_FIELDS, "decided_by_id", "decided_at")})
    return e


# --- rectification -----------------------------------------------------------------------------


def _locked_rectification(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("entry", "entry__assessment", "entry__project", "entry__project__organization")
        .get(pk=rectification.pk)
    )


def rectification_submit(*, actor: Actor, rectification: Rectification, data: dict) -> Rectification:
    """The school resubmits after mending: its report (and files), by the deadline."""
    require_school(actor, rectification.entry)
    with transaction.atomic():
        r = _locked_rectification(rectification)
        if r.status != Rectification.Status.OPEN:
            raise ConflictError.single(
                "status",
                "rectification.not_open",
                _("整改当前状态为“%(cur)s”，只有“%(ok)s”时可以提交整改报告")
                % {"cur": r.get_status_display(), "ok": Rectification.Status.OPEN.label},
            )
        if today() > r.deadline:
            raise ConflictError.single(
                "deadline",
                "rectification.deadline_passed",
                _("整改期限为%(deadline)s，已过期限，不能再提交（当前日期：%(today)s）")
                % {"deadline": _day(r.deadline), "today": _day(today())},
            )
        errors = ErrorCollector()
        report = _text(errors, "report", _("整改报告"), data.get("report"))
        if not report:
            errors.add("report", "rectification.report_required", _("请填写整改报告（当前：空）"))
        files = _attachments(errors, "attachment_ids", data.get("attachment_ids"), r.entry.project)
        errors.raise_if_any()
        r.report = report
        r.status = Rectification.Status.RESUBMITTED
        r.resubmitted_at = timezone.now()
        r.save(update_fields=["report", "status", "resubmitted_at"])
        if files:
            r.attachments.set(files)
        audit_record(
            actor=actor,
            action="rectification.submit",
            obj=r,
            changes={
                "status": [Rectification.Status.OPEN, r.status],
                "report": [None, report],
                "attachments": [None, sorted(a.pk for a in files)],
            },
        )
        notify(
            _province_staff(r.entry.assessment.province_code[:2]),
            subject=_("%(school)s已提交“%(title)s”的整改报告")
            % {"school": r.entry.project.organization.name, "title": r.entry.project.title},
            url=_url("projects:rectification", r.pk),
            kind="rectification.submitted",
        )
    rectification.__dict__.update(
        {"status": r.status, "report": r.report, "resubmitted_at": r.resubmitted_at}
    )
    return r


def rectification_recheck(*, actor: Actor, rectification: Rectification, data: dict) -> Rectification:
    """Staff re-check a resubmitted rectification: passed → the project is accepted; failed → it
    failed. A rectification never resubmitted may be failed once its deadline has passed."""
    require_manager(actor, rectification.entry.assessment)
    with transaction.atomic():
        batch = _locked_batch(rectification.entry.assessment)
        r = _locked_rectification(rectification)
        errors = ErrorCollector()
        raw = data.get("passed")
        if isinstance(raw, str):
            raw = {"true": True, "1": True, "false": False, "0": False}.get(raw.strip().lower(), raw)
        if not isinstance(raw, bool):
            errors.add(
                "passed",
                "rectification.passed_required",
                _("请选择复核结论：通过或不通过（当前：%(cur)s）")
                % {"cur": raw if raw not in (None, "") else _("空")},
            )
        note = _text(errors, "note", _("复核意见"), data.get("note"))
        if not note:
            errors.add("note", "rectification.note_required", _("请写明复核意见（当前：空）"))
        overdue = r.status == Rectification.Status.OPEN and today() > r.deadline
        if r.status != Rectification.Status.RESUBMITTED and not overdue:
            raise ConflictError.single(
                "status",
                "rectification.not_resubmitted",
                _("整改当前状态为“%(cur)s”，须学校提交整改报告后（或整改期限%(deadline)s过后）才能复核")
                % {"cur": r.get_status_display(), "deadline": _day(r.deadline)},
            )
        if overdue and raw is True:
            errors.add(
                "passed",
                "rectification.overdue_cannot_pass",
                _("学校未在整改期限%(deadline)s前提交整改报告，复核结论只能为不通过（当前：通过）")
                % {"deadline": _day(r.deadline)},
            )
        errors.raise_if_any()
        passed = bool(raw)
        before = r.status
        r.status = Rectification.Status.PASSED if passed else Rectification.Status.FAILED
        r.recheck_note = note
        r.rechecked_by, r.rechecked_at = actor.user, timezone.now()
        r.save(update_fields=["status", "recheck_note", "rechecked_by", "rechecked_at"])
        e = _locked_entry(r.entry)
        e.result = Result.PASSED if passed else Result.FAILED
        e.save(update_fields=["result"])
        project = Project.objects.select_for_update().get(pk=e.project_id)
        _set_project_status(
            actor,
            project,
            Project.Status.ACCEPTED if passed else Project.Status.FAILED,
            "rectification.recheck",
        )
        audit_record(
            actor=actor,
            action="rectification.recheck",
            obj=r,
            changes={
                "status": [before, r.status],
                "note": [None, note],
                "result": [Result.RECTIFYING, e.result],
                "overdue": [None, overdue],
            },
        )
        notify(
            _people([project.organization_id], SCHOOL_ROLES),
            subject=(_("“%(title)s”整改复核通过，通过验收") if passed else _("“%(title)s”整改复核未通过"))
            % {"title": project.title},
            body=_("复核意见：%(note)s") % {"note": note},
            url=_url("projects:rectification", r.pk),
            kind="rectification.rechecked",
        )
        _close_if_done(actor, batch)
    rectification.__dict__.update({"status": r.status, "recheck_note": r.recheck_note})
    return r
