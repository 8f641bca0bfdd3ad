from __future__ import annotations

from ninja import Router
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination

from . import selectors
from .schemas import RegionOut

router = Router(tags=["基础数据"])


@router.get("/regions", response=list[RegionOut], summary="行政区划（可按上级、级别、名称筛选）")
@paginate(PagePagination)
def region_list(request, parent: str = "", level: str = "", q: str = "", pilot_zone: str = ""):
    return selectors.region_search(parent=parent, level=level, q=q, pilot_zone=pilot_zone)
