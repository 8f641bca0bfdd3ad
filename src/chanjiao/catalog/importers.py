"""Importers for the official catalogue files.

Each importer reads the whole file, checks every row, and either raises ValidationFailed listing
every bad row (with its line or row number and what is wrong; nothing is stored) or hands the
rows to one service that stores them in one transaction, upserting by natural key so a second
run changes nothing. Each reports progress through `progress(done, total)` and returns a summary
with created / updated / unchanged counts and `warnings` (corrections it made, each with its row).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from chanjiao.core.errors import ErrorCollector, ValidationFailed
from chanjiao.core.permissions import Actor

from . import services
from .models import Industry, Level, Occupation, ProgrammeCategory, ProgrammeClass
from .rules import (
    LEVEL_NAMES_ACCEPTED,
    OCCUPATION_CODE,
    OCCUPATION_MAJOR_NAMES,
    check_code_for_level,
    industry_parent_code,
    industry_tier,
    level_from_name,
    occupation_prefixes,
    strip_category_suffix,
)
from .services import ProgrammeRow, TreeRow

ProgressCallback = Callable[[int, int], None]
Source = str | Path | IO[bytes] | IO[str]

MAX_ROWS = 200_000
PROGRESS_EVERY = 250

LEVEL_LABELS = dict(Level.choices)


# --- shared helpers -----------------------------------------------------------------------------


class _Progress:
    """Reports rows read; the last step (total of total) only once everything is stored."""

    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback, self.total = callback, total

    def tick(self, done: int) -> None:
        if self.callback and done % PROGRESS_EVERY == 0:
            self.callback(min(done, max(self.total - 1, 0)), self.total)

    def start(self) -> None:
        if self.callback:
            self.callback(0, self.total)

    def finish(self) -> None:
        if self.callback:
            self.callback(self.total, self.total)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise ValidationFailed.single(
                "file",
                "import.unreadable",
                _("无法读取文件 %(p)s（%(e)s）") % {"p": source, "e": exc.strerror},
            ) from None
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code(value: Any, width: int = 0) -> str:
    """A code cell as text. A spreadsheet may have turned 050201 into the number 50201: pad it back."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _text(value)
        return text.zfill(width) if width else text
    return "".join(_text(value).split()).upper()


def _group_name(value: Any) -> str:
    """A 大类 or 类 name, without a code written in front of it (“46 装备制造大类” → “装备制造大类”)."""
    return re.sub(r"^\d{2,4}\s*", "", _text(value))


def _header_key(value: Any) -> str:
    return "".join(_text(value).split()).rstrip("*＊").lower()


