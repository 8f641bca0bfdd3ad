"""The rules of a project type: one list that both the project-type page and `evaluate` read.

`rules_for(project_type)` describes each rule for people (what, the requirement, its source);
`evaluate(call=, project_type=, facts=)` judges a submission against the same list and returns
every broken rule at once, each with a stable code and a Chinese message naming the current and the
required value and the source (`合作企业投入不少于总投入的三分之一（当前：30.0%，依据：江苏建设计划 三(二)）`).

Nothing about a plan is written here: the figures, lists and sources all come from the pack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chanjiao.core.errors import FieldError

from .contract import RuleDescription, Source, SubmissionFacts
from .models import DEFAULT_MARK, Call, ProjectType

# --- formatting -------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 30 → 三十 (enough for task numbers and small fractions)."""
    if 0 <= n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + _CN_DIGITS[n - 10]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def share_text(value: Fraction | Decimal) -> str:
    """1/3 → 三分之一; 0.25 → 25.0%."""
    if isinstance(value, Fraction):
        if value.denominator <= 20:
            return f"{cn_number(value.denominator)}分之{cn_number(value.numerator)}"
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{value * 100:.1f}%"


def percent_text(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "0.0%"
    return f"{(part / whole * 100):.1f}%"


def money_text(amount: Decimal) -> str:
    """Yuan with thousands separators, in 万元 when it is a whole number of 万: 3,000万元, 12,345.67元."""
    amount = Decimal(amount)
    if amount and amount % 10000 == 0:
        return f"{int(amount / 10000):,}万元"
    if amount == amount.to_integral_value():
        return f"{int(amount):,}元"
    return f"{amount:,.2f}元"


def task_label(code: str) -> str:
    """Task "3" is written （三） as in the plan; other codes as they are."""
    return f"（{cn_number(int(code))}）" if code.isdigit() else f"（{code}）"


def local_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def basis(source: Source, is_default: bool = False) -> str:
    """依据：江苏建设计划 三(二) — and 平台默认（非官方） where the figure is the platform's."""
    text = _("依据：%(source)s") % {"source": str(source).strip()}
    return f"{text}，{DEFAULT_MARK}" if is_default else text


def _join(names: Iterable[str]) -> str:
    return "、".join(names)


KIND_NAMES = {
    "department": "教育行政部门",
    "school": "学校",
    "enterprise": "企业",
    "association": "行业协会",
    "evaluation_org": "培训评价组织",
    "research": "科研院所",
    "other": "其他单位",
}
SCHOOL_LEVEL_NAMES = {
    "secondary": "中职",
    "associate": "高职专科",
    "vocational_bachelor": "职业本科",
    "applied_bachelor": "应用型本科",
}
DEPT_LEVEL_NAMES = {"province": "省级", "city": "市级", "county": "县级"}

# A required-partner rule's code, by the rule's key in the pack, with its message.
PARTNER_RULES: dict[str, tuple[str, str]] = {
    "enterprise": (
        "partners.enterprise_required",
        gettext_noop("须有至少%(min)d家%(name)s作为共建单位（当前：%(cur)d家，%(basis)s）"),
    ),
    "local_government": (
        "partners.local_government_required",
        gettext_noop("须有%(name)s作为共建单位，至少%(min)d个（当前：%(cur)d个，%(basis)s）"),
    ),
    "industry_association": (
        "partners.industry_association_required",
        gettext_noop("须有至少%(min)d个%(name)s作为合作单位（当前：%(cur)d个，%(basis)s）"),
    ),
    "school": (
        "partners.school_required",
        gettext_noop("须联合至少%(min)d所%(name)s（当前：%(cur)d所，%(basis)s）"),
    ),
    "other": (
        "partners.other_required",
        gettext_noop("须有至少%(min)d个%(name)s作为合作单位（当前：%(cur)d个，%(basis)s）"),
    ),
}

CALL_SOURCE = gettext_noop("申报通知")  # a rule set by the call, not the plan; pages translate it


# --- the rule list ----------------------------------------------------------------------------

Check = Callable[[SubmissionFacts], list[FieldError]]


@dataclass(frozen=True)
class Rule:
    description: RuleDescription
    check: Check | None  # None: described on the page, judged elsewhere (the call's deadline is)


def _src(pt: ProjectType, raw: dict[str, Any] | None) -> Source:
    return pt.source(raw)


def _applicant_rules(pt: ProjectType, cache: dict[str, Any] | None = None) -> list[Rule]:
    """Who may apply, and where: the rules an organisation's own facts decide."""
    rules: list[Rule] = []
    area = pt.pack.content.get("eligible_area") or {}
    if area:
        rules.append(_area_rule(pt, area, {} if cache is None else cache))
    applicants = pt.spec.get("applicants") or {}
    if applicants:
        rules.append(_kind_rule(pt, applicants))
        if applicants.get("school_levels") or applicants.get("dept_levels"):
            rules.append(_level_rule(pt, applicants))
        if applicants.get("independent_required"):
            rules.append(_independent_rule(pt, applicants))
    return rules


def _rules(pt: ProjectType, call: Call | None) -> list[Rule]:
    spec = pt.spec
    applicants = spec.get("applicants") or {}
    rules = _applicant_rules(pt)
    limit_rule = _limit_rule(pt, call)
    if limit_rule is not None:
        rules.append(limit_rule)

    # programmes
    if applicants.get("programme_cluster_required"):
        rules.append(_cluster_rule(pt, applicants))
    rules.append(_programme_code_rule(pt, call))

    # partners
    for partner in spec.get("required_partners", []):
        rules.append(_partner_rule(pt, partner))

    # tasks
    tasks = spec.get("tasks", [])
    if tasks:
        rules.extend(_task_rules(pt, tasks))

    # money
    investment = spec.get("investment") or {}
    if investment.get("min_total"):
        rules.append(_total_rule(pt, investment["min_total"]))
    if investment.get("min_enterprise_share"):
        rules.append(_share_rule(pt, investment["min_enterprise_share"]))
    if investment.get("funding_sources"):
        rules.append(_sources_rule(pt, investment))
    if investment.get("contribution_kinds"):
        rules.append(_kinds_rule(pt, investment))

    # attachments, fields, indicators
    for attachment in spec.get("attachments", []):
        if attachment.get("required"):
            rules.append(_attachment_rule(pt, attachment))
        if attachment.get("signed_by_all_partners"):
            rules.append(_signature_rule(pt, attachment))
    for field in spec.get("fields", []):
        if field.get("required"):
            rules.append(_field_required_rule(pt, field))
        if field.get("must_be") is not None:
            rules.append(_field_value_rule(pt, field))
    required_kpis = [k for k in spec.get("kpis", []) if k.get("required")]
    if required_kpis:
        rules.append(_kpi_rule(pt, required_kpis))
    return rules


def _describe(*, code: str, text: str, source: Source, is_default: bool = False) -> RuleDescription:
    return RuleDescription(code=code, text=text, source=source, is_default=is_default)


def _area_rule(pt: ProjectType, area: dict[str, Any], cache: dict[str, Any]) -> Rule:
    from chanjiao.core.models import PilotZone, region_ancestor_codes

    source = pt.pack.source(area.get("source"))
    zone = None
    if area.get("pilot_zone"):
        key = f"zone:{area['pilot_zone']}"
        if key not in cache:
            cache[key] = PilotZone.objects.filter(code=area["pilot_zone"]).prefetch_related("regions").first()
        zone = cache[key]
    name = area.get("description") or (zone.name if zone else "") or pt.pack.region.name
    text = _("申报单位须位于%(area)s") % {"area": name}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        code = facts.applicant_region_code or ""
        if zone is not None:
            inside = bool(region_ancestor_codes(code) & zone.member_codes()) if code else False
        else:
            # a pilot zone not (yet) loaded: the pack's own region still bounds who may apply
            inside = code.startswith(_prefix(area.get("region") or pt.pack.region_id))
        if inside:
            return []
        return [
            FieldError(
                "applicant",
                "applicant.region_not_eligible",
                _("申报单位须位于%(area)s（当前所在地区代码：%(cur)s，%(basis)s）")
                % {"area": name, "cur": code or "—", "basis": basis(source)},
            )
        ]

    return Rule(_describe(code="applicant.region_not_eligible", text=text, source=source), check)


def _prefix(region_code: str) -> str:
    code = region_code
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _kind_rule(pt: ProjectType, applicants: dict[str, Any]) -> Rule:
    source = _src(pt, applicants.get("source"))
    is_default = bool(applicants.get("default"))
    kinds = applicants.get("kinds", [])
    allowed = _join(KIND_NAMES.get(k, k) for k in kinds)
    text = _("申报单位类型：%(allowed)s") % {"allowed": allowed}
    if applicants.get("description"):
        text += f"。{applicants['description']}"

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if facts.applicant_kind in kinds:
            return []
        return [
            FieldError(
                "applicant",
                "applicant.kind_not_eligible",
                _("本项目由%(allowed)s申报（当前：%(cur)s，%(basis)s）")
                % {
                    "allowed": allowed,
                    "cur": KIND_NAMES.get(facts.applicant_kind, facts.applicant_kind or "—"),
                    "basis": basis(source, is_default),
                },
            )
        ]

    return Rule(
        _describe(code="applicant.kind_not_eligible", text=text, source=source, is_default=is_default), check
    )


def _dept_level(facts: SubmissionFacts) -> str:
    if facts.applicant_dept_level:
        return facts.applicant_dept_level
    from chanjiao.orgs.models import Organization

    return (
        Organization.objects.filter(pk=facts.applicant_id).values_list("dept_level", flat=True).first() or ""
    )


def _level_rule(pt: ProjectType, applicants: dict[str, Any]) -> Rule:
    source = _src(pt, applicants.get("source"))
    is_default = bool(applicants.get("default"))
    school_levels = applicants.get("school_levels", [])
    dept_levels = applicants.get("dept_levels", [])
    parts = []
    if school_levels:
        parts.append(_("学校限%(levels)s") % {"levels": _join(SCHOOL_LEVEL_NAMES[v] for v in school_levels)})
    if dept_levels:
        parts.append(
            _("教育行政部门限%(levels)s") % {"levels": _join(DEPT_LEVEL_NAMES[v] for v in dept_levels)}
        )
    text = _("申报单位层次：%(levels)s") % {"levels": "；".join(parts)}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if facts.applicant_kind == "school" and school_levels:
            level = facts.applicant_school_level
            if level not in school_levels:
                return [
                    FieldError(
                        "applicant",
                        "applicant.level_not_eligible",
                        _("办学层次不符：本项目限%(allowed)s申报（当前：%(cur)s，%(basis)s）")
                        % {
                            "allowed": _join(SCHOOL_LEVEL_NAMES[v] for v in school_levels),
                            "cur": SCHOOL_LEVEL_NAMES.get(level, level or "未填写"),
                            "basis": basis(source, is_default),
                        },
                    )
                ]
        if facts.applicant_kind == "department" and dept_levels:
            level = _dept_level(facts)
            if level not in dept_levels:
                return [
                    FieldError(
                        "applicant",
                        "applicant.level_not_eligible",
                        _("行政层级不符：本项目限%(allowed)s教育行政部门申报（当前：%(cur)s，%(basis)s）")
                        % {
                            "allowed": _join(DEPT_LEVEL_NAMES[v] for v in dept_levels),
                            "cur": DEPT_LEVEL_NAMES.get(level, level or "未填写"),
                            "basis": basis(source, is_default),
                        },
                    )
                ]
        return []

    return Rule(
        _describe(code="applicant.level_not_eligible", text=text, source=source, is_default=is_default), check
    )


def _independent_rule(pt: ProjectType, applicants: dict[str, Any]) -> Rule:
    source = _src(pt, applicants.get("source"))
    text = _("申报学校须为独立设置的院校")

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if facts.applicant_is_independent:
            return []
        return [
            FieldError(
                "applicant",
                "applicant.not_independent",
                _("本项目限独立设置的院校申报（当前：非独立设置，%(basis)s）") % {"basis": basis(source)},
            )
        ]

    return Rule(_describe(code="applicant.not_independent", text=text, source=source), check)


def _limit_rule(pt: ProjectType, call: Call | None) -> Rule | None:
    raw = pt.spec.get("limit_per_applicant") or {}
    pack_limit = raw.get("value")
    limit = call.limit_per_applicant if call is not None else pack_limit
    if limit is None:
        return None
    if call is not None and pack_limit != call.limit_per_applicant:
        source, is_default = Source(CALL_SOURCE, call.title), False
    else:
        source, is_default = _src(pt, raw.get("source")), bool(raw.get("default"))
    text = _("每个申报单位在同一申报通知中限报%(n)d个") % {"n": limit}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if facts.other_applications_in_call < limit:
            return []
        return [
            FieldError(
                "applicant",
                "applicant.limit_per_call",
                _("每个申报单位限报%(n)d个（当前：本单位在本通知中已有%(cur)d个申报，%(basis)s）")
                % {"n": limit, "cur": facts.other_applications_in_call, "basis": basis(source, is_default)},
            )
        ]

    return Rule(
        _describe(code="applicant.limit_per_call", text=text, source=source, is_default=is_default), check
    )


def _cluster_rule(pt: ProjectType, applicants: dict[str, Any]) -> Rule:
    source = _src(pt, applicants.get("source"))
    text = _("须有符合条件的专业群为依托（列出专业群所含专业的代码）")

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if facts.programme_codes:
            return []
        return [
            FieldError(
                "programmes",
                "programme.cluster_required",
                _("须有符合条件的专业群为依托，请列出专业群所含专业（当前：未填写专业，%(basis)s）")
                % {"basis": basis(source)},
            )
        ]

    return Rule(_describe(code="programme.cluster_required", text=text, source=source), check)


def _edition(call: Call | None):
    from chanjiao.catalog.models import CatalogueEdition

    if call is not None and call.catalogue_edition_id:
        return call.catalogue_edition
    return CatalogueEdition.objects.filter(is_current=True).first()


def _programme_code_rule(pt: ProjectType, call: Call | None) -> Rule:
    edition = _edition(call)
    edition_name = edition.name if edition is not None else _("现行专业目录")
    source = Source(CALL_SOURCE, _("专业目录版本"))
    text = _("所填专业代码须在%(edition)s中") % {"edition": edition_name}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        from chanjiao.catalog.models import Programme

        codes = [c for c in dict.fromkeys(facts.programme_codes) if c]
        if not codes:
            return []
        if edition is None:
            known: set[str] = set()
        else:
            known = set(
                Programme.objects.filter(edition=edition, code__in=codes).values_list("code", flat=True)
            )
        return [
            FieldError(
                "programmes",
                "programme.unknown_code",
                _("专业代码 %(code)s 不在%(edition)s中（%(basis)s）")
                % {"code": code, "edition": edition_name, "basis": basis(source)},
            )
            for code in codes
            if code not in known
        ]

    return Rule(_describe(code="programme.unknown_code", text=text, source=source), check)


def _partner_rule(pt: ProjectType, partner: dict[str, Any]) -> Rule:
    source = _src(pt, partner.get("source"))
    is_default = bool(partner.get("default"))
    code, template = PARTNER_RULES[partner["key"]]
    minimum = int(partner.get("min", 1))
    kinds = partner.get("kinds") or []
    text = _("须有%(name)s作为共建（合作）单位，至少%(min)d个") % {"name": partner["name"], "min": minimum}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        count = sum(
            1
            for _id, role, kind in facts.partners
            if role == partner["role"] and (not kinds or kind in kinds)
        )
        if count >= minimum:
            return []
        message = _(template) % {
            "name": partner["name"],
            "min": minimum,
            "cur": count,
            "basis": basis(source, is_default),
        }
        return [FieldError("partners", code, message)]

    return Rule(_describe(code=code, text=text, source=source, is_default=is_default), check)


def _task_rules(pt: ProjectType, tasks: list[dict[str, Any]]) -> list[Rule]:
    source = _src(pt, pt.spec.get("tasks_source"))
    mandatory = [t for t in tasks if t.get("mandatory")]
    known = {str(t["code"]) for t in tasks}
    rules = []
    if mandatory:
        labels = _join(f"{task_label(str(t['code']))}{t['title']}" for t in mandatory)
        text = _("必选任务须全部承担：%(tasks)s") % {"tasks": labels}

        def check_mandatory(facts: SubmissionFacts) -> list[FieldError]:
            chosen = {str(c) for c in facts.task_codes}
            return [
                FieldError(
                    "tasks",
                    "tasks.mandatory_missing",
                    _("缺少必选任务%(task)s%(title)s（%(basis)s）")
                    % {"task": task_label(str(t["code"])), "title": t["title"], "basis": basis(source)},
                )
                for t in mandatory
                if str(t["code"]) not in chosen
            ]

        rules.append(
            Rule(_describe(code="tasks.mandatory_missing", text=text, source=source), check_mandatory)
        )
    optional = [t for t in tasks if not t.get("mandatory")]
    listed = _join(f"{task_label(str(t['code']))}{t['title']}" for t in optional) or "—"
    text = _("任务须为计划所列任务；可选任务：%(tasks)s") % {"tasks": listed}

    def check_unknown(facts: SubmissionFacts) -> list[FieldError]:
        return [
            FieldError(
                "tasks",
                "tasks.unknown",
                _("任务 %(code)s 不是本项目类型的建设任务（应为：%(ok)s）")
                % {"code": code, "ok": _join(sorted(known, key=_task_sort))},
            )
            for code in dict.fromkeys(str(c) for c in facts.task_codes)
            if code not in known
        ]

    rules.append(Rule(_describe(code="tasks.unknown", text=text, source=source), check_unknown))
    return rules


def _task_sort(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (10**6, code)


def _total_rule(pt: ProjectType, raw: dict[str, Any]) -> Rule:
    source = _src(pt, raw.get("source"))
    is_default = bool(raw.get("default"))
    minimum = Decimal(str(raw["amount"]))
    text = _("建设资金总投入不得低于%(min)s") % {"min": money_text(minimum)}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        total = facts.budget_total
        if total >= minimum:
            return []
        return [
            FieldError(
                "budget.total",
                "budget.total_below_minimum",
                _("建设资金总投入不得低于%(min)s（当前：%(cur)s，%(basis)s）")
                % {"min": money_text(minimum), "cur": money_text(total), "basis": basis(source, is_default)},
            )
        ]

    return Rule(
        _describe(code="budget.total_below_minimum", text=text, source=source, is_default=is_default), check
    )


def _share_rule(pt: ProjectType, raw: dict[str, Any]) -> Rule:
    source = _src(pt, raw.get("source"))
    is_default = bool(raw.get("default"))
    minimum = pt.min_enterprise_share
    required = share_text(minimum)
    text = _("合作企业投入不少于总投入的%(min)s") % {"min": required}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        total, enterprise = facts.budget_total, facts.enterprise_total
        share = Fraction(enterprise) / Fraction(total) if total else Fraction(0)
        if total and share >= Fraction(minimum):
            return []
        return [
            FieldError(
                "budget.enterprise_share",
                "budget.enterprise_share_below_minimum",
                _("合作企业投入不少于总投入的%(min)s（当前：%(cur)s，%(basis)s）")
                % {
                    "min": required,
                    "cur": percent_text(enterprise, total),
                    "basis": basis(source, is_default),
                },
            )
        ]

    return Rule(
        _describe(
            code="budget.enterprise_share_below_minimum", text=text, source=source, is_default=is_default
        ),
        check,
    )


def _sources_rule(pt: ProjectType, investment: dict[str, Any]) -> Rule:
    pairs = pt.funding_sources()
    allowed = {code for code, _name in pairs}
    source = _src(pt, investment.get("source") or investment["funding_sources"][0].get("source"))
    names = _join(name for _code, name in pairs)
    text = _("资金来源：%(names)s") % {"names": names}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        return [
            FieldError(
                f"budget.sources.{code}",
                "budget.unknown_source",
                _("资金来源“%(cur)s”不是本项目的资金来源（应为：%(ok)s，%(basis)s）")
                % {"cur": code, "ok": names, "basis": basis(source)},
            )
            for code, amount in facts.budget_by_source.items()
            if code not in allowed and amount
        ]

    return Rule(_describe(code="budget.unknown_source", text=text, source=source), check)


def _kinds_rule(pt: ProjectType, investment: dict[str, Any]) -> Rule:
    pairs = pt.contribution_kinds()
    allowed = {code for code, _name in pairs}
    source = _src(pt, investment["contribution_kinds"][0].get("source"))
    names = _join(name for _code, name in pairs)
    text = _("利益相关方可以%(names)s等要素参与平台建设") % {"names": names}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        return [
            FieldError(
                f"budget.kinds.{code}",
                "budget.unknown_kind",
                _("投入要素“%(cur)s”不是本项目允许的要素（应为：%(ok)s，%(basis)s）")
                % {"cur": code, "ok": names, "basis": basis(source)},
            )
            for code, amount in facts.budget_by_kind.items()
            if code not in allowed and amount
        ]

    return Rule(_describe(code="budget.unknown_kind", text=text, source=source), check)


def _attachment_rule(pt: ProjectType, attachment: dict[str, Any]) -> Rule:
    source = _src(pt, attachment.get("source"))
    is_default = bool(attachment.get("default"))
    contents = attachment.get("contents") or []
    text = _("须提交%(name)s") % {"name": attachment["name"]}
    if contents:
        text += _("，内容包括%(contents)s") % {"contents": _join(contents)}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if attachment["code"] in facts.attachment_codes:
            return []
        return [
            FieldError(
                f"attachments.{attachment['code']}",
                "attachments.required_missing",
                _("缺少附件：%(name)s（%(basis)s）")
                % {"name": attachment["name"], "basis": basis(source, is_default)},
            )
        ]

    return Rule(
        _describe(code="attachments.required_missing", text=text, source=source, is_default=is_default), check
    )


def _signature_rule(pt: ProjectType, attachment: dict[str, Any]) -> Rule:
    source = _src(pt, attachment.get("source"))
    text = _("%(name)s须由申报单位和全部共建单位签署") % {"name": attachment["name"]}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if attachment["code"] not in facts.attachment_codes:
            return []  # missing altogether: attachments.required_missing says so
        parties = [facts.applicant_id, *(pid for pid, _role, _kind in facts.partners)]
        signed = set(facts.signed_by.get(attachment["code"], ()))
        unsigned = [pid for pid in dict.fromkeys(parties) if pid not in signed]
        if not unsigned:
            return []
        from chanjiao.orgs.models import Organization

        names = dict(Organization.objects.filter(pk__in=unsigned).values_list("pk", "name"))
        return [
            FieldError(
                f"attachments.{attachment['code']}",
                "attachments.not_signed_by_all_partners",
                _("%(name)s须由全部共建单位签署（未签署：%(cur)s，%(basis)s）")
                % {
                    "name": attachment["name"],
                    "cur": _join(names.get(pid, str(pid)) for pid in unsigned),
                    "basis": basis(source),
                },
            )
        ]

    return Rule(_describe(code="attachments.not_signed_by_all_partners", text=text, source=source), check)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _field_required_rule(pt: ProjectType, field: dict[str, Any]) -> Rule:
    source = _src(pt, field.get("source")) if field.get("source") else _src(pt, None)
    is_default = bool(field.get("default"))
    text = _("须填写：%(label)s") % {"label": field["label"]}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        if not _is_blank(facts.fields.get(field["code"])):
            return []
        return [
            FieldError(
                f"fields.{field['code']}",
                "fields.required",
                _("请填写：%(label)s（%(basis)s）")
                % {"label": field["label"], "basis": basis(source, is_default)},
            )
        ]

    return Rule(_describe(code="fields.required", text=text, source=source, is_default=is_default), check)


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "1", "yes", "是", "on"}:
            return True
        if text in {"false", "0", "no", "否", "off", ""}:
            return False
    return None if value is None else bool(value)


def _field_value_rule(pt: ProjectType, field: dict[str, Any]) -> Rule:
    source = _src(pt, field.get("source")) if field.get("source") else _src(pt, None)
    wanted = bool(field["must_be"])
    text = (_("须满足：%(label)s") if wanted else _("须不属于：%(label)s")) % {"label": field["label"]}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        value = _truthy(facts.fields.get(field["code"]))
        if value is None or value == wanted:
            return []  # unanswered: fields.required says so
        return [
            FieldError(
                f"fields.{field['code']}",
                "fields.condition_not_met",
                _("本项目要求“%(label)s”为“%(ok)s”（当前：%(cur)s，%(basis)s）")
                % {
                    "label": field["label"],
                    "ok": "是" if wanted else "否",
                    "cur": "是" if value else "否",
                    "basis": basis(source),
                },
            )
        ]

    return Rule(_describe(code="fields.condition_not_met", text=text, source=source), check)


def _kpi_rule(pt: ProjectType, kpis: list[dict[str, Any]]) -> Rule:
    source = _src(pt, kpis[0].get("source"))
    text = _("须填报计划所列的建设成效指标：%(names)s") % {"names": _join(k["name"] for k in kpis)}

    def check(facts: SubmissionFacts) -> list[FieldError]:
        given = set(facts.kpi_codes)
        return [
            FieldError(
                f"kpis.{k['code']}",
                "kpis.required_missing",
                _("缺少建设成效指标：%(name)s（%(basis)s）")
                % {"name": k["name"], "basis": basis(_src(pt, k.get("source")))},
            )
            for k in kpis
            if k["code"] not in given
        ]

    return Rule(_describe(code="kpis.required_missing", text=text, source=source), check)


def organisation_facts(organization) -> SubmissionFacts:
    """What an organisation's own record says, as the facts of an empty submission."""
    return SubmissionFacts(
        applicant_id=organization.pk,
        applicant_kind=organization.kind,
        applicant_school_level=organization.school_level or "",
        applicant_is_independent=organization.is_independent,
        applicant_region_code=organization.region_id or "",
        partners=(),
        programme_codes=(),
        task_codes=(),
        budget_by_source={},
        budget_by_kind={},
        attachment_codes=(),
        applicant_dept_level=organization.dept_level or "",
    )


def applicant_errors(
    project_type: ProjectType, organization, cache: dict[str, Any] | None = None
) -> list[FieldError]:
    """Why an organisation may not apply for a project type (where, kind, level, independence)."""
    facts = organisation_facts(organization)
    return [e for rule in _applicant_rules(project_type, cache) if rule.check for e in rule.check(facts)]


def may_apply(project_type: ProjectType, organization, cache: dict[str, Any] | None = None) -> bool:
    return not applicant_errors(project_type, organization, cache)


# --- the call's own rule ------------------------------------------------------------------------


def _call_errors(call: Call, facts: SubmissionFacts) -> list[FieldError]:
    now = facts.now or timezone.now()
    if call.status != Call.Status.PUBLISHED or now < call.opens_at:
        return [
            FieldError(
                "call",
                "call.not_open",
                _("申报尚未开始（开始时间：%(opens)s，当前：%(now)s，北京时间）")
                % {"opens": local_time(call.opens_at), "now": local_time(now)},
            )
        ]
    deadline = call.deadline_for(facts.applicant_id)
    if now >= deadline:
        return [
            FieldError(
                "call",
                "call.closed",
                _("申报已截止（截止时间：%(deadline)s，当前：%(now)s，北京时间；以服务器时间为准）")
                % {"deadline": local_time(deadline), "now": local_time(now)},
            )
        ]
    return []


def _call_description(call: Call | None) -> RuleDescription:
    if call is None:
        text = _("须在申报通知规定的截止时间前提交（以服务器时间为准；获准延期的单位以延期后的时间为准）")
        return _describe(code="call.closed", text=text, source=Source(CALL_SOURCE, _("截止时间")))
    text = _("须在%(deadline)s（北京时间）前提交（以服务器时间为准；获准延期的单位以延期后的时间为准）") % {
        "deadline": local_time(call.closes_at)
    }
    return _describe(code="call.closed", text=text, source=Source(CALL_SOURCE, call.title))


# --- the two entry points -------------------------------------------------------------------------


def rules_for(project_type: ProjectType, call: Call | None = None) -> list[RuleDescription]:
    """Every rule of the project type as people read it, in the order `evaluate` checks them."""
    return [_call_description(call)] + [rule.description for rule in _rules(project_type, call)]


def evaluate(*, call: Call, project_type: ProjectType, facts: SubmissionFacts) -> list[FieldError]:
    """Every rule the submission breaks, all at once (an empty list when it satisfies them all)."""
    errors = _call_errors(call, facts)
    for rule in _rules(project_type, call):
        if rule.check is not None:
            errors.extend(rule.check(facts))
    return errors
