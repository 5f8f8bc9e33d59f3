"""Dates members type, in French or English, read in the collective's time zone.

``jeudi 19h30``, ``12/12 à 18h``, ``demain 9h``, ``1er décembre 18h30``,
``2026-12-01T18:00`` and ``next thursday 7pm`` all work. Parsing is done by
dateparser once French hour forms (``18h30``) and filler words are normalised.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime

from bot.core.errors import InvalidInput
from bot.core.i18n import N_, current_locale

_HOURS = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b", re.IGNORECASE)
_FILLERS = re.compile(r"\b(à|a|le|at|on|prochain|prochaine)\b", re.IGNORECASE)
MAX_LENGTH = 80
# Dates further than this from today are refused: nothing the bot plans is that far
# away, and the extremes (year 1, year 9999) cannot even be moved to another zone.
MAX_YEARS = 100


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def known_zone(name: str) -> str | None:
    """The IANA name of the time zone ``name`` (any case), or None when there is none.

    Only names of the zone database are looked up, never a path built from the text.
    """
    return _zones().get(name.strip().casefold())


def _normalise(text: str) -> str:
    text = _HOURS.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", text.strip())
    return re.sub(r"\s+", " ", _FILLERS.sub(" ", text)).strip()


def parse_when(text: str, timezone: str, *, now: datetime | None = None) -> datetime:
    """An aware datetime in ``timezone``; dates without a year are the next ones."""
    import dateparser  # imported on first use: it loads many language tables

    zone = ZoneInfo(timezone)
    now = (now or datetime.now(UTC)).astimezone(zone)
    cleaned = _normalise(text)[:MAX_LENGTH] if text else ""
    parsed = None
    if cleaned:
        try:
            parsed = datetime.fromisoformat(cleaned)
        except ValueError:
            parsed = dateparser.parse(
                cleaned,
                languages=["fr", "en"],
                settings={
                    "PREFER_DATES_FROM": "future",
                    "RELATIVE_BASE": now.replace(tzinfo=None),
                    "DATE_ORDER": "DMY",
                    "RETURN_AS_TIMEZONE_AWARE": False,
                },
            )
    if parsed is None:
        raise InvalidInput(
            N_("“{text}” is not a date I understand. Write it like {examples}."),
            text=(text or "")[:MAX_LENGTH],
            examples="« jeudi 19h30 », « 12/12 à 18h », « 2026-12-01 18:00 »",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    span = timedelta(days=365 * MAX_YEARS)
    try:
        moment = parsed.astimezone(zone)
        within = now - span <= moment <= now + span
    except (OverflowError, ValueError):
        within = False
    if not within:
        raise InvalidInput(
            N_("“{text}” is too far from today: give a date within {years} years."),
            text=(text or "")[:MAX_LENGTH],
            years=MAX_YEARS,
        )
    return moment


def format_when(moment: datetime, timezone: str, locale: str | None = None) -> str:
    """``jeudi 26 novembre 2026 à 19:30`` in the collective's zone and language."""
    locale = locale or current_locale()
    pattern = "EEEE d MMMM y 'à' HH:mm" if locale == "fr" else "EEEE d MMMM y 'at' HH:mm"
    return format_datetime(moment.astimezone(ZoneInfo(timezone)), pattern, locale=locale)
