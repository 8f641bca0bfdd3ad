"""Conflicts of interest (回避): computed by rules, declared by experts, added or waived by staff.

The rules, for an expert and an application of a round (each found conflict keeps what it found in
`details`, and `describe` turns that into words in the reader's language):

1. employer_is_party: the expert's employer is the applicant, or one of its partners
   (专家所在单位“X”是申报单位“Y”的共建企业);
2. same_group: the employer and the applicant or a partner are one legal person's units or one
   group's members: one is the other's parent (上级单位 / 母公司) or subsidiary, or both belong to
   the same parent (`Organization.parent`, followed to the top);
3. education_group: the employer and the applicant are members of the same vocational education
   group (职业教育集团);
4. exclusion: the applicant asked for the expert to be kept away (申请回避), naming them;
5. named: the expert made or submitted the application, or their name appears in it (contact,
   summary, the type's own fields, partners' contributions, task plans);
6. same_city: the expert is in the applicant's city, when the round asks for it;
and, not computed: declared (the expert's own declaration) and staff (added by province staff).

A conflict keeps the expert away from the application: never assigned, and never shown it. Only
staff may waive one, and only with a reason; an expert's own declaration is not waived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.applications.models import Application, ApplicationVersion, Partner, TaskPlan
from chanjiao.core.audit import audit_record, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, Forbidden, ValidationFailed
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Organization
from chanjiao.policy.contract import PARTNER_ROLES

from .models import Assignment, Conflict, EducationGroupMember, ExpertProfile, ReviewRound, ScoreSheet
from .permissions import require_round_staff
from .selectors import round_applications, round_pool

Kind = Conflict.Kind
APPLICANT = "applicant"
MIN_NAME_LENGTH = 2  # a one-character "name" would match half of any text
WHERE_LABELS = {
    "creator": "申报书的填报人",
    "submitter": "申报书的提交人",
    "contact": "联系人",
    "summary": "建设基础与目标",
    "fields": "项目类型要求的信息",
    "partners": "共建单位的投入与分工",
    "tasks": "建设任务",
}


# --- facts: what the rules read, as plain values --------------------------------------------------


@dataclass(frozen=True)
class OrgFacts:
    id: int
    name: str
    chain: tuple[tuple[int, str], ...]  # the organisation, then its parents up to the top
    city: str  # four digits
    groups: frozenset[int] = frozenset()

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(pk for pk, _name in self.chain)

    @property
    def root(self) -> int:
        return self.chain[-1][0]


@dataclass(frozen=True)
class ExpertFacts:
    id: int  # the profile
    user_id: int
    name: str
    employer: OrgFacts
    city: str
    city_name: str = ""


@dataclass(frozen=True)
class Party:
    org: OrgFacts
    role: str  # APPLICANT or a partner role code


@dataclass(frozen=True)
class AppFacts:
    id: int
    parties: tuple[Party, ...]  # the applicant first
    city: str
    city_name: str = ""
    user_ids: tuple[tuple[str, int], ...] = ()  # (creator | submitter, user id)
    texts: tuple[tuple[str, str], ...] = ()  # (where, text)
    exclusions: tuple[tuple[str, str, str], ...] = ()  # (name, employer name, reason)

    @property
    def applicant(self) -> OrgFacts:
        return self.parties[0].org


@dataclass
class Found:
    application: int
    expert: int
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


# --- the rules ------------------------------------------------------------------------------------


def _role_name(role: str) -> str:
    if role == APPLICANT:
        return "申报单位"
    return dict(PARTNER_ROLES).get(role, role)


def _relation(employer: OrgFacts, other: OrgFacts) -> dict[str, str] | None:
    """How two different organisations of one group are related, or None when they are not."""
    if employer.id == other.id or employer.root != other.root:
        return None
    if other.id in employer.ids:
        return {"relation": "subsidiary"}  # the employer is below the other
    if employer.id in other.ids:
        return {"relation": "parent"}  # the employer is above the other
    other_ids = set(other.ids)
    common = next(name for pk, name in employer.chain if pk in other_ids)
    return {"relation": "sibling", "group": common}


def compute(
    apps: Iterable[AppFacts],
    experts: Iterable[ExpertFacts],
    *,
    group_names: dict[int, str] | None = None,
    same_city: bool = False,
) -> list[Found]:
    """Every computed conflict between the applications and the experts, one per kind and pair.

    Indexed by organisation, group, name and city, so a round of thousands of applications and
    hundreds of experts is not checked pair by pair.
    """
    experts = list(experts)
    group_names = group_names or {}
    by_employer: dict[int, list[ExpertFacts]] = defaultdict(list)
    by_root: dict[int, list[ExpertFacts]] = defaultdict(list)
    by_group: dict[int, list[ExpertFacts]] = defaultdict(list)
    by_name: dict[str, list[ExpertFacts]] = defaultdict(list)
    by_user: dict[int, list[ExpertFacts]] = defaultdict(list)
    by_city: dict[str, list[ExpertFacts]] = defaultdict(list)
    for e in experts:
        by_employer[e.employer.id].append(e)
        by_root[e.employer.root].append(e)
        for g in e.employer.groups:
            by_group[g].append(e)
        if len(e.name) >= MIN_NAME_LENGTH:
            by_name[e.name].append(e)
        by_user[e.user_id].append(e)
        if e.city:
            by_city[e.city].append(e)
    names = list(by_name)
    found: dict[tuple[int, int, str], Found] = {}

    def add(app: AppFacts, e: ExpertFacts, kind: str, item: dict[str, Any]) -> None:
        key = (app.id, e.id, kind)
        row = found.get(key)
        if row is None:
            row = found[key] = Found(app.id, e.id, kind, {"items": []})
        if item not in row.details["items"]:
            row.details["items"].append(item)

    for app in apps:
        applicant = app.applicant
        for party in app.parties:
            for e in by_employer.get(party.org.id, ()):
                add(
                    app,
                    e,
                    Kind.EMPLOYER_IS_PARTY,
                    {
                        "employer": e.employer.name,
                        "role": party.role,
                        "party": party.org.name,
                        "applicant": applicant.name,
                    },
                )
            for e in by_root.get(party.org.root, ()):
                relation = _relation(e.employer, party.org)
                if relation is not None:
                    add(
                        app,
                        e,
                        Kind.SAME_GROUP,
                        {
                            "employer": e.employer.name,
                            "role": party.role,
                            "party": party.org.name,
                            **relation,
                        },
                    )
        for g in applicant.groups:
            for e in by_group.get(g, ()):
                add(
                    app,
                    e,
                    Kind.EDUCATION_GROUP,
                    {
                        "employer": e.employer.name,
                        "applicant": applicant.name,
                        "group": group_names.get(g, str(g)),
                    },
                )
        for name, employer_name, reason in app.exclusions:
            for e in by_name.get(name.strip(), ()):
                wanted = employer_name.strip()
                if wanted and wanted not in e.employer.name and e.employer.name not in wanted:
                    continue
                add(app, e, Kind.EXCLUSION, {"name": name, "employer": employer_name, "reason": reason})
        for where, user_id in app.user_ids:
            for e in by_user.get(user_id, ()):
                add(app, e, Kind.NAMED, {"name": e.name, "where": where})
        if names and app.texts:
            joined = "\n".join(text for _where, text in app.texts)
            for name in names:
                if name in joined:
                    places = [where for where, text in app.texts if name in text]
                    for e in by_name[name]:
                        for where in places:
                            add(app, e, Kind.NAMED, {"name": e.name, "where": where})
        if same_city and app.city:
            for e in by_city.get(app.city, ()):
                add(app, e, Kind.SAME_CITY, {"city": e.city_name or e.city, "applicant": applicant.name})
    return list(found.values())


# --- words ----------------------------------------------------------------------------------------


def _describe_item(kind: str, item: dict[str, Any]) -> str:
    role = _(_role_name(item.get("role", APPLICANT)))
    if kind == Kind.EMPLOYER_IS_PARTY:
        if item.get("role") == APPLICANT:
            return _("专家所在单位“%(employer)s”就是申报单位") % item
        return _("专家所在单位“%(employer)s”是申报单位“%(applicant)s”的%(role)s") % {**item, "role": role}
    if kind == Kind.SAME_GROUP:
        values = {**item, "role": role}
        if item.get("relation") == "subsidiary":
            return _("专家所在单位“%(employer)s”是%(role)s“%(party)s”的下属单位") % values
        if item.get("relation") == "parent":
            return _("专家所在单位“%(employer)s”是%(role)s“%(party)s”的上级单位（母公司）") % values
        return _("专家所在单位“%(employer)s”与%(role)s“%(party)s”同属“%(group)s”") % values
    if kind == Kind.EDUCATION_GROUP:
        return (
            _("专家所在单位“%(employer)s”与申报单位“%(applicant)s”同为职业教育集团“%(group)s”的成员") % item
        )
    if kind == Kind.EXCLUSION:
        who = item["name"] + (f"（{item['employer']}）" if item.get("employer") else "")
        return _("申报单位申请回避专家“%(who)s”，理由：%(reason)s") % {"who": who, "reason": item["reason"]}
    if kind == Kind.NAMED:
        where = item.get("where", "")
        if where in ("creator", "submitter"):
            return _("专家“%(name)s”是%(where)s") % {"name": item["name"], "where": _(WHERE_LABELS[where])}
        return _("专家“%(name)s”的姓名出现在申报书的“%(where)s”中") % {
            "name": item["name"],
            "where": _(WHERE_LABELS.get(where, where)),
        }
    if kind == Kind.SAME_CITY:
        return _("专家所在地“%(city)s”与申报单位“%(applicant)s”在同一城市（本轮同城回避）") % item
    return str(item)


def describe(kind: str, details: dict[str, Any] | None, reason: str = "") -> str:
    """A conflict in words, e.g. 专家所在单位“X”是申报单位“Y”的共建企业."""
    if kind == Kind.DECLARED:
        return _("专家本人申报回避，理由：%(reason)s") % {"reason": reason}
    if kind == Kind.STAFF:
        return _("管理员认定回避，理由：%(reason)s") % {"reason": reason}
    items = (details or {}).get("items", [])
    return "；".join(_describe_item(kind, item) for item in items) or str(Kind(kind).label)


def conflict_text(conflict: Conflict) -> str:
    return describe(conflict.kind, conflict.details, conflict.reason)


# --- reading the facts from the database -----------------------------------------------------------


class OrgIndex:
    """Organisations with their parent chains and education groups, read in a few queries."""

    def __init__(self, province_code: str):
        self.parents: dict[int, tuple[str, int | None, str]] = {}
        self.groups: dict[int, set[int]] = defaultdict(set)
        self.group_names: dict[int, str] = {}
        for member in EducationGroupMember.objects.filter(
            group__province_id=province_code[:2] + "0000"
        ).select_related("group"):
            self.groups[member.organization_id].add(member.group_id)
            self.group_names[member.group_id] = member.group.name
        self.cache: dict[int, OrgFacts] = {}

    def load(self, ids: Iterable[int]) -> None:
        wanted = {pk for pk in ids if pk not in self.parents}
        while wanted:
            rows = Organization.objects.filter(pk__in=wanted).values_list(
                "pk", "name", "parent_id", "region_id"
            )
            wanted = set()
            for pk, name, parent, region in rows:
                self.parents[pk] = (name, parent, region or "")
                if parent and parent not in self.parents:
                    wanted.add(parent)

    def facts(self, pk: int) -> OrgFacts:
        found = self.cache.get(pk)
        if found is not None:
            return found
        chain, seen, node = [], set(), pk
        while node is not None and node not in seen and node in self.parents:
            seen.add(node)
            name, parent, _region = self.parents[node]
            chain.append((node, name))
            node = parent
        name, _parent, region = self.parents[pk]
        found = self.cache[pk] = OrgFacts(
            pk, name, tuple(chain), region[:4], frozenset(self.groups.get(pk, ()))
        )
        return found


def _text_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _text_values(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _text_values(v)]
    return []


def expert_facts(experts: Iterable[ExpertProfile], orgs: OrgIndex) -> list[ExpertFacts]:
    from chanjiao.core.models import Region

    experts = list(experts)
    orgs.load(e.employer_id for e in experts)
    cities = {}
    for e in experts:
        code = (e.region_id or e.employer.region_id or "")[:4]
        cities[e.pk] = code if len(code) == 4 and not code.endswith("00") else ""
    names = dict(
        Region.objects.filter(code__in={c + "00" for c in cities.values() if c}).values_list("code", "name")
    )
    return [
        ExpertFacts(
            id=e.pk,
            user_id=e.user_id,
            name=(e.user.display_name or "").strip(),
            employer=orgs.facts(e.employer_id),
            city=cities[e.pk],
            city_name=names.get(cities[e.pk] + "00", ""),
        )
        for e in experts
    ]


def application_facts(applications: Iterable[Application], orgs: OrgIndex) -> list[AppFacts]:
    from .models import Exclusion

    applications = list(applications)
    ids = [a.pk for a in applications]
    partners: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for app_id, org_id, role, contribution in (
        Partner.objects.filter(application_id__in=ids)
        .values_list("application_id", "organization_id", "role", "contribution")
        .order_by("position", "id")
    ):
        partners[app_id].append((org_id, role, contribution))
    tasks: dict[int, list[str]] = defaultdict(list)
    for app_id, plan in TaskPlan.objects.filter(application_id__in=ids).values_list("application_id", "plan"):
        tasks[app_id].append(plan)
    submitters: dict[int, set[int]] = defaultdict(set)
    for app_id, user_id in ApplicationVersion.objects.filter(application_id__in=ids).values_list(
        "application_id", "submitted_by_id"
    ):
        submitters[app_id].add(user_id)
    exclusions: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for app_id, name, employer, reason in Exclusion.objects.filter(application_id__in=ids).values_list(
        "application_id", "expert_name", "employer_name", "reason"
    ):
        exclusions[app_id].append((name, employer, reason))
    orgs.load(
        [a.applicant_id for a in applications] + [o for rows in partners.values() for o, _r, _c in rows]
    )
    out = []
    for a in applications:
        parties = [Party(orgs.facts(a.applicant_id), APPLICANT)]
        parties += [Party(orgs.facts(org_id), role) for org_id, role, _c in partners.get(a.pk, ())]
        texts = [("contact", a.contact_name or ""), ("summary", a.summary or "")]
        texts.append(("fields", "\n".join(_text_values(a.fields or {}))))
        texts.append(("partners", "\n".join(c for _o, _r, c in partners.get(a.pk, ()) if c)))
        texts.append(("tasks", "\n".join(tasks.get(a.pk, ()))))
        users = [("creator", a.created_by_id)] + [("submitter", u) for u in sorted(submitters.get(a.pk, ()))]
        out.append(
            AppFacts(
                id=a.pk,
                parties=tuple(parties),
                city=(a.city_code or a.applicant.region_id or "")[:4],
                city_name="",
                user_ids=tuple(users),
                texts=tuple((w, t) for w, t in texts if t),
                exclusions=tuple(exclusions.get(a.pk, ())),
            )
        )
    return out


def compute_for_round(
    review_round: ReviewRound,
    *,
    applications: Iterable[Application] | None = None,
    experts: Iterable[ExpertProfile] | None = None,
) -> list[Found]:
    """The computed conflicts of a round (or of some of its applications and experts), unsaved."""
    orgs = OrgIndex(review_round.province_code)
    apps = list(round_applications(review_round) if applications is None else applications)
    pool = list(round_pool(review_round) if experts is None else experts)
    return compute(
        application_facts(apps, orgs),
        expert_facts(pool, orgs),
        group_names=orgs.group_names,
        same_city=review_round.same_city_conflict,
    )


# --- services ------------------------------------------------------------------------------------


def _remove_conflicted_assignments(
    actor: Actor, review_round: ReviewRound, pairs: set[tuple[int, int]] | None
) -> int:
    """Assignments (reserves included) of pairs in unwaived conflict are removed, each with an audit
    entry: of `pairs`, or (None) of every pair of the round, found by the database. One whose score
    sheet is submitted or recused is kept as that sheet's record."""
    from .selectors import unwaived_conflict

    qs = Assignment.objects.filter(round=review_round)
    if pairs is not None:
        if not pairs:
            return 0
        qs = qs.filter(application_id__in={a for a, _e in pairs}, expert_id__in={e for _a, e in pairs})
    removed = 0
    for assignment in qs.filter(unwaived_conflict()).select_related("sheet"):
        if pairs is not None and (assignment.application_id, assignment.expert_id) not in pairs:
            continue
        # A submitted or recused score sheet is a record: its assignment stays (the conflict hides
        # it from the expert all the same). A draft goes with the assignment.
        sheet = getattr(assignment, "sheet", None)
        if sheet is not None and sheet.status != ScoreSheet.Status.DRAFT:
            continue
        audit_record(
            actor=actor,
            action="review_assignment.remove",
            obj=assignment,
            changes={
                **{k: [v, None] for k, v in snapshot(assignment).items()},
                "why": [None, "conflict"],
                **({"draft_sheet": [sheet.pk, None]} if sheet is not None else {}),
            },
        )
        if sheet is not None:
            sheet.delete()
        assignment.delete()
        removed += 1
    return removed


