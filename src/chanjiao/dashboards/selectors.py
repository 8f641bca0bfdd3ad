"""Read-only figures for each role's home page, built on the other apps' scoped selectors.

Province staff and the observer see their province, city staff their city, everyone else their
own organisation. Every figure is counted inside the actor's scope, never across it.
"""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Substr

from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor, Role
from chanjiao.core.selectors import audit_entries_for
from chanjiao.orgs.models import Membership, OrgKind, SchoolLevel
from chanjiao.orgs.selectors import organizations_for, people_for

RECENT_AUDIT = 8


def _by(qs, field: str, choices) -> list[dict]:
    counts = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": value, "label": label, "count": counts.get(value, 0)} for value, label in choices.choices]


def _by_area(orgs, *, prefix_length: int) -> list[dict]:
    """Organisations, schools and enterprises per city (province scope) or per county (city scope)."""
    rows: dict[str, dict] = {}
    grouped = (
        orgs.annotate(area=Substr("region_id", 1, prefix_length))
        .values_list("area", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for area, kind, n in grouped:
        row = rows.setdefault(area, {"code": area, "total": 0, "school": 0, "enterprise": 0})
        row["total"] += n
        if kind in {OrgKind.SCHOOL, OrgKind.ENTERPRISE}:
            row[kind] += n
    codes = {area.ljust(6, "0"): area for area in rows}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    for code, area in codes.items():
        rows[area]["name"] = names.get(code, code)
    return sorted(rows.values(), key=lambda r: r["code"])


def home_figures(actor: Actor) -> dict:
    """What the acting person's home page shows, with real counts from their scope."""
    orgs = organizations_for(actor)
    figures: dict = {"kind": "none"}
    if actor.sees_province or actor.is_city_staff:
        figures["kind"] = "region"
        figures["scope"] = "province" if actor.sees_province else "city"
        figures["org_total"] = orgs.count()
        figures["orgs_by_kind"] = _by(orgs, "kind", OrgKind)
        figures["schools_by_level"] = _by(orgs.filter(kind=OrgKind.SCHOOL), "school_level", SchoolLevel)
        figures["experts"] = (
            Membership.objects.filter(role=Role.EXPERT, is_active=True, organization__in=orgs.values("pk"))
            .values("user")
            .distinct()
            .count()
        )
        figures["people"] = people_for(actor).count()
        # Province: one row per city (4-digit prefix); city: one row per county (the full code).
        figures["by_area"] = _by_area(orgs, prefix_length=4 if actor.sees_province else 6)
        figures["recent_audit"] = list(audit_entries_for(actor)[:RECENT_AUDIT])
    elif actor.organization is not None:
        org = actor.organization
        figures["kind"] = "organization"
        figures["organization"] = org
        members = Membership.objects.filter(organization=org, is_active=True)
        figures["people"] = members.values("user").distinct().count()
        figures["members_by_role"] = [
            {"key": role, "label": Role(role).label, "count": n}
            for role, n in members.values_list("role").annotate(n=Count("id")).order_by("role")
        ]
        figures["my_roles"] = [Role(r).label for r in sorted(actor.roles)]
        figures["subsidiaries"] = org.subsidiaries.filter(is_active=True).count()
    return figures
