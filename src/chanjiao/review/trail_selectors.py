"""The whole-process record of one review round (纪检监察部门全程参与): every audit entry of every
object of the round, in time order, for province staff and the observer.

A round's record is read from the audit log (core.models.AuditEntry), not from the round's tables:
the log keeps who acted, for which organisation, what changed and when, and it keeps removed rows'
last values. Each object the round owns is found by a subquery on its table (a round has
thousands of assignments; no list of ids is read into Python), and one whose row is gone (an
assignment removed by hand, an exclusion withdrawn) by its removal entry, which names the round or
the application it belonged to. The query count does not depend on the round's size.

What the record never shows: the contents of an expert's draft score sheet. Score-sheet entries
are listed only for the steps that make a sheet visible (submitted, recused, reopened), and the
scores, comments and recommendation in them are shown only as they stood after a submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chanjiao.applications import workflow
from chanjiao.applications.models import Application
from chanjiao.core.audit import action_label as core_action_label
from chanjiao.core.errors import ErrorCollector
from chanjiao.core.models import AuditEntry
from chanjiao.core.permissions import Actor
from chanjiao.orgs.models import Organization, User

from .explain import assignment_lines
from .models import (
    Assignment,
    AssignmentRun,
    Availability,
    Conflict,
    Exclusion,
    ExpertProfile,
    Objection,
    Publicity,
    RankingEntry,
    RankingOverride,
    ReviewRound,
    ScoreSheet,
)
from .selectors import round_get_for

# --- which entries belong to a round -----------------------------------------------------------------

ROUND = ReviewRound._meta.label_lower
CONFLICT = Conflict._meta.label_lower
EXCLUSION = Exclusion._meta.label_lower
AVAILABILITY = Availability._meta.label_lower
RUN = AssignmentRun._meta.label_lower
ASSIGNMENT = Assignment._meta.label_lower
SHEET = ScoreSheet._meta.label_lower
OVERRIDE = RankingOverride._meta.label_lower
RANKING = RankingEntry._meta.label_lower
PUBLICITY = Publicity._meta.label_lower
OBJECTION = Objection._meta.label_lower
APPLICATION = Application._meta.label_lower
# The award decision and the project it creates live in the projects app, which imports review and
# never the other way round (ADR 0003): named here by the object_type audit_record gives them.
AWARD = "projects.awarddecision"
PROJECT = "projects.project"

# The kinds of step a reader filters by, in the order of the review.
KINDS: tuple[tuple[str, Any], ...] = (
    ("round", gettext_lazy("轮次设置")),
    ("exclusions", gettext_lazy("申请回避")),
    ("conflicts", gettext_lazy("回避关系")),
    ("availability", gettext_lazy("专家参加情况")),
    ("assignment", gettext_lazy("分配与抽取")),
    ("scoring", gettext_lazy("专家评分")),
    ("panel", gettext_lazy("专家组合议与排名")),
    ("publicity", gettext_lazy("公示与异议")),
    ("applications", gettext_lazy("申报状态")),
    ("award", gettext_lazy("立项决定")),
)
KIND_CODES = tuple(code for code, _label in KINDS)

# Entries written on the round itself that belong to another kind of step.
ROUND_ACTION_KINDS = {
    "review_round.conflicts_compute": "conflicts",
    "review_round.assign": "assignment",
    "review_round.draw": "assignment",
    "review_round.panel_open": "panel",
    "review_round.recommend": "panel",
}
OBJECT_KINDS = {
    ROUND: "round",
    EXCLUSION: "exclusions",
    CONFLICT: "conflicts",
    AVAILABILITY: "availability",
    RUN: "assignment",
    ASSIGNMENT: "assignment",
    SHEET: "scoring",
    OVERRIDE: "panel",
    RANKING: "panel",
    PUBLICITY: "publicity",
    OBJECTION: "publicity",
    APPLICATION: "applications",
    AWARD: "award",
    PROJECT: "award",
}
# The application's own steps from its taking into review to the award decision (workflow.TRANSITIONS).
APPLICATION_STEPS = tuple(
    f"application.{t.action}"
    for t in workflow.TRANSITIONS
    if t.source
    in {
        workflow.Status.ENDORSED,
        workflow.Status.ELIGIBLE,
        workflow.Status.UNDER_REVIEW,
        workflow.Status.RECOMMENDED,
        workflow.Status.PUBLICISED,
    }
    and t.action not in {"withdraw", "return", "declare_eligible", "declare_ineligible"}
)
# The steps of a score sheet the record shows: those after which staff and the observer may read it.
# Saving a draft is none of them, so a draft's scores never reach the record.
SHEET_STEPS = ("submit", "recuse", "reopen")
# What a score sheet holds that is the expert's own until submitted.
SHEET_CONTENT = frozenset(
    {"scores", "vetoes", "comments", "overall_comment", "recommendation", "total", "row_version"}
)


def _text_ids(qs: QuerySet, field_name: str = "pk") -> QuerySet:
    """The ids of `qs` as text, the type of AuditEntry.object_id, for a subquery."""
    return qs.order_by().values(text_id=Cast(field_name, output_field=CharField()))


def _named_in(object_type: str, key: str, ids) -> QuerySet:
    """The object ids of `object_type`'s entries whose changes name one of `ids` (text) under `key`,
    before or after the change: how the entries of a removed row are found, by its removal entry."""
    return (
        AuditEntry.objects.filter(object_type=object_type)
        .annotate(
            named_before=Cast(KT(f"changes__{key}__0"), output_field=CharField()),
            named_after=Cast(KT(f"changes__{key}__1"), output_field=CharField()),
        )
        .filter(Q(named_before__in=ids) | Q(named_after__in=ids))
        .order_by()
        .values("object_id")
    )


def _of(object_type: str, rows: QuerySet, *, removed: QuerySet | None = None) -> Q:
    found = Q(object_id__in=_text_ids(rows))
    if removed is not None:
        found |= Q(object_id__in=removed)
    return Q(object_type=object_type) & found


def _verbs(verbs: Iterable[str]) -> Q:
    q = Q()
    for verb in verbs:
        q |= Q(action__endswith=f".{verb}")
    return q


def _round_actions(kind: str) -> tuple[str, ...]:
    return tuple(action for action, k in ROUND_ACTION_KINDS.items() if k == kind)


def kind_filters(review_round: ReviewRound) -> dict[str, Q]:
    """For each kind of step, the condition on AuditEntry that selects the round's entries of it."""
    rid = [str(review_round.pk)]
    on_round = Q(object_type=ROUND, object_id=rid[0])
    filters = {
        "round": on_round & ~Q(action__in=tuple(ROUND_ACTION_KINDS)),
        "conflicts": _of(CONFLICT, Conflict.objects.filter(round=review_round))
        | (on_round & Q(action__in=_round_actions("conflicts"))),
        "availability": _of(AVAILABILITY, Availability.objects.filter(round=review_round)),
        "assignment": _of(
            ASSIGNMENT,
            Assignment.objects.filter(round=review_round),
            removed=_named_in(ASSIGNMENT, "round_id", rid),
        )
        | _of(RUN, AssignmentRun.objects.filter(round=review_round))
        | (on_round & Q(action__in=_round_actions("assignment"))),
        "scoring": _of(SHEET, ScoreSheet.objects.filter(round=review_round)) & _verbs(SHEET_STEPS),
        "panel": _of(
            OVERRIDE,
            RankingOverride.objects.filter(round=review_round),
            removed=_named_in(OVERRIDE, "round_id", rid),
        )
        | _of(
            RANKING,
            RankingEntry.objects.filter(round=review_round),
            removed=_named_in(RANKING, "round_id", rid),
        )
        | (on_round & Q(action__in=_round_actions("panel"))),
        "publicity": _of(PUBLICITY, Publicity.objects.filter(round=review_round))
        | _of(OBJECTION, Objection.objects.filter(publicity__round=review_round)),
    }
    if review_round.kind == ReviewRound.Kind.SELECTION:
        # a selection round reviews its call's applications of its type: their exclusions, their
        # steps through review, and the province's decision on each
        applications = Application.objects.filter(
            call_id=review_round.call_id, project_type_id=review_round.project_type_id
        )
        app_ids = _text_ids(applications)
        filters["exclusions"] = _of(
            EXCLUSION,
            Exclusion.objects.filter(application__in=applications.values("pk")),
            removed=_named_in(EXCLUSION, "application_id", app_ids),
        )
        filters["applications"] = Q(
            object_type=APPLICATION, object_id__in=app_ids, action__in=APPLICATION_STEPS
        )
        filters["award"] = Q(
            object_type=AWARD,
            object_id__in=_text_ids(applications.filter(award_decision__isnull=False), "award_decision__id"),
        ) | Q(
            object_type=PROJECT,
            object_id__in=_text_ids(applications.filter(project__isnull=False), "project__id"),
        )
    return filters


