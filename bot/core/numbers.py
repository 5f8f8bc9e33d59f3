"""Numbers members type, checked once: whole numbers, decimals and their limits.

Every number a member gives (a poll or meetup number, a page, a capacity, hours, a
power level, a number of days) goes through here before it reaches arithmetic or
the database. A value outside its range, a word that is not a number, ``"²"``
(a digit to ``str.isdigit`` but refused by ``int``), ``"nan"`` or ``"inf"`` all
raise :class:`InvalidNumber`, whose message names the field and the allowed range:

    parse_whole("0", field=N_("The capacity"), low=1, high=10_000)
    -> "The capacity must be a whole number from 1 to 10,000."
    -> « La capacité doit être un nombre entier de 1 à 10 000. »

``field`` is a capitalised noun phrase marked with ``N_`` (``N_("The capacity")``)
so that each language can put its own article in front of the noun.

Platform neutral: no chat syntax, no Discord, no Matrix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.errors import InvalidInput
from bot.core.i18n import N_, Translatable, current_locale

# Record ids (polls, meetups, demands, aid posts, FAQ entries...) are SQL INTEGER
# columns: 32-bit signed on PostgreSQL, so no id can be larger than this.
ID_MAX = 2**31 - 1
# Pages of a listing: far more than any listing will ever have, small enough for
# any OFFSET arithmetic.
PAGE_MAX = 100_000
# The largest value any whole-number field may have, whatever its own limit:
# SQLite and PostgreSQL BIGINT hold 64-bit signed integers.
INT64_MAX = 2**63 - 1

# Digits a member may type: ASCII only. ``"²"`` or ``"١٢"`` are digits to
# ``str.isdigit`` but not numbers a member means. No ``_`` (``int("1_0")`` is 10),
# no exponent, no spaces inside.
_WHOLE = re.compile(r"[+-]?[0-9]+")
# Decimals take a point or a comma: a French speaker writes ``1,5``.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
# More characters than this cannot be a number in any of our ranges; checking the
# length first keeps ``int()`` away from huge strings.
_MAX_CHARS = 40


class LocalNumber:
    """A number shown with the reader's digit grouping, decided when it is shown.

    Messages are translated when rendered, possibly in another locale than the one
    in force when the error was raised, so the formatting waits for ``format()``.
    """

    __slots__ = ("value",)

    def __init__(self, value: int | Decimal | float) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return format_number(self.value)

    def __str__(self) -> str:
        return format_number(self.value)

    def __repr__(self) -> str:
        return f"LocalNumber({self.value!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LocalNumber):
            return self.value == other.value
        return bool(self.value == other)

    def __hash__(self) -> int:
        return hash(self.value)


def format_number(value: int | Decimal | float, locale: str | None = None) -> str:
    """``10000`` as ``10,000`` in English and ``10 000`` in French (no-break space);
    ``1.5`` as ``1.5`` and ``1,5``."""
    locale = locale or current_locale()
    if isinstance(value, float):
        value = Decimal(repr(value))
    negative = value < 0
    text = format(abs(value), "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    if locale == "en":
        group, point = ",", "."
    else:
        group, point = "\u00a0", ","
    if len(whole) > 4 or (locale == "en" and len(whole) > 3):
        whole = f"{int(whole):,}".replace(",", group)
    shown = whole + (point + fraction if fraction else "")
    return ("-" if negative else "") + shown


class InvalidNumber(InvalidInput):
    """A number the member gave is not a number, or not within its range."""

    message = N_("{field} must be a whole number from {low} to {high}.")


def _whole_error(field: str, low: int, high: int) -> InvalidNumber:
    return InvalidNumber(field=_label(field), low=LocalNumber(low), high=LocalNumber(high))


def _decimal_error(field: str, low: Decimal, high: Decimal) -> InvalidNumber:
    return InvalidNumber(
        N_("{field} must be a number from {low} to {high}, for example {example}."),
        field=_label(field), low=LocalNumber(low), high=LocalNumber(high),
        example=LocalNumber(_example(low, high)),
    )


def _label(field: str) -> str:
    return field if isinstance(field, Translatable) else N_(field)


def _example(low: Decimal, high: Decimal) -> Decimal:
    for candidate in (Decimal("1.5"), Decimal("0.5"), low):
        if low <= candidate <= high:
            return candidate
    return low


def check_whole(value: Any, *, field: str, low: int, high: int) -> int:
    """``value`` itself when it is an ``int`` from ``low`` to ``high``; else InvalidNumber.

    For numbers that arrive already typed (a Discord integer option, a service
    argument): bools, floats and anything else are refused as well.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _whole_error(field, low, high)
    return value


