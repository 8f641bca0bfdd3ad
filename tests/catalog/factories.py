"""Builders for catalogue test files and editions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence

from openpyxl import Workbook, load_workbook

from chanjiao.catalog.importers import import_programmes_jsonl, programme_template_bytes


def jsonl_bytes(rows: Iterable[dict | str]) -> io.BytesIO:
    """A JSON Lines file; a str row is written as it is (to make a broken line)."""
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def programme(code: str, name: str, level: str = "高职专科", klass: str = "", discipline: str = "") -> dict:
    """A row in the national admissions listing's layout."""
    defaults = {
        "46": ("装备制造", "4607", "汽车制造类"),
        "26": ("装备制造", "2607", "汽车制造类"),
        "51": ("电子与信息", "5102", "计算机类"),
        "31": ("电子与信息", "3102", "计算机类"),
        "53": ("财经商贸", "5303", "财务会计类"),
    }
    default_discipline, _klass_code, default_klass = defaults.get(code[:2], ("装备制造", "", "汽车制造类"))
    return {
        "major_code": code,
        "major_name": name,
        "education_level": level,
        "major_category": klass or default_klass,
        "major_discipline": discipline or default_discipline,
    }


def occupation(code: str, name: str, **extra) -> dict:
    """A line of the 职业分类大典 file, its upper tiers named as in 2-02-10."""
    return {
        "occupation_code": code,
        "occupation_name": name,
        "definition": "",
        "keywords": [name],
        "major_category_code": code[:1],
        "major_category_name": "专业技术人员",
        "middle_category_code": code[:4],
        "middle_category_name": "工程技术人员",
        "minor_category_code": code[:7],
        "minor_category_name": "信息和通信工程技术人员",
        **extra,
    }


def make_edition(code: str, year: int, rows: Sequence[dict], **kwargs) -> dict:
    return import_programmes_jsonl(
        jsonl_bytes(rows), edition_code=code, edition_name=f"{year}年专业目录", year=year, **kwargs
    )


def xlsx_bytes(sheets: dict[str, Sequence[Sequence]]) -> io.BytesIO:
    """A workbook with one sheet per key; each value is its rows (the first being the header)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def filled_template(rows_by_sheet: dict[str, Sequence[Sequence]]) -> io.BytesIO:
    """The downloadable template with rows appended below the header of the named sheets."""
    wb = load_workbook(io.BytesIO(programme_template_bytes()))
    for title, rows in rows_by_sheet.items():
        ws = wb[title]
        for offset, row in enumerate(rows, start=3):
            for col, value in enumerate(row, start=1):
                ws.cell(row=offset, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


INDUSTRY_HEADER = ("id", "industry_id", "name", "parent_id", "level_type", "description")
