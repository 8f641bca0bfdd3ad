"""Excel exports shared by every app: a header row, typed cells, frozen panes, sensible widths."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _write_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    """One sheet in a write-only workbook: rows are streamed to the file rather than kept as cell
    objects, a few times faster for 10,000 rows; the widths are known first, so rows are read once
    into a list before writing."""
    rows = [list(row) for row in rows]
    widths = [len(str(h)) * 2 + 2 for h in headers]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = min(60, max(widths[i], len(str(value or "")) + 2))
    ws = wb.create_sheet(title[:31])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F5")
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(row)


def _saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook(write_only=True)
    _write_sheet(wb, title, headers, rows)
    return _saved(wb)


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def workbook_sheets_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """A workbook of several sheets, each (title, headers, rows), styled as `workbook_bytes` styles one."""
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        _write_sheet(wb, title, headers, rows)
    return _saved(wb)
