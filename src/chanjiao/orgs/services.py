"""Every write on organisations, people and API tokens: one transaction, permission checked, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.catalog.models import Industry
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, Forbidden, ValidationFailed
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor, Role
from chanjiao.core.validators import check_mobile, check_uscc, normalise_mobile

from .auth import hash_token, new_token_key
from .models import (
    ApiToken,
    DeptLevel,
    EnterpriseSize,
    Membership,
    Organization,
    OrgKind,
    Ownership,
    SchoolLevel,
    SponsorKind,
    User,
)
from .permissions import (
    CONTACT_FIELDS,
    assignable_roles,
    can_edit_all_fields,
    require_can_edit_organization,
    require_can_manage_people,
    require_province_staff,
    role_fits_organization,
)
from .selectors import memberships_of, organizations_for

ORG_FIELDS = (
    "name",
    "short_name",
    "kind",
    "region",
    "uscc",
    "parent",
    "dept_level",
    "school_level",
    "sponsor",
    "sponsor_kind",
    "is_independent",
    "industry",
    "size",
    "ownership",
    "contact_name",
    "contact_phone",
    "address",
    "website",
)


class OrgLookups:
    """How organization_check finds regions, industries and duplicates; the importer passes a cached one."""

    def region(self, code: str) -> Region | None:
        return Region.objects.filter(code=code).first()

    def industry(self, code: str) -> Industry | None:
        return Industry.objects.filter(code=code).first()

    def uscc_owner(self, uscc: str, exclude_pk: int | None) -> str | None:
        qs = Organization.objects.filter(uscc=uscc)
        if exclude_pk is not None:
            qs = qs.exclude(pk=exclude_pk)
        return qs.values_list("name", flat=True).first()

    def name_taken(self, name: str, region_code: str, exclude_pk: int | None) -> bool:
        qs = Organization.objects.filter(name=name, region_id=region_code)
        if exclude_pk is not None:
            qs = qs.exclude(pk=exclude_pk)
        return qs.exists()

    def parent(self, pk, actor: Actor) -> Organization | None:
        """Only an organisation the actor may see can be a parent: never confirm one they may not."""
        try:
            return organizations_for(actor).filter(pk=int(pk)).first()
        except (TypeError, ValueError):
            return None


def organization_check(
    data: dict[str, Any],
    *,
    actor: Actor,
    instance: Organization | None = None,
    lookups: OrgLookups | None = None,
) -> ErrorCollector:
    """Every problem with an organisation's data, with field, code and a Chinese message.

    `data` holds plain values: `region` a region code, `industry` an industry code, `parent` an id.
    Resolved objects are put back into `data` for the caller.
    """
    lookups = lookups or OrgLookups()
    errors = ErrorCollector()
    exclude_pk = instance.pk if instance is not None else None
    name = (data.get("name") or "").strip()
    data["name"] = name
    if not name:
        errors.add("name", "required", _("单位名称不能为空"))
    kind = data.get("kind") or ""
    if not kind:
        errors.add("kind", "required", _("单位类型不能为空（应为：%(ok)s）") % {"ok": _kind_choices()})
    elif kind not in OrgKind.values:
        errors.add(
            "kind",
            "invalid_choice",
            _("单位类型无效（当前：%(cur)s，应为：%(ok)s）") % {"cur": kind, "ok": _kind_choices()},
        )
    region_code = str(data.get("region") or "").strip()
    region = lookups.region(region_code) if region_code else None
    if not region_code:
        errors.add("region", "required", _("所在地区不能为空（应为6位行政区划代码，如 340104）"))
    elif region is None:
        errors.add(
            "region",
            "region.unknown",
            _("未知的行政区划代码（当前：%(cur)s，应为6位 GB/T 2260 代码，如 340104）")
            % {"cur": region_code},
        )
    elif actor.is_province_staff and not region.code.startswith(actor.province_prefix):
        errors.add(
            "region",
            "region.out_of_scope",
            _("只能在本省范围内创建单位（当前：%(cur)s，应以 %(prefix)s 开头）")
            % {"cur": region.code, "prefix": actor.province_prefix},
        )
    data["region"] = region
    if name and region is not None and lookups.name_taken(name, region.code, exclude_pk):
        errors.add(
            "name",
            "name.duplicate",
            _("%(region)s已有名为“%(name)s”的单位") % {"region": region, "name": name},
        )

    uscc = (data.get("uscc") or "").strip().upper() or None
    data["uscc"] = uscc
    if uscc:
        errors.check("uscc", check_uscc(uscc))
        owner = lookups.uscc_owner(uscc, exclude_pk)
        if owner is not None:
            errors.add(
                "uscc",
                "uscc.duplicate",
                _("统一社会信用代码 %(uscc)s 已被单位“%(name)s”使用") % {"uscc": uscc, "name": owner},
            )
    elif kind in USCC_REQUIRED_KINDS:
        errors.add("uscc", "required", _("%(kind)s须填写统一社会信用代码") % {"kind": OrgKind(kind).label})

    def choice(field: str, choices, required: bool) -> None:
        value = data.get(field) or ""
        data[field] = value
        if value and value not in choices.values:
            errors.add(
                field,
                "invalid_choice",
                _("%(field)s无效（当前：%(cur)s，应为：%(ok)s）")
                % {
                    "field": Organization._meta.get_field(field).verbose_name,
                    "cur": value,
                    "ok": "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices),
                },
            )
        elif required and not value:
            errors.add(
                field,
                "required",
                _("%(kind)s须填写%(field)s")
                % {"kind": OrgKind(kind).label, "field": Organization._meta.get_field(field).verbose_name},
            )

    choice("dept_level", DeptLevel, kind == OrgKind.DEPARTMENT)
    choice("school_level", SchoolLevel, kind == OrgKind.SCHOOL)
    choice("sponsor_kind", SponsorKind, False)
    choice("size", EnterpriseSize, False)
    choice("ownership", Ownership, False)

    industry_code = str(data.get("industry") or "").strip()
    data["industry"] = None
    if industry_code:
        industry = lookups.industry(industry_code)
        if industry is None:
            errors.add(
                "industry",
                "industry.unknown",
                _("未知的国民经济行业代码（当前：%(cur)s，应为 GB/T 4754-2017 中的代码）")
                % {"cur": industry_code},
            )
        data["industry"] = industry

    parent_id = data.get("parent")
    data["parent"] = None
    if parent_id:
        parent = lookups.parent(parent_id, actor)
        if parent is None:
            errors.add("parent", "parent.unknown", _("上级单位不存在（当前：%(cur)s）") % {"cur": parent_id})
        elif exclude_pk is not None and _is_self_or_below(parent, exclude_pk):
            errors.add(
                "parent",
                "parent.cycle",
                _("上级单位不能是本单位或其下属单位（当前：%(cur)s）") % {"cur": parent.name},
            )
        data["parent"] = parent

    phone = (data.get("contact_phone") or "").strip()
    if phone and phone.replace("-", "").replace("+86", "").startswith("1"):
        errors.check("contact_phone", check_mobile(phone))
    website = (data.get("website") or "").strip()
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except DjangoValidationError:
            errors.add(
                "website",
                "website.invalid",
                _("网址无效（当前：%(cur)s，应以 http:// 或 https:// 开头）") % {"cur": website},
            )
    return errors


USCC_REQUIRED_KINDS = frozenset(
    {OrgKind.ENTERPRISE, OrgKind.SCHOOL, OrgKind.ASSOCIATION, OrgKind.EVALUATION_ORG}
)


def _kind_choices() -> str:
    return "、".join(f"{v}（{label}）" for v, label in OrgKind.choices)


def _is_self_or_below(parent: Organization, pk: int) -> bool:
    """True when `parent` is the organisation `pk` itself or one of its subsidiaries, at any depth."""
    seen: set[int] = set()
    node: Organization | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _organization_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {f: data[f] for f in ORG_FIELDS if f in data}
    for text_field in ("short_name", "sponsor", "contact_name", "contact_phone", "address", "website"):
        values[text_field] = (values.get(text_field) or "").strip()
    values.setdefault("is_independent", True)
    if values.get("is_independent") is None:
        values["is_independent"] = True
    return values


@transaction.atomic
def organization_create(*, actor: Actor, data: dict[str, Any]) -> Organization:
    require_province_staff(actor)
    data = dict(data)
    organization_check(data, actor=actor).raise_if_any()
    org = Organization(**_organization_values(data))
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:  # a concurrent create took the USCC between the check and the insert
        raise ValidationFailed.single(
            "uscc", "uscc.duplicate", _("统一社会信用代码已被其他单位使用")
        ) from None
    audit_record(actor=actor, action="organization.create", obj=org, changes=diff({}, snapshot(org)))
    return org


def organization_data(organization: Organization) -> dict[str, Any]:
    """An organisation's editable values in the plain form organization_check takes."""
    return {
        **{f: getattr(organization, f) for f in ORG_FIELDS if f not in {"region", "industry", "parent"}},
        "region": organization.region_id,
        "industry": organization.industry.code if organization.industry_id else "",
        "parent": organization.parent_id,
    }


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if v is None:
            return ""
        return v.strip() if isinstance(v, str) else v

    return norm(a) == norm(b)


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> Organization:
    require_can_edit_organization(actor, organization)
    current = organization_data(organization)
    if not can_edit_all_fields(actor, organization):
        refused = [f for f, v in data.items() if f not in CONTACT_FIELDS and not _same(v, current.get(f))]
        if refused:
            names = "、".join(str(Organization._meta.get_field(f).verbose_name) for f in refused)
            raise Forbidden(
                _("本单位管理员只能修改简称和联系信息；以下字段须由省级管理员修改：%(fields)s")
                % {"fields": names}
            )
        data = {f: v for f, v in data.items() if f in CONTACT_FIELDS}
    before = snapshot(organization)
    merged = {**current, **data}
    organization_check(merged, actor=actor, instance=organization).raise_if_any()
    for field, value in _organization_values(merged).items():
        setattr(organization, field, value)
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError:
        raise ValidationFailed.single(
            "uscc", "uscc.duplicate", _("统一社会信用代码已被其他单位使用")
        ) from None
    changes = diff(before, snapshot(organization))
    changes.pop("updated_at", None)
    if changes:
        audit_record(actor=actor, action="organization.update", obj=organization, changes=changes)
    return organization


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


