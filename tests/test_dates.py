"""French and English dates, read in the collective's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.dates import format_when, parse_when
from bot.core.errors import InvalidInput

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # a Monday, 20:00 in Paris


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi 19h30", "2026-11-26 19:30"),
        ("12/12 à 18h", "2026-12-12 18:00"),
        ("demain 9h", "2026-11-24 09:00"),
        ("demain à 9h15", "2026-11-24 09:15"),
        ("1er décembre 18h30", "2026-12-01 18:30"),
        ("samedi 14h", "2026-11-28 14:00"),
        ("25/12/2026 18h", "2026-12-25 18:00"),
        ("2026-12-01T18:00", "2026-12-01 18:00"),
        ("2026-12-01 18:00", "2026-12-01 18:00"),
        ("mardi prochain 10h", "2026-11-24 10:00"),
        ("next thursday 7pm", "2026-11-26 19:00"),
    ],
)
def test_dates_in_paris(text: str, expected: str) -> None:
    moment = parse_when(text, "Europe/Paris", now=NOW)
    assert moment.strftime("%Y-%m-%d %H:%M") == expected
    assert moment.utcoffset().total_seconds() == 3600


def test_time_zone_of_the_collective() -> None:
    paris = parse_when("12/12 à 18h", "Europe/Paris", now=NOW)
    martinique = parse_when("12/12 à 18h", "America/Martinique", now=NOW)
    assert (martinique - paris).total_seconds() == 5 * 3600


@pytest.mark.parametrize("text", ["", "n'importe quoi", "32/13 à 25h"])
def test_nonsense_is_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, "Europe/Paris", now=NOW)
    assert "jeudi 19h30" in caught.value.params["examples"]


def test_formatting() -> None:
    moment = parse_when("jeudi 19h30", "Europe/Paris", now=NOW)
    assert format_when(moment, "Europe/Paris", "fr") == "jeudi 26 novembre 2026 à 19:30"
    assert format_when(moment, "Europe/Paris", "en") == "Thursday 26 November 2026 at 19:30"
