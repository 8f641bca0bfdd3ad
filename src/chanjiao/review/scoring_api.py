"""API of the review's scoring stage (mounted by chanjiao/api.py)."""

from ninja import Router

router = Router(tags=["专家评审"])
