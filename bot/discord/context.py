"""One interaction turned into the core's words: who (``Actor``), where (``Place``),
plus small helpers to answer it with a rendered ``Message``.

Who moderates a collective on Discord: members with the configured permission
(``discord.moderator_permission``, *Manage Server* by default) in the channel,
and members holding the collective's moderator role (``/config moderateurs``).
Organisers (meetups, polls) hold the organiser role, or moderate.
"""

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
    from bot.core.services.configuration import Profile


def is_moderator(interaction: discord.Interaction, permission: str) -> bool:
    """Whether the member has ``permission`` (e.g. ``manage_guild``) in this channel."""
    return bool(getattr(interaction.permissions, permission, False))


def role_ids(interaction: discord.Interaction) -> frozenset[str]:
    """The member's role ids as strings, @everyone (the guild id) included.

    Read from the interaction's own member data (``Member._roles``), so a role
    missing from discord.py's cache still counts.
    """
    user = interaction.user
    if not isinstance(user, discord.Member) or interaction.guild_id is None:
        return frozenset()
    raw = getattr(user, "_roles", None)
    ids = [int(r) for r in raw] if raw is not None else [r.id for r in user.roles]
    return frozenset({str(interaction.guild_id), *(str(i) for i in ids)})


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


def actor_of(
    interaction: discord.Interaction, permission: str, profile: Profile | None = None
) -> Actor:
    """The member acting; with the collective's ``profile``, its moderator and
    organiser roles count too."""
    user = interaction.user
    if not isinstance(user, discord.abc.User):
        # The payload had neither ``member`` nor ``user``.
        raise MalformedInteraction()
    roles = role_ids(interaction)
    moderator = is_moderator(interaction, permission)
    organiser = False
    if profile is not None:
        if profile.moderator_role_id and profile.moderator_role_id in roles:
            moderator = True
        if profile.organiser_role_id and profile.organiser_role_id in roles:
            organiser = True
    return Actor(
        Platform.DISCORD,
        str(user.id),
        user.display_name,
        moderator,
        is_organiser=moderator or organiser,
        roles=roles,
    )


async def actor_and_place(
    core: Core, interaction: discord.Interaction, permission: str
) -> tuple[Actor, Place, Profile]:
    """The actor and place of an interaction, and the collective's profile (cached)."""
    place = place_of(interaction)
    profile = await core.profile(place)
    return actor_of(interaction, permission, profile), place, profile


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


__all__ = ["Call", "actor_and_place", "actor_of", "is_moderator", "place_of", "role_ids"]
