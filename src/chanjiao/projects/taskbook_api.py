"""API of the project's taskbook stage (mounted by chanjiao/api.py)."""

from ninja import Router

router = Router(tags=["立项项目"])
