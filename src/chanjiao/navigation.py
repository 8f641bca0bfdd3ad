"""The navigation a person sees, by role. Each entry: (label, url name, roles that see it or None for all)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chanjiao.core.permissions import Actor, Role

PROVINCE, CITY, OBSERVER = Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.OBSERVER
ORG_ADMIN, ORG_STAFF = Role.ORG_ADMIN, Role.ORG_STAFF

ENTRIES: list[tuple[str, object, str, tuple[str, ...] | None]] = [
    ("home", _("首页"), "dashboards:home", None),
    ("dashboard", _("数据看板"), "dashboards:dashboard", (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF)),
    ("orgs", _("单位名录"), "orgs:organization_list", (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF)),
    ("people", _("人员管理"), "orgs:person_list", (PROVINCE, ORG_ADMIN)),
    ("policy", _("政策包"), "policy:pack_list", None),
    ("calls", _("申报通知"), "policy:call_list", (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF)),
    ("applications", _("我的申报"), "applications:my_list", (ORG_ADMIN, ORG_STAFF)),
    ("exclusions", _("申请回避"), "review:my_exclusions", (ORG_ADMIN, ORG_STAFF)),
    ("city_queue", _("推荐审核"), "applications:city_queue", (CITY,)),
    ("province_queue", _("申报受理"), "applications:province_queue", (PROVINCE,)),
    ("review_rounds", _("专家评审"), "review:round_list", (PROVINCE, OBSERVER)),
    ("experts", _("专家库"), "review:expert_list", (PROVINCE, OBSERVER)),
    ("my_reviews", _("我的评审"), "review:my_reviews", (Role.EXPERT,)),
    ("publicity", pgettext_lazy("noun", "公示"), "review:publicity_list", None),
    ("projects", _("立项项目"), "projects:list", (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF)),
    ("plan_alerts", _("计划预警"), "projects:plan_alerts", (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF)),
    ("reports_overdue", _("逾期报告"), "projects:reports_overdue", (PROVINCE, OBSERVER)),
    (
        "assessments",
        _("验收与绩效评价"),
        "projects:assessment_list",
        (PROVINCE, CITY, OBSERVER, ORG_ADMIN, ORG_STAFF),
    ),
    ("catalog", _("专业与行业目录"), "catalog:programme_list", None),
    ("audit", _("审计日志"), "core:audit_list", (PROVINCE, OBSERVER)),
    ("holidays", _("节假日表"), "core:holiday_list", (PROVINCE, OBSERVER)),
    ("notifications", _("消息通知"), "core:notification_list", None),
    ("tokens", _("API 令牌"), "orgs:token_list", None),
]


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    active: bool


def navigation_for(actor: Actor, path: str) -> list[NavItem]:
    shown = []
    for key, label, url_name, roles in ENTRIES:
        if roles is not None and not actor.has_role(*roles):
            continue
        try:
            shown.append((key, str(label), reverse(url_name)))
        except NoReverseMatch:
            continue
    # the entry whose address is the longest prefix of the page's is the active one, so that
    # /projects/alerts/ marks 计划预警 and not 立项项目 (/projects/) as well
    matches = [url for _key, _label, url in shown if (path == url if url == "/" else path.startswith(url))]
    current = max(matches, key=len, default=None)
    return [NavItem(key, label, url, url == current) for key, label, url in shown]
