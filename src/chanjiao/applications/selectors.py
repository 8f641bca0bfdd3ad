"""Every read of applications, scoped to the acting person (DESIGN "Permissions").

- the applicant's staff: all of their organisation's applications, drafts included;
- staff of a partner organisation: the applications it is party to, once submitted;
- city staff: their city's applications once submitted (never a draft);
- province staff and the observer: the submitted applications to their province's calls;
- anyone else: none. Outside the scope is 404, never 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import Actor
from chanjiao.orgs.models import Organization, OrgKind
from chanjiao.policy import selectors as policy_selectors
from chanjiao.policy.models import Call, CityQuota

from . import snapshots
from .models import Application, ApplicationVersion, CallPublication, Partner, Status

# Read with every application: its call, project type, applicant and their packs and region.
RELATED = ("call", "call__pack", "project_type", "project_type__pack", "applicant", "applicant__region")
# A pack's whole content (tens of kilobytes of JSON) is read only by the pack's rules; the rest of
# the pack (its name, region, version) is read everywhere.
PACK_CONTENT = ("call__pack__content", "project_type__pack__content")


def _scoped(actor: Actor) -> QuerySet[Application]:
    if not actor.is_authenticated or actor.organization is None or not actor.roles:
        return Application.objects.none()
    org = actor.organization
    submitted = Q(first_submitted_at__isnull=False)
    scope = Q(pk__in=[])
    if actor.is_org_staff:
        scope |= Q(applicant_id=org.pk)
        scope |= submitted & Q(pk__in=Partner.objects.filter(organization_id=org.pk).values("application_id"))
    if actor.is_city_staff and actor.city_prefix:
        scope |= submitted & Q(city_code__startswith=actor.city_prefix)
    if actor.sees_province and actor.province_prefix:
        scope |= submitted & Q(call__pack__region__code__startswith=actor.province_prefix)
    return Application.objects.filter(scope)


def applications_for(actor: Actor) -> QuerySet[Application]:
    return _scoped(actor).select_related(*RELATED).defer(*PACK_CONTENT)


def application_search(
    *, actor: Actor, call: int | None = None, status: str = "", q: str = "", city: str = ""
) -> QuerySet[Application]:
    qs = applications_for(actor)
    if call:
        qs = qs.filter(call_id=call)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(applicant__name__icontains=q))
    if city:
        qs = qs.filter(city_code__startswith=city[:4])
    return qs.order_by("-submitted_at", "-created_at", "-id")


def application_get_for(*, actor: Actor, pk: Any, for_rules: bool = False) -> Application:
    """One application in the actor's scope, or NotFound.

    Its project type's pack is its call's (read once, and shared when they are the same pack).
    `for_rules`: with what the pack's rules read too (the pack's content, the call's catalogue
    edition), for a submission.
    """
    qs = _scoped(actor).select_related("call", "call__pack", "project_type", "applicant", "applicant__region")
    if for_rules:
        qs = qs.select_related("call__catalogue_edition")
    else:
        qs = qs.defer("call__pack__content")
    try:
        app = qs.get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
    if app.project_type.pack_id == app.call.pack_id:
        app.project_type.pack = app.call.pack
    return app


def city_queue(actor: Actor) -> QuerySet[Application]:
    """What a city's staff act on: their city's submitted and endorsed applications, by call and rank."""
    return (
        applications_for(actor)
        .filter(city_code__startswith=actor.city_prefix or "-")
        .filter(status__in=[Status.SUBMITTED, Status.ENDORSED, Status.RETURNED])
        .order_by("call_id", "city_rank", "submitted_at", "id")
    )


def province_queue(actor: Actor, *, call: int | None = None) -> QuerySet[Application]:
    """What province staff act on: every submitted application to their calls, endorsed ones first."""
    qs = applications_for(actor).filter(call__pack__region__code__startswith=actor.province_prefix or "-")
    if call:
        qs = qs.filter(call_id=call)
    return qs.exclude(status=Status.WITHDRAWN).order_by("call_id", "status", "city_code", "city_rank", "id")


def city_quota_usage(*, call_id: int, city_code: str) -> tuple[int, int | None]:
    """(endorsed so far, the quota or None when the city has none) for one city in one call."""
    used = Application.objects.filter(call_id=call_id, city_code=city_code, city_rank__isnull=False).count()
    quota = (
        CityQuota.objects.filter(call_id=call_id, city_id=city_code).values_list("quota", flat=True).first()
    )
    return used, quota


def versions_for(*, actor: Actor, application: Application) -> QuerySet[ApplicationVersion]:
    """An application's submitted versions; the caller has already found the application in scope."""
    return (
        ApplicationVersion.objects.filter(application=application)
        .select_related("submitted_by")
        .order_by("number")
    )


def version_get_for(*, actor: Actor, application: Application, number: Any) -> ApplicationVersion:
    try:
        return versions_for(actor=actor, application=application).get(number=int(number))
    except (ApplicationVersion.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def version_diff(a: ApplicationVersion, b: ApplicationVersion) -> list[dict[str, Any]]:
    """Field-level differences from version `a` to version `b`."""
    return snapshots.diff(a.snapshot, b.snapshot)


# --- calls, from the applications' side -------------------------------------------------------


def call_get_for(*, actor: Actor, pk: Any) -> Call:
    """A call the actor may see: the policy app's selector, so pages of both apps agree."""
    return policy_selectors.call_get_for(actor=actor, pk=pk)


def open_calls_for(actor: Actor) -> QuerySet[Call]:
    """The calls open now for the actor's organisation that it may apply to (the policy app's list)."""
    return policy_selectors.calls_for(actor, status="open")


def eligible_types(call: Call, organization) -> list:
    """The call's project types the organisation may apply for (by the pack's applicant rules)."""
    return policy_selectors.eligible_project_types(call, organization)


def partner_candidates(*, q: str, exclude: int | None = None, limit: int = 20) -> QuerySet[Organization]:
    """Organisations an applicant may name as partners, by name, short name or USCC (public facts only)."""
    q = (q or "").strip()
    if len(q) < 2:
        return Organization.objects.none()
    qs = Organization.objects.filter(is_active=True).exclude(kind=OrgKind.DEPARTMENT, dept_level="province")
    qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(uscc__iexact=q))
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("region").order_by("kind", "name", "id")[:limit]


def received_list(call: Call) -> QuerySet[Application]:
    """What a call received, for the public page: submitted applications, not withdrawn."""
    return (
        Application.objects.filter(call=call, first_submitted_at__isnull=False)
        .exclude(status=Status.WITHDRAWN)
        .select_related("applicant", "applicant__region", "project_type")
        .order_by("city_code", "applicant__name", "id")
    )


def published_call(pk: Any) -> tuple[Call, CallPublication]:
    """A call whose received list the province has published, or 404."""
    try:
        publication = CallPublication.objects.select_related("call", "call__pack").get(call_id=int(pk))
    except (CallPublication.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
    return publication.call, publication


def calls_with_applications(actor: Actor) -> list[Call]:
    """The calls the actor sees submitted applications to, newest first."""
    ids = applications_for(actor).values("call_id")
    return list(Call.objects.filter(pk__in=ids).order_by("-opens_at", "-id"))


def publications_of(calls) -> dict[int, CallPublication]:
    return {p.call_id: p for p in CallPublication.objects.filter(call__in=[c.pk for c in calls])}


def publication_of(call: Call) -> CallPublication | None:
    return CallPublication.objects.filter(call=call).first()
