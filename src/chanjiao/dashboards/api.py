"""API of the dashboards: the same figures the pages draw, as JSON.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Router, Schema

from chanjiao.projects.permissions import READ_ROLES

from .selectors import Column, Table, dashboard_for

router = Router(tags=["数据看板"])


class ColumnOut(Schema):
    key: str
    label: str
    kind: str  # text, int, wan (the value is yuan, a string decimal), percent, date


class TableOut(Schema):
    key: str
    title: str
    note: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class CardOut(Schema):
    key: str
    label: str
    kind: str
    value: int | str | None


class DashboardOut(Schema):
    view: str  # province, city or organization
    scope_code: str
    scope_name: str
    today: dt.date
    cards: list[CardOut]
    tables: list[TableOut]


def _value(kind: str, value):
    """Money as a string decimal in yuan, percentages as string decimals, dates ISO (API conventions)."""
    if value is None:
        return None
    if kind == "wan":
        return str(Decimal(value).quantize(Decimal("0.01")))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, int | str) else str(value)


def _table(t: Table) -> dict:
    columns: list[Column] = t.columns
    return {
        "key": t.key,
        "title": str(t.title),
        "note": str(t.note),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in columns],
        "rows": [
            {"key": row.get("_key", ""), **{c.key: _value(c.kind, row.get(c.key)) for c in columns}}
            for row in t.rows
        ],
    }


@router.get("/dashboard", response=DashboardOut, summary="数据看板（按角色：全省、本市或本单位）")
def dashboard(request):
    request.actor.require(*READ_ROLES)
    board = dashboard_for(request.actor)
    return {
        "view": board.view,
        "scope_code": board.scope_code,
        "scope_name": board.scope_name,
        "today": board.today,
        "cards": [
            {
                "key": c["key"],
                "label": str(c["label"]),
                "kind": c["kind"],
                "value": _value(c["kind"], c["value"]),
            }
            for c in board.cards
        ],
        "tables": [_table(t) for t in board.tables],
    }
