"""The fixed rules of the three classifications, as data: level names, code shapes, tier structure.

Sources: 教育部《职业教育专业目录（2021年）》 and its yearly additions; GB/T 4754-2017《国民经济行业
分类》; 《中华人民共和国职业分类大典（2022年版）》.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from chanjiao.core.errors import FieldError
from chanjiao.core.validators import check_programme_code

from .models import Industry, Level, Occupation

# Every way a level is written in the official lists and in the national admissions listing.
# Longer names first: "高等职业教育本科" must not be read as "本科".
LEVEL_ALIASES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "中职": Level.SECONDARY,
            "中等职业教育": Level.SECONDARY,
            "中等职业学校": Level.SECONDARY,
            "高职专科": Level.ASSOCIATE,
            "高职（专科）": Level.ASSOCIATE,
            "高等职业教育专科": Level.ASSOCIATE,
            "专科": Level.ASSOCIATE,
            "职业本科": Level.VOCATIONAL_BACHELOR,
            "高职本科": Level.VOCATIONAL_BACHELOR,
            "高等职业教育本科": Level.VOCATIONAL_BACHELOR,
            "本科层次职业教育": Level.VOCATIONAL_BACHELOR,
            "应用型本科": Level.APPLIED_BACHELOR,
            "普通本科": Level.APPLIED_BACHELOR,
            "本科": Level.APPLIED_BACHELOR,
        }.items(),
        key=lambda item: -len(item[0]),
    )
)


def level_from_name(text: str) -> str | None:
    """The level a cell or a sheet title names (Chinese name or the code), or None."""
    text = re.sub(r"\s+", "", str(text or ""))
    if not text:
        return None
    if text in Level.values:
        return text
    for alias, level in LEVEL_ALIASES:
        if text == alias or text == alias + "专业":
            return level
    for alias, level in LEVEL_ALIASES:
        if alias in text:
            return level
    return None


LEVEL_NAMES_ACCEPTED = "中职、高职专科（高等职业教育专科）、职业本科（高职本科、高等职业教育本科）、本科"

# The 本科 catalogue numbers its 外国语言文学类 (0502) languages past 99 with three digits
# (0502100 库尔德语 …); core's check_programme_code knows only six digits, so this one form is
# allowed here on top of it.
APPLIED_BACHELOR_LONG_CODE = re.compile(r"0502\d{3}")


def check_code_for_level(code: str, level: str) -> FieldError | None:
    if level == Level.APPLIED_BACHELOR and APPLIED_BACHELOR_LONG_CODE.fullmatch(code):
        return None
    return check_programme_code(code, level)


def strip_category_suffix(name: str) -> str:
    """大类 names are kept without the word 大类 (装备制造, not 装备制造大类), as the national listing has them."""
    name = name.strip()
    return name[:-2] if name.endswith("大类") and len(name) > 2 else name


# GB/T 4754-2017: each 门类 and the 大类 it holds. A 大类's 门类 follows from this table, so an
# import needs no parent column for it; 中类 and 小类 belong to the code they begin with.
INDUSTRY_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}
INDUSTRY_CODE_SHAPES: dict[int, re.Pattern[str]] = {
    Industry.Tier.SECTION: re.compile(r"[A-T]"),
    Industry.Tier.DIVISION: re.compile(r"\d{2}"),
    Industry.Tier.GROUP: re.compile(r"\d{3}"),
    Industry.Tier.CLASS: re.compile(r"\d{4}"),
}


def industry_tier(code: str) -> int | None:
    for tier, shape in INDUSTRY_CODE_SHAPES.items():
        if shape.fullmatch(code):
            return tier
    return None


def industry_section_of(division: str) -> str | None:
    number = int(division)
    for letter, (low, high) in INDUSTRY_SECTIONS.items():
        if low <= number <= high:
            return letter
    return None


def industry_parent_code(code: str) -> str | None:
    """The parent a GB/T 4754 code has by its structure (None for a 门类 or an unknown 大类)."""
    tier = industry_tier(code)
    if tier == Industry.Tier.DIVISION:
        return industry_section_of(code)
    if tier in (Industry.Tier.GROUP, Industry.Tier.CLASS):
        return code[:-1]
    return None


# 职业分类大典（2022年版）: 8 大类. The first is named here from the 大典 itself because the
# public-comment-draft file the tests read gives it the name of one of its 细类 (民办非企业单位负责人).
OCCUPATION_MAJOR_NAMES: dict[str, str] = {
    "1": "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
    "2": "专业技术人员",
    "3": "办事人员和有关人员",
    "4": "社会生产服务和生活服务人员",
    "5": "农、林、牧、渔业生产及辅助人员",
    "6": "生产制造及有关人员",
    "7": "军队人员",
    "8": "不便分类的其他从业人员",
}
OCCUPATION_CODE = re.compile(r"(\d)-(\d{2})-(\d{2})-(\d{2})")


def occupation_prefixes(code: str) -> dict[int, str]:
    """{tier: code} of an occupation (细类) code and its three ancestors: 2 / 2-02 / 2-02-10 / 2-02-10-03."""
    return {
        Occupation.Tier.MAJOR: code[:1],
        Occupation.Tier.MIDDLE: code[:4],
        Occupation.Tier.MINOR: code[:7],
        Occupation.Tier.DETAIL: code,
    }


def tier_label(model, tier: int) -> str:
    return str(model.Tier(tier).label)


def row_message(where: str, message: str) -> str:
    return _("%(where)s：%(msg)s") % {"where": where, "msg": message}
