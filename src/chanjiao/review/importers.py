"""The expert pool's Excel import: a template to fill in, then every row or none.

A row names the person by user name. A person without an account gets one (no password yet: they
set theirs through the invitation the people page sends) with the expert role in their employer;
a person already in the province's pool has their profile updated. The employer is found by its
unified social credit code, or by its exact name when it has none.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from chanjiao.core.audit import audit_record
from chanjiao.core.errors import ErrorCollector, ValidationFailed
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Membership, Organization, User

from .models import ExpertProfile
from .permissions import require_province_staff_of
from .services import INDUSTRY_KINDS, PoolLookups, profile_check

# (header, key, required)
COLUMNS: list[tuple[str, str, bool]] = [
    ("用户名", "username", True),
    ("姓名", "display_name", True),
    ("工作单位统一社会信用代码", "employer_uscc", False),
    ("工作单位名称", "employer_name", True),
    ("职称/职务", "title", False),
    ("来源", "source", True),
    ("专业大类代码", "programme_categories", False),
    ("行业代码", "industries", False),
    ("所在地区代码", "region", False),
    ("手机号码", "mobile", False),
    ("电子邮箱", "email", False),
    ("备注", "note", False),
]
SOURCES = {"行业企业": True, "企业": True, "行业": True, "院校": False, "学校": False, "其他": False}
SOURCE_CHOICES = ("行业企业", "院校", "其他")
MAX_ROWS = 20_000
EXAMPLE_USERNAME = "example_expert"


def expert_template_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "专家"
    fill = PatternFill("solid", fgColor="DDE7F5")
    for col, (header, _key, required) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header + ("*" if required else ""))
        cell.font = Font(bold=True)
        cell.fill = fill
        ws.column_dimensions[cell.column_letter].width = max(12, len(header) * 2 + 4)
    example = [
        EXAMPLE_USERNAME,
        "张三（示例行，导入时忽略）",
        "91340100MA2C8GJ00K",
        "示例科技有限公司",
        "高级工程师",
        "行业企业",
        "46,51",
        "C,38",
        "340104",
        "13800000000",
        "zhangsan@example.cn",
        "",
    ]
    for col, value in enumerate(example, start=1):
        ws.cell(row=2, column=col, value=value).font = Font(italic=True, color="888888")
    source_col = next(i for i, c in enumerate(COLUMNS, start=1) if c[1] == "source")
    letter = ws.cell(row=1, column=source_col).column_letter
    dv = DataValidation(type="list", formula1='"' + ",".join(SOURCE_CHOICES) + '"', allow_blank=False)
    dv.add(f"{letter}2:{letter}{MAX_ROWS}")
    ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    lines = [
        "1. 第1行为表头，请勿修改；第2行为示例（导入时忽略），可删除。带 * 的列必填。",
        "2. 用户名为登录账号（字母、数字和 @ . + - _）；尚无账号的专家将新建账号，由人员管理页发送邀请设置密码。",
        "3. 工作单位须已在单位名录中：优先按统一社会信用代码查找，未填代码时按单位名称精确查找。",
        "4. 来源填“行业企业”“院校”或“其他”；行业企业专家在分配时每项申报至少一位。",
        "5. 专业大类代码为专业目录的两位大类代码（如 46 装备制造大类），行业代码为 GB/T 4754-2017 代码（如 C、38、3821），多个用逗号分隔。",
        "6. 所在地区代码为6位行政区划代码，不填时取工作单位所在地区。",
        "7. 已在本省专家库中的专家按用户名更新其信息。",
        "8. 导入为全部成功或全部不导入：任一行有误时不会导入任何专家，并列出每一行的问题。",
    ]
    for row, line in enumerate(lines, start=1):
        notes.cell(row=row, column=1, value=line)
    notes.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Employers:
    def __init__(self):
        self.by_uscc = {}
        self.by_name: dict[str, list[Organization]] = {}
        for org in Organization.objects.filter(is_active=True).only(
            "pk", "name", "uscc", "kind", "region_id"
        ):
            if org.uscc:
                self.by_uscc[org.uscc] = org
            self.by_name.setdefault(org.name, []).append(org)


def experts_import(*, actor: Actor, file) -> dict[str, int]:
    """Imports every row or none: raises ValidationFailed listing each bad row with its number."""
    require_province_staff_of(actor, actor.province_prefix)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed.single(
            "file", "import.not_xlsx", _("无法读取文件：请上传由模板填写的 .xlsx 文件")
        ) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_text(h).rstrip("*") for h in next(rows, ())]
    expected = [c[0] for c in COLUMNS]
    if header[: len(expected)] != expected:
        missing = [h for h in expected if h not in header]
        raise ValidationFailed.single(
            "file",
            "import.bad_header",
            _("表头与模板不一致（缺少或顺序不同：%(cols)s），请下载最新模板填写")
            % {"cols": "、".join(missing) or "列顺序"},
        )
    lookups = PoolLookups.load()
    employers = _Employers()
    existing_users = {u.username: u for u in User.objects.only("pk", "username", "display_name", "is_active")}
    province = actor.province_prefix + "0000"
    errors = ErrorCollector()
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    username_validator = UnicodeUsernameValidator()
    for number, values in enumerate(rows, start=2):
        cells = dict(
            zip([c[1] for c in COLUMNS], [_text(v) for v in (values or ())[: len(COLUMNS)]], strict=False)
        )
        if not any(cells.values()) or cells.get("username") == EXAMPLE_USERNAME:
            continue
        if len(parsed) >= MAX_ROWS:
            errors.add(
                f"rows[{number}]", "import.too_many_rows", _("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}
            )
            break
        row = ErrorCollector(prefix=f"rows[{number}].")
        for header, key, required in COLUMNS:
            if required and not cells.get(key):
                row.add(key, "import.required", _("“%(col)s”必填") % {"col": header})
        username = cells.get("username", "")
        if username:
            try:
                username_validator(username)
            except DjangoValidationError:
                row.add(
                    "username",
                    "username.invalid",
                    _("用户名只能包含字母、数字和 @ . + - _（当前：%(cur)s）") % {"cur": username},
                )
            if username in seen:
                row.add(
                    "username",
                    "import.duplicate_in_file",
                    _("用户名 %(name)s 与第%(m)d行重复") % {"name": username, "m": seen[username]},
                )
            seen.setdefault(username, number)
            user = existing_users.get(username)
            if user is not None and not user.is_active:
                row.add("username", "expert.unknown_user", _("账号 %(name)s 已停用") % {"name": username})
        employer = None
        uscc, employer_name = cells.get("employer_uscc", ""), cells.get("employer_name", "")
        if uscc:
            employer = employers.by_uscc.get(uscc.upper())
            if employer is None:
                row.add(
                    "employer_uscc",
                    "expert.unknown_employer",
                    _("单位名录中没有统一社会信用代码为 %(code)s 的单位") % {"code": uscc},
                )
        elif employer_name:
            matches = employers.by_name.get(employer_name, [])
            if len(matches) == 1:
                employer = matches[0]
            elif not matches:
                row.add(
                    "employer_name",
                    "expert.unknown_employer",
                    _("单位名录中没有名为“%(name)s”的单位") % {"name": employer_name},
                )
            else:
                row.add(
                    "employer_name",
                    "expert.ambiguous_employer",
                    _("单位名录中有%(n)d个名为“%(name)s”的单位，请填写统一社会信用代码")
                    % {"n": len(matches), "name": employer_name},
                )
        source = cells.get("source", "")
        if source and source not in SOURCES:
            row.add(
                "source",
                "expert.unknown_source",
                _("来源应为：%(ok)s（当前：%(cur)s）") % {"ok": "、".join(SOURCE_CHOICES), "cur": source},
            )
        values = profile_check(
            {
                "title": cells.get("title", ""),
                "programme_categories": cells.get("programme_categories", ""),
                "industries": cells.get("industries", ""),
                "region": cells.get("region", ""),
                "note": cells.get("note", ""),
            },
            row,
            lookups,
        )
        for e in row.errors:
            errors.add(e.field, e.code, _("第%(n)d行：%(msg)s") % {"n": number, "msg": e.message})
        if row:
            continue
        values["is_industry"] = SOURCES[source] if source else employer.kind in INDUSTRY_KINDS
        parsed.append(
            {
                "username": username,
                "display_name": cells.get("display_name", ""),
                "mobile": cells.get("mobile", ""),
                "email": cells.get("email", ""),
                "employer": employer,
                "values": values,
            }
        )
    wb.close()
    if not parsed and not errors:
        errors.add("file", "import.empty", _("文件中没有数据行"))
    errors.raise_if_any()
    return _write(actor=actor, province=province, parsed=parsed, existing_users=existing_users)


@transaction.atomic
def _write(*, actor: Actor, province: str, parsed, existing_users) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "accounts_created": 0}
    for item in parsed:
        user = existing_users.get(item["username"])
        if user is None:
            user = User(
                username=item["username"],
                display_name=item["display_name"],
                mobile=item["mobile"],
                email=item["email"],
            )
            user.set_unusable_password()
            user.save()
            counts["accounts_created"] += 1
        Membership.objects.get_or_create(user=user, organization=item["employer"], role=Role.EXPERT)
        values = {**item["values"], "employer": item["employer"]}
        profile, created = ExpertProfile.objects.get_or_create(
            province_id=province, user=user, defaults={**values, "created_by": actor.user}
        )
        if not created:
            for key, value in values.items():
                setattr(profile, key, value)
            profile.save()
        counts["created" if created else "updated"] += 1
    audit_record(
        actor=actor,
        action="expert_profile.import",
        object_type="review.expertprofile",
        object_repr=_("导入专家 %(n)d 人（新增 %(c)d，更新 %(u)d）")
        % {"n": len(parsed), "c": counts["created"], "u": counts["updated"]},
        changes={k: [0, v] for k, v in counts.items()},
    )
    return counts
