"""``/rencontre``: meetups. Moderators and organisers create, change and cancel
them; members answer with buttons; everyone lists them and gets calendar files.

- ``creer`` answers privately with the dates as the bot understood them (in the
  collective's time zone) and posts the meetup in the channel; it is also posted
  in the meetups channel of every collective concerned.
- Buttons ``meetup:going:N`` (Je viens), ``meetup:maybe:N``, ``meetup:no:N`` and
  ``meetup:ics:N`` are routed by ``custom_id``, so they work on messages posted
  before a restart. The member gets a private answer; the message the button is
  on is refreshed with the new counts, at most once every three seconds
  (:class:`cogs.demands.LiveMessages`).
- Times are Discord timestamps (``<t:UNIX:F>``): each member sees them in their
  own time zone. The confirmation to the organiser shows the collective's.
- Private notices (a place freed up, reminders, changes, cancellation) are sent
  by the outbox as direct messages (:meth:`bot.discord.adapter.BotBase.private`).
- With ``discord.scheduled_events``, each meetup is mirrored to a Discord
  scheduled event (:class:`EventMirror`), changed and cancelled with it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.dates import format_when
from bot.core.errors import InvalidInput
from bot.core.i18n import N_, _, current_locale, translate, use_locale
from bot.core.render import meetups as render
from bot.core.render.md import escape
from bot.core.render.message import Field, Message, Tone, Visibility
from bot.core.services.meetups import (
    ADDRESS_LIMIT,
    CITY_LIMIT,
    DESCRIPTION_LIMIT,
    LINK_LIMIT,
    TITLE_LIMIT,
    MeetupAnnouncement,
    MeetupDraft,
    MeetupInfo,
)
from bot.core.services.meetups import parse_reminders as parse_minutes
from bot.core.types import Place, Platform
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.render import render as draw
from bot.discord.render import shorten, timestamp
from bot.discord.sending import ANNOUNCEMENT, NotSent
from bot.discord.translator import COMMAND_TEXTS, text
from bot.discord.views import ActionHandler
from cogs._numbers import Capacity, MeetupNumber
from cogs.demands import LiveMessages, declare_texts, number_of, post

log = logging.getLogger(__name__)

GOING_ACTION = "meetup:going"
MAYBE_ACTION = "meetup:maybe"
NO_ACTION = "meetup:no"
ICS_ACTION = "meetup:ics"
ANSWERS = {GOING_ACTION: "going", MAYBE_ACTION: "maybe", NO_ACTION: "no"}
DATE_LIMIT = 80
REMINDERS_LIMIT = 100

COMMANDS: dict[str, tuple[str, str]] = {
    "meetup": ("rencontre", "meetup"),
    "meetup.description": (
        "Rencontres : les prochaines, s'inscrire, le calendrier ; créer et modifier",
        "Meetups: upcoming ones, registering, calendar; creating and changing",
    ),
    "meetup.number": ("numero", "number"),
    "meetup.number.description": ("Numéro de la rencontre", "Number of the meetup"),
    "meetup.create": ("creer", "create"),
    "meetup.create.description": (
        "(Modération, organisation) Créer une rencontre, dans une ville ou en ligne",
        "(Moderators, organisers) Create a meetup, in a city or online",
    ),
    "meetup.list": ("liste", "list"),
    "meetup.list.description": (
        "Les prochaines rencontres de la fédération, d'une ville si vous la donnez",
        "Upcoming meetups across the federation, in one city if you give it",
    ),
    "meetup.list.city": ("ville", "city"),
    "meetup.list.city.description": (
        "Seulement cette ville (ou « en ligne »)",
        "Only this city (or “online”)",
    ),
    "meetup.show": ("voir", "show"),
    "meetup.show.description": (
        "Afficher une rencontre avec ses boutons d'inscription",
        "Show a meetup with its RSVP buttons",
    ),
    "meetup.calendar": ("calendrier", "calendar"),
    "meetup.calendar.description": (
        "La rencontre en fichier .ics pour votre agenda",
        "The meetup as an .ics file for your calendar",
    ),
    "meetup.attendees": ("inscrits", "attendees"),
    "meetup.attendees.description": (
        "(Organisation) La liste des inscrits en CSV, pour vous seul·e",
        "(Organisers) The list of registrations as CSV, for you only",
    ),
    "meetup.edit": ("modifier", "edit"),
    "meetup.edit.description": (
        "(Organisation) Modifier une rencontre ; les inscrits sont prévenus",
        "(Organisers) Change a meetup; those registered are told",
    ),
    "meetup.cancel": ("annuler", "cancel"),
    "meetup.cancel.description": (
        "(Organisation) Annuler une rencontre ; les inscrits sont prévenus",
        "(Organisers) Cancel a meetup; those registered are told",
    ),
    "meetup.title": ("titre", "title"),
    "meetup.title.description": ("Le titre de la rencontre", "The meetup's title"),
    "meetup.where": ("lieu", "where"),
    "meetup.where.description": (
        "Une ville, ou « en ligne » (avec un lien)",
        "A city, or “en ligne” for online (with a link)",
    ),
    "meetup.starts": ("debut", "start"),
    "meetup.starts.description": (
        "Début : « jeudi 19h30 », « 12/12 à 18h » ou 2026-12-01 18:00",
        "Start: “jeudi 19h30”, “12/12 à 18h” or 2026-12-01 18:00",
    ),
    "meetup.ends": ("fin", "end"),
    "meetup.ends.description": (
        "Fin (par défaut deux heures après le début)",
        "End (two hours after the start by default)",
    ),
    "meetup.link": ("lien", "link"),
    "meetup.link.description": (
        "Lien de la visio ou de la page de la rencontre (https://…)",
        "Link to the call or to the meetup's page (https://…)",
    ),
    "meetup.address": ("adresse", "address"),
    "meetup.address.description": ("Adresse du lieu", "Address of the venue"),
    "meetup.capacity": ("capacite", "capacity"),
    "meetup.capacity.description": (
        "Nombre de places ; au-delà, liste d'attente",
        "Number of places; beyond it, a waitlist",
    ),
    "meetup.deadline": ("limite", "deadline"),
    "meetup.deadline.description": (
        "Date limite des inscriptions",
        "Deadline for registrations",
    ),
    "meetup.text": ("description", "description"),
    "meetup.text.description": ("Ce qui est prévu", "What is planned"),
    "meetup.recurrence": ("recurrence", "recurrence"),
    "meetup.recurrence.description": (
        "Répéter la rencontre chaque semaine ou chaque mois",
        "Repeat the meetup every week or every month",
    ),
    "meetup.reminders": ("rappels", "reminders"),
    "meetup.reminders.description": (
        "Rappels, en minutes avant le début (1440,60 par défaut)",
        "Reminders, in minutes before the start (1440,60 by default)",
    ),
    "meetup.recurrence.none": ("aucune", "none"),
    "meetup.recurrence.weekly": ("hebdomadaire", "weekly"),
    "meetup.recurrence.monthly": ("mensuelle", "monthly"),
}
declare_texts(COMMANDS)

RECURRENCE_CHOICES = [
    app_commands.Choice(name=text(f"meetup.recurrence.{key}"), value=key)
    for key in ("none", "weekly", "monthly")
]
Number = MeetupNumber  # the meetup commands' number option
When = app_commands.Range[str, 1, DATE_LIMIT]

# Options shared by creer and modifier: parameter -> table key.
DRAFT_OPTIONS = {
    "title": "meetup.title", "where": "meetup.where", "starts": "meetup.starts",
    "ends": "meetup.ends", "link": "meetup.link", "address": "meetup.address",
    "capacity": "meetup.capacity", "deadline": "meetup.deadline",
    "description": "meetup.text", "recurrence": "meetup.recurrence",
    "reminders": "meetup.reminders",
}
DRAFT_NAMES = {name: text(key) for name, key in DRAFT_OPTIONS.items()}
DRAFT_DESCRIPTIONS = {name: text(f"{key}.description") for name, key in DRAFT_OPTIONS.items()}


def slash(*keys: str) -> str:
    """A slash command as members of this collective read it: ``/rencontre modifier``."""
    index = 1 if current_locale() == "en" else 0
    return "/" + " ".join(COMMAND_TEXTS[key][index] for key in keys)


def parse_reminders(value: str | None) -> tuple[int, ...] | None:
    """``"1440, 60"`` → ``(1440, 60)``; None when not given (the defaults apply)."""
    if value is None or not value.strip():
        return None
    return parse_minutes(value)


# -- drawing meetups on Discord ------------------------------------------------------------

def public(info: MeetupInfo) -> MeetupInfo:
    """The meetup as everyone sees it (no "you are coming" for whoever looked it up)."""
    return dataclasses.replace(info, your_status=None, your_position=None)


def when_value(info: MeetupInfo) -> str:
    """Start and end as Discord timestamps, then how long until the start."""
    zone = ZoneInfo(info.timezone)
    same_day = info.starts_at.astimezone(zone).date() == info.ends_at.astimezone(zone).date()
    end = timestamp(info.ends_at, "t" if same_day else "F")
    return f"{timestamp(info.starts_at, 'F')} → {end}\n{timestamp(info.starts_at, 'R')}"


def stamped(message: Message, info: MeetupInfo) -> Message:
    """``message`` (a core meetup message) with its dates as Discord timestamps."""
    when, until = _("When"), _("Registrations until")
    fields = []
    for item in message.fields:
        if item.name == when:
            item = dataclasses.replace(item, value=when_value(info))
        elif item.name == until and info.rsvp_deadline is not None:
            item = dataclasses.replace(item, value=timestamp(info.rsvp_deadline, "f"))
        fields.append(item)
    return dataclasses.replace(message, fields=tuple(fields))


def meetup_message(info: MeetupInfo) -> Message:
    """The public meetup message with its four buttons."""
    shown = public(info)
    return stamped(render.meetup(shown), shown)


def announcement_message(item: MeetupAnnouncement) -> Message:
    shown = dataclasses.replace(item, meetup=public(item.meetup))
    return stamped(render.announcement(shown), shown.meetup)


def listing_message(items: tuple[MeetupInfo, ...]) -> Message:
    """Upcoming meetups, each date as a Discord timestamp."""
    message = render.listing(items)
    if not items or len(message.lines) != len(items):
        return message
    lines = tuple(
        line.replace(format_when(info.starts_at, info.timezone), timestamp(info.starts_at, "f"))
        for line, info in zip(message.lines, items, strict=True)
    )
    return dataclasses.replace(message, lines=lines)


def understood(info: MeetupInfo, line: str) -> Message:
    """For the organiser: the dates as the bot understood them, in the collective's zone."""
    fields = [
        Field(_("Starts"), f"{format_when(info.starts_at, info.timezone)} · "
                           f"{timestamp(info.starts_at, 'R')}"),
        Field(_("Ends"), format_when(info.ends_at, info.timezone)),
    ]
    if info.rsvp_deadline is not None:
        fields.append(Field(_("Registrations until"),
                            format_when(info.rsvp_deadline, info.timezone)))
    return Message(title=f"#{info.id} · {escape(info.title)}", lines=(line,),
                   fields=tuple(fields), tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL)


