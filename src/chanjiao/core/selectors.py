"""Reads of core data. Regions and the holiday list are reference data; the audit log, attachments,
jobs and notifications are scoped."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from .errors import NotFound
from .models import (
    Attachment,
    AuditEntry,
    Holiday,
    Job,
    Notification,
    PilotZone,
    Region,
    region_ancestor_codes,
)
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
        zone = PilotZone.objects.filter(code=pilot_zone).prefetch_related("regions").first()
        if zone is None:
            return Region.objects.none()
        qs = qs.filter(zone.regions_q())
    return qs.order_by("code")


def regions_in_zone(zone_code: str) -> list[str]:
    return list(region_search(pilot_zone=zone_code).values_list("code", flat=True))


def pilot_zone_members() -> dict[str, set[str]]:
    """{zone code: member region codes} for every zone, in two queries."""
    return {z.code: z.member_codes() for z in PilotZone.objects.prefetch_related("regions")}


def zones_containing(region_code: str, members: dict[str, set[str]]) -> list[str]:
    """The codes of the zones (from `pilot_zone_members()`) that contain `region_code`."""
    ancestors = region_ancestor_codes(region_code)
    return sorted(code for code, codes in members.items() if ancestors & codes)


def audit_entries_for(actor: Actor) -> QuerySet[AuditEntry]:
    """Province staff and the observer read the audit log of their province; nobody else does."""
    if not actor.is_authenticated or not actor.sees_province or not actor.province_prefix:
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
            Q(actor_name__icontains=q)
            | Q(object_repr__icontains=q)
            | Q(organization_name__icontains=q)
            | Q(object_id=q)
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


def audit_filter_choices(actor: Actor) -> dict[str, list]:
    """What the audit page offers in its filters: the object types, organisations and actions seen."""
    qs = audit_entries_for(actor).order_by()
    organizations: dict[int, str] = {}
    pairs = qs.exclude(organization_id=None).values_list("organization_id", "organization_name").distinct()
    for org_id, name in pairs:
        organizations.setdefault(org_id, name)  # a renamed organisation is offered once
    return {
        "object_types": list(
            qs.exclude(object_type="")
            .values_list("object_type", flat=True)
            .distinct()
            .order_by("object_type")
        ),
        "organizations": sorted(organizations.items(), key=lambda item: item[1]),
        "actions": list(qs.values_list("action", flat=True).distinct().order_by("action")),
    }


def attachments_for(actor: Actor) -> QuerySet[Attachment]:
    """The owner organisation's people; province staff and the observer within their province."""
    if not actor.is_authenticated or actor.organization is None:
        return Attachment.objects.none()
    scope = Q(owner_organization_id=actor.organization.pk)
    if actor.sees_province and actor.province_prefix:
        scope |= Q(owner_region_code__startswith=actor.province_prefix)
    return Attachment.objects.filter(scope)


def attachment_get_for(*, actor: Actor, pk: int) -> Attachment:
    try:
        return attachments_for(actor).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def jobs_for(actor: Actor) -> QuerySet[Job]:
    """A job is seen by the person who started it."""
    if not actor.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(created_by=actor.user)


def job_get_for(*, actor: Actor, pk: int) -> Job:
    try:
        return jobs_for(actor).get(pk=pk)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


# --- the holiday list and the inbox ----------------------------------------------------------------


def holidays_search(*, year: int | None = None) -> QuerySet[Holiday]:
    """The national holiday list (read by anyone logged in: it is the State Council's, not a secret)."""
    qs = Holiday.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return qs.order_by("date")


def holiday_years() -> list[int]:
    return sorted({d.year for d in Holiday.objects.dates("date", "year")}, reverse=True)


def holiday_get(day) -> Holiday:
    try:
        return Holiday.objects.get(date=day)
    except (Holiday.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound from None


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    """A person's own notifications, whichever organisation they act for; nobody else's."""
    if not actor.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor.user).order_by("-created_at", "-id")


def notification_search(*, actor: Actor, unread: bool | None = None) -> QuerySet[Notification]:
    qs = notifications_for(actor)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs


def notification_get_for(*, actor: Actor, pk) -> Notification:
    try:
        return notifications_for(actor).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
