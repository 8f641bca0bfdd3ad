"""Every write on applications: one transaction, permission checked, audited with before and after.

Drafts save as the user types and are checked only for the shape of what is typed (amounts,
codes, years): a draft may be incomplete. Submission runs every rule of the pinned policy pack
(`chanjiao.policy.rules.evaluate`) and this app's own structural checks, and refuses with all of
them at once; a submission that passes becomes an immutable numbered version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.catalog.models import CatalogueEdition, Programme
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, Forbidden, ValidationFailed
from chanjiao.core.permissions import Actor
from chanjiao.core.services import attachment_store
from chanjiao.orgs.models import Organization
from chanjiao.policy import rules
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES, SubmissionFacts
from chanjiao.policy.models import Call, CityQuota, ProjectType

from . import snapshots, workflow
from .models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    ApplicationVersion,
    BudgetLine,
    CallPublication,
    KpiTarget,
    Partner,
    ProgrammeChoice,
    ReturnNote,
    Status,
    TaskPlan,
)
from .permissions import APPLICANT_ROLES, call_province, parties, require_party

AUDITED_FIELDS = (
    "title",
    "summary",
    "contact_name",
    "contact_phone",
    "fields",
    "status",
    "slot",
    "row_version",
    "city_rank",
    "endorsed_at",
    "accepted_at",
)
MAX_AMOUNT = Decimal("999999999999.99")  # Decimal(14, 2)
MAX_YEARS_WITHOUT_PACK = 10
SECTIONS = ("fields", "partners", "programmes", "tasks", "budget_lines", "kpis", "attachments")
BASIC_FIELDS = ("title", "summary", "contact_name", "contact_phone")
BASIC_LIMITS = {"title": 200, "summary": 20000, "contact_name": 64, "contact_phone": 32}


# --- small helpers --------------------------------------------------------------------------


def _record(actor: Actor, action: str, application: Application, before: dict[str, Any], **extra) -> None:
    after = snapshot(application, AUDITED_FIELDS)
    changes = diff(before, after)
    changes.update({k: [None, v] for k, v in extra.items()})
    audit_record(actor=actor, action=f"application.{action}", obj=application, changes=changes)


def _event(actor: Actor, application: Application, action: str, from_status: str, note: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=from_status,
        to_status=application.status,
        actor=actor.user,
        actor_org=str(actor.organization or "")[:128],
        note=note,
    )


# What `_lock` reads with the row, for each relation the caller has not already read.
LOCK_RELATED = {
    "call": ("call", "call__pack"),
    "project_type": ("project_type", "project_type__pack"),
    "applicant": ("applicant",),
}


def _lock(application: Application, **annotations) -> Application:
    """The application's row, locked for this transaction (PostgreSQL; SQLite serialises writers).

    Only the application's row is locked, not the call, pack or applicant it refers to: applicants
    to one call do not queue behind each other. Its call, project type and applicant never change,
    so what the caller has already read of them is reused rather than read again.
    """
    reuse = {}
    related = []
    for name, paths in LOCK_RELATED.items():
        if Application._meta.get_field(name).is_cached(application):
            reuse[name] = getattr(application, name)
        else:
            related.extend(paths)
    qs = Application.objects.select_for_update(of=("self",))
    if related:  # select_related() with no names would follow every relation
        qs = qs.select_related(*related)
    if annotations:
        qs = qs.annotate(**annotations)
    app = qs.get(pk=application.pk)
    for name, obj in reuse.items():
        if obj is not None and getattr(app, f"{name}_id") == obj.pk:
            setattr(app, name, obj)
    return app


def _bump(application: Application) -> None:
    application.row_version += 1


def _require_editable(application: Application) -> None:
    if not application.is_editable:
        raise ConflictError.single(
            "status",
            "application.not_editable",
            _("申报书当前状态为“%(status)s”，不能修改（只有草稿或退回修改的申报书可以修改）")
            % {"status": workflow.status_label(application.status)},
        )


def _check_expected_version(application: Application, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != application.row_version:
        raise ConflictError.single(
            "expected_version",
            "application.stale_version",
            _("申报书已被修改，请刷新后再操作（您看到的版本：%(seen)s，当前版本：%(now)s）")
            % {"seen": expected_version, "now": application.row_version},
        )


def _codes(items: Iterable) -> list[str]:
    result = []
    for item in items:
        if isinstance(item, str):
            result.append(item)
        elif isinstance(item, tuple | list):
            result.append(str(item[0]))
        else:
            result.append(str(item.code))
    return result


def _choices_text(pairs: Iterable[tuple[str, str]]) -> str:
    return "、".join(f"{code}（{name}）" for code, name in pairs)


def allowed_sources(project_type: ProjectType) -> list[tuple[str, str]]:
    return list(project_type.funding_sources()) or list(FUNDING_SOURCES)


def allowed_kinds(project_type: ProjectType) -> list[tuple[str, str]]:
    return list(project_type.contribution_kinds()) or list(CONTRIBUTION_KINDS)


def construction_years(project_type: ProjectType) -> int:
    return int(project_type.construction_years or MAX_YEARS_WITHOUT_PACK)


def call_limit(call: Call) -> int:
    return int(call.limit_per_applicant or 1)


def catalogue_edition_for(call: Call) -> CatalogueEdition | None:
    if call.catalogue_edition_id:
        return call.catalogue_edition
    return CatalogueEdition.objects.filter(is_current=True).first()


def parse_amount(errors: ErrorCollector, field: str, value: Any, *, label: str) -> Decimal | None:
    """A money amount in yuan: a decimal string (or number), not negative, at most two places."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field, "amount.invalid", _("%(label)s应为金额（当前：空）") % {"label": label})
        return None
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors.add(
            field,
            "amount.invalid",
            _("%(label)s应为以元为单位的金额，如 1250000.00（当前：%(cur)s）")
            % {"label": label, "cur": value},
        )
        return None
    if amount < 0:
        errors.add(
            field,
            "amount.negative",
            _("%(label)s不能为负数（当前：%(cur)s，应不小于 0）") % {"label": label, "cur": text},
        )
        return None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        errors.add(
            field,
            "amount.too_precise",
            _("%(label)s最多保留两位小数（当前：%(cur)s）") % {"label": label, "cur": text},
        )
        return None
    if amount > MAX_AMOUNT:
        errors.add(
            field,
            "amount.too_large",
            _("%(label)s超出上限（当前：%(cur)s，最大：%(max)s）")
            % {"label": label, "cur": text, "max": MAX_AMOUNT},
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _parse_year(errors: ErrorCollector, field: str, value: Any, years: int) -> int | None:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        year = None
    if year is None or isinstance(value, bool) or year < 1 or year > years:
        errors.add(
            field,
            "year.out_of_range",
            _("建设年度应为 1 至 %(max)s 之间的整数（第几年；当前：%(cur)s）") % {"max": years, "cur": value},
        )
        return None
    return year


# --- creating ---------------------------------------------------------------------------------


def _facts(application: Application, *, now: dt.datetime | None = None, other: int = 0) -> SubmissionFacts:
    applicant = application.applicant
    lines = []
    tasks: list[str] = []
    partners: tuple = ()
    programmes: tuple = ()
    attachments: list[str] = []
    signed_by: dict[str, tuple[int, ...]] = {}
    kpis: tuple = ()
    if application.pk:
        snapshots.prefetch_sections(application)
        lines = [(x.year, x.source, x.kind, x.amount) for x in application.budget_lines.all()]
        tasks = [t.task_code for t in application.tasks.all()]
        partners = tuple((p.organization_id, p.role, p.organization.kind) for p in application.partners.all())
        programmes = tuple(p.code for p in application.programmes.all())
        for a in application.attachments.all():
            attachments.append(a.spec_code)
            signed = {o.pk for o in a.signed_by.all()} | set(signed_by.get(a.spec_code, ()))
            signed_by[a.spec_code] = tuple(sorted(signed))
        kpis = tuple(sorted({k.kpi_code for k in application.kpis.all()}))
    totals = snapshots.Totals(lines)
    return SubmissionFacts(
        applicant_id=applicant.pk,
        applicant_kind=applicant.kind,
        applicant_school_level=applicant.school_level or "",
        applicant_is_independent=applicant.is_independent,
        applicant_region_code=applicant.region_id,
        partners=partners,
        programme_codes=programmes,
        task_codes=tuple(tasks),
        budget_by_source=dict(totals.by_source),
        budget_by_kind=dict(totals.by_kind),
        attachment_codes=tuple(sorted(set(attachments))),
        signed_by=signed_by,
        fields=dict(application.fields or {}),
        kpi_codes=kpis,
        other_applications_in_call=other,
        now=now or timezone.now(),
    )


def _other_live(application: Application) -> int:
    qs = Application.objects.filter(
        call_id=application.call_id, applicant_id=application.applicant_id
    ).exclude(status=Status.WITHDRAWN)
    if application.pk:
        qs = qs.exclude(pk=application.pk)
    return qs.count()


def _evaluate(call: Call, project_type: ProjectType, facts: SubmissionFacts) -> list[FieldError]:
    return list(rules.evaluate(call=call, project_type=project_type, facts=facts))


# Before anything is typed, only who applies and when can be judged: these rules run at creation.
CREATE_RULE_PREFIXES = ("call.", "applicant.")


def application_create(
    *, actor: Actor, call: Call, project_type: ProjectType, title: str = ""
) -> Application:
    """A draft for the actor's organisation, in an open call, for a project type it may apply for.

    The draft comes back with its (empty) sections, versions and return notes already known, so
    nothing needs reading again to show it.
    """
    if not actor.has_role(*APPLICANT_ROLES) or actor.organization is None:
        raise Forbidden(_("只有申报单位的管理员或工作人员可以创建申报书"))
    applicant = actor.organization
    errors = ErrorCollector()
    call_types = list(call.project_types.all())  # read once (the call's selector prefetches them)
    if project_type.pk not in {t.pk for t in call_types}:
        errors.add(
            "project_type_id",
            "application.project_type_not_in_call",
            _("该申报通知不包含项目类型“%(type)s”（可申报：%(ok)s）")
            % {"type": project_type, "ok": "、".join(str(t) for t in call_types) or "—"},
        )
    title = (title or "").strip()[:200]
    draft = Application(
        call=call,
        project_type=project_type,
        applicant=applicant,
        city_code=(applicant.region_id or "")[:4] + "00",
        title=title,
        created_by=actor.user,
    )
    if not errors:
        facts = _facts(draft, other=_other_live(draft))
        errors.extend(
            e for e in _evaluate(call, project_type, facts) if e.code.startswith(CREATE_RULE_PREFIXES)
        )
    errors.raise_if_any()

    def record() -> None:
        _event(actor, draft, "create", "")
        _record(actor, "create", draft, {})

    _claim_slot(draft, then=record)
    for name in (*snapshots.SECTION_NAMES, "return_notes"):
        snapshots.remember(draft, name, [])
    draft.version_count = 0
    return draft


def _limit_error(call: Call, used: int) -> ValidationFailed:
    return ValidationFailed.single(
        "applicant",
        "applicant.limit_per_call",
        _("每个单位在本次申报中限报%(limit)s项（当前已有：%(used)s项）")
        % {"limit": call_limit(call), "used": used},
    )


class _SlotTaken(Exception):
    pass


def _claim_slot(application: Application, then=None) -> None:
    """Saves the draft in the lowest free slot ≤ the call's limit; the unique constraint settles races.

    Slot 1 is tried first (a school's first application, nearly always); when it is taken the
    slots in use are read and the lowest free one tried. The insert and `then` (the event and the
    audit entry) commit together.
    """
    limit = call_limit(application.call)
    slot = 1
    for _attempt in range(limit + 1):
        application.slot = slot
        try:
            with transaction.atomic():
                try:
                    application.save()
                except IntegrityError as exc:  # the whole block rolls back: no savepoint needed
                    raise _SlotTaken from exc
                if then is not None:
                    then()
            return
        except _SlotTaken:
            application.pk = None  # another application holds the slot: look for a free one
        used = set(
            Application.objects.filter(
                call_id=application.call_id, applicant_id=application.applicant_id, slot__isnull=False
            ).values_list("slot", flat=True)
        )
        free = [n for n in range(1, limit + 1) if n not in used]
        if not free:
            raise _limit_error(application.call, len(used))
        slot = free[0]
    raise _limit_error(application.call, limit)


# --- saving a draft ---------------------------------------------------------------------------


def application_save_draft(
    *, actor: Actor, application: Application, data: dict[str, Any], expected_version: int | None = None
) -> Application:
    """Saves the sections present in `data` (each replaces what was there). Checks shape only.

    Refused with every problem at once (422): non-numeric, negative or over-precise amounts,
    unknown sources, kinds, roles, task, KPI and attachment codes, programme codes not in the
    call's catalogue edition, years outside the construction period, fields of the wrong type.
    """
    with transaction.atomic():
        app = _lock(application)
        require_party(actor, app, (workflow.APPLICANT,), "edit")
        _check_expected_version(app, expected_version)
        _require_editable(app)
        before = snapshot(app, AUDITED_FIELDS)
        errors = ErrorCollector()
        writes = []
        for name in BASIC_FIELDS:
            if name in data and data[name] is not None:
                value = str(data[name]).strip()
                if len(value) > BASIC_LIMITS[name]:
                    errors.add(
                        name,
                        "text.too_long",
                        _("内容过长（当前：%(cur)s字，最多：%(max)s字）")
                        % {"cur": len(value), "max": BASIC_LIMITS[name]},
                    )
                setattr(app, name, value)
        if data.get("fields") is not None:
            app.fields = _clean_fields(errors, app.project_type, data["fields"], app.fields or {})
        if data.get("partners") is not None:
            writes.append(_partners_writer(errors, app, data["partners"]))
        if data.get("programmes") is not None:
            writes.append(_programmes_writer(errors, app, data["programmes"]))
        if data.get("tasks") is not None:
            writes.append(_tasks_writer(errors, app, data["tasks"]))
        if data.get("budget_lines") is not None:
            writes.append(_budget_writer(errors, app, data["budget_lines"]))
        if data.get("kpis") is not None:
            writes.append(_kpis_writer(errors, app, data["kpis"]))
        if data.get("attachments") is not None:
            writes.append(_attachments_writer(errors, app, data["attachments"]))
        errors.raise_if_any()
        written = {}
        for write in writes:
            written.update(write() or {})
        _bump(app)
        app.save()
        _record(actor, "save_draft", app, before, sections=sorted(k for k in data if data[k] is not None))
    for name, rows in written.items():  # what the caller shows next is what was just written
        snapshots.remember(app, name, rows)
    application.__dict__.update({k: v for k, v in app.__dict__.items() if not k.startswith("_")})
    return app


def _sync_rows(
    model, app: Application, name: str, key: tuple[str, ...], wanted: list[dict[str, Any]]
) -> dict[str, list]:
    """Makes the application's `model` rows those in `wanted` (each a dict of field values).

    Rows are matched by `key` (the fields they are unique by): a row still wanted is updated only
    where it differs, a new one inserted, one no longer wanted deleted, so saving an unchanged
    section only reads it. Returns {name: the rows, in the order of `wanted`}.
    """
    existing = {tuple(getattr(row, f) for f in key): row for row in model.objects.filter(application=app)}
    rows, changed, new = [], [], []
    changed_fields: set[str] = set()
    for values in wanted:
        row = existing.pop(tuple(values[f] for f in key), None)
        if row is None:
            row = model(application=app, **values)
            new.append(row)
        else:
            row.application = app
            differs = [f for f, v in values.items() if getattr(row, f) != v]
            if differs:
                for f in differs:
                    setattr(row, f, values[f])
                changed.append(row)
                changed_fields.update(differs)
        rows.append(row)
    if existing:
        model.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    if changed:
        model.objects.bulk_update(changed, sorted(changed_fields))
    if new:
        model.objects.bulk_create(new)
    return {name: rows}


def _clean_fields(errors: ErrorCollector, project_type: ProjectType, values: Any, current: dict) -> dict:
    specs = {f.code: f for f in project_type.fields()}
    result = dict(current)
    if not isinstance(values, dict):
        errors.add("fields", "fields.invalid", _("其他信息应为“代码: 值”的对象"))
        return result
    for code, value in values.items():
        spec = specs.get(code)
        field = f"fields.{code}"
        if spec is None:
            errors.add(
                field,
                "fields.unknown",
                _("项目类型没有“%(code)s”这一项（可填：%(ok)s）")
                % {"code": code, "ok": "、".join(f"{s.code}（{s.label}）" for s in specs.values()) or "—"},
            )
            continue
        if value is None or value == "":
            result.pop(code, None)
            continue
        cleaned = _clean_field_value(errors, field, spec, value)
        if cleaned is not None:
            result[code] = cleaned
    return result


def _clean_field_value(errors: ErrorCollector, field: str, spec, value: Any) -> Any:
    kind = spec.type
    bad = _("%(label)s应为%(type)s（当前：%(cur)s）")
    names = {
        "integer": "整数",
        "decimal": "数字",
        "boolean": "是或否",
        "date": "日期（YYYY-MM-DD）",
        "choice": "选项",
    }
    if kind == "text":
        return str(value)[:5000]
    if kind == "integer":
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip())
        except (TypeError, ValueError):
            errors.add(
                field, "fields.invalid", bad % {"label": spec.label, "type": names[kind], "cur": value}
            )
            return None
    if kind == "decimal":
        try:
            number = Decimal(str(value).strip())
            if not number.is_finite():
                raise InvalidOperation
            return str(number)
        except InvalidOperation:
            errors.add(
                field, "fields.invalid", bad % {"label": spec.label, "type": names[kind], "cur": value}
            )
            return None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "yes", "on", "是"}:
            return True
        if text in {"false", "0", "no", "off", "否"}:
            return False
        errors.add(field, "fields.invalid", bad % {"label": spec.label, "type": names[kind], "cur": value})
        return None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            errors.add(
                field, "fields.invalid", bad % {"label": spec.label, "type": names[kind], "cur": value}
            )
            return None
    if kind == "choice":
        codes = [c for c, _n in spec.choices]
        if str(value) in codes:
            return str(value)
        errors.add(
            field,
            "fields.invalid",
            _("%(label)s取值无效（当前：%(cur)s，应为：%(ok)s）")
            % {"label": spec.label, "cur": value, "ok": _choices_text(spec.choices)},
        )
        return None
    return value


