"""Attachments: size and type checked before anything is stored, sha256 kept, read within scope."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from chanjiao.core.errors import Forbidden, ValidationFailed
from chanjiao.core.filetypes import detect
from chanjiao.core.models import Attachment, AuditEntry
from chanjiao.core.services import attachment_store
from tests.conftest import actor_of, client_for, error_codes

MB = 1024 * 1024

# --- sample files, made here so each is what it claims to be ------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["单位", "投入（万元）"])
    wb.active.append(["合肥智能装备有限公司", 1200])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# openpyxl stamps the time into the file, so the sample is made once and reused.
XLSX = xlsx_bytes()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def docx_bytes() -> bytes:
    # Office writes [Content_Types].xml first, but other tools order members freely.
    return zip_bytes(
        {"_rels/.rels": b"<x/>", "word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"}
    )


def ole2_bytes(stream_name: str) -> bytes:
    # A compound-file header and a directory entry naming the main stream, as Word or Excel write it.
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 1016
        + stream_name.encode("utf-16-le")
        + b"\x00" * 2000
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- what is accepted ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("申报书.pdf", PDF, "application/pdf"),
        ("现场照片.png", png_bytes(), "image/png"),
        ("投入明细.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "建设方案.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("旧方案.doc", ole2_bytes("WordDocument"), "application/msword"),
        ("旧报表.xls", ole2_bytes("Workbook"), "application/vnd.ms-excel"),
        ("佐证材料.zip", zip_bytes({"a.txt": b"a", "b/c.txt": b"c"}), "application/zip"),
        ("无扩展名", PDF, "application/pdf"),
    ],
)
def test_accepted_files_are_stored_with_their_sha256(
    media, school_admin, school, name, content, content_type
):
    # when a school admin stores a file
    attachment = attachment_store(actor=actor_of(school_admin), file=upload(name, content))
    # then the row holds its name, size, type found from the content and sha256
    digest = hashlib.sha256(content).hexdigest()
    attachment.refresh_from_db()
    assert (attachment.original_name, attachment.size, attachment.content_type) == (
        name,
        len(content),
        content_type,
    )
    assert attachment.sha256 == digest
    assert (attachment.owner_organization_id, attachment.owner_region_code) == (school.pk, "340104")
    assert attachment.uploaded_by == school_admin
    # and the bytes are in storage under their digest
    assert attachment.file.name == f"attachments/{digest[:2]}/{digest}"
    assert (media / attachment.file.name).read_bytes() == content


@pytest.mark.django_db
def test_the_upload_is_audited(media, school_admin, school):
    attachment = attachment_store(actor=actor_of(school_admin), file=upload("申报书.pdf", PDF))
    entry = AuditEntry.objects.get(action="attachment.upload")
    assert (entry.actor, entry.organization_id, entry.object_type) == (
        school_admin,
        school.pk,
        "core.attachment",
    )
    assert entry.object_id == str(attachment.pk)
    assert entry.changes["sha256"] == [None, hashlib.sha256(PDF).hexdigest()]
    assert entry.changes["original_name"] == [None, "申报书.pdf"]


@pytest.mark.django_db
def test_the_same_bytes_are_stored_once(media, school_admin, other_school_admin):
    first = attachment_store(actor=actor_of(school_admin), file=upload("a.pdf", PDF))
    second = attachment_store(actor=actor_of(other_school_admin), file=upload("b.pdf", PDF))
    assert first.pk != second.pk
    assert first.file.name == second.file.name
    assert len(stored_files(media)) == 1


@pytest.mark.django_db
def test_a_windows_path_in_the_name_is_cut_to_the_file_name(media, school_admin):
    attachment = attachment_store(actor=actor_of(school_admin), file=upload("C:\\材料\\申报书.pdf", PDF))
    assert attachment.original_name == "申报书.pdf"


# --- what is refused, before anything is stored -------------------------------------------------


@pytest.mark.django_db
def test_an_oversize_file_is_refused_and_nothing_is_stored(media, settings, school_admin):
    # given a limit of 1 MB and a 1.5 MB PDF
    settings.ATTACHMENT_MAX_BYTES = 1 * MB
    content = PDF + b"0" * (MB + MB // 2 - len(PDF))
    # when it is stored
    with pytest.raises(ValidationFailed) as exc:
        attachment_store(actor=actor_of(school_admin), file=upload("大文件.pdf", content))
    # then it is refused with the current and the maximum size, and nothing was kept
    [error] = exc.value.errors
    assert (error.field, error.code) == ("file", "attachment.too_large")
    assert "当前：1.5 MB" in error.message
    assert "最大：1 MB" in error.message
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_the_default_limit_is_20_mb():
    from django.conf import settings as live

    assert live.ATTACHMENT_MAX_BYTES == 20 * MB


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "code", "fragment"),
    [
        ("申报书.pdf", b"just some text, not a PDF\n" * 10, "attachment.type_not_allowed", "无法识别的类型"),
        ("申报书.pdf", b"MZ\x90\x00" + b"\x00" * 200, "attachment.type_not_allowed", "EXE"),
        ("申报书.pdf", png_bytes(), "attachment.type_mismatch", "扩展名为 .pdf，但内容识别为PNG 图片"),
        ("照片.jpg", PDF, "attachment.type_mismatch", "扩展名为 .jpg"),
        ("表格.xlsx", docx_bytes(), "attachment.type_mismatch", "Word 文档"),
        (
            "幻灯片.ppt",
            ole2_bytes("PowerPoint Document"),
            "attachment.type_not_allowed",
            "PowerPoint 97-2003",
        ),
        ("损坏.zip", b"PK\x03\x04" + b"\x00" * 100, "attachment.type_not_allowed", "已损坏的 ZIP"),
        ("程序.pdf", b"", "attachment.empty", "0 字节"),
    ],
)
def test_mistyped_files_are_refused_and_nothing_is_stored(media, school_admin, name, content, code, fragment):
    # when a file whose bytes are not what is allowed, or not what its name says, is stored
    with pytest.raises(ValidationFailed) as exc:
        attachment_store(actor=actor_of(school_admin), file=upload(name, content))
    # then it is refused, naming what was found (and, for types, what is allowed)
    [error] = exc.value.errors
    assert error.code == code
    assert fragment in error.message
    if code != "attachment.empty":
        assert "PDF 文档（.pdf）" in error.message  # the allowed types are listed
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_detection_reads_the_zip_directory_not_only_the_first_member():
    assert detect(io.BytesIO(docx_bytes())).key == "docx"
    pptx = zip_bytes({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
    assert detect(io.BytesIO(pptx)).key == "pptx"
    odt = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
    assert detect(io.BytesIO(odt)).key == "odt"


@pytest.mark.django_db
def test_only_the_owner_or_the_province_may_store_for_an_organisation(
    media, school_admin, province_officer, other_school, jiangsu_officer
):
    # a school admin may not store for another school
    with pytest.raises(Forbidden):
        attachment_store(
            actor=actor_of(school_admin), file=upload("a.pdf", PDF), owner_organization=other_school
        )
    # nor may a Jiangsu officer for an Anhui school
    with pytest.raises(Forbidden):
        attachment_store(
            actor=actor_of(jiangsu_officer), file=upload("a.pdf", PDF), owner_organization=other_school
        )
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    # the Anhui province officer may, and the attachment is the school's
    attachment = attachment_store(
        actor=actor_of(province_officer), file=upload("a.pdf", PDF), owner_organization=other_school
    )
    assert (attachment.owner_organization_id, attachment.owner_region_code) == (other_school.pk, "340202")


# --- the API ------------------------------------------------------------------------------------


def api_upload(api, user, name, content, **extra):
    client = api(user)
    return client.client.post(
        "/api/v1/attachments", {"file": upload(name, content)}, headers=client.headers, **extra
    )


@pytest.mark.django_db
def test_api_upload_answers_the_attachment_and_records_the_address(media, api, school_admin):
    # when a school admin uploads through the API
    response = api_upload(api, school_admin, "现场照片.png", png_bytes(), REMOTE_ADDR="198.51.100.7")
    # then the answer names the attachment
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "现场照片.png"
    assert body["size"] == len(png_bytes())
    assert body["content_type"] == "image/png"
    assert body["sha256"] == hashlib.sha256(png_bytes()).hexdigest()
    assert body["download_url"] == f"/api/v1/attachments/{body['id']}/download"
    # and the audit entry has the caller's address
    assert AuditEntry.objects.get(action="attachment.upload").ip_address == "198.51.100.7"


@pytest.mark.django_db
def test_api_refusals_are_422_with_the_code(media, settings, api, school_admin):
    settings.ATTACHMENT_MAX_BYTES = 1 * MB
    too_big = api_upload(api, school_admin, "a.pdf", PDF + b"0" * MB)
    mistyped = api_upload(api, school_admin, "a.pdf", b"plain text")
    assert (too_big.status_code, error_codes(too_big)) == (422, ["attachment.too_large"])
    assert (mistyped.status_code, error_codes(mistyped)) == (422, ["attachment.type_not_allowed"])
    assert too_big.json()["errors"][0]["field"] == "file"
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_api_upload_without_a_file_is_422(media, api, school_admin):
    client = api(school_admin)
    response = client.client.post("/api/v1/attachments", {}, headers=client.headers)
    assert response.status_code == 422
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_api_metadata_and_download_for_the_owner(media, api, school_admin, school_staff):
    # given an attachment uploaded by the school admin
    attachment_id = api_upload(api, school_admin, "投入明细.xlsx", XLSX).json()["id"]
    # when a colleague of the same school reads it
    client = api(school_staff)
    meta = client.get(f"/api/v1/attachments/{attachment_id}")
    download = client.get(f"/api/v1/attachments/{attachment_id}/download")
    # then they get the metadata and the bytes under the original name
    assert meta.status_code == 200
    assert meta.json()["name"] == "投入明细.xlsx"
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == XLSX
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment;" in download["Content-Disposition"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["other_school_admin", "jiangsu_officer", "city_officer", "enterprise_contact"]
)
def test_outside_the_scope_the_api_answers_404(request, media, api, school_admin, persona):
    attachment_id = api_upload(api, school_admin, "申报书.pdf", PDF).json()["id"]
    client = api(request.getfixturevalue(persona))
    for path in (f"/api/v1/attachments/{attachment_id}", f"/api/v1/attachments/{attachment_id}/download"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert error_codes(response) == ["not_found"]


@pytest.mark.django_db
def test_the_api_needs_authentication(media, api, school_admin):
    attachment_id = api_upload(api, school_admin, "申报书.pdf", PDF).json()["id"]
    anonymous = api()
    assert anonymous.get(f"/api/v1/attachments/{attachment_id}").status_code == 401
    assert anonymous.client.post("/api/v1/attachments", {"file": upload("a.pdf", PDF)}).status_code == 401


# --- the page download --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("school_admin", 200),
        ("school_staff", 200),
        ("province_officer", 200),
        ("observer", 200),
        ("other_school_admin", 404),
        ("jiangsu_officer", 404),
        ("city_officer", 404),
        ("expert", 404),
    ],
)
def test_page_download_within_scope_only(request, media, school_admin, persona, status):
    # given a PDF of the Hefei school
    attachment = attachment_store(actor=actor_of(school_admin), file=upload("申报书.pdf", PDF))
    # when a persona opens its download link
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("core:attachment_download", args=[attachment.pk])
    )
    # then the school's people and the province's staff get the file; nobody else learns it exists
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_page_download_of_a_missing_attachment_is_404_and_anonymous_goes_to_login(media, school_admin):
    assert client_for(school_admin).get(reverse("core:attachment_download", args=[999])).status_code == 404
    attachment = attachment_store(actor=actor_of(school_admin), file=upload("申报书.pdf", PDF))
    response = Client().get(reverse("core:attachment_download", args=[attachment.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("orgs:login"))
