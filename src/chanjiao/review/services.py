"""Writes of the expert review: the pool, education groups, rounds, availability, exclusions.

Every write is one transaction, checks who may make it and writes an audit entry. Conflicts are in
conflicts.py, assignments in assignment.py, the pool's Excel import in importers.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chanjiao.applications.models import Application, Status
from chanjiao.catalog.models import Industry, ProgrammeCategory
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, Forbidden, NotFound, ValidationFailed
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor
from chanjiao.orgs.models import Organization, OrgKind, User
from chanjiao.policy import selectors as policy_selectors
from chanjiao.policy.models import IndicatorSystem, ProjectType

from .models import (
    DEFAULT_MAX_EXCLUSIONS,
    Availability,
    EducationGroup,
    EducationGroupMember,
    Exclusion,
    ExpertProfile,
    ReviewRound,
    RoundSubject,
)
from .panel_selectors import PANEL_STATUSES
from .permissions import require_pool_staff, require_province_staff_of, require_round_staff
from .selectors import selection_round_of

INDUSTRY_CODE = re.compile(r"[A-T]|[0-9]{2,4}")  # GB/T 4754: a section letter, or 2–4 digits
INDUSTRY_KINDS = frozenset({OrgKind.ENTERPRISE, OrgKind.ASSOCIATION})
PROFILE_FIELDS = (
    "user_id",
    "employer_id",
    "title",
    "is_industry",
    "programme_categories",
    "industries",
    "region_id",
    "is_active",
    "note",
)
ROUND_FIELDS = (
    "name",
    "indicator_system_id",
    "reviews_per_application",
    "load_cap",
    "max_exclusions",
    "exclusions_close_at",
    "same_city_conflict",
    "reserves",
    "review_deadline",
    "status",
    "ranking_method",
    "quota",
    "disagreement_threshold",
    "publicity_days",
)
LIMITS = {
    "reviews_per_application": (1, 15),
    "load_cap": (1, 500),
    "max_exclusions": (0, 10),
    "reserves": (0, 10),
    "publicity_days": (1, 30),
}
QUOTA_LIMITS = (1, 9999)
THRESHOLD_MAX = Decimal("9999.99")
# Settled when the panel opens: the ranking the panel discusses must not change under it.
PANEL_LOCKED = ("ranking_method", "quota", "disagreement_threshold")


# --- the pool --------------------------------------------------------------------------------------


def split_codes(value: Any) -> list[str]:
    """Codes from a list or from text separated by commas, 、, ；, semicolons or spaces."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        text = str(value)
        for sep in ("，", "、", "；", ";", " ", "\n"):
            text = text.replace(sep, ",")
        items = text.split(",")
    out: list[str] = []
    for item in items:
        item = item.strip().upper()
        if item and item not in out:
            out.append(item)
    return out


@dataclass
class PoolLookups:
    """The reference tables a profile is checked against, read once (an import checks many rows)."""

    categories: set[str] = field(default_factory=set)
    industries: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> PoolLookups:
        return cls(
            categories=set(ProgrammeCategory.objects.values_list("code", flat=True)),
            industries=set(Industry.objects.values_list("code", flat=True)),
            regions=set(Region.objects.values_list("code", flat=True)),
        )


def profile_check(data: dict[str, Any], errors: ErrorCollector, lookups: PoolLookups) -> dict[str, Any]:
    """Checks a profile's own fields (not who or where they work) and returns them cleaned."""
    out: dict[str, Any] = {}
    if "title" in data:
        title = (data.get("title") or "").strip()
        if len(title) > 64:
            errors.add(
                "title",
                "expert.title_too_long",
                _("职称 / 职务最多64个字（当前：%(n)d个）") % {"n": len(title)},
            )
        out["title"] = title
    if "programme_categories" in data:
        codes = split_codes(data.get("programme_categories"))
        bad = [
            c
            for c in codes
            if not (len(c) == 2 and c.isdigit()) or (lookups.categories and c not in lookups.categories)
        ]
        if bad:
            errors.add(
                "programme_categories",
                "expert.unknown_category",
                _("专业大类代码无效：%(bad)s（应为专业目录中的两位大类代码，如 46 装备制造大类）")
                % {"bad": "、".join(bad)},
            )
        out["programme_categories"] = codes
    if "industries" in data:
        codes = split_codes(data.get("industries"))
        bad = [
            c
            for c in codes
            if not INDUSTRY_CODE.fullmatch(c) or (lookups.industries and c not in lookups.industries)
        ]
        if bad:
            errors.add(
                "industries",
                "expert.unknown_industry",
                _("行业代码无效：%(bad)s（应为 GB/T 4754-2017 代码，如 C、38、382、3821）")
                % {"bad": "、".join(bad)},
            )
        out["industries"] = codes
    if "region" in data:
        code = (data.get("region") or "").strip()
        if code and code not in lookups.regions:
            errors.add("region", "region.unknown", _("行政区划代码 %(code)s 不存在") % {"code": code})
        out["region_id"] = code or None
    if "is_industry" in data and data["is_industry"] is not None:
        out["is_industry"] = bool(data["is_industry"])
    if "is_active" in data and data["is_active"] is not None:
        out["is_active"] = bool(data["is_active"])
    if "note" in data:
        out["note"] = (data.get("note") or "").strip()
    return out


