"""The Discord voting forms and live messages, without a network: custom ids that
carry partial ballots, the steps drawn for each method, the throttled refresh."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.i18n import use_locale
from bot.core.render.message import Message
from bot.core.services.polls import OPTION_KEYS, OptionInfo, PollInfo
from bot.discord.errors import UnknownComponent
from bot.discord.views import ACTION_ID, parse_custom_id
from cogs.demands import LiveMessages
from cogs.polls import (
    choice_step,
    first_step,
    graded_ballot,
    grading_step,
    parse_grades,
    parse_ranking,
    poll_message,
    ranked_ballot,
    ranking_step,
    split_numbers,
    split_options,
)


def info(method: str = "single", options: int = 3, number: int = 7,
         voted: bool = False) -> PollInfo:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    return PollInfo(
        number, "Assemblée", method, "open",
        tuple(OptionInfo(key, f"Option {key}", None) for key in OPTION_KEYS[:options]),
        moment, moment, "Europe/Paris", True, False, False, "everyone", None, None, 0, voted,
    )


def ids(step: Any) -> list[str]:
    return [s.custom_id for s in step.selects] + [a.custom_id for a in step.message.actions]


def test_text_options_and_numbers() -> None:
    assert split_options(" Lyon; Paris;;Nantes ") == ("Lyon", "Paris", "Nantes")
    assert split_options(None) == ()
    assert split_numbers("1, #2;3 4") == (1, 2, 3, 4)
    assert split_numbers("") == ()
    with use_locale("fr"), pytest.raises(Exception, match="demand"):
        split_numbers("1,deux")


def test_rankings_in_custom_ids() -> None:
    assert parse_ranking("12.BA") == (12, "BA")
    assert parse_ranking("12") == (12, "")
    assert parse_ranking("12.BA", ["A", "B", "C"]) == (12, "BA")
    for broken in ("12.BB", "x.A", "12.a", "", None, "12.A.B"):
        with pytest.raises(UnknownComponent):
            parse_ranking(broken)
    with pytest.raises(UnknownComponent):
        parse_ranking("12.D", ["A", "B", "C"])
    assert ranked_ballot("CA") == (("C",), ("A",))


def test_grades_in_custom_ids() -> None:
    assert parse_grades("12.2-5.B", 3) == (12, "2-5", "B")
    assert parse_grades("12.2-5", 2) == (12, "2-5", None)
    for broken in ("12.2-7.B", "12..B", "12.2-5", "x.2-5.B"):
        with pytest.raises(UnknownComponent):
            parse_grades(broken, 3)
    assert graded_ballot(["A", "B", "C"], "2-6") == {"A": "bien", "C": "a_rejeter"}


def test_every_custom_id_fits_the_convention_with_twenty_options() -> None:
    big = info("schulze", options=20, number=9_999_999_999)
    step = ranking_step(big, OPTION_KEYS[:19])
    judged = grading_step(info("majority_judgment", 20, 9_999_999_999), "6" * 20, 4)
    for custom_id in ids(step) + ids(judged):
        assert ACTION_ID.fullmatch(custom_id), custom_id
        assert len(custom_id) <= 100


def test_first_steps_by_method() -> None:
    with use_locale("en"):
        single = first_step(info("single"))
        assert ids(single) == ["poll:single:7", "poll:blank:7"]
        assert single.selects[0].max_values == 1
        approval = choice_step(info("approval"))
        assert approval.selects[0].max_values == 3
        assert ids(first_step(info("irv"))) == ["poll:rank:7", "poll:blank:7"]
        judged = first_step(info("majority_judgment", options=5))
        assert ids(judged)[:4] == [f"poll:grade:7.-----.{key}" for key in "ABCD"]
        assert "poll:grades:7.-----.1" in ids(judged)
        assert judged.message.footer == "Page 1/2"


def test_ranking_steps_offer_the_remaining_options() -> None:
    with use_locale("en"):
        step = ranking_step(info("schulze", voted=True), "B")
        assert ids(step) == ["poll:rank:7.B", "poll:ranked:7.B", "poll:rank:7"]
        assert [o.value for o in step.selects[0].options] == ["A", "C"]
        assert "1. **B.** Option B" in step.message.lines
        assert "You have voted; you may change your ballot until closing." \
            in step.message.lines
        done = ranking_step(info("schulze"), "CAB")
        assert done.selects == ()
        assert ids(done) == ["poll:ranked:7.CAB", "poll:rank:7"]


def test_grading_pages_keep_the_grades_chosen() -> None:
    with use_locale("en"):
        step = grading_step(info("majority_judgment", options=5), "1---2", 1)
        assert ids(step) == ["poll:grade:7.1---2.E", "poll:grades:7.1---2.0",
                             "poll:graded:7.1---2"]
        defaults = [o.value for o in step.selects[0].options if o.default]
        assert defaults == ["bien"]
        rows = step.view().to_components()  # type: ignore[union-attr]
        assert [row["components"][0]["type"] for row in rows] == [3, 2]


class FakeMessage:
    def __init__(self, log: list[tuple[int, Any]], message_id: int) -> None:
        self.log, self.message_id = log, message_id

    async def edit(self, **kwargs: Any) -> None:
        self.log.append((self.message_id, kwargs["embed"].title))


class FakeChannel:
    def __init__(self, log: list[tuple[int, Any]]) -> None:
        self.log = log

    def get_partial_message(self, message_id: int) -> FakeMessage:
        return FakeMessage(self.log, message_id)


class FakeBot:
    def __init__(self) -> None:
        self.edits: list[tuple[int, Any]] = []

    def get_partial_messageable(self, channel_id: int, *, guild_id: int) -> FakeChannel:
        return FakeChannel(self.edits)


async def test_live_messages_edit_at_most_once_per_interval_with_the_latest_state() -> None:
    bot = FakeBot()
    live = LiveMessages(bot, interval=1.0)  # type: ignore[arg-type]

    def build(title: str) -> Any:
        async def make() -> Message:
            return Message(title=title)
        return make

    live.refresh("unknown", build("ignored"))  # shown nowhere: nothing to do
    live.remember("poll", 1, 2, 3)
    live.remember("poll", 1, 2, 4)
    for title in ("first", "second", "third"):
        live.refresh("poll", build(title))
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    assert bot.edits == [(3, "first"), (4, "first")], "at once, then nothing for a second"
    for _ in range(100):
        if len(bot.edits) >= 4:
            break
        await asyncio.sleep(0.05)
    assert bot.edits[2:] == [(3, "third"), (4, "third")], "the latest state, once"
    live.close()


def test_public_poll_has_the_button_not_the_text_command_hint() -> None:
    with use_locale("en"):
        message = poll_message(info("approval", voted=True), None)
    assert not any("!vote" in line for line in message.lines)
    assert not any("You have voted" in line for line in message.lines)
    assert [a.custom_id for a in message.actions] == ["poll:vote:7"]


def test_custom_ids_parse_back() -> None:
    assert parse_custom_id("poll:grade:7.1---2.E") == ("poll:grade", "7.1---2.E")
    assert parse_custom_id("poll:rank:7") == ("poll:rank", "7")