def created_line(info: MeetupInfo) -> str:
    return translate("Meetup created. Check the dates as understood, in the time zone "
                     "{zone}; change them with {command} if needed.", zone=info.timezone,
                     command=slash("meetup", "meetup.edit"))


def changed_line(info: MeetupInfo) -> str:
    return translate("Meetup changed; those registered are told privately. Check the dates "
                     "as understood, in the time zone {zone}.", zone=info.timezone)


# -- Discord scheduled events ----------------------------------------------------------------

EVENT_NAME_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000
EVENT_LOCATION_LIMIT = 100
EXTERNAL = 3  # entity type
GUILD_ONLY = 2  # privacy level
SCHEDULED, CANCELED = 1, 4  # statuses


def event_name(info: MeetupInfo) -> str:
    """``#12 · Apéro des indépendants``: the number finds the event again after a restart."""
    return shorten(f"#{info.id} · {info.title}", EVENT_NAME_LIMIT)


def event_payload(info: MeetupInfo) -> dict[str, Any]:
    """A Discord scheduled event (external, at the city or the link) for a meetup."""
    if info.online:
        link = info.link or ""
        location = link if 0 < len(link) <= EVENT_LOCATION_LIMIT else _("online")
    else:
        location = ", ".join(part for part in (info.address, info.city) if part) or "-"
    description = "\n\n".join(part for part in (info.description, info.link or "") if part)
    return {
        "name": event_name(info),
        "description": shorten(description, EVENT_DESCRIPTION_LIMIT),
        "entity_type": EXTERNAL,
        "privacy_level": GUILD_ONLY,
        "entity_metadata": {"location": shorten(location, EVENT_LOCATION_LIMIT)},
        "scheduled_start_time": info.starts_at.astimezone(UTC).isoformat(),
        "scheduled_end_time": info.ends_at.astimezone(UTC).isoformat(),
    }


