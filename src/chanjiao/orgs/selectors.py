"""Every read of organisations and people, scoped to the acting person."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from chanjiao.core.errors import NotFound
from chanjiao.core.permissions import ANONYMOUS, Actor, Role

from .models import ApiToken, Membership, Organization, User

ACTING_ORG_SESSION_KEY = "acting_organization_id"


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True, organization__is_active=True)
        .select_related("organization", "organization__region")
        .order_by("organization__name", "role")
    )


def actor_for(user: User | None, organization_id: int | None = None) -> Actor:
    """The actor for a person acting for `organization_id` (or their first organisation)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    memberships = list(memberships_of(user))
    if not memberships:
        return Actor(user=user)
    chosen = next((m.organization for m in memberships if m.organization_id == organization_id), None)
    if chosen is None:
        chosen = memberships[0].organization
    roles = frozenset(m.role for m in memberships if m.organization_id == chosen.pk)
    return Actor(user=user, organization=chosen, roles=roles)


def actor_for_request(request) -> Actor:
    token_actor = getattr(request, "token_actor", None)
    if token_actor is not None:
        return token_actor
    user = getattr(request, "user", None)
    org_id = request.session.get(ACTING_ORG_SESSION_KEY) if hasattr(request, "session") else None
    return actor_for(user, org_id)


def acting_choices(actor: Actor) -> list[tuple[Organization, list[str]]]:
    """The organisations a person may act for, with their roles in each."""
    if not actor.is_authenticated:
        return []
    grouped: dict[int, tuple[Organization, list[str]]] = {}
    for m in memberships_of(actor.user):
        grouped.setdefault(m.organization_id, (m.organization, []))[1].append(m.role)
    return list(grouped.values())


def _org_scope(actor: Actor) -> Q | None:
    """The organisations an actor may see, as a filter; None means none at all.

    An actor with an organisation but no role in it (a token whose membership has ended) sees
    nothing: being bound to an organisation is not belonging to it.
    """
    if not actor.is_authenticated or actor.organization is None or not actor.roles:
        return None
    prefix = actor.region_prefix()
    if prefix:
        return Q(region__code__startswith=prefix)
    return Q(pk=actor.organization.pk)


def organizations_for(actor: Actor) -> QuerySet[Organization]:
    scope = _org_scope(actor)
    if scope is None:
        return Organization.objects.none()
    return Organization.objects.filter(scope).select_related("region", "industry")


def organization_get_for(*, actor: Actor, pk: int) -> Organization:
    try:
        return organizations_for(actor).get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def region_code_prefix(code: str) -> str:
    """The prefix a region code covers: 340000 → 34, 341000 → 3410, 340104 → 340104."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def organization_search(
    *,
    actor: Actor,
    q: str = "",
    kind: str = "",
    region: str = "",
    school_level: str = "",
    industry: str = "",
) -> QuerySet[Organization]:
    qs = organizations_for(actor)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(uscc__iexact=q))
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region__code__startswith=region_code_prefix(region))
    if school_level:
        qs = qs.filter(school_level=school_level)
    if industry:
        qs = qs.filter(industry__code__startswith=industry)
    return qs.order_by("kind", "name", "id")


def people_for(actor: Actor) -> QuerySet[User]:
    """People with an active membership in an organisation the actor may see.

    Experts and learners see only themselves; everyone else sees the people of their scope.
    """
    scope = _org_scope(actor)
    if scope is None:
        return User.objects.none()
    if not (actor.sees_province or actor.is_city_staff or actor.has_role(Role.ORG_ADMIN, Role.ORG_STAFF)):
        return User.objects.filter(pk=actor.user.pk)
    org_ids = Organization.objects.filter(scope).values("pk")
    visible = Membership.objects.filter(organization__in=org_ids, is_active=True).values("user_id")
    return User.objects.filter(pk__in=visible).order_by("username", "id")


def with_memberships(people: QuerySet[User], actor: Actor) -> QuerySet[User]:
    """Prefetches the active memberships a person list shows: only those in the actor's scope."""
    return people.prefetch_related(
        Prefetch(
            "memberships",
            queryset=memberships_for(actor).filter(is_active=True).order_by("organization__name", "role"),
            to_attr="active_memberships",
        )
    )


def person_search(*, actor: Actor, q: str = "", organization_id: int | None = None) -> QuerySet[User]:
    qs = people_for(actor)
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(username__icontains=q))
    if organization_id:
        qs = qs.filter(memberships__organization_id=organization_id, memberships__is_active=True).distinct()
    return with_memberships(qs, actor)


def person_get_for(*, actor: Actor, pk: int) -> User:
    try:
        return with_memberships(people_for(actor), actor).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def memberships_for(actor: Actor) -> QuerySet[Membership]:
    """Memberships in organisations the actor may see (whether they may change them is a permission)."""
    scope = _org_scope(actor)
    if scope is None:
        return Membership.objects.none()
    return Membership.objects.filter(
        organization__in=Organization.objects.filter(scope).values("pk"),
        user__in=people_for(actor).values("pk"),
    ).select_related("user", "organization")


def membership_get_for(*, actor: Actor, pk: int) -> Membership:
    try:
        return memberships_for(actor).get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def tokens_for(actor: Actor) -> QuerySet[ApiToken]:
    if not actor.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor.user).select_related("organization")


def token_get_for(*, actor: Actor, pk: int) -> ApiToken:
    try:
        return tokens_for(actor).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFound from None
