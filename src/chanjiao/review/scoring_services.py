"""Writes of the scoring stage: the expert's score sheet (a draft, then submitted) and recusal.

Every write is one transaction, checks who may make it first and writes an audit entry. The
arithmetic is aggregation.py's (`validate_sheet`, `sheet_total`), against the round's indicator
system (scoring_selectors.layout_of). What each write refuses, in the order it is checked:

- not the expert's own assignment: 403 (the selectors answer 404 before that: outside the scope);
- the round has no indicator system: 409 `score_sheet.no_indicator_system`;
- the sheet is submitted or recused: 409 `score_sheet.not_editable`, naming its status;
- the round is not being scored (status other than 专家评分中): 409 `score_sheet.round_not_scoring`;
- the review deadline has passed (saving and submitting; a recusal is still taken): 409
  `score_sheet.deadline_passed`, with the deadline and the time now;
- the sheet changed since the caller read it: 409 `score_sheet.stale_version`, with both versions;
- bad values: 422 with every problem at once (aggregation's `score.*`, `veto.*`, `comment.*` codes
  at `scores.<leaf>`, `vetoes.<code>`, `comments.<first-level code>`, and this module's own).

In an acceptance or performance round the formula and gate leaves whose figures the batch computed
(RoundSubject.inputs) are scored from them, not by the expert: the sheet holds the computed values,
a different value sent for one is refused (422 `score_sheet.computed_leaf`, with the value sent and
the computed one), and a veto whose condition the figures fail stays marked. A leaf whose figure is
missing is the expert's to score as in a selection round.

A draft's values are the expert's alone until submitted: the audit log records which parts of a
draft changed, not what they say (staff and the observer read the log); a submission records them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, Forbidden, ValidationFailed
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor, Role

from . import conflicts
from .aggregation import sheet_total, validate_sheet
from .models import Assignment, ReviewRound, ScoreSheet
from .scoring_selectors import Computation, Layout, computation_of, layout_of, prefill

Status = ScoreSheet.Status
Recommendation = ScoreSheet.Recommendation
CONTENT_FIELDS = ("scores", "vetoes", "comments", "overall_comment", "recommendation")
AUDITED_FIELDS = (*CONTENT_FIELDS, "status", "total", "submitted_at", "recusal_reason", "row_version")
COMMENT_MAX = 2000
OVERALL_COMMENT_MAX = 5000
REASON_MAX = 2000


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _require_own(actor: Actor, assignment: Assignment) -> None:
    actor.require(Role.EXPERT)
    if assignment.reserve or assignment.expert.user_id != actor.user.pk:
        raise Forbidden(_("只能填写本人的评分表"))


def _require_layout(review_round: ReviewRound) -> Layout:
    layout = layout_of(review_round)
    if layout is None:
        raise ConflictError.single(
            "indicator_system",
            "score_sheet.no_indicator_system",
            _("评审轮次“%(name)s”尚未设置指标体系，还不能评分（请联系省级管理员设置）")
            % {"name": review_round.name},
        )
    return layout


def _require_editable(sheet: ScoreSheet | None) -> None:
    if sheet is None or sheet.status == Status.DRAFT:
        return
    if sheet.status == Status.SUBMITTED:
        message = _("评分表已于%(when)s提交，不能再修改（当前状态：%(status)s）") % {
            "when": _local(sheet.submitted_at),
            "status": sheet.get_status_display(),
        }
    else:
        message = _("评分表已回避，不能再修改（当前状态：%(status)s）") % {
            "status": sheet.get_status_display()
        }
    raise ConflictError.single("status", "score_sheet.not_editable", message)


def _require_scoring(review_round: ReviewRound) -> None:
    if review_round.status != ReviewRound.Status.ASSIGNED:
        raise ConflictError.single(
            "status",
            "score_sheet.round_not_scoring",
            _("评审轮次“%(name)s”当前状态为“%(status)s”，评分和回避只能在“%(required)s”状态下进行")
            % {
                "name": review_round.name,
                "status": review_round.get_status_display(),
                "required": ReviewRound.Status.ASSIGNED.label,
            },
        )


def _require_before_deadline(review_round: ReviewRound, now: dt.datetime, *, submitting: bool) -> None:
    deadline = review_round.review_deadline
    if deadline is None or now < deadline:
        return
    if submitting:
        message = _("评审已于%(deadline)s截止，不能再提交（当前时间：%(now)s）")
    else:
        message = _("评审已于%(deadline)s截止，不能再修改评分表（当前时间：%(now)s）")
    raise ConflictError.single(
        "review_deadline",
        "score_sheet.deadline_passed",
        message % {"deadline": _local(deadline), "now": _local(now)},
    )


def _check_version(sheet: ScoreSheet | None, expected_version: int | None) -> None:
    current = sheet.row_version if sheet is not None else 0
    if expected_version != current:
        raise ConflictError.single(
            "expected_version",
            "score_sheet.stale_version",
            _("评分表已在别处修改，请刷新后再操作（您看到的版本：%(seen)s，当前版本：%(now)s）")
            % {"seen": "—" if expected_version is None else expected_version, "now": current},
        )


# --- reading what the expert sent ----------------------------------------------------------------


def _gate_value(value: Any) -> Any:
    """达标 / 不达标 from a form or JSON: True/False, 1/0 or their text; anything else as sent."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "达标"):
        return True
    if text in ("0", "false", "不达标"):
        return False
    return value