def trail_filters_check(
    kinds: Iterable[str] | None, since: dt.date | None, until: dt.date | None
) -> list[str]:
    """The kinds asked for, checked with the dates; 422 naming what is wrong and what is allowed."""
    errors = ErrorCollector()
    asked = [k for k in (kinds or []) if k]
    unknown = [k for k in asked if k not in KIND_CODES]
    if unknown:
        errors.add(
            "kind",
            "trail.unknown_kind",
            _("步骤类型无效（当前：%(cur)s；可选：%(allowed)s）")
            % {"cur": "、".join(unknown), "allowed": "、".join(KIND_CODES)},
        )
    if since is not None and until is not None and until < since:
        errors.add(
            "until",
            "trail.dates_reversed",
            _("结束日期应不早于开始日期（当前：开始 %(since)s，结束 %(until)s）")
            % {"since": since.isoformat(), "until": until.isoformat()},
        )
    errors.raise_if_any()
    return asked


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def round_trail(
    actor: Actor,
    review_round: ReviewRound | int,
    kinds: Iterable[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """The audit entries of every object of the round, oldest first (404 outside the actor's scope).

    `kinds` narrows to kinds of step (KINDS); `since` and `until` are days in local time, both
    included. Unknown kinds or reversed dates are refused (422).
    """
    pk = review_round.pk if isinstance(review_round, ReviewRound) else review_round
    review_round = round_get_for(actor=actor, pk=pk)
    asked = trail_filters_check(kinds, since, until)
    filters = kind_filters(review_round)
    condition = Q(pk__in=[])
    for kind in asked or filters:
        if kind in filters:
            condition |= filters[kind]
    qs = AuditEntry.objects.filter(condition)
    if since is not None:
        qs = qs.filter(created_at__gte=_day_start(since))
    if until is not None:
        qs = qs.filter(created_at__lt=_day_start(until + dt.timedelta(days=1)))
    return qs.order_by("created_at", "id")


# --- what an entry says, for people -----------------------------------------------------------------

ACTION_LABELS = {
    "review_round.create": gettext_lazy("设置评审轮次"),
    "review_round.update": gettext_lazy("修改评审轮次设置"),
    "review_round.conflicts_compute": gettext_lazy("按规则计算回避关系"),
    "review_round.assign": gettext_lazy("最优分配"),
    "review_round.draw": gettext_lazy("随机抽取"),
    "review_conflict.waive": gettext_lazy("豁免回避"),
    "review_assignment.add": gettext_lazy("人工分配"),
    "review_assignment.remove": gettext_lazy("移除分配"),
    "review_availability.update": gettext_lazy("设置专家参加情况"),
    "review_exclusion.create": gettext_lazy("申请回避专家"),
    "review_exclusion.revoke": gettext_lazy("撤回回避申请"),
    "score_sheet.submit": gettext_lazy("提交评分表"),
    "score_sheet.recuse": gettext_lazy("专家评分时申报回避"),
    "score_sheet.reopen": gettext_lazy("退回评分表重新评分"),
    "review_round.panel_open": gettext_lazy("开始专家组合议"),
    "ranking_override.create": gettext_lazy("专家组调整排名"),
    "review_round.recommend": gettext_lazy("确定推荐名单"),
    "publicity.create": gettext_lazy("发布公示"),
    "objection.create": gettext_lazy("登记异议"),
    "objection.answer": gettext_lazy("答复异议"),
    "project.create": gettext_lazy("建立立项项目"),
}
# Changes that say nothing a reader needs (the entry's own time, bookkeeping, derived text).
HIDDEN_KEYS = frozenset(
    {"id", "created_at", "updated_at", "categories_text", "industries_text", "details", "row_version"}
)
KEY_LABELS = {
    "run": gettext_lazy("分配记录"),
    "seed": gettext_lazy("随机种子"),
    "assignments": gettext_lazy("分配数（含候补）"),
    "industry_covered": gettext_lazy("配有行业企业专家的申报数"),
    "affinity_total": gettext_lazy("总匹配度"),
    "created": gettext_lazy("新增"),
    "updated": gettext_lazy("依据更新"),
    "removed": gettext_lazy("不再成立而删除"),
    "assignments_removed": gettext_lazy("因回避移除的分配"),
    "total": gettext_lazy("回避关系总数"),
    "why": gettext_lazy("原因"),
    "explanation": gettext_lazy("分配说明"),
    "members": gettext_lazy("成员单位"),
    "note": gettext_lazy("说明"),
    "rank": gettext_lazy("名次"),
    "recommended": gettext_lazy("拟推荐"),
    "not_recommended": gettext_lazy("未获推荐"),
    "applications": gettext_lazy("申报"),
    "quota": gettext_lazy("推荐名额"),
    "parts": gettext_lazy("修改的部分"),
    "draft_sheet": gettext_lazy("评分草稿（随分配删除）"),
    "project": gettext_lazy("项目编号"),
    "application_id": gettext_lazy("申报"),
    "expert_id": gettext_lazy("专家"),
    "round_id": gettext_lazy("评审轮次"),
    "run_id": gettext_lazy("分配记录"),
    "publicity_id": gettext_lazy("公示"),
    "organization_id": gettext_lazy("单位"),
    "missing_sheets": gettext_lazy("截止时未提交评分表"),
    "score": gettext_lazy("得分"),
    "reasons": gettext_lazy("理由"),
}
WHY_LABELS = {"conflict": gettext_lazy("存在回避关系，自动移除")}
# The reasons a reader looks for first: shown in full beside the step.
REASON_KEYS = ("waive_reason", "reason", "recusal_reason", "reasons", "answer")
EXPERT_KEYS = frozenset({"expert_id", "expert"})
APPLICATION_KEYS = frozenset({"application_id", "application"})
# lists of application ids: the recommended list, the publicised applications
APPLICATION_LIST_KEYS = frozenset({"recommended", "not_recommended", "applications"})
USER_KEYS = frozenset(
    {
        "user_id",
        "waived_by_id",
        "created_by_id",
        "decided_by_id",
        "answered_by_id",
        "recorded_by_id",
        "published_by_id",
    }
)
ORGANIZATION_KEYS = frozenset({"organization_id", "employer_id", "applicant_id"})


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def _field(model, name: str):
    if model is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            found = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if getattr(found, "concrete", False):  # not a reverse relation (a round's "assignments")
            return found
    return None


def entry_kind(entry: AuditEntry) -> str:
    if entry.object_type == ROUND:
        return ROUND_ACTION_KINDS.get(entry.action, "round")
    return OBJECT_KINDS.get(entry.object_type, "round")


def kind_label(kind: str) -> str:
    return str(dict(KINDS).get(kind, kind))


def action_label(entry: AuditEntry) -> str:
    action = entry.action
    if action == "review_conflict.create":
        kind = _pair(entry.changes.get("kind"))[1] if isinstance(entry.changes, dict) else None
        return _("专家本人申报回避") if kind == Conflict.Kind.DECLARED else _("管理员认定回避")
    if action == "review_assignment.remove" and _pair((entry.changes or {}).get("why"))[1] == "conflict":
        return _("因回避移除分配")
    if action == "award_decision.create":
        outcome = _pair((entry.changes or {}).get("outcome"))[1]
        outcome_field = _field(_model(AWARD), "outcome")
        label = dict(outcome_field.flatchoices).get(outcome, outcome) if outcome_field else outcome
        return _("立项决定：%(outcome)s") % {"outcome": label or "—"}
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.startswith("application."):
        return _("申报：%(step)s") % {"step": workflow.action_label(action.partition(".")[2])}
    return core_action_label(action)


def _pair(value: Any) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, value


def _is_submission(entry: AuditEntry) -> bool:
    return entry.action.endswith(".submit")


def safe_changes(entry: AuditEntry) -> dict[str, Any]:
    """The entry's changes as the record may show them: a score sheet's contents only as they stood
    after a submission, never a draft's."""
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    if entry.object_type != SHEET:
        return changes
    out = {}
    for key, value in changes.items():
        if key in SHEET_CONTENT:
            if not _is_submission(entry):
                continue
            value = [None, _pair(value)[1]]
        out[key] = value
    return out


def _bucket(key: str) -> str | None:
    """Which kind of name a change's key holds the id of, if any."""
    if key in EXPERT_KEYS:
        return "experts"
    if key in APPLICATION_KEYS:
        return "applications"
    if key in USER_KEYS:
        return "users"
    if key in ORGANIZATION_KEYS:
        return "organizations"
    return None


@dataclass
class Names:
    """The names of the experts, applications, people and organisations a batch of entries refers to."""

    experts: dict[str, str] = field(default_factory=dict)
    applications: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    organizations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, entries: list[AuditEntry]) -> Names:
        wanted: dict[str, set[str]] = {
            "experts": set(),
            "applications": set(),
            "users": set(),
            "organizations": set(),
        }
        for entry in entries:
            for key, value in safe_changes(entry).items():
                bucket = _bucket(key)
                if bucket is None:
                    continue
                for v in _pair(value):
                    if v not in (None, ""):
                        wanted[bucket].add(str(v))
            for key, value in safe_changes(entry).items():
                if key in APPLICATION_LIST_KEYS:
                    for side in _pair(value):
                        if isinstance(side, list):
                            wanted["applications"].update(str(v) for v in side)

        def ints(values: set[str]) -> list[int]:
            return sorted(int(v) for v in values if str(v).isdigit())

        names = cls()
        if wanted["experts"]:
            names.experts = {
                str(pk): display or username
                for pk, display, username in ExpertProfile.objects.filter(
                    pk__in=ints(wanted["experts"])
                ).values_list("pk", "user__display_name", "user__username")
            }
        if wanted["applications"]:
            names.applications = {
                str(pk): f"{title or _('（未命名）')}（{applicant}）"
                for pk, title, applicant in Application.objects.filter(
                    pk__in=ints(wanted["applications"])
                ).values_list("pk", "title", "applicant__name")
            }
        if wanted["organizations"]:
            names.organizations = {
                str(pk): name
                for pk, name in Organization.objects.filter(pk__in=ints(wanted["organizations"])).values_list(
                    "pk", "name"
                )
            }
        if wanted["users"]:
            names.users = {
                str(pk): display or username
                for pk, display, username in User.objects.filter(pk__in=ints(wanted["users"])).values_list(
                    "pk", "display_name", "username"
                )
            }
        return names

    def of(self, key: str, value: Any) -> str | None:
        if key in APPLICATION_LIST_KEYS and isinstance(value, list):
            return "、".join(self.applications.get(str(v), f"#{v}") for v in value) or "—"
        if value in (None, ""):
            return None
        bucket = _bucket(key)
        if bucket is None:
            return None
        table = getattr(self, bucket)
        return table.get(str(value), f"#{value}")


def _moment(value: str) -> str | None:
    if "T" not in value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or not timezone.is_aware(moment):
        return None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def value_text(value: Any, *, model=None, key: str = "", names: Names | None = None) -> str:
    """A value of a change as people read it: names for ids, labels for choices, local times.
    Never shortened: a reason is read in full."""
    if names is not None and (name := names.of(key, value)) is not None:
        return name
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if key == "why":
        return str(WHY_LABELS.get(value, value))
    if key == "explanation" and isinstance(value, dict):
        return "；".join(assignment_lines(value, with_alternatives=False))
    model_field = _field(model, key)
    if model_field is not None and model_field.choices and isinstance(value, str):
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list | tuple):
        return "、".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{value_text(v)}" for k, v in value.items())
    if isinstance(value, str):
        return _moment(value) or value
    return str(value)


