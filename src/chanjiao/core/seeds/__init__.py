"""Reference data the product ships: regions, pilot zones and the holiday arrangements.

`regions.csv` holds every province (31) and every city and county of Anhui (34) and Jiangsu (32),
derived once from the 2023 divisions tables with `chanjiao.core.importers.parse_regions` (the
same code the importer runs, so names and full names agree with a full import).
`pilot_zones.json` holds the pilot zones with their members and the documents that define them.
A deployment that needs the whole country imports the full tables with `import_regions`.
`holidays-<year>.json` holds a year's holidays and weekends worked, from the State Council's notice
(`chanjiao.core.services.holidays_load_seed` loads them).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from chanjiao.core.importers import RegionRow, upsert_regions
from chanjiao.core.models import PilotZone, Region

SEED_DIR = Path(__file__).resolve().parent
REGIONS_FILE = SEED_DIR / "regions.csv"
PILOT_ZONES_FILE = SEED_DIR / "pilot_zones.json"


def seed_regions() -> list[RegionRow]:
    with REGIONS_FILE.open(encoding="utf-8", newline="") as fh:
        return [
            RegionRow(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent=row["parent"] or None,
                full_name=row["full_name"],
            )
            for row in csv.DictReader(fh)
        ]


def seed_pilot_zones() -> list[dict]:
    return json.loads(PILOT_ZONES_FILE.read_text(encoding="utf-8"))


@transaction.atomic
def load_seed() -> dict[str, int]:
    """Loads the shipped regions and pilot zones; safe to run again (an upsert, a handful of queries)."""
    counts = upsert_regions(seed_regions())
    zones = seed_pilot_zones()
    wanted = {code for zone in zones for code in zone["members"]}
    present = set(Region.objects.filter(code__in=wanted).values_list("code", flat=True))
    if missing := sorted(wanted - present):
        raise ValueError(f"pilot zone members missing from the region seed: {', '.join(missing)}")
    for zone in zones:
        obj, _created = PilotZone.objects.update_or_create(
            code=zone["code"], defaults={"name": zone["name"], "source": zone["source"]}
        )
        obj.regions.set(zone["members"])
    return {**counts, "pilot_zones": len(zones)}


def holiday_rows() -> list[dict]:
    """Every day of the shipped holiday arrangements (`holidays-<year>.json`, one per State Council
    notice), as Holiday fields."""
    rows = []
    for path in sorted(SEED_DIR.glob("holidays-*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for day in doc["days"]:
            rows.append(
                {
                    "date": dt.date.fromisoformat(day["date"]),
                    "name": day["name"],
                    "is_workday": bool(day["is_workday"]),
                    "note": day.get("note", doc.get("source", ""))[:200],
                }
            )
    return rows
