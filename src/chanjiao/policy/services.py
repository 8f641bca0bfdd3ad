"""Every write of the policy app: loading packs, editing indicator systems, opening and running calls.

Each is one transaction, permission checked, with an audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, ValidationFailed
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor

from .models import Call, CityQuota, DeadlineExtension, Indicator, IndicatorSystem, PolicyPack, ProjectType
from .permissions import require_call_writer, require_province_staff_of
from .schema import (
    IndicatorDoc,
    IndicatorSystemDoc,
    PackDoc,
    PackInvalid,
    pack_content,
    parse_yaml,
    validate_indicator_system_data,
    validate_pack_data,
)

PACKS_DIR = Path(__file__).resolve().parent / "packs"


# --- loading packs --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    pack: PolicyPack
    created: bool  # False: this version was loaded before with the same content


def pack_errors(exc: PackInvalid) -> list[FieldError]:
    """A refused pack's problems as the platform's errors: the path in `field`, the line in the message."""
    errors = []
    for e in exc.errors:
        if not e.path:
            errors.append(FieldError("file", "pack.yaml_syntax", _("%(msg)s") % {"msg": e.message}))
        elif e.line:
            errors.append(
                FieldError(
                    e.path, "pack.schema", _("%(msg)s（第%(line)d行）") % {"msg": e.message, "line": e.line}
                )
            )
        else:
            errors.append(FieldError(e.path, "pack.schema", _("%(msg)s（文件中）") % {"msg": e.message}))
    return errors


def pack_check(*, text: str) -> PackDoc:
    """The validated pack, or ValidationFailed with every problem (path, line, Chinese message)."""
    try:
        data, root = parse_yaml(text)
        return validate_pack_data(data, root)
    except PackInvalid as exc:
        raise ValidationFailed(pack_errors(exc)) from None


def content_sha256(content: Mapping[str, Any]) -> str:
    """The hash of the validated document, so comments and layout of the file do not count as a change."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def pack_load(
    *, actor: Actor | None = None, path: str | Path | None = None, text: str | None = None
) -> LoadResult:
    """Validates a pack file and stores it as a new version (the current one for its code).

    Loading a version again with the same content changes nothing; with different content it is
    refused: a version, once loaded, is what running calls were opened with.
    `actor=None` is the operator at the command line; a person must be province staff of the pack's
    province.
    """
    if (path is None) == (text is None):
        raise ValueError("pack_load takes a path or a text")
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.single("file", "pack.encoding", _("文件不是 UTF-8 编码的 YAML")) from None
    assert text is not None
    doc = pack_check(text=text)
    if actor is not None:
        require_province_staff_of(actor, doc.region, _("载入本省的政策包"))
    content = pack_content(doc)
    digest = content_sha256(content)
    with transaction.atomic():
        region = Region.objects.filter(code=doc.region).first()
        if region is None:
            raise ValidationFailed.single(
                "region",
                "pack.region_unknown",
                _("未知的行政区划代码（当前：%(cur)s），请先导入行政区划") % {"cur": doc.region},
            )
        existing = PolicyPack.objects.select_for_update().filter(code=doc.code, version=doc.version).first()
        if existing is not None:
            if existing.sha256 == digest:
                return LoadResult(existing, created=False)
            raise ConflictError.single(
                "version",
                "pack.version_conflict",
                _("政策包 %(code)s 的版本 %(version)s 已载入且内容不同；修改后的政策包须使用新的版本号")
                % {"code": doc.code, "version": doc.version},
            )
        previous = PolicyPack.objects.select_for_update().filter(code=doc.code, is_current=True).first()
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        pack = PolicyPack.objects.create(
            code=doc.code,
            version=doc.version,
            name=doc.name,
            short_name=doc.short_name,
            issuer=doc.issuer,
            region=region,
            content=content,
            sha256=digest,
            is_current=True,
            loaded_by=getattr(actor, "user", None),
        )
        _store_project_types(pack, content)
        for system in doc.indicator_systems:
            _store_indicator_system(pack, system, version=1, actor=actor)
        audit_record(
            actor=actor,
            action="policy_pack.load",
            obj=pack,
            changes={
                "code": [None, pack.code],
                "version": [previous.version if previous else None, pack.version],
                "sha256": [previous.sha256 if previous else None, digest],
                "project_types": [None, len(doc.project_types)],
                "indicator_systems": [None, len(doc.indicator_systems)],
            },
        )
    return LoadResult(pack, created=True)