def key_label(model, key: str) -> str:
    """The field's own label where the model names it, else the record's word for the key."""
    model_field = _field(model, key)
    if model_field is not None and str(model_field.verbose_name) != model_field.name.replace("_", " "):
        return str(model_field.verbose_name)
    return str(KEY_LABELS.get(key, key))


@dataclass
class TrailItem:
    """One entry of the record, as people read it."""

    entry: AuditEntry
    kind: str
    kind_label: str
    action_label: str
    object_type_label: str
    rows: list[dict[str, Any]]
    reason: str
    changes: dict[str, Any]

    @property
    def run_id(self) -> int | None:
        """The assignment run a solve or a draw made, for a link to it."""
        run = _pair(self.changes.get("run"))[1]
        return int(run) if isinstance(run, int) or (isinstance(run, str) and run.isdigit()) else None


def describe(entries: Iterable[AuditEntry]) -> list[TrailItem]:
    """The entries as people read them; a constant number of queries for the names, whatever the
    number of entries."""
    entries = list(entries)
    names = Names.load(entries)
    items = []
    for entry in entries:
        model = _model(entry.object_type)
        changes = safe_changes(entry)
        rows, reason = [], ""
        for key, value in changes.items():
            if key in HIDDEN_KEYS:
                continue
            before, after = _pair(value)
            if before in (None, "", [], {}) and after in (None, "", [], {}):
                continue  # nothing on either side (a sheet's empty recusal reason): nothing to read
            row = {
                "field": key_label(model, key),
                "name": key,
                "before": value_text(before, model=model, key=key, names=names),
                "after": value_text(after, model=model, key=key, names=names),
                "added": before is None,
                "removed": after is None and before is not None,
            }
            rows.append(row)
            if key in REASON_KEYS and not reason:
                reason = row["after"] if after not in (None, "", []) else row["before"]
                reason = "" if reason == "—" else reason
        kind = entry_kind(entry)
        items.append(
            TrailItem(
                entry=entry,
                kind=kind,
                kind_label=kind_label(kind),
                action_label=action_label(entry),
                object_type_label=object_type_label(entry.object_type),
                rows=rows,
                reason=reason,
                changes=changes,
            )
        )
    return items


