"""Every read of packs, project types, indicator systems and calls, scoped to the acting person.

Packs, project types and indicator systems are the plans themselves: anyone logged in reads them.
Calls are scoped:
- province staff and the observer: every call of their province, drafts included;
- city staff: their province's published calls;
- school, enterprise and association staff: in the list, the published calls with a project type
  their organisation may apply for, each with their own deadline (an extension moves it); a
  published call of their province opened directly (to apply, or to read why they may not);
- everyone else: none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import DateTimeField, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor

from .models import Call, DeadlineExtension, Indicator, IndicatorSystem, PolicyPack, ProjectType
from .rules import may_apply


def _reader(actor: Actor) -> bool:
    return bool(actor.is_authenticated)


# --- packs ------------------------------------------------------------------------------------


def packs_for(actor: Actor, *, all_versions: bool = False) -> QuerySet[PolicyPack]:
    """The current version of every pack (or every version), for anyone logged in."""
    if not _reader(actor):
        return PolicyPack.objects.none()
    qs = PolicyPack.objects.select_related("region", "loaded_by")
    if not all_versions:
        qs = qs.filter(is_current=True)
    return qs.order_by("code", "-loaded_at", "-id")


def pack_versions(actor: Actor, code: str) -> QuerySet[PolicyPack]:
    return packs_for(actor, all_versions=True).filter(code=code)


def pack_get_for(*, actor: Actor, code: str, version: str | None = None) -> PolicyPack:
    """A pack by code: the given version, or the current one."""
    qs = pack_versions(actor, code)
    qs = qs.filter(version=version) if version else qs.filter(is_current=True)
    pack = qs.first()
    if pack is None:
        raise NotFound
    return pack


def project_types_for(*, actor: Actor, pack: PolicyPack | None) -> QuerySet[ProjectType]:
    """The project types of a pack version, or (pack=None) of every pack's current version."""
    if not _reader(actor):
        return ProjectType.objects.none()
    qs = ProjectType.objects.select_related("pack", "pack__region")
    if pack is None:
        return qs.filter(pack__is_current=True).order_by("pack__code", "position", "id")
    return qs.filter(pack=pack).order_by("position", "id")


def project_type_get_for(*, actor: Actor, pk: Any) -> ProjectType:
    if not _reader(actor):
        raise NotFound
    try:
        return ProjectType.objects.select_related("pack", "pack__region").get(pk=pk)
    except (ProjectType.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def indicator_systems_for(
    *, actor: Actor, pack: PolicyPack, all_versions: bool = False
) -> QuerySet[IndicatorSystem]:
    if not _reader(actor):
        return IndicatorSystem.objects.none()
    qs = IndicatorSystem.objects.filter(pack=pack).select_related("pack")
    if not all_versions:
        qs = qs.filter(is_current=True)
    return qs.order_by("code", "-version")


def indicator_system_get_for(*, actor: Actor, pk: Any) -> IndicatorSystem:
    if not _reader(actor):
        raise NotFound
    try:
        return (
            IndicatorSystem.objects.select_related("pack", "pack__region", "created_by", "previous")
            .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("position", "id")))
            .get(pk=pk)
        )
    except (IndicatorSystem.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def indicator_tree(system: IndicatorSystem) -> tuple[list[dict[str, Any]], list[Indicator]]:
    """The indicators as nested nodes ({"indicator", "children"}) and the veto items, in order."""
    rows = list(system.indicators.all())
    nodes = {row.pk: {"indicator": row, "children": []} for row in rows}
    roots, vetoes = [], []
    for row in rows:
        if row.method == Indicator.Method.VETO:
            vetoes.append(row)
        elif row.parent_id is None:
            roots.append(nodes[row.pk])
        else:
            nodes[row.parent_id]["children"].append(nodes[row.pk])
    return roots, vetoes


# --- calls ------------------------------------------------------------------------------------


def _with_deadline(qs: QuerySet[Call], organization_id: int | None) -> QuerySet[Call]:
    """Annotates `applicant_deadline`: the organisation's extension, or the call's closing time."""
    if organization_id is None:
        return qs.annotate(applicant_deadline=F("closes_at"))
    extension = DeadlineExtension.objects.filter(call=OuterRef("pk"), applicant_id=organization_id).values(
        "until"
    )[:1]
    return qs.annotate(
        applicant_deadline=Coalesce(Subquery(extension, output_field=DateTimeField()), F("closes_at"))
    )


def _province_calls(actor: Actor) -> QuerySet[Call]:
    return (
        Call.objects.filter(pack__region__code__startswith=actor.province_prefix)
        .select_related("pack", "pack__region", "catalogue_edition", "created_by")
        .prefetch_related(
            Prefetch("project_types", queryset=ProjectType.objects.select_related("pack", "pack__region"))
        )
    )


def _scope(actor: Actor) -> str | None:
    """province (all of the province's calls), published (its published calls), or None."""
    if (
        not actor.is_authenticated
        or actor.organization is None
        or not actor.roles
        or not actor.province_prefix
    ):
        return None
    if actor.sees_province:
        return "province"
    if actor.is_city_staff or actor.is_org_staff:
        return "published"
    return None


def calls_for(actor: Actor, *, status: str = "", pack: str = "") -> QuerySet[Call]:
    """The calls the actor's list shows, newest first, with `applicant_deadline` annotated.

    `status`: draft, open (published, not past the actor's deadline), closed, or empty for all
    the actor may see. Schools, enterprises and associations see only calls they may apply for.
    """
    scope = _scope(actor)
    if scope is None:
        return Call.objects.none()
    qs = _province_calls(actor)
    if scope == "published":
        qs = qs.filter(status=Call.Status.PUBLISHED)
    organization_id = None
    if actor.is_org_staff and not actor.sees_province and not actor.is_city_staff:
        organization = actor.organization
        organization_id = organization.pk
        cache: dict[str, Any] = {}
        eligible = [
            call.pk
            for call in qs
            if any(may_apply(pt, organization, cache) for pt in call.project_types.all())
        ]
        qs = qs.filter(pk__in=eligible)
    qs = _with_deadline(qs, organization_id)
    if pack:
        qs = qs.filter(pack__code=pack)
    now = timezone.now()
    if status == Call.Status.DRAFT:
        qs = qs.filter(status=Call.Status.DRAFT)
    elif status == "open":
        qs = qs.filter(status=Call.Status.PUBLISHED, applicant_deadline__gt=now)
    elif status == Call.Status.CLOSED:
        qs = qs.filter(status=Call.Status.PUBLISHED, applicant_deadline__lte=now)
    return qs.order_by("-opens_at", "-id")


def call_get_for(*, actor: Actor, pk: Any) -> Call:
    """One call within the actor's scope (404 outside it), with `applicant_deadline` for applicants."""
    scope = _scope(actor)
    if scope is None:
        raise NotFound
    qs = _province_calls(actor).prefetch_related("quotas__city")
    if scope == "published":
        qs = qs.filter(status=Call.Status.PUBLISHED)
    organization_id = actor.organization.pk if actor.is_org_staff and scope == "published" else None
    qs = _with_deadline(qs, organization_id)
    try:
        return qs.get(pk=pk)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def extensions_of(call: Call) -> QuerySet[DeadlineExtension]:
    return call.extensions.select_related("applicant", "granted_by").order_by("applicant__name")


def eligible_project_types(call: Call, organization) -> list[ProjectType]:
    cache: dict[str, Any] = {}
    return [pt for pt in call.project_types.all() if may_apply(pt, organization, cache)]