def _score_value(value: Any) -> Any:
    """A number as text ('7.5'), as typed; what is not a number is kept for validate_sheet to name."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_sheet(layout: Layout, data: Mapping[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    """The sheet's values in the form they are stored, with the problems of their shape in `errors`
    (the scores themselves are checked by validate_sheet): empty scores and comments left out,
    vetoes in the tree's order, texts trimmed and within their length."""
    tree = layout.tree
    scores: dict[str, Any] = {}
    raw_scores = data.get("scores") or {}
    if not isinstance(raw_scores, Mapping):
        errors.add("scores", "score_sheet.scores_not_mapping", _("各项得分应为“指标编号: 分值”的对应表"))
        raw_scores = {}
    for code, value in raw_scores.items():
        code = str(code)
        if _blank(value):
            continue
        leaf = tree.leaves.get(code)
        scores[code] = _gate_value(value) if leaf is not None and leaf.kind == "gate" else _score_value(value)
    scores = {code: scores[code] for code in [*tree.leaves, *scores] if code in scores}

    marked = [str(c) for c in (data.get("vetoes") or [])]
    vetoes = [c for c in tree.vetoes if c in marked] + sorted({c for c in marked if c not in tree.vetoes})

    comments: dict[str, str] = {}
    raw_comments = data.get("comments") or {}
    if not isinstance(raw_comments, Mapping):
        errors.add(
            "comments", "score_sheet.comments_not_mapping", _("分项评语应为“一级指标编号: 评语”的对应表")
        )
        raw_comments = {}
    for code, text in raw_comments.items():
        text = "" if text is None else str(text).strip()
        if not text:
            continue
        if len(text) > COMMENT_MAX:
            name = tree.first_level.get(str(code), "")
            errors.add(
                f"comments.{code}",
                "score_sheet.comment_too_long",
                _("对“%(indicator)s”的评审意见最多%(max)d字（当前：%(n)d字）")
                % {"indicator": f"{code} {name}".strip(), "max": COMMENT_MAX, "n": len(text)},
            )
        comments[str(code)] = text
    comments = {code: comments[code] for code in [*tree.first_level, *comments] if code in comments}

    overall = str(data.get("overall_comment") or "").strip()
    if len(overall) > OVERALL_COMMENT_MAX:
        errors.add(
            "overall_comment",
            "score_sheet.overall_comment_too_long",
            _("总体评价最多%(max)d字（当前：%(n)d字）") % {"max": OVERALL_COMMENT_MAX, "n": len(overall)},
        )
    recommendation = str(data.get("recommendation") or "").strip()
    if recommendation and recommendation not in Recommendation.values:
        errors.add(
            "recommendation",
            "score_sheet.unknown_recommendation",
            _("推荐意见无效（当前：%(cur)s；可选：%(ok)s）")
            % {"cur": recommendation, "ok": "、".join(str(label) for label in Recommendation.labels)},
        )
    return {
        "scores": scores,
        "vetoes": vetoes,
        "comments": comments,
        "overall_comment": overall,
        "recommendation": recommendation,
    }