@transaction.atomic
def person_invite(
    *,
    actor: Actor,
    organization: Organization,
    role: str,
    username: str,
    display_name: str,
    email: str = "",
    mobile: str = "",
    password: str | None = None,
    request=None,
) -> User:
    """Creates a person with a role in `organization` (or adds the role to an existing person).

    Without a password the person gets an unusable one and sets theirs through the emailed link,
    so a new person needs an email address.
    """
    require_can_manage_people(actor, organization)
    errors = ErrorCollector()
    allowed = assignable_roles(actor, organization)
    if role not in Role.values:
        errors.add(
            "role",
            "invalid_choice",
            _("角色无效（当前：%(cur)s，应为：%(ok)s）")
            % {"cur": role or _("空"), "ok": "、".join(f"{v}（{lbl}）" for v, lbl in Role.choices)},
        )
    elif role not in allowed:
        reason = ""
        if not role_fits_organization(role, organization):
            reason = _("该角色只能授予相应层级的教育行政部门；")
        errors.add(
            "role",
            "role.not_assignable",
            _("%(reason)s不能在“%(org)s”授予该角色（当前：%(cur)s，可授予：%(ok)s）")
            % {
                "reason": reason,
                "org": organization.name,
                "cur": _role_label(role),
                "ok": "、".join(_role_label(r) for r in allowed) or _("无"),
            },
        )
    username = (username or "").strip()
    if not username:
        errors.add("username", "required", _("用户名不能为空"))
    else:
        try:
            User.username_validator(username)
        except DjangoValidationError:
            errors.add(
                "username",
                "username.invalid",
                _("用户名只能包含字母、数字和 @ . + - _（当前：%(cur)s）") % {"cur": username},
            )
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.add("email", "email.invalid", _("电子邮箱格式不正确（当前：%(cur)s）") % {"cur": email})
    if mobile:
        errors.check("mobile", check_mobile(mobile))
    user = User.objects.filter(username=username).first() if username else None
    if user is None:
        if not (display_name or "").strip():
            errors.add("display_name", "required", _("姓名不能为空"))
        if not email and not password:
            errors.add("email", "required", _("新用户须填写电子邮箱，用于接收设置密码的链接"))
        if password:
            try:
                validate_password(password, User(username=username, email=email))
            except DjangoValidationError as exc:
                for message in exc.messages:
                    errors.add("password", "password.weak", message)
    errors.raise_if_any()
    if (
        user is not None
        and Membership.objects.filter(
            user=user, organization=organization, role=role, is_active=True
        ).exists()
    ):
        raise ConflictError.single(
            "role",
            "membership.exists",
            _("%(user)s 已是“%(org)s”的%(role)s")
            % {"user": user, "org": organization.name, "role": _role_label(role)},
        )
    created = user is None
    if created:
        user = User(
            username=username,
            display_name=display_name.strip(),
            email=email,
            mobile=normalise_mobile(mobile),
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, _new = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    if created and user.email and not password:
        transaction.on_commit(lambda: send_invitation(user=user, organization=organization, request=request))
    changes = {
        "organization": [None, organization.name],
        "role": [None, role],
        "is_active": [None if _new else False, True],
    }
    if created:
        changes.update(diff({}, snapshot(user, ["username", "display_name", "email", "mobile"])))
    audit_record(
        actor=actor,
        action="person.invite" if created else "membership.add",
        obj=user,
        changes=changes,
    )
    return user


def send_invitation(*, user: User, organization: Organization, request=None) -> None:
    """Emails the link with which an invited person sets their password."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse(
        "orgs:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = request.build_absolute_uri(path) if request is not None else path
    send_mail(
        subject=_("产教融合平台账号邀请"),
        message=_(
            "%(name)s，您好：\n\n%(org)s 已在产教融合平台为您开通账号（用户名：%(username)s）。"
            "请通过以下链接设置密码：\n%(link)s\n"
        )
        % {
            "name": user.display_name or user.username,
            "org": organization.name,
            "username": user.username,
            "link": link,
        },
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def membership_revoke(*, actor: Actor, membership: Membership) -> Membership:
    """Ends a person's role in an organisation; with their last role there go their tokens for it."""
    require_can_manage_people(actor, membership.organization)
    if not membership.is_active:
        return membership
    if (
        membership.user_id == actor.user.pk
        and actor.organization is not None
        and membership.organization_id == actor.organization.pk
        and membership.role in {Role.PROVINCE_ADMIN, Role.ORG_ADMIN}
    ):
        raise ConflictError.single(
            "membership",
            "membership.self_revoke",
            _("不能撤销自己正在使用的管理员角色（%(role)s），请由其他管理员操作")
            % {"role": _role_label(membership.role)},
        )
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.revoke",
        obj=membership,
        changes={
            "user": [membership.user.username, membership.user.username],
            "organization": [membership.organization.name, membership.organization.name],
            "role": [membership.role, membership.role],
            "is_active": [True, False],
        },
    )
    still_member = Membership.objects.filter(
        user_id=membership.user_id, organization_id=membership.organization_id, is_active=True
    ).exists()
    if not still_member:
        now = timezone.now()
        for token in ApiToken.objects.filter(
            user_id=membership.user_id, organization_id=membership.organization_id, revoked_at=None
        ):
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="api_token.revoke",
                obj=token,
                changes={"revoked_at": [None, now], "reason": [None, "membership.revoke"]},
            )
    return membership