def describe_all(qs: QuerySet[AuditEntry], chunk: int = 500) -> Iterator[TrailItem]:
    """Every entry of `qs` described, read and named `chunk` at a time (for the export)."""
    batch: list[AuditEntry] = []
    for entry in qs.iterator(chunk_size=chunk):
        batch.append(entry)
        if len(batch) >= chunk:
            yield from describe(batch)
            batch = []
    if batch:
        yield from describe(batch)


def changes_text(item: TrailItem) -> str:
    lines = []
    for row in item.rows:
        if row["added"]:
            lines.append(f"{row['field']}：{row['after']}")
        else:
            lines.append(f"{row['field']}：{row['before']} → {row['after']}")
    return "\n".join(lines)


TRAIL_EXPORT_LIMIT = 100_000


def trail_headers() -> list[str]:
    return [
        _("时间"),
        _("步骤"),
        _("操作人"),
        _("代表单位"),
        _("操作"),
        _("对象类型"),
        _("对象"),
        _("理由"),
        _("变更内容（前 → 后）"),
        _("来源地址"),
    ]


def trail_rows(qs: QuerySet[AuditEntry]) -> Iterator[list[str]]:
    """The export's rows: every entry of `qs` (at most TRAIL_EXPORT_LIMIT), as the page shows it."""
    for item in describe_all(qs[:TRAIL_EXPORT_LIMIT]):
        e = item.entry
        yield [
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            item.kind_label,
            e.actor_name,
            e.organization_name,
            item.action_label,
            item.object_type_label,
            f"{e.object_repr}（#{e.object_id}）" if e.object_id else e.object_repr,
            item.reason,
            changes_text(item),
            e.ip_address or "",
        ]


