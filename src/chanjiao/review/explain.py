"""An assignment's explanation in words, in the reader's language.

The explanation is stored as data (assignment.py `explanations`): the affinity and its parts,
whether the expert holds the application's industry place, the drawn number, and the best-fitting
experts not assigned with the reason each was not. These functions make the sentences.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .models import Conflict


def affinity_words(parts: dict[str, Any] | None) -> str:
    parts = parts or {}
    points = parts.get("points", {})
    pieces = []
    for name in parts.get("categories", []):
        pieces.append(_("专业大类“%(name)s”（+%(p)d）") % {"name": name, "p": points.get("category", 0)})
    for code, name in parts.get("divisions", []):
        pieces.append(
            _("行业大类 %(code)s %(name)s（+%(p)d）")
            % {"code": code, "name": name, "p": points.get("division", 0)}
        )
    for code, name in parts.get("sections", []):
        pieces.append(
            _("行业门类 %(code)s %(name)s（+%(p)d）")
            % {"code": code, "name": name, "p": points.get("section", 0)}
        )
    if not pieces:
        return _("与申报没有共同的专业大类或行业（匹配度 0）")
    return _("共同领域：%(parts)s；匹配度 %(total)d") % {
        "parts": "；".join(pieces),
        "total": parts.get("total", 0),
    }


def _kinds(kinds: list[str]) -> str:
    labels = []
    for kind in kinds:
        try:
            labels.append(str(Conflict.Kind(kind).label))
        except ValueError:
            labels.append(kind)
    return "、".join(labels)


def reason_words(item: dict[str, Any]) -> str:
    reason = item.get("reason")
    if reason == "conflict":
        return _("存在回避关系（%(kinds)s）") % {"kinds": _kinds(item.get("kinds", []))}
    if reason == "unavailable":
        return _("本轮不参加评审")
    if reason == "load_cap":
        return _("已达评审上限（%(cap)d项）") % {"cap": item.get("cap", 0)}
    if reason == "not_drawn":
        return _("未抽中（抽签号 %(number)d）") % {"number": item.get("number", 0)}
    if reason == "lower_affinity":
        return _("匹配度 %(affinity)d 低于已分配专家的最低匹配度 %(lowest)d") % {
            "affinity": item.get("affinity", 0),
            "lowest": item.get("lowest", 0),
        }
    if reason == "industry_rule":
        return _("每项申报至少一位行业企业专家：该位置须由行业企业专家担任")
    if reason == "tie":
        return _("匹配度与已分配的专家相同（%(lowest)d），按全局最优取舍") % {"lowest": item.get("lowest", 0)}
    return str(reason or "")


def assignment_lines(explanation: dict[str, Any] | None, *, with_alternatives: bool = True) -> list[str]:
    """The sentences of an assignment's explanation, the alternatives last."""
    x = explanation or {}
    lines = [affinity_words(x.get("affinity"))]
    if x.get("industry_slot"):
        lines.append(_("该专家是本申报唯一的行业企业专家，满足“每项申报至少一位行业企业专家”的要求"))
    if x.get("number") is not None:
        lines.append(_("抽签号 %(number)d（号码越小越先抽中）") % {"number": x["number"]})
    if x.get("reserve"):
        lines.append(_("第%(n)d候补") % {"n": x["reserve"]})
    if x.get("from_reserve"):
        lines.append(_("由第%(n)d候补递补") % {"n": x["from_reserve"]})
    if x.get("reason"):
        lines.append(_("人工调整，理由：%(reason)s") % {"reason": x["reason"]})
    if with_alternatives:
        for item in x.get("alternatives", []):
            lines.append(
                _("未分配“%(name)s”（%(employer)s，匹配度 %(affinity)d）：%(why)s")
                % {
                    "name": item.get("name", ""),
                    "employer": item.get("employer", ""),
                    "affinity": item.get("affinity", 0),
                    "why": reason_words(item),
                }
            )
    return lines


def alternatives(explanation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The alternatives, each with its reason in words (for tables)."""
    return [{**item, "why": reason_words(item)} for item in (explanation or {}).get("alternatives", [])]
