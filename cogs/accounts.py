"""Linked accounts and privacy: ``/lier``, ``/delier``, ``/comptes``,
``/mes-donnees`` and ``/oublie-moi``.

Linking: ``/lier`` gives a private one-time code, redeemed with ``!lier CODE``
from the member's Matrix account (or the other way round). Erasure asks for a
confirmation first, with a button (``privacy:forget-confirm``) that keeps
working after a restart.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.i18n import _
from bot.core.render import admin as render
from bot.core.render.message import Action, Message, Tone, Visibility
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.translator import add_texts, text

FORGET_ACTION = "privacy:forget-confirm"

TEXTS: dict[str, tuple[str, str]] = {
    "link": ("lier", "link"),
    "link.description": (
        "Lier vos comptes Discord et Matrix : sans code, en obtenir un ; avec, l'utiliser",
        "Link your Discord and Matrix accounts: without a code, get one; with one, use it",
    ),
    "link.code": ("code", "code"),
    "link.code.description": (
        "Le code obtenu avec votre autre compte",
        "The code you got with your other account",
    ),
    "unlink": ("delier", "unlink"),
    "unlink.description": ("Délier ce compte de vos autres comptes",
                           "Unlink this account from your other accounts"),
    "accounts": ("comptes", "accounts"),
    "accounts.description": ("Vos comptes liés", "Your linked accounts"),
    "my-data": ("mes-donnees", "my-data"),
    "my-data.description": (
        "Tout ce que le bot sait de vous, dans un fichier envoyé à vous seul·e",
        "Everything the bot holds about you, in a file sent to you only",
    ),
    "forget-me": ("oublie-moi", "forget-me"),
    "forget-me.description": (
        "Effacer tout ce que le bot sait de vous, sur tous vos comptes liés",
        "Erase everything the bot holds about you, on every linked account",
    ),
}
add_texts(TEXTS)



def forget_question() -> Message:
    return Message(
        title=_("Erase your data"),
        lines=(_("This erases everything the bot holds about you, on every linked account: "
                 "signatures, profile and history. It cannot be undone."),
               _("Ballots you cast stay counted, without your name; until each open poll you "
                 "voted in closes, your accounts cannot vote in it again.")),
        actions=(Action(FORGET_ACTION, _("Yes, erase everything"), style="danger"),),
        tone=Tone.WARNING,
        visibility=Visibility.EPHEMERAL,
    )


class Accounts(commands.Cog):
    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.router.add_action(FORGET_ACTION, self.forget)

    async def cog_unload(self) -> None:
        self.bot.router.remove("privacy:")

    @app_commands.command(name=text("link"), description=text("link.description"))
    @app_commands.guild_only()
    @app_commands.rename(code=text("link.code"))
    @app_commands.describe(code=text("link.code.description"))
    async def link(
        self, interaction: discord.Interaction,
        code: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            identity = call.core.identity
            if code is None:
                await call.reply(render.identity_code(await identity.issue(call.actor,
                                                                           call.place)))
            else:
                await call.reply(render.linked(await identity.redeem(call.actor, call.place,
                                                                     code)))

    @app_commands.command(name=text("unlink"), description=text("unlink.description"))
    @app_commands.guild_only()
    async def unlink(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.unlinked(await call.core.identity.unlink(call.actor,
                                                                             call.place)))

    @app_commands.command(name=text("accounts"), description=text("accounts.description"))
    @app_commands.guild_only()
    async def accounts(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.identities(
                await call.core.identity.identities(call.actor, call.place)))

    @app_commands.command(name=text("my-data"), description=text("my-data.description"))
    @app_commands.guild_only()
    async def my_data(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.defer(ephemeral=True)
            export = await call.core.privacy.export(call.actor, call.place)
            await call.reply(render.data_export(export), ephemeral=True)

    @app_commands.command(name=text("forget-me"), description=text("forget-me.description"))
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(forget_question())

    async def forget(self, call: Call, _arg: str | None) -> None:
        result = await call.core.privacy.forget(call.actor, call.place, confirm=True)
        await call.reply(render.forgotten(result), ephemeral=True)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Accounts(bot))
