"""The catalogue seed the product ships: a hand-written subset for the demo, no outside file needed.

`load_seed()` loads it idempotently. The seed's programmes form their own edition (2021-seed),
current unless another edition already is. Industries and occupations are only filled in where
missing: a full table imported earlier is never overwritten by the seed's shorter names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from chanjiao.catalog.models import Industry, Occupation
from chanjiao.catalog.rules import industry_parent_code, industry_tier, occupation_prefixes
from chanjiao.catalog.services import (
    ProgrammeRow,
    TreeRow,
    industries_store,
    occupations_store,
    programmes_store,
)

SEED_DIR = Path(__file__).resolve().parent
SEED_EDITION = "2021-seed"


def _yaml(name: str) -> dict[str, Any]:
    with (SEED_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def programme_rows() -> tuple[dict[str, Any], list[ProgrammeRow], list[tuple[str, str, str]]]:
    """The seed edition, its programmes, and every (level, 大类 code, name) of the 19 大类 × 3 levels."""
    data = _yaml("programmes.yaml")
    categories: dict[tuple[str, str], str] = {}
    for level, first in data["first_category_code"].items():
        for offset, name in enumerate(data["categories"]):
            categories[(level, f"{first + offset:02d}")] = name
    rows = []
    for level, programmes in data["programmes"].items():
        for code, name in programmes.items():
            code = str(code)
            rows.append(
                ProgrammeRow(
                    level=level,
                    code=code,
                    name=name,
                    category_code=code[:2],
                    category_name=categories[(level, code[:2])],
                    class_code=code[:4],
                    class_name=data["classes"][level][code[:4]],
                )
            )
    # every 大类 of every level, also those with no programme in the seed: the filters list them
    return data["edition"], rows, [(level, code, name) for (level, code), name in categories.items()]


def industry_rows() -> list[TreeRow]:
    data = _yaml("industries.yaml")
    rows = [TreeRow(code, Industry.Tier.SECTION, name, None) for code, name in data["sections"].items()]
    for code, name in data["codes"].items():
        code = str(code)
        rows.append(TreeRow(code, industry_tier(code), name, industry_parent_code(code)))
    return rows


def occupation_rows() -> tuple[str, list[TreeRow]]:
    data = _yaml("occupations.yaml")
    rows = []
    for code, name in data["codes"].items():
        code = str(code)
        tier = {1: Occupation.Tier.MAJOR, 4: Occupation.Tier.MIDDLE, 7: Occupation.Tier.MINOR}.get(
            len(code), Occupation.Tier.DETAIL
        )
        parent = None if tier == Occupation.Tier.MAJOR else occupation_prefixes(code)[tier - 1]
        rows.append(TreeRow(code, tier, name, parent))
    return str(data["edition"]), rows


@transaction.atomic
def load_seed() -> dict[str, Any]:
    """Loads the shipped seed (a second run changes nothing); answers what it created."""
    edition, rows, categories = programme_rows()
    programmes = programmes_store(
        rows=rows,
        extra_categories=categories,
        edition_code=edition["code"],
        edition_name=edition["name"],
        year=int(edition["year"]),
        source=edition["source"],
        action="catalog.seed_load",
    )
    industries = industries_store(rows=industry_rows(), overwrite=False, action="catalog.seed_load")
    occupation_edition, occ_rows = occupation_rows()
    occupations = occupations_store(
        rows=occ_rows, edition=occupation_edition, overwrite=False, action="catalog.seed_load"
    )
    return {
        "专业目录版本": programmes["edition"],
        "新增专业": programmes["created"],
        "新增专业大类": programmes["categories"]["created"],
        "新增行业": industries["created"],
        "新增职业": occupations["created"],
    }
