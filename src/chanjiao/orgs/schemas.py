from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from chanjiao.core.api_support import InSchema


class TokenIn(InSchema):
    username: str
    password: str
    organization_id: int | None = Field(None, description="代表的单位；不填则为第一个任职单位")
    name: str = Field("api", max_length=64)
    days: int | None = Field(None, ge=1, le=365)


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime
    organization_id: int


class TokenRowOut(Schema):
    id: int
    name: str
    prefix: str
    organization_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreateIn(InSchema):
    name: str = Field(..., max_length=64)
    days: int | None = Field(None, ge=1, le=365)


class TokenCreatedOut(TokenRowOut):
    token: str


class RoleInOrgOut(Schema):
    organization_id: int
    organization_name: str
    roles: list[str]


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    organization_id: int | None
    organization_name: str | None
    roles: list[str]
    memberships: list[RoleInOrgOut]


class RegionRef(Schema):
    code: str
    name: str


class OrganizationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_display: str = Field(..., alias="get_kind_display")
    region: RegionRef
    uscc: str | None
    dept_level: str
    school_level: str
    sponsor: str
    sponsor_kind: str
    is_independent: bool
    industry_code: str | None = None
    size: str
    ownership: str
    parent_id: int | None
    contact_name: str
    contact_phone: str
    address: str
    website: str
    is_active: bool

    @staticmethod
    def resolve_industry_code(obj) -> str | None:
        return obj.industry.code if obj.industry_id else None


class OrganizationIn(InSchema):
    name: str = Field(..., max_length=128)
    short_name: str = Field("", max_length=64)
    kind: str
    region: str = Field(..., description="行政区划代码（6位）")
    uscc: str | None = None
    parent: int | None = None
    dept_level: str = ""
    school_level: str = ""
    sponsor: str = Field("", max_length=128)
    sponsor_kind: str = ""
    is_independent: bool = True
    industry: str | None = Field(None, description="GB/T 4754-2017 行业代码")
    size: str = ""
    ownership: str = ""
    contact_name: str = Field("", max_length=64)
    contact_phone: str = Field("", max_length=32)
    address: str = Field("", max_length=255)
    website: str = Field("", max_length=200)


class OrganizationPatch(InSchema):
    name: str | None = Field(None, max_length=128)
    short_name: str | None = Field(None, max_length=64)
    kind: str | None = None
    region: str | None = None
    uscc: str | None = None
    parent: int | None = None
    dept_level: str | None = None
    school_level: str | None = None
    sponsor: str | None = None
    sponsor_kind: str | None = None
    is_independent: bool | None = None
    industry: str | None = None
    size: str | None = None
    ownership: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    website: str | None = None


class MembershipOut(Schema):
    id: int
    user_id: int
    organization_id: int
    role: str
    is_active: bool


class PersonMembershipOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    role: str

    @staticmethod
    def resolve_organization_name(obj) -> str:
        return obj.organization.name


class PersonOut(Schema):
    """A person with their active roles in the organisations the caller may see."""

    id: int
    username: str
    display_name: str
    email: str
    memberships: list[PersonMembershipOut]

    @staticmethod
    def resolve_memberships(obj) -> list:
        # selectors.with_memberships prefetches them, scoped to the caller
        return obj.active_memberships


class PersonIn(InSchema):
    organization_id: int
    role: str
    username: str = Field(..., max_length=150)
    display_name: str = Field(..., max_length=64)
    email: str = Field("", max_length=254)
    mobile: str = Field("", max_length=20)
