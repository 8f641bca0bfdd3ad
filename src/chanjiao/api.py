"""The JSON API under /api/v1/: one NinjaAPI, every app's router mounted once, one error path."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from chanjiao.core.errors import DomainError, Forbidden, NotFound
from chanjiao.core.permissions import Actor
from chanjiao.orgs.auth import hash_token
from chanjiao.orgs.models import ApiToken


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`: a token made by POST /api/v1/auth/token or on the tokens page."""

    def authenticate(self, request: HttpRequest, token: str):
        # One query: the token (usable, its person and organisation active) once per role the person
        # still holds in that organisation. No row: an unknown, revoked or expired token, an inactive
        # person or organisation, or no role left there (the membership has ended).
        now = timezone.now()
        rows = list(
            ApiToken.objects.filter(
                key_hash=hash_token(token),
                revoked_at__isnull=True,
                expires_at__gt=now,
                user__is_active=True,
                organization__is_active=True,
                user__memberships__organization_id=F("organization_id"),
                user__memberships__is_active=True,
            )
            .select_related("user", "organization", "organization__region")
            .annotate(role=F("user__memberships__role"))
            .order_by()
        )
        if not rows:
            return None
        row = rows[0]
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.token_actor = Actor(
            user=row.user, organization=row.organization, roles=frozenset(r.role for r in rows)
        )
        return row.user


class Session(SessionAuth):
    """A logged-in browser session, with CSRF on writes."""


api = NinjaAPI(
    title="产教融合平台 API",
    version="1",
    description="省级产教融合计划的申报、评审、建设与服务平台接口。错误统一为 "
    '`{"errors": [{"field", "code", "message"}]}`。',
    urls_namespace="api",
    auth=[BearerToken(), Session()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in {"body", "query", "path", "payload", "form", "filters"}]
    return ".".join(parts) or "body"


_PYDANTIC_MESSAGES = {
    "missing": _lazy("必填"),
    "extra_forbidden": _lazy("不允许的字段"),
    "int_parsing": _lazy("应为整数"),
    "int_type": _lazy("应为整数"),
    "float_parsing": _lazy("应为数字"),
    "decimal_parsing": _lazy("应为金额（十进制数字）"),
    "bool_parsing": _lazy("应为布尔值"),
    "string_type": _lazy("应为字符串"),
    "greater_than_equal": _lazy("数值过小"),
    "less_than_equal": _lazy("数值过大"),
    "string_too_long": _lazy("内容过长"),
    "string_too_short": _lazy("内容过短"),
    "literal_error": _lazy("取值无效"),
    "enum": _lazy("取值无效"),
    "date_from_datetime_parsing": _lazy("应为日期（YYYY-MM-DD）"),
    "date_parsing": _lazy("应为日期（YYYY-MM-DD）"),
    "datetime_parsing": _lazy("应为带时区的时间（ISO 8601）"),
}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = []
    for e in exc.errors:
        kind = e.get("type", "invalid")
        detail = str(_PYDANTIC_MESSAGES.get(kind, ""))
        message = f"{detail}（{e.get('msg', '')}）" if detail else e.get("msg", "")
        errors.append(
            {"field": _location(tuple(e.get("loc", ()))), "code": f"input.{kind}", "message": message}
        )
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_body(), status=exc.status)


@api.exception_handler(NotFound)
def on_not_found(request, exc):
    return api.create_response(
        request, {"errors": [{"field": "", "code": "not_found", "message": _("对象不存在")}]}, status=404
    )


@api.exception_handler(Forbidden)
def on_forbidden(request, exc: Forbidden):
    message = exc.message or _("您的角色无权执行此操作")
    return api.create_response(
        request, {"errors": [{"field": "", "code": "forbidden", "message": message}]}, status=403
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """Ninja's own refusals in the platform's error body; 400 is a body that is not valid JSON.

    AuthenticationError is an HttpError too; its own handler wins (ninja looks handlers up by MRO).
    """
    if exc.status_code == 400:
        error = {"field": "body", "code": "malformed_json", "message": _("请求体不是有效的 JSON")}
    else:
        error = {"field": "", "code": f"http_{exc.status_code}", "message": str(exc)}
    return api.create_response(request, {"errors": [error]}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(
        request,
        {
            "errors": [
                {"field": "", "code": "not_authenticated", "message": _("请先登录或提供有效的 API 令牌")}
            ]
        },
        status=401,
    )


def _mount() -> None:
    from chanjiao.applications.api import router as applications_router
    from chanjiao.catalog.api import router as catalog_router
    from chanjiao.core.api import router as core_router
    from chanjiao.dashboards.api import router as dashboards_router
    from chanjiao.orgs.api import router as orgs_router
    from chanjiao.policy.api import router as policy_router
    from chanjiao.projects.api import router as projects_router
    from chanjiao.projects.assessment_api import router as assessment_router
    from chanjiao.projects.reports_api import router as reports_router
    from chanjiao.projects.taskbook_api import router as taskbook_router
    from chanjiao.review.api import router as review_router
    from chanjiao.review.panel_api import router as panel_router
    from chanjiao.review.publicity_api import router as publicity_router
    from chanjiao.review.scoring_api import router as scoring_router
    from chanjiao.review.trail_api import router as trail_router

    api.add_router("/", orgs_router)
    api.add_router("/", core_router)
    api.add_router("/", catalog_router)
    api.add_router("/", policy_router)
    api.add_router("/", applications_router)
    api.add_router("/", review_router)
    api.add_router("/", scoring_router)
    api.add_router("/", panel_router)
    api.add_router("/", publicity_router)
    api.add_router("/", trail_router)
    api.add_router("/", projects_router)
    api.add_router("/", taskbook_router)
    api.add_router("/", reports_router)
    api.add_router("/", assessment_router)
    api.add_router("/", dashboards_router)


_mount()
