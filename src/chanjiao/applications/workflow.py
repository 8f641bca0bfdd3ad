"""The application's lifecycle as one table: from which state, by which action, to which state, who.

DESIGN "The lifecycle": draft → submitted (an immutable version each time) → returned for
correction → eligible / ineligible → under review → recommended / not recommended → publicised →
awarded / rejected; withdrawn before the call closes. The city's endorsement (市级推荐) sits between
submission and the province's eligibility check. Only the services in `services.py` change a status,
and only along a row of this table; anything else is refused with the current state and the actions
it allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chanjiao.core.errors import ConflictError

from .models import Status

APPLICANT = "applicant"  # staff of the applicant organisation
CITY = "city"  # city education bureau staff of the applicant's city
PROVINCE = "province"  # provincial department staff of the call's province

WHO_LABELS = {
    APPLICANT: gettext_lazy("申报单位"),
    CITY: gettext_lazy("市级教育部门"),
    PROVINCE: gettext_lazy("省级教育部门"),
}

ACTION_LABELS = {
    "create": gettext_lazy("创建"),
    "edit": gettext_lazy("修改"),
    "submit": gettext_lazy("提交"),
    "withdraw": gettext_lazy("撤回"),
    "return": gettext_lazy("退回修改"),
    "endorse": gettext_lazy("推荐"),
    "accept": gettext_lazy("受理并进入评审"),
    "declare_ineligible": gettext_lazy("形式审查不通过"),
    "declare_eligible": gettext_lazy("形式审查通过"),
    "recommend": gettext_lazy("拟推荐立项"),
    "not_recommend": gettext_lazy("不予推荐"),
    "publicise": gettext_lazy("公示"),
    "award": gettext_lazy("立项"),
    "reject": gettext_lazy("不予立项"),
}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    who: tuple[str, ...]


S = Status
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, "submit", S.SUBMITTED, (APPLICANT,)),
    Transition(S.RETURNED, "submit", S.SUBMITTED, (APPLICANT,)),
    Transition(S.DRAFT, "withdraw", S.WITHDRAWN, (APPLICANT,)),
    Transition(S.SUBMITTED, "withdraw", S.WITHDRAWN, (APPLICANT,)),
    Transition(S.RETURNED, "withdraw", S.WITHDRAWN, (APPLICANT,)),
    Transition(S.ENDORSED, "withdraw", S.WITHDRAWN, (APPLICANT,)),
    Transition(S.SUBMITTED, "return", S.RETURNED, (CITY, PROVINCE)),
    Transition(S.ENDORSED, "return", S.RETURNED, (CITY, PROVINCE)),
    Transition(S.ELIGIBLE, "return", S.RETURNED, (PROVINCE,)),
    Transition(S.SUBMITTED, "endorse", S.ENDORSED, (CITY,)),
    Transition(S.ENDORSED, "declare_eligible", S.ELIGIBLE, (PROVINCE,)),
    Transition(S.ENDORSED, "declare_ineligible", S.INELIGIBLE, (PROVINCE,)),
    # Taking an endorsed application into review is the eligibility check passed and review begun.
    Transition(S.ENDORSED, "accept", S.UNDER_REVIEW, (PROVINCE,)),
    Transition(S.ELIGIBLE, "accept", S.UNDER_REVIEW, (PROVINCE,)),
    # The review app moves these; they are here so the whole lifecycle is one table.
    Transition(S.UNDER_REVIEW, "recommend", S.RECOMMENDED, (PROVINCE,)),
    Transition(S.UNDER_REVIEW, "not_recommend", S.NOT_RECOMMENDED, (PROVINCE,)),
    Transition(S.RECOMMENDED, "publicise", S.PUBLICISED, (PROVINCE,)),
    Transition(S.PUBLICISED, "award", S.AWARDED, (PROVINCE,)),
    Transition(S.PUBLICISED, "reject", S.REJECTED, (PROVINCE,)),
)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def actions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == status]


def allowed_actions(status: str, who: str | None = None) -> list[str]:
    """The actions the table allows from `status` (for `who`, when given), in table order, once each."""
    seen: list[str] = []
    for t in actions_from(status):
        if (who is None or who in t.who) and t.action not in seen:
            seen.append(t.action)
    return seen


def transition_for(status: str, action: str) -> Transition:
    """The row for `action` from `status`, or ConflictError naming the state and what it allows."""
    for t in TRANSITIONS:
        if t.source == status and t.action == action:
            return t
    allowed = allowed_actions(status)
    allowed_text = "、".join(action_label(a) for a in allowed) or _("无（流程已结束）")
    raise ConflictError.single(
        "status",
        "application.illegal_transition",
        _("申报书当前状态为“%(status)s”，不能%(action)s（当前可执行的操作：%(allowed)s）")
        % {"status": status_label(status), "action": action_label(action), "allowed": allowed_text},
    )
