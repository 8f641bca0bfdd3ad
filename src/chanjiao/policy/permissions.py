"""Who may do what with packs, indicator systems and calls.

Reading a pack is for anyone logged in: a plan is a public document. Loading a pack, editing an
indicator system and opening, changing and publishing calls are for the province staff
(省级管理员) of the pack's province; the command line loads packs as the operator.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role

# Pages and endpoints that list calls: the roles that have calls to see.
CALL_LIST_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER, Role.CITY_ADMIN, Role.ORG_ADMIN, Role.ORG_STAFF)
CALL_WRITE_ROLES = (Role.PROVINCE_ADMIN,)


def is_province_staff_of(actor: Actor, region_code: str) -> bool:
    return bool(actor.is_province_staff and region_code and actor.province_prefix == region_code[:2])


def require_province_staff_of(actor: Actor, region_code: str, what: str) -> None:
    """Province staff of the province `region_code` lies in, or Forbidden naming what was refused."""
    if not is_province_staff_of(actor, region_code):
        raise Forbidden(_("只有本省的省级管理员可以%(what)s") % {"what": what})


def require_call_writer(actor: Actor) -> None:
    actor.require(*CALL_WRITE_ROLES)