def check_sheet(
    layout: Layout, values: Mapping[str, Any], errors: ErrorCollector, *, draft: bool, recommend: bool = True
) -> None:
    """Every problem of the sheet's values: validate_sheet's, and on submission a recommendation
    that a marked veto allows (一票否决 means the expert cannot recommend the application). An
    acceptance or performance round (`recommend` False) recommends nothing: its batch grades."""
    errors.extend(
        validate_sheet(layout.tree, values["scores"], values["vetoes"], values["comments"], draft=draft)
    )
    if draft or not recommend:
        return
    labels = "、".join(str(label) for label in Recommendation.labels)
    recommendation = values["recommendation"]
    if not recommendation:
        errors.add(
            "recommendation",
            "score_sheet.recommendation_required",
            _("请选择推荐意见（当前：空；可选：%(ok)s）") % {"ok": labels},
        )
    vetoed = [f"{c} {layout.tree.vetoes[c]}".strip() for c in values["vetoes"] if c in layout.tree.vetoes]
    if vetoed and recommendation and recommendation != Recommendation.NOT_RECOMMENDED:
        errors.add(
            "recommendation",
            "score_sheet.veto_recommended",
            _("已勾选一票否决项（%(vetoes)s），推荐意见应为“%(required)s”（当前：%(cur)s）")
            % {
                "vetoes": "、".join(vetoed),
                "required": Recommendation.NOT_RECOMMENDED.label,
                "cur": Recommendation(recommendation).label,
            },
        )


def _leaf_value_text(is_gate: bool, value: Any) -> str:
    """How a leaf's value reads in a message: 达标 / 不达标 for a gate, the number as written."""
    if is_gate:
        passed = _gate_value(value)
        if isinstance(passed, bool):
            return _("达标") if passed else _("不达标")
    return str(value)


def _same_value(is_gate: bool, given: Any, required: Any) -> bool:
    if is_gate:
        return _gate_value(given) is bool(required)
    try:
        number = Decimal(str(given).strip())
    except InvalidOperation:
        return False
    return number.is_finite() and number == Decimal(required)


def apply_computed(
    layout: Layout,
    computation: Computation | None,
    values: dict[str, Any],
    errors: ErrorCollector,
    *,
    check: bool = True,
) -> None:
    """A later round's computed leaves and vetoes into the sheet's values (clean_sheet's form).

    With `check`, a value the expert sent for a computed leaf that differs from the computed one is
    refused at its field; one left out is filled in. A veto the figures fire is marked whether sent
    or not. Nothing happens in a selection round (`computation` None)."""
    if computation is None:
        return
    scores = values["scores"]
    for code, value in computation.result.values.items() if check else ():
        leaf = layout.tree.leaves.get(code)
        given = scores.get(code)
        if leaf is None or given is None or _same_value(leaf.kind == "gate", given, value):
            continue
        required = bool(value) if leaf.kind == "gate" else format(Decimal(value).normalize(), "f")
        errors.add(
            f"scores.{code}",
            "score_sheet.computed_leaf",
            _(
                "“%(leaf)s”按填报数据计算（计算依据：%(basis)s），不能修改（当前：%(cur)s；应为：%(required)s）"
            )
            % {
                "leaf": leaf.label,
                "basis": computation.basis.get(code, ""),
                "cur": _leaf_value_text(leaf.kind == "gate", given),
                "required": _leaf_value_text(leaf.kind == "gate", required),
            },
        )
    prefill(layout, computation, scores, values["vetoes"])


