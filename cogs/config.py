"""``/config``: a collective's configuration, its setup assistant and its
moderation log. Moderators only (the services check it on every call).

The assistant (``/config assistant``) shows one step at a time in a private
message: a select where a choice is easy to make there (language, time zone,
roles), a hint with the right command otherwise, and a *Next* button
(``config:setup-next``). Clicking edits the same message; every id is routed
by ``custom_id``, so the message keeps working after a restart.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.core.i18n import LOCALES, N_, _, current_locale, translate, use_locale
from bot.core.render import admin as render
from bot.core.render.message import Action, Message
from bot.core.services.configuration import MAX_RETENTION_DAYS, AssistantStep, Changed
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.render import button
from bot.discord.render import render as draw
from bot.discord.translator import COMMAND_TEXTS, add_texts, text
from bot.discord.views import ActionButton, ChannelOption
from cogs._numbers import Page, whole

NEXT_ACTION = "config:setup-next"
RESTART_ACTION = "config:setup-restart"
LOCALE_SELECT = "config:setup-locale"
TIMEZONE_SELECT = "config:setup-timezone"
MODERATORS_SELECT = "config:setup-moderators"
ORGANISERS_SELECT = "config:setup-organisers"
CHOICE_LIMIT = 25
RetentionDays = whole(N_("The number of days"), 1, MAX_RETENTION_DAYS)
# Languages are named in their own language, whatever the interface language.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
# Offered by the assistant; any other zone works with /config fuseau.
COMMON_ZONES = (
    "Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/London",
    "America/Toronto", "America/Martinique", "America/Guadeloupe", "America/Cayenne",
    "America/Miquelon", "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti",
    "Africa/Dakar", "Africa/Abidjan", "UTC",
)

TEXTS: dict[str, tuple[str, str]] = {
    "config": ("config", "config"),
    "config.description": (
        "(Modération) La configuration du bot dans ce serveur",
        "(Moderators) The bot's configuration in this server",
    ),
    "config.show": ("voir", "show"),
    "config.show.description": (
        "Afficher la configuration de ce collectif",
        "Show this collective's configuration",
    ),
    "config.channel": ("salon", "channel"),
    "config.channel.description": (
        "Choisir le salon où un flux publie, ou aucun",
        "Choose the channel where a workflow posts, or none",
    ),
    "config.channel.workflow": ("flux", "workflow"),
    "config.channel.workflow.description": ("Le flux concerné", "The workflow"),
    "config.channel.channel": ("salon", "channel"),
    "config.channel.channel.description": (
        "Salon où publier ; laissez vide pour ne plus publier",
        "Channel to post in; leave empty to stop posting",
    ),
    "config.language": ("langue", "language"),
    "config.language.description": (
        "La langue du bot dans ce serveur",
        "The bot's language in this server",
    ),
    "config.language.language": ("langue", "language"),
    "config.language.language.description": ("Français ou anglais", "French or English"),
    "config.timezone": ("fuseau", "timezone"),
    "config.timezone.description": (
        "Le fuseau horaire des dates (rencontres, scrutins)",
        "The time zone for dates (meetups, polls)",
    ),
    "config.timezone.zone": ("zone", "zone"),
    "config.timezone.zone.description": (
        "Par exemple Europe/Paris ; tapez pour voir des suggestions",
        "For example Europe/Paris; type to see suggestions",
    ),
    "config.moderators": ("moderateurs", "moderators"),
    "config.moderators.description": (
        "Rôle des modérateur·ices du bot ; vide : la permission Gérer le serveur seule",
        "Role of the bot's moderators; empty: the Manage Server permission only",
    ),
    "config.moderators.role": ("role", "role"),
    "config.moderators.role.description": (
        "Rôle des modérateur·ices ; laissez vide pour n'en garder aucun",
        "Moderators' role; leave empty for none",
    ),
    "config.organisers": ("organisateurs", "organisers"),
    "config.organisers.description": (
        "Rôle qui peut aussi créer rencontres et scrutins ; vide : modération seule",
        "Role that may also create meetups and polls; empty: moderators only",
    ),
    "config.organisers.role": ("role", "role"),
    "config.organisers.role.description": (
        "Rôle des organisateur·ices ; laissez vide pour n'en garder aucun",
        "Organisers' role; leave empty for none",
    ),
    "config.retention": ("conservation", "retention"),
    "config.retention.description": (
        "Jours de conservation des données des membres partis",
        "Days to keep the data of members who left",
    ),
    "config.retention.days": ("jours", "days"),
    "config.retention.days.description": (
        "De 1 à 3650 ; laissez vide pour conserver jusqu'à effacement",
        "From 1 to 3650; leave empty to keep until erased",
    ),
    "config.setup": ("assistant", "setup"),
    "config.setup.description": (
        "Configuration pas à pas : langue, fuseau, salons, rôles, fédération",
        "Step-by-step setup: language, time zone, channels, roles, federation",
    ),
    "config.log": ("journal", "log"),
    "config.log.description": (
        "Le journal de modération : qui a fait quoi, quand",
        "The moderation log: who did what, when",
    ),
    "config.log.page": ("page", "page"),
    "config.log.page.description": ("Numéro de page (1 par défaut)", "Page number (1 by default)"),
    # Workflow choices, shared with /federation partage.
    "workflow.tribune": ("tribune", "tribune"),
    "workflow.demands": ("revendications", "demands"),
    "workflow.meetups": ("rencontres", "meetups"),
    "workflow.aid": ("entraide", "aid"),
    "workflow.faq": ("droits", "faq"),
}
add_texts(TEXTS)

WORKFLOW_CHOICES = [
    app_commands.Choice(name=text(f"workflow.{key}"), value=key)
    for key in ("tribune", "demands", "meetups", "aid", "faq")
]
LANGUAGE_CHOICES = [
    app_commands.Choice(name=LANGUAGE_NAMES[code], value=code) for code in LOCALES
]

STEP_HINTS = {
    "locale": N_("Choose the language the bot speaks in this server."),
    "timezone": N_("Choose the time zone of meetups and poll deadlines, or type any zone "
                   "with {command}."),
    "channels": N_("Choose where each workflow posts with {command}: pick the workflow, then "
                   "the channel. You can change it at any time."),
    "moderators": N_("Choose the role of the bot's moderators. Members with the Manage "
                     "Server permission always moderate."),
    "organisers": N_("Choose the role of members who may also create meetups and polls. "
                     "Skip this step to leave that to moderators."),
    "federation": N_("Join the union's federation with {join} and the code a federation "
                     "moderator gives you, or create one with {create} and a name. You can "
                     "also do it later."),
}


def slash(*keys: str) -> str:
    """A slash command as members of this collective read it: ``/config fuseau``."""
    index = 1 if current_locale() == "en" else 0
    return "/" + " ".join(COMMAND_TEXTS.get(key, (key, key))[index] for key in keys)


# -- time zones ------------------------------------------------------------------------------

@functools.cache
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def zone_suggestions(typed: str, limit: int = CHOICE_LIMIT) -> list[str]:
    """Zones matching what was typed: names starting with it first, then names with a
    part starting with it (``paris`` → ``Europe/Paris``), then names containing it."""
    needle = typed.strip().casefold().replace(" ", "_")
    if not needle:
        return list(COMMON_ZONES[:limit])
    zones = all_zones()
    starts = [z for z in zones if z.casefold().startswith(needle)]
    parts = [z for z in zones if z not in starts and any(
        p.startswith(needle) for p in z.casefold().split("/"))]
    seen = set(starts) | set(parts)
    inside = [z for z in zones if z not in seen and needle in z.casefold()]
    return (starts + parts + inside)[:limit]


# -- the assistant's message ---------------------------------------------------------------

def step_message(step: AssistantStep, notice: str = "") -> Message:
    """The assistant's step as Discord shows it (buttons instead of text commands)."""
    base = render.assistant(step)
    head = (notice,) if notice else ()
    if step.finished:
        done = translate("The bot is set up. Here is the configuration; change any of it "
                         "with {command}.", command="/config")
        return dataclasses.replace(
            base, lines=(*head, done, *base.lines[1:]),
            actions=(Action(RESTART_ACTION, _("Start again"), style="secondary"),),
        )
    hint = translate(STEP_HINTS[step.key], command=slash(
        "config", "config.timezone" if step.key == "timezone" else "config.channel"),
        join=slash("federation", "federation.join"),
        create=slash("federation", "federation.create"))
    return dataclasses.replace(
        base, lines=(*head, hint, _("When this step is done, press Next.")),
        actions=(Action(NEXT_ACTION, _("Next"), style="primary"),),
    )