def _partners_writer(errors: ErrorCollector, app: Application, rows: list[dict]):
    roles = dict(PARTNER_ROLES)
    seen: set[int] = set()
    cleaned = []
    ids = []
    for row in rows:
        with contextlib.suppress(TypeError, ValueError):
            ids.append(int(row.get("organization_id")))
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=ids, is_active=True)}
    for i, row in enumerate(rows):
        field = f"partners[{i}]"
        try:
            org_id = int(row.get("organization_id"))
        except (TypeError, ValueError):
            org_id = None
        org = orgs.get(org_id) if org_id is not None else None
        if org is None:
            errors.add(
                f"{field}.organization_id",
                "partners.unknown_organization",
                _("找不到该单位（当前：%(cur)s），请从单位名录中选择") % {"cur": row.get("organization_id")},
            )
        elif org.pk == app.applicant_id:
            errors.add(
                f"{field}.organization_id",
                "partners.applicant_listed",
                _("申报单位本身是牵头单位，不必列为共建单位（当前：%(name)s）") % {"name": org.name},
            )
        elif org.pk in seen:
            errors.add(
                f"{field}.organization_id",
                "partners.duplicate",
                _("共建单位“%(name)s”重复出现") % {"name": org.name},
            )
        else:
            seen.add(org.pk)
        role = row.get("role") or ""
        if role not in roles:
            errors.add(
                f"{field}.role",
                "partners.unknown_role",
                _("共建单位角色无效（当前：%(cur)s，应为：%(ok)s）")
                % {"cur": role, "ok": _choices_text(PARTNER_ROLES)},
            )
        amount = None
        raw_amount = row.get("contribution_amount")
        if raw_amount not in (None, ""):
            amount = parse_amount(errors, f"{field}.contribution_amount", raw_amount, label=_("承诺投入"))
        cleaned.append((org_id, role, str(row.get("contribution") or "")[:5000], amount))

    def write():
        written = _sync_rows(
            Partner,
            app,
            "partners",
            ("organization_id",),
            [
                {
                    "organization_id": o,
                    "role": r,
                    "contribution": c,
                    "contribution_amount": a,
                    "position": n,
                }
                for n, (o, r, c, a) in enumerate(cleaned)
            ],
        )
        for partner in written["partners"]:
            partner.organization = orgs[partner.organization_id]
        return written

    return write


