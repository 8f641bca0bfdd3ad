"""API of acceptance (验收) and performance assessment (绩效评价) batches: thin endpoints over
assessment_selectors and assessment_services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` types.
"""

from ninja import Router

router = Router(tags=["验收与绩效评价"])
