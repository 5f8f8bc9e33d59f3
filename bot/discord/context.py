"""One interaction turned into the core's words: who (``Actor``), where (``Place``),
plus small helpers to answer it with a rendered ``Message``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.core.render.message import Message
from bot.core.types import Actor, Place, Platform
from bot.discord.errors import GuildOnly, MalformedInteraction
from bot.discord.render import send

if TYPE_CHECKING:
    from bot.core.app import Core


def is_moderator(interaction: discord.Interaction, permission: str) -> bool:
    """Whether the member has ``permission`` (e.g. ``manage_guild``) in this channel."""
    return bool(getattr(interaction.permissions, permission, False))


def place_of(interaction: discord.Interaction) -> Place:
    if interaction.guild_id is None:
        raise GuildOnly()
    guild = interaction.guild
    return Place(
        Platform.DISCORD,
        str(interaction.guild_id),
        str(interaction.channel_id or ""),
        getattr(guild, "name", None) or "",
    )


def actor_of(interaction: discord.Interaction, permission: str) -> Actor:
    user = interaction.user
    if not isinstance(user, discord.abc.User):
        # The payload had neither ``member`` nor ``user``.
        raise MalformedInteraction()
    return Actor(
        Platform.DISCORD,
        str(user.id),
        user.display_name,
        is_moderator(interaction, permission),
    )


@dataclass(frozen=True, slots=True)
class Call:
    """An interaction being handled, with the actor and place the services need."""

    core: Core
    interaction: discord.Interaction
    actor: Actor
    place: Place

    @property
    def member(self) -> discord.Member | None:
        user = self.interaction.user
        return user if isinstance(user, discord.Member) else None

    async def reply(self, message: Message, *, ephemeral: bool | None = None) -> None:
        """Answer with ``message`` (a follow-up when the interaction was already answered)."""
        await send(self.interaction, message, ephemeral=ephemeral)

    async def defer(self, *, ephemeral: bool) -> None:
        if not self.interaction.response.is_done():
            await self.interaction.response.defer(ephemeral=ephemeral, thinking=True)


__all__ = ["Call", "actor_of", "is_moderator", "place_of"]
