"""Validators for Chinese codes and numbers, with Chinese messages saying what is wrong.

Each `check_*` returns a `FieldError` (field left empty for the caller to fill) or None, so a
service can collect every problem at once; each `validate_*` raises `ValidationFailed`;
`django_validator(check_*)` adapts a check for model and form fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import FieldError, ValidationFailed

# GB 32100-2015: 31 characters (no I, O, Z, S, V) and these weights for the first 17 positions.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 登记管理部门代码 (position 1) and the 机构类别代码 (position 2) each may use: 1 机构编制, 2 外交,
# 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管（工商）, A 中央军委改革和编制办公室,
# N 农业, Y 其他.
USCC_CATEGORIES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}
USCC_AUTHORITIES = "".join(USCC_CATEGORIES)

# GB 11643-1999: weights 2^(17-i) mod 11, and the check character by remainder.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

# Programme 大类 ranges by level (专业目录 2021): the same category shifted by 20 between levels.
PROGRAMME_CATEGORY_RANGES: dict[str, tuple[int, int]] = {
    "secondary": (61, 79),
    "associate": (41, 59),
    "vocational_bachelor": (21, 39),
    "applied_bachelor": (1, 14),  # 普通本科学科门类 01–14
}
PROGRAMME_LEVEL_NAMES = {
    "secondary": "中职",
    "associate": "高职专科",
    "vocational_bachelor": "职业本科",
    "applied_bachelor": "应用型本科",
}


def _err(code: str, message: str) -> FieldError:
    return FieldError("", code, message)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(value: str) -> FieldError | None:
    """GB 32100-2015. Lower-case letters are refused: the code is written in capitals, and a
    service that wants to be lenient upper-cases the input before it checks."""
    value = (value or "").strip()
    if len(value) != 18:
        return _err(
            "uscc.length",
            _("统一社会信用代码应为18位（当前：%(n)d位）") % {"n": len(value)},
        )
    lower = sorted({c for c in value if c.islower()})
    if lower:
        return _err(
            "uscc.lowercase",
            _("统一社会信用代码中的字母应为大写（当前含小写字母：%(chars)s）") % {"chars": "、".join(lower)},
        )
    bad = sorted({c for c in value if c not in USCC_CHARSET})
    if bad:
        return _err(
            "uscc.charset",
            _("统一社会信用代码含有不允许的字符：%(chars)s（不得使用 I、O、Z、S、V 及小写字母）")
            % {"chars": "、".join(bad)},
        )
    if value[0] not in USCC_AUTHORITIES:
        return _err(
            "uscc.authority",
            _("统一社会信用代码第1位（登记管理部门代码）无效（当前：%(c)s，应为 %(ok)s 之一）")
            % {"c": value[0], "ok": "、".join(USCC_AUTHORITIES)},
        )
    if value[1] not in USCC_CATEGORIES[value[0]]:
        return _err(
            "uscc.category",
            _(
                "统一社会信用代码第2位（机构类别代码）与登记管理部门不符（当前：%(c)s，"
                "登记管理部门为 %(a)s 时应为 %(ok)s 之一）"
            )
            % {"c": value[1], "a": value[0], "ok": "、".join(USCC_CATEGORIES[value[0]])},
        )
    if not value[2:8].isdigit():
        return _err(
            "uscc.region",
            _("统一社会信用代码第3–8位应为行政区划代码（6位数字，当前：%(r)s）") % {"r": value[2:8]},
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return _err(
            "uscc.check_char",
            _("统一社会信用代码校验位错误（当前：%(cur)s，按 GB 32100-2015 应为：%(exp)s）")
            % {"cur": value[17], "exp": expected},
        )
    return None


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_id_number(value: str, *, today: dt.date | None = None) -> FieldError | None:
    value = (value or "").strip().upper()  # a lower-case x is the same check character
    if len(value) != 18:
        return _err(
            "id_number.format",
            _("居民身份证号码应为18位：前17位为数字，末位为数字或 X（当前：%(n)d位）") % {"n": len(value)},
        )
    if not re.fullmatch(r"\d{17}[\dX]", value):
        bad = sorted({c for i, c in enumerate(value) if not (c.isdigit() or (i == 17 and c == "X"))})
        return _err(
            "id_number.format",
            _("居民身份证号码前17位应为数字，末位为数字或 X（当前含不允许的字符：%(chars)s）")
            % {"chars": "、".join(bad)},
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _err(
            "id_number.birth_date",
            _("居民身份证号码第7–14位不是有效的出生日期（当前：%(d)s）") % {"d": value[6:14]},
        )
    today = today or timezone.localdate()
    if birth > today or birth.year < 1900:
        return _err(
            "id_number.birth_date",
            _("居民身份证号码中的出生日期 %(d)s 不在有效范围内（应在1900年1月1日至今天之间）")
            % {"d": birth.isoformat()},
        )
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return _err(
            "id_number.check_digit",
            _("居民身份证号码校验位错误（当前：%(cur)s，按 GB 11643 应为：%(exp)s）")
            % {"cur": value[17], "exp": expected},
        )
    return None


def check_programme_code(value: str, level: str | None = None) -> FieldError | None:
    """6 digits and an optional suffix: K (国家控制布点) at every level, T (特设) only for the
    bachelor's catalogue. The first two digits (专业大类 / 学科门类) must lie in the level's range;
    without a level, in the range of some level."""
    value = (value or "").strip().upper()
    if level is not None and level not in PROGRAMME_CATEGORY_RANGES:
        return _err("programme.level", _("未知的办学层次：%(v)s") % {"v": level})
    suffix = "[KT]?" if level in {None, "applied_bachelor"} else "K?"
    if not re.fullmatch(r"\d{6}" + suffix, value):
        return _err(
            "programme.code_format",
            (
                _("专业代码应为6位数字，可带后缀 K 或 T（当前：%(v)s）")
                if suffix == "[KT]?"
                else _("专业代码应为6位数字，可带后缀 K（当前：%(v)s）")
            )
            % {"v": value or _("空")},
        )
    category = int(value[:2])
    if level is None:
        levels = [lv for lv, (low, high) in PROGRAMME_CATEGORY_RANGES.items() if low <= category <= high]
        if not levels:
            return _err(
                "programme.category_range",
                _(
                    "专业代码的前两位（专业大类）不属于任何办学层次（当前：%(cur)02d；"
                    "应为 中职 61–79、高职专科 41–59、职业本科 21–39 或 本科 01–14）"
                )
                % {"cur": category},
            )
        if value.endswith("T") and levels != ["applied_bachelor"]:
            return _err(
                "programme.code_format",
                _("后缀 T 仅用于本科专业（学科门类 01–14），当前代码：%(v)s") % {"v": value},
            )
        return None
    low, high = PROGRAMME_CATEGORY_RANGES[level]
    if not low <= category <= high:
        return _err(
            "programme.category_range",
            _("%(level)s专业代码的前两位（专业大类）应在 %(low)02d–%(high)02d 之间（当前：%(cur)02d）")
            % {"level": PROGRAMME_LEVEL_NAMES[level], "low": low, "high": high, "cur": category},
        )
    return None


def normalise_mobile(value: str) -> str:
    """13800138000 from "+86 138-0013-8000", "0086 13800138000" or "138 0013 8000"."""
    value = re.sub(r"[\s-]", "", value or "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def check_mobile(value: str) -> FieldError | None:
    number = normalise_mobile(value)
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        return _err(
            "mobile.format",
            _("手机号码应为以1开头、第2位为3–9的11位数字（当前：%(v)s）") % {"v": value or _("空")},
        )
    return None


def validate(check: Callable[..., FieldError | None], value, *, field: str, **kwargs) -> None:
    """Raises ValidationFailed with the check's error placed at `field`."""
    error = check(value, **kwargs)
    if error is not None:
        raise ValidationFailed(FieldError(field, error.code, error.message))


def django_validator(check: Callable[[str], FieldError | None]) -> Callable[[str], None]:
    """Adapts a `check_*` for Django model and form fields."""

    def validator(value: str) -> None:
        error = check(value)
        if error is not None:
            raise ValidationError(error.message, code=error.code)

    validator.__name__ = f"validate_{check.__name__.removeprefix('check_')}"
    validator.__qualname__ = validator.__name__
    validator.__module__ = __name__
    return validator


validate_uscc = django_validator(check_uscc)
validate_id_number = django_validator(check_id_number)
validate_mobile = django_validator(check_mobile)