class EventMirror:
    """Each meetup as a Discord scheduled event in the guilds where it was posted
    (``discord.scheduled_events``). Work happens in the background; a failure (no
    *Manage Events* permission, say) is logged and changes nothing else.

    Events are found again by id (kept in memory) or, after a restart, by the
    meetup number their name starts with.
    """

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.events: dict[tuple[int, int], int] = {}  # (guild id, meetup id) -> event id

    @property
    def enabled(self) -> bool:
        return bool(getattr(self.bot.core.settings.discord, "scheduled_events", False))

    def created(self, guild_ids: Iterable[int], info: MeetupInfo) -> None:
        if self.enabled:
            self.bot.spawn(self.create(sorted(set(guild_ids)), info))

    def changed(self, guild_id: int, info: MeetupInfo) -> None:
        if self.enabled:
            guilds = {guild_id} | {g for g, number in self.events if number == info.id}
            self.bot.spawn(self.update(sorted(guilds), info))

    async def create(self, guild_ids: list[int], info: MeetupInfo) -> None:
        for guild_id in guild_ids:
            try:
                with use_locale(await self.locale(guild_id)):
                    payload = event_payload(info)
                data = await self.bot.http.create_guild_scheduled_event(
                    guild_id, reason=f"meetup {info.id}", **payload)
                self.events[(guild_id, info.id)] = int(data["id"])
            except Exception as exc:
                self.failed("create", guild_id, info, exc)

    async def update(self, guild_ids: list[int], info: MeetupInfo) -> None:
        for guild_id in guild_ids:
            try:
                event_id = await self.find(guild_id, info)
                if event_id is None:
                    continue
                if info.status == "cancelled":
                    payload: dict[str, Any] = {"status": CANCELED}
                    self.events.pop((guild_id, info.id), None)
                else:
                    with use_locale(await self.locale(guild_id)):
                        payload = event_payload(info)
                await self.bot.http.edit_scheduled_event(
                    guild_id, event_id, reason=f"meetup {info.id}", **payload)
            except Exception as exc:
                self.failed("update", guild_id, info, exc)

    async def find(self, guild_id: int, info: MeetupInfo) -> int | None:
        known = self.events.get((guild_id, info.id))
        if known is not None:
            return known
        prefix = f"#{info.id} · "
        for event in await self.bot.http.get_scheduled_events(guild_id, False):
            if str(event.get("name", "")).startswith(prefix) \
                    and event.get("status") == SCHEDULED:
                self.events[(guild_id, info.id)] = int(event["id"])
                return int(event["id"])
        return None

    async def locale(self, guild_id: int) -> str:
        return await self.bot.core.locale_for(Place(Platform.DISCORD, str(guild_id), ""))

    @staticmethod
    def failed(what: str, guild_id: int, info: MeetupInfo, exc: Exception) -> None:
        if isinstance(exc, discord.HTTPException):
            log.warning("could not %s the scheduled event of meetup %s in guild %s: %s",
                        what, info.id, guild_id, exc)
        else:
            log.warning("could not %s the scheduled event of meetup %s in guild %s",
                        what, info.id, guild_id, exc_info=exc)


