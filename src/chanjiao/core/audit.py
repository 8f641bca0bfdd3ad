"""Writing the audit trail. Every write service calls `audit_record` inside its transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import pgettext_lazy

from .models import AuditEntry
from .permissions import Actor

_request_context = threading.local()


def set_request_ip(ip: str | None) -> None:
    """Called by the middleware so services need not pass the caller's address around."""
    _request_context.ip = ip


def current_ip() -> str | None:
    return getattr(_request_context, "ip", None)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a model instance, JSON-ready, for before/after comparison."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field whose value changed (or was added)."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    user = getattr(actor, "user", None)
    org = getattr(actor, "organization", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    return AuditEntry.objects.create(
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=(getattr(user, "display_name", "") or getattr(user, "username", "")) if user else "",
        organization_id=getattr(org, "pk", None),
        organization_name=str(org)[:255] if org is not None else "",
        region_code=getattr(org, "region_id", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        changes=_plain(changes or {}),
        ip_address=current_ip(),
    )


# How people read an action: by the verb after the dot ("organization.update" is 修改); an
# unknown verb is shown as its code.
ACTION_VERBS = {
    "create": pgettext_lazy("audit action", "新建"),
    "update": pgettext_lazy("audit action", "修改"),
    "revoke": pgettext_lazy("audit action", "撤销"),
    "import": pgettext_lazy("audit action", "导入"),
    "invite": pgettext_lazy("audit action", "邀请"),
    "add": pgettext_lazy("audit action", "添加"),
    "upload": pgettext_lazy("audit action", "上传"),
    "generate": pgettext_lazy("audit action", "生成"),
    "seed_load": pgettext_lazy("audit action", "载入初始数据"),
    "edition_set_current": pgettext_lazy("audit action", "设为现行版本"),
    "programmes_import": pgettext_lazy("audit action", "导入专业目录"),
    "industries_import": pgettext_lazy("audit action", "导入行业分类"),
    "occupations_import": pgettext_lazy("audit action", "导入职业分类"),
    "answer": pgettext_lazy("audit action", "答复"),
    "open": pgettext_lazy("audit action", "开启"),
    "close": pgettext_lazy("audit action", "关闭"),
}


def action_label(action: str) -> str:
    label = ACTION_VERBS.get(action.rpartition(".")[2])
    return str(label) if label is not None else action
