from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.errors import ValidationFailed

from . import selectors, services
from .auth import AccountLocked
from .models import Membership
from .schemas import (
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


@router.post("/auth/token", response=TokenOut, auth=None, summary="用户名和密码换取 API 令牌")
def token_obtain(request, payload: TokenIn):
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except AccountLocked as exc:
        raise ValidationFailed.single(
            "username",
            "auth.locked",
            _("登录失败次数过多，账户已锁定至 %(until)s")
            % {"until": exc.until.astimezone().strftime("%Y-%m-%d %H:%M")},
        ) from None
    if user is None:
        raise ValidationFailed.single("password", "auth.invalid", _("用户名或密码错误"))
    actor = selectors.actor_for(user, payload.organization_id)
    if payload.organization_id and (
        actor.organization is None or actor.organization.pk != payload.organization_id
    ):
        raise ValidationFailed.single(
            "organization_id", "organization.not_member", _("您不是该单位的成员，不能代表其操作")
        )
    token, key = services.api_token_create(actor=actor, name=payload.name, days=payload.days)
    return {"token": key, "expires_at": token.expires_at}


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
def token_list(request):
    return list(selectors.tokens_for(request.actor))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="创建 API 令牌（密钥只显示一次）")
def token_create(request, payload: TokenCreateIn):
    token, key = services.api_token_create(actor=request.actor, name=payload.name, days=payload.days)
    token.token = key
    return 201, token


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
    return selectors.organization_search(actor=request.actor, **filters.dict())


@router.get("/organizations/{org_id}", response=OrganizationOut, summary="单位详情")
def organization_detail(request, org_id: int):
    return selectors.organization_get_for(actor=request.actor, pk=org_id)


@router.post("/organizations", response={201: OrganizationOut}, summary="创建单位（省级管理员）")
def organization_create(request, payload: OrganizationIn):
    org = services.organization_create(actor=request.actor, data=payload.dict())
    return 201, org


@router.patch("/organizations/{org_id}", response=OrganizationOut, summary="修改单位")
def organization_update(request, org_id: int, payload: OrganizationPatch):
    org = selectors.organization_get_for(actor=request.actor, pk=org_id)
    data = payload.dict(exclude_unset=True)
    return services.organization_update(actor=request.actor, organization=org, data=data)


def _people_qs(request):
    return selectors.people_for(request.actor).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("organization"))
    )


@router.get("/people", response=list[PersonOut], summary="人员列表（按权限范围）")
@paginate(PagePagination)
def person_list(request, q: str = ""):
    qs = _people_qs(request)
    if q:
        qs = qs.filter(display_name__icontains=q) | qs.filter(username__icontains=q)
    return qs


@router.get("/people/{person_id}", response=PersonOut, summary="人员详情")
def person_detail(request, person_id: int):
    selectors.person_get_for(actor=request.actor, pk=person_id)
    return get_object_or_404(_people_qs(request), pk=person_id)


@router.post("/people", response={201: PersonOut}, summary="邀请人员并授予角色")
def person_invite(request, payload: PersonIn):
    org = selectors.organization_get_for(actor=request.actor, pk=payload.organization_id)
    user = services.person_invite(
        actor=request.actor,
        organization=org,
        role=payload.role,
        username=payload.username,
        display_name=payload.display_name,
        email=payload.email,
        mobile=payload.mobile,
    )
    return 201, get_object_or_404(_people_qs(request), pk=user.pk)
