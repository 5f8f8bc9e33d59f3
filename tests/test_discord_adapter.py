"""Adapter wiring that needs no network: bot choice, endpoints, extensions, errors."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from bot.core.app import Core
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import use_locale
from bot.discord import adapter
from bot.discord.errors import (
    GuildOnly,
    MalformedInteraction,
    UnknownCommand,
    UnknownComponent,
    classify,
    reply_for,
)
from tests.conftest import make_settings


def core_with(tmp_path: Path, **discord_settings: object) -> Core:
    return Core(make_settings(tmp_path, discord={"token": "x", **discord_settings}))


async def test_plain_or_sharded_bot_from_the_settings(tmp_path: Path) -> None:
    plain = adapter.build_bot(core_with(tmp_path))
    assert type(plain) is adapter.DiscordBot and not isinstance(plain, commands.AutoShardedBot)
    sharded = adapter.build_bot(core_with(tmp_path, shard_ids=[0, 1], shard_count=4))
    assert isinstance(sharded, commands.AutoShardedBot)
    assert sharded.shard_ids == [0, 1] and sharded.shard_count == 4
    for bot in (plain, sharded):
        assert bot.allowed_mentions is not None
        assert bot.allowed_mentions.to_dict() == {"parse": []}
        assert bot.intents.value == discord.Intents(guilds=True).value
        assert isinstance(bot.tree, adapter.CommandTree)
        await bot.core.close()


def test_bad_settings_stop_the_adapter_early(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="moderator_permission"):
        adapter.build_bot(core_with(tmp_path, moderator_permission="manage_everything"))
    with pytest.raises(ValueError, match="shard_count"):
        adapter.build_bot(core_with(tmp_path, shard_ids=[0]))


def test_endpoints_point_discord_py_elsewhere(tmp_path: Path) -> None:
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert isinstance(old[1], yarl.URL)
    settings = make_settings(tmp_path, discord={"api_base": "http://proxy:8080/api/v10/",
                                                "gateway_url": "ws://gateway:9000/"}).discord
    try:
        adapter.configure_endpoints(settings)
        assert discord.http.Route.BASE == "http://proxy:8080/api/v10"
        assert discord.http.Route("GET", "/users/@me").url == "http://proxy:8080/api/v10/users/@me"
        assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://gateway:9000/")
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old


def test_every_cogs_module_is_an_extension() -> None:
    assert "cogs.tribune" in adapter.extension_names()
    assert all(not name.split(".")[-1].startswith("_") for name in adapter.extension_names())


def test_discord_py_internals_the_adapter_relies_on() -> None:
    # The interaction parser guard and the command tree override need these.
    assert callable(discord.state.ConnectionState.parse_interaction_create)
    assert callable(app_commands.CommandTree._call)


async def test_a_failing_extension_stops_the_start(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bot = adapter.build_bot(core_with(tmp_path))
    monkeypatch.setattr(adapter, "extension_names", lambda: ["cogs.does_not_exist"])
    with pytest.raises(commands.ExtensionNotFound):
        await bot.setup_hook()
    await bot.core.close()


@pytest.mark.parametrize(
    ("error", "shown", "level"),
    [
        (PermissionDenied(), PermissionDenied, logging.DEBUG),
        (NotFound(), NotFound, logging.DEBUG),
        (UnknownComponent(), UnknownComponent, logging.WARNING),
        (MalformedInteraction(), MalformedInteraction, logging.WARNING),
        (app_commands.NoPrivateMessage(), GuildOnly, logging.DEBUG),
        (app_commands.CommandNotFound("sondage", []), UnknownCommand, logging.WARNING),
        (app_commands.CheckFailure(), PermissionDenied, logging.WARNING),
    ],
)
def test_errors_are_classified(error: Exception, shown: type, level: int) -> None:
    result, found_level = classify(error)
    assert isinstance(result, shown) and found_level == level


def test_command_errors_are_unwrapped_and_unexpected_ones_get_a_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    command = app_commands.Command(name="x", description="x", callback=_callback)
    wrapped = app_commands.CommandInvokeError(command, InvalidInput())
    assert isinstance(classify(wrapped)[0], InvalidInput)
    crash = app_commands.CommandInvokeError(command, ZeroDivisionError("boom"))
    assert classify(crash) == (None, logging.ERROR)
    with use_locale("en"), caplog.at_level(logging.WARNING, logger="bot.discord.errors"):
        message = reply_for(crash, "interaction 1")
    assert "Something went wrong on our side" in message.lines[0]
    reference = message.lines[0].rsplit(" ", 1)[-1]
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert reference in record.getMessage() and record.exc_info is not None


async def _callback(interaction: discord.Interaction) -> None:
    return None


async def test_shutdown_lets_running_interactions_answer() -> None:
    answered: list[str] = []

    async def handler(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        answered.append(name)

    loop = asyncio.get_running_loop()
    quick = loop.create_task(handler("modal", 0.2), name="discord-ui-modal-dispatch-1")
    slow = loop.create_task(handler("slow", 30), name="CommandTree-invoker")
    other = loop.create_task(handler("unrelated", 30), name="keepalive")
    started = loop.time()
    await adapter.finish_interactions(asyncio.current_task(), within=1.0)
    assert answered == ["modal"] and quick.done()
    assert not slow.done() and 0.9 <= loop.time() - started < 5, "bounded by the timeout"
    for task in (slow, other):
        task.cancel()
    await asyncio.gather(slow, other, return_exceptions=True)
    await adapter.finish_interactions(None, within=1.0)  # nothing left: returns at once
