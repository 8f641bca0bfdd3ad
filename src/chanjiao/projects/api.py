"""API of awarded projects and the province's award decisions."""

from ninja import Router

router = Router(tags=["立项项目"])