def _programmes_writer(errors: ErrorCollector, app: Application, codes: list):
    call = app.call
    wanted = [str(c or "").strip().upper() for c in codes]
    qs = Programme.objects.filter(code__in=wanted)
    if call.catalogue_edition_id:  # the call's edition, by its id: read in full only to name it
        qs = qs.filter(edition_id=call.catalogue_edition_id)
    else:
        edition = catalogue_edition_for(call)
        if edition is not None:
            qs = qs.filter(edition=edition)
    known = dict(qs.values_list("code", "name"))
    seen: set[str] = set()
    for i, code in enumerate(wanted):
        if code not in known:
            errors.add(
                f"programmes[{i}]",
                "programme.unknown_code",
                _("专业代码不在%(edition)s中（当前：%(cur)s）")
                % {"edition": catalogue_edition_for(call) or _("专业目录"), "cur": code or _("空")},
            )
        elif code in seen:
            errors.add(
                f"programmes[{i}]", "programme.duplicate", _("专业 %(code)s 重复出现") % {"code": code}
            )
        seen.add(code)

    def write():
        return _sync_rows(
            ProgrammeChoice,
            app,
            "programmes",
            ("code",),
            [{"code": c, "name": known.get(c, ""), "position": n} for n, c in enumerate(wanted)],
        )

    return write


