"""Who may do what with applications. Reads are scoped in selectors; these guard roles and parties.

Pages and API endpoints use the same role tuples, so a page and its endpoint cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chanjiao.core.errors import Forbidden
from chanjiao.core.permissions import Actor, Role

from . import workflow

# Who may read applications at all (each within their scope, see selectors.applications_for).
READ_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER, Role.CITY_ADMIN, Role.ORG_ADMIN, Role.ORG_STAFF)
# Who applies: the staff of a school (or of an enterprise, where the project type allows it).
APPLICANT_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)
# Who returns an application for correction: city staff (their city) and province staff.
RETURN_ROLES = (Role.CITY_ADMIN, Role.PROVINCE_ADMIN)
CITY_ROLES = (Role.CITY_ADMIN,)
PROVINCE_ROLES = (Role.PROVINCE_ADMIN,)
# Who reads a call's summary spreadsheet: the province (and its observer), and city staff (their city).
EXPORT_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER, Role.CITY_ADMIN)


def parties(actor: Actor, application) -> set[str]:
    """Which of the workflow's parties the actor is for this application."""
    result: set[str] = set()
    org = actor.organization
    if org is None or not actor.roles:
        return result
    region = application.applicant.region_id or ""
    if actor.is_org_staff and org.pk == application.applicant_id:
        result.add(workflow.APPLICANT)
    if actor.is_city_staff and actor.city_prefix and region.startswith(actor.city_prefix):
        result.add(workflow.CITY)
    if (
        actor.is_province_staff
        and actor.province_prefix
        and call_province(application.call) == actor.province_prefix
    ):
        result.add(workflow.PROVINCE)
    return result


def call_province(call) -> str:
    """The two-digit province of a call: that of the pack it was opened from."""
    return (call.pack.region_id or "")[:2]


def require_party(actor: Actor, application, who: tuple[str, ...], action: str) -> str:
    """The party the actor acts as for `action`, or Forbidden saying who may."""
    mine = parties(actor, application)
    for party in who:
        if party in mine:
            return party
    names = "、".join(str(workflow.WHO_LABELS[w]) for w in who)
    raise Forbidden(
        _("只有%(who)s可以%(action)s该申报书") % {"who": names, "action": workflow.action_label(action)}
    )


def can(actor: Actor, application, action: str) -> bool:
    """Whether the actor may take `action` now (right party and a state the table allows)."""
    mine = parties(actor, application)
    return any(t.action == action and set(t.who) & mine for t in workflow.actions_from(application.status))
