"""Pytest fixtures for the stand-in.

Use them from another conftest with::

    from tests.discord_standin.fixtures import discord_env, discord_standin
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .helpers import DiscordEnv
from .server import DiscordStandIn


@pytest_asyncio.fixture
async def discord_standin() -> AsyncIterator[DiscordStandIn]:
    """A started stand-in (empty world apart from the bot user), stopped after the test."""
    standin = DiscordStandIn()
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest_asyncio.fixture
async def discord_env(discord_standin: DiscordStandIn) -> DiscordEnv:
    """The stand-in with a guild "Test Guild" and a #general text channel."""
    return DiscordEnv.create(discord_standin)