def _tasks_writer(errors: ErrorCollector, app: Application, rows: list[dict]):
    specs = {t.code: t for t in app.project_type.tasks()}
    years = construction_years(app.project_type)
    seen: set[str] = set()
    cleaned = []
    for i, row in enumerate(rows):
        field = f"tasks[{i}]"
        code = str(row.get("task_code") or "")
        if code not in specs:
            errors.add(
                f"{field}.task_code",
                "tasks.unknown_code",
                _("项目类型没有这项建设任务（当前：%(cur)s，应为：%(ok)s）")
                % {
                    "cur": code or _("空"),
                    "ok": "、".join(f"{t.code}（{t.title}）" for t in specs.values()) or "—",
                },
            )
        elif code in seen:
            errors.add(
                f"{field}.task_code", "tasks.duplicate", _("建设任务 %(code)s 重复出现") % {"code": code}
            )
        seen.add(code)
        targets_in = row.get("yearly_targets") or {}
        targets: dict[str, str] = {}
        if not isinstance(targets_in, dict):
            errors.add(
                f"{field}.yearly_targets", "tasks.targets_invalid", _("年度目标应为“年度: 目标”的对象")
            )
        else:
            for year, text in targets_in.items():
                y = _parse_year(errors, f"{field}.yearly_targets.{year}", year, years)
                if y is not None and str(text or "").strip():
                    targets[str(y)] = str(text).strip()[:5000]
        cleaned.append((code, str(row.get("plan") or "")[:20000], targets))

    def write():
        written = _sync_rows(
            TaskPlan,
            app,
            "tasks",
            ("task_code",),
            [{"task_code": c, "plan": p, "yearly_targets": t} for c, p, t in cleaned],
        )
        return {"tasks": sorted(written["tasks"], key=lambda t: t.task_code)}  # TaskPlan's ordering

    return write