def step_select(step: AssistantStep) -> discord.ui.Item[Any] | None:
    """The select of a step, if it has one."""
    profile = step.summary.profile
    if step.key == "locale":
        return discord.ui.Select(
            custom_id=LOCALE_SELECT, placeholder=_("Choose the language"),
            options=[discord.SelectOption(label=LANGUAGE_NAMES[code], value=code,
                                          default=code == profile.locale) for code in LOCALES],
        )
    if step.key == "timezone":
        zones = list(COMMON_ZONES)
        if profile.timezone not in zones:
            zones.insert(0, profile.timezone)
        return discord.ui.Select(
            custom_id=TIMEZONE_SELECT, placeholder=_("Choose the time zone"),
            options=[discord.SelectOption(label=zone, value=zone,
                                          default=zone == profile.timezone)
                     for zone in zones[:CHOICE_LIMIT]],
        )
    if step.key == "moderators":
        return discord.ui.RoleSelect(custom_id=MODERATORS_SELECT,
                                     placeholder=_("Choose the moderators' role"))
    if step.key == "organisers":
        return discord.ui.RoleSelect(custom_id=ORGANISERS_SELECT,
                                     placeholder=_("Choose the organisers' role"))
    return None


def step_view(step: AssistantStep, message: Message) -> discord.ui.View | None:
    """The step's select on the first row, its buttons below; all persistent."""
    select = step_select(step)
    if select is None and not message.actions:
        return None
    view = discord.ui.View(timeout=None)
    if select is not None:
        view.add_item(ActionButton(select, row=0))  # type: ignore[arg-type]
    for action in message.actions:
        item = button(action)
        item.row = 1
        view.add_item(item)
    return view


