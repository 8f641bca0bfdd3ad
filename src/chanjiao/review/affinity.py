"""Expertise affinity: how well an expert's fields fit an application's, as an integer with its parts.

An application's fields are the programme categories (专业大类) of its programme cluster and the
industries (GB/T 4754) of its enterprise partners (and of the applicant when it is an enterprise).
An expert's are the categories and industries of their profile. The score adds, for each field
both share:

- a programme category: CATEGORY points. Categories are compared by name, so 装备制造大类 of a
  secondary (66), an associate (46) and a bachelor (26) programme are one field;
- an industry division (大类, two digits): DIVISION points;
- an industry section (门类, a letter): SECTION points, so a shared division also counts its
  section, and a neighbour in the same section still counts a little.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

CATEGORY = 10
DIVISION = 6
SECTION = 3


@dataclass(frozen=True)
class Vocabulary:
    """Names and the industry tree, read once from the catalogue (empty where it is not loaded)."""

    category_names: dict[str, str]  # two-digit category code → name
    industry_names: dict[str, str]  # industry code → name
    industry_place: dict[str, tuple[str | None, str | None]]  # code → (section, division)

    def category_key(self, code: str) -> str:
        code = (code or "").strip()[:2]
        return self.category_names.get(code, code)

    def place(self, code: str) -> tuple[str | None, str | None]:
        code = (code or "").strip()
        if code in self.industry_place:
            return self.industry_place[code]
        if code[:1].isalpha():
            return code[:1].upper(), None
        if code[:2].isdigit():
            return self.industry_place.get(code[:2], (None, code[:2]))
        return None, None


def load_vocabulary() -> Vocabulary:
    from chanjiao.catalog.models import CatalogueEdition, Industry, ProgrammeCategory

    categories: dict[str, str] = {}
    current = CatalogueEdition.objects.filter(is_current=True).values_list("pk", flat=True).first()
    rows = ProgrammeCategory.objects.values_list("edition_id", "code", "name").order_by("-edition__year")
    for _edition, code, name in sorted(rows, key=lambda r: r[0] != current):
        categories.setdefault(code, name)
    by_id = {
        pk: (code, name, tier, parent)
        for pk, code, name, tier, parent in Industry.objects.values_list(
            "id", "code", "name", "tier", "parent_id"
        )
    }
    names: dict[str, str] = {}
    place: dict[str, tuple[str | None, str | None]] = {}
    for code, name, tier, parent in by_id.values():
        names[code] = name
        section = division = None
        node = (code, name, tier, parent)
        while node is not None:
            if node[2] == Industry.Tier.SECTION:
                section = node[0]
            elif node[2] == Industry.Tier.DIVISION:
                division = node[0]
            node = by_id.get(node[3]) if node[3] else None
        place[code] = (section, division)
    return Vocabulary(categories, names, place)


EMPTY = Vocabulary({}, {}, {})


@dataclass(frozen=True)
class Fields:
    categories: frozenset[str]  # category names (or codes where the catalogue lacks them)
    divisions: frozenset[str]
    sections: frozenset[str]


def fields_of(category_codes: Iterable[str], industry_codes: Iterable[str], vocabulary: Vocabulary) -> Fields:
    categories = {vocabulary.category_key(c) for c in category_codes if c}
    divisions, sections = set(), set()
    for code in industry_codes:
        section, division = vocabulary.place(code)
        if section:
            sections.add(section)
        if division:
            divisions.add(division)
    return Fields(frozenset(categories), frozenset(divisions), frozenset(sections))


def score(a: Fields, b: Fields) -> int:
    return (
        CATEGORY * len(a.categories & b.categories)
        + DIVISION * len(a.divisions & b.divisions)
        + SECTION * len(a.sections & b.sections)
    )


def parts(a: Fields, b: Fields, vocabulary: Vocabulary) -> dict:
    """The shared fields with their names and points, as an assignment's explanation keeps them."""
    categories = sorted(a.categories & b.categories)
    divisions = sorted(a.divisions & b.divisions)
    sections = sorted(a.sections & b.sections)
    return {
        "total": score(a, b),
        "categories": categories,
        "divisions": [[d, vocabulary.industry_names.get(d, "")] for d in divisions],
        "sections": [[s, vocabulary.industry_names.get(s, "")] for s in sections],
        "points": {"category": CATEGORY, "division": DIVISION, "section": SECTION},
    }


def _masks(items: list[frozenset[str]], index: dict[str, int], words: int) -> np.ndarray:
    out = np.zeros((len(items), words), dtype=np.uint64)
    for row, values in enumerate(items):
        for value in values:
            bit = index[value]
            out[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return out


def _shared(a: list[frozenset[str]], b: list[frozenset[str]]) -> np.ndarray:
    """(len(a), len(b)) counts of shared values, by bit masks."""
    values = sorted(set().union(*a, *b)) if (a or b) else []
    if not values:
        return np.zeros((len(a), len(b)), dtype=np.int64)
    index = {v: i for i, v in enumerate(values)}
    words = (len(values) + 63) // 64
    ma, mb = _masks(a, index, words), _masks(b, index, words)
    total = np.zeros((len(a), len(b)), dtype=np.int64)
    for w in range(words):
        total += np.bitwise_count(ma[:, w][:, None] & mb[:, w][None, :]).astype(np.int64)
    return total


def matrix(applications: list[Fields], experts: list[Fields]) -> np.ndarray:
    """Every application's affinity with every expert, (n, m) int64."""
    return (
        CATEGORY * _shared([f.categories for f in applications], [f.categories for f in experts])
        + DIVISION * _shared([f.divisions for f in applications], [f.divisions for f in experts])
        + SECTION * _shared([f.sections for f in applications], [f.sections for f in experts])
    )
