"""Who is acting: the person, the organisation they act for, and their roles in it.

Every selector and service takes an `Actor`. Scope rules (DESIGN "Permissions"):
province staff and observers see their province, city staff their city, organisation staff
their organisation and what it is party to, experts what is assigned to them, learners their
own account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import Forbidden


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    CITY_ADMIN = "city_admin", _("市级管理员")
    ORG_ADMIN = "org_admin", _("单位管理员")
    ORG_STAFF = "org_staff", _("单位工作人员")
    EXPERT = "expert", _("评审专家")
    LEARNER = "learner", _("学习者")
    OBSERVER = "observer", _("纪检监察")


STAFF_ROLES = frozenset({Role.ORG_ADMIN, Role.ORG_STAFF})


@dataclass(frozen=True)
class Actor:
    """The acting person. `organization` is an orgs.Organization (or None for a person with none)."""

    user: Any
    organization: Any = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    @property
    def region_code(self) -> str:
        return getattr(self.organization, "region_id", "") or ""

    @property
    def province_prefix(self) -> str:
        """The first two digits of the acting organisation's region: its province."""
        return self.region_code[:2]

    @property
    def city_prefix(self) -> str:
        return self.region_code[:4]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_province_staff(self) -> bool:
        return Role.PROVINCE_ADMIN in self.roles

    @property
    def is_observer(self) -> bool:
        return Role.OBSERVER in self.roles

    @property
    def is_city_staff(self) -> bool:
        return Role.CITY_ADMIN in self.roles

    @property
    def sees_province(self) -> bool:
        """Province staff and the observer read everything in their province."""
        return self.is_province_staff or self.is_observer

    @property
    def is_org_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def require(self, *roles: str, message: str = "") -> None:
        if not self.has_role(*roles):
            names = "、".join(str(Role(r).label) for r in roles)
            raise Forbidden(message or _("此操作需要以下角色之一：%(roles)s") % {"roles": names})

    def region_prefix(self) -> str | None:
        """The region prefix this actor's region-wide scope covers, or None for no region-wide scope."""
        if self.sees_province:
            return self.province_prefix
        if self.is_city_staff:
            return self.city_prefix
        return None


ANONYMOUS = Actor(user=None)
