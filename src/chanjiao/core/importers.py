"""Import of the administrative divisions tables (GB/T 2260): all or nothing, re-runnable.

Two layouts are read:

* three files, as the public divisions tables ship them: provinces (`code,name`, two-digit code),
  cities (`code,name,provinceCode`, four-digit code), counties (`code,name,cityCode,provinceCode`,
  six-digit code). Six-digit codes are accepted in every column too.
* one combined file, as the Ministry of Civil Affairs publishes its list: `code,name` with six-digit
  codes of every level (the level follows from the trailing zeros). Municipalities have no city row
  there, so a county whose city is absent hangs directly under its province.

Every code is stored with six digits (province 340000, city 340100, county 340104). The pseudo-cities
of the tables (市辖区 of a municipality, 省直辖县级行政区划) are kept as city-level rows, so that
every county has a parent, but they are left out of full names: 110101 is 北京市东城区.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import ErrorCollector
from .models import Region
from .permissions import Actor, Role
from .progress import ProgressCallback

Source = str | os.PathLike | IO[bytes] | IO[str] | bytes

# Names of the placeholder cities that only group counties; they never appear in a full name.
PSEUDO_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
LEVEL_ORDER = {Region.Level.PROVINCE: 0, Region.Level.CITY: 1, Region.Level.COUNTY: 2}
BATCH_SIZE = 500

# Header aliases, so files exported by other tools (snake case, Chinese headers) read as well.
_ALIASES = {
    "code": {"code", "代码", "行政区划代码", "区划代码"},
    "name": {"name", "名称", "单位名称", "区划名称"},
    "province": {"provincecode", "province_code", "省代码", "省级代码"},
    "city": {"citycode", "city_code", "市代码", "地级代码"},
}


@dataclass(frozen=True)
class RegionRow:
    """One division as read from a file, with where it came from (for error messages)."""

    code: str
    name: str
    level: str
    parent: str | None
    full_name: str = ""
    origin: str = ""

    def values(self) -> tuple[str, str, str | None, str]:
        return (self.name, self.level, self.parent, self.full_name)


@dataclass
class _Table:
    label: str  # the file's name, as messages show it
    header: dict[str, int]
    rows: list[tuple[int, list[str]]]  # (line number, cells)


def _display_name(source: Source, default: str) -> str:
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source))
    name = getattr(source, "name", "")
    return os.path.basename(str(name)) if name else default


def _read_text(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            raw: bytes | str = fh.read()
    elif isinstance(source, bytes):
        raw = source
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        raw = source.read()
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files saved by Excel on a Chinese system are GBK; GB 18030 is its superset.
        return raw.decode("gb18030")


def _read_table(source: Source, default_label: str, columns: tuple[str, ...], errors: ErrorCollector):
    label = _display_name(source, default_label)
    text = _read_text(source)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    header: dict[str, int] | None = None
    for cells in reader:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if header is None:
            if cells[0].isdigit():  # no header row: columns in the documented order
                header = {name: i for i, name in enumerate(columns)}
            else:
                header = {}
                for i, cell in enumerate(cells):
                    key = cell.replace(" ", "").lower()
                    for column, aliases in _ALIASES.items():
                        if key in aliases and column not in header:
                            header[column] = i
                missing = [c for c in columns if c not in header]
                if missing:
                    errors.add(
                        f"{label}[1]",
                        "import.bad_header",
                        _("%(file)s 第1行：表头缺少列 %(cols)s（应为：%(expected)s）")
                        % {
                            "file": label,
                            "cols": "、".join(missing),
                            "expected": ",".join(_HEADER_NAMES[c] for c in columns),
                        },
                    )
                    return _Table(label, header, [])
                continue
        rows.append((reader.line_num, cells))
    if header is None:
        errors.add(f"{label}", "import.empty", _("%(file)s 中没有数据行") % {"file": label})
        header = {}
    return _Table(label, header, rows)


_HEADER_NAMES = {"code": "code", "name": "name", "province": "provinceCode", "city": "cityCode"}


def _cell(table: _Table, cells: list[str], column: str) -> str:
    index = table.header.get(column)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _province_code(raw: str) -> str | None:
    if raw.isdigit() and len(raw) == 2 and raw != "00":
        return raw + "0000"
    if raw.isdigit() and len(raw) == 6 and raw.endswith("0000") and raw[:2] != "00":
        return raw
    return None


def _city_code(raw: str) -> str | None:
    if raw.isdigit() and len(raw) == 4 and raw[2:] != "00" and raw[:2] != "00":
        return raw + "00"
    if raw.isdigit() and len(raw) == 6 and raw.endswith("00") and raw[2:4] != "00" and raw[:2] != "00":
        return raw
    return None


def _county_code(raw: str) -> str | None:
    if raw.isdigit() and len(raw) == 6 and raw[4:] != "00" and raw[2:4] != "00":
        return raw
    return None


def _level_of(code: str) -> str:
    if code.endswith("0000"):
        return Region.Level.PROVINCE
    if code.endswith("00"):
        return Region.Level.CITY
    return Region.Level.COUNTY


class _Collector:
    """Rows read so far, with duplicate detection across all files of one import."""

    def __init__(self, errors: ErrorCollector):
        self.errors = errors
        self.rows: dict[str, RegionRow] = {}
        self.read: dict[str, int] = {}  # data rows per file
        self.self_rows = 0

    def error(self, table: _Table, line: int, field: str, code: str, message: str) -> None:
        self.errors.add(
            f"{table.label}[{line}].{field}",
            code,
            _("%(file)s 第%(line)d行：%(msg)s") % {"file": table.label, "line": line, "msg": message},
        )

    def add(self, table: _Table, line: int, row: RegionRow) -> None:
        first = self.rows.get(row.code)
        if first is not None:
            self.error(
                table,
                line,
                "code",
                "region.duplicate",
                _("代码 %(code)s 重复（已见于 %(first)s）") % {"code": row.code, "first": first.origin},
            )
            return
        self.rows[row.code] = row


def _bad_code(raw: str, what: str) -> str:
    return _("代码“%(raw)s”无效（%(what)s）") % {"raw": raw or _("空"), "what": what}


def _parse_three(provinces: Source, cities: Source, areas: Source, errors: ErrorCollector) -> _Collector:
    found = _Collector(errors)
    prov = _read_table(provinces, "provinces.csv", ("code", "name"), errors)
    city = _read_table(cities, "cities.csv", ("code", "name", "province"), errors)
    area = _read_table(areas, "areas.csv", ("code", "name", "city", "province"), errors)
    found.read = {"provinces": len(prov.rows), "cities": len(city.rows), "areas": len(area.rows)}

    for line, cells in prov.rows:
        raw, name = _cell(prov, cells, "code"), _cell(prov, cells, "name")
        code = _province_code(raw)
        if code is None:
            found.error(
                prov,
                line,
                "code",
                "region.bad_code",
                _bad_code(raw, _("省级代码应为2位数字或以0000结尾的6位数字，如 34 或 340000")),
            )
            continue
        if not name:
            found.error(prov, line, "name", "region.name_required", _("名称不能为空"))
            continue
        found.add(
            prov, line, RegionRow(code, name, Region.Level.PROVINCE, None, origin=f"{prov.label}:{line}")
        )

    for line, cells in city.rows:
        raw, name = _cell(city, cells, "code"), _cell(city, cells, "name")
        raw_parent = _cell(city, cells, "province")
        code = _city_code(raw)
        if code is None:
            found.error(
                city,
                line,
                "code",
                "region.bad_code",
                _bad_code(raw, _("地级代码应为4位数字或以00结尾的6位数字，如 3401 或 340100")),
            )
            continue
        if not name:
            found.error(city, line, "name", "region.name_required", _("名称不能为空"))
            continue
        parent = _province_code(raw_parent)
        if parent is None or parent not in found.rows:
            found.error(
                city,
                line,
                "provinceCode",
                "region.unknown_parent",
                _("所属省级代码“%(p)s”在 %(file)s 中不存在")
                % {"p": raw_parent or _("空"), "file": prov.label},
            )
            continue
        if code[:2] != parent[:2]:
            found.error(
                city,
                line,
                "provinceCode",
                "region.parent_mismatch",
                _("代码 %(code)s 的前2位应与所属省级代码一致（当前所属：%(p)s）")
                % {"code": code, "p": parent[:2]},
            )
            continue
        found.add(city, line, RegionRow(code, name, Region.Level.CITY, parent, origin=f"{city.label}:{line}"))

    for line, cells in area.rows:
        raw, name = _cell(area, cells, "code"), _cell(area, cells, "name")
        raw_city, raw_province = _cell(area, cells, "city"), _cell(area, cells, "province")
        city_row = found.rows.get(_city_code(raw_city) or "")
        if city_row is not None and _city_code(raw) == city_row.code and name == city_row.name:
            # A city without districts (东莞市 441900) is listed again as its own county-level
            # unit; it is the same division, so it stays one city-level region.
            found.self_rows += 1
            continue
        code = _county_code(raw)
        if code is None:
            found.error(
                area,
                line,
                "code",
                "region.bad_code",
                _bad_code(raw, _("县级代码应为6位数字且末两位不为00，如 340104")),
            )
            continue
        if not name:
            found.error(area, line, "name", "region.name_required", _("名称不能为空"))
            continue
        parent = _city_code(raw_city)
        parent_row = found.rows.get(parent) if parent else None
        if parent_row is None or parent_row.level != Region.Level.CITY:
            found.error(
                area,
                line,
                "cityCode",
                "region.unknown_parent",
                _("所属地级代码“%(p)s”在 %(file)s 中不存在") % {"p": raw_city or _("空"), "file": city.label},
            )
            continue
        province = _province_code(raw_province) if raw_province else parent_row.parent
        if code[:4] != parent[:4] or province != parent_row.parent:
            found.error(
                area,
                line,
                "cityCode",
                "region.parent_mismatch",
                _("代码 %(code)s 与所属地级代码 %(city)s、省级代码 %(prov)s 不一致（前4位应相同）")
                % {"code": code, "city": parent[:4], "prov": raw_province or parent[:2]},
            )
            continue
        found.add(
            area, line, RegionRow(code, name, Region.Level.COUNTY, parent, origin=f"{area.label}:{line}")
        )
    return found


def _parse_combined(source: Source, errors: ErrorCollector) -> _Collector:
    found = _Collector(errors)
    table = _read_table(source, "regions.csv", ("code", "name"), errors)
    found.read = {"regions": len(table.rows)}
    parsed: list[tuple[int, str, str]] = []
    for line, cells in table.rows:
        raw, name = _cell(table, cells, "code"), _cell(table, cells, "name")
        if not (raw.isdigit() and len(raw) == 6) or raw[:2] == "00" or (raw[2:4] == "00" and raw[4:] != "00"):
            found.error(
                table,
                line,
                "code",
                "region.bad_code",
                _bad_code(raw, _("应为6位行政区划代码，如 340000、340100、340104")),
            )
            continue
        if not name:
            found.error(table, line, "name", "region.name_required", _("名称不能为空"))
            continue
        parsed.append((line, raw, name))
    codes = {code for _line, code, _name in parsed}
    # Parents first, so a missing parent is reported once the whole file is known.
    for line, code, name in sorted(parsed, key=lambda p: (LEVEL_ORDER[_level_of(p[1])], p[0])):
        level = _level_of(code)
        parent: str | None = None
        if level == Region.Level.CITY:
            parent = code[:2] + "0000"
        elif level == Region.Level.COUNTY:
            city = code[:4] + "00"
            parent = city if city in codes else code[:2] + "0000"
        if parent is not None and parent not in codes:
            found.error(
                table,
                line,
                "code",
                "region.unknown_parent",
                _("上级代码 %(p)s 在 %(file)s 中不存在") % {"p": parent, "file": table.label},
            )
            continue
        found.add(table, line, RegionRow(code, name, level, parent, origin=f"{table.label}:{line}"))
    return found


def with_full_names(rows: dict[str, RegionRow]) -> list[RegionRow]:
    """Rows with their full names (安徽省合肥市蜀山区), parents before children."""

    def full(code: str) -> str:
        row = rows[code]
        own = "" if row.level == Region.Level.CITY and row.name in PSEUDO_CITY_NAMES else row.name
        return (full(row.parent) if row.parent else "") + own

    done = []
    for row in sorted(rows.values(), key=lambda r: (LEVEL_ORDER[r.level], r.code)):
        name = full(row.code)
        if row.level == Region.Level.CITY and row.name in PSEUDO_CITY_NAMES:
            name = full(row.parent) + row.name  # the placeholder itself: 北京市市辖区
        done.append(RegionRow(row.code, row.name, row.level, row.parent, full_name=name, origin=row.origin))
    return done


@dataclass
class ParsedRegions:
    rows: list[RegionRow]
    errors: ErrorCollector
    read: dict[str, int]  # data rows read, per file
    merged: int = 0  # county-level rows that repeat their own city (东莞市, 中山市, 儋州市)


def parse_regions(
    provinces_csv: Source, cities_csv: Source | None = None, areas_csv: Source | None = None
) -> ParsedRegions:
    """Reads the files without writing anything: the rows with full names, and every problem found."""
    errors = ErrorCollector()
    if cities_csv is None and areas_csv is None:
        found = _parse_combined(provinces_csv, errors)
    elif cities_csv is None or areas_csv is None:
        errors.add(
            "files",
            "import.files_missing",
            _("需同时提供省级、地级、县级三个文件，或只提供一个六位代码的合并文件"),
        )
        return ParsedRegions([], errors, {})
    else:
        found = _parse_three(provinces_csv, cities_csv, areas_csv, errors)
    if not found.rows and not errors:
        errors.add("files", "import.empty", _("文件中没有数据行"))
    return ParsedRegions(with_full_names(found.rows), errors, found.read, found.self_rows)


def upsert_regions(rows: Iterable[RegionRow], progress: ProgressCallback | None = None) -> dict[str, int]:
    """Inserts new regions and updates changed ones in bulk; unchanged rows are not written.

    Runs inside the caller's transaction. Regions absent from `rows` are kept: organisations may
    still point at a division that a later edition dropped.
    """
    rows = sorted(rows, key=lambda r: (LEVEL_ORDER[r.level], r.code))
    existing = {
        code: (name, level, parent, full_name)
        for code, name, level, parent, full_name in Region.objects.values_list(
            "code", "name", "level", "parent_id", "full_name"
        )
    }
    changed = [r for r in rows if existing.get(r.code) != r.values()]
    created = sum(1 for r in changed if r.code not in existing)
    total = len(changed)
    for start in range(0, total, BATCH_SIZE):
        batch = changed[start : start + BATCH_SIZE]
        Region.objects.bulk_create(
            [
                Region(code=r.code, name=r.name, level=r.level, parent_id=r.parent, full_name=r.full_name)
                for r in batch
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "full_name"],
        )
        if progress is not None:
            progress(start + len(batch), total)
    if progress is not None and total == 0:
        progress(0, 0)
    return {"created": created, "updated": total - created, "unchanged": len(rows) - total}


def import_regions(
    provinces_csv: Source,
    cities_csv: Source | None = None,
    areas_csv: Source | None = None,
    progress: ProgressCallback | None = None,
    *,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Imports the divisions tables: every row or none, re-runnable (an upsert by code).

    Pass the three files (provinces, cities, counties) or one combined six-digit file as
    `provinces_csv` alone. Each may be a path, a binary or text file object, or bytes.
    Raises ValidationFailed listing every bad row with its file and line number; returns counts.
    Operators run it without an actor (command line); with one, only province staff may.
    """
    if actor is not None:
        actor.require(Role.PROVINCE_ADMIN)
    parsed = parse_regions(provinces_csv, cities_csv, areas_csv)
    parsed.errors.raise_if_any()
    rows = parsed.rows
    with transaction.atomic():
        counts = upsert_regions(rows, progress)
        levels = {level: sum(1 for r in rows if r.level == level) for level in LEVEL_ORDER}
        result = {
            "rows": parsed.read,
            "provinces": levels[Region.Level.PROVINCE],
            "cities": levels[Region.Level.CITY],
            "counties": levels[Region.Level.COUNTY],
            "merged": parsed.merged,
            **counts,
        }
        audit_record(
            actor=actor,
            action="region.import",
            object_type="core.region",
            object_repr=_("导入行政区划 %(n)d 条（新增 %(c)d，更新 %(u)d）")
            % {"n": len(rows), "c": counts["created"], "u": counts["updated"]},
            changes={"created": [0, counts["created"]], "updated": [0, counts["updated"]]},
        )
    return result
