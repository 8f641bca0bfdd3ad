"""Validators of Chinese codes, with worked examples.

The expected check characters below are worked by hand from the standards (the sums are in the
comments), so the tests do not merely repeat the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chanjiao.core.errors import ValidationFailed
from chanjiao.core.validators import (
    ID_WEIGHTS,
    USCC_CHARSET,
    USCC_WEIGHTS,
    check_id_number,
    check_mobile,
    check_programme_code,
    check_uscc,
    id_check_char,
    normalise_mobile,
    uscc_check_char,
    validate,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)

TODAY = dt.date(2026, 6, 1)


def code_of(error):
    return None if error is None else error.code


# --- USCC (GB 32100-2015) -----------------------------------------------------------------------


def test_uscc_tables_follow_the_standard():
    # 31 characters: digits and capitals without I, O, Z, S, V; weights 3^(i-1) mod 31
    assert len(USCC_CHARSET) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)
    assert tuple(3**i % 31 for i in range(17)) == USCC_WEIGHTS


def test_uscc_check_character_worked_example_from_the_standard():
    # 91350100M000100Y4: values 9 1 3 5 0 1 0 0 21(M) 0 0 0 1 0 0 30(Y) 4,
    # weighted sum 9+3+27+135+26+420+8+900+112 = 1640, 1640 mod 31 = 28, 31 - 28 = 3
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert check_uscc("91350100M000100Y43") is None


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015
        "91110108551385082Q",  # an enterprise registered in Beijing 海淀
        "914403001922038216",  # an enterprise registered in Shenzhen
        "91440300708461136T",  # an enterprise registered in Shenzhen
        "12100000400000624D",  # 1 机构编制 / 2 事业单位
    ],
)
def test_uscc_published_codes_pass(code):
    assert check_uscc(code) is None


def test_uscc_check_char_is_0_when_the_sum_divides_by_31():
    # given a body whose weighted sum is a multiple of 31 (found by varying its 17th character)
    def weighted(body):
        return sum(USCC_CHARSET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))

    body = next(b for b in ("91340100MA2C8GJ0" + c for c in USCC_CHARSET) if weighted(b) % 31 == 0)
    # then the check value 31 - 0 wraps to 0, and it is the only check character accepted
    assert uscc_check_char(body) == "0"
    assert [c for c in USCC_CHARSET if check_uscc(body + c) is None] == ["0"]


def test_uscc_wrong_check_char_names_current_and_expected():
    # given a widely quoted string whose last character does not match its first 17
    error = check_uscc("9111000071093123XU")
    # then it is refused with both characters named
    assert error.code == "uscc.check_char"
    assert "当前：U" in error.message
    assert "应为：X" in error.message


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("", "uscc.length", "当前：0位"),
        ("91350100M000100Y4", "uscc.length", "当前：17位"),
        ("91350100M000100Y433", "uscc.length", "当前：19位"),
        ("91350100m000100y43", "uscc.lowercase", "m、y"),
        ("91350100I000100Y43", "uscc.charset", "I"),
        ("91350100O000100Y43", "uscc.charset", "O"),
        ("91350100Z000100Y43", "uscc.charset", "Z"),
        ("91350100S000100Y43", "uscc.charset", "S"),
        ("91350100V000100Y43", "uscc.charset", "V"),
        ("91350100M0001-0Y43", "uscc.charset", "-"),
        ("B1350100M000100Y43", "uscc.authority", "当前：B"),
        ("94350100M000100Y43", "uscc.category", "当前：4"),
        ("Y2350100M000100Y43", "uscc.category", "当前：2"),
        ("9135A100M000100Y43", "uscc.region", "35A100"),
    ],
)
def test_uscc_refusals_say_what_is_wrong(value, code, fragment):
    error = check_uscc(value)
    assert code_of(error) == code
    assert fragment in error.message


def test_uscc_accepts_every_registration_authority_of_the_coding_rules():
    # a law firm (3 司法行政 / 1 律师执业机构) and a foreign cultural centre (4 文化 / 1)
    for prefix in ("31", "41", "N2", "A1", "Y1", "52", "93"):
        body = prefix + "110000MA0000001"
        assert check_uscc(body + uscc_check_char(body)) is None, prefix


def test_uscc_surrounding_spaces_are_ignored():
    assert check_uscc("  91350100M000100Y43 ") is None


# --- resident ID number (GB 11643-1999) ---------------------------------------------------------


def test_id_weights_follow_the_standard():
    assert tuple(2 ** (17 - i) % 11 for i in range(17)) == ID_WEIGHTS


def test_id_check_digit_worked_example():
    # 11010519491231002: 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167,
    # 167 mod 11 = 2, and remainder 2 maps to X
    assert id_check_char("11010519491231002") == "X"
    assert check_id_number("11010519491231002X", today=TODAY) is None
    assert check_id_number("11010519491231002x", today=TODAY) is None  # the same, in lower case


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("11010519491231002", "id_number.format", "当前：17位"),
        ("110105194912310021X", "id_number.format", "当前：19位"),
        ("11010519491231002Y", "id_number.format", "Y"),
        ("1101051949123100X2", "id_number.format", "X"),
        ("110105199902300011", "id_number.birth_date", "19990230"),
        ("110105199913010011", "id_number.birth_date", "19991301"),
        ("110105203001010011", "id_number.birth_date", "2030-01-01"),
        ("110105189912310011", "id_number.birth_date", "1899-12-31"),
        ("110105194912310021", "id_number.check_digit", "当前：1，按 GB 11643 应为：X"),
    ],
)
def test_id_refusals_say_what_is_wrong(value, code, fragment):
    error = check_id_number(value, today=TODAY)
    assert code_of(error) == code
    assert fragment in error.message


def test_id_born_today_is_accepted_and_tomorrow_is_not():
    body_today = "110105" + TODAY.strftime("%Y%m%d") + "001"
    body_tomorrow = "110105" + (TODAY + dt.timedelta(days=1)).strftime("%Y%m%d") + "001"
    assert check_id_number(body_today + id_check_char(body_today), today=TODAY) is None
    assert code_of(check_id_number(body_tomorrow + id_check_char(body_tomorrow), today=TODAY)) == (
        "id_number.birth_date"
    )


# --- programme codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("660301", "secondary"),  # 中职 66 装备制造大类
        ("460301", "associate"),  # 高职专科 46
        ("460301K", "associate"),
        ("260301", "vocational_bachelor"),  # 职业本科 26
        ("080901", "applied_bachelor"),  # 本科 08 工学
        ("080910T", "applied_bachelor"),
        ("120105K", "applied_bachelor"),
        ("610101", "secondary"),  # range bounds
        ("790101", "secondary"),
        ("410101", "associate"),
        ("590101", "associate"),
        ("210101", "vocational_bachelor"),
        ("390101", "vocational_bachelor"),
        ("010101", "applied_bachelor"),
        ("140101", "applied_bachelor"),
        ("460301", None),
        ("080910T", None),
        (" 460301k ", "associate"),
    ],
)
def test_programme_codes_accepted(value, level):
    assert check_programme_code(value, level) is None


@pytest.mark.parametrize(
    ("value", "level", "code", "fragment"),
    [
        ("46030", "associate", "programme.code_format", "当前：46030"),
        ("4603011", "associate", "programme.code_format", "4603011"),
        ("460301T", "associate", "programme.code_format", "可带后缀 K（"),
        ("46030A", None, "programme.code_format", "K 或 T"),
        ("", "associate", "programme.code_format", "当前：空"),
        (
            "460301",
            "secondary",
            "programme.category_range",
            "中职专业代码的前两位（专业大类）应在 61–79 之间（当前：46）",
        ),
        ("800101", "secondary", "programme.category_range", "当前：80"),
        ("600101", "associate", "programme.category_range", "41–59"),
        ("400101", "vocational_bachelor", "programme.category_range", "21–39"),
        ("150101", "applied_bachelor", "programme.category_range", "01–14"),
        ("000101", "applied_bachelor", "programme.category_range", "当前：00"),
        ("150101", None, "programme.category_range", "不属于任何办学层次"),
        ("460301T", None, "programme.code_format", "后缀 T 仅用于本科"),
        ("460301", "doctorate", "programme.level", "doctorate"),
    ],
)
def test_programme_code_refusals(value, level, code, fragment):
    error = check_programme_code(value, level)
    assert code_of(error) == code
    assert fragment in error.message


# --- mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "+8613800138000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "0086 13800138000",
        "199 1234 5678",
    ],
)
def test_mobile_numbers_accepted_and_normalised(value):
    assert check_mobile(value) is None
    assert normalise_mobile(value) in {"13800138000", "19912345678"}


@pytest.mark.parametrize(
    "value",
    ["", "12800138000", "1380013800", "138001380000", "+1 13800138000", "1380013800a", "023-12345678"],
)
def test_mobile_refusals_show_the_value(value):
    error = check_mobile(value)
    assert code_of(error) == "mobile.format"
    assert f"当前：{value or '空'}" in error.message


# --- adapters -----------------------------------------------------------------------------------


def test_validate_raises_with_the_field_named():
    with pytest.raises(ValidationFailed) as exc:
        validate(check_uscc, "91350100M000100Y44", field="partners[0].uscc")
    assert [(e.field, e.code) for e in exc.value.errors] == [("partners[0].uscc", "uscc.check_char")]
    validate(check_uscc, "91350100M000100Y43", field="uscc")  # no exception


def test_django_validators_raise_validation_error_with_the_code():
    for validator, bad, code in (
        (validate_uscc, "91350100M000100Y44", "uscc.check_char"),
        (validate_id_number, "110105194912310021", "id_number.check_digit"),
        (validate_mobile, "12800138000", "mobile.format"),
    ):
        with pytest.raises(ValidationError) as exc:
            validator(bad)
        assert exc.value.code == code
    validate_uscc("91350100M000100Y43")
    validate_mobile("13800138000")