def refresh_conflicts(*, actor: Actor, review_round: ReviewRound) -> dict[str, int]:
    """Recomputes the round's computed conflicts inside the caller's transaction (no permission
    check: the caller has made it). New ones are stored, changed ones updated, those no longer
    found removed unless waived (the waiver stays on record); assignments of pairs now in conflict
    are removed."""
    found = compute_for_round(review_round)
    existing = {
        (app, expert, kind): (pk, details, waived_at)
        for pk, app, expert, kind, details, waived_at in Conflict.objects.filter(
            round=review_round, source=Conflict.Source.COMPUTED
        ).values_list("pk", "application_id", "expert_id", "kind", "details", "waived_at")
    }
    new, changed = [], []
    seen = set()
    for f in found:
        key = (f.application, f.expert, f.kind)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            new.append(
                Conflict(
                    round=review_round,
                    expert_id=f.expert,
                    application_id=f.application,
                    kind=f.kind,
                    source=Conflict.Source.COMPUTED,
                    details=f.details,
                )
            )
        elif row[1] != f.details:
            changed.append(Conflict(pk=row[0], details=f.details))
    stale = [
        pk for key, (pk, _details, waived_at) in existing.items() if key not in seen and waived_at is None
    ]
    Conflict.objects.bulk_create(new, batch_size=1000)
    Conflict.objects.bulk_update(changed, ["details"], batch_size=1000)
    Conflict.objects.filter(pk__in=stale).delete()
    removed = _remove_conflicted_assignments(actor, review_round, None)
    return {
        "created": len(new),
        "updated": len(changed),
        "removed": len(stale),
        "assignments_removed": removed,
    }


