"""Every write on organisations, people and API tokens: one transaction, permission checked, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.catalog.models import Industry
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ErrorCollector, Forbidden, ValidationFailed
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
from .permissions import assignable_roles, require_can_manage_people, require_province_staff
from .selectors import memberships_of

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
    """How organization_check finds regions, industries and USCC owners; the importer passes a cached one."""

    def region(self, code: str) -> Region | None:
        return Region.objects.filter(code=code).first()

    def industry(self, code: str) -> Industry | None:
        return Industry.objects.filter(code=code).first()

    def uscc_owner(self, uscc: str, exclude_pk: int | None) -> str | None:
        qs = Organization.objects.filter(uscc=uscc)
        if exclude_pk is not None:
            qs = qs.exclude(pk=exclude_pk)
        return qs.values_list("name", flat=True).first()

    def parent(self, pk) -> Organization | None:
        return Organization.objects.filter(pk=pk).first()


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
    name = (data.get("name") or "").strip()
    data["name"] = name
    if not name:
        errors.add("name", "required", _("单位名称不能为空"))
    kind = data.get("kind") or ""
    if kind not in OrgKind.values:
        errors.add(
            "kind",
            "invalid_choice",
            _("单位类型无效（当前：%(cur)s，应为：%(ok)s）")
            % {"cur": kind or "空", "ok": "、".join(OrgKind.values)},
        )
    region_code = str(data.get("region") or "").strip()
    region = lookups.region(region_code) if region_code else None
    if region is None:
        errors.add(
            "region",
            "region.unknown",
            _("未知的行政区划代码（当前：%(cur)s）") % {"cur": region_code or "空"},
        )
    elif actor.is_province_staff and not region.code.startswith(actor.province_prefix):
        errors.add(
            "region",
            "region.out_of_scope",
            _("只能在本省范围内创建单位（当前：%(cur)s，应以 %(prefix)s 开头）")
            % {"cur": region.code, "prefix": actor.province_prefix},
        )
    data["region"] = region

    uscc = (data.get("uscc") or "").strip().upper() or None
    data["uscc"] = uscc
    if uscc:
        errors.check("uscc", check_uscc(uscc))
        owner = lookups.uscc_owner(uscc, instance.pk if instance is not None else None)
        if owner is not None:
            errors.add(
                "uscc",
                "uscc.duplicate",
                _("统一社会信用代码 %(uscc)s 已被单位“%(name)s”使用") % {"uscc": uscc, "name": owner},
            )
    elif kind in {OrgKind.ENTERPRISE, OrgKind.SCHOOL, OrgKind.ASSOCIATION, OrgKind.EVALUATION_ORG}:
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
        parent = lookups.parent(parent_id)
        if parent is None:
            errors.add("parent", "parent.unknown", _("上级单位不存在（当前：%(cur)s）") % {"cur": parent_id})
        data["parent"] = parent

    phone = (data.get("contact_phone") or "").strip()
    if phone and phone.replace("-", "").replace("+86", "").startswith("1"):
        errors.check("contact_phone", check_mobile(phone))
    return errors


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
    except IntegrityError:
        raise ValidationFailed.single(
            "uscc", "uscc.duplicate", _("统一社会信用代码已被其他单位使用")
        ) from None
    audit_record(actor=actor, action="organization.create", obj=org, changes=diff({}, snapshot(org)))
    return org


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> Organization:
    if not (actor.is_province_staff and organization.region_id.startswith(actor.province_prefix)):
        if not (actor.has_role(Role.ORG_ADMIN) and actor.organization.pk == organization.pk):
            raise Forbidden(_("仅省级管理员或本单位管理员可以修改单位信息"))
        # An organisation's admin edits contact details, not its identity or kind.
        data = {
            k: v
            for k, v in data.items()
            if k in {"short_name", "contact_name", "contact_phone", "address", "website"}
        }
    before = snapshot(organization)
    merged = {
        "name": organization.name,
        "kind": organization.kind,
        "region": organization.region_id,
        "uscc": organization.uscc,
        "industry": organization.industry.code if organization.industry_id else "",
        "parent": organization.parent_id,
        **{f: getattr(organization, f) for f in ORG_FIELDS if f not in {"region", "industry", "parent"}},
        **data,
    }
    organization_check(merged, actor=actor, instance=organization).raise_if_any()
    for field, value in _organization_values(merged).items():
        setattr(organization, field, value)
    organization.save()
    audit_record(
        actor=actor,
        action="organization.update",
        obj=organization,
        changes=diff(before, snapshot(organization)),
    )
    return organization


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

    Without a password the person gets an unusable one and sets theirs through the emailed link.
    """
    require_can_manage_people(actor, organization)
    errors = ErrorCollector()
    if role not in assignable_roles(actor):
        errors.add(
            "role",
            "role.not_assignable",
            _("不能授予该角色（当前：%(cur)s，可授予：%(ok)s）")
            % {"cur": role, "ok": "、".join(str(Role(r).label) for r in assignable_roles(actor))},
        )
    username = (username or "").strip()
    if not username:
        errors.add("username", "required", _("用户名不能为空"))
    if mobile:
        errors.check("mobile", check_mobile(mobile))
    user = User.objects.filter(username=username).first() if username else None
    if user is None and password:
        try:
            validate_password(password, User(username=username, email=email))
        except DjangoValidationError as exc:
            for message in exc.messages:
                errors.add("password", "password.weak", message)
    errors.raise_if_any()
    created = user is None
    if created:
        user = User(
            username=username,
            display_name=display_name.strip(),
            email=email.strip(),
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
    audit_record(
        actor=actor,
        action="person.invite" if created else "membership.add",
        obj=user,
        changes={"organization": [None, organization.name], "role": [None, role]},
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
def membership_revoke(*, actor: Actor, membership: Membership) -> None:
    require_can_manage_people(actor, membership.organization)
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            actor=actor, action="membership.revoke", obj=membership, changes={"is_active": [True, False]}
        )


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
    """Creates a token for the acting organisation; returns it with the key, which is shown only now."""
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
    audit_record(actor=actor, action="api_token.create", obj=token, changes={"name": [None, name]})
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.user_id != actor.user.pk:
        raise Forbidden(_("只能撤销自己的令牌"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", obj=token, changes={"revoked": [False, True]})
    return token
