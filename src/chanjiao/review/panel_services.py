"""Writes of the panel stage (专家组合议): opening it, moving an application by a recorded reason, and
settling the recommendation (专家评审推荐).

Each is one transaction, checks first that the actor is province staff of the round's province, and
writes an audit entry; a refusal stores nothing. The round moves assigned → panel → recommended.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chanjiao.applications.services import application_move
from chanjiao.core.audit import audit_record
from chanjiao.core.errors import ConflictError, FieldError
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Membership

from .aggregation import panel_override
from .models import RankingEntry, RankingOverride, ReviewRound, ScoreSheet
from .panel_selectors import missing_sheets, round_quota, round_ranking, unscored_applications
from .permissions import require_round_staff

APPLICANT_RECIPIENT_ROLES = (Role.ORG_ADMIN, Role.ORG_STAFF)


def _lock(review_round: ReviewRound) -> ReviewRound:
    """The round, locked for the rest of the transaction (two staff pressing the button at once)."""
    locked = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("call", "call__pack", "project_type", "indicator_system")
        .get(pk=review_round.pk)
    )
    review_round.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


def _wrong_status(field_name: str, code: str, review_round: ReviewRound, required: str) -> ConflictError:
    return ConflictError.single(
        field_name,
        code,
        _("评审轮次“%(name)s”当前状态为“%(cur)s”，须为“%(ok)s”")
        % {
            "name": review_round.name,
            "cur": review_round.get_status_display(),
            "ok": ReviewRound.Status(required).label,
        },
    )


def _no_quota(review_round: ReviewRound) -> ConflictError:
    return ConflictError.single(
        "quota",
        "panel.no_quota",
        _(
            "评审轮次“%(name)s”没有推荐名额：本轮未设“本批推荐名额”，项目类型“%(type)s”也未给出目标数量"
            "（当前：空；应为不小于1的整数，请在轮次设置中填写）"
        )
        % {"name": review_round.name, "type": review_round.project_type.name},
    )


def _unscored(review_round: ReviewRound) -> list[FieldError]:
    return [
        FieldError(
            f"applications.{a.pk}",
            "panel.application_unscored",
            _(
                "申报“%(title)s”（%(org)s）没有有效的评分表（当前：0份；至少应有1份已提交的评分表），请递补专家评审"
            )
            % {"title": a.title, "org": a.applicant.name},
        )
        for a in unscored_applications(review_round)
    ]


# --- opening the panel -------------------------------------------------------------------------


def panel_open(*, actor: Actor, review_round: ReviewRound) -> ReviewRound:
    """The experts' scoring ends and the panel stage begins: scores become visible to the panel.

    Refused while a reviewer (assigned, not a reserve, with no unwaived conflict, not recused) has not
    submitted a sheet, unless the review deadline has passed: then the panel opens and the missing
    sheets are recorded in the audit entry. Refused also without a quota, and while an application
    has no submitted sheet at all (nobody could rank it).
    """
    require_round_staff(actor, review_round)
    with transaction.atomic():
        locked = _lock(review_round)
        if locked.status != ReviewRound.Status.ASSIGNED:
            raise _wrong_status("status", "panel.open_wrong_status", locked, ReviewRound.Status.ASSIGNED)
        if round_quota(locked) is None:
            raise _no_quota(locked)
        missing = list(missing_sheets(locked))
        deadline = locked.review_deadline
        passed = deadline is not None and timezone.now() >= deadline
        if missing and not passed:
            when = (
                _("评审截止时间 %(when)s 尚未到") % {"when": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}"}
                if deadline
                else _("本轮未设评审截止时间")
            )
            raise ConflictError(
                [
                    FieldError(
                        f"assignments.{a.pk}",
                        "panel.sheets_missing",
                        _(
                            "专家“%(expert)s”尚未提交对申报“%(title)s”（%(org)s）的评分表（当前：%(status)s）；"
                            "%(when)s，须全部提交或回避后才能开始专家组合议"
                        )
                        % {
                            "expert": a.expert.name,
                            "title": a.application.title,
                            "org": a.application.applicant.name,
                            "status": _sheet_status(a),
                            "when": when,
                        },
                    )
                    for a in missing
                ]
            )
        unscored = _unscored(locked)
        if unscored:
            raise ConflictError(unscored)
        locked.status = ReviewRound.Status.PANEL
        locked.save(update_fields=["status", "updated_at"])
        changes: dict[str, Any] = {"status": [ReviewRound.Status.ASSIGNED, ReviewRound.Status.PANEL]}
        if missing:
            changes["missing_sheets"] = [
                None,
                [
                    {
                        "assignment": a.pk,
                        "expert": a.expert.name,
                        "application": a.application_id,
                        "title": a.application.title,
                    }
                    for a in missing
                ],
            ]
        audit_record(actor=actor, action="review_round.panel_open", obj=locked, changes=changes)
    review_round.status = locked.status
    return locked


def _sheet_status(assignment) -> str:
    """The reviewer's sheet as it stands (read with the assignment: no query)."""
    try:
        return assignment.sheet.get_status_display()
    except ScoreSheet.DoesNotExist:
        return _("未开始评分")