def _store_project_types(pack: PolicyPack, content: dict[str, Any]) -> None:
    programmes = {p["code"]: p["name"] for p in content.get("programmes", [])}
    ProjectType.objects.bulk_create(
        [
            ProjectType(
                pack=pack,
                code=pt["code"],
                name=pt["name"],
                programme_code=pt.get("programme") or "",
                programme_name=programmes.get(pt.get("programme") or "", ""),
                target_count=(pt.get("target") or {}).get("count"),
                position=position,
                spec=pt,
            )
            for position, pt in enumerate(content["project_types"], start=1)
        ]
    )


def _condition(cond) -> dict[str, Any]:
    data: dict[str, Any] = {"input": cond.input}
    if cond.min is not None:
        data["min"] = cond.min
    if cond.equals is not None:
        data["equals"] = cond.equals
    return data


def _store_indicator_system(
    pack: PolicyPack,
    doc: IndicatorSystemDoc,
    *,
    version: int,
    actor: Actor | None,
    previous: IndicatorSystem | None = None,
) -> IndicatorSystem:
    system = IndicatorSystem.objects.create(
        pack=pack,
        code=doc.code,
        version=version,
        name=doc.name,
        purpose=doc.purpose,
        project_type_codes=list(doc.project_types),
        total=doc.total,
        inputs=[i.model_dump(mode="json") for i in doc.inputs],
        is_default=doc.default,
        source_section=doc.source.section,
        note=doc.note,
        is_current=True,
        previous=previous,
        created_by=getattr(actor, "user", None),
    )
    # Positions in reading order (depth first, as the page and the file show the tree), then one
    # insert per level of the tree (parents first, so children know their parent's id).
    positions: dict[int, int] = {}

    def number(nodes: list[IndicatorDoc]) -> None:
        for node in nodes:
            positions[id(node)] = len(positions) + 1
            number(node.children)

    number(doc.indicators)
    level_nodes: list[tuple[IndicatorDoc, Indicator | None, bool]] = [
        (n, None, False) for n in doc.indicators
    ]
    level = 1
    while level_nodes:
        batch, next_nodes = [], []
        for node, parent, inherited in level_nodes:
            formula: dict[str, Any] = {}
            if node.formula is not None:
                formula = {
                    "input": node.formula.input,
                    "thresholds": [{"min": t.min, "score": str(t.score)} for t in node.formula.thresholds],
                }
            elif node.gate is not None:
                formula = _condition(node.gate)
            row = Indicator(
                system=system,
                parent=parent,
                code=node.code,
                level=level,
                name=node.name,
                description=node.description,
                method=node.method,
                weight=node.weight,
                min_score=node.range[0] if node.range else None,
                max_score=node.range[1] if node.range else None,
                formula=formula,
                is_default=node.default or inherited,
                source_section=node.source.section if node.source else "",
                position=positions[id(node)],
            )
            batch.append((node, row, node.default or inherited))
        Indicator.objects.bulk_create([row for _node, row, _inherited in batch])
        for node, row, inherited in batch:
            next_nodes.extend((child, row, inherited) for child in node.children)
        level_nodes, level = next_nodes, level + 1
    Indicator.objects.bulk_create(
        [
            Indicator(
                system=system,
                code=veto.code,
                level=1,
                name=veto.name,
                method=Indicator.Method.VETO,
                weight=Decimal("0"),
                formula=_condition(veto.condition),
                is_default=veto.default,
                source_section=veto.source.section,
                position=len(positions) + i,
            )
            for i, veto in enumerate(doc.vetoes, start=1)
        ]
    )
    return system


def load_shipped_packs() -> Iterator[str]:
    """Loads the packs the product ships (packs/*.yaml) idempotently; yields a line per pack.

    For `make demo` and fresh installs: call it after the regions seed (packs name their region).
    """
    for path in sorted(PACKS_DIR.glob("*.yaml")):
        result = pack_load(path=path)
        state = _("已载入") if result.created else _("无变化")
        yield f"{result.pack.name}（{result.pack.code} {result.pack.version}）：{state}"


# --- indicator systems ------------------------------------------------------------------------


