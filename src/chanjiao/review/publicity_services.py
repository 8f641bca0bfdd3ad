"""Writes of the publicity stage (公示): publishing a round's recommended list for a period of working
days, objections (异议) from the public or recorded by staff, and their answers.

Every write is one transaction, checks who may make it, writes an audit entry and tells the people
concerned (core.notifications: the inbox now, the email after commit). Refused writes store nothing
and notify no one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from chanjiao.applications.services import application_move
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.calendar import working_days_from
from chanjiao.core.errors import ConflictError, ErrorCollector
from chanjiao.core.notifications import email_after_commit, notify
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Membership

from .models import Objection, Publicity, RankingEntry, ReviewRound
from .permissions import require_round_staff

WORKING_DAYS = (1, 30)
CONTENT_MAX = 5000
# a mobile (13812345678), a landline with its area code (025-83335555, 0551 6288 1234), or +86 …
PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,24}[0-9]")
PHONE_DIGITS = (7, 15)
STAFF_CHANNELS = (Objection.Channel.LETTER, Objection.Channel.PHONE, Objection.Channel.VISIT)
PUBLICITY_FIELDS = ("round_id", "title", "body", "contact", "starts_on", "ends_on", "working_days")
OBJECTION_FIELDS = (
    "publicity_id",
    "application_id",
    "name",
    "organization_name",
    "phone",
    "email",
    "content",
    "channel",
    "received_at",
)


def _d(day: dt.date) -> str:
    return day.isoformat()


# --- publishing ------------------------------------------------------------------------------------


def _lock_round(review_round: ReviewRound) -> ReviewRound:
    locked = ReviewRound.objects.select_for_update().get(pk=review_round.pk)
    review_round.status = locked.status
    return locked


def publicity_publish(
    *,
    actor: Actor,
    review_round: ReviewRound,
    title: str,
    body: str = "",
    contact: str = "",
    starts_on: dt.date | None = None,
    working_days: int | None = None,
) -> Publicity:
    """Publishes the round's recommended list (RankingEntry.recommended) from `starts_on` (default
    today) for `working_days` working days (default the round's setting): the round becomes
    publicised, each application on the list moves "publicise", and the applicants are told."""
    require_round_staff(actor, review_round)
    today = timezone.localdate()
    errors = ErrorCollector()
    title = (title or "").strip()
    body = (body or "").strip()
    contact = (contact or "").strip()
    if not title:
        errors.add("title", "publicity.title_required", _("请填写公示标题"))
    elif len(title) > 255:
        errors.add(
            "title", "publicity.title_too_long", _("公示标题最多255个字（当前：%(n)d个）") % {"n": len(title)}
        )
    if len(contact) > 255:
        errors.add(
            "contact",
            "publicity.contact_too_long",
            _("异议受理联系方式最多255个字（当前：%(n)d个）") % {"n": len(contact)},
        )
    if starts_on is None:
        starts_on = today
    elif starts_on < today:
        errors.add(
            "starts_on",
            "publicity.starts_in_past",
            _("公示开始日期不能早于今天%(today)s（当前：%(cur)s）")
            % {"today": _d(today), "cur": _d(starts_on)},
        )
    if working_days is None:
        working_days = review_round.publicity_days
    if not WORKING_DAYS[0] <= working_days <= WORKING_DAYS[1]:
        errors.add(
            "working_days",
            "publicity.working_days_out_of_range",
            _("公示期应为%(low)d至%(high)d个工作日（当前：%(cur)d）")
            % {"low": WORKING_DAYS[0], "high": WORKING_DAYS[1], "cur": working_days},
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_round(review_round)
        if locked.status != ReviewRound.Status.RECOMMENDED:
            raise ConflictError.single(
                "status",
                "publicity.round_not_recommended",
                _("评审轮次“%(name)s”当前状态为“%(status)s”，只有“%(required)s”的轮次可以公示")
                % {
                    "name": locked.name,
                    "status": locked.get_status_display(),
                    "required": ReviewRound.Status.RECOMMENDED.label,
                },
            )
        entries = list(
            RankingEntry.objects.filter(round=locked, recommended=True)
            .select_related("application", "application__applicant", "application__call__pack")
            .order_by("rank", "id")
        )
        if not entries:
            raise ConflictError.single(
                "round",
                "publicity.list_empty",
                _("评审轮次“%(name)s”的推荐名单为空，没有可公示的项目（当前：0项）") % {"name": locked.name},
            )
        ends_on = working_days_from(starts_on, working_days)
        try:
            with transaction.atomic():
                publicity = Publicity.objects.create(
                    round=locked,
                    title=title,
                    body=body,
                    contact=contact,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    working_days=working_days,
                    published_by=actor.user,
                )
        except IntegrityError:  # one publicity per round: published a moment ago by someone else
            raise ConflictError.single(
                "round",
                "publicity.already_published",
                _("评审轮次“%(name)s”已经公示") % {"name": locked.name},
            ) from None
        note = _("列入“%(title)s”，公示期%(start)s至%(end)s") % {
            "title": title,
            "start": _d(starts_on),
            "end": _d(ends_on),
        }
        for entry in entries:
            application_move(actor=actor, application=entry.application, action="publicise", note=note)
        locked.status = ReviewRound.Status.PUBLICISED
        locked.save(update_fields=["status", "updated_at"])
        review_round.status = locked.status
        audit_record(
            actor=actor,
            action="publicity.create",
            obj=publicity,
            changes={
                **diff({}, snapshot(publicity, PUBLICITY_FIELDS)),
                "applications": [None, [e.application_id for e in entries]],
            },
        )
        _notify_applicants(publicity, [e.application for e in entries])
    return publicity


def _notify_applicants(publicity: Publicity, applications: list) -> None:
    """The active staff (单位管理员, 单位工作人员) of each applicant on the list."""
    members: dict[int, list] = {}
    rows = Membership.objects.filter(
        organization_id__in={a.applicant_id for a in applications},
        role__in=(Role.ORG_ADMIN, Role.ORG_STAFF),
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    for m in rows:
        members.setdefault(m.organization_id, []).append(m.user)
    url = reverse("review:publicity_public", args=[publicity.pk])
    for application in applications:
        notify(
            members.get(application.applicant_id, []),
            subject=_("“%(title)s”已列入公示名单") % {"title": application.title},
            body=_(
                "贵单位的申报“%(title)s”已列入“%(publicity)s”。公示期：%(start)s至%(end)s（%(days)d个工作日）。"
                "公示期满无异议或异议经核查不成立的，将按程序立项。"
            )
            % {
                "title": application.title,
                "publicity": publicity.title,
                "start": _d(publicity.starts_on),
                "end": _d(publicity.ends_on),
                "days": publicity.working_days,
            },
            url=url,
            kind="publicity.published",
        )


# --- objections ------------------------------------------------------------------------------------


def _objection_values(data: dict[str, Any], publicity: Publicity, errors: ErrorCollector) -> dict[str, Any]:
    """The objector's own fields, checked alike for the public form and for staff recording one."""
    values = {
        key: str(data.get(key) or "").strip()
        for key in ("name", "organization_name", "phone", "email", "content")
    }
    if not values["name"]:
        errors.add("name", "objection.name_required", _("请填写异议人的真实姓名（异议须实名提出）"))
    elif len(values["name"]) > 64:
        errors.add(
            "name",
            "objection.name_too_long",
            _("姓名最多64个字（当前：%(n)d个）") % {"n": len(values["name"])},
        )
    if len(values["organization_name"]) > 128:
        errors.add(
            "organization_name",
            "objection.organization_too_long",
            _("异议人单位最多128个字（当前：%(n)d个）") % {"n": len(values["organization_name"])},
        )
    phone = values["phone"]
    digits = sum(ch.isdigit() for ch in phone)
    if not phone:
        errors.add("phone", "objection.phone_required", _("请填写联系电话（异议须实名提出，以便核实和答复）"))
    elif not PHONE.fullmatch(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        errors.add(
            "phone",
            "objection.phone_invalid",
            _("联系电话应为手机号码或带区号的固定电话，如 13812345678 或 025-83335555（当前：%(cur)s）")
            % {"cur": phone[:40]},
        )
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors.add(
                "email",
                "objection.email_invalid",
                _("电子邮箱格式不正确，如 name@example.cn（当前：%(cur)s）") % {"cur": values["email"][:80]},
            )
    if not values["content"]:
        errors.add("content", "objection.content_required", _("请写明异议的内容和理由"))
    elif len(values["content"]) > CONTENT_MAX:
        errors.add(
            "content",
            "objection.content_too_long",
            _("异议内容最多%(max)d个字（当前：%(n)d个）") % {"max": CONTENT_MAX, "n": len(values["content"])},
        )
    application_id = data.get("application_id")
    values["application_id"] = None
    if application_id not in (None, ""):
        listed = set(
            RankingEntry.objects.filter(round_id=publicity.round_id, recommended=True).values_list(
                "application_id", flat=True
            )
        )
        try:
            application_id = int(application_id)
        except (TypeError, ValueError):
            application_id = str(application_id)[:20]
        if application_id not in listed:
            errors.add(
                "application_id",
                "objection.application_not_listed",
                _("所指项目不在本次公示名单中（当前：%(cur)s）；不针对具体项目时请留空")
                % {"cur": application_id},
            )
        else:
            values["application_id"] = application_id
    return values


def _notify_staff(objection: Objection, publicity: Publicity, *, except_user=None) -> None:
    """The province staff of the round (省级管理员 of an organisation in the round's province)."""
    province = publicity.round.province_code
    staff = [
        m.user
        for m in Membership.objects.filter(
            role=Role.PROVINCE_ADMIN,
            is_active=True,
            user__is_active=True,
            organization__is_active=True,
            organization__region__code__startswith=province,
        ).select_related("user")
        if except_user is None or m.user_id != except_user.pk
    ]
    target = (
        _("针对“%(title)s”") % {"title": objection.application.title}
        if objection.application_id
        else _("未指明具体项目")
    )
    notify(
        staff,
        subject=_("“%(publicity)s”收到一条异议") % {"publicity": publicity.title},
        body=_("异议人：%(name)s（%(channel)s，%(target)s）。请在公示管理页面核查并答复。")
        % {"name": objection.name, "channel": objection.get_channel_display(), "target": target},
        url=reverse("review:round_publicity", args=[publicity.round_id]),
        kind="publicity.objection",
    )


def objection_submit(*, data: dict[str, Any], publicity: Publicity) -> Objection:
    """An objection from the public, in the objector's real name, during the period (no login)."""
    today = timezone.localdate()
    if today > publicity.ends_on:
        raise ConflictError.single(
            "publicity",
            "objection.period_ended",
            _("公示期已于%(end)s结束，不再受理异议（当前：%(today)s）")
            % {"end": _d(publicity.ends_on), "today": _d(today)},
        )
    if today < publicity.starts_on:
        raise ConflictError.single(
            "publicity",
            "objection.period_not_started",
            _("公示期自%(start)s开始，届时方可提出异议（当前：%(today)s）")
            % {"start": _d(publicity.starts_on), "today": _d(today)},
        )
    errors = ErrorCollector()
    values = _objection_values(data, publicity, errors)
    errors.raise_if_any()
    with transaction.atomic():
        objection = Objection.objects.create(publicity=publicity, channel=Objection.Channel.ONLINE, **values)
        audit_record(
            actor=None,
            action="objection.create",
            obj=objection,
            object_repr=f"{objection.name} · {publicity.title}"[:255],
            changes=diff({}, snapshot(objection, OBJECTION_FIELDS)),
        )
        _notify_staff(objection, publicity)
    return objection


def _received_on(value: Any, errors: ErrorCollector) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        day = parse_date(str(value))
    except ValueError:
        day = None
    if day is None:
        errors.add(
            "received_on",
            "objection.received_on_invalid",
            _("收到日期应为日期，如 2026-11-25（当前：%(cur)s）") % {"cur": str(value)[:20]},
        )
    return day


def objection_record(*, actor: Actor, publicity: Publicity, data: dict[str, Any]) -> Objection:
    """Staff record an objection received by letter, telephone or visit (`channel`). It may be
    recorded after the period, as long as it was received within it (`received_on`, default today)."""
    require_round_staff(actor, publicity.round)
    if publicity.round.status == ReviewRound.Status.CLOSED:
        raise ConflictError.single(
            "publicity",
            "objection.round_closed",
            _("评审轮次“%(name)s”已结束，不能再登记异议") % {"name": publicity.round.name},
        )
    today = timezone.localdate()
    errors = ErrorCollector()
    channel = str(data.get("channel") or "").strip()
    if channel not in STAFF_CHANNELS:
        errors.add(
            "channel",
            "objection.channel_invalid",
            _("登记方式应为%(allowed)s之一（当前：%(cur)s）")
            % {
                "allowed": "、".join(str(Objection.Channel(c).label) for c in STAFF_CHANNELS),
                "cur": channel or _("空"),
            },
        )
    raw = data.get("received_on")
    received_on = _received_on(raw, errors) if raw not in (None, "") else today
    if received_on is not None and received_on > today:
        errors.add(
            "received_on",
            "objection.received_in_future",
            _("收到日期不能晚于今天%(today)s（当前：%(cur)s）")
            % {"today": _d(today), "cur": _d(received_on)},
        )
    elif received_on is not None and not publicity.starts_on <= received_on <= publicity.ends_on:
        errors.add(
            "received_on",
            "objection.received_outside_period",
            _("只受理公示期内（%(start)s至%(end)s）收到的异议（当前：%(cur)s）")
            % {"start": _d(publicity.starts_on), "end": _d(publicity.ends_on), "cur": _d(received_on)},
        )
    values = _objection_values(data, publicity, errors)
    errors.raise_if_any()
    with transaction.atomic():
        objection = Objection.objects.create(
            publicity=publicity, channel=channel, recorded_by=actor.user, **values
        )
        if received_on != today:
            # received_at is set on creation; a letter that came in earlier keeps the day it came
            # (the start of that day, Beijing time)
            moment = timezone.make_aware(dt.datetime.combine(received_on, dt.time.min))
            Objection.objects.filter(pk=objection.pk).update(received_at=moment)
            objection.received_at = moment
        audit_record(
            actor=actor,
            action="objection.create",
            obj=objection,
            object_repr=f"{objection.name} · {publicity.title}"[:255],
            changes=diff({}, snapshot(objection, OBJECTION_FIELDS)),
        )
        _notify_staff(objection, publicity, except_user=actor.user)
    return objection


def objection_answer(*, actor: Actor, objection: Objection, answer: str, outcome: str) -> Objection:
    """Staff answer an objection once, with what they found and the outcome; an objector who left
    an email address gets the answer by email."""
    publicity = objection.publicity
    require_round_staff(actor, publicity.round)
    errors = ErrorCollector()
    answer = (answer or "").strip()
    outcome = (outcome or "").strip()
    if not answer:
        errors.add("answer", "objection.answer_required", _("请填写核查情况和处理意见"))
    if not outcome:
        errors.add(
            "outcome",
            "objection.outcome_required",
            _("请选择处理结论：%(allowed)s（当前：空）")
            % {"allowed": "、".join(str(label) for _value, label in Objection.Outcome.choices)},
        )
    elif outcome not in Objection.Outcome.values:
        errors.add(
            "outcome",
            "objection.outcome_invalid",
            _("处理结论应为%(allowed)s之一（当前：%(cur)s）")
            % {"allowed": "、".join(Objection.Outcome.values), "cur": outcome[:40]},
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        if locked.answered_at is not None:
            raise ConflictError.single(
                "objection",
                "objection.already_answered",
                _("该异议已于%(at)s答复（%(outcome)s），不能再次答复")
                % {
                    "at": f"{timezone.localtime(locked.answered_at):%Y-%m-%d %H:%M}",
                    "outcome": locked.get_outcome_display(),
                },
            )
        before = snapshot(locked, ["answer", "outcome", "answered_at"])
        locked.answer, locked.outcome = answer, outcome
        locked.answered_by, locked.answered_at = actor.user, timezone.now()
        locked.save(update_fields=["answer", "outcome", "answered_by", "answered_at"])
        audit_record(
            actor=actor,
            action="objection.answer",
            obj=locked,
            object_repr=f"{locked.name} · {publicity.title}"[:255],
            changes=diff(before, snapshot(locked, ["answer", "outcome", "answered_at"])),
        )
        email_after_commit(
            locked.email,
            subject=_("关于您对“%(publicity)s”所提异议的答复") % {"publicity": publicity.title},
            body=_("%(name)s：\n\n您于%(received)s提出的异议已核查，处理结论：%(outcome)s。\n\n%(answer)s")
            % {
                "name": locked.name,
                "received": f"{timezone.localtime(locked.received_at):%Y-%m-%d}",
                "outcome": locked.get_outcome_display(),
                "answer": answer,
            },
        )
    objection.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return objection
