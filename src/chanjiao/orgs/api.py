"""Organisations, people and tokens over the API: thin endpoints over selectors and services.

No `from __future__ import annotations` here: ninja must see the `Query[...]` class itself.
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.errors import DomainError, FieldError, ValidationFailed

from . import selectors, services
from .auth import AccountLocked
from .permissions import DIRECTORY_ROLES, ORG_EDIT_ROLES, PEOPLE_ROLES, require_roles
from .schemas import (
    MembershipOut,
    MeOut,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PersonIn,
    PersonOut,
    TokenCreatedOut,
    TokenCreateIn,
    TokenIn,
    TokenOut,
    TokenRowOut,
)

router = Router(tags=["单位与人员"])


class NotAuthenticated(DomainError):
    """Wrong username or password, or a locked account (401), with the platform's error body."""

    status = 401


@router.post(
    "/auth/token",
    response={200: TokenOut, 401: dict},
    auth=None,
    summary="用户名和密码换取 API 令牌（令牌代表所选单位）",
)
def token_obtain(request, payload: TokenIn):
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except AccountLocked as exc:
        raise NotAuthenticated(FieldError("username", "auth.locked", exc.message)) from None
    if user is None:
        raise NotAuthenticated(
            FieldError("password", "auth.invalid", _("用户名或密码错误。连续失败多次后账户将被临时锁定。"))
        )
    actor = selectors.actor_for(user, payload.organization_id)
    if payload.organization_id and (
        actor.organization is None or actor.organization.pk != payload.organization_id
    ):
        raise ValidationFailed.single(
            "organization_id", "organization.not_member", _("您不是该单位的成员，不能代表其操作")
        )
    token, key = services.api_token_create(actor=actor, name=payload.name, days=payload.days)
    return {"token": key, "expires_at": token.expires_at, "organization_id": token.organization_id}


@router.get("/me", response=MeOut, summary="当前用户、代表单位和角色")
def me(request):
    actor = request.actor
    memberships = [
        {"organization_id": org.pk, "organization_name": org.name, "roles": roles}
        for org, roles in selectors.acting_choices(actor)
    ]
    user = actor.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "organization_id": actor.organization.pk if actor.organization else None,
        "organization_name": actor.organization.name if actor.organization else None,
        "roles": sorted(actor.roles),
        "memberships": memberships,
    }


@router.get("/tokens", response=list[TokenRowOut], summary="我的 API 令牌")
@paginate(PagePagination)
def token_list(request):
    return selectors.tokens_for(request.actor)


@router.post("/tokens", response={201: TokenCreatedOut}, summary="创建 API 令牌（密钥只显示一次）")
def token_create(request, payload: TokenCreateIn):
    token, key = services.api_token_create(actor=request.actor, name=payload.name, days=payload.days)
    token.token = key
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenRowOut, summary="撤销 API 令牌")
def token_revoke(request, token_id: int):
    token = selectors.token_get_for(actor=request.actor, pk=token_id)
    return services.api_token_revoke(actor=request.actor, token=token)


class OrganizationFilters(Schema):
    q: str = ""
    kind: str = ""
    region: str = ""
    school_level: str = ""
    industry: str = ""


@router.get("/organizations", response=list[OrganizationOut], summary="单位列表（按权限范围）")
@paginate(PagePagination)
def organization_list(request, filters: Query[OrganizationFilters]):
    require_roles(request.actor, DIRECTORY_ROLES)
    return selectors.organization_search(actor=request.actor, **filters.dict())


@router.get("/organizations/{org_id}", response=OrganizationOut, summary="单位详情")
def organization_detail(request, org_id: int):
    require_roles(request.actor, DIRECTORY_ROLES)
    return selectors.organization_get_for(actor=request.actor, pk=org_id)


@router.post("/organizations", response={201: OrganizationOut}, summary="创建单位（省级管理员）")
def organization_create(request, payload: OrganizationIn):
    org = services.organization_create(actor=request.actor, data=payload.dict())
    return Status(201, org)


@router.patch(
    "/organizations/{org_id}",
    response=OrganizationOut,
    summary="修改单位（省级管理员；本单位管理员只能改简称和联系信息）",
)
def organization_update(request, org_id: int, payload: OrganizationPatch):
    require_roles(request.actor, ORG_EDIT_ROLES)
    org = selectors.organization_get_for(actor=request.actor, pk=org_id)
    data = payload.dict(exclude_unset=True)
    return services.organization_update(actor=request.actor, organization=org, data=data)


@router.get("/people", response=list[PersonOut], summary="人员列表（按权限范围）")
@paginate(PagePagination)
def person_list(request, q: str = "", organization_id: int | None = None):
    require_roles(request.actor, PEOPLE_ROLES)
    return selectors.person_search(actor=request.actor, q=q, organization_id=organization_id)


@router.get("/people/{person_id}", response=PersonOut, summary="人员详情")
def person_detail(request, person_id: int):
    require_roles(request.actor, PEOPLE_ROLES)
    return selectors.person_get_for(actor=request.actor, pk=person_id)


@router.post("/people", response={201: PersonOut}, summary="邀请人员并授予角色（新用户收到设置密码的邮件）")
def person_invite(request, payload: PersonIn):
    require_roles(request.actor, PEOPLE_ROLES)
    org = selectors.organization_get_for(actor=request.actor, pk=payload.organization_id)
    user = services.person_invite(
        actor=request.actor,
        organization=org,
        role=payload.role,
        username=payload.username,
        display_name=payload.display_name,
        email=payload.email,
        mobile=payload.mobile,
        request=request,
    )
    return Status(201, selectors.person_get_for(actor=request.actor, pk=user.pk))


@router.post("/memberships/{membership_id}/revoke", response=MembershipOut, summary="撤销人员在单位中的角色")
def membership_revoke(request, membership_id: int):
    require_roles(request.actor, PEOPLE_ROLES)
    membership = selectors.membership_get_for(actor=request.actor, pk=membership_id)
    return services.membership_revoke(actor=request.actor, membership=membership)
