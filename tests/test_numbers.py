"""The shared parser of numbers members type (bot/core/numbers.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.i18n import N_, use_locale
from bot.core.numbers import (
    ID_MAX,
    InvalidNumber,
    check_decimal,
    check_whole,
    format_number,
    parse_decimal,
    parse_whole,
    parse_whole_list,
    record_id,
)
from bot.core.render.errors import error

CAPACITY = N_("The capacity")
HOURS = N_("The number of hours")


def shown(exc: InvalidNumber, locale: str) -> str:
    with use_locale(locale):
        return error(exc).lines[0]


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("10000", 10_000), (" 42 ", 42), ("+7", 7), ("007", 7),
])
def test_whole_numbers_within_range(text: str, expected: int) -> None:
    assert parse_whole(text, field=CAPACITY, low=1, high=10_000) == expected


@pytest.mark.parametrize("text", [
    "0", "10001", "-1", "99999999999999999999999", "9" * 5000, "²", "١٢", "１２", "1_0",
    "1e3", "1.5", "1,5", "", " ", "abc", "nan", "inf", "0x10", "1 000", "--1", "+",
])
def test_anything_else_names_the_field_and_the_range(text: str) -> None:
    with pytest.raises(InvalidNumber) as refused:
        parse_whole(text, field=CAPACITY, low=1, high=10_000)
    assert shown(refused.value, "en") == "The capacity must be a whole number from 1 to 10,000."
    assert shown(refused.value, "fr") == \
        "La capacité doit être un nombre entier de 1 à 10\u00a0000."


def test_typed_values_are_checked_too() -> None:
    assert check_whole(5, field=CAPACITY, low=1, high=10) == 5
    assert parse_whole(5, field=CAPACITY, low=1, high=10) == 5
    for value in (0, 11, 2**53, -(2**63), True, 5.0, "5", None, Decimal(5)):
        with pytest.raises(InvalidNumber):
            check_whole(value, field=CAPACITY, low=1, high=10)
    assert record_id(ID_MAX) == ID_MAX
    with pytest.raises(InvalidNumber):
        record_id(ID_MAX + 1)


def test_ranges_beyond_64_bits_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_whole("1", field=CAPACITY, low=0, high=2**64)


@pytest.mark.parametrize("text, expected", [
    ("1,5", Decimal("1.50")), ("1.5", Decimal("1.50")), ("2", Decimal("2.00")),
    (",5", Decimal("0.50")), ("24", Decimal("24.00")), (" 0,25 ", Decimal("0.25")),
    ("1.004", Decimal("1.00")),
])
def test_decimals_take_a_point_or_a_comma(text: str, expected: Decimal) -> None:
    assert parse_decimal(text, field=HOURS, low="0.25", high=24) == expected


@pytest.mark.parametrize("text", [
    "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e3", "0", "-1", "24.01", "0,1",
    "1,5,3", "1.5.3", "²", "abc", "", "9" * 5000, "1 5",
])
def test_bad_decimals_name_the_field_and_the_range(text: str) -> None:
    with pytest.raises(InvalidNumber) as refused:
        parse_decimal(text, field=HOURS, low="0.25", high=24)
    assert shown(refused.value, "en") == \
        "The number of hours must be a number from 0.25 to 24, for example 1.5."
    assert shown(refused.value, "fr") == \
        "Le nombre d’heures doit être un nombre de 0,25 à 24, par exemple 1,5."


def test_typed_decimals() -> None:
    assert check_decimal(1.5, field=HOURS, low=0, high=24) == Decimal("1.50")
    for value in (float("nan"), float("inf"), -float("inf"), Decimal("NaN"), 1e300, True):
        with pytest.raises(InvalidNumber):
            check_decimal(value, field=HOURS, low=0, high=24)


def test_lists() -> None:
    assert parse_whole_list("1440, 60", field=CAPACITY, low=1, high=20_160, most=5) == \
        (1440, 60)
    for text in ("1,2,3,4,5,6", ",", "", "60,²", "60,-5", "60,99999999999999999999"):
        with pytest.raises(InvalidNumber):
            parse_whole_list(text, field=CAPACITY, low=1, high=20_160, most=5)


def test_numbers_as_each_language_writes_them() -> None:
    assert format_number(2_147_483_647, "en") == "2,147,483,647"
    assert format_number(2_147_483_647, "fr") == "2\u00a0147\u00a0483\u00a0647"
    assert format_number(3650, "fr") == "3650" and format_number(3650, "en") == "3,650"
    assert format_number(Decimal("0.25"), "fr") == "0,25"
    assert format_number(Decimal("24.00"), "en") == "24"
    assert format_number(-5, "fr") == "-5"