def selected(call: Call) -> str:
    """The one value chosen in the select that was used."""
    values = (call.interaction.data or {}).get("values")
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        raise InvalidInput()
    return values[0]


def check_role(call: Call, role_id: str | None, *, moderators: bool) -> None:
    """@everyone may organise (everyone then may), but not moderate."""
    if moderators and role_id is not None and role_id == call.place.collective_id:
        raise InvalidInput(N_("Choose a role other than @everyone for moderators."))


class Config(commands.Cog):
    group = app_commands.Group(
        name=text("config"),
        description=text("config.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(NEXT_ACTION, self.next_step)
        router.add_action(RESTART_ACTION, self.restart)
        router.add_action(LOCALE_SELECT, self.choose_locale)
        router.add_action(TIMEZONE_SELECT, self.choose_timezone)
        router.add_action(MODERATORS_SELECT, self.choose_moderators)
        router.add_action(ORGANISERS_SELECT, self.choose_organisers)

    async def cog_unload(self) -> None:
        self.bot.router.remove("config:")

    async def changed(self, call: Call, result: Changed) -> None:
        await call.reply(render.changed(result))

    # -- settings ------------------------------------------------------------------------------

    @group.command(name=text("config.show"), description=text("config.show.description"))
    async def show(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.summary(await call.core.config.summary(call.actor,
                                                                           call.place)))

    @group.command(name=text("config.channel"), description=text("config.channel.description"))
    @app_commands.rename(workflow=text("config.channel.workflow"),
                         channel=text("config.channel.channel"))
    @app_commands.describe(workflow=text("config.channel.workflow.description"),
                           channel=text("config.channel.channel.description"))
    @app_commands.choices(workflow=WORKFLOW_CHOICES)
    async def channel(
        self,
        interaction: discord.Interaction,
        workflow: str,
        channel: app_commands.Transform[discord.abc.Snowflake, ChannelOption] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            result = await call.core.config.set_channel(
                call.actor, call.place, workflow, str(channel.id) if channel else None)
            await self.changed(call, result)

    @group.command(name=text("config.language"),
                   description=text("config.language.description"))
    @app_commands.rename(language=text("config.language.language"))
    @app_commands.describe(language=text("config.language.language.description"))
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(self, interaction: discord.Interaction, language: str) -> None:
        async with self.bot.begin(interaction) as call:
            result = await call.core.config.set_locale(call.actor, call.place, language)
            with use_locale(await call.core.locale_for(call.place)):
                await self.changed(call, result)

    @group.command(name=text("config.timezone"),
                   description=text("config.timezone.description"))
    @app_commands.rename(zone=text("config.timezone.zone"))
    @app_commands.describe(zone=text("config.timezone.zone.description"))
    async def timezone(
        self, interaction: discord.Interaction, zone: app_commands.Range[str, 1, 64]
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await self.changed(call, await call.core.config.set_timezone(call.actor, call.place,
                                                                         zone))

    @timezone.autocomplete("zone")
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in zone_suggestions(current)]

    @group.command(name=text("config.moderators"),
                   description=text("config.moderators.description"))
    @app_commands.rename(role=text("config.moderators.role"))
    @app_commands.describe(role=text("config.moderators.role.description"))
    async def moderators(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        async with self.bot.begin(interaction) as call:
            role_id = str(role.id) if role is not None else None
            check_role(call, role_id, moderators=True)
            await self.changed(call, await call.core.config.set_moderator_role(
                call.actor, call.place, role_id))

    @group.command(name=text("config.organisers"),
                   description=text("config.organisers.description"))
    @app_commands.rename(role=text("config.organisers.role"))
    @app_commands.describe(role=text("config.organisers.role.description"))
    async def organisers(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await self.changed(call, await call.core.config.set_organiser_role(
                call.actor, call.place, str(role.id) if role is not None else None))

    @group.command(name=text("config.retention"),
                   description=text("config.retention.description"))
    @app_commands.rename(days=text("config.retention.days"))
    @app_commands.describe(days=text("config.retention.days.description"))
    async def retention(
        self, interaction: discord.Interaction,
        days: RetentionDays | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await self.changed(call, await call.core.config.set_retention(
                call.actor, call.place, days))

    @group.command(name=text("config.log"), description=text("config.log.description"))
    @app_commands.rename(page=text("config.log.page"))
    @app_commands.describe(page=text("config.log.page.description"))
    async def log(
        self, interaction: discord.Interaction, page: Page = 1
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.audit_log(await call.core.audit.read(call.actor, call.place,
                                                                         page)))

    # -- the assistant ---------------------------------------------------------------------------

    @group.command(name=text("config.setup"), description=text("config.setup.description"))
    async def setup_assistant(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            step = await call.core.config.assistant(call.actor, call.place)
            await self.show_step(call, step, edit=False)

    async def show_step(self, call: Call, step: AssistantStep, *, edit: bool,
                        notice: str = "") -> None:
        """Send the step, or put it in place of the message whose component was used."""
        message = step_message(step, notice)
        rendered = draw(message, ephemeral=True)
        rendered.view = step_view(step, message)
        response = call.interaction.response
        if edit and not response.is_done():
            await response.edit_message(embed=rendered.embed, view=rendered.view,
                                        allowed_mentions=discord.AllowedMentions.none())
        elif response.is_done():
            await call.interaction.followup.send(**rendered.kwargs())
        else:
            await response.send_message(**rendered.kwargs())

    async def next_step(self, call: Call, _arg: str | None) -> None:
        step = await call.core.config.assistant(call.actor, call.place, advance=True)
        await self.show_step(call, step, edit=True)

    async def restart(self, call: Call, _arg: str | None) -> None:
        step = await call.core.config.assistant(call.actor, call.place, restart=True)
        await self.show_step(call, step, edit=True)

    async def after_choice(self, call: Call, result: Changed) -> None:
        """Show the same step again, in the (possibly new) language, with what was saved."""
        with use_locale(await call.core.locale_for(call.place)):
            step = await call.core.config.assistant(call.actor, call.place)
            await self.show_step(call, step, edit=True, notice=render.changed(result).lines[0])

    async def choose_locale(self, call: Call, _arg: str | None) -> None:
        result = await call.core.config.set_locale(call.actor, call.place, selected(call))
        await self.after_choice(call, result)

    async def choose_timezone(self, call: Call, _arg: str | None) -> None:
        result = await call.core.config.set_timezone(call.actor, call.place, selected(call))
        await self.after_choice(call, result)

    async def choose_moderators(self, call: Call, _arg: str | None) -> None:
        role_id = selected(call)
        check_role(call, role_id, moderators=True)
        result = await call.core.config.set_moderator_role(call.actor, call.place, role_id)
        await self.after_choice(call, result)

    async def choose_organisers(self, call: Call, _arg: str | None) -> None:
        result = await call.core.config.set_organiser_role(call.actor, call.place,
                                                           selected(call))
        await self.after_choice(call, result)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Config(bot))
