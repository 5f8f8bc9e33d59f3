"""``/federation``: link collectives (Discord guilds, Matrix rooms) into one
federation that shares the workflows.

Collective moderators create, join with a one-time code, leave and choose what
they share; federation moderators issue codes, remove collectives and name
other federation moderators. The services check every right.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.render import admin as render
from bot.core.services.federation import COLLECTIVE_NUMBER, COLLECTIVES_MOST, NAME_LIMIT
from bot.core.types import Actor, Platform
from bot.discord.adapter import DiscordBot
from bot.discord.translator import add_texts, text
from cogs._numbers import whole
from cogs.config import WORKFLOW_CHOICES

CollectiveNumber = whole(COLLECTIVE_NUMBER, 1, COLLECTIVES_MOST)

TEXTS: dict[str, tuple[str, str]] = {
    "federation": ("federation", "federation"),
    "federation.description": (
        "La fédération des collectifs : la voir, la créer, la rejoindre",
        "The federation of collectives: see it, create it, join it",
    ),
    "federation.show": ("voir", "show"),
    "federation.show.description": (
        "La fédération de ce collectif et ses membres",
        "This collective's federation and its members",
    ),
    "federation.create": ("creer", "create"),
    "federation.create.description": (
        "(Modération) Créer une fédération avec ce collectif",
        "(Moderators) Create a federation with this collective",
    ),
    "federation.create.name": ("nom", "name"),
    "federation.create.name.description": ("Nom de la fédération", "The federation's name"),
    "federation.code": ("code", "code"),
    "federation.code.description": (
        "(Modération de la fédération) Un code à usage unique pour un autre collectif",
        "(Federation moderators) A one-time code for another collective",
    ),
    "federation.join": ("rejoindre", "join"),
    "federation.join.description": (
        "(Modération) Rejoindre une fédération avec son code",
        "(Moderators) Join a federation with its code",
    ),
    "federation.join.code": ("code", "code"),
    "federation.join.code.description": (
        "Le code reçu d'un·e modérateur·ice de la fédération",
        "The code a federation moderator gave you",
    ),
    "federation.leave": ("quitter", "leave"),
    "federation.leave.description": (
        "(Modération) Quitter la fédération",
        "(Moderators) Leave the federation",
    ),
    "federation.remove": ("retirer", "remove"),
    "federation.remove.description": (
        "(Modération de la fédération) Retirer un collectif de la fédération",
        "(Federation moderators) Remove a collective from the federation",
    ),
    "federation.remove.number": ("numero", "number"),
    "federation.remove.number.description": (
        "Le numéro du collectif dans /federation voir",
        "The collective's number in /federation show",
    ),
    "federation.moderator": ("moderateur", "moderator"),
    "federation.moderator.description": (
        "(Modération de la fédération) Nommer un·e modérateur·ice de la fédération",
        "(Federation moderators) Make someone a federation moderator",
    ),
    "federation.moderator.member": ("membre", "member"),
    "federation.moderator.member.description": (
        "Le membre à nommer",
        "The member to appoint",
    ),
    "federation.share": ("partage", "share"),
    "federation.share.description": (
        "(Modération) Partager un flux avec la fédération, ou le garder ici",
        "(Moderators) Share a workflow with the federation, or keep it here",
    ),
    "federation.share.workflow": ("flux", "workflow"),
    "federation.share.workflow.description": ("Le flux concerné", "The workflow"),
    "federation.share.shared": ("partager", "shared"),
    "federation.share.shared.description": (
        "Oui : partagé avec la fédération ; non : gardé dans ce collectif",
        "Yes: shared with the federation; no: kept in this collective",
    ),
}
add_texts(TEXTS)


class Federation(commands.Cog):
    group = app_commands.Group(
        name=text("federation"),
        description=text("federation.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    @group.command(name=text("federation.show"), description=text("federation.show.description"))
    async def show(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.federation(
                await call.core.federation.status(call.actor, call.place)))

    @group.command(name=text("federation.create"),
                   description=text("federation.create.description"))
    @app_commands.rename(name=text("federation.create.name"))
    @app_commands.describe(name=text("federation.create.name.description"))
    async def create(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, NAME_LIMIT]
    ) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.federation.create(call.actor, call.place, name)
            await call.reply(render.federation_changed(info, "create"))

    @group.command(name=text("federation.code"), description=text("federation.code.description"))
    async def code(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.federation_code(
                await call.core.federation.issue_code(call.actor, call.place)))

    @group.command(name=text("federation.join"), description=text("federation.join.description"))
    @app_commands.rename(code=text("federation.join.code"))
    @app_commands.describe(code=text("federation.join.code.description"))
    async def join(
        self, interaction: discord.Interaction, code: app_commands.Range[str, 1, 40]
    ) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.federation.join(call.actor, call.place, code)
            await call.reply(render.federation_changed(info, "join"))

    @group.command(name=text("federation.leave"),
                   description=text("federation.leave.description"))
    async def leave(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.federation.leave(call.actor, call.place)
            await call.reply(render.federation_changed(info, "leave"))

    @group.command(name=text("federation.remove"),
                   description=text("federation.remove.description"))
    @app_commands.rename(number=text("federation.remove.number"))
    @app_commands.describe(number=text("federation.remove.number.description"))
    async def remove(
        self, interaction: discord.Interaction, number: CollectiveNumber
    ) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.federation.remove(call.actor, call.place, number)
            await call.reply(render.federation_changed(info, "remove"))

    @group.command(name=text("federation.moderator"),
                   description=text("federation.moderator.description"))
    @app_commands.rename(member=text("federation.moderator.member"))
    @app_commands.describe(member=text("federation.moderator.member.description"))
    async def moderator(self, interaction: discord.Interaction, member: discord.User) -> None:
        async with self.bot.begin(interaction) as call:
            target = Actor(Platform.DISCORD, str(member.id), member.display_name)
            info = await call.core.federation.add_moderator(call.actor, call.place, target)
            await call.reply(render.federation_changed(info, "moderator"))

    @group.command(name=text("federation.share"),
                   description=text("federation.share.description"))
    @app_commands.rename(workflow=text("federation.share.workflow"),
                         shared=text("federation.share.shared"))
    @app_commands.describe(workflow=text("federation.share.workflow.description"),
                           shared=text("federation.share.shared.description"))
    @app_commands.choices(workflow=WORKFLOW_CHOICES)
    async def share(self, interaction: discord.Interaction, workflow: str, shared: bool) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.scope_changed(
                await call.core.federation.set_scope(call.actor, call.place, workflow, shared)))


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Federation(bot))