def conflicts_compute(*, actor: Actor, review_round: ReviewRound) -> dict[str, int]:
    """Province staff recompute the round's conflicts (the assignment does this itself first)."""
    require_round_staff(actor, review_round)
    _require_open(review_round)
    with transaction.atomic():
        counts = refresh_conflicts(actor=actor, review_round=review_round)
        counts["total"] = Conflict.objects.filter(round=review_round).count()
        audit_record(
            actor=actor,
            action="review_round.conflicts_compute",
            obj=review_round,
            changes={k: [None, v] for k, v in counts.items()},
        )
    return counts


def _require_open(review_round: ReviewRound) -> None:
    if review_round.status == ReviewRound.Status.CLOSED:
        raise ConflictError.single(
            "status",
            "review_round.closed",
            _("评审轮次“%(name)s”已结束，不能再修改") % {"name": review_round.name},
        )


def _reason(errors: ErrorCollector, field_name: str, value: str, code: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors.add(field_name, code, message)
    return value


def _in_round(review_round: ReviewRound, application: Application) -> None:
    if not round_applications(review_round).filter(pk=application.pk).exists():
        raise ValidationFailed.single(
            "application_id",
            "review.application_not_in_round",
            _("申报“%(title)s”不在评审轮次“%(round)s”中（须为该通知、该项目类型且已进入评审的申报）")
            % {"title": application.title or application.pk, "round": review_round.name},
        )


def _in_pool(review_round: ReviewRound, expert: ExpertProfile) -> None:
    if expert.province_id != review_round.province_code + "0000" or not expert.is_active:
        raise ValidationFailed.single(
            "expert_id",
            "review.expert_not_in_pool",
            _("专家“%(name)s”不在本省专家库中或已出库") % {"name": expert.name},
        )


def conflict_add(
    *, actor: Actor, review_round: ReviewRound, expert: ExpertProfile, application: Application, reason: str
) -> Conflict:
    """Province staff keep an expert away from an application, with a reason."""
    require_round_staff(actor, review_round)
    _require_open(review_round)
    errors = ErrorCollector()
    reason = _reason(errors, "reason", reason, "conflict.reason_required", _("请写明认定回避的理由"))
    errors.raise_if_any()
    _in_round(review_round, application)
    _in_pool(review_round, expert)
    return _create(actor, review_round, expert, application, Kind.STAFF, Conflict.Source.STAFF, reason)


def _create(actor, review_round, expert, application, kind, source, reason) -> Conflict:
    with transaction.atomic():
        if Conflict.objects.filter(
            round=review_round, expert=expert, application=application, kind=kind
        ).exists():
            raise ConflictError.single(
                "kind", "conflict.already_recorded", _("该专家与该申报的这一回避关系已有记录")
            )
        conflict = Conflict.objects.create(
            round=review_round,
            expert=expert,
            application=application,
            kind=kind,
            source=source,
            reason=reason,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="review_conflict.create",
            obj=conflict,
            changes={"kind": [None, kind], "reason": [None, reason]},
        )
        _remove_conflicted_assignments(actor, review_round, {(application.pk, expert.pk)})
    return conflict


def conflict_declare(*, actor: Actor, assignment: Assignment, reason: str) -> Conflict:
    """An expert declares a conflict with an application assigned to them; they stop seeing it and
    the assignment is removed, for staff to fill from the reserves or by hand."""
    actor.require(Role.EXPERT)
    if assignment.expert.user_id != actor.user.pk:
        raise Forbidden(_("只能申报本人的回避"))
    _require_open(assignment.round)
    errors = ErrorCollector()
    reason = _reason(errors, "reason", reason, "conflict.reason_required", _("请写明申报回避的理由"))
    errors.raise_if_any()
    return _create(
        actor,
        assignment.round,
        assignment.expert,
        assignment.application,
        Kind.DECLARED,
        Conflict.Source.DECLARED,
        reason,
    )


def conflict_waive(*, actor: Actor, conflict: Conflict, reason: str) -> Conflict:
    """Province staff waive a conflict, with a reason; the observer sees who and why."""
    require_round_staff(actor, conflict.round)
    _require_open(conflict.round)
    errors = ErrorCollector()
    reason = _reason(errors, "reason", reason, "conflict.waive_reason_required", _("豁免回避须写明理由"))
    errors.raise_if_any()
    if conflict.source == Conflict.Source.DECLARED:
        raise ConflictError.single(
            "conflict", "conflict.declared_not_waivable", _("专家本人申报的回避不能豁免")
        )
    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.waived_at is not None:
            raise ConflictError.single("conflict", "conflict.already_waived", _("该回避关系已被豁免"))
        before = snapshot(conflict, ["waived_at", "waived_by_id", "waive_reason"])
        conflict.waived_at = timezone.now()
        conflict.waived_by = actor.user
        conflict.waive_reason = reason
        conflict.save(update_fields=["waived_at", "waived_by", "waive_reason"])
        after = snapshot(conflict, ["waived_at", "waived_by_id", "waive_reason"])
        audit_record(
            actor=actor,
            action="review_conflict.waive",
            obj=conflict,
            changes={k: [before[k], after[k]] for k in after},
        )
    return conflict


def pair_conflicts(
    review_round: ReviewRound, expert: ExpertProfile, application: Application
) -> list[tuple[str, str]]:
    """The unwaived conflicts of one pair, as (kind, words): the stored ones, and whatever the rules
    find now that is not stored as waived (so a hand assignment never outruns a recomputation)."""
    stored = list(Conflict.objects.filter(round=review_round, expert=expert, application=application))
    waived = {c.kind for c in stored if c.waived_at is not None}
    out = [(c.kind, conflict_text(c)) for c in stored if c.waived_at is None]
    kinds = {k for k, _t in out}
    for f in compute_for_round(review_round, applications=[application], experts=[expert]):
        if f.kind not in waived and f.kind not in kinds:
            out.append((f.kind, describe(f.kind, f.details)))
    return out