def trail_filename(review_round: ReviewRound) -> str:
    return _("%(name)s全过程记录") % {"name": review_round.name} + ".xlsx"


# --- the round's stages -------------------------------------------------------------------------------

# (code, label, the page that shows the stage): a page not built yet is simply not linked.
STAGES: tuple[tuple[str, Any, str], ...] = (
    ("prepare", gettext_lazy("准备"), "review:round_availability"),
    ("assign", gettext_lazy("分配"), "review:round_experts"),
    ("scoring", gettext_lazy("专家评分"), "review:round_sheets"),
    ("panel", gettext_lazy("专家组合议"), "review:panel_ranking"),
    ("recommend", gettext_lazy("推荐名单"), "review:panel_ranking"),
    ("publicity", gettext_lazy("公示"), "review:round_publicity"),
    ("award", gettext_lazy("立项"), "projects:decision_queue"),
)
STATUS_STAGE = {
    ReviewRound.Status.ASSIGNED: "scoring",
    ReviewRound.Status.PANEL: "panel",
    ReviewRound.Status.RECOMMENDED: "recommend",
    ReviewRound.Status.PUBLICISED: "publicity",
    ReviewRound.Status.CLOSED: "award",
}


def current_stage(review_round: ReviewRound) -> str:
    """The round's stage: from its status, and while it is set up, 分配 once its conflicts have been
    computed (the first step of every assignment)."""
    if review_round.status == ReviewRound.Status.SETUP:
        computed = AuditEntry.objects.filter(
            object_type=ROUND, object_id=str(review_round.pk), action="review_round.conflicts_compute"
        ).exists()
        return "assign" if computed else "prepare"
    return STATUS_STAGE.get(review_round.status, "prepare")


def stages(review_round: ReviewRound) -> list[dict[str, Any]]:
    """The stages in order, each with whether it is done, current or still to come."""
    current = current_stage(review_round)
    codes = [code for code, _label, _url in STAGES]
    at = codes.index(current)
    return [
        {"code": code, "label": str(label), "url_name": url_name, "done": i < at, "current": i == at}
        for i, (code, label, url_name) in enumerate(STAGES)
    ]
