"""Loading what the product ships: regions, catalogue seeds and the policy packs."""

from __future__ import annotations

from collections.abc import Iterator


def load_reference_seeds() -> Iterator[str]:
    """Loads the shipped seeds idempotently; yields a line per step for the terminal."""
    from chanjiao.catalog.seeds import load_seed as load_catalog_seed
    from chanjiao.core.seeds import load_seed as load_region_seed

    yield f"行政区划：{_summary(load_region_seed())}"
    yield f"专业与行业目录：{_summary(load_catalog_seed())}"
    from chanjiao.policy.services import load_shipped_packs

    for line in load_shipped_packs():
        yield f"政策包：{line}"


def _summary(result) -> str:
    if isinstance(result, dict):
        return "，".join(f"{k} {v}" for k, v in result.items())
    return str(result)