def computation_for(assignment: Assignment, layout: Layout) -> Computation | None:
    """The computed leaves and vetoes of the assignment's application in its round (None: selection)."""
    return computation_of(assignment.round, assignment.application_id, layout)


def running_total(layout: Layout, values: Mapping[str, Any]) -> Decimal | None:
    """The draft's total so far (empty leaves count 0), or None while a value cannot be counted."""
    try:
        return sheet_total(layout.tree, values["scores"], draft=True)
    except ValidationFailed:
        return None


# --- writes --------------------------------------------------------------------------------------


def _locked_sheet(assignment: Assignment) -> ScoreSheet | None:
    """The assignment's row locked (so one expert's writes to one sheet queue), then its sheet."""
    Assignment.objects.select_for_update().get(pk=assignment.pk)
    return ScoreSheet.objects.filter(assignment=assignment).first()


def _new_sheet(assignment: Assignment) -> ScoreSheet:
    return ScoreSheet(
        assignment=assignment,
        round_id=assignment.round_id,
        expert_id=assignment.expert_id,
        application_id=assignment.application_id,
        row_version=0,
    )


def _store(sheet: ScoreSheet, created: bool) -> None:
    if not created:
        sheet.save()
        return
    try:
        with transaction.atomic():
            sheet.save(force_insert=True)
    except IntegrityError:  # another request of the same expert stored the first draft meanwhile
        raise ConflictError.single(
            "expected_version",
            "score_sheet.stale_version",
            _("评分表已在别处修改，请刷新后再操作（您看到的版本：%(seen)s，当前版本：%(now)s）")
            % {"seen": 0, "now": 1},
        ) from None


def sheet_save(
    *, actor: Actor, assignment: Assignment, data: Mapping[str, Any], expected_version: int | None
) -> ScoreSheet:
    """The expert saves a draft: the whole sheet as sent (a draft may leave scores and comments
    empty; what it gives is checked). `expected_version` is the version they read (0: no sheet yet)."""
    _require_own(actor, assignment)
    review_round = assignment.round
    layout = _require_layout(review_round)
    with transaction.atomic():
        sheet = _locked_sheet(assignment)
        _require_editable(sheet)
        _require_scoring(review_round)
        _require_before_deadline(review_round, timezone.now(), submitting=False)
        _check_version(sheet, expected_version)
        errors = ErrorCollector()
        values = clean_sheet(layout, data, errors)
        apply_computed(layout, computation_for(assignment, layout), values, errors)
        check_sheet(layout, values, errors, draft=True)
        errors.raise_if_any()
        created = sheet is None
        sheet = sheet or _new_sheet(assignment)
        before = snapshot(sheet, CONTENT_FIELDS)
        for name, value in values.items():
            setattr(sheet, name, value)
        changed = sorted(diff(before, snapshot(sheet, CONTENT_FIELDS)))
        old_version = 0 if created else sheet.row_version
        sheet.row_version = old_version + 1
        sheet.status = Status.DRAFT
        _store(sheet, created)
        # which parts changed, not what they say: a draft stays the expert's own
        audit_record(
            actor=actor,
            action="score_sheet.save",
            obj=sheet,
            changes={"row_version": [old_version, sheet.row_version], "parts": [None, changed]},
        )
    return sheet


