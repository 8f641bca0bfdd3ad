"""API of the dashboards: the same figures the pages draw, as JSON.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

from ninja import Router

router = Router(tags=["数据看板"])
