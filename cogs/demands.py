"""``/revendication``: propose demands through a form, support them, list them;
moderators merge, reject and retain.

- ``proposer`` opens a form (title, text, theme). When similar open demands
  exist, nothing is saved: the member sees them privately, each with its
  Support button, and a "Propose anyway" button. That button opens the form
  again, prefilled with the draft, and its submission (form
  ``demand:propose-form:force``) skips the similarity check. Drafts are kept in
  memory for :data:`DRAFT_TTL` seconds per member, only to prefill that form:
  after a restart it opens empty, and still proposes anyway.
- Support buttons (``demand:support:N``, ``demand:unsupport:N``) are routed by
  ``custom_id``, so they work on messages posted before a restart.
- Public messages showing a demand are refreshed after each support, at most
  once every :data:`REFRESH_INTERVAL` seconds per demand (:class:`LiveMessages`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.i18n import _, current_locale, localize, use_locale
from bot.core.render import demands as render
from bot.core.render.message import Action, Message, Tone
from bot.core.services.demands import (
    BODY_LIMIT,
    REASON_LIMIT,
    THEMES,
    TITLE_LIMIT,
    DemandInfo,
    Draft,
)
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.render import render as draw
from bot.discord.sending import EDIT, NotSent, Sending, Superseded
from bot.discord.translator import COMMAND_TEXTS, add_texts, text
from bot.discord.views import FormValues, choice_field, custom_id, first, form, text_field
from cogs._numbers import DemandNumber, Page, custom_number

log = logging.getLogger(__name__)

PROPOSE_FORM = "demand:propose-form"
ANYWAY_ACTION = "demand:anyway"
SUPPORT_ACTION = "demand:support"
UNSUPPORT_ACTION = "demand:unsupport"
FORCE = "force"
DRAFT_TTL = 15 * 60.0
REFRESH_INTERVAL = 3.0

COMMANDS: dict[str, tuple[str, str]] = {
    "demand": ("revendication", "demand"),
    "demand.description": (
        "Revendications : proposer, soutenir, lister ; la modération fusionne et décide",
        "Demands: propose, support, list; moderators merge and decide",
    ),
    "demand.number": ("numero", "number"),
    "demand.number.description": ("Numéro de la revendication", "Number of the demand"),
    "demand.propose": ("proposer", "propose"),
    "demand.propose.description": (
        "Proposer une revendication (les revendications proches sont montrées d'abord)",
        "Propose a demand (similar demands are shown first)",
    ),
    "demand.show": ("voir", "show"),
    "demand.show.description": ("Afficher une revendication", "Show a demand"),
    "demand.support": ("soutenir", "support"),
    "demand.support.description": ("Soutenir une revendication", "Support a demand"),
    "demand.unsupport": ("retirer-soutien", "unsupport"),
    "demand.unsupport.description": (
        "Retirer votre soutien à une revendication",
        "Withdraw your support from a demand",
    ),
    "demand.list": ("liste", "list"),
    "demand.list.description": (
        "Les revendications par nombre de soutiens, par thème ou par statut",
        "Demands by support, filtered by theme or status",
    ),
    "demand.list.theme": ("theme", "theme"),
    "demand.list.theme.description": ("Seulement ce thème", "Only this theme"),
    "demand.list.status": ("statut", "status"),
    "demand.list.status.description": ("Seulement ce statut", "Only this status"),
    "demand.list.page": ("page", "page"),
    "demand.list.page.description": ("Numéro de page (1 par défaut)", "Page number (1 by default)"),
    "demand.merge": ("fusionner", "merge"),
    "demand.merge.description": (
        "(Modération) Fusionner un doublon dans une autre revendication",
        "(Moderators) Merge a duplicate into another demand",
    ),
    "demand.merge.source": ("source", "source"),
    "demand.merge.source.description": (
        "Le doublon, dont les soutiens sont reportés",
        "The duplicate, whose supports are carried over",
    ),
    "demand.merge.target": ("cible", "target"),
    "demand.merge.target.description": (
        "La revendication qui reste",
        "The demand that remains",
    ),
    "demand.reject": ("rejeter", "reject"),
    "demand.reject.description": (
        "(Modération) Rejeter une revendication, avec une raison publique",
        "(Moderators) Reject a demand, with a public reason",
    ),
    "demand.reject.reason": ("raison", "reason"),
    "demand.reject.reason.description": (
        "La raison, montrée publiquement",
        "The reason, shown publicly",
    ),
    "demand.retain": ("retenir", "retain"),
    "demand.retain.description": (
        "(Modération) Marquer une revendication comme retenue",
        "(Moderators) Mark a demand as retained",
    ),
    # Choices (names follow the same rules as command names).
    "demand.theme.retirement": ("retraite", "retirement"),
    "demand.theme.training": ("formation", "training"),
    "demand.theme.parenthood": ("parentalité", "parenthood"),
    "demand.theme.unemployment": ("chômage", "unemployment"),
    "demand.theme.platforms": ("plateformes", "platforms"),
    "demand.theme.housing_credit": ("logement-crédit", "housing-credit"),
    "demand.theme.tax": ("fiscalité", "tax"),
    "demand.theme.other": ("autre", "other"),
    "demand.status.open": ("ouverte", "open"),
    "demand.status.retained": ("retenue", "retained"),
    "demand.status.voting": ("soumise-au-vote", "put-to-a-vote"),
    "demand.status.adopted": ("adoptée", "adopted"),
    "demand.status.rejected": ("rejetée", "rejected"),
    "demand.status.merged": ("fusionnée", "merged"),
}


def declare_texts(table: dict[str, tuple[str, str]]) -> None:
    """Add a cog's command texts; loading the module again (a reload) is harmless."""
    add_texts({key: value for key, value in table.items() if COMMAND_TEXTS.get(key) != value})


