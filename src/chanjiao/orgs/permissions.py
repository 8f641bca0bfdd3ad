"""Who may change organisations and people. Reads are scoped in selectors; these guard writes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role


def require_province_staff(actor: Actor) -> None:
    if not actor.is_province_staff:
        raise Forbidden(_("仅省级管理员可以执行此操作"))


def require_can_manage_people(actor: Actor, organization) -> None:
    """Province staff manage people across their province; an organisation's admin, its own."""
    if actor.is_province_staff and organization.region_id.startswith(actor.province_prefix):
        return
    if (
        actor.has_role(Role.ORG_ADMIN)
        and actor.organization is not None
        and actor.organization.pk == organization.pk
    ):
        return
    raise Forbidden(_("仅省级管理员或本单位管理员可以管理该单位的人员"))


def assignable_roles(actor: Actor) -> list[str]:
    """Roles an actor may grant: province staff any role; an organisation admin its own staff roles."""
    if actor.is_province_staff:
        return list(Role.values)
    if actor.has_role(Role.ORG_ADMIN):
        return [Role.ORG_ADMIN, Role.ORG_STAFF, Role.EXPERT, Role.LEARNER]
    return []