async def post_in(channel: discord.abc.Messageable, message: Message) -> discord.Message:
    """Post ``message`` (drawn for each try: a file sent is closed after it)."""
    return await channel.send(**draw(message).kwargs(interaction=False))


# -- the cog --------------------------------------------------------------------------------

class Meetups(commands.Cog):
    group = app_commands.Group(
        name=text("meetup"),
        description=text("meetup.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.live = LiveMessages(bot)
        self.mirror = EventMirror(bot)

    async def cog_load(self) -> None:
        router = self.bot.router
        for name, answer in ANSWERS.items():
            router.add_action(name, self.answer_button(answer))
        router.add_action(ICS_ACTION, self.calendar_button)

    async def cog_unload(self) -> None:
        self.bot.router.remove("meetup:")
        await self.live.aclose()

    # -- creating, changing, cancelling ------------------------------------------------------

    @group.command(name=text("meetup.create"), description=text("meetup.create.description"))
    @app_commands.rename(**DRAFT_NAMES)
    @app_commands.describe(**DRAFT_DESCRIPTIONS)
    @app_commands.choices(recurrence=RECURRENCE_CHOICES)
    async def create(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, TITLE_LIMIT],
        where: app_commands.Range[str, 1, CITY_LIMIT],
        starts: When,
        ends: When | None = None,
        link: app_commands.Range[str, 1, LINK_LIMIT] | None = None,
        address: app_commands.Range[str, 1, ADDRESS_LIMIT] | None = None,
        capacity: Capacity | None = None,
        deadline: When | None = None,
        description: app_commands.Range[str, 1, DESCRIPTION_LIMIT] | None = None,
        recurrence: str | None = None,
        reminders: app_commands.Range[str, 1, REMINDERS_LIMIT] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            draft = MeetupDraft(
                title=title, where=where, link=link, address=address, starts=starts,
                ends=ends, capacity=capacity, deadline=deadline, description=description,
                recurrence=recurrence, reminders=parse_reminders(reminders),
            )
            created = await call.core.meetups.create(call.actor, call.place, draft)
            call.core.scheduler.wake()  # a reminder may be due soon
            info = created.meetup
            message_id = await post(call, meetup_message(info), ephemeral=False)
            self.live.remember(("meetup", info.id), interaction.guild_id,
                               interaction.channel_id, message_id)
            await call.reply(understood(info, created_line(info)), ephemeral=True)
            guilds = await self.announce(call, created.announcements)
            self.mirror.created({int(call.place.collective_id), *guilds}, info)

    async def announce(self, call: Call, items: Iterable[MeetupAnnouncement]) -> set[int]:
        """Post in the meetups channel of each collective concerned: Discord ones here
        (with timestamps, kept up to date), others through the outbox. Returns the
        Discord guilds posted in."""
        others, guilds = [], set()
        for item in items:
            if item.platform != Platform.DISCORD.value:
                others.append(item)
                continue
            guild_id, channel_id = int(item.collective_id), int(item.channel_id)
            with use_locale(item.locale):
                message = announcement_message(item)
            channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
            try:
                sent = await self.bot.sending.deliver(
                    ANNOUNCEMENT, f"channel {channel_id}",
                    functools.partial(post_in, channel, message),
                    order=channel_id,
                )
            except NotSent:
                continue  # logged and counted
            guilds.add(guild_id)
            self.live.remember(("meetup", item.meetup.id), guild_id, channel_id, sent.id)
        await call.core.outbox.deliver(others)
        return guilds

    @group.command(name=text("meetup.edit"), description=text("meetup.edit.description"))
    @app_commands.rename(number=text("meetup.number"), **DRAFT_NAMES)
    @app_commands.describe(number=text("meetup.number.description"), **DRAFT_DESCRIPTIONS)
    @app_commands.choices(recurrence=RECURRENCE_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        number: Number,
        title: app_commands.Range[str, 1, TITLE_LIMIT] | None = None,
        where: app_commands.Range[str, 1, CITY_LIMIT] | None = None,
        starts: When | None = None,
        ends: When | None = None,
        link: app_commands.Range[str, 1, LINK_LIMIT] | None = None,
        address: app_commands.Range[str, 1, ADDRESS_LIMIT] | None = None,
        capacity: Capacity | None = None,
        deadline: When | None = None,
        description: app_commands.Range[str, 1, DESCRIPTION_LIMIT] | None = None,
        recurrence: str | None = None,
        reminders: app_commands.Range[str, 1, REMINDERS_LIMIT] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            draft = MeetupDraft(
                title=title, where=where, link=link, address=address, starts=starts,
                ends=ends, capacity=capacity, deadline=deadline, description=description,
                recurrence=recurrence, reminders=parse_reminders(reminders),
            )
            if draft == MeetupDraft():
                raise InvalidInput(N_("Say what to change: give at least one field."))
            changed = await call.core.meetups.edit(call.actor, call.place, number, draft)
            call.core.scheduler.wake()
            info = changed.meetup
            await call.reply(understood(info, changed_line(info)), ephemeral=True)
            self.refresh(call, number)
            self.mirror.changed(int(call.place.collective_id), info)
            await call.core.outbox.notify(changed.notices)

    @group.command(name=text("meetup.cancel"), description=text("meetup.cancel.description"))
    @app_commands.rename(number=text("meetup.number"))
    @app_commands.describe(number=text("meetup.number.description"))
    async def cancel(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            changed = await call.core.meetups.cancel(call.actor, call.place, number)
            await call.reply(dataclasses.replace(render.cancelled(changed.meetup),
                                                 visibility=Visibility.EPHEMERAL))
            self.refresh(call, number)
            self.mirror.changed(int(call.place.collective_id), changed.meetup)
            await call.core.outbox.notify(changed.notices)

    # -- reading ------------------------------------------------------------------------------

    @group.command(name=text("meetup.list"), description=text("meetup.list.description"))
    @app_commands.rename(city=text("meetup.list.city"))
    @app_commands.describe(city=text("meetup.list.city.description"))
    async def listing(
        self, interaction: discord.Interaction,
        city: app_commands.Range[str, 1, CITY_LIMIT] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            items = await call.core.meetups.upcoming(call.actor, call.place, city)
            await call.reply(listing_message(items))

    @group.command(name=text("meetup.show"), description=text("meetup.show.description"))
    @app_commands.rename(number=text("meetup.number"))
    @app_commands.describe(number=text("meetup.number.description"))
    async def show(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.meetups.show(call.actor, call.place, number)
            message_id = await post(call, meetup_message(info), ephemeral=False)
            self.live.remember(("meetup", number), interaction.guild_id,
                               interaction.channel_id, message_id)

    @group.command(name=text("meetup.calendar"),
                   description=text("meetup.calendar.description"))
    @app_commands.rename(number=text("meetup.number"))
    @app_commands.describe(number=text("meetup.number.description"))
    async def calendar(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await self.send_calendar(call, number)

    @group.command(name=text("meetup.attendees"),
                   description=text("meetup.attendees.description"))
    @app_commands.rename(number=text("meetup.number"))
    @app_commands.describe(number=text("meetup.number.description"))
    async def attendees(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            result = await call.core.meetups.attendees(call.actor, call.place, number)
            await call.reply(render.attendees(result), ephemeral=True)

    async def send_calendar(self, call: Call, number: int) -> None:
        result = await call.core.meetups.calendar(call.actor, call.place, number)
        await call.reply(render.calendar(result), ephemeral=True)

    # -- buttons ------------------------------------------------------------------------------

    def answer_button(self, answer: str) -> ActionHandler:
        async def handler(call: Call, arg: str | None) -> None:
            await self.answer(call, number_of(arg), answer)

        return handler

    async def answer(self, call: Call, number: int, answer: str) -> None:
        self.live.remember_source(("meetup", number), call.interaction)
        result = await call.core.meetups.rsvp(call.actor, call.place, number, answer)
        await call.reply(render.answered(result), ephemeral=True)
        self.refresh(call, number)
        await call.core.outbox.notify(result.notices)

    async def calendar_button(self, call: Call, arg: str | None) -> None:
        await self.send_calendar(call, number_of(arg))

    def refresh(self, call: Call, number: int) -> None:
        """Update the public messages showing meetup ``number`` (throttled)."""
        core, actor, place, locale = call.core, call.actor, call.place, current_locale()

        async def build() -> Message:
            with use_locale(locale):
                return meetup_message(await core.meetups.show(actor, place, number))

        self.live.refresh(("meetup", number), build)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Meetups(bot))
