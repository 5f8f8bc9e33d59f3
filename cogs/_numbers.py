"""Whole-number slash options whose limits hold on the bot's side too.

``app_commands.Range[int, low, high]`` only tells Discord the limits: the client
enforces them, discord.py does not check the value it receives. An option
declared here keeps the limits in the command's schema *and* checks the value
before the command runs, refusing it with the range named
(« Le numéro doit être un nombre entier de 1 à 2 147 483 647. »). Not a cog (the
leading underscore keeps it out of the loaded extensions).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.core.i18n import N_
from bot.core.numbers import ID_MAX, PAGE_MAX, InvalidNumber, check_whole
from bot.core.services.aid import EXCHANGE_NUMBER, POST_NUMBER
from bot.core.services.demands import DEMAND_NUMBER
from bot.core.services.faq import QUESTION_NUMBER
from bot.core.services.meetups import CAPACITY_MAX, MEETUP_NUMBER
from bot.discord.errors import UnknownComponent

# The largest integer a Discord integer option carries (JSON numbers are doubles).
DISCORD_INT_MAX = 2**53
# Discord ids (snowflakes) are unsigned 64-bit integers.
SNOWFLAKE_MAX = 2**64 - 1


class OptionRefused(InvalidNumber, app_commands.AppCommandError):
    """An integer option out of its range: an AppCommandError so that discord.py hands it,
    unwrapped, to the tree's error handler, which shows it as the domain error it is."""


class WholeOption(app_commands.Transformer):
    """An integer option from ``low`` to ``high``; ``field`` names it in the refusal."""

    def __init__(self, field: str, low: int, high: int) -> None:
        if not -DISCORD_INT_MAX <= low <= high <= DISCORD_INT_MAX:
            raise ValueError("Discord integer options hold at most 2**53")
        self.field, self.low, self.high = field, low, high

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return self.low

    @property
    def max_value(self) -> int:
        return self.high

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> int:
        try:
            return check_whole(value, field=self.field, low=self.low, high=self.high)
        except InvalidNumber as exc:
            raise OptionRefused(exc.message, **exc.params) from None


def whole(field: str, low: int, high: int) -> Any:
    """The annotation of an integer option: ``number: whole(N_("The number"), 1, 99)``."""
    return app_commands.Transform[int, WholeOption(field, low, high)]


# Record numbers (polls, meetups, demands, posts, questions) are database ids.
Number = whole(N_("The number"), 1, ID_MAX)
PollNumber = whole(N_("The poll number"), 1, ID_MAX)
DemandNumber = whole(DEMAND_NUMBER, 1, ID_MAX)
MeetupNumber = whole(MEETUP_NUMBER, 1, ID_MAX)
PostNumber = whole(POST_NUMBER, 1, ID_MAX)
ExchangeNumber = whole(EXCHANGE_NUMBER, 1, ID_MAX)
QuestionNumber = whole(QUESTION_NUMBER, 1, ID_MAX)
Page = whole(N_("The page"), 1, PAGE_MAX)
# The meetup service checks capacities itself, with its own word for zero or less.
Capacity = app_commands.Range[int, 1, CAPACITY_MAX]


def custom_number(word: str | None, *, low: int = 1, high: int = ID_MAX) -> int:
    """A number carried by a button's ``custom_id`` (which the bot wrote): ASCII digits
    within range, else the button is treated as unknown (a forged or stale payload)."""
    if word is None or not (word.isascii() and word.isdigit()) or len(word) > 20 \
            or not low <= int(word) <= high:
        raise UnknownComponent()
    return int(word)
