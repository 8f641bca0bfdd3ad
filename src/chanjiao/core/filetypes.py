"""What a file is, by its bytes rather than its name: the attachment types the platform accepts.

`filetype` reads the magic numbers. Two families need a closer look, because the magic number only
says "a ZIP" or "an OLE2 compound file": Office Open XML documents (docx / xlsx / pptx) are ZIPs with
a `[Content_Types].xml` member and a `word/`, `xl/` or `ppt/` folder; legacy Word and Excel files are
OLE2 files whose directory names a `WordDocument` or `Workbook` (`Book` for Excel 5) stream.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO

import filetype
from django.utils.translation import gettext_lazy as _

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 8192


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str
    mime: str
    extensions: tuple[str, ...]


ALLOWED: dict[str, FileKind] = {
    k.key: k
    for k in (
        FileKind("pdf", _("PDF 文档"), "application/pdf", ("pdf",)),
        FileKind(
            "docx",
            _("Word 文档"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        FileKind(
            "xlsx",
            _("Excel 表格"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        FileKind(
            "pptx",
            _("PowerPoint 演示文稿"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ("pptx",),
        ),
        FileKind("doc", _("Word 97-2003 文档"), "application/msword", ("doc",)),
        FileKind("xls", _("Excel 97-2003 表格"), "application/vnd.ms-excel", ("xls",)),
        FileKind("jpg", _("JPEG 图片"), "image/jpeg", ("jpg", "jpeg")),
        FileKind("png", _("PNG 图片"), "image/png", ("png",)),
        FileKind("gif", _("GIF 图片"), "image/gif", ("gif",)),
        FileKind("webp", _("WebP 图片"), "image/webp", ("webp",)),
        FileKind("zip", _("ZIP 压缩包"), "application/zip", ("zip",)),
    )
}
UNKNOWN = FileKind("unknown", _("无法识别的类型（如纯文本或已损坏的文件）"), "application/octet-stream", ())


def allowed_labels() -> str:
    return "、".join(f"{k.label}（{'/'.join('.' + e for e in k.extensions)}）" for k in ALLOWED.values())


def _other(kind) -> FileKind:
    """A type `filetype` knows that the platform does not accept (an executable, a video, …)."""
    return FileKind(kind.extension, f"{kind.extension.upper()}（{kind.mime}）", kind.mime, (kind.extension,))


def _zip_kind(fileobj: IO[bytes], guessed) -> FileKind:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return FileKind("broken_zip", _("已损坏的 ZIP 文件"), "application/zip", ())
    if "[Content_Types].xml" in names:
        for folder, key in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(folder) for n in names):
                return ALLOWED[key]
    # Other ZIP-based formats that filetype names (OpenDocument, EPUB, JAR, APK) are not archives
    # of attachments; a plain archive is.
    if guessed is not None and guessed.extension not in {"zip", "docx", "xlsx", "pptx"}:
        return _other(guessed)
    return ALLOWED["zip"]


def _ole2_kind(content: bytes) -> FileKind:
    # Directory entries hold stream names in UTF-16LE.
    if "WordDocument".encode("utf-16-le") in content:
        return ALLOWED["doc"]
    if "Workbook".encode("utf-16-le") in content or "Book\x00".encode("utf-16-le") in content:
        return ALLOWED["xls"]
    if "PowerPoint Document".encode("utf-16-le") in content:
        return FileKind("ppt", _("PowerPoint 97-2003 演示文稿"), "application/vnd.ms-powerpoint", ("ppt",))
    return FileKind("ole2", _("OLE2 复合文档（非 Word 或 Excel）"), "application/x-ole-storage", ())


def detect(fileobj: IO[bytes]) -> FileKind:
    """The kind of a seekable binary file, by content. Leaves the file at position 0."""
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    guessed = filetype.guess(head) if head else None
    try:
        if head.startswith(ZIP_MAGIC):
            return _zip_kind(fileobj, guessed)
        if head.startswith(OLE2_MAGIC):
            return _ole2_kind(fileobj.read())
    finally:
        fileobj.seek(0)
    if guessed is None:
        return UNKNOWN
    for kind in ALLOWED.values():
        if guessed.mime == kind.mime:
            return kind
    return _other(guessed)


def name_extension(name: str) -> str:
    """The extension a name claims (`pdf` for 报告.PDF), or "" when it has none that looks like one."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if re.fullmatch(r"[a-z][a-z0-9]{1,4}", suffix) else ""
