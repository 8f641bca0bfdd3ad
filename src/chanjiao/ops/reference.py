"""Loading what the product ships: regions, the holiday list, catalogue seeds and the policy packs."""

from __future__ import annotations

from collections.abc import Iterator


def load_reference_seeds() -> Iterator[str]:
    """Loads the shipped seeds idempotently; yields a line per step for the terminal."""
    from chanjiao.catalog.seeds import load_seed as load_catalog_seed
    from chanjiao.core.seeds import load_seed as load_region_seed
    from chanjiao.core.services import holidays_load_seed

    yield f"行政区划：{_summary(load_region_seed())}"
    result = holidays_load_seed()
    yield f"节假日安排：新增 {result['created']} 天，保留 {result['kept']} 天"
    yield f"专业与行业目录：{_summary(load_catalog_seed())}"
    from chanjiao.policy.services import load_shipped_packs

    for line in load_shipped_packs():
        yield f"政策包：{line}"


def _summary(result) -> str:
    if isinstance(result, dict):
        return "，".join(f"{k} {v}" for k, v in result.items())
    return str(result)
