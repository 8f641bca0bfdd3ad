"""Writes of core data: attachments. One transaction, permission checked, audited."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from . import filetypes
from .audit import audit_record, diff, snapshot
from .errors import Forbidden, ValidationFailed
from .models import Attachment, attachment_path
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