def parse_whole(text: str | int | None, *, field: str, low: int, high: int) -> int:
    """The whole number a member typed, from ``low`` to ``high``; else InvalidNumber.

    Accepts ASCII digits with an optional sign and surrounding spaces; an ``int``
    passes through :func:`check_whole`.
    """
    if high > INT64_MAX or low < -INT64_MAX:
        raise ValueError("a whole-number range must fit 64-bit integers")
    if isinstance(text, int) and not isinstance(text, bool):
        return check_whole(text, field=field, low=low, high=high)
    if not isinstance(text, str):
        raise _whole_error(field, low, high)
    word = text.strip()
    if len(word) > _MAX_CHARS or not _WHOLE.fullmatch(word):
        raise _whole_error(field, low, high)
    return check_whole(int(word), field=field, low=low, high=high)


def parse_whole_list(
    text: str, *, field: str, low: int, high: int, most: int, separator: str = ","
) -> tuple[int, ...]:
    """Whole numbers separated by ``separator`` (``"60,1440"``), each within range.

    Empty items are skipped; no number at all, or more than ``most``, is refused.
    """
    parts = [part for part in text.split(separator) if part.strip()]
    if not parts:
        raise _whole_error(field, low, high)
    if len(parts) > most:
        raise InvalidNumber(
            N_("{field} must be a whole number from {low} to {high}; give {most} of them at most."),
            field=_label(field), most=LocalNumber(most),
            low=LocalNumber(low), high=LocalNumber(high),
        )
    return tuple(parse_whole(part, field=field, low=low, high=high) for part in parts)


def check_decimal(
    value: Any, *, field: str, low: Decimal | int | str, high: Decimal | int | str,
    places: int = 2,
) -> Decimal:
    """``value`` (int, float or Decimal) as a Decimal rounded to ``places`` decimals,
    from ``low`` to ``high``; NaN, infinities and anything else raise InvalidNumber."""
    low, high = Decimal(str(low)), Decimal(str(high))
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _decimal_error(field, low, high)
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise _decimal_error(field, low, high)
        number = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise _decimal_error(field, low, high) from None
    if not low <= number <= high:
        raise _decimal_error(field, low, high)
    return number


def decimal_or_none(text: str) -> Decimal | None:
    """``text`` as a finite Decimal when it is written as one (``1,5``, ``-2``), else None;
    no range applied (for callers that word their own messages for some ranges)."""
    word = text.strip() if isinstance(text, str) else ""
    if len(word) > _MAX_CHARS or not _DECIMAL.fullmatch(word):
        return None
    return Decimal(word.replace(",", "."))


def parse_decimal(
    text: str | int | float | Decimal | None, *, field: str,
    low: Decimal | int | str, high: Decimal | int | str, places: int = 2,
) -> Decimal:
    """The decimal number a member typed, with a point or a comma (``1.5``, ``1,5``),
    rounded to ``places`` decimals, from ``low`` to ``high``; else InvalidNumber.

    ``nan``, ``inf``, exponents (``1e3``) and thousands separators are refused.
    """
    if not isinstance(text, str):
        return check_decimal(text, field=field, low=low, high=high, places=places)
    word = text.strip()
    if len(word) > _MAX_CHARS or not _DECIMAL.fullmatch(word):
        raise _decimal_error(field, Decimal(str(low)), Decimal(str(high)))
    return check_decimal(Decimal(word.replace(",", ".")), field=field, low=low, high=high,
                         places=places)


def all_whole(values: Iterable[Any], *, field: str, low: int, high: int) -> tuple[int, ...]:
    """:func:`check_whole` on each value."""
    return tuple(check_whole(value, field=field, low=low, high=high) for value in values)


def record_id(value: Any, *, field: str = N_("The number")) -> int:
    """A record number (poll, meetup, demand, post...) given to a service: 1 to
    :data:`ID_MAX`, else InvalidNumber naming ``field``."""
    return check_whole(value, field=field, low=1, high=ID_MAX)


def page(value: Any, *, field: str = N_("The page")) -> int:
    """A page number given to a service: 1 to :data:`PAGE_MAX`."""
    return check_whole(value, field=field, low=1, high=PAGE_MAX)
