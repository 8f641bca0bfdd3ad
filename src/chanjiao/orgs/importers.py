"""Bulk import of organisations from the Excel template: all or nothing, every bad row reported."""

from __future__ import annotations

import io
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from chanjiao.catalog.models import Industry
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ErrorCollector, ValidationFailed
from chanjiao.core.models import AuditEntry, Region
from chanjiao.core.permissions import Actor

from .models import DeptLevel, EnterpriseSize, Organization, OrgKind, Ownership, SchoolLevel, SponsorKind
from .permissions import require_province_staff
from .services import OrgLookups, _organization_values, organization_check

# (header, field, choices or None, required)
COLUMNS: list[tuple[str, str, Any, bool]] = [
    ("单位名称", "name", None, True),
    ("单位类型", "kind", OrgKind, True),
    ("统一社会信用代码", "uscc", None, False),
    ("所在地区代码", "region", None, True),
    ("行政层级", "dept_level", DeptLevel, False),
    ("办学层次", "school_level", SchoolLevel, False),
    ("举办方", "sponsor", None, False),
    ("举办性质", "sponsor_kind", SponsorKind, False),
    ("所属行业代码", "industry", None, False),
    ("企业规模", "size", EnterpriseSize, False),
    ("所有制", "ownership", Ownership, False),
    ("联系人", "contact_name", None, False),
    ("联系电话", "contact_phone", None, False),
    ("地址", "address", None, False),
]
MAX_ROWS = 50_000
# The template's example row; an upload that still carries it skips it rather than importing it.
EXAMPLE_NAME = "示例科技有限公司（示例行，导入时忽略）"


def organization_template_bytes() -> bytes:
    """The import template: a header row, one example row, drop-downs for the coded columns, a notes sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    header_fill = PatternFill("solid", fgColor="DDE7F5")
    for col, (header, _field, _choices, required) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header + ("*" if required else ""))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        ws.column_dimensions[cell.column_letter].width = max(12, len(header) * 2 + 4)
    example = [
        EXAMPLE_NAME,
        "企业",
        "91340100MA2C8GJ00K",
        "340104",
        "",
        "",
        "",
        "",
        "3821",
        "中型",
        "民营",
        "张三",
        "13800000000",
        "合肥市蜀山区",
    ]
    for col, value in enumerate(example, start=1):
        ws.cell(row=2, column=col, value=value).font = Font(italic=True, color="888888")
    for col, (_header, _field, choices, _required) in enumerate(COLUMNS, start=1):
        if choices is None:
            continue
        letter = ws.cell(row=1, column=col).column_letter
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(str(lbl) for _v, lbl in choices.choices) + '"',
            allow_blank=True,
        )
        dv.add(f"{letter}2:{letter}{MAX_ROWS}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    lines = [
        "1. 第1行为表头，请勿修改；第2行为示例（导入时忽略），可删除。带 * 的列必填。",
        "2. 单位类型、行政层级、办学层次、举办性质、企业规模、所有制可填中文名称或代码。",
        "3. 所在地区代码为6位行政区划代码（GB/T 2260），如 340104（合肥市蜀山区）。",
        "4. 学校、企业、行业协会、培训评价组织须填写18位统一社会信用代码（GB 32100-2015）。",
        "5. 所属行业代码为 GB/T 4754-2017 代码，如 C、38、382、3821。",
        "6. 导入为全部成功或全部不导入：任一行有误时不会导入任何单位，并列出每一行的问题。",
    ]
    for row, line in enumerate(lines, start=1):
        notes.cell(row=row, column=1, value=line)
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _coded(value: str, choices) -> str:
    """Accepts a choice's code or its Chinese label."""
    value = value.strip()
    for code, label in choices.choices:
        if value in {code, str(label)}:
            return code
    return value


