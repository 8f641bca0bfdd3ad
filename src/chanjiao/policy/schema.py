"""The schema of a policy pack: a plan as data, checked on load.

A pack file is YAML. `validate_pack_text` parses it and returns the validated document, or every
problem found, each with its path in the file (`project_types[3].investment.min_total.amount`), the
line it is on, and a Chinese message (`应为金额`). Nothing is half-loaded: a pack with one problem is
refused whole.

Two passes: the first checks shapes and types (pydantic, unknown keys refused); when the shapes are
right the second checks what spans the document (codes unique, references resolve, weights add up).

Conventions of the file:
- money is a decimal in yuan, written as a string or an integer (`"30000000.00"`, `30000000`);
- a share is a fraction or a decimal (`"1/3"`, `"0.25"`);
- every item that carries a rule has `source: {section: "三(二)"}`; the plan is the pack's own;
- a figure the plan does not give and the platform sets carries `default: true` and is shown
  as 平台默认（非官方）.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from .contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

SCHEMA_VERSION = 1

ORG_KINDS = ("department", "school", "enterprise", "association", "evaluation_org", "research", "other")
SCHOOL_LEVELS = ("secondary", "associate", "vocational_bachelor", "applied_bachelor")
DEPT_LEVELS = ("province", "city", "county")
FUNDING_CODES = tuple(code for code, _name in FUNDING_SOURCES)
CONTRIBUTION_CODES = tuple(code for code, _name in CONTRIBUTION_KINDS)
PARTNER_ROLE_CODES = tuple(code for code, _name in PARTNER_ROLES)
# What a required-partner rule is called; its error code is partners.<key>_required.
PARTNER_KEYS = ("enterprise", "local_government", "industry_association", "school", "other")
FIELD_TYPES = ("text", "integer", "decimal", "choice", "boolean", "date")
CADENCES = ("yearly", "half_yearly", "quarterly", "monthly")
OUTCOMES = ("reward", "reduced_support", "terminated")


@dataclass(frozen=True)
class PackError:
    """One problem of a pack file: where (path, line) and what, in Chinese."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if not self.path:  # a syntax error names its line in the message
            return self.message
        line = f"（第{self.line}行）" if self.line else ""
        return f"{self.path}: {self.message}{line}"


