"""``/entraide``: mutual aid. Members post requests and offers, find them by
skill or city, declare the skills they offer, and keep a time bank of the hours
given and received.

- ``demander`` and ``proposer`` (the kind is an option: coaching, service
  exchange, one-off advice) open a form: skills, description, city or
  "distance", expected hours, tags. The post goes publicly in the channel where
  the command was used, with the "Je peux aider" button on requests, and a
  discussion thread is opened on it (a failure there is logged, nothing more).
- Members whose declared skills match a request get a direct message with the
  same button. "Je peux aider" tells the author privately who offers help, and
  says so in the post's thread when the thread is known (opened by this
  process, or in discord.py's cache of the guild's active threads).
- An open post has an "Edit" button, shown to everyone (the service lets only its
  author or a moderator through), and ``modifier`` does the same from its
  number: both open the creation form filled with the post as it stands. A
  field emptied in that form removes the city (the post becomes remote), the
  expected hours or the tags. The post's public messages are then refreshed, and
  its thread renamed when its skills changed (a failure there is logged).
- ``echange`` records hours given or received; the other side gets a direct
  message with Confirm and Decline buttons (``confirmer`` / ``refuser`` do the
  same from a server). Confirming writes the ledger and fulfils the linked
  request. Public posts are refreshed when they close (:class:`LiveMessages`).

Buttons in direct messages. A click in a direct message carries no guild, and
the services need the collective (``Place``) the post or exchange belongs to.
So the buttons this cog puts in direct messages name that guild after the
number: ``aid:confirm:12.345`` is exchange 12 of guild 345 (the guild where it
was recorded), and their actions are registered as usable in direct messages
(``direct=True``, see :mod:`bot.discord.views`): the call's ``Place`` is that
guild, with no channel; the actor is the user who clicked, never a moderator (a
direct message shows no rights). The adapter leaves buttons out of the notices
it sends, so this cog sends its own Discord notices (as ``/rencontre`` posts its
own announcements; notices for other platforms go through the outbox).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.core.i18n import _, current_locale, translate, use_locale
from bot.core.notice import Notice
from bot.core.outbox import NOTICES
from bot.core.render import aid as render
from bot.core.render.md import escape
from bot.core.render.message import Message, Tone
from bot.core.services.aid import (
    CATEGORIES,
    CLEAR,
    DESCRIPTION_LIMIT,
    NOTE_LIMIT,
    TAGS_LIMIT,
    ExchangeResult,
    PostDraft,
    PostInfo,
)
from bot.core.skills import SKILLS, skill_label
from bot.core.text import fold
from bot.core.types import Actor, Place, Platform
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call, place_of
from bot.discord.errors import UnknownComponent
from bot.discord.render import render as draw
from bot.discord.render import shorten
from bot.discord.translator import COMMAND_TEXTS, text
from bot.discord.views import (
    FormValues,
    custom_id,
    direct_arg,
    first,
    form,
    parse_custom_id,
    text_field,
)
from cogs._numbers import SNOWFLAKE_MAX, ExchangeNumber, PostNumber, custom_number
from cogs.demands import LiveMessages, declare_texts, post

log = logging.getLogger(__name__)

HELP_ACTION = "aid:help"
CONFIRM_ACTION = "aid:confirm"
DECLINE_ACTION = "aid:decline"
EDIT_ACTION = "aid:edit"
DIRECT_ACTIONS = frozenset({HELP_ACTION, CONFIRM_ACTION, DECLINE_ACTION})
POST_FORM = "aid:post-form"
EDIT_FORM = "aid:edit-form"
KINDS = ("request", "offer")
SKILLS_LIMIT = 300
CITY_LIMIT = 120
HOURS_LIMIT = 10
THREAD_NAME_LIMIT = 100
THREADS_KEPT = 2000
SKILL_CHOICES = 25

COMMANDS: dict[str, tuple[str, str]] = {
    "aid": ("entraide", "aid"),
    "aid.description": (
        "Entraide : demandes, offres, compétences et banque de temps",
        "Mutual aid: requests, offers, skills and the time bank",
    ),
    "aid.number": ("numero", "number"),
    "aid.number.description": ("Numéro de l'annonce", "Number of the post"),
    "aid.request": ("demander", "request"),
    "aid.request.description": (
        "Demander de l'aide (un formulaire s'ouvre)",
        "Ask for help (a form opens)",
    ),
    "aid.offer": ("proposer", "offer"),
    "aid.offer.description": (
        "Proposer votre aide (un formulaire s'ouvre)",
        "Offer your help (a form opens)",
    ),
    "aid.kind": ("type", "kind"),
    "aid.kind.description": (
        "Coaching, échange de services ou conseil ponctuel (conseil par défaut)",
        "Coaching, service exchange or one-off advice (advice by default)",
    ),
    "aid.kind.coaching": ("coaching", "coaching"),
    "aid.kind.exchange": ("échange-de-services", "service-exchange"),
    "aid.kind.advice": ("conseil-ponctuel", "one-off-advice"),
    "aid.search": ("chercher", "search"),
    "aid.search.description": (
        "Les annonces ouvertes, par compétence, ville ou type",
        "Open posts, by skill, city or type",
    ),
    "aid.search.skill": ("competence", "skill"),
    "aid.search.skill.description": ("Seulement cette compétence", "Only this skill"),
    "aid.search.city": ("ville", "city"),
    "aid.search.city.description": (
        "Cette ville (les annonces à distance sont incluses)",
        "This city (remote posts are included)",
    ),
    "aid.search.type": ("type", "type"),
    "aid.search.type.description": ("Demandes ou offres", "Requests or offers"),
    "aid.type.request": ("demandes", "requests"),
    "aid.type.offer": ("offres", "offers"),
    "aid.show": ("voir", "show"),
    "aid.show.description": ("Afficher une annonce", "Show a post"),
    "aid.edit": ("modifier", "edit"),
    "aid.edit.description": (
        "Modifier votre annonce, ou en modération (un formulaire s'ouvre)",
        "Change your post, or as a moderator (a form opens)",
    ),
    "aid.close": ("cloturer", "close"),
    "aid.close.description": (
        "Clôturer votre annonce, besoin satisfait (ou en modération)",
        "Close your post as fulfilled (or as a moderator)",
    ),
    "aid.profile": ("profil", "profile"),
    "aid.profile.description": (
        "Vos compétences et vos notifications ; sans option, les afficher",
        "Your skills and notifications; with no option, show them",
    ),
    "aid.profile.skills": ("competences", "skills"),
    "aid.profile.skills.description": (
        "Les compétences que vous offrez, séparées par des virgules",
        "The skills you offer, separated by commas",
    ),
    "aid.profile.city": ("ville", "city"),
    "aid.profile.city.description": ("Votre ville", "Your city"),
    "aid.profile.notify": ("notifications", "notify"),
    "aid.profile.notify.description": (
        "Être prévenu·e en privé des demandes qui vous correspondent",
        "Be told privately of requests that match your skills",
    ),
    "aid.skills": ("competences", "skills"),
    "aid.skills.description": ("La liste des compétences", "The list of skills"),
    "aid.exchange": ("echange", "exchange"),
    "aid.exchange.description": (
        "Enregistrer des heures données ou reçues ; l'autre personne confirme",
        "Record hours given or received; the other person confirms",
    ),
    "aid.exchange.member": ("membre", "member"),
    "aid.exchange.member.description": (
        "La personne qui a reçu ou donné l'aide",
        "The person who received or gave the help",
    ),
    "aid.exchange.hours": ("heures", "hours"),
    "aid.exchange.hours.description": (
        "Nombre d'heures, de 0,25 à 24 (par exemple 2 ou 1,5)",
        "Number of hours, from 0.25 to 24 (for example 2 or 1.5)",
    ),
    "aid.exchange.direction": ("sens", "direction"),
    "aid.exchange.direction.description": (
        "Vous avez donné ou reçu l'aide",
        "You gave or received the help",
    ),
    "aid.direction.gave": ("donné", "gave"),
    "aid.direction.received": ("reçu", "received"),
    "aid.exchange.post": ("annonce", "post"),
    "aid.exchange.post.description": (
        "Numéro de l'annonce concernée ; la demande est clôturée à la confirmation",
        "Number of the post concerned; the request closes once confirmed",
    ),
    "aid.exchange.kind": ("type", "kind"),
    "aid.exchange.kind.description": (
        "Le type d'aide (celui de l'annonce par défaut)",
        "The kind of help (the post's by default)",
    ),
    "aid.exchange.note": ("note", "note"),
    "aid.exchange.note.description": ("Une précision, si besoin", "A note, if needed"),
    "aid.confirm": ("confirmer", "confirm"),
    "aid.confirm.description": (
        "Confirmer un échange enregistré par l'autre personne",
        "Confirm an exchange recorded by the other person",
    ),
    "aid.decline": ("refuser", "decline"),
    "aid.decline.description": (
        "Refuser un échange enregistré par l'autre personne",
        "Decline an exchange recorded by the other person",
    ),
    "aid.exchange.number": ("numero", "number"),
    "aid.exchange.number.description": ("Numéro de l'échange", "Number of the exchange"),
    "aid.balance": ("solde", "balance"),
    "aid.balance.description": (
        "Votre solde d'heures et l'historique de vos échanges",
        "Your balance of hours and the history of your exchanges",
    ),
    "aid.flags": ("alertes", "flags"),
    "aid.flags.description": (
        "(Modération) Les soldes au-delà de la limite",
        "(Moderators) Balances beyond the limit",
    ),
}
declare_texts(COMMANDS)

KIND_CHOICES = [app_commands.Choice(name=text(f"aid.kind.{key}"), value=key)
                for key in CATEGORIES]
TYPE_CHOICES = [app_commands.Choice(name=text(f"aid.type.{key}"), value=key) for key in KINDS]
DIRECTION_CHOICES = [app_commands.Choice(name=text(f"aid.direction.{key}"), value=key)
                     for key in ("gave", "received")]
Number = PostNumber  # the post commands' number option


# -- pure helpers -----------------------------------------------------------------------------

def slash(*keys: str) -> str:
    """A slash command as members of this collective read it: ``/entraide competences``."""
    index = 1 if current_locale() == "en" else 0
    return "/" + " ".join(COMMAND_TEXTS[key][index] for key in keys)


def split_arg(arg: str | None) -> tuple[int, int | None]:
    """The number a button carries, and the guild when it names one:
    ``"12"`` → ``(12, None)``, ``"12.345"`` → ``(12, 345)``."""
    number, dot, guild = (arg or "").partition(".")
    if dot and not guild:
        raise UnknownComponent()
    return custom_number(number), custom_number(guild, high=SNOWFLAKE_MAX) if dot else None


def direct_id(action_id: str, guild_id: str) -> str:
    """The ``custom_id`` of a button for a direct message: ``aid:confirm:12`` →
    ``aid:confirm:12.345``. Other buttons are left as they are."""
    parsed = parse_custom_id(action_id)
    if parsed is None or parsed[0] not in DIRECT_ACTIONS or not (parsed[1] or "").isdigit():
        return action_id
    return custom_id(parsed[0], direct_arg(parsed[1], guild_id))


def discord_notice(notice: Notice, guild_id: str) -> Message:
    """A notice of the core drawn for a Discord direct message (call in its locale):
    its buttons name ``guild_id``; a post shows "I can help" to whoever it is sent to;
    a helper on Discord is mentioned, so the author can open a conversation with them."""
    data = notice.data
    if isinstance(data, PostInfo):
        # The post as its reader sees it (the core fills ``mine`` for the author).
        data = dataclasses.replace(data, mine=False)
    message = NOTICES[notice.kind](data)
    actions = tuple(dataclasses.replace(action, custom_id=direct_id(action.custom_id, guild_id))
                    for action in message.actions)
    lines = message.lines
    if isinstance(data, dict) and data.get("platform") == Platform.DISCORD.value \
            and str(data.get("user_id", "")).isdigit():
        lines = (*lines, f"<@{data['user_id']}>")
    return dataclasses.replace(message, actions=actions, lines=lines)


def public_post(info: PostInfo) -> Message:
    """A post as everyone sees it: the "I can help" button whoever looked it up, and
    "Edit" (the service lets only the author or a moderator through)."""
    return render.post(dataclasses.replace(info, mine=False), edit=True)


def hours_text(hours: float | None) -> str:
    """Expected hours as typed in the form: ``2.0`` → ``"2"``, ``1.5`` → ``"1.5"``."""
    return "" if hours is None else f"{Decimal(str(hours)).normalize():f}"


def skills_text(keys: tuple[str, ...]) -> str:
    """Skills as typed in the form: their names in the current language, or their keys
    when the names would not fit."""
    named = ", ".join(skill_label(key) for key in keys)
    return named if len(named) <= SKILLS_LIMIT else ",".join(keys)


def edit_draft(values: FormValues) -> PostDraft:
    """The changes of a submitted edit form; an emptied optional field removes its value."""
    def optional(field_id: str) -> str:
        return (first(values, field_id) or "").strip() or CLEAR

    return PostDraft(skills=first(values, "skills"), description=first(values, "description"),
                     city=optional("where"), hours=optional("hours"), tags=optional("tags"))


def thread_name(info: PostInfo) -> str:
    skills = ", ".join(skill_label(key) for key in info.skills)
    return shorten(f"#{info.id} · {skills}", THREAD_NAME_LIMIT)


def skill_suggestions(current: str, limit: int = SKILL_CHOICES) -> list[tuple[str, str]]:
    """``(key, label)`` of the skills whose key or French or English name contains
    what was typed (those starting with it first); labels in the current language."""
    typed = fold(current).replace("-", " ").strip()
    starts: list[tuple[str, str]] = []
    contains: list[tuple[str, str]] = []
    for key, names in SKILLS.items():
        folded = [fold(name).replace("-", " ") for name in (key, *names)]
        if not typed or any(name.startswith(typed) for name in folded):
            starts.append((key, skill_label(key)))
        elif any(typed in name for name in folded):
            contains.append((key, skill_label(key)))
    return (starts + contains)[:limit]


def skills_placeholder() -> str:
    """The start of the list of skills, for the form (Discord allows 100 characters)."""
    return shorten(", ".join(skill_label(key) for key in SKILLS), 100)


def form_fields(info: PostInfo | None = None) -> list[discord.ui.Label]:
    """The fields of the post form: empty to create a post, filled with ``info`` to
    change it."""
    filled = {} if info is None else {
        "skills": skills_text(info.skills), "description": info.description,
        "where": info.city or "", "hours": hours_text(info.hours), "tags": info.tags,
    }
    return [
        text_field("skills", _("Skills"), max_length=SKILLS_LIMIT,
                   default=filled.get("skills"), placeholder=skills_placeholder(),
                   description=translate("Separate skills with commas; the full list: "
                                         "{command}.", command=slash("aid", "aid.skills"))),
        text_field("description", _("Description"), max_length=DESCRIPTION_LIMIT,
                   default=filled.get("description"), paragraph=True),
        text_field("where", _("Where"), max_length=CITY_LIMIT, required=False,
                   default=filled.get("where"), placeholder=f"Lyon · {_('remote')}"),
        text_field("hours", _("Expected time"), max_length=HOURS_LIMIT, required=False,
                   default=filled.get("hours"), placeholder="2",
                   description=_("Hours are a number, like 2 or 1.5.")),
        text_field("tags", _("Tags"), max_length=TAGS_LIMIT, required=False,
                   default=filled.get("tags")),
    ]


@contextmanager
def slash_hints() -> Iterator[None]:
    """An unknown skill is refused with a pointer to ``!entraide competences``; on
    Discord it points to the slash command instead."""
    try:
        yield
    except InvalidInput as error:
        if error.params.get("command") == "!entraide competences":
            error.params["command"] = slash("aid", "aid.skills")
        raise


class Threads:
    """Where each post's discussion thread is: (guild id, thread id), for the
    latest :data:`THREADS_KEPT` posts seen by this process."""

    def __init__(self, limit: int = THREADS_KEPT) -> None:
        self.limit = limit
        self._known: OrderedDict[int, tuple[int, int]] = OrderedDict()

    def remember(self, number: int, guild_id: int, thread_id: int) -> None:
        self._known[number] = (guild_id, thread_id)
        self._known.move_to_end(number)
        while len(self._known) > self.limit:
            self._known.popitem(last=False)

    def get(self, number: int) -> tuple[int, int] | None:
        return self._known.get(number)


# -- the cog ----------------------------------------------------------------------------------

class Aid(commands.Cog):
    group = app_commands.Group(
        name=text("aid"),
        description=text("aid.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.live = LiveMessages(bot)
        self.threads = Threads()

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(HELP_ACTION, self.help_button, direct=True)
        router.add_action(CONFIRM_ACTION, self.confirm_button, direct=True)
        router.add_action(DECLINE_ACTION, self.decline_button, direct=True)
        router.add_action(EDIT_ACTION, self.edit_button)
        router.add_form(POST_FORM, self.submit_post)
        router.add_form(EDIT_FORM, self.submit_edit)

    async def cog_unload(self) -> None:
        self.bot.router.remove("aid:")
        await self.live.aclose()

    # -- notices ----------------------------------------------------------------------------

    async def notify(self, place: Place, notices: Iterable[Notice]) -> None:
        """Discord notices as direct messages sent here, their buttons naming the guild
        of ``place``; the others through the outbox."""
        others = []
        for notice in notices:
            if notice.platform != Platform.DISCORD.value or not notice.user_id.isdigit():
                others.append(notice)
                continue
            with use_locale(notice.locale):
                message = discord_notice(notice, place.collective_id)
            await self.direct_message(notice.user_id, message)
        await self.bot.core.outbox.notify(others)

    async def direct_message(self, user_id: str, message: Message) -> None:
        try:
            channel = await self.bot.create_dm(discord.Object(id=int(user_id)))
            await channel.send(**draw(message).kwargs(interaction=False))
        except discord.HTTPException as exc:
            log.warning("could not send a direct message to member %s: %s", user_id, exc)

    # -- posting ----------------------------------------------------------------------------

    @group.command(name=text("aid.request"), description=text("aid.request.description"))
    @app_commands.rename(kind=text("aid.kind"))
    @app_commands.describe(kind=text("aid.kind.description"))
    @app_commands.choices(kind=KIND_CHOICES)
    async def request(self, interaction: discord.Interaction, kind: str = "advice") -> None:
        async with self.bot.begin(interaction) as call:
            await self.open_form(call, "request", kind)

    @group.command(name=text("aid.offer"), description=text("aid.offer.description"))
    @app_commands.rename(kind=text("aid.kind"))
    @app_commands.describe(kind=text("aid.kind.description"))
    @app_commands.choices(kind=KIND_CHOICES)
    async def offer(self, interaction: discord.Interaction, kind: str = "advice") -> None:
        async with self.bot.begin(interaction) as call:
            await self.open_form(call, "offer", kind)

    async def open_form(self, call: Call, kind: str, category: str) -> None:
        if category not in CATEGORIES:
            raise UnknownComponent()
        title = _("Request") if kind == "request" else _("Offer")
        await call.interaction.response.send_modal(form(
            custom_id(POST_FORM, f"{kind}.{category}"), f"{_('Mutual aid')} · {title}",
            form_fields()))

    async def submit_post(self, call: Call, values: FormValues, arg: str | None) -> None:
        kind, _dot, category = (arg or "").partition(".")
        if kind not in KINDS or category not in CATEGORIES:
            raise UnknownComponent()
        draft = PostDraft(kind=kind, category=category, skills=first(values, "skills"),
                          tags=first(values, "tags"), description=first(values, "description"),
                          city=first(values, "where"), hours=first(values, "hours") or None)
        with slash_hints():
            created = await call.core.aid.post(call.actor, call.place, draft)
        info = created.post
        interaction = call.interaction
        message_id = await post(call, dataclasses.replace(public_post(info), tone=Tone.SUCCESS),
                                ephemeral=False)
        self.live.remember(("aid", info.id), interaction.guild_id, interaction.channel_id,
                           message_id)
        await self.open_thread(call, info, message_id)
        if info.kind == "request":
            await call.reply(Message(lines=(_("Posted. Members whose skills match are told "
                                              "privately."),), tone=Tone.SUCCESS),
                             ephemeral=True)
        await self.notify(call.place, created.notices)

    async def open_thread(self, call: Call, info: PostInfo, message_id: int | None) -> None:
        """A discussion thread on the public post (a failure is only logged)."""
        guild_id, channel_id = call.interaction.guild_id, call.interaction.channel_id
        if not (guild_id and channel_id and message_id):
            return
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            thread = await channel.get_partial_message(message_id).create_thread(
                name=thread_name(info))
        except (discord.HTTPException, ValueError) as exc:
            log.warning("could not open the thread of mutual-aid post %s in channel %s: %s",
                        info.id, channel_id, exc)
            return
        self.threads.remember(info.id, guild_id, thread.id)

    def thread_of(self, call: Call, number: int) -> tuple[int, int] | None:
        """(guild id, thread id) of the post's thread, when known: opened by this process,
        or the thread of the message whose button was used."""
        where = self.threads.get(number)
        source = call.interaction.message
        thread = getattr(source, "thread", None) if source is not None else None
        if where is None and thread is not None and thread.guild is not None:
            where = (thread.guild.id, thread.id)
            self.threads.remember(number, *where)
        return where

    async def say_in_thread(self, call: Call, number: int, line: str) -> None:
        """A line in the post's thread, when the thread is known."""
        where = self.thread_of(call, number)
        if where is None:
            return
        guild_id, thread_id = where
        channel = self.bot.get_partial_messageable(thread_id, guild_id=guild_id)
        try:
            await channel.send(**draw(Message(lines=(line,))).kwargs(interaction=False))
        except discord.HTTPException as exc:
            log.warning("could not write in the thread of mutual-aid post %s: %s", number, exc)

    # -- reading ----------------------------------------------------------------------------

    @group.command(name=text("aid.search"), description=text("aid.search.description"))
    @app_commands.rename(skill=text("aid.search.skill"), city=text("aid.search.city"),
                         kind=text("aid.search.type"))
    @app_commands.describe(skill=text("aid.search.skill.description"),
                           city=text("aid.search.city.description"),
                           kind=text("aid.search.type.description"))
    @app_commands.choices(kind=TYPE_CHOICES)
    async def search(
        self,
        interaction: discord.Interaction,
        skill: app_commands.Range[str, 1, 100] | None = None,
        city: app_commands.Range[str, 1, CITY_LIMIT] | None = None,
        kind: str | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            with slash_hints():
                items = await call.core.aid.search(call.actor, call.place, skill=skill,
                                                   city=city, kind=kind)
            await call.reply(render.listing(items), ephemeral=True)

    @search.autocomplete("skill")
    async def skill_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        locale = await self.bot.core.locale_for(place_of(interaction))
        with use_locale(locale):
            return [app_commands.Choice(name=label, value=key)
                    for key, label in skill_suggestions(current)]

    @group.command(name=text("aid.show"), description=text("aid.show.description"))
    @app_commands.rename(number=text("aid.number"))
    @app_commands.describe(number=text("aid.number.description"))
    async def show(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.aid.show(call.actor, call.place, number)
            message_id = await post(call, public_post(info), ephemeral=False)
            self.live.remember(("aid", number), interaction.guild_id, interaction.channel_id,
                               message_id)

    @group.command(name=text("aid.skills"), description=text("aid.skills.description"))
    async def skills(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.skills_list(), ephemeral=True)

    @group.command(name=text("aid.close"), description=text("aid.close.description"))
    @app_commands.rename(number=text("aid.number"))
    @app_commands.describe(number=text("aid.number.description"))
    async def close(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.aid.close(call.actor, call.place, number)
            await call.reply(public_post(info), ephemeral=True)
            self.refresh(call, number)

    # -- editing ----------------------------------------------------------------------------

    @group.command(name=text("aid.edit"), description=text("aid.edit.description"))
    @app_commands.rename(number=text("aid.number"))
    @app_commands.describe(number=text("aid.number.description"))
    async def edit(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await self.open_edit_form(call, number)

    async def edit_button(self, call: Call, arg: str | None) -> None:
        number, _guild = split_arg(arg)
        self.live.remember_source(("aid", number), call.interaction)
        await self.open_edit_form(call, number)

    async def open_edit_form(self, call: Call, number: int) -> None:
        """The creation form filled with the post, for its author or a moderator."""
        info = await call.core.aid.editable(call.actor, call.place, number)
        await call.interaction.response.send_modal(form(
            custom_id(EDIT_FORM, info.id), f"{_('Edit')} · #{info.id}",
            form_fields(info)))

    async def submit_edit(self, call: Call, values: FormValues, arg: str | None) -> None:
        number, _guild = split_arg(arg)
        with slash_hints():
            info = await call.core.aid.edit_post(call.actor, call.place, number,
                                                 edit_draft(values))
        self.live.remember_source(("aid", number), call.interaction)
        await call.reply(Message(lines=(_("The post has been updated."),), tone=Tone.SUCCESS),
                         ephemeral=True)
        self.refresh(call, number)
        await self.rename_thread(call, info)

    async def rename_thread(self, call: Call, info: PostInfo) -> None:
        """Give the post's thread the name of its skills, when known and different (Discord
        allows few renames: nothing is sent when the name stays)."""
        where = self.thread_of(call, info.id)
        if where is None:
            return
        name = thread_name(info)
        try:
            thread = self.bot.get_channel(where[1]) or await self.bot.fetch_channel(where[1])
            if isinstance(thread, discord.Thread) and thread.name != name:
                await thread.edit(name=name)
        except discord.HTTPException as exc:
            log.warning("could not rename the thread of mutual-aid post %s: %s", info.id, exc)

    def refresh(self, call: Call, number: int) -> None:
        """Update the public messages showing post ``number`` (throttled)."""
        core, actor, place, locale = call.core, call.actor, call.place, current_locale()

        async def build() -> Message:
            with use_locale(locale):
                return public_post(await core.aid.show(actor, place, number))

        self.live.refresh(("aid", number), build)

    # -- skills -----------------------------------------------------------------------------

    @group.command(name=text("aid.profile"), description=text("aid.profile.description"))
    @app_commands.rename(skills=text("aid.profile.skills"), city=text("aid.profile.city"),
                         notify=text("aid.profile.notify"))
    @app_commands.describe(skills=text("aid.profile.skills.description"),
                           city=text("aid.profile.city.description"),
                           notify=text("aid.profile.notify.description"))
    async def profile(
        self,
        interaction: discord.Interaction,
        skills: app_commands.Range[str, 1, SKILLS_LIMIT] | None = None,
        city: app_commands.Range[str, 1, CITY_LIMIT] | None = None,
        notify: bool | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            if skills is None and city is None and notify is None:
                result = await call.core.aid.profile(call.actor, call.place)
            else:
                with slash_hints():
                    result = await call.core.aid.set_profile(
                        call.actor, call.place, skills=skills, city=city, notify=notify)
            await call.reply(render.profile(result), ephemeral=True)

    # -- offering help ----------------------------------------------------------------------

    async def help_button(self, call: Call, arg: str | None) -> None:
        number, _guild = split_arg(arg)
        if call.interaction.guild_id is not None:
            self.live.remember_source(("aid", number), call.interaction)
        offer = await call.core.aid.can_help(call.actor, call.place, number)
        await call.reply(render.help_sent(offer.post), ephemeral=True)
        await self.notify(call.place, offer.notices)
        await self.say_in_thread(call, number, translate(
            "{name} offers to help.", name=escape(call.actor.display_name)))

    # -- the time bank ----------------------------------------------------------------------

    @group.command(name=text("aid.exchange"), description=text("aid.exchange.description"))
    @app_commands.rename(member=text("aid.exchange.member"), hours=text("aid.exchange.hours"),
                         direction=text("aid.exchange.direction"),
                         number=text("aid.exchange.post"), kind=text("aid.exchange.kind"),
                         note=text("aid.exchange.note"))
    @app_commands.describe(member=text("aid.exchange.member.description"),
                           hours=text("aid.exchange.hours.description"),
                           direction=text("aid.exchange.direction.description"),
                           number=text("aid.exchange.post.description"),
                           kind=text("aid.exchange.kind.description"),
                           note=text("aid.exchange.note.description"))
    @app_commands.choices(direction=DIRECTION_CHOICES, kind=KIND_CHOICES)
    async def exchange(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        hours: app_commands.Range[str, 1, HOURS_LIMIT],
        direction: str,
        number: Number | None = None,
        kind: str | None = None,
        note: app_commands.Range[str, 1, NOTE_LIMIT] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            other = Actor(Platform.DISCORD, str(member.id), member.display_name)
            result = await call.core.aid.record(
                call.actor, call.place, other=other, hours=hours, gave=direction == "gave",
                post=number, category=kind, note=note)
            await call.reply(render.exchange(result.exchange), ephemeral=True)
            await self.notify(call.place, result.notices)

    @group.command(name=text("aid.confirm"), description=text("aid.confirm.description"))
    @app_commands.rename(number=text("aid.exchange.number"))
    @app_commands.describe(number=text("aid.exchange.number.description"))
    async def confirm(self, interaction: discord.Interaction, number: ExchangeNumber) -> None:
        async with self.bot.begin(interaction) as call:
            await self.answer(call, number, accept=True)

    @group.command(name=text("aid.decline"), description=text("aid.decline.description"))
    @app_commands.rename(number=text("aid.exchange.number"))
    @app_commands.describe(number=text("aid.exchange.number.description"))
    async def decline(self, interaction: discord.Interaction, number: ExchangeNumber) -> None:
        async with self.bot.begin(interaction) as call:
            await self.answer(call, number, accept=False)

    async def confirm_button(self, call: Call, arg: str | None) -> None:
        await self.answer(call, split_arg(arg)[0], accept=True)

    async def decline_button(self, call: Call, arg: str | None) -> None:
        await self.answer(call, split_arg(arg)[0], accept=False)

    async def answer(self, call: Call, number: int, *, accept: bool) -> None:
        """Confirm or decline exchange ``number``. In a direct message the message with
        the buttons is replaced by the outcome; elsewhere the answer is private."""
        result = await call.core.aid.confirm(call.actor, call.place, number, accept=accept)
        message = render.exchange(result.exchange)
        interaction = call.interaction
        if interaction.guild_id is None and interaction.message is not None \
                and not interaction.response.is_done():
            rendered = draw(message)
            await interaction.response.edit_message(embed=rendered.embed, view=None)
        else:
            await call.reply(message, ephemeral=True)
        await self.notify(call.place, result.notices)
        self.fulfilled(call, result)

    def fulfilled(self, call: Call, result: ExchangeResult) -> None:
        """A confirmed exchange linked to a post fulfils it: refresh where it is shown."""
        exchange = result.exchange
        if exchange.status == "confirmed" and exchange.post_id is not None:
            self.refresh(call, exchange.post_id)

    @group.command(name=text("aid.balance"), description=text("aid.balance.description"))
    async def balance(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.balance(await call.core.aid.balance(call.actor, call.place)),
                             ephemeral=True)

    @group.command(name=text("aid.flags"), description=text("aid.flags.description"))
    async def flags(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.flagged(await call.core.aid.flagged(call.actor, call.place)),
                             ephemeral=True)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Aid(bot))


__all__ = ["Aid", "Threads", "direct_id", "discord_notice", "edit_draft", "form_fields",
           "hours_text", "public_post", "skill_suggestions", "skills_text", "split_arg",
           "thread_name"]