class _CachedLookups(OrgLookups):
    """Reads each reference table once, so checking 50 000 rows costs a handful of queries."""

    def __init__(self):
        self.regions = {r.code: r for r in Region.objects.all()}
        self.industries = {i.code: i for i in Industry.objects.all()}
        self.usccs = dict(Organization.objects.exclude(uscc=None).values_list("uscc", "name"))
        self.names = set(Organization.objects.values_list("name", "region_id"))

    def region(self, code):
        return self.regions.get(code)

    def industry(self, code):
        return self.industries.get(code)

    def uscc_owner(self, uscc, exclude_pk):
        return self.usccs.get(uscc)

    def name_taken(self, name, region_code, exclude_pk):
        return (name, region_code) in self.names

    def parent(self, pk, actor):
        return None  # the template has no parent column


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def organizations_import(*, actor: Actor, file) -> list[Organization]:
    """Imports every row or none: raises ValidationFailed listing each bad row with its number."""
    require_province_staff(actor)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed.single(
            "file", "import.not_xlsx", _("无法读取文件：请上传由模板填写的 .xlsx 文件")
        ) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [(_cell_text(h)).rstrip("*") for h in next(rows, ())]
    expected = [c[0] for c in COLUMNS]
    if header[: len(expected)] != expected:
        missing = [h for h in expected if h not in header]
        raise ValidationFailed.single(
            "file",
            "import.bad_header",
            _("表头与模板不一致（缺少或顺序不同：%(cols)s），请下载最新模板填写")
            % {"cols": "、".join(missing) or "列顺序"},
        )
    lookups = _CachedLookups()
    errors = ErrorCollector()
    seen_uscc: dict[str, int] = {}
    seen_name: dict[tuple[str, str], int] = {}
    parsed: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=2):
        cells = [_cell_text(v) for v in values[: len(COLUMNS)]]
        if not any(cells) or cells[0] == EXAMPLE_NAME:
            continue
        if len(parsed) >= MAX_ROWS:
            errors.add(
                f"rows[{number}]", "import.too_many_rows", _("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}
            )
            break
        data: dict[str, Any] = {}
        for (_header_text, field, choices, _req), cell in zip(
            COLUMNS, cells + [""] * len(COLUMNS), strict=False
        ):
            data[field] = _coded(cell, choices) if choices is not None and cell else cell
        row_errors = organization_check(data, actor=actor, lookups=lookups)
        for e in row_errors.errors:
            errors.add(
                f"rows[{number}].{e.field}", e.code, _("第%(n)d行：%(msg)s") % {"n": number, "msg": e.message}
            )
        uscc = data.get("uscc")
        if uscc:
            if uscc in seen_uscc:
                errors.add(
                    f"rows[{number}].uscc",
                    "uscc.duplicate_in_file",
                    _("第%(n)d行：统一社会信用代码 %(uscc)s 与第%(m)d行重复")
                    % {"n": number, "uscc": uscc, "m": seen_uscc[uscc]},
                )
            seen_uscc.setdefault(uscc, number)
        key = (data["name"], getattr(data.get("region"), "code", ""))
        if data["name"] and key in seen_name:
            errors.add(
                f"rows[{number}].name",
                "name.duplicate_in_file",
                _("第%(n)d行：单位“%(name)s”与第%(m)d行重复")
                % {"n": number, "name": data["name"], "m": seen_name[key]},
            )
        seen_name.setdefault(key, number)
        parsed.append(data)
    wb.close()
    if not parsed and not errors:
        errors.add("file", "import.empty", _("文件中没有数据行"))
    errors.raise_if_any()
    try:
        return _create_all(actor=actor, parsed=parsed)
    except IntegrityError:  # another write took a USCC between the check and the insert
        raise ValidationFailed.single(
            "file", "uscc.duplicate", _("导入期间有其他单位使用了文件中的统一社会信用代码，请重新导入")
        ) from None


@transaction.atomic
def _create_all(*, actor: Actor, parsed: list[dict[str, Any]]) -> list[Organization]:
    orgs = Organization.objects.bulk_create(
        [Organization(**_organization_values(d)) for d in parsed], batch_size=1000
    )
    if not all(o.pk for o in orgs):  # a database that does not return ids: the rows are the newest ones
        orgs = list(Organization.objects.order_by("-id")[: len(orgs)])[::-1]
    entry = audit_record(
        actor=actor,
        action="organization.import",
        object_type="orgs.organization",
        object_repr=_("批量导入 %(n)d 个单位") % {"n": len(orgs)},
        changes={"count": [0, len(orgs)]},
    )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=entry.actor,
                actor_name=entry.actor_name,
                organization_id=entry.organization_id,
                organization_name=entry.organization_name,
                region_code=entry.region_code,
                action="organization.create",
                object_type="orgs.organization",
                object_id=str(o.pk),
                object_repr=o.name[:255],
                changes={**diff({}, snapshot(o)), "import": [None, entry.pk]},
                ip_address=entry.ip_address,
            )
            for o in orgs
        ],
        batch_size=1000,
    )
    return orgs