def _budget_writer(errors: ErrorCollector, app: Application, rows: list[dict]):
    sources = allowed_sources(app.project_type)
    kinds = allowed_kinds(app.project_type)
    source_codes, kind_codes = {c for c, _n in sources}, {c for c, _n in kinds}
    source_names, kind_names = dict(FUNDING_SOURCES), dict(CONTRIBUTION_KINDS)
    years = construction_years(app.project_type)
    seen: set[tuple] = set()
    cleaned = []
    for i, row in enumerate(rows):
        field = f"budget_lines[{i}]"
        source, kind = str(row.get("source") or ""), str(row.get("kind") or "")
        if source not in source_codes:
            errors.add(
                f"{field}.source",
                "budget.unknown_source",
                _("资金来源无效（当前：%(cur)s，应为：%(ok)s）")
                % {"cur": source or _("空"), "ok": _choices_text(sources)},
            )
        if kind not in kind_codes:
            errors.add(
                f"{field}.kind",
                "budget.unknown_kind",
                _("投入方式无效（当前：%(cur)s，应为：%(ok)s）")
                % {"cur": kind or _("空"), "ok": _choices_text(kinds)},
            )
        year = _parse_year(errors, f"{field}.year", row.get("year"), years)
        label = _("第%(y)s年%(s)s%(k)s投入") % {
            "y": row.get("year"),
            "s": source_names.get(source, source),
            "k": kind_names.get(kind, kind),
        }
        amount = parse_amount(errors, f"{field}.amount", row.get("amount"), label=label)
        key = (year, source, kind)
        if year is not None and key in seen:
            errors.add(
                f"{field}",
                "budget.duplicate_line",
                _("%(label)s出现了两次，请合并为一行") % {"label": label},
            )
        seen.add(key)
        cleaned.append((year, source, kind, amount))

    def write():
        written = _sync_rows(
            BudgetLine,
            app,
            "budget_lines",
            ("year", "source", "kind"),
            [{"year": y, "source": s, "kind": k, "amount": a} for y, s, k, a in cleaned],
        )
        lines = sorted(written["budget_lines"], key=lambda x: (x.year, x.source, x.kind))
        return {"budget_lines": lines}  # BudgetLine's ordering

    return write