def _jsonl_records(source: Source, errors: ErrorCollector) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a bad line becomes an error, not a stop."""
    try:
        text = _read_bytes(source).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.single(
            "file", "import.encoding", _("文件不是 UTF-8 编码的 JSON Lines 文件（每行一个 JSON 对象）")
        ) from None
    records = []
    # split on newlines only: str.splitlines would also split inside strings at U+2028 and the like
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(records) >= MAX_ROWS:
            errors.add(
                f"rows[{number}]", "import.too_many_rows", _("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}
            )
            break
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.add(
                f"rows[{number}]",
                "import.bad_json",
                _("第%(n)d行：不是有效的 JSON（%(msg)s，第%(col)d列）")
                % {"n": number, "msg": exc.msg, "col": exc.colno},
            )
            continue
        if not isinstance(obj, dict):
            errors.add(
                f"rows[{number}]", "import.not_object", _("第%(n)d行：应为一个 JSON 对象 {…}") % {"n": number}
            )
            continue
        records.append((number, obj))
    return records


def _open_workbook(source: Source):
    try:
        return load_workbook(io.BytesIO(_read_bytes(source)), read_only=True, data_only=True)
    except ValidationFailed:
        raise
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed.single(
            "file", "import.not_xlsx", _("无法读取文件：请上传 Excel 工作簿（.xlsx）")
        ) from None


def _settle_names(
    votes: dict[Any, list[tuple[str, str]]],
    known: dict[Any, str],
    *,
    describe: Callable[[Any], str],
    warnings: list[str],
) -> dict[Any, str]:
    """The name of each parent (a 大类, a 类, an occupation group) as most rows give it.

    A parent's name is repeated on every row beneath it; where a few rows disagree, the name most
    rows give wins (the first one on a tie) and each disagreeing row is named in the warnings.
    Parents no row names keep the name already stored (`known`)."""
    names: dict[Any, str] = {}
    for key, given in votes.items():
        counted = Counter(name for name, _where in given if name)
        if not counted:
            if key in known:
                names[key] = known[key]
            continue
        best = max(counted.items(), key=lambda item: item[1])[0]  # max keeps the first on a tie
        names[key] = best
        for name, where in given:
            if name and name != best:
                warnings.append(
                    _(
                        "%(where)s：%(what)s的名称写作“%(given)s”，与其他%(n)d行的“%(best)s”不一致，已按“%(best)s”导入"
                    )
                    % {"where": where, "what": describe(key), "given": name, "n": counted[best], "best": best}
                )
    return names


# --- programmes ---------------------------------------------------------------------------------


@dataclass
class _ProgrammeDraft:
    field: str  # where the row is, for the error's field: rows[12] or sheets[高职专科].rows[12]
    where: str  # where the row is, for people: 第12行 or 工作表“高职专科”第12行
    level: str | None
    level_text: str
    code: str
    name: str
    category_code: str
    category_name: str
    class_code: str
    class_name: str


def _check_programme(d: _ProgrammeDraft, errors: ErrorCollector) -> bool:
    ok = True

    def bad(field: str, code: str, message: str) -> None:
        nonlocal ok
        ok = False
        errors.add(f"{d.field}.{field}", code, _("%(where)s：%(msg)s") % {"where": d.where, "msg": message})

    if d.level is None:
        bad(
            "level",
            "programme.level_unknown",
            _("无法识别的层次“%(v)s”（可填：%(names)s）")
            % {"v": d.level_text or _("空"), "names": LEVEL_NAMES_ACCEPTED},
        )
    if not d.code:
        bad("code", "programme.code_missing", _("专业代码不能为空"))
    elif d.level is not None:
        error = check_code_for_level(d.code, d.level)
        if error is not None:
            bad("code", error.code, error.message)
    if not d.name:
        bad(
            "name",
            "programme.name_missing",
            _("专业名称不能为空（专业代码 %(c)s）") % {"c": d.code or _("空")},
        )
    elif len(d.name) > 128:
        bad("name", "programme.name_length", _("专业名称最多128个字（当前：%(n)d个字）") % {"n": len(d.name)})
    if d.code and d.category_code and d.category_code != d.code[:2]:
        bad(
            "category_code",
            "programme.category_mismatch",
            _("专业大类代码 %(given)s 与专业代码 %(code)s 的前两位（%(exp)s）不一致")
            % {"given": d.category_code, "code": d.code, "exp": d.code[:2]},
        )
    if d.code and d.class_code and d.class_code != d.code[:4]:
        bad(
            "class_code",
            "programme.class_mismatch",
            _("专业类代码 %(given)s 与专业代码 %(code)s 的前四位（%(exp)s）不一致")
            % {"given": d.class_code, "code": d.code, "exp": d.code[:4]},
        )
    for field, value, label in (
        ("category_name", d.category_name, "专业大类"),
        ("class_name", d.class_name, "专业类"),
    ):
        if len(value) > 64:
            bad(
                field,
                f"programme.{field}_length",
                _("%(label)s名称最多64个字（当前：%(n)d个字）") % {"label": label, "n": len(value)},
            )
    return ok


def _settle_programmes(
    drafts: list[_ProgrammeDraft], errors: ErrorCollector, *, edition_code: str
) -> tuple[list[ProgrammeRow], list[str]]:
    """Rows that passed their own checks, with duplicate codes refused and parent names settled."""
    warnings: list[str] = []
    first_seen: dict[str, _ProgrammeDraft] = {}
    good: list[_ProgrammeDraft] = []
    for d in drafts:
        if not _check_programme(d, errors):
            continue
        if d.code in first_seen:
            errors.add(
                f"{d.field}.code",
                "programme.duplicate_in_file",
                _("%(where)s：专业代码 %(code)s 与%(other)s重复")
                % {"where": d.where, "code": d.code, "other": first_seen[d.code].where},
            )
            continue
        first_seen[d.code] = d
        good.append(d)

    cat_votes: dict[tuple[str, str], list[tuple[str, str]]] = {}
    cls_votes: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for d in good:
        cat_votes.setdefault((d.level, d.code[:2]), []).append((d.category_name, d.where))
        cls_votes.setdefault((d.level, d.code[:4]), []).append((d.class_name, d.where))
    known_cats = {
        (level, code): name
        for level, code, name in ProgrammeCategory.objects.filter(edition__code=edition_code).values_list(
            "level", "code", "name"
        )
    }
    known_classes = {
        (level, code): name
        for level, code, name in ProgrammeClass.objects.filter(edition__code=edition_code).values_list(
            "level", "code", "name"
        )
    }
    cat_names = _settle_names(
        cat_votes,
        known_cats,
        describe=lambda k: _("%(level)s专业大类 %(code)s ") % {"level": LEVEL_LABELS[k[0]], "code": k[1]},
        warnings=warnings,
    )
    cls_names = _settle_names(
        cls_votes,
        known_classes,
        describe=lambda k: _("%(level)s专业类 %(code)s ") % {"level": LEVEL_LABELS[k[0]], "code": k[1]},
        warnings=warnings,
    )
    for votes, names, label, column in (
        (cat_votes, cat_names, "专业大类", "专业大类名称"),
        (cls_votes, cls_names, "专业类", "专业类名称"),
    ):
        for key, given in votes.items():
            if key not in names:
                wheres = [w for _n, w in given]
                first = next(d for d in good if d.where == wheres[0])
                errors.add(
                    f"{first.field}.{'category_name' if label == '专业大类' else 'class_name'}",
                    "programme.parent_name_missing",
                    _(
                        "%(where)s：%(level)s%(label)s %(code)s 没有名称（共%(n)d行属于它），请在“%(column)s”中至少填写一次"
                    )
                    % {
                        "where": "、".join(wheres[:5]) + ("等" if len(wheres) > 5 else ""),
                        "level": LEVEL_LABELS[key[0]],
                        "label": _(label),  # 专业大类 / 专业类, as the catalogue's models name them
                        "code": key[1],
                        "n": len(wheres),
                        "column": column,
                    },
                )
    rows = [
        ProgrammeRow(
            level=d.level,
            code=d.code,
            name=d.name,
            category_code=d.code[:2],
            category_name=cat_names.get((d.level, d.code[:2]), ""),
            class_code=d.code[:4],
            class_name=cls_names.get((d.level, d.code[:4]), ""),
        )
        for d in good
    ]
    return rows, warnings


def _store_programmes(
    drafts: list[_ProgrammeDraft],
    errors: ErrorCollector,
    progress: _Progress,
    *,
    edition_code: str,
    edition_name: str,
    year: int,
    source: str,
    previous: str | None,
    make_current: bool | None,
    actor: Actor | None,
) -> dict[str, Any]:
    errors.extend(services.edition_check(code=edition_code, name=edition_name, year=year, previous=previous))
    if not drafts and not errors:
        errors.add("file", "import.empty", _("文件中没有专业数据行"))
    rows, warnings = _settle_programmes(drafts, errors, edition_code=edition_code)
    errors.raise_if_any()
    result = services.programmes_store(
        rows=rows,
        edition_code=edition_code,
        edition_name=edition_name,
        year=int(year),
        source=source,
        previous_code=previous,
        make_current=make_current,
        actor=actor,
    )
    progress.finish()
    return {**result, "rows": len(rows), "warnings": warnings}


JSONL_LEVELS = {
    "高职专科": Level.ASSOCIATE,
    "职业本科": Level.VOCATIONAL_BACHELOR,
    "本科": Level.APPLIED_BACHELOR,
}


def import_programmes_jsonl(
    path_or_file: Source,
    *,
    edition_code: str,
    edition_name: str,
    year: int,
    progress: ProgressCallback | None = None,
    source: str = "",
    previous: str | None = None,
    make_current: bool | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """The national admissions listing's layout: one JSON object a line with `major_code`,
    `major_name`, `education_level` (高职专科 / 职业本科 / 本科), `major_category` (the 类 name) and
    `major_discipline` (the 大类 name). 大类 and 类 codes are the first 2 and 4 digits of the code.

    `previous` names the edition this one follows (default: the current one); `make_current`
    None makes it current when none is or it is later than the current one."""
    errors = ErrorCollector()
    records = _jsonl_records(path_or_file, errors)
    tracker = _Progress(progress, len(records))
    tracker.start()
    drafts = []
    for i, (number, obj) in enumerate(records, start=1):
        level_text = _text(obj.get("education_level"))
        drafts.append(
            _ProgrammeDraft(
                field=f"rows[{number}]",
                where=_("第%(n)d行") % {"n": number},
                level=JSONL_LEVELS.get(level_text) or level_from_name(level_text),
                level_text=level_text,
                code=_code(obj.get("major_code"), 6),
                name=_text(obj.get("major_name")),
                category_code="",
                category_name=strip_category_suffix(_text(obj.get("major_discipline"))),
                class_code="",
                class_name=_text(obj.get("major_category")),
            )
        )
        tracker.tick(i)
    return _store_programmes(
        drafts,
        errors,
        tracker,
        edition_code=edition_code,
        edition_name=edition_name,
        year=year,
        source=source or (Path(path_or_file).name if isinstance(path_or_file, str | Path) else ""),
        previous=previous,
        make_current=make_current,
        actor=actor,
    )


# The Ministry's spreadsheet layout: one sheet per level (named for it), a title row, then these
# columns. A 层次 column, where present, sets each row's level instead of the sheet's name.
PROGRAMME_COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("seq", "序号", ()),
    ("category_code", "专业大类代码", ("大类代码",)),
    ("category_name", "专业大类名称", ("专业大类", "大类名称")),
    ("class_code", "专业类代码", ("类代码",)),
    ("class_name", "专业类名称", ("专业类", "类名称")),
    ("code", "专业代码", ()),
    ("name", "专业名称", ()),
    ("level", "层次", ("办学层次", "专业层次", "培养层次", "学历层次")),
    ("note", "备注", ()),
]
TEMPLATE_SHEETS = [
    (Level.SECONDARY, "中等职业教育专业", "61–79"),
    (Level.ASSOCIATE, "高等职业教育专科专业", "41–59"),
    (Level.VOCATIONAL_BACHELOR, "高等职业教育本科专业", "21–39"),
]
HEADER_SEARCH_ROWS = 10


def _find_header(rows: list[tuple], columns: list[tuple[str, str, tuple[str, ...]]], required: set[str]):
    """(row index, {key: column index}) of the first of the top rows holding every required column."""
    aliases = {}
    for key, header, more in columns:
        for name in (header, *more):
            aliases[_header_key(name)] = key
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = aliases.get(_header_key(cell))
            if key and key not in found:
                found[key] = col
        if required <= found.keys():
            return index, found
    return None, {}


def import_programmes_xlsx(
    file: Source,
    *,
    edition_code: str,
    edition_name: str = "",
    year: int | None = None,
    progress: ProgressCallback | None = None,
    source: str = "",
    previous: str | None = None,
    make_current: bool | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """The Ministry's 职业教育专业目录 spreadsheet (see `programme_template_bytes`): sheets named for
    their level (中职 / 高职专科 / 职业本科, or the official 中等职业教育专业 …), or a 层次 column;
    columns 专业大类代码、专业大类名称、专业类代码、专业类名称、专业代码、专业名称. 大类 and 类 names
    may be given once per group (merged cells are read as blank below their first row)."""
    errors = ErrorCollector()
    wb = _open_workbook(file)
    sheets = []
    for ws in wb.worksheets:
        if "说明" in ws.title:
            continue
        rows = list(ws.iter_rows(values_only=True))
        header_at, columns = _find_header(rows, PROGRAMME_COLUMNS, {"code", "name"})
        if header_at is not None:
            sheets.append((ws.title, rows, header_at, columns))
    wb.close()
    if not sheets:
        raise ValidationFailed.single(
            "file",
            "import.bad_header",
            _("没有找到表头：工作表的前%(n)d行中应有“专业代码”和“专业名称”列，请下载模板填写")
            % {"n": HEADER_SEARCH_ROWS},
        )
    total = sum(len(rows) - header_at - 1 for _t, rows, header_at, _c in sheets)
    tracker = _Progress(progress, total)
    tracker.start()
    drafts: list[_ProgrammeDraft] = []
    seen = 0
    for title, rows, header_at, columns in sheets:
        sheet_level = level_from_name(title)
        if sheet_level is None and "level" not in columns:
            errors.add(
                f"sheets[{title}]",
                "import.sheet_level_unknown",
                _(
                    "工作表“%(t)s”：无法从名称判断层次，请将工作表命名为 中职、高职专科 或 职业本科，或增加“层次”列"
                )
                % {"t": title},
            )
            continue

        def cell(row: tuple, key: str, columns=columns) -> Any:
            col = columns.get(key)
            return row[col] if col is not None and col < len(row) else None

        for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
            seen += 1
            tracker.tick(seen)
            code, name = _code(cell(row, "code"), 6), _text(cell(row, "name"))
            if not code and not name:
                continue  # a blank row, or a group heading such as “46 装备制造大类” across merged cells
            if len(drafts) >= MAX_ROWS:
                errors.add("file", "import.too_many_rows", _("一次最多导入 %(n)d 行") % {"n": MAX_ROWS})
                break
            level_text = _text(cell(row, "level"))
            drafts.append(
                _ProgrammeDraft(
                    field=f"sheets[{title}].rows[{number}]",
                    where=_("工作表“%(t)s”第%(n)d行") % {"t": title, "n": number},
                    level=level_from_name(level_text) if level_text else sheet_level,
                    level_text=level_text or title,
                    code=code,
                    name=name,
                    category_code=_code(cell(row, "category_code"), 2),
                    category_name=strip_category_suffix(_group_name(cell(row, "category_name"))),
                    class_code=_code(cell(row, "class_code"), 4),
                    class_name=_group_name(cell(row, "class_name")),
                )
            )
    return _store_programmes(
        drafts,
        errors,
        tracker,
        edition_code=edition_code,
        edition_name=edition_name or _("%(y)s年专业目录") % {"y": year or ""},
        year=year,
        source=source or (Path(file).name if isinstance(file, str | Path) else ""),
        previous=previous,
        make_current=make_current,
        actor=actor,
    )


def programme_template_bytes() -> bytes:
    """The downloadable template: one sheet per level in the Ministry's layout, and a notes sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    header_fill = PatternFill("solid", fgColor="DDE7F5")
    headers = [header for key, header, _more in PROGRAMME_COLUMNS if key != "level"]
    widths = [6, 14, 22, 12, 24, 12, 30, 20]
    for level, title, category_range in TEMPLATE_SHEETS:
        ws = wb.create_sheet(title)
        ws.cell(
            row=1,
            column=1,
            value=_("职业教育专业目录 · %(title)s（%(level)s，专业大类代码 %(range)s）")
            % {"title": title, "level": LEVEL_LABELS[level], "range": category_range},
        ).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        for col, header in enumerate(headers, start=1):
            c = ws.cell(row=2, column=col, value=header)
            c.font = Font(bold=True)
            c.fill = header_fill
            c.alignment = Alignment(horizontal="center")
            ws.column_dimensions[c.column_letter].width = widths[col - 1]
        for col in (2, 4, 6):  # codes are text, so 050201 keeps its leading zero
            for row in range(3, 1003):
                ws.cell(row=row, column=col).number_format = "@"
        ws.freeze_panes = "A3"
    notes = wb.create_sheet("填写说明")
    lines = [
        "职业教育专业目录导入模板",
        "1. 每个层次一个工作表（中等职业教育专业、高等职业教育专科专业、高等职业教育本科专业），工作表名称决定层次；",
        "   也可只用一个工作表并增加“层次”列（填 中职、高职专科、职业本科 或 本科；高职本科、高等职业教育本科 等写法均可）。",
        "2. 第1行为标题，第2行为表头，请勿修改表头；从第3行起每行一个专业。",
        "3. 专业代码为6位数字（可带后缀 K），前两位为专业大类、前四位为专业类：",
        "   中职大类代码 61–79，高职专科 41–59，职业本科 21–39（同一大类在各层次间相差20）。",
        "4. 专业大类名称、专业类名称在同一大类或同一类下只需填写一次（合并单元格亦可）；名称末尾的“大类”二字可写可不写。",
        "5. 专业大类代码、专业类代码可不填；填写时须与专业代码的前两位、前四位一致。",
        "6. 示例：46 | 装备制造 | 4607 | 汽车制造类 | 460702 | 新能源汽车技术",
        "7. 导入为全部成功或全部不导入：任一行有误时不导入任何数据，并列出每一行的问题。",
        "   同一版本可重复导入：已有的专业按专业代码更新，不会重复。",
    ]
    for row, line in enumerate(lines, start=1):
        notes.cell(row=row, column=1, value=line).font = Font(bold=row == 1)
    notes.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- industries ---------------------------------------------------------------------------------

