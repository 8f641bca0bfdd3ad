"""Who may do what with organisations and people. Reads are scoped in selectors; these guard roles.

Pages and API endpoints use the same role tuples, so a page and its endpoint cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role

# Who may browse the organisation directory (each within their scope). Experts and learners act
# for an organisation but have no business in the directory.
DIRECTORY_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.OBSERVER, Role.ORG_ADMIN, Role.ORG_STAFF)
# Who may edit an organisation: province staff any in their province, an admin their own.
ORG_EDIT_ROLES = (Role.PROVINCE_ADMIN, Role.ORG_ADMIN)
# Who may list, invite and revoke people: province staff in their province, an admin in their own.
PEOPLE_ROLES = (Role.PROVINCE_ADMIN, Role.ORG_ADMIN)
# Fields an organisation's own admin may change; the rest (name, kind, region, USCC, levels) are
# the province's record of the organisation.
CONTACT_FIELDS = frozenset({"short_name", "contact_name", "contact_phone", "address", "website"})

# Region-wide roles only make sense in a department of the matching level: a province_admin role
# in a school would give the school's people the whole province.
ROLE_NEEDS_DEPARTMENT = {
    Role.PROVINCE_ADMIN: ("province",),
    Role.OBSERVER: ("province",),
    Role.CITY_ADMIN: ("city",),
}


def require_roles(actor: Actor, roles: tuple[str, ...]) -> None:
    actor.require(*roles)


def require_province_staff(actor: Actor) -> None:
    if not actor.is_province_staff:
        raise Forbidden(_("仅省级管理员可以执行此操作"))


def is_own_organization(actor: Actor, organization) -> bool:
    return actor.organization is not None and actor.organization.pk == organization.pk


def province_covers(actor: Actor, organization) -> bool:
    return actor.is_province_staff and organization.region_id.startswith(actor.province_prefix)


def require_can_edit_organization(actor: Actor, organization) -> None:
    if province_covers(actor, organization):
        return
    if actor.has_role(Role.ORG_ADMIN) and is_own_organization(actor, organization):
        return
    raise Forbidden(_("仅省级管理员或本单位管理员可以修改单位信息"))


def can_edit_organization(actor: Actor, organization) -> bool:
    try:
        require_can_edit_organization(actor, organization)
    except Forbidden:
        return False
    return True


def can_edit_all_fields(actor: Actor, organization) -> bool:
    return province_covers(actor, organization)


def require_can_manage_people(actor: Actor, organization) -> None:
    """Province staff manage people across their province; an organisation's admin, its own."""
    if province_covers(actor, organization):
        return
    if actor.has_role(Role.ORG_ADMIN) and is_own_organization(actor, organization):
        return
    raise Forbidden(_("仅省级管理员或本单位管理员可以管理该单位的人员"))


def can_manage_people(actor: Actor, organization) -> bool:
    try:
        require_can_manage_people(actor, organization)
    except Forbidden:
        return False
    return True


def assignable_roles(actor: Actor, organization=None) -> list[str]:
    """Roles an actor may grant in `organization`.

    Province staff grant any role, but region-wide roles only in a department of the matching
    level; an organisation admin grants its own staff, expert and learner roles.
    """
    if actor.is_province_staff:
        roles = list(Role.values)
    elif actor.has_role(Role.ORG_ADMIN):
        roles = [Role.ORG_ADMIN, Role.ORG_STAFF, Role.EXPERT, Role.LEARNER]
    else:
        return []
    if organization is None:
        return roles
    return [r for r in roles if role_fits_organization(r, organization)]


def role_fits_organization(role: str, organization) -> bool:
    levels = ROLE_NEEDS_DEPARTMENT.get(role)
    if levels is None:
        return True
    return organization.kind == "department" and organization.dept_level in levels