# --- overrides ---------------------------------------------------------------------------------


def ranking_override(
    *, actor: Actor, review_round: ReviewRound, application_id: Any, to_rank: Any, reason: str
) -> RankingOverride:
    """The panel moves an application to rank `to_rank`, for a reason that is recorded with the rank
    and the recommendation before and after. Only while the panel sits; without a reason, for an
    application not ranked here or vetoed, or to a rank outside 1…(ranked applications): refused (422).
    An acceptance or performance round ranks nothing to move: its batch concludes on each score (409)."""
    require_round_staff(actor, review_round)
    if review_round.kind != ReviewRound.Kind.SELECTION:
        raise ConflictError.single(
            "kind",
            "panel.override_later_round",
            _("调整排名只用于遴选评审，%(kind)s的结论按各项目得分在批次中确定（当前：%(kind)s）")
            % {"kind": review_round.get_kind_display()},
        )
    with transaction.atomic():
        locked = _lock(review_round)
        if locked.status != ReviewRound.Status.PANEL:
            raise _wrong_status("status", "panel.override_wrong_status", locked, ReviewRound.Status.PANEL)
        try:
            application_key = int(application_id)
        except (TypeError, ValueError):
            application_key = application_id
        current = round_ranking(locked)
        moved = panel_override(
            current.ranking, application=application_key, to_rank=to_rank, reason=reason, actor=actor.user
        )
        record = moved.overrides[-1]
        row = RankingOverride.objects.create(
            round=locked,
            application_id=record.application,
            to_rank=record.after_rank,
            before_rank=record.before_rank,
            before_recommended=record.before_recommended,
            after_recommended=record.after_recommended,
            reason=record.reason,
            created_by=actor.user,
        )
        application = current.applications[record.application]
        audit_record(
            actor=actor,
            action="ranking_override.create",
            obj=row,
            object_repr=f"{application.title} → {record.after_rank}"[:255],
            changes={
                "round_id": [None, locked.pk],
                "application_id": [None, record.application],
                "rank": [record.before_rank, record.after_rank],
                "recommended": [record.before_recommended, record.after_recommended],
                "reason": [None, record.reason],
            },
        )
    return row


# --- the recommendation ------------------------------------------------------------------------