def sheet_submit(
    *,
    actor: Actor,
    assignment: Assignment,
    expected_version: int | None,
    data: Mapping[str, Any] | None = None,
) -> ScoreSheet:
    """The expert submits the sheet: the stored draft, with what `data` gives in place of it (each
    part present replaces the draft's). Every required leaf scored, a comment per first-level
    indicator and a recommendation; the total is computed here. Refused, nothing is stored."""
    _require_own(actor, assignment)
    review_round = assignment.round
    layout = _require_layout(review_round)
    with transaction.atomic():
        sheet = _locked_sheet(assignment)
        _require_editable(sheet)
        _require_scoring(review_round)
        now = timezone.now()
        _require_before_deadline(review_round, now, submitting=True)
        _check_version(sheet, expected_version)
        stored = {name: getattr(sheet, name) for name in CONTENT_FIELDS} if sheet is not None else {}
        given = {k: v for k, v in (data or {}).items() if k in CONTENT_FIELDS and v is not None}
        errors = ErrorCollector()
        values = clean_sheet(layout, {**stored, **given}, errors)
        # the stored draft's computed values are replaced by today's figures; only what is sent is checked
        apply_computed(layout, computation_for(assignment, layout), values, errors, check="scores" in given)
        check_sheet(
            layout, values, errors, draft=False, recommend=review_round.kind == ReviewRound.Kind.SELECTION
        )
        errors.raise_if_any()
        created = sheet is None
        sheet = sheet or _new_sheet(assignment)
        before = snapshot(sheet, AUDITED_FIELDS)
        for name, value in values.items():
            setattr(sheet, name, value)
        sheet.total = sheet_total(layout.tree, values["scores"])
        sheet.status = Status.SUBMITTED
        sheet.submitted_at = now
        sheet.row_version = (0 if created else sheet.row_version) + 1
        _store(sheet, created)
        after = snapshot(sheet, AUDITED_FIELDS)
        # a submitted sheet is staff's to read, so its values go on record
        audit_record(
            actor=actor,
            action="score_sheet.submit",
            obj=sheet,
            changes={k: [None if k in CONTENT_FIELDS else before.get(k), v] for k, v in after.items()},
        )
    return sheet


def sheet_recuse(*, actor: Actor, assignment: Assignment, reason: str) -> ScoreSheet:
    """The expert recuses themselves (回避) from an application assigned to them, with a reason.

    The sheet is marked recused with the reason (made if there was none; a draft's values are
    discarded), and the conflict is declared (conflicts.conflict_declare), so the application
    disappears from the expert at once. The assignment stays, as the recused sheet's record: the
    reviewers an application has no longer count it, so staff call in a reserve or assign another
    expert by hand. Refused once the sheet is submitted."""
    _require_own(actor, assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single(
            "reason", "score_sheet.recusal_reason_required", _("请写明回避的理由（当前：空）")
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed.single(
            "reason",
            "score_sheet.recusal_reason_too_long",
            _("回避理由最多%(max)d字（当前：%(n)d字）") % {"max": REASON_MAX, "n": len(reason)},
        )
    review_round = assignment.round
    with transaction.atomic():
        sheet = _locked_sheet(assignment)
        _require_editable(sheet)
        _require_scoring(review_round)
        created = sheet is None
        sheet = sheet or _new_sheet(assignment)
        before = snapshot(sheet, ("status", "recusal_reason", "row_version"))
        sheet.scores, sheet.vetoes, sheet.comments = {}, [], {}
        sheet.overall_comment = sheet.recommendation = ""
        sheet.status = Status.RECUSED
        sheet.recusal_reason = reason
        sheet.row_version = (0 if created else sheet.row_version) + 1
        _store(sheet, created)
        audit_record(
            actor=actor,
            action="score_sheet.recuse",
            obj=sheet,
            changes=diff(before, snapshot(sheet, ("status", "recusal_reason", "row_version"))),
        )
        # after the sheet is recused, so the declaration keeps the assignment as its record
        conflicts.conflict_declare(actor=actor, assignment=assignment, reason=reason)
        if review_round.created_by_id:
            notify(
                [review_round.created_by],
                subject=_("专家“%(name)s”申报回避：%(title)s")
                % {"name": assignment.expert.name, "title": assignment.application.title},
                body=_("理由：%(reason)s。请递补候补专家或人工分配。") % {"reason": reason},
                url=reverse("review:round_application", args=[review_round.pk, assignment.application_id]),
                kind="review.recusal",
            )
    return sheet