declare_texts(COMMANDS)

THEME_CHOICES = [app_commands.Choice(name=text(f"demand.theme.{key}"), value=key)
                 for key in THEMES]
STATUS_CHOICES = [
    app_commands.Choice(name=text(f"demand.status.{key}"), value=key)
    for key in ("open", "retained", "voting", "adopted", "rejected", "merged")
]
Number = DemandNumber  # the demand commands' number option


# -- live public messages ---------------------------------------------------------------

Refresh = Callable[[], Awaitable[Message]]


class LiveMessages:
    """Public messages showing an item (a demand, a poll), kept up to date.

    :meth:`remember` notes where an item is shown (in memory, the latest
    ``per_item`` messages of the ``items`` most recent items; a click on a
    message's button notes it again after a restart). :meth:`refresh` edits
    them all with the message ``build`` returns, at most once every
    ``interval`` seconds per item: a refresh asked for during that time
    replaces any other waiting one and runs when the time is up, so the
    latest state is always shown last. An edit waiting out a rate limit when a
    newer state comes is dropped for it; other failures are tried again
    (:mod:`bot.discord.sending`).
    """

    def __init__(self, bot: DiscordBot, *, interval: float = REFRESH_INTERVAL,
                 per_item: int = 5, items: int = 1000) -> None:
        self.bot = bot
        # Rate limits waited out, other failures retried, edits replaced by a newer state
        # dropped (see bot.discord.sending); a bot without that policy gets its own.
        self.sending: Sending = getattr(bot, "sending", None) or Sending()
        self.interval = interval
        self.per_item = per_item
        self.items = items
        self._where: OrderedDict[Hashable, dict[int, tuple[int, int]]] = OrderedDict()
        self._pending: dict[Hashable, Refresh] = {}
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._sleeping: set[Hashable] = set()
        self._closed = False

    def remember(self, item: Hashable, guild_id: int | None, channel_id: int | None,
                 message_id: int | None) -> None:
        if not (guild_id and channel_id and message_id):
            return
        where = self._where.setdefault(item, {})
        where.pop(message_id, None)
        where[message_id] = (guild_id, channel_id)
        while len(where) > self.per_item:
            del where[next(iter(where))]
        self._where.move_to_end(item)
        while len(self._where) > self.items:
            self._where.popitem(last=False)

    def remember_source(self, item: Hashable, interaction: discord.Interaction) -> None:
        """The public message whose component was used (ephemeral ones are not edited)."""
        message = interaction.message
        if message is None or message.flags.ephemeral:
            return
        self.remember(item, interaction.guild_id, interaction.channel_id, message.id)

    def shown(self, item: Hashable) -> bool:
        return bool(self._where.get(item))

    def refresh(self, item: Hashable, build: Refresh) -> None:
        if self._closed or not self.shown(item):
            return
        self._pending[item] = build
        if item not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._run(item))
            self._tasks[item] = task

    async def _run(self, item: Hashable) -> None:
        try:
            while (build := self._pending.pop(item, None)) is not None:
                await self._edit(item, build)
                if self._closed:
                    return
                self._sleeping.add(item)
                try:
                    await asyncio.sleep(self.interval)
                finally:
                    self._sleeping.discard(item)
        finally:
            self._tasks.pop(item, None)

    async def _edit(self, item: Hashable, build: Refresh) -> None:
        try:
            message = await build()
        except Exception:
            log.warning("could not build the refreshed message of %r", item, exc_info=True)
            return
        rendered = draw(message)

        def superseded() -> bool:
            return item in self._pending

        for message_id, (guild_id, channel_id) in list(self._where.get(item, {}).items()):
            channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
            edit = functools.partial(channel.get_partial_message(message_id).edit,
                                     embed=rendered.embed, view=rendered.view,
                                     allowed_mentions=discord.AllowedMentions.none())
            try:
                await self.sending.deliver(EDIT, f"channel {channel_id}", edit,
                                           superseded=superseded, missing_ok=True)
            except discord.NotFound:
                self._where.get(item, {}).pop(message_id, None)
            except Superseded:
                return  # the newer state is shown next, on every message
            except NotSent:
                pass  # logged and counted

    def close(self) -> None:
        """Drop every refresh at once, even one under way."""
        self._closed = True
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self._pending.clear()

    async def aclose(self, within: float = 5.0) -> None:
        """Stop refreshing when the bot stops: waiting refreshes are dropped, and one
        under way (it may be reading the database) finishes first, for up to
        ``within`` seconds."""
        self._closed = True
        self._pending.clear()
        tasks = list(self._tasks.items())
        for item, task in tasks:
            if item in self._sleeping:
                task.cancel()
        if tasks:
            _done, late = await asyncio.wait([task for _item, task in tasks], timeout=within)
            for task in late:
                task.cancel()
            await asyncio.gather(*(task for _item, task in tasks), return_exceptions=True)
        self._tasks.clear()