def _province_region(actor: Actor) -> str:
    return actor.province_prefix + "0000"


def expert_profile_create(*, actor: Actor, data: dict[str, Any]) -> ExpertProfile:
    """Province staff add a person to their province's pool."""
    require_province_staff_of(actor, actor.province_prefix)
    errors = ErrorCollector()
    user = User.objects.filter(pk=data.get("user_id"), is_active=True).first()
    if user is None:
        errors.add(
            "user_id",
            "expert.unknown_user",
            _("人员不存在或已停用（当前：%(cur)s）") % {"cur": data.get("user_id")},
        )
    employer = Organization.objects.filter(pk=data.get("employer_id"), is_active=True).first()
    if employer is None:
        errors.add(
            "employer_id",
            "expert.unknown_employer",
            _("工作单位不存在或已停用（当前：%(cur)s）") % {"cur": data.get("employer_id")},
        )
    values = profile_check(data, errors, PoolLookups.load())
    errors.raise_if_any()
    values.setdefault("is_industry", employer.kind in INDUSTRY_KINDS)
    with transaction.atomic():
        try:
            with transaction.atomic():
                profile = ExpertProfile.objects.create(
                    user=user,
                    employer=employer,
                    province_id=_province_region(actor),
                    created_by=actor.user,
                    **values,
                )
        except IntegrityError:
            raise ConflictError.single(
                "user_id", "expert.already_in_pool", _("“%(name)s”已在本省专家库中") % {"name": user}
            ) from None
        audit_record(
            actor=actor,
            action="expert_profile.create",
            obj=profile,
            changes=diff({}, snapshot(profile, PROFILE_FIELDS)),
        )
    return profile


def expert_profile_update(*, actor: Actor, profile: ExpertProfile, data: dict[str, Any]) -> ExpertProfile:
    require_pool_staff(actor, profile)
    errors = ErrorCollector()
    values = profile_check(data, errors, PoolLookups.load())
    if "employer_id" in data and data["employer_id"] is not None:
        employer = Organization.objects.filter(pk=data["employer_id"], is_active=True).first()
        if employer is None:
            errors.add(
                "employer_id",
                "expert.unknown_employer",
                _("工作单位不存在或已停用（当前：%(cur)s）") % {"cur": data["employer_id"]},
            )
        else:
            values["employer_id"] = employer.pk
    errors.raise_if_any()
    with transaction.atomic():
        before = snapshot(profile, PROFILE_FIELDS)
        for key, value in values.items():
            setattr(profile, key, value)
        profile.save()
        profile.refresh_from_db()
        changes = diff(before, snapshot(profile, PROFILE_FIELDS))
        if changes:
            audit_record(actor=actor, action="expert_profile.update", obj=profile, changes=changes)
    return profile