INDUSTRY_COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("code", "industry_id", ("代码", "行业代码", "类别代码")),
    ("name", "name", ("名称", "行业名称", "类别名称")),
    ("parent", "parent_id", ("上级代码", "父级代码")),
    ("tier", "level_type", ("层级", "级别")),
    ("description", "description", ("说明", "描述")),
]
INDUSTRY_TIER_NAMES = {"门类": 1, "大类": 2, "中类": 3, "小类": 4}
INDUSTRY_CODE_WIDTH = {2: 2, 3: 3, 4: 4}

# Known slips in a published copy of the table, corrected by (code, name) and reported as warnings.
# GB/T 4754-2017 has 0711 陆地石油开采 and 0712 海洋石油开采; the public file the tests read gives
# both the code 0711.
INDUSTRY_ERRATA: dict[tuple[str, str], str] = {("0711", "海洋石油开采"): "0712"}


def _industry_tier_given(value: Any) -> int | None | str:
    """The tier a level_type cell gives: 0–3 (门类…小类) or the tier's name; '' when blank; None when unreadable."""
    text = _text(value)
    if not text:
        return ""
    if text in INDUSTRY_TIER_NAMES:
        return INDUSTRY_TIER_NAMES[text]
    if text in {"0", "1", "2", "3"}:
        return int(text) + 1
    return None


