"""Writes of core data: attachments, the holiday list, and marking one's own notifications read.
One transaction, permission checked, audited (reading one's notifications excepted, see below)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import filetypes
from .audit import audit_record, diff, snapshot
from .errors import ConflictError, ErrorCollector, Forbidden, NotFound, ValidationFailed
from .models import Attachment, Holiday, Notification, attachment_path
from .permissions import Actor, Role

DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
AUDITED_ATTACHMENT_FIELDS = (
    "original_name",
    "size",
    "content_type",
    "sha256",
    "owner_organization_id",
    "owner_region_code",
)


def _mb(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _clean_name(name: str) -> str:
    # Browsers on Windows may send a full path; keep the last part, without control characters.
    base = os.path.basename(str(name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:255]
    return base or "attachment"


def _size_of(file: File) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(0)
    return int(size)


def _sha256(file: File) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _require_owner(actor: Actor, owner: Any) -> None:
    if not actor.is_authenticated or actor.organization is None:
        raise Forbidden(_("需要先登录并选择代表单位"))
    if owner.pk == actor.organization.pk:
        return
    owner_region = getattr(owner, "region_id", "") or ""
    if (
        actor.has_role(Role.PROVINCE_ADMIN)
        and actor.province_prefix
        and owner_region.startswith(actor.province_prefix)
    ):
        return
    raise Forbidden(_("只能为本单位上传附件（省级管理员可为本省单位上传）"))


def attachment_store(*, actor: Actor, file, owner_organization=None) -> Attachment:
    """Stores an uploaded file for `owner_organization` (by default the actor's organisation).

    Refused before anything is stored when the file is empty or larger than
    settings.ATTACHMENT_MAX_BYTES, or when its content is not an accepted type or does not match
    the extension its name claims. Identical content is stored once (the path is its sha256).
    """
    owner = owner_organization if owner_organization is not None else actor.organization
    _require_owner(actor, owner)
    file = file if isinstance(file, File) else File(file, name=getattr(file, "name", None))
    name = _clean_name(file.name)
    size = _size_of(file)
    limit = getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES)
    if size > limit:
        raise ValidationFailed.single(
            "file",
            "attachment.too_large",
            _("附件“%(name)s”超过大小上限（当前：%(cur)s MB，最大：%(max)s MB）")
            % {"name": name, "cur": _mb(size), "max": _mb(limit)},
        )
    if size == 0:
        raise ValidationFailed.single(
            "file", "attachment.empty", _("附件“%(name)s”是空文件（当前：0 字节）") % {"name": name}
        )
    kind = filetypes.detect(file)
    if kind.key not in filetypes.ALLOWED:
        raise ValidationFailed.single(
            "file",
            "attachment.type_not_allowed",
            _("附件“%(name)s”的类型不允许上传（按内容识别为：%(kind)s；允许：%(allowed)s）")
            % {"name": name, "kind": kind.label, "allowed": filetypes.allowed_labels()},
        )
    claimed = filetypes.name_extension(name)
    if claimed and claimed not in kind.extensions:
        raise ValidationFailed.single(
            "file",
            "attachment.type_mismatch",
            _(
                "附件“%(name)s”的扩展名为 .%(ext)s，但内容识别为%(kind)s，请确认文件是否正确"
                "（允许：%(allowed)s）"
            )
            % {"name": name, "ext": claimed, "kind": kind.label, "allowed": filetypes.allowed_labels()},
        )
    attachment = Attachment(
        original_name=name,
        size=size,
        content_type=kind.mime,
        sha256=_sha256(file),
        owner_organization_id=owner.pk,
        owner_region_code=getattr(owner, "region_id", "") or "",
        uploaded_by=actor.user,
    )
    path = attachment_path(attachment, name)
    stored_now = False
    try:
        with transaction.atomic():
            if default_storage.exists(path):
                attachment.file.name = path  # the same bytes are already stored
            else:
                attachment.file.save(name, file, save=False)
                stored_now = True
            attachment.save()
            audit_record(
                actor=actor,
                action="attachment.upload",
                obj=attachment,
                changes=diff({}, snapshot(attachment, AUDITED_ATTACHMENT_FIELDS)),
            )
    except BaseException:
        # Nothing half-done: a file stored for a row that was rolled back is removed again.
        if stored_now:
            default_storage.delete(attachment.file.name)
        raise
    return attachment


# --- the holiday list (节假日) ---------------------------------------------------------------------

WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)
HOLIDAY_FIELDS = ("date", "name", "is_workday", "note")


def weekday_name(day) -> str:
    return str(WEEKDAYS[day.weekday()])


def _require_holiday_editor(actor: Actor) -> None:
    """The list is national: province staff of any province keep it; everyone else reads it."""
    if not (actor.is_authenticated and actor.is_province_staff):
        raise Forbidden(_("只有省级管理员可以维护节假日表"))


def holiday_add(*, actor: Actor, date, name: str, is_workday: bool = False, note: str = "") -> Holiday:
    """A holiday (放假) or a weekend worked (调休上班), from the State Council's yearly notice."""
    _require_holiday_editor(actor)
    errors = ErrorCollector()
    name = (name or "").strip()
    note = (note or "").strip()
    if date is None:
        errors.add("date", "holiday.date_required", _("请填写日期（如 2026-10-01）"))
    if not name:
        errors.add("name", "holiday.name_required", _("请填写名称（如 国庆节）"))
    elif len(name) > 64:
        errors.add("name", "holiday.name_too_long", _("名称最多64个字（当前：%(n)d个）") % {"n": len(name)})
    if len(note) > 200:
        errors.add("note", "holiday.note_too_long", _("依据最多200个字（当前：%(n)d个）") % {"n": len(note)})
    if date is not None and is_workday and date.weekday() < 5:
        errors.add(
            "is_workday",
            "holiday.workday_not_weekend",
            _("调休上班日应为周六或周日（当前：%(date)s，%(weekday)s）")
            % {"date": date.isoformat(), "weekday": weekday_name(date)},
        )
    errors.raise_if_any()
    with transaction.atomic():
        existing = Holiday.objects.filter(date=date).first()
        if existing is not None:
            raise _holiday_duplicate(existing)
        try:
            with transaction.atomic():
                holiday = Holiday.objects.create(date=date, name=name, is_workday=bool(is_workday), note=note)
        except IntegrityError:  # added at the same moment by someone else
            raise _holiday_duplicate(Holiday.objects.get(date=date)) from None
        audit_record(
            actor=actor,
            action="holiday.create",
            obj=holiday,
            changes=diff({}, snapshot(holiday, HOLIDAY_FIELDS)),
        )
    return holiday


def _holiday_duplicate(existing: Holiday) -> ConflictError:
    return ConflictError.single(
        "date",
        "holiday.duplicate",
        _("%(date)s已在节假日表中（%(name)s，%(kind)s），每个日期只能登记一次；如需更改请先删除")
        % {
            "date": existing.date.isoformat(),
            "name": existing.name,
            "kind": _("调休上班") if existing.is_workday else _("放假"),
        },
    )


def holiday_remove(*, actor: Actor, holiday: Holiday) -> None:
    _require_holiday_editor(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="holiday.revoke",
            obj=holiday,
            changes=diff(snapshot(holiday, HOLIDAY_FIELDS), {}),
        )
        holiday.delete()


def holidays_load_seed() -> dict[str, int]:
    """Loads the shipped holiday arrangements (core/seeds/holidays-*.json); a second run changes
    nothing. A date already listed is kept as it is, so a correction made by hand survives."""
    from .seeds import holiday_rows

    rows = holiday_rows()
    with transaction.atomic():
        present = set(
            Holiday.objects.filter(date__in=[r["date"] for r in rows]).values_list("date", flat=True)
        )
        new = [Holiday(**r) for r in rows if r["date"] not in present]
        Holiday.objects.bulk_create(new)
        if new:
            audit_record(
                actor=None,
                action="holiday.seed_load",
                object_type="core.holiday",
                object_repr=_("节假日安排（%(n)d天）") % {"n": len(new)},
                changes={"dates": [None, [h.date.isoformat() for h in new]]},
            )
    return {"created": len(new), "kept": len(present)}


# --- notifications (the person's own inbox) ---------------------------------------------------------
#
# Reading one's own messages changes nothing of the platform's business, so it is not written to
# the audit log (which province staff and the observer read); the read time is on the row itself.


def _require_recipient(actor: Actor, notification: Notification) -> None:
    if not actor.is_authenticated or notification.recipient_id != actor.user.pk:
        raise NotFound


def notification_read(*, actor: Actor, notification: Notification) -> Notification:
    """Marks one of the actor's own notifications read (again: no change)."""
    _require_recipient(actor, notification)
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = timezone.now()
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=notification.read_at
            )
    return notification


def notifications_read_all(*, actor: Actor) -> int:
    """Marks every unread notification of the actor read; returns how many."""
    if not actor.is_authenticated:
        raise Forbidden(_("需要先登录"))
    with transaction.atomic():
        return Notification.objects.filter(recipient=actor.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
