import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.adapters.idcard import (
    age_on,
    id_number_birth_date,
    id_number_sex,
    looks_like_excel_scientific,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

VALID = "33028219950820127X"  # from the 东村 sample: check letter X
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)


def test_known_valid_numbers_pass_validation():
    assert validate_id_number(VALID) is None
    assert validate_id_number("330282199208015256") is None


def test_wrong_check_digit_is_reported_in_chinese():
    assert "校验位" in validate_id_number("330282201904039270")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "缺少"),
        ("33028219950820127", "18 位"),
        ("3302821995082012 7X", "18 位"),
        ("33028219950820A27X", "数字"),
        ("3302821995O820127X", "数字"),
        ("330282199502301271", "出生日期"),
        ("330282289901011271", "出生日期"),
    ],
)
def test_invalid_numbers_give_a_reason(number, fragment):
    assert fragment in validate_id_number(number)


def test_full_width_digits_spaces_and_lower_x_are_normalised():
    assert normalize_id_number(" ３３０２８２1995 0820127x ") == VALID
    assert normalize_id_number("'33028219950820127X") == VALID
    assert normalize_id_number(None) == ""


def test_birth_date_sex_and_age_come_from_the_number():
    number = make_id_number(birth=date(2000, 2, 29), seq=123)
    assert id_number_birth_date(number) == date(2000, 2, 29)
    assert id_number_sex(number) == "男"
    assert id_number_sex(make_id_number(seq=124)) == "女"
    assert age_on(number, date(2018, 2, 28)) == 17
    assert age_on(number, date(2018, 3, 1)) == 18


def test_birth_date_of_an_invalid_number_raises():
    with pytest.raises(ValueError, match="校验位"):
        id_number_birth_date("330282201904039270")


@pytest.mark.parametrize(
    "raw", ["3.30282E+17", "3.302822014081792e+17", " 3.30282E17 ", 3.302822014081792e17, 330282201408179000]
)
def test_excel_scientific_notation_is_recognised(raw):
    assert looks_like_excel_scientific(raw)


@pytest.mark.parametrize("raw", [VALID, "330282199208015256", 330282199208015256, 13634195809.0, True, None, "3.5"])
def test_ordinary_values_are_not_taken_for_scientific_notation(raw):
    assert not looks_like_excel_scientific(raw)


@pytest.mark.parametrize(
    "raw",
    ["157-2842-7876", "+86 157 2842 7876", "0086-15728427876", "8615728427876", "１５７２８４２７８７６"],
)
def test_phone_decorations_are_removed(raw):
    assert normalize_phone(raw) == "15728427876"


def test_phone_validation_accepts_mainland_mobiles_only():
    assert validate_phone("15728427876") is None
    assert "11 位" in validate_phone("12728427876")
    assert "11 位" in validate_phone("0574-8765432")


def test_make_id_number_refuses_a_malformed_region_or_sequence():
    with pytest.raises(ValueError):
        make_id_number("33028", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("330282", date(1990, 1, 1), 1000)


def test_masks_show_the_agreed_shape():
    assert mask_id_number("330282199208011234") == "330282********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == mask_phone(None) == ""


@given(regions, births, st.integers(0, 999))
def test_make_id_number_always_validates(region, birth, seq):
    number = make_id_number(region, birth, seq)
    assert validate_id_number(number) is None
    assert id_number_birth_date(number) == birth
    assert id_number_sex(number) == ("男" if seq % 2 else "女")


@given(regions, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_changing_any_single_digit_breaks_the_check(region, birth, seq, position, delta):
    number = make_id_number(region, birth, seq)
    altered = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert validate_id_number(altered) is not None


@given(st.text(max_size=40))
def test_mask_never_leaks_more_than_ten_id_characters(text):
    masked = mask_id_number(text)
    assert len(re.sub(r"\*", "", masked)) <= min(10, len(text))


@given(st.text(max_size=30))
def test_mask_phone_never_leaks_more_than_seven_characters(text):
    assert len(mask_phone(text).replace("*", "")) <= 7


@given(st.text())
def test_normalise_id_number_is_idempotent(text):
    once = normalize_id_number(text)
    assert normalize_id_number(once) == once


@given(st.text())
def test_normalise_phone_is_idempotent(text):
    once = normalize_phone(text)
    assert normalize_phone(once) == once