def import_industries_xlsx(
    file: Source, *, progress: ProgressCallback | None = None, actor: Actor | None = None
) -> dict[str, Any]:
    """GB/T 4754-2017 as a spreadsheet with columns id, industry_id, name, parent_id, level_type
    (0 门类 … 3 小类), description (Chinese headers 代码 / 名称 / 上级代码 / 层级 / 说明 work too).

    Each code is stored as GB/T has it (门类 a letter A–T, 大类 2 digits, 中类 3, 小类 4) and hangs
    under the parent its code says: a 中类 under its first two digits, a 小类 under its first three,
    a 大类 under the 门类 whose range holds it. Where the file's parent_id says otherwise, the code
    wins and the row is named in the warnings."""
    errors = ErrorCollector()
    warnings: list[str] = []
    wb = _open_workbook(file)
    found = None
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header_at, columns = _find_header(rows, INDUSTRY_COLUMNS, {"code", "name"})
        if header_at is not None:
            found = (rows, header_at, columns)
            break
    wb.close()
    if found is None:
        raise ValidationFailed.single(
            "file",
            "import.bad_header",
            _(
                "没有找到表头：应有 industry_id（代码）与 name（名称）列，另可有 parent_id、level_type、description"
            ),
        )
    rows, header_at, columns = found

    def cell(row: tuple, key: str) -> Any:
        col = columns.get(key)
        return row[col] if col is not None and col < len(row) else None

    data_rows = rows[header_at + 1 :]
    tracker = _Progress(progress, len(data_rows))
    tracker.start()
    parsed: list[
        tuple[int, str, int, str, str, str]
    ] = []  # number, code, tier, name, file parent, description
    first_seen: dict[str, int] = {}
    for i, row in enumerate(data_rows, start=1):
        number = header_at + 1 + i
        tracker.tick(i)
        where = _("第%(n)d行") % {"n": number}
        raw_code, name = cell(row, "code"), _text(cell(row, "name"))
        if raw_code in (None, "") and not name:
            continue
        given_tier = _industry_tier_given(cell(row, "tier"))
        code = _code(raw_code, INDUSTRY_CODE_WIDTH.get(given_tier, 0) if isinstance(given_tier, int) else 0)
        if (code, name) in INDUSTRY_ERRATA:
            fixed = INDUSTRY_ERRATA[(code, name)]
            warnings.append(
                _(
                    "%(where)s：%(name)s 的代码在文件中为 %(code)s，按 GB/T 4754-2017 应为 %(fixed)s，已按 %(fixed)s 导入"
                )
                % {"where": where, "name": name, "code": code, "fixed": fixed}
            )
            code = fixed
        problems = []
        tier = industry_tier(code)
        if not code:
            problems.append(("code", "industry.code_missing", _("行业代码不能为空")))
        elif tier is None:
            problems.append(
                (
                    "code",
                    "industry.code_format",
                    _(
                        "“%(c)s”不是 GB/T 4754-2017 的代码（门类为一个字母 A–T，大类2位、中类3位、小类4位数字）"
                    )
                    % {"c": code},
                )
            )
        elif given_tier is None:
            problems.append(
                (
                    "level_type",
                    "industry.tier_unknown",
                    _("层级“%(v)s”无法识别（应为 0 门类、1 大类、2 中类、3 小类）")
                    % {"v": _text(cell(row, "tier"))},
                )
            )
        elif given_tier and given_tier != tier:
            problems.append(
                (
                    "level_type",
                    "industry.tier_mismatch",
                    _("代码 %(c)s 是%(actual)s，但层级一栏写的是%(given)s")
                    % {
                        "c": code,
                        "actual": Industry.Tier(tier).label,
                        "given": Industry.Tier(given_tier).label,
                    },
                )
            )
        elif tier == Industry.Tier.DIVISION and industry_parent_code(code) is None:
            problems.append(
                (
                    "code",
                    "industry.division_range",
                    _("大类代码 %(c)s 不在 GB/T 4754-2017 的 01–97 之内") % {"c": code},
                )
            )
        if not name:
            problems.append(
                (
                    "name",
                    "industry.name_missing",
                    _("行业名称不能为空（代码 %(c)s）") % {"c": code or _("空")},
                )
            )
        elif len(name) > 128:
            problems.append(
                (
                    "name",
                    "industry.name_length",
                    _("行业名称最多128个字（当前：%(n)d个字）") % {"n": len(name)},
                )
            )
        if code and not problems and code in first_seen:
            problems.append(
                (
                    "code",
                    "industry.duplicate_in_file",
                    _("行业代码 %(c)s 与第%(m)d行重复") % {"c": code, "m": first_seen[code]},
                )
            )
        for field, err_code, message in problems:
            errors.add(
                f"rows[{number}].{field}",
                err_code,
                _("%(where)s：%(msg)s") % {"where": where, "msg": message},
            )
        if problems:
            continue
        first_seen[code] = number
        parsed.append((number, code, tier, name, _code(cell(row, "parent")), _text(cell(row, "description"))))

    known = set(Industry.objects.values_list("code", flat=True))
    codes = {code for _n, code, *_rest in parsed}
    tree: list[TreeRow] = []
    for number, code, tier, name, file_parent, description in parsed:
        parent = industry_parent_code(code)
        if parent is not None and parent not in codes and parent not in known:
            errors.add(
                f"rows[{number}].parent_id",
                "industry.parent_missing",
                _("第%(n)d行：行业 %(c)s 的上级 %(p)s 既不在文件中，也未导入过")
                % {"n": number, "c": code, "p": parent},
            )
            continue
        if file_parent and file_parent != (parent or ""):
            warnings.append(
                _("第%(n)d行：行业 %(c)s 的上级在文件中为 %(given)s，按代码结构应为 %(p)s，已按 %(p)s 导入")
                % {"n": number, "c": code, "given": file_parent, "p": parent or _("无")}
            )
        tree.append(TreeRow(code, tier, name, parent, {"description": description}))
    if not parsed and not errors:
        errors.add("file", "import.empty", _("文件中没有行业数据行"))
    errors.raise_if_any()
    result = services.industries_store(rows=tree, actor=actor)
    tracker.finish()
    return {**result, "rows": len(tree), "warnings": warnings}