def indicator_system_document(system: IndicatorSystem) -> dict[str, Any]:
    """The system in the form a pack writes it (the edit form starts from this)."""
    rows = list(system.indicators.order_by("position", "id"))
    children: dict[int | None, list[Indicator]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def number(value: Decimal) -> int | str:
        return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")

    def node(row: Indicator) -> dict[str, Any]:
        data: dict[str, Any] = {"code": row.code, "name": row.name, "weight": number(row.weight)}
        if row.method != Indicator.Method.GROUP:
            data["method"] = row.method
        if row.min_score is not None and row.max_score is not None:
            data["range"] = [number(row.min_score), number(row.max_score)]
        if row.method == Indicator.Method.FORMULA:
            data["formula"] = row.formula
        if row.method == Indicator.Method.GATE:
            data["gate"] = row.formula
        if row.description:
            data["description"] = row.description
        if row.source_section:
            data["source"] = {"section": row.source_section}
        if row.is_default:
            data["default"] = True
        kids = children.get(row.pk, [])
        if kids:
            data["children"] = [node(k) for k in kids]
        return data

    roots = [r for r in children.get(None, []) if r.method != Indicator.Method.VETO]
    vetoes = [r for r in children.get(None, []) if r.method == Indicator.Method.VETO]
    document: dict[str, Any] = {
        "code": system.code,
        "name": system.name,
        "purpose": system.purpose,
        "project_types": list(system.project_type_codes),
        "total": number(system.total),
        "default": system.is_default,
        "note": system.note,
        "source": {"section": system.source_section or "—"},
        "inputs": list(system.inputs),
        "indicators": [node(r) for r in roots],
        "vetoes": [
            {
                "code": v.code,
                "name": v.name,
                "condition": v.formula,
                "source": {"section": v.source_section or "—"},
                **({"default": True} if v.is_default else {}),
            }
            for v in vetoes
        ],
    }
    return document


def indicator_system_edit(
    *, actor: Actor, system: IndicatorSystem, text: str | None = None, data: dict[str, Any] | None = None
) -> IndicatorSystem:
    """Saves an edited indicator system as its next version; the earlier versions stay as they were.

    `text` is the system as YAML (the page's editor), `data` the same as a mapping (the API). The
    code, purpose and project types are the system's own and cannot change. A version saved by
    province staff is theirs, no longer the platform's default (items the document still marks
    `default: true` keep their mark).
    """
    require_province_staff_of(actor, system.pack.region_id, _("修改本省政策包的指标体系"))
    if (text is None) == (data is None):
        raise ValueError("indicator_system_edit takes a text or a data mapping")
    try:
        if text is not None:
            data, root = parse_yaml(text)
        else:
            root = None
        if isinstance(data, dict):
            data = {
                **data,
                "code": system.code,
                "purpose": system.purpose,
                "project_types": list(system.project_type_codes),
            }
            data.setdefault("source", {"section": system.source_section or "—"})
            # saved by the province's staff, the system is theirs: no longer the platform's default
            data["default"] = False
        doc = validate_indicator_system_data(data, root)
    except PackInvalid as exc:
        raise ValidationFailed(pack_errors(exc)) from None
    with transaction.atomic():
        current = (
            IndicatorSystem.objects.select_for_update()
            .filter(pack_id=system.pack_id, code=system.code, is_current=True)
            .first()
        )
        if current is not None and current.pk != system.pk:
            raise ConflictError.single(
                "version",
                "indicator_system.stale",
                _("该指标体系已有更新的版本（第%(v)d版），请在最新版本上修改") % {"v": current.version},
            )
        latest = (
            IndicatorSystem.objects.filter(pack_id=system.pack_id, code=system.code).aggregate(
                v=Max("version")
            )["v"]
            or 0
        )
        system.is_current = False
        system.save(update_fields=["is_current"])
        new = _store_indicator_system(system.pack, doc, version=latest + 1, actor=actor, previous=system)
        audit_record(
            actor=actor,
            action="indicator_system.edit",
            obj=new,
            changes={
                "version": [system.version, new.version],
                "name": [system.name, new.name],
                "is_default": [system.is_default, new.is_default],
                "indicators": [system.indicators.count(), new.indicators.count()],
            },
        )
    return new


# --- calls --------------------------------------------------------------------------------------

CALL_FIELDS = (
    "title",
    "description",
    "opens_at",
    "closes_at",
    "limit_per_applicant",
    "start_batch",
    "catalogue_edition_id",
    "status",
    "published_at",
)


def _aware(value: Any) -> dt.datetime | None:
    """A datetime from a value (ISO text or a datetime); a time without offset is Beijing time."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValueError(value)
        value = parsed
    if not isinstance(value, dt.datetime):
        raise ValueError(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


def _call_check(
    data: dict[str, Any], *, pack: PolicyPack, instance: Call | None = None
) -> tuple[ErrorCollector, dict[str, Any]]:
    """Every problem with a call's values; returns the errors and the cleaned values."""
    from chanjiao.catalog.models import CatalogueEdition

    errors = ErrorCollector()
    clean: dict[str, Any] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors.add("title", "required", _("标题不能为空"))
    elif len(title) > 255:
        errors.add(
            "title", "call.title_too_long", _("标题最多255个字（当前：%(n)d个字）") % {"n": len(title)}
        )
    clean["title"] = title
    clean["description"] = (data.get("description") or "").strip()

    times = {}
    for field, label in (("opens_at", _("开始时间")), ("closes_at", _("截止时间"))):
        try:
            times[field] = _aware(data.get(field))
        except (ValueError, TypeError):
            errors.add(
                field,
                "call.time_invalid",
                _("%(label)s格式不正确（当前：%(cur)s，应为如 2026-03-01T17:00:00+08:00）")
                % {"label": label, "cur": data.get(field)},
            )
            times[field] = None
            continue
        if times[field] is None:
            errors.add(field, "required", _("%(label)s不能为空") % {"label": label})
    opens, closes = times.get("opens_at"), times.get("closes_at")
    if opens and closes and closes <= opens:
        errors.add(
            "closes_at",
            "call.closes_before_opens",
            _("截止时间应晚于开始时间（当前：开始 %(opens)s，截止 %(closes)s，北京时间）")
            % {
                "opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
                "closes": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M"),
            },
        )
    clean["opens_at"], clean["closes_at"] = opens, closes

    # project types: codes (or ids) of the call's pack version
    types = list(pack.project_types.all())
    by_code = {t.code: t for t in types}
    by_id = {t.pk: t for t in types}
    chosen: list[ProjectType] = []
    wanted = data.get("project_types")
    if wanted is None and instance is not None:
        chosen = list(instance.project_types.all())
    else:
        unknown = False
        for value in wanted or []:
            pt = by_code.get(str(value))
            if pt is None and str(value).isdigit():
                pt = by_id.get(int(value))
            if pt is None:
                unknown = True
                errors.add(
                    "project_types",
                    "call.project_type_not_in_pack",
                    _("项目类型“%(cur)s”不在政策包“%(pack)s”（版本 %(version)s）中（应为：%(ok)s）")
                    % {
                        "cur": value,
                        "pack": pack.name,
                        "version": pack.version,
                        "ok": "、".join(f"{t.code}（{t.name}）" for t in types),
                    },
                )
            elif pt not in chosen:
                chosen.append(pt)
        if not chosen and not unknown:
            errors.add("project_types", "required", _("至少选择一个项目类型"))
    clean["project_types"] = chosen

    try:
        limit = _int(data.get("limit_per_applicant"))
    except (ValueError, TypeError):
        limit = -1
    if limit is None:
        limits = [t.limit_per_applicant for t in chosen if t.limit_per_applicant]
        limit = min(limits) if limits else 1
    if limit < 1:
        errors.add(
            "limit_per_applicant",
            "call.limit_invalid",
            _("每单位限报数应为不小于1的整数（当前：%(cur)s）") % {"cur": data.get("limit_per_applicant")},
        )
    clean["limit_per_applicant"] = limit

    try:
        batch = _int(data.get("start_batch"))
    except (ValueError, TypeError):
        batch = -1
    batches = max((int((t.spec.get("review") or {}).get("start_batches") or 1) for t in chosen), default=1)
    if batch is not None and not 1 <= batch <= batches:
        errors.add(
            "start_batch",
            "call.start_batch_out_of_range",
            _("启动批次应在1至%(max)d之间（当前：%(cur)s）")
            % {"max": batches, "cur": data.get("start_batch")},
        )
    clean["start_batch"] = batch

    edition_code = data.get("catalogue_edition")
    edition = None
    if edition_code:
        edition = CatalogueEdition.objects.filter(code=str(edition_code)).first()
        if edition is None:
            errors.add(
                "catalogue_edition",
                "call.catalogue_edition_unknown",
                _("专业目录版本“%(cur)s”不存在") % {"cur": edition_code},
            )
    elif instance is not None and "catalogue_edition" not in data:
        edition = instance.catalogue_edition
    else:
        edition = CatalogueEdition.objects.filter(is_current=True).first()
    clean["catalogue_edition_id"] = edition.pk if edition is not None else None

    quotas = data.get("quotas")
    clean_quotas: dict[str, int] | None = None
    if quotas is not None:
        clean_quotas = {}
        items = quotas.items() if isinstance(quotas, Mapping) else []
        cities = {
            r.code: r
            for r in Region.objects.filter(
                code__in=[str(k) for k, _v in items],
                level=Region.Level.CITY,
                code__startswith=pack.region_id[:2],
            )
        }
        for key, value in items:
            code = str(key)
            field = f"quotas.{code}"
            if code not in cities:
                errors.add(
                    field,
                    "call.quota_city_unknown",
                    _("推荐名额的城市应为%(province)s的地级市代码（当前：%(cur)s）")
                    % {"province": pack.region.name, "cur": code},
                )
                continue
            try:
                amount = _int(value)
            except (ValueError, TypeError):
                amount = None
            if amount is None:
                errors.add(
                    field, "call.quota_invalid", _("推荐名额应为整数（当前：%(cur)s）") % {"cur": value}
                )
            elif amount < 0:
                errors.add(
                    field,
                    "call.quota_negative",
                    _("%(city)s的推荐名额不能为负数（当前：%(cur)d）")
                    % {"city": cities[code].name, "cur": amount},
                )
            else:
                clean_quotas[code] = amount
    clean["quotas"] = clean_quotas
    return errors, clean


def _quota_snapshot(call: Call) -> dict[str, int]:
    return {q.city_id: q.quota for q in call.quotas.all()}


def _call_snapshot(call: Call) -> dict[str, Any]:
    data = snapshot(call, CALL_FIELDS)
    data["project_types"] = sorted(call.project_types.values_list("code", flat=True))
    data["quotas"] = _quota_snapshot(call)
    return data


def _save_quotas(call: Call, quotas: dict[str, int] | None) -> None:
    if quotas is None:
        return
    call.quotas.exclude(city_id__in=list(quotas)).delete()
    for city, quota in quotas.items():
        CityQuota.objects.update_or_create(call=call, city_id=city, defaults={"quota": quota})


def call_create(*, actor: Actor, pack: PolicyPack, data: dict[str, Any]) -> Call:
    """A draft call from a pack version: project types, times, limit, start batch, quotas per city."""
    require_call_writer(actor)
    require_province_staff_of(actor, pack.region_id, _("发布本省政策包的申报通知"))
    errors, clean = _call_check(data, pack=pack)
    errors.raise_if_any()
    with transaction.atomic():
        call = Call(
            pack=pack,
            created_by=actor.user,
            **{k: clean[k] for k in CALL_FIELDS if k in clean and k not in {"status", "published_at"}},
        )
        call.save()
        call.project_types.set(clean["project_types"])
        _save_quotas(call, clean["quotas"] or {})
        audit_record(actor=actor, action="call.create", obj=call, changes=diff({}, _call_snapshot(call)))
    return call


def call_update(*, actor: Actor, call: Call, data: dict[str, Any]) -> Call:
    """Changes a draft call (`data` holds the fields to change); a published call is not changed."""
    require_call_writer(actor)
    require_province_staff_of(actor, call.pack.region_id, _("修改本省的申报通知"))
    if call.status != Call.Status.DRAFT:
        raise ConflictError.single(
            "status",
            "call.not_draft",
            _("申报通知已发布，不能再修改（当前状态：%(s)s）") % {"s": call.get_status_display()},
        )
    merged = {
        "title": call.title,
        "description": call.description,
        "opens_at": call.opens_at,
        "closes_at": call.closes_at,
        "limit_per_applicant": call.limit_per_applicant,
        "start_batch": call.start_batch,
        **data,
    }
    errors, clean = _call_check(merged, pack=call.pack, instance=call)
    errors.raise_if_any()
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.status != Call.Status.DRAFT:
            raise ConflictError.single("status", "call.not_draft", _("申报通知已发布，不能再修改"))
        before = _call_snapshot(call)
        for field in ("title", "description", "opens_at", "closes_at", "limit_per_applicant", "start_batch"):
            setattr(call, field, clean[field])
        call.catalogue_edition_id = clean["catalogue_edition_id"]
        call.save()
        call.project_types.set(clean["project_types"])
        _save_quotas(call, clean["quotas"])
        changes = diff(before, _call_snapshot(call))
        changes.pop("updated_at", None)
        if changes:
            audit_record(actor=actor, action="call.update", obj=call, changes=changes)
    return call


def call_publish(*, actor: Actor, call: Call, now: dt.datetime | None = None) -> Call:
    """Publishes a draft call: schools and enterprises it is for see it, and may apply once it opens."""
    require_call_writer(actor)
    require_province_staff_of(actor, call.pack.region_id, _("发布本省的申报通知"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.status != Call.Status.DRAFT:
            raise ConflictError.single(
                "status",
                "call.not_draft",
                _("申报通知已发布（发布时间：%(t)s）") % {"t": _local(locked.published_at)},
            )
        if locked.closes_at <= now:
            raise ConflictError.single(
                "closes_at",
                "call.closes_in_past",
                _("截止时间已过，不能发布（截止时间：%(t)s，当前：%(now)s，北京时间）")
                % {"t": _local(locked.closes_at), "now": _local(now)},
            )
        if not locked.project_types.exists():
            raise ConflictError.single(
                "project_types", "call.no_project_types", _("申报通知没有项目类型，不能发布")
            )
        locked.status = Call.Status.PUBLISHED
        locked.published_at = now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="call.publish",
            obj=locked,
            changes={"status": [Call.Status.DRAFT, Call.Status.PUBLISHED], "published_at": [None, now]},
        )
    call.status, call.published_at = locked.status, locked.published_at
    return call


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def deadline_extend(*, actor: Actor, call: Call, applicant, until: Any, reason: str) -> DeadlineExtension:
    """A later deadline for one applicant in a published call, with the reason, in the audit log.

    Granting again for the same applicant changes its extension (the audit log keeps both).
    """
    require_call_writer(actor)
    require_province_staff_of(actor, call.pack.region_id, _("为本省申报通知的申报单位延期"))
    if call.status != Call.Status.PUBLISHED:
        raise ConflictError.single("call", "call.not_published", _("申报通知尚未发布，不能延期"))
    errors = ErrorCollector()
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", "extension.reason_required", _("请填写延期理由（将记入审计日志）"))
    try:
        when = _aware(until)
    except (ValueError, TypeError):
        when = None
        errors.add(
            "until",
            "call.time_invalid",
            _("延期时间格式不正确（当前：%(cur)s，应为如 2026-03-08T17:00:00+08:00）") % {"cur": until},
        )
    else:
        if when is None:
            errors.add("until", "required", _("延期时间不能为空"))
        elif when <= call.closes_at:
            errors.add(
                "until",
                "extension.until_not_after_close",
                _("延期后的截止时间应晚于申报通知的截止时间（当前：%(cur)s，截止时间：%(close)s，北京时间）")
                % {"cur": _local(when), "close": _local(call.closes_at)},
            )
    if applicant is None or not applicant.region_id.startswith(call.pack.region_id[:2]):
        errors.add("applicant_id", "extension.applicant_unknown", _("申报单位不存在或不在本省"))
    errors.raise_if_any()
    with transaction.atomic():
        existing = (
            DeadlineExtension.objects.select_for_update().filter(call=call, applicant=applicant).first()
        )
        before = {"until": existing.until, "reason": existing.reason} if existing else {}
        try:
            with transaction.atomic():
                extension, _created = DeadlineExtension.objects.update_or_create(
                    call=call,
                    applicant=applicant,
                    defaults={"until": when, "reason": reason, "granted_by": actor.user},
                )
        except IntegrityError:  # a concurrent grant for the same applicant: ask again
            raise ConflictError.single(
                "applicant_id", "extension.conflict", _("该单位的延期正在被修改，请重试")
            ) from None
        audit_record(
            actor=actor,
            action="call.deadline_extend",
            obj=call,
            changes={
                "applicant": [None, f"{applicant.pk} {applicant.name}"],
                **diff(before, {"until": when, "reason": reason}),
            },
        )
    return extension
