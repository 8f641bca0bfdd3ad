from __future__ import annotations

from ninja import Schema


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None
    full_name: str
    in_pilot_zone: list[str] = []

    @staticmethod
    def resolve_in_pilot_zone(obj) -> list[str]:
        return getattr(obj, "zone_codes", [])
