"""Read-only figures for each role's home page, built on the other apps' scoped selectors."""

from __future__ import annotations

from django.db.models import Count

from chanjiao.core.permissions import Actor, Role
from chanjiao.core.selectors import audit_entries_for
from chanjiao.orgs.models import Membership, OrgKind, SchoolLevel
from chanjiao.orgs.selectors import organizations_for, people_for


def _by(qs, field: str, choices) -> list[dict]:
    counts = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": value, "label": label, "count": counts.get(value, 0)} for value, label in choices.choices]


def home_figures(actor: Actor) -> dict:
    """What the acting person's home page shows, with real counts from their scope."""
    orgs = organizations_for(actor)
    figures: dict = {"kind": "organization"}
    if actor.sees_province or actor.is_city_staff:
        figures["kind"] = "region"
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
        figures["recent_audit"] = list(audit_entries_for(actor)[:8])
    elif actor.organization is not None:
        org = actor.organization
        figures["organization"] = org
        members = Membership.objects.filter(organization=org, is_active=True)
        figures["people"] = members.values("user").distinct().count()
        figures["members_by_role"] = [
            {"label": Role(role).label, "count": n}
            for role, n in members.values_list("role").annotate(n=Count("id")).order_by("role")
        ]
        figures["my_roles"] = [Role(r).label for r in sorted(actor.roles)]
        figures["subsidiaries"] = org.subsidiaries.count()
    return figures
