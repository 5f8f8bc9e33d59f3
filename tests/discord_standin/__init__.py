"""Loopback stand-in for Discord's gateway and REST API, for end-to-end tests of the bot.

Typical use::

    async with DiscordStandIn() as standin:
        env = DiscordEnv.create(standin)
        # start the bot with discord.api_base = standin.api_base
        # and discord.gateway_url = standin.gateway_url
        inter = await env.slash("ping", user=env.user("alice"))
        reply = await env.answer(inter)
"""

from .helpers import (
    DiscordEnv,
    capture_discord_errors,
    format_log_records,
    redirect_discord_py,
    run_client,
    task_problem,
)
from .payloads import (
    AttachmentSpec,
    InteractionType,
    OptionType,
    command_data,
    component_interaction,
    interaction_base,
    modal_submit_components,
    modal_submit_interaction,
    slash_interaction,
)
from .records import EPHEMERAL, InteractionRecord, RecordedFile, RecordedRequest, StoredMessage
from .server import DiscordStandIn, GatewayConnection, GatewaySession
from .world import ChannelType, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Perm, World

__all__ = [
    "EPHEMERAL",
    "AttachmentSpec",
    "ChannelType",
    "DiscordEnv",
    "DiscordStandIn",
    "FakeChannel",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "GatewayConnection",
    "GatewaySession",
    "InteractionRecord",
    "InteractionType",
    "OptionType",
    "Perm",
    "RecordedFile",
    "RecordedRequest",
    "StoredMessage",
    "World",
    "capture_discord_errors",
    "command_data",
    "component_interaction",
    "format_log_records",
    "interaction_base",
    "modal_submit_components",
    "modal_submit_interaction",
    "redirect_discord_py",
    "run_client",
    "slash_interaction",
    "task_problem",
]
