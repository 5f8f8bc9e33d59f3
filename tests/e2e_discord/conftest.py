"""Fixtures: a stand-in with a guild, the bot process, the tribune helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord_standin import DiscordEnv, DiscordStandIn
from tests.discord_standin.fixtures import discord_standin  # noqa: F401
from tests.e2e_discord.harness import BotProcess, Tribune


@pytest.fixture
def env(discord_standin: DiscordStandIn) -> DiscordEnv:  # noqa: F811
    return DiscordEnv.create(discord_standin, guild_name="Collectif Lyon",
                             channels=("general", "annonces"))


@pytest.fixture
async def bot(discord_standin: DiscordStandIn, tmp_path: Path,  # noqa: F811
              bot_database: str) -> AsyncIterator[BotProcess]:
    process = BotProcess(discord_standin, tmp_path, database_url=bot_database)
    try:
        yield process
    finally:
        code = await process.stop()
        assert code == 0, f"the bot exited with {code}\n{process.log_text()}"
        problems = process.problems()
        assert not problems, "\n".join(problems) + "\n\n" + process.log_text()


@pytest.fixture
def tribune_unstarted(env: DiscordEnv, bot: BotProcess) -> Tribune:
    """The helpers, the bot not started yet (to change its config or data first)."""
    return Tribune(env, bot)


@pytest.fixture
async def tribune(tribune_unstarted: Tribune) -> Tribune:
    await tribune_unstarted.bot.start()
    return tribune_unstarted