class PackInvalid(Exception):
    """A pack refused: every problem found, in file order."""

    def __init__(self, errors: list[PackError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- value types -----------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        # a float in YAML (30000000.5) may already have lost a fen; money is written exactly
        raise PydanticCustomError("money", '应为金额（以元为单位的十进制数，写作字符串，如 "30000000.00"）')
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise PydanticCustomError(
            "money", '应为金额（以元为单位的十进制数，写作字符串，如 "30000000.00"）'
        ) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise PydanticCustomError("money", "应为金额（不小于0，最多两位小数）")
    return amount.quantize(Decimal("0.01"))


def _share(value: Any) -> str:
    if isinstance(value, bool):
        raise PydanticCustomError("share", '应为比例（分数或小数，如 "1/3" 或 "0.25"）')
    text = str(value).strip()
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise PydanticCustomError("share", '应为比例（分数或小数，如 "1/3" 或 "0.25"）') from None
    if not 0 < number <= 1:
        raise PydanticCustomError("share", "比例应大于0且不大于1（当前：{value}）", {"value": text})
    return text


def _code(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("code", "应为代码（字母、数字、连字符、下划线或点）")
    text = str(value)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", text):
        raise PydanticCustomError(
            "code", "应为代码（字母、数字、连字符、下划线或点，最多64个字符；当前：{value}）", {"value": text}
        )
    return text


def _version(value: Any) -> str:
    # 2019.10 written without quotes is the float 2019.1: only integers and strings are versions
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise PydanticCustomError("version", '应为版本号，写作字符串，如 "2019.1"')
    return str(value).strip()


def _region(value: Any) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{6}", text):
        raise PydanticCustomError("region", '应为6位行政区划代码，如 "320000"')
    return text


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PydanticCustomError(
            "number", '应为数值（整数、小数或分数，写作字符串，如 "30000000" 或 "1/3"）'
        )
    text = str(value).replace(",", "").strip()
    try:
        Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise PydanticCustomError("number", "应为数值（当前：{value}）", {"value": text}) from None
    return text


Money = Annotated[Decimal, BeforeValidator(_money)]
Share = Annotated[str, BeforeValidator(_share)]
Number = Annotated[str, BeforeValidator(_number)]
Code = Annotated[str, BeforeValidator(_code)]
RegionCode = Annotated[str, BeforeValidator(_region)]
Text = Annotated[str, Field(min_length=1)]
Score = Annotated[Decimal, Field(ge=0, le=1000)]


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SourceRef(Doc):
    section: Text = Field(max_length=64)


class Item(Doc):
    """An entry of a list: a name, optionally a code and a note."""

    code: Code | None = None
    name: Text
    note: str = ""


def _item(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


ListItem = Annotated[Item, BeforeValidator(_item)]


class NamedList(Doc):
    """A list the plan gives (content areas, incentives, functions, …), as data with its source."""

    code: Code
    name: Text
    items: list[ListItem] = Field(min_length=1)
    source: SourceRef
    default: bool = False


class Target(Doc):
    count: int = Field(ge=1)
    approximate: bool = False
    unit: str = "个"
    source: SourceRef
    default: bool = False


class Applicants(Doc):
    kinds: list[Literal[ORG_KINDS]] = Field(min_length=1)  # type: ignore[valid-type]
    school_levels: list[Literal[SCHOOL_LEVELS]] = []  # type: ignore[valid-type]
    dept_levels: list[Literal[DEPT_LEVELS]] = []  # type: ignore[valid-type]
    independent_required: bool = False
    programme_cluster_required: bool = False
    description: str = ""
    source: SourceRef
    default: bool = False


class RequiredPartner(Doc):
    key: Literal[PARTNER_KEYS]  # type: ignore[valid-type]
    role: Literal[PARTNER_ROLE_CODES]  # type: ignore[valid-type]
    kinds: list[Literal[ORG_KINDS]] = []  # type: ignore[valid-type]
    min: int = Field(1, ge=1)
    name: Text
    source: SourceRef
    default: bool = False


class IntRule(Doc):
    value: int = Field(ge=1)
    source: SourceRef
    default: bool = False


class MoneyRule(Doc):
    amount: Money
    source: SourceRef
    default: bool = False


class ShareRule(Doc):
    value: Share
    approximate: bool = False
    source: SourceRef
    default: bool = False


class FundingSource(Doc):
    code: Literal[FUNDING_CODES]  # type: ignore[valid-type]
    name: str = ""
    source: SourceRef


class ContributionKind(Doc):
    code: Literal[CONTRIBUTION_CODES]  # type: ignore[valid-type]
    name: str = ""
    source: SourceRef


class Investment(Doc):
    min_total: MoneyRule | None = None
    min_enterprise_share: ShareRule | None = None
    funding_sources: list[FundingSource] = []
    contribution_kinds: list[ContributionKind] = []
    provincial_support: str = ""
    source: SourceRef | None = None


class Task(Doc):
    code: Code
    title: Text
    mandatory: bool
    summary: str = ""
    source: SourceRef


class Choice(Doc):
    code: Code
    name: Text


class FieldDef(Doc):
    code: Code
    label: Text
    type: Literal[FIELD_TYPES]  # type: ignore[valid-type]
    required: bool
    must_be: bool | None = None  # a boolean field the applicant must answer with this value
    choices: list[Choice] = []
    help: str = ""
    source: SourceRef | None = None
    default: bool = False


class AttachmentDef(Doc):
    code: Code
    name: Text
    required: bool
    signed_by_all_partners: bool = False
    contents: list[Text] = []
    source: SourceRef
    default: bool = False


class Kpi(Doc):
    code: Code
    name: Text
    unit: Text
    frequency: Literal["yearly", "once", "construction_period"] = "construction_period"
    min_per_year: int | None = Field(None, ge=1)
    target: str = ""
    required: bool = False
    source: SourceRef
    default: bool = False


class Construction(Doc):
    years: int = Field(ge=1, le=10)
    source: SourceRef


class Cadence(Doc):
    value: Literal[CADENCES]  # type: ignore[valid-type]
    source: SourceRef
    default: bool = False


class Review(Doc):
    rounds: int = Field(ge=1)
    start_batches: int = Field(1, ge=1)
    batch_interval: Cadence | None = None
    organisers: list[Text] = []
    principles: list[Text] = []
    source: SourceRef


class Acceptance(Doc):
    from_year: int | None = Field(None, ge=2000, le=2100)
    in_batches: bool = False
    organisers: list[Text] = []
    source: SourceRef


class Reporting(Doc):
    cadence: Cadence
    contents: list[ListItem] = Field(min_length=1)
    source: SourceRef


class Workstations(Doc):
    social_training_share: Share
    approximate: bool = False
    per: Literal["year"] = "year"
    source: SourceRef


class Outcome(Doc):
    code: Literal[OUTCOMES]  # type: ignore[valid-type]
    name: Text
    condition: Text
    source: SourceRef


class Performance(Doc):
    outcomes: list[Outcome] = Field(min_length=1)
    source: SourceRef


class ProjectTypeDoc(Doc):
    code: Code
    number: int | None = Field(None, ge=1)
    name: Text = Field(max_length=128)
    programme: Code | None = None
    summary: str = ""
    source: SourceRef
    target: Target | None = None
    applicants: Applicants
    required_partners: list[RequiredPartner] = []
    limit_per_applicant: IntRule | None = None
    investment: Investment | None = None
    tasks: list[Task] = []
    tasks_source: SourceRef | None = None  # where the plan says which tasks are mandatory
    fields: list[FieldDef] = []
    attachments: list[AttachmentDef] = []
    kpis: list[Kpi] = []
    construction: Construction | None = None
    review: Review | None = None
    acceptance: Acceptance | None = None
    reporting: Reporting | None = None
    workstations: Workstations | None = None
    performance: Performance | None = None
    lists: list[NamedList] = []


class Programme(Doc):
    """A programme (工程) grouping project types, e.g. 产教融合体制机制创新工程."""

    code: Code
    number: int | None = Field(None, ge=1)
    name: Text
    summary: str = ""
    source: SourceRef


class Threshold(Doc):
    min: Number
    score: Score


class IndicatorInput(Doc):
    """A figure an indicator is computed from (reported, or taken from the application)."""

    code: Code
    name: Text
    unit: Text
    type: Literal["money", "share", "count", "boolean", "decimal"]


class Formula(Doc):
    input: Code
    thresholds: list[Threshold] = Field(min_length=1)


class Condition(Doc):
    input: Code
    min: Number | None = None  # a number, an amount or a share
    equals: bool | None = None


class IndicatorDoc(Doc):
    code: Code
    name: Text
    weight: Score
    method: Literal["group", "expert", "formula", "gate"] = "group"
    range: tuple[Score, Score] | None = None
    formula: Formula | None = None
    gate: Condition | None = None
    description: str = ""
    source: SourceRef | None = None
    default: bool = False
    children: list[IndicatorDoc] = []


class Veto(Doc):
    code: Code
    name: Text
    condition: Condition
    source: SourceRef
    default: bool = False


IndicatorDoc.model_rebuild()


class IndicatorSystemDoc(Doc):
    code: Code
    name: Text
    purpose: Literal["selection", "acceptance", "performance"]
    project_types: list[Code] = Field(min_length=1)
    total: Score
    default: bool = False
    note: str = ""
    source: SourceRef
    inputs: list[IndicatorInput] = []
    indicators: list[IndicatorDoc] = Field(min_length=1)
    vetoes: list[Veto] = []


class EligibleArea(Doc):
    region: RegionCode | None = None
    pilot_zone: Code | None = None
    description: str = ""
    source: SourceRef


class PackDoc(Doc):
    schema_version: Literal[1]
    code: Code
    version: Annotated[str, BeforeValidator(_version), Field(max_length=32)]
    name: Text = Field(max_length=255)
    short_name: Text = Field(max_length=64)
    issuer: Text = Field(max_length=255)
    region: RegionCode
    document: str = ""
    goal: str = ""
    eligible_area: EligibleArea
    targets: list[NamedList] = []
    programmes: list[Programme] = []
    lists: list[NamedList] = []
    project_types: list[ProjectTypeDoc] = Field(min_length=1)
    indicator_systems: list[IndicatorSystemDoc] = []


# --- messages -------------------------------------------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段（拼写错误，或本模式没有这一项）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多{max_length}个字符）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "tuple_type": "应为两个数组成的列表 [最低分, 最高分]",
    "too_short": "至少应有{min_length}项",
    "too_long": "最多{max_length}项",
    "dict_type": "应为键值对（对象）",
    "model_type": "应为键值对（对象）",
    "model_attributes_type": "应为键值对（对象）",
    "greater_than_equal": "应不小于{ge}",
    "less_than_equal": "应不大于{le}",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "literal_error": "取值无效（应为：{expected}）",
    "none_required": "应为空",
}


def _render_path(loc: tuple[Any, ...]) -> str:
    """('project_types', 3, 'investment', 'min_total') → project_types[3].investment.min_total"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic names the branch of a union or a validator in the path ("function-before[...]",
    # "int", "Money"); a person reading the file only needs the keys and indexes.
    return tuple(
        p
        for p in loc
        if isinstance(p, int) or not (str(p).startswith(("function-", "literal[", "union[")) or "[" in str(p))
    )


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"money", "share", "code", "region", "number", "version", "value_error", "assertion_error"}:
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _MESSAGES.get(kind)
    if template is None:
        return f"取值无效（{error.get('msg', '')}）"
    try:
        values = {
            k: str(v).replace("'", "").replace(" or ", ", ").replace(", ", "、") for k, v in ctx.items()
        }
        return template.format(**values)
    except (KeyError, IndexError):
        return template


# --- where a path is in the file ------------------------------------------------------------


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the deepest node of `loc` that exists in the composed YAML."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if found is None:
                break
            key_node = next(k for k, v in node.value if v is found)
            node, line = found, key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


# --- the second pass ------------------------------------------------------------------------


class _Checks:
    def __init__(self) -> None:
        self.errors: list[tuple[tuple[Any, ...], str]] = []

    def add(self, loc: tuple[Any, ...], message: str) -> None:
        self.errors.append((loc, message))

    def unique(self, items: list[Any], attr: str, loc: tuple[Any, ...], what: str) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value is None:
                continue
            if value in seen:
                self.add((*loc, i, attr), f"{what}“{value}”重复（与第{seen[value] + 1}项相同）")
            else:
                seen[value] = i


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _check_tree(
    checks: _Checks,
    nodes: list[IndicatorDoc],
    loc: tuple[Any, ...],
    level: int,
    inputs: dict[str, IndicatorInput],
    codes: set[str],
) -> None:
    for i, node in enumerate(nodes):
        here = (*loc, i)
        if node.code in codes:
            checks.add((*here, "code"), f"指标编号“{node.code}”重复")
        codes.add(node.code)
        if level > 3:
            checks.add(here, "指标最多三级（一级、二级、三级）")
            continue
        if node.children:
            if node.method != "group":
                checks.add((*here, "method"), "有下级指标的指标应为 group（分组），分值由下级指标相加")
            total = sum((c.weight for c in node.children), Decimal("0"))
            if total != node.weight:
                checks.add(
                    (*here, "weight"),
                    f"下级指标分值之和应等于本指标分值（当前：下级合计 {_fmt(total)}，本指标 {_fmt(node.weight)}）",
                )
            _check_tree(checks, node.children, (*here, "children"), level + 1, inputs, codes)
            continue
        if node.method == "group":
            checks.add(
                (*here, "method"), "末级指标应为 expert（专家评分）、formula（按数据计算）或 gate（达标判定）"
            )
        if node.method == "expert":
            if node.range is None:
                checks.add((*here, "range"), "专家评分指标应给出评分范围 [最低分, 最高分]")
            else:
                low, high = node.range
                if low > high or high > node.weight:
                    checks.add(
                        (*here, "range"),
                        f"评分范围应为 0 ≤ 最低分 ≤ 最高分 ≤ 分值（当前：[{_fmt(low)}, {_fmt(high)}]，分值 {_fmt(node.weight)}）",
                    )
        elif node.range is not None:
            checks.add((*here, "range"), "只有专家评分指标有评分范围")
        if node.method == "formula":
            if node.formula is None:
                checks.add((*here, "formula"), "按数据计算的指标应给出 formula（输入与分档）")
            else:
                if node.formula.input not in inputs:
                    checks.add(
                        (*here, "formula", "input"), f"未定义的输入“{node.formula.input}”（应在 inputs 中）"
                    )
                for j, threshold in enumerate(node.formula.thresholds):
                    if threshold.score > node.weight:
                        checks.add(
                            (*here, "formula", "thresholds", j, "score"),
                            f"分档得分不能超过指标分值（当前：{_fmt(threshold.score)}，分值 {_fmt(node.weight)}）",
                        )
        elif node.formula is not None:
            checks.add((*here, "formula"), "只有 formula 指标有计算规则")
        if node.method == "gate":
            if node.gate is None:
                checks.add((*here, "gate"), "达标判定指标应给出 gate（输入与达标条件）")
            else:
                _check_condition(checks, node.gate, (*here, "gate"), inputs)
        elif node.gate is not None:
            checks.add((*here, "gate"), "只有 gate 指标有达标条件")


def _check_condition(
    checks: _Checks, cond: Condition, loc: tuple[Any, ...], inputs: dict[str, IndicatorInput]
) -> None:
    spec = inputs.get(cond.input)
    if spec is None:
        checks.add((*loc, "input"), f"未定义的输入“{cond.input}”（应在 inputs 中）")
        return
    if (cond.min is None) == (cond.equals is None):
        checks.add(loc, "达标条件应给出 min（不低于）或 equals（等于）之一")
    if spec.type == "boolean" and cond.min is not None:
        checks.add((*loc, "min"), f"输入“{spec.name}”为是/否，应使用 equals")
    if spec.type != "boolean" and cond.equals is not None:
        checks.add((*loc, "equals"), f"输入“{spec.name}”为数值，应使用 min")


def _check_system(checks: _Checks, system: IndicatorSystemDoc, loc: tuple[Any, ...]) -> None:
    checks.unique(system.inputs, "code", (*loc, "inputs"), "输入代码")
    inputs = {inp.code: inp for inp in system.inputs}
    total = sum((n.weight for n in system.indicators), Decimal("0"))
    if total != system.total:
        checks.add(
            (*loc, "indicators"),
            f"一级指标分值之和应等于总分（当前：合计 {_fmt(total)}，总分 {_fmt(system.total)}）",
        )
    codes: set[str] = set()
    _check_tree(checks, system.indicators, (*loc, "indicators"), 1, inputs, codes)
    for j, veto in enumerate(system.vetoes):
        if veto.code in codes:
            checks.add((*loc, "vetoes", j, "code"), f"编号“{veto.code}”与指标重复")
        codes.add(veto.code)
        _check_condition(checks, veto.condition, (*loc, "vetoes", j, "condition"), inputs)


def _semantic(pack: PackDoc) -> list[tuple[tuple[Any, ...], str]]:
    checks = _Checks()
    checks.unique(pack.programmes, "code", ("programmes",), "工程代码")
    checks.unique(pack.project_types, "code", ("project_types",), "项目类型代码")
    checks.unique(pack.lists, "code", ("lists",), "清单代码")
    checks.unique(pack.targets, "code", ("targets",), "目标代码")
    checks.unique(pack.indicator_systems, "code", ("indicator_systems",), "指标体系代码")
    if pack.eligible_area.region is None and pack.eligible_area.pilot_zone is None:
        checks.add(("eligible_area",), "应给出 region（地区代码）或 pilot_zone（试验区代码）")
    if pack.eligible_area.region and not pack.eligible_area.region.startswith(pack.region[:2]):
        checks.add(("eligible_area", "region"), f"应在政策包地区 {pack.region} 之内")
    programme_codes = {p.code for p in pack.programmes}
    type_codes = {t.code for t in pack.project_types}
    for i, pt in enumerate(pack.project_types):
        loc = ("project_types", i)
        if pt.programme is not None and pt.programme not in programme_codes:
            checks.add((*loc, "programme"), f"未定义的工程“{pt.programme}”（应为 programmes 中的代码）")
        if pack.programmes and pt.programme is None:
            checks.add((*loc, "programme"), "本政策包分工程组织，应注明所属工程")
        checks.unique(pt.tasks, "code", (*loc, "tasks"), "任务代码")
        if pt.tasks and pt.tasks_source is None:
            checks.add((*loc, "tasks_source"), "列出建设任务时应注明规定必选与可选的章节（tasks_source）")
        checks.unique(pt.fields, "code", (*loc, "fields"), "字段代码")
        checks.unique(pt.attachments, "code", (*loc, "attachments"), "附件代码")
        checks.unique(pt.kpis, "code", (*loc, "kpis"), "指标代码")
        checks.unique(pt.lists, "code", (*loc, "lists"), "清单代码")
        checks.unique(pt.required_partners, "key", (*loc, "required_partners"), "合作方要求")
        if pt.applicants.school_levels and "school" not in pt.applicants.kinds:
            checks.add((*loc, "applicants", "school_levels"), "只有学校可申报时才能限定办学层次")
        if pt.applicants.dept_levels and "department" not in pt.applicants.kinds:
            checks.add((*loc, "applicants", "dept_levels"), "只有教育行政部门可申报时才能限定行政层级")
        for j, field in enumerate(pt.fields):
            if field.type == "choice" and not field.choices:
                checks.add((*loc, "fields", j, "choices"), "选择题字段应列出选项")
            if field.must_be is not None and field.type != "boolean":
                checks.add((*loc, "fields", j, "must_be"), "只有 boolean 字段可以规定必须的取值")
        inv = pt.investment
        if inv is not None:
            checks.unique(inv.funding_sources, "code", (*loc, "investment", "funding_sources"), "资金来源")
            checks.unique(inv.contribution_kinds, "code", (*loc, "investment", "contribution_kinds"), "要素")
            if inv.min_enterprise_share is not None and "enterprise" not in {
                s.code for s in inv.funding_sources
            }:
                checks.add(
                    (*loc, "investment", "funding_sources"),
                    "规定了合作企业投入比例，资金来源中应有 enterprise（合作企业）",
                )
        for j, kpi in enumerate(pt.kpis):
            if kpi.min_per_year is not None and kpi.frequency != "yearly":
                checks.add((*loc, "kpis", j, "min_per_year"), "每年最低数量只适用于 frequency: yearly")
    for i, system in enumerate(pack.indicator_systems):
        loc = ("indicator_systems", i)
        for j, code in enumerate(system.project_types):
            if code not in type_codes:
                checks.add((*loc, "project_types", j), f"未定义的项目类型“{code}”")
        _check_system(checks, system, loc)
    return checks.errors


# --- entry points ---------------------------------------------------------------------------


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: a pack parses in ms


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The YAML's data and its node tree (for line numbers), or PackInvalid with the line of a syntax error."""
    # One pass: compose the node tree (it keeps the lines), then build the data from it.
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        column = f"，第{mark.column + 1}列" if mark is not None else ""
        raise PackInvalid(
            [PackError("", f"YAML 语法错误（第{line}行{column}）：{problem}", line=line)]
        ) from None
    finally:
        loader.dispose()
    return data, root


def validate_pack_data(data: Any, root: yaml.Node | None = None) -> PackDoc:
    """The validated document, or PackInvalid listing every problem with its path and line."""
    if not isinstance(data, dict):
        raise PackInvalid(
            [PackError("", "政策包应为一个 YAML 映射（键: 值），从 schema_version、code、version 开始")]
        )
    pack = _validated(PackDoc, data, root)
    problems = _semantic(pack)
    if problems:
        raise PackInvalid([PackError(_render_path(loc), msg, _line_of(root, loc)) for loc, msg in problems])
    return pack


def _validated(model: type[BaseModel], data: Any, root: yaml.Node | None) -> Any:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = _clean_loc(tuple(e["loc"]))
            errors.append(PackError(_render_path(loc), _message(e), _line_of(root, loc)))
        raise PackInvalid(errors) from None


def validate_indicator_system_data(data: Any, root: yaml.Node | None = None) -> IndicatorSystemDoc:
    """An indicator system on its own (a province's edit), checked like one inside a pack."""
    if not isinstance(data, dict):
        raise PackInvalid([PackError("", "指标体系应为一个 YAML 映射（键: 值）")])
    system = _validated(IndicatorSystemDoc, data, root)
    checks = _Checks()
    _check_system(checks, system, ())
    if checks.errors:
        raise PackInvalid(
            [PackError(_render_path(loc), msg, _line_of(root, loc)) for loc, msg in checks.errors]
        )
    return system


def validate_pack_text(text: str) -> PackDoc:
    data, root = parse_yaml(text)
    return validate_pack_data(data, root)


def pack_content(pack: PackDoc) -> dict[str, Any]:
    """The document as stored: plain JSON, money as strings with two decimals."""
    return pack.model_dump(mode="json", exclude_defaults=False)
