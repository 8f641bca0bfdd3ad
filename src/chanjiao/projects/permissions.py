"""Who may do what with award decisions and projects. Reads are scoped in selectors; these guard roles.

- province staff (省级管理员) decide on their province's publicised applications (立项 or 不予立项);
- the observer (纪检监察) reads every decision and project of the province and changes nothing
  (the plans: 纪检监察部门全程参与);
- city staff read their city's projects and decisions;
- an organisation's staff read its own projects and decisions, and the projects it is a partner of;
- experts and learners read none of it.

Pages and API endpoints use the same role tuples, so a page and its endpoint cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.applications.permissions import call_province
from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role

# Who decides: the province's staff.
DECIDE_ROLES = (Role.PROVINCE_ADMIN,)
# Who reads the decision page of a round: the province's staff and its observer.
QUEUE_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
# Who reads projects and decisions at all (each within their scope, see selectors).
READ_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER, Role.CITY_ADMIN, Role.ORG_ADMIN, Role.ORG_STAFF)
# Whose people are told of a decision in the applicant (and, for an award, the partner enterprises).
NOTIFIED_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)


def require_decider(actor: Actor, application) -> None:
    """Province staff of the province whose call the application answers (else 403)."""
    province = call_province(application.call)
    if not (actor.is_province_staff and province and actor.province_prefix == province):
        raise Forbidden(_("只有申报通知所在省的省级管理员可以作出立项决定"))