def _recipients(organization_ids: set[int]) -> dict[int, list]:
    people: dict[int, list] = defaultdict(list)
    rows = (
        Membership.objects.filter(
            organization_id__in=organization_ids,
            role__in=APPLICANT_RECIPIENT_ROLES,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("organization_id", "user_id")
    )
    for m in rows:
        people[m.organization_id].append(m.user)
    return people


def _message(review_round: ReviewRound, application, recommended: bool, vetoed: bool) -> tuple[str, str]:
    values = {"title": application.title, "round": review_round.name, "call": review_round.call.title}
    if recommended:
        return (
            _("申报“%(title)s”列入拟推荐名单") % values,
            _(
                "贵单位的申报“%(title)s”经“%(round)s”专家评审和专家组合议，列入拟推荐名单。"
                "拟推荐名单将按规定公示，公示无异议后由省教育厅、财政厅行政决定立项。"
            )
            % values,
        )
    if vetoed:
        return (
            _("申报“%(title)s”未列入推荐名单") % values,
            _(
                "贵单位的申报“%(title)s”在“%(round)s”专家评审中被评审专家认定存在一票否决事项，未列入推荐名单。"
            )
            % values,
        )
    return (
        _("申报“%(title)s”未列入推荐名单") % values,
        _("贵单位的申报“%(title)s”经“%(round)s”专家评审和专家组合议，未列入本批推荐名单。") % values,
    )


def recommendation_confirm(*, actor: Actor, review_round: ReviewRound) -> list[RankingEntry]:
    """The panel's ranking becomes the recommendation: a frozen `RankingEntry` per application, each
    application moved (recommend, or not_recommend for the rest, vetoed included), the applicants'
    staff notified, the round recommended; all or nothing.

    Refused while a tie straddles the quota's cut (the panel must move one of the tied applications,
    with a reason), without a quota, or while an application has no submitted sheet.
    """
    require_round_staff(actor, review_round)
    if review_round.kind != ReviewRound.Kind.SELECTION:
        # an acceptance or performance batch concludes on each subject's score, in the projects app
        raise ConflictError.single(
            "kind",
            "panel.recommend_later_round",
            _("推荐名单只用于遴选评审，%(kind)s的结论在批次中确定（当前：%(kind)s）")
            % {"kind": review_round.get_kind_display()},
        )
    with transaction.atomic():
        locked = _lock(review_round)
        if locked.status != ReviewRound.Status.PANEL:
            raise _wrong_status("status", "panel.recommend_wrong_status", locked, ReviewRound.Status.PANEL)
        quota = round_quota(locked)
        if quota is None:
            raise _no_quota(locked)
        unscored = _unscored(locked)
        if unscored:
            raise ConflictError(unscored)
        current = round_ranking(locked)
        if not current.ranking.entries:
            raise ConflictError.single(
                "ranking",
                "panel.nothing_ranked",
                _("评审轮次“%(name)s”没有已评分的申报（当前：0项），无法确定推荐名单")
                % {"name": locked.name},
            )
        if current.tie_at_cut:
            raise ConflictError.single("ranking", "panel.tie_at_cut", current.tie_message())
        entries = RankingEntry.objects.bulk_create(
            [
                RankingEntry(
                    round=locked,
                    application_id=e.application,
                    rank=e.rank,
                    score=e.score,
                    mean=e.aggregate.mean,
                    trimmed_mean=e.aggregate.trimmed_mean,
                    zscore=e.aggregate.zscore,
                    sheets=e.aggregate.sheets,
                    spread=e.aggregate.spread,
                    disagreement=e.aggregate.disagreement,
                    tied=e.tied,
                    vetoed=e.vetoed,
                    veto_codes=sorted(e.aggregate.veto_codes),
                    overridden=e.overridden,
                    recommended=e.recommended,
                )
                for e in current.ranking.entries
            ]
        )
        people = _recipients({a.applicant_id for a in current.applications.values()})
        note = _("评审轮次：%(round)s") % {"round": locked.name}
        for e in current.ranking.entries:
            application = current.applications[e.application]
            application_move(
                actor=actor,
                application=application,
                action="recommend" if e.recommended else "not_recommend",
                note=note,
                audit_extra={"round_id": locked.pk, "rank": e.rank, "score": str(e.score)},
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject, body = _message(locked, application, e.recommended, e.vetoed)
            notify(
                people.get(application.applicant_id, []),
                subject=subject,
                body=body,
                url=reverse("applications:detail", args=[application.pk]),
                kind="review.recommended" if e.recommended else "review.not_recommended",
            )
        before = locked.status
        locked.status = ReviewRound.Status.RECOMMENDED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="review_round.recommend",
            obj=locked,
            changes={
                "status": [before, locked.status],
                "quota": [None, quota],
                "recommended": [None, [e.application for e in current.ranking.entries if e.recommended]],
                "not_recommended": [
                    None,
                    [e.application for e in current.ranking.entries if not e.recommended],
                ],
            },
        )
    review_round.status = locked.status
    return entries
