"""Who may do what in expert review. Reads are scoped in selectors; these guard roles and provinces.

- province staff (省级管理员) keep their province's pool and run review for their province's calls;
- the observer (纪检监察) reads all of it, waivers and draws included, and changes nothing
  (the plans: 纪检监察部门全程参与);
- experts see only what is assigned to them and declare their own conflicts;
- an applicant's staff ask for experts to be kept away from their application (申请回避).

Pages and API endpoints use the same role tuples, so a page and its endpoint cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role

STAFF_ROLES = (Role.PROVINCE_ADMIN,)
READ_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
EXPERT_ROLES = (Role.EXPERT,)
APPLICANT_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
EXCLUSION_READ_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF, Role.PROVINCE_ADMIN, Role.OBSERVER)


def require_province_staff_of(actor: Actor, province_code: str) -> None:
    """Province staff of the province `province_code` (two digits or more) lies in."""
    if not (actor.is_province_staff and province_code and actor.province_prefix == province_code[:2]):
        raise Forbidden(_("只有本省的省级管理员可以执行此操作"))


def require_round_staff(actor: Actor, review_round) -> None:
    require_province_staff_of(actor, review_round.province_code)


def require_pool_staff(actor: Actor, profile) -> None:
    require_province_staff_of(actor, profile.province_id)
