"""What every app's API shares: input schemas that refuse unknown fields, pagination, auth."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Schema
from ninja.pagination import PaginationBase
from pydantic import ConfigDict


class InSchema(Schema):
    """Input schemas refuse unknown fields (422 with every one named)."""

    model_config = ConfigDict(extra="forbid")


class PageInput(Schema):
    page: int = Field(1, ge=1, description="页码，从1开始")
    page_size: int = Field(50, ge=1, le=200, description="每页条数，最多200")


class PagePagination(PaginationBase):
    """`?page=` and `?page_size=` (at most 200); answers `{"items": [...], "count": N}`."""

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int

    items_attribute = "items"

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, **params):
        start = (pagination.page - 1) * pagination.page_size
        count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        return {"items": list(queryset[start : start + pagination.page_size]), "count": count}


def now():
    return timezone.now()
