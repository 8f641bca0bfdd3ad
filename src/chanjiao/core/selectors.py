"""Reads of core data. Regions are public reference data; the audit log and attachments are scoped."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .errors import NotFound
from .models import Attachment, AuditEntry, PilotZone, Region
from .permissions import Actor


def region_search(
    *, parent: str = "", level: str = "", q: str = "", pilot_zone: str = ""
) -> QuerySet[Region]:
    qs = Region.objects.all()
    if parent:
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(full_name__icontains=q) | Q(code__startswith=q))
    if pilot_zone:
        zone = PilotZone.objects.filter(code=pilot_zone).first()
        if zone is None:
            return Region.objects.none()
        members = list(zone.regions.values_list("code", flat=True))
        cond = Q(code__in=members)
        for code in members:
            if code.endswith("00"):
                cond |= Q(code__startswith=code[:4]) if code[2:4] != "00" else Q(code__startswith=code[:2])
        qs = qs.filter(cond)
    return qs.order_by("code")


def regions_in_zone(zone_code: str) -> list[str]:
    return list(region_search(pilot_zone=zone_code).values_list("code", flat=True))


def audit_entries_for(actor: Actor) -> QuerySet[AuditEntry]:
    """Province staff and the observer read the audit log of their province; nobody else does."""
    if not actor.is_authenticated or not actor.sees_province:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(region_code__startswith=actor.province_prefix).select_related("actor")


def audit_search(
    *,
    actor: Actor,
    q: str = "",
    action: str = "",
    object_type: str = "",
    organization_id: int | None = None,
    date_from=None,
    date_to=None,
) -> QuerySet[AuditEntry]:
    qs = audit_entries_for(actor)
    if q:
        qs = qs.filter(
            Q(actor_name__icontains=q) | Q(object_repr__icontains=q) | Q(organization_name__icontains=q)
        )
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def attachments_for(actor: Actor) -> QuerySet[Attachment]:
    """The owner organisation's people; province staff and the observer within their province."""
    if not actor.is_authenticated or actor.organization is None:
        return Attachment.objects.none()
    scope = Q(owner_organization_id=actor.organization.pk)
    if actor.sees_province:
        scope |= Q(owner_region_code__startswith=actor.province_prefix)
    return Attachment.objects.filter(scope)


def attachment_get_for(*, actor: Actor, pk: int) -> Attachment:
    try:
        return attachments_for(actor).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