def education_group_create(*, actor: Actor, name: str, member_ids: list[int]) -> EducationGroup:
    """Province staff record a vocational education group and its member organisations."""
    require_province_staff_of(actor, actor.province_prefix)
    errors = ErrorCollector()
    name = (name or "").strip()
    if not name:
        errors.add("name", "education_group.name_required", _("请填写职业教育集团名称"))
    ids = sorted(set(member_ids or []))
    found = set(Organization.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        errors.add(
            "member_ids",
            "education_group.unknown_member",
            _("成员单位不存在：%(ids)s") % {"ids": "、".join(missing)},
        )
    if len(ids) < 2:
        errors.add(
            "member_ids",
            "education_group.too_few_members",
            _("职业教育集团至少有两个成员单位（当前：%(n)d个）") % {"n": len(ids)},
        )
    errors.raise_if_any()
    with transaction.atomic():
        try:
            with transaction.atomic():
                group = EducationGroup.objects.create(name=name, province_id=_province_region(actor))
        except IntegrityError:
            raise ConflictError.single(
                "name",
                "education_group.duplicate",
                _("本省已有名为“%(name)s”的职业教育集团") % {"name": name},
            ) from None
        EducationGroupMember.objects.bulk_create(
            [EducationGroupMember(group=group, organization_id=pk) for pk in ids]
        )
        audit_record(
            actor=actor,
            action="education_group.create",
            obj=group,
            changes={"name": [None, name], "members": [None, ids]},
        )
    return group


# --- rounds ----------------------------------------------------------------------------------------


def _when(errors: ErrorCollector, name: str, value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
        if moment is None:
            errors.add(
                name,
                "input.datetime_parsing",
                _("应为带时区的时间（ISO 8601）（当前：%(cur)s）") % {"cur": value},
            )
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _round_values(
    data: dict[str, Any], errors: ErrorCollector, *, call, project_type, kind: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (low, high) in LIMITS.items():
        if name in data and data[name] is not None:
            try:
                number = int(data[name])
            except (TypeError, ValueError):
                errors.add(name, "input.int_parsing", _("应为整数（当前：%(cur)s）") % {"cur": data[name]})
                continue
            if not low <= number <= high:
                errors.add(
                    name,
                    "review_round.setting_out_of_range",
                    _("%(label)s应在%(low)d至%(high)d之间（当前：%(cur)d）")
                    % {
                        "label": str(ReviewRound._meta.get_field(name).verbose_name),
                        "low": low,
                        "high": high,
                        "cur": number,
                    },
                )
            values[name] = number
    for name in ("exclusions_close_at", "review_deadline"):
        if name in data:
            values[name] = _when(errors, name, data[name])
    if "same_city_conflict" in data and data["same_city_conflict"] is not None:
        values["same_city_conflict"] = bool(data["same_city_conflict"])
    _ranking_values(data, errors, values)
    if "name" in data:
        name = (data.get("name") or "").strip()
        if len(name) > 200:
            errors.add(
                "name", "review_round.name_too_long", _("名称最多200个字（当前：%(n)d个）") % {"n": len(name)}
            )
        if name:
            values["name"] = name
    if data.get("indicator_system_id"):
        system = IndicatorSystem.objects.filter(pk=data["indicator_system_id"]).first()
        applies = (
            system is not None
            and system.pack_id == call.pack_id
            and system.purpose == kind
            and (not system.project_type_codes or project_type.code in system.project_type_codes)
        )
        if not applies:
            errors.add(
                "indicator_system_id",
                "review_round.indicator_system_mismatch",
                _("指标体系须属于本通知的政策包、用途为“%(kind)s”并适用于项目类型“%(type)s”")
                % {"kind": ReviewRound.Kind(kind).label, "type": project_type.name},
            )
        else:
            values["indicator_system_id"] = system.pk
    elif "indicator_system_id" in data:
        values["indicator_system_id"] = None
    return values


def _ranking_values(data: dict[str, Any], errors: ErrorCollector, values: dict[str, Any]) -> None:
    """The ranking settings: the method, the quota (empty: the default, see panel_selectors.round_quota)
    and the disagreement threshold. publicity_days is checked with the other LIMITS."""
    if data.get("ranking_method") not in (None, ""):
        method = str(data["ranking_method"])
        if method not in ReviewRound.RankingMethod.values:
            errors.add(
                "ranking_method",
                "review_round.unknown_ranking_method",
                _("排序方法应为 %(ok)s 之一（当前：%(cur)s）")
                % {
                    "ok": "、".join(f"{m.value}（{m.label}）" for m in ReviewRound.RankingMethod),
                    "cur": method,
                },
            )
        else:
            values["ranking_method"] = method
    if "quota" in data:
        raw = data["quota"]
        if raw in (None, ""):
            values["quota"] = None
        else:
            try:
                number = int(raw)
            except (TypeError, ValueError):
                errors.add(
                    "quota", "input.int_parsing", _("本批推荐名额应为整数（当前：%(cur)s）") % {"cur": raw}
                )
            else:
                low, high = QUOTA_LIMITS
                if not low <= number <= high:
                    errors.add(
                        "quota",
                        "review_round.setting_out_of_range",
                        _("%(label)s应在%(low)d至%(high)d之间（当前：%(cur)d）")
                        % {
                            "label": str(ReviewRound._meta.get_field("quota").verbose_name),
                            "low": low,
                            "high": high,
                            "cur": number,
                        },
                    )
                values["quota"] = number
    if data.get("disagreement_threshold") not in (None, ""):
        raw = data["disagreement_threshold"]
        try:
            number = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or isinstance(raw, bool):
            errors.add(
                "disagreement_threshold",
                "input.decimal_parsing",
                _("分歧提示阈值应为数字（当前：%(cur)s）") % {"cur": raw},
            )
        elif not 0 <= number <= THRESHOLD_MAX or number != number.quantize(Decimal("0.01")):
            errors.add(
                "disagreement_threshold",
                "review_round.threshold_out_of_range",
                _("分歧提示阈值应在0至%(high)s分之间，最多两位小数（当前：%(cur)s）")
                % {"high": THRESHOLD_MAX, "cur": raw},
            )
        else:
            values["disagreement_threshold"] = number


def _require_ranking_open(review_round: ReviewRound, values: dict[str, Any]) -> None:
    """The method, quota and threshold may change only until the panel opens (a change to the same
    value is no change)."""
    if review_round.status not in PANEL_STATUSES:
        return
    errors = ErrorCollector()
    messages = {
        "ranking_method": _("排序方法须在专家组合议开始前确定（当前状态：%(status)s）"),
        "quota": _("推荐名额须在专家组合议开始前确定（当前状态：%(status)s）"),
        "disagreement_threshold": _("分歧提示阈值须在专家组合议开始前确定（当前状态：%(status)s）"),
    }
    for name in PANEL_LOCKED:
        if name in values and values[name] != getattr(review_round, name):
            errors.add(
                name,
                "review_round.ranking_locked",
                messages[name] % {"status": review_round.get_status_display()},
            )
    errors.raise_if_any(ConflictError)


def review_round_create(*, actor: Actor, data: dict[str, Any]) -> ReviewRound:
    """Province staff set up the review of one project type of one of their calls."""
    try:
        call = policy_selectors.call_get_for(actor=actor, pk=data.get("call_id"))
    except NotFound:
        raise ValidationFailed.single(
            "call_id",
            "review_round.unknown_call",
            _("申报通知不存在或不属于本省（当前：%(cur)s）") % {"cur": data.get("call_id")},
        ) from None
    require_province_staff_of(actor, call.pack.region_id)
    errors = ErrorCollector()
    project_type = ProjectType.objects.filter(pk=data.get("project_type_id"), calls=call).first()
    kind = data.get("kind") or ReviewRound.Kind.SELECTION
    if kind not in ReviewRound.Kind.values:
        errors.add("kind", "review_round.unknown_kind", _("评审类型无效（当前：%(cur)s）") % {"cur": kind})
        kind = ReviewRound.Kind.SELECTION
    elif kind != ReviewRound.Kind.SELECTION:
        errors.add(
            "kind",
            "review_round.later_kind_from_batch",
            _("%(kind)s轮次由验收批次或绩效评价批次开启，这里只能创建遴选评审轮次（当前：%(cur)s）")
            % {"kind": ReviewRound.Kind(kind).label, "cur": kind},
        )
    if project_type is None:
        errors.add(
            "project_type_id",
            "review_round.project_type_not_in_call",
            _("项目类型不在该申报通知中（当前：%(cur)s）") % {"cur": data.get("project_type_id")},
        )
        errors.raise_if_any()
    values = _round_values(data, errors, call=call, project_type=project_type, kind=kind)
    errors.raise_if_any()
    values.setdefault("name", f"{call.title} · {project_type.name} · {ReviewRound.Kind(kind).label}")
    with transaction.atomic():
        try:
            with transaction.atomic():
                review_round = ReviewRound.objects.create(
                    call=call, project_type=project_type, kind=kind, created_by=actor.user, **values
                )
        except IntegrityError:
            raise ConflictError.single(
                "project_type_id",
                "review_round.duplicate",
                _("该申报通知的“%(type)s”已有%(kind)s轮次")
                % {"type": project_type.name, "kind": ReviewRound.Kind(kind).label},
            ) from None
        audit_record(
            actor=actor,
            action="review_round.create",
            obj=review_round,
            changes=diff({}, snapshot(review_round, ROUND_FIELDS)),
        )
    return review_round


def review_round_update(*, actor: Actor, review_round: ReviewRound, data: dict[str, Any]) -> ReviewRound:
    require_round_staff(actor, review_round)
    if review_round.status == ReviewRound.Status.CLOSED:
        raise ConflictError.single(
            "status",
            "review_round.closed",
            _("评审轮次“%(name)s”已结束，不能再修改") % {"name": review_round.name},
        )
    errors = ErrorCollector()
    values = _round_values(
        data, errors, call=review_round.call, project_type=review_round.project_type, kind=review_round.kind
    )
    errors.raise_if_any()
    _require_ranking_open(review_round, values)
    with transaction.atomic():
        before = snapshot(review_round, ROUND_FIELDS)
        for key, value in values.items():
            setattr(review_round, key, value)
        review_round.save()
        changes = diff(before, snapshot(review_round, ROUND_FIELDS))
        if changes:
            audit_record(actor=actor, action="review_round.update", obj=review_round, changes=changes)
    return review_round


def availability_set(
    *,
    actor: Actor,
    review_round: ReviewRound,
    expert: ExpertProfile,
    available: bool,
    load_cap: int | None = None,
    note: str = "",
) -> Availability:
    """Whether an expert takes part in the round, and their own load cap (None: the round's)."""
    require_round_staff(actor, review_round)
    if expert.province_id != review_round.province_code + "0000":
        raise NotFound
    errors = ErrorCollector()
    if load_cap is not None and not 0 <= load_cap <= LIMITS["load_cap"][1]:
        errors.add(
            "load_cap",
            "availability.load_cap_out_of_range",
            _("评审上限应在0至%(high)d之间（当前：%(cur)s）")
            % {"high": LIMITS["load_cap"][1], "cur": load_cap},
        )
    note = (note or "").strip()
    if len(note) > 200:
        errors.add(
            "note", "availability.note_too_long", _("说明最多200个字（当前：%(n)d个）") % {"n": len(note)}
        )
    errors.raise_if_any()
    with transaction.atomic():
        row, created = Availability.objects.get_or_create(round=review_round, expert=expert)
        before = {} if created else snapshot(row, ["available", "load_cap", "note"])
        row.available, row.load_cap, row.note = bool(available), load_cap, note
        row.save()
        audit_record(
            actor=actor,
            action="review_availability.update",
            obj=row,
            object_repr=f"{expert.name} · {review_round.name}"[:255],
            changes=diff(before, snapshot(row, ["available", "load_cap", "note"])),
        )
    return row


# --- exclusions (申请回避) ---------------------------------------------------------------------------


def exclusion_window(application: Application) -> tuple[ReviewRound | None, int, bool]:
    """(the selection round, the most exclusions allowed, whether asking is still open)."""
    return round_exclusion_window(selection_round_of(application))


def round_exclusion_window(review_round: ReviewRound | None) -> tuple[ReviewRound | None, int, bool]:
    """The same for a round already at hand (None: no round set up yet, so asking is open)."""
    if review_round is None:
        return None, DEFAULT_MAX_EXCLUSIONS, True
    closed = review_round.status != ReviewRound.Status.SETUP or (
        review_round.exclusions_close_at is not None and timezone.now() >= review_round.exclusions_close_at
    )
    return review_round, review_round.max_exclusions, not closed


def _require_applicant(actor: Actor, application: Application) -> None:
    if not (
        actor.is_org_staff
        and actor.organization is not None
        and application.applicant_id == actor.organization.pk
    ):
        raise Forbidden(_("只有申报单位可以申请回避"))


def _require_window_open(application: Application) -> ReviewRound | None:
    review_round, _limit, open_ = exclusion_window(application)
    if not open_:
        when = review_round.exclusions_close_at
        raise ConflictError.single(
            "application",
            "exclusion.closed",
            _("申请回避已截止%(when)s（评审专家已分配或已过截止时间）")
            % {"when": f"（{timezone.localtime(when):%Y-%m-%d %H:%M}）" if when else ""},
        )
    return review_round


def exclusion_add(
    *, actor: Actor, application: Application, expert_name: str, employer_name: str = "", reason: str
) -> Exclusion:
    """The applicant asks for a named expert to be kept away from its application, with a reason."""
    _require_applicant(actor, application)
    if application.status == Status.WITHDRAWN:
        raise ConflictError.single("application", "exclusion.application_withdrawn", _("申报书已撤回"))
    errors = ErrorCollector()
    expert_name = (expert_name or "").strip()
    employer_name = (employer_name or "").strip()
    reason = (reason or "").strip()
    if not expert_name:
        errors.add("expert_name", "exclusion.name_required", _("请填写申请回避的专家姓名"))
    elif len(expert_name) > 64:
        errors.add("expert_name", "exclusion.name_too_long", _("专家姓名最多64个字"))
    if len(employer_name) > 128:
        errors.add("employer_name", "exclusion.employer_too_long", _("专家所在单位最多128个字"))
    if not reason:
        errors.add("reason", "exclusion.reason_required", _("请写明申请回避的理由"))
    errors.raise_if_any()
    with transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        _require_window_open(application)
        _round, limit, _open = exclusion_window(application)
        count = Exclusion.objects.filter(application=application).count()
        if count >= limit:
            raise ValidationFailed.single(
                "expert_name",
                "exclusion.limit_reached",
                _("每项申报最多申请回避%(limit)d位专家（当前已申请%(count)d位）")
                % {"limit": limit, "count": count},
            )
        try:
            with transaction.atomic():
                exclusion = Exclusion.objects.create(
                    application=application,
                    expert_name=expert_name,
                    employer_name=employer_name,
                    reason=reason,
                    created_by=actor.user,
                )
        except IntegrityError:
            raise ConflictError.single(
                "expert_name", "exclusion.duplicate", _("已申请回避“%(name)s”") % {"name": expert_name}
            ) from None
        audit_record(
            actor=actor,
            action="review_exclusion.create",
            obj=exclusion,
            changes=diff(
                {}, snapshot(exclusion, ["application_id", "expert_name", "employer_name", "reason"])
            ),
        )
    return exclusion


def exclusion_remove(*, actor: Actor, exclusion: Exclusion) -> None:
    application = exclusion.application
    _require_applicant(actor, application)
    with transaction.atomic():
        _require_window_open(application)
        audit_record(
            actor=actor,
            action="review_exclusion.revoke",
            obj=exclusion,
            changes=diff(
                snapshot(exclusion, ["application_id", "expert_name", "employer_name", "reason"]), {}
            ),
        )
        exclusion.delete()


# --- later rounds (acceptance, performance), opened by the projects app ------------------------


def later_round_open(
    *,
    actor: Actor,
    call,
    project_type: ProjectType,
    kind: str,
    name: str,
    indicator_system: IndicatorSystem,
    subjects: dict[int, dict[str, Any]],
    data: dict[str, Any] | None = None,
) -> ReviewRound:
    """An acceptance or performance round over the named applications (`subjects`: application id
    → the inputs computed for it), with the round's settings in `data` as for a selection round.
    The caller (the projects app's batch) has checked its own rules and holds the transaction; the
    pool, conflicts, assignment, scoring and aggregation then work on it as on any round."""
    if kind == ReviewRound.Kind.SELECTION:
        raise ValueError("later_round_open opens acceptance and performance rounds only")
    require_province_staff_of(actor, call.pack.region_id)
    errors = ErrorCollector()
    values = _round_values(
        {**(data or {}), "indicator_system_id": indicator_system.pk},
        errors,
        call=call,
        project_type=project_type,
        kind=kind,
    )
    errors.raise_if_any()
    values["name"] = name
    review_round = ReviewRound.objects.create(
        call=call, project_type=project_type, kind=kind, created_by=actor.user, **values
    )
    RoundSubject.objects.bulk_create(
        RoundSubject(round=review_round, application_id=app_id, inputs=inputs)
        for app_id, inputs in subjects.items()
    )
    audit_record(
        actor=actor,
        action="review_round.create",
        obj=review_round,
        changes={**diff({}, snapshot(review_round, ROUND_FIELDS)), "subjects": [None, sorted(subjects)]},
    )
    return review_round


def subject_inputs_refresh(*, review_round: ReviewRound, inputs: dict[int, dict[str, Any]]) -> None:
    """Store freshly computed inputs for a later round's subjects (before its experts score)."""
    for subject in RoundSubject.objects.filter(round=review_round, application_id__in=inputs):
        subject.inputs = inputs[subject.application_id]
        subject.save(update_fields=["inputs", "computed_at"])