def acting_organization_switch(*, request, actor: Actor, organization_id: int) -> None:
    """Chooses which organisation a person with several memberships acts for."""
    from .selectors import ACTING_ORG_SESSION_KEY

    if not any(m.organization_id == organization_id for m in memberships_of(actor.user)):
        raise ValidationFailed.single(
            "organization", "organization.not_member", _("您不是该单位的成员，不能代表其操作")
        )
    request.session[ACTING_ORG_SESSION_KEY] = organization_id


@transaction.atomic
def api_token_create(*, actor: Actor, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Creates a token bound to the acting organisation; returns it with the key, shown only now."""
    if not actor.is_authenticated or actor.organization is None:
        raise Forbidden(_("需要先登录并选择代表单位"))
    errors = ErrorCollector()
    name = (name or "").strip()
    if not name:
        errors.add("name", "required", _("令牌名称不能为空"))
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 365:
        errors.add(
            "days", "days.out_of_range", _("有效期应在1至365天之间（当前：%(cur)s天）") % {"cur": days}
        )
    errors.raise_if_any()
    key = new_token_key()
    token = ApiToken.objects.create(
        user=actor.user,
        organization=actor.organization,
        name=name,
        prefix=key[:10],
        key_hash=hash_token(key),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        obj=token,
        changes=diff({}, snapshot(token, ["name", "prefix", "user_id", "organization_id", "expires_at"])),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if not actor.is_authenticated or token.user_id != actor.user.pk:
        raise Forbidden(_("只能撤销自己的令牌"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            changes={"revoked_at": [None, token.revoked_at]},
        )
    return token