def _kpis_writer(errors: ErrorCollector, app: Application, rows: list[dict]):
    specs = {k.code: k for k in app.project_type.kpis()}
    years = construction_years(app.project_type)
    seen: set[tuple] = set()
    cleaned = []
    for i, row in enumerate(rows):
        field = f"kpis[{i}]"
        code = str(row.get("kpi_code") or "")
        if code not in specs:
            errors.add(
                f"{field}.kpi_code",
                "kpis.unknown_code",
                _("项目类型没有这项绩效指标（当前：%(cur)s，应为：%(ok)s）")
                % {
                    "cur": code or _("空"),
                    "ok": "、".join(f"{k.code}（{k.name}）" for k in specs.values()) or "—",
                },
            )
        year = _parse_year(errors, f"{field}.year", row.get("year"), years)
        name = specs[code].name if code in specs else code
        value = parse_amount(errors, f"{field}.value", row.get("value"), label=name)
        if year is not None and (code, year) in seen:
            errors.add(
                field, "kpis.duplicate", _("%(name)s第%(y)s年的目标出现了两次") % {"name": name, "y": year}
            )
        seen.add((code, year))
        cleaned.append((code, year, value))

    def write():
        written = _sync_rows(
            KpiTarget,
            app,
            "kpis",
            ("kpi_code", "year"),
            [{"kpi_code": c, "year": y, "value": v} for c, y, v in cleaned],
        )
        return {"kpis": sorted(written["kpis"], key=lambda k: (k.kpi_code, k.year))}  # KpiTarget's ordering

    return write


def _signers_allowed(app: Application) -> set[int]:
    return {app.applicant_id, *app.partners.values_list("organization_id", flat=True)}


def _attachments_writer(errors: ErrorCollector, app: Application, rows: list[dict]):
    """Who signed each attached file: the applicant and its partners only."""
    existing = {a.pk: a for a in app.attachments.all()}
    allowed = _signers_allowed(app)
    cleaned = []
    for i, row in enumerate(rows):
        field = f"attachments[{i}]"
        try:
            pk = int(row.get("id"))
        except (TypeError, ValueError):
            pk = None
        if pk not in existing:
            errors.add(
                f"{field}.id",
                "attachments.unknown",
                _("该申报书没有这个附件（当前：%(cur)s）") % {"cur": row.get("id")},
            )
            continue
        signers = []
        for j, org_id in enumerate(row.get("signed_by") or []):
            try:
                org_id = int(org_id)
            except (TypeError, ValueError):
                org_id = None
            if org_id not in allowed:
                errors.add(
                    f"{field}.signed_by[{j}]",
                    "attachments.signer_not_party",
                    _("签署单位应为申报单位或共建单位（当前：%(cur)s）") % {"cur": row.get("signed_by")[j]},
                )
            else:
                signers.append(org_id)
        cleaned.append((existing[pk], signers))

    def write():
        for attachment, signers in cleaned:
            attachment.signed_by.set(signers)

    return write


def application_attach(
    *, actor: Actor, application: Application, spec_code: str, file, signed_by: Iterable[int] = ()
) -> ApplicationAttachment:
    """Stores a file (type and size checked by core) as one of the project type's attachments."""
    with transaction.atomic():
        app = _lock(application)
        require_party(actor, app, (workflow.APPLICANT,), "edit")
        _require_editable(app)
        specs = {a.code: a for a in app.project_type.attachments()}
        errors = ErrorCollector()
        if spec_code not in specs:
            errors.add(
                "spec_code",
                "attachments.unknown_spec",
                _("附件类别无效（当前：%(cur)s，应为：%(ok)s）")
                % {
                    "cur": spec_code or _("空"),
                    "ok": "、".join(f"{s.code}（{s.name}）" for s in specs.values()) or "—",
                },
            )
        allowed = _signers_allowed(app) if signed_by else set()  # no signers: no parties to read
        signers = []
        for j, org_id in enumerate(signed_by or ()):
            try:
                org_id = int(org_id)
            except (TypeError, ValueError):
                org_id = None
            if org_id not in allowed:
                errors.add(
                    f"signed_by[{j}]",
                    "attachments.signer_not_party",
                    _("签署单位应为申报单位或共建单位（当前：%(cur)s）") % {"cur": org_id},
                )
            else:
                signers.append(org_id)
        errors.raise_if_any()
        before = snapshot(app, AUDITED_FIELDS)
        stored = attachment_store(actor=actor, file=file, owner_organization=app.applicant)
        link = ApplicationAttachment.objects.create(
            application=app, attachment=stored, spec_code=spec_code, uploaded_by=actor.user
        )
        if signers:  # a new link has no signers yet: add them, nothing to compare
            link.signed_by.add(*signers)
        _bump(app)
        app.save()
        _record(actor, "attach", app, before, attachment=stored.pk, spec_code=spec_code)
    application.row_version = app.row_version
    return link


def application_detach(*, actor: Actor, application: Application, link_id: int) -> None:
    with transaction.atomic():
        app = _lock(application)
        require_party(actor, app, (workflow.APPLICANT,), "edit")
        _require_editable(app)
        link = app.attachments.filter(pk=link_id).first()
        if link is None:
            raise ValidationFailed.single(
                "id", "attachments.unknown", _("该申报书没有这个附件（当前：%(cur)s）") % {"cur": link_id}
            )
        before = snapshot(app, AUDITED_FIELDS)
        link.delete()
        _bump(app)
        app.save()
        _record(actor, "detach", app, before, attachment=link.attachment_id)
    application.row_version = app.row_version


# --- submitting -------------------------------------------------------------------------------


def structural_errors(app: Application) -> list[FieldError]:
    """What this app itself requires of a submission, beside the pack's rules."""
    errors = ErrorCollector()
    if not app.title.strip():
        errors.add("title", "application.title_required", _("请填写项目名称（当前：空）"))
    for task in app.tasks.all():
        if not task.plan.strip():
            errors.add(
                f"tasks.{task.task_code}.plan",
                "tasks.plan_missing",
                _("建设任务 %(code)s 须填写建设内容与举措（当前：空）") % {"code": task.task_code},
            )
    if not app.budget_lines.exists():
        errors.add("budget", "budget.empty", _("请填写预算（当前：没有任何预算明细）"))
    return errors.errors