async def post(call: Call, message: Message, *, ephemeral: bool | None = None) -> int | None:
    """Answer with ``message``; returns the id of the message posted (None if unknown)."""
    kwargs = draw(message, ephemeral=ephemeral).kwargs()
    interaction = call.interaction
    if interaction.response.is_done():
        sent = await interaction.followup.send(wait=True, **kwargs)
        return sent.id
    response = await interaction.response.send_message(**kwargs)
    return response.message_id


def public_demand(info: DemandInfo) -> Message:
    """A demand as everyone sees it (the button offers support, whoever looks)."""
    return render.demand(dataclasses.replace(info, supported_by_you=False))


def number_of(arg: str | None) -> int:
    """The demand or poll number a ``custom_id`` carries."""
    return custom_number(arg)


class Demands(commands.Cog):
    group = app_commands.Group(
        name=text("demand"),
        description=text("demand.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.live = LiveMessages(bot)
        # (guild id, user id) -> (draft, expiry on the monotonic clock)
        self.drafts: dict[tuple[int | None, int], tuple[Draft, float]] = {}

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(SUPPORT_ACTION, self.support_button)
        router.add_action(UNSUPPORT_ACTION, self.unsupport_button)
        router.add_action(ANYWAY_ACTION, self.propose_anyway)
        router.add_form(PROPOSE_FORM, self.submit_proposal)

    async def cog_unload(self) -> None:
        self.bot.router.remove("demand:")
        await self.live.aclose()

    # -- proposing -------------------------------------------------------------------------

    @group.command(name=text("demand.propose"), description=text("demand.propose.description"))
    async def propose(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await self.open_form(call, None, force=False)

    async def open_form(self, call: Call, draft: Draft | None, *, force: bool) -> None:
        draft = draft or Draft()
        await call.interaction.response.send_modal(
            form(
                custom_id(PROPOSE_FORM, FORCE if force else None),
                _("Propose a demand"),
                [
                    text_field("title", _("Title"), max_length=TITLE_LIMIT,
                               default=draft.title),
                    text_field("body", _("Text of the demand"), max_length=BODY_LIMIT,
                               paragraph=True, default=draft.body),
                    choice_field("theme", _("Theme"),
                                 [(key, localize(label)) for key, label in THEMES.items()],
                                 default=draft.theme),
                ],
            )
        )

    async def submit_proposal(self, call: Call, values: FormValues, arg: str | None) -> None:
        draft = Draft(first(values, "title"), first(values, "body"), first(values, "theme"))
        result = await call.core.demands.propose(call.actor, call.place, draft,
                                                 force=arg == FORCE)
        key = self._draft_key(call)
        if result.created is None:
            self._keep_draft(key, draft)
            similar = render.proposed(result)
            await call.reply(dataclasses.replace(
                similar,
                lines=(*similar.lines[:-1],
                       _("Or propose yours anyway: the form opens again with your text.")),
                actions=(*similar.actions,
                         Action(ANYWAY_ACTION, _("Propose anyway"), style="secondary")),
            ))
            return
        self.drafts.pop(key, None)
        info = result.created
        message_id = await post(call, dataclasses.replace(public_demand(info),
                                                          tone=Tone.SUCCESS), ephemeral=False)
        self.live.remember(("demand", info.id), call.interaction.guild_id,
                           call.interaction.channel_id, message_id)
        await call.reply(Message(lines=(_("Your demand has been recorded, with your support."),),
                                 tone=Tone.SUCCESS), ephemeral=True)

    async def propose_anyway(self, call: Call, _arg: str | None) -> None:
        key = self._draft_key(call)
        kept = self.drafts.get(key)
        draft = kept[0] if kept is not None and kept[1] > time.monotonic() else None
        await self.open_form(call, draft, force=True)

    def _draft_key(self, call: Call) -> tuple[int | None, int]:
        return call.interaction.guild_id, call.interaction.user.id

    def _keep_draft(self, key: tuple[int | None, int], draft: Draft) -> None:
        now = time.monotonic()
        for old in [k for k, (_d, expiry) in self.drafts.items() if expiry <= now]:
            del self.drafts[old]
        self.drafts[key] = (draft, now + DRAFT_TTL)

    # -- reading and supporting --------------------------------------------------------------

    @group.command(name=text("demand.show"), description=text("demand.show.description"))
    @app_commands.rename(number=text("demand.number"))
    @app_commands.describe(number=text("demand.number.description"))
    async def show(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.demands.show(call.actor, call.place, number)
            message_id = await post(call, public_demand(info), ephemeral=False)
            self.live.remember(("demand", number), interaction.guild_id,
                               interaction.channel_id, message_id)

    @group.command(name=text("demand.support"), description=text("demand.support.description"))
    @app_commands.rename(number=text("demand.number"))
    @app_commands.describe(number=text("demand.number.description"))
    async def support(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await self.do_support(call, number, remove=False)

    @group.command(name=text("demand.unsupport"),
                   description=text("demand.unsupport.description"))
    @app_commands.rename(number=text("demand.number"))
    @app_commands.describe(number=text("demand.number.description"))
    async def unsupport(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await self.do_support(call, number, remove=True)

    async def support_button(self, call: Call, arg: str | None) -> None:
        number = number_of(arg)
        self.live.remember_source(("demand", number), call.interaction)
        await self.do_support(call, number, remove=False)

    async def unsupport_button(self, call: Call, arg: str | None) -> None:
        number = number_of(arg)
        self.live.remember_source(("demand", number), call.interaction)
        await self.do_support(call, number, remove=True)

    async def do_support(self, call: Call, number: int, *, remove: bool) -> None:
        info = await call.core.demands.support(call.actor, call.place, number, remove=remove)
        done = render.supported(info)
        await call.reply(dataclasses.replace(done, actions=(render.support_action(info),)))
        self.refresh(call, number)
        if info.id != number:  # supported through a merged demand: the target changed
            self.refresh(call, info.id)

    def refresh(self, call: Call, number: int) -> None:
        """Update the public messages showing demand ``number`` (throttled)."""
        core, actor, place, locale = call.core, call.actor, call.place, current_locale()

        async def build() -> Message:
            with use_locale(locale):
                return public_demand(await core.demands.show(actor, place, number))

        self.live.refresh(("demand", number), build)

    @group.command(name=text("demand.list"), description=text("demand.list.description"))
    @app_commands.rename(theme=text("demand.list.theme"), status=text("demand.list.status"),
                         page=text("demand.list.page"))
    @app_commands.describe(theme=text("demand.list.theme.description"),
                           status=text("demand.list.status.description"),
                           page=text("demand.list.page.description"))
    @app_commands.choices(theme=THEME_CHOICES, status=STATUS_CHOICES)
    async def listing(
        self,
        interaction: discord.Interaction,
        theme: str | None = None,
        status: str | None = None,
        page: Page = 1,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            result = await call.core.demands.listing(call.actor, call.place, theme=theme,
                                                     status=status, page=page)
            await call.reply(render.listing(result))

    # -- moderators ------------------------------------------------------------------------

    @group.command(name=text("demand.merge"), description=text("demand.merge.description"))
    @app_commands.rename(source=text("demand.merge.source"), target=text("demand.merge.target"))
    @app_commands.describe(source=text("demand.merge.source.description"),
                           target=text("demand.merge.target.description"))
    async def merge(self, interaction: discord.Interaction, source: Number,
                    target: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.demands.merge(call.actor, call.place, source, target)
            await call.reply(render.decided(info))
            self.refresh(call, source)
            self.refresh(call, target)

    @group.command(name=text("demand.reject"), description=text("demand.reject.description"))
    @app_commands.rename(number=text("demand.number"), reason=text("demand.reject.reason"))
    @app_commands.describe(number=text("demand.number.description"),
                           reason=text("demand.reject.reason.description"))
    async def reject(self, interaction: discord.Interaction, number: Number,
                     reason: app_commands.Range[str, 1, REASON_LIMIT]) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.demands.reject(call.actor, call.place, number, reason)
            await call.reply(render.decided(info))
            self.refresh(call, number)

    @group.command(name=text("demand.retain"), description=text("demand.retain.description"))
    @app_commands.rename(number=text("demand.number"))
    @app_commands.describe(number=text("demand.number.description"))
    async def retain(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            info = await call.core.demands.retain(call.actor, call.place, number)
            await call.reply(render.decided(info))
            self.refresh(call, number)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Demands(bot))