# --- occupations --------------------------------------------------------------------------------

OCCUPATION_EDITION = re.compile(r"[0-9A-Za-z+]{1,16}")
OCCUPATION_PARENT_FIELDS = (
    (Occupation.Tier.MAJOR, "major_category_code", "major_category_name"),
    (Occupation.Tier.MIDDLE, "middle_category_code", "middle_category_name"),
    (Occupation.Tier.MINOR, "minor_category_code", "minor_category_name"),
)


def _keywords(value: Any) -> list[str] | None:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [k for k in (w.strip() for w in value.replace("，", ",").split(",")) if k]
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return [k.strip() for k in value if k.strip()]
    return None


def import_occupations_jsonl(
    file: Source,
    *,
    edition: str = "2022",
    progress: ProgressCallback | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """职业分类大典 as JSON Lines, one occupation (细类) a line: `occupation_code` (2-02-10-03),
    `occupation_name`, `definition`, `keywords` (a list), and the 大类 / 中类 / 小类 above it in
    `major_/middle_/minor_category_code` and `…_name`. The three upper tiers are created from those.

    The 8 大类 are named as the 大典 names them (rules.OCCUPATION_MAJOR_NAMES): the public file this
    was written against names 大类 1 after one of its 细类, 民办非企业单位负责人; the official name
    is 党的机关、国家机关、群众团体和社会组织、企事业单位负责人. Each such correction is a warning."""
    errors = ErrorCollector()
    warnings: list[str] = []
    if not OCCUPATION_EDITION.fullmatch(edition or ""):
        errors.add(
            "edition",
            "occupation.edition_format",
            _("版本应为1–16位字母、数字或 +（当前：%(v)s）") % {"v": edition or _("空")},
        )
    records = _jsonl_records(file, errors)
    tracker = _Progress(progress, len(records))
    tracker.start()
    details: list[tuple[int, str, str, str, list[str]]] = []
    votes: dict[str, list[tuple[str, str]]] = {}
    tiers: dict[str, int] = {}
    parent_first_row: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for i, (number, obj) in enumerate(records, start=1):
        tracker.tick(i)
        where = _("第%(n)d行") % {"n": number}
        code, name = _text(obj.get("occupation_code")), _text(obj.get("occupation_name"))
        problems = []
        match = OCCUPATION_CODE.fullmatch(code)
        if not match:
            problems.append(
                (
                    "occupation_code",
                    "occupation.code_format",
                    _("职业代码应为“大类-中类-小类-细类”的形式，如 2-02-10-03（当前：%(c)s）")
                    % {"c": code or _("空")},
                )
            )
        if not name:
            problems.append(("occupation_name", "occupation.name_missing", _("职业名称不能为空")))
        elif len(name) > 128:
            problems.append(
                (
                    "occupation_name",
                    "occupation.name_length",
                    _("职业名称最多128个字（当前：%(n)d个字）") % {"n": len(name)},
                )
            )
        keywords = _keywords(obj.get("keywords"))
        if keywords is None:
            problems.append(("keywords", "occupation.keywords_type", _("keywords 应为字符串列表")))
        if match:
            prefixes = occupation_prefixes(code)
            for tier, code_field, _name_field in OCCUPATION_PARENT_FIELDS:
                given = _text(obj.get(code_field))
                if given and given != prefixes[tier]:
                    problems.append(
                        (
                            code_field,
                            "occupation.parent_mismatch",
                            _("%(f)s 为 %(given)s，与职业代码 %(c)s 不一致（应为 %(exp)s）")
                            % {"f": code_field, "given": given, "c": code, "exp": prefixes[tier]},
                        )
                    )
            if code in first_seen:
                problems.append(
                    (
                        "occupation_code",
                        "occupation.duplicate_in_file",
                        _("职业代码 %(c)s 与第%(m)d行重复") % {"c": code, "m": first_seen[code]},
                    )
                )
        for field, err_code, message in problems:
            errors.add(
                f"rows[{number}].{field}",
                err_code,
                _("%(where)s：%(msg)s") % {"where": where, "msg": message},
            )
        if problems:
            continue
        first_seen[code] = number
        details.append((number, code, name, _text(obj.get("definition")), keywords))
        for tier, _code_field, name_field in OCCUPATION_PARENT_FIELDS:
            parent = prefixes[tier]
            tiers[parent] = tier
            parent_first_row.setdefault(parent, number)
            votes.setdefault(parent, []).append((_text(obj.get(name_field)), where))

    known = dict(Occupation.objects.filter(edition=edition).values_list("code", "name"))
    for major, official in OCCUPATION_MAJOR_NAMES.items():
        given = votes.get(major)
        if not given:
            continue
        differing = Counter(name for name, _w in given if name and name != official)
        for name, n in differing.items():
            warnings.append(
                _(
                    "职业大类 %(c)s 的名称在文件中写作“%(given)s”（%(n)d行），按《职业分类大典》记为“%(official)s”"
                )
                % {"c": major, "given": name, "n": n, "official": official}
            )
        votes[major] = [(official, "")]
    names = _settle_names(
        votes,
        known,
        describe=lambda c: _("%(tier)s %(c)s ") % {"tier": Occupation.Tier(tiers[c]).label, "c": c},
        warnings=warnings,
    )
    for parent, given in votes.items():
        if parent not in names:
            number = parent_first_row[parent]
            errors.add(
                f"rows[{number}]",
                "occupation.parent_name_missing",
                _("第%(n)d行：%(tier)s %(c)s 没有名称（文件中属于它的%(k)d行都未给出），且此前未导入过")
                % {"n": number, "tier": Occupation.Tier(tiers[parent]).label, "c": parent, "k": len(given)},
            )
    if not details and not errors:
        errors.add("file", "import.empty", _("文件中没有职业数据行"))
    errors.raise_if_any()

    tree = [
        TreeRow(code, tier, names[code], _parent_of(code, tier), {})
        for code, tier in sorted(tiers.items(), key=lambda item: (item[1], item[0]))
    ]
    tree += [
        TreeRow(
            code, Occupation.Tier.DETAIL, name, code[:7], {"definition": definition, "keywords": keywords}
        )
        for _n, code, name, definition, keywords in details
    ]
    result = services.occupations_store(rows=tree, edition=edition, actor=actor)
    tracker.finish()
    return {**result, "rows": len(details), "warnings": warnings}


def _parent_of(code: str, tier: int) -> str | None:
    return {Occupation.Tier.MAJOR: None, Occupation.Tier.MIDDLE: code[:1], Occupation.Tier.MINOR: code[:4]}[
        tier
    ]


def summary_line(result: dict[str, Any]) -> str:
    """A one-line Chinese summary of an importer's result, for messages and the terminal."""
    parts = [
        _("新增 %(n)d") % {"n": result.get("created", 0)},
        _("更新 %(n)d") % {"n": result.get("updated", 0)},
        _("未变 %(n)d") % {"n": result.get("unchanged", 0)},
    ]
    if result.get("warnings"):
        parts.append(_("更正 %(n)d 处") % {"n": len(result["warnings"])})
    return "，".join(parts)