def submission_errors(app: Application, *, now: dt.datetime | None = None) -> list[FieldError]:
    """Every broken rule of the pack and every structural gap, each once."""
    facts = _facts(app, now=now, other=_other_live(app))
    found = _evaluate(app.call, app.project_type, facts) + structural_errors(app)
    unique: list[FieldError] = []
    seen: set[tuple[str, str, str]] = set()
    for error in found:
        key = (error.field, error.code, error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique


def application_submit(
    *, actor: Actor, application: Application, expected_version: int, idempotency_key: str | None = None
) -> ApplicationVersion:
    """Submits (or resubmits) the application as a new immutable version.

    The same Idempotency-Key answers the version it made the first time; a stale `expected_version`
    is refused (409); a broken rule refuses with every broken rule at once (422).
    """
    return application_submit_once(
        actor=actor,
        application=application,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
    )[0]


def application_submit_once(
    *, actor: Actor, application: Application, expected_version: int, idempotency_key: str | None = None
) -> tuple[ApplicationVersion, bool]:
    """`application_submit`, and whether this call made the version (False: the key's earlier one)."""
    key = (idempotency_key or "").strip()[:128] or None
    versions = ApplicationVersion.objects.filter(application=OuterRef("pk")).order_by()
    with transaction.atomic():
        # The row, locked, with its last version number and the version this key made, if any.
        app = _lock(
            application,
            _last_number=Subquery(versions.order_by("-number").values("number")[:1]),
            _replayed=Subquery(versions.filter(idempotency_key=key).values("pk")[:1])
            if key is not None
            else Value(None, output_field=BigIntegerField()),
        )
        require_party(actor, app, (workflow.APPLICANT,), "submit")
        if app._replayed is not None:
            replayed = ApplicationVersion.objects.select_related("submitted_by").defer("snapshot")
            return replayed.get(pk=app._replayed), False
        _check_expected_version(app, expected_version)
        from_status = app.status
        transition = workflow.transition_for(app.status, "submit")
        now = timezone.now()
        snapshots.prefetch_sections(app)  # read once for the rules, the checks and the snapshot
        errors = submission_errors(app, now=now)
        if errors:
            raise ValidationFailed(errors)
        before = snapshot(app, AUDITED_FIELDS)
        number = (app._last_number or 0) + 1
        content = snapshots.build(app)
        version = ApplicationVersion.objects.create(
            application=app,
            number=number,
            snapshot=content,
            submitted_at=now,
            submitted_by=actor.user,
            idempotency_key=key,
        )
        app.status = transition.target
        app.submitted_at = now
        app.first_submitted_at = app.first_submitted_at or now
        _bump(app)
        app.save()
        _event(actor, app, "submit", from_status, note=_("第%(n)s版") % {"n": number})
        _record(actor, "submit", app, before, version=number)
    application.__dict__.update({k: v for k, v in app.__dict__.items() if not k.startswith("_")})
    return version, True


# --- the chain after submission ---------------------------------------------------------------


def _move(
    *,
    actor: Actor,
    application: Application,
    action: str,
    expected_version: int | None = None,
    change=None,
    note: str = "",
    audit_extra: dict | None = None,
) -> Application:
    with transaction.atomic():
        app = _lock(application)
        transition = workflow.transition_for(app.status, action)
        require_party(actor, app, transition.who, action)
        _check_expected_version(app, expected_version)
        before = snapshot(app, AUDITED_FIELDS)
        from_status = app.status
        if change is not None:
            change(app)
        app.status = transition.target
        _bump(app)
        app.save()
        _event(actor, app, action, from_status, note=note)
        _record(actor, action, app, before, **(audit_extra or {}))
    application.__dict__.update({k: v for k, v in app.__dict__.items() if not k.startswith("_")})
    return app


def application_move(
    *, actor: Actor, application: Application, action: str, note: str = "", audit_extra: dict | None = None
) -> Application:
    """A step of the lifecycle made by a later stage (review: recommend, not_recommend, publicise;
    projects: award, reject), along `workflow.TRANSITIONS` only, with its event and audit entry.
    Call it inside the caller's transaction so that the stage's own records and the step land
    together or not at all."""
    return _move(actor=actor, application=application, action=action, note=note, audit_extra=audit_extra)


def _first_check(actor: Actor, application: Application, action: str) -> None:
    """Who may, before what the state allows: a wrong role is 403 whatever the state."""
    who = {w for t in workflow.TRANSITIONS if t.action == action for w in t.who}
    require_party(actor, application, tuple(sorted(who)), action)


def application_withdraw(
    *, actor: Actor, application: Application, expected_version: int | None = None
) -> Application:
    """The applicant takes its application back before the call closes for it; this frees its slot."""
    _first_check(actor, application, "withdraw")
    now = timezone.now()
    if not application.call.is_open_for(application.applicant_id, now):
        raise ConflictError.single(
            "call",
            "call.closed",
            _("申报已截止，不能撤回（截止时间：%(deadline)s）")
            % {
                "deadline": timezone.localtime(
                    application.call.deadline_for(application.applicant_id)
                ).strftime("%Y-%m-%d %H:%M")
            },
        )

    def change(app):
        app.slot = None
        app.city_rank = None
        app.withdrawn_at = now

    return _move(
        actor=actor,
        application=application,
        action="withdraw",
        expected_version=expected_version,
        change=change,
    )


def _clean_reasons(reasons: Iterable[str] | str) -> list[str]:
    if isinstance(reasons, str):
        reasons = reasons.splitlines()
    cleaned = [str(r).strip() for r in reasons if str(r or "").strip()]
    if not cleaned:
        raise ValidationFailed.single("reasons", "return.reasons_required", _("请写明退回理由（当前：空）"))
    return cleaned


def application_return(
    *,
    actor: Actor,
    application: Application,
    reasons: Iterable[str] | str,
    expected_version: int | None = None,
) -> Application:
    """City staff (their city) or province staff return an application for correction, with reasons."""
    _first_check(actor, application, "return")
    cleaned = _clean_reasons(reasons)

    def change(app):
        last = app.versions.aggregate(n=Max("number"))["n"]
        ReturnNote.objects.create(
            application=app,
            reasons=cleaned,
            from_status=app.status,
            version_number=last,
            returned_by=actor.user,
            returned_by_org=str(actor.organization or "")[:128],
        )
        app.city_rank = None
        app.endorsed_at = None
        app.endorsed_by = None

    return _move(
        actor=actor,
        application=application,
        action="return",
        expected_version=expected_version,
        change=change,
        note="；".join(cleaned),
        audit_extra={"reasons": cleaned},
    )


def city_return(*, actor: Actor, application: Application, reasons: Iterable[str] | str) -> Application:
    if workflow.CITY not in parties(actor, application):
        raise Forbidden(_("只有申报单位所在市的教育部门可以退回"))
    return application_return(actor=actor, application=application, reasons=reasons)


def city_endorse(
    *, actor: Actor, application: Application, rank: int, expected_version: int | None = None
) -> Application:
    """City staff recommend a submitted application to the province, ranked, within the city's quota.

    The quota is the call's CityQuota for the applicant's city; a city without one has no cap.
    """
    _first_check(actor, application, "endorse")
    try:
        rank = int(rank)
    except (TypeError, ValueError):
        rank = 0
    if rank < 1:
        raise ValidationFailed.single(
            "rank", "endorse.rank_invalid", _("推荐排序应为从 1 开始的整数（当前：%(cur)s）") % {"cur": rank}
        )

    def change(app):
        quota = (
            CityQuota.objects.select_for_update().filter(call_id=app.call_id, city_id=app.city_code).first()
        )
        endorsed = Application.objects.filter(
            call_id=app.call_id, city_code=app.city_code, city_rank__isnull=False
        ).exclude(pk=app.pk)
        errors = ErrorCollector()
        if quota is not None:
            used = endorsed.count()
            if used >= quota.quota:
                errors.add(
                    "rank",
                    "endorse.over_quota",
                    _("%(city)s的推荐名额已用完（已推荐：%(used)s项，名额：%(quota)s项）")
                    % {"city": quota.city, "used": used, "quota": quota.quota},
                )
            elif rank > quota.quota:
                errors.add(
                    "rank",
                    "endorse.rank_invalid",
                    _("推荐排序超出名额（当前：%(cur)s，应为 1 至 %(quota)s）")
                    % {"cur": rank, "quota": quota.quota},
                )
        taken = endorsed.filter(city_rank=rank).first()
        if taken is not None:
            errors.add(
                "rank",
                "endorse.rank_taken",
                _("推荐排序第%(rank)s位已给了“%(other)s”，请换一个位次") % {"rank": rank, "other": taken},
            )
        errors.raise_if_any()
        app.city_rank = rank
        app.endorsed_at = timezone.now()
        app.endorsed_by = actor.user

    try:
        return _move(
            actor=actor,
            application=application,
            action="endorse",
            expected_version=expected_version,
            change=change,
            note=_("推荐排序第%(rank)s位") % {"rank": rank},
        )
    except IntegrityError:
        raise ValidationFailed.single(
            "rank", "endorse.rank_taken", _("推荐排序第%(rank)s位已被占用，请换一个位次") % {"rank": rank}
        ) from None


def province_accept_into_review(
    *, actor: Actor, application: Application, expected_version: int | None = None
) -> Application:
    """Province staff take an endorsed application into review (its eligibility check passed)."""
    _first_check(actor, application, "accept")

    def change(app):
        app.accepted_at = timezone.now()

    return _move(
        actor=actor,
        application=application,
        action="accept",
        expected_version=expected_version,
        change=change,
    )


def province_declare_ineligible(
    *, actor: Actor, application: Application, reasons: Iterable[str] | str
) -> Application:
    _first_check(actor, application, "declare_ineligible")
    cleaned = _clean_reasons(reasons)
    return _move(
        actor=actor,
        application=application,
        action="declare_ineligible",
        note="；".join(cleaned),
        audit_extra={"reasons": cleaned},
    )


# --- the call's received list -----------------------------------------------------------------


def received_list_publish(*, actor: Actor, call: Call) -> CallPublication:
    """Province staff publish what the call received: the public page lists it from now on."""
    if not actor.is_province_staff or call_province(call) != actor.province_prefix:
        raise Forbidden(_("只有本省省级管理员可以公开受理名单"))
    with transaction.atomic():
        publication, created = CallPublication.objects.get_or_create(
            call=call,
            defaults={"received_list_published_at": timezone.now(), "published_by": actor.user},
        )
        if created:
            audit_record(
                actor=actor,
                action="application.received_list_publish",
                obj=call,
                changes={"received_list_published_at": [None, publication.received_list_published_at]},
            )
    return publication
