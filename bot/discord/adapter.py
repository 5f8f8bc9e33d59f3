"""The Discord adapter: a discord.py bot serving the core.

- Every module of the ``cogs`` package is an extension (one per workflow); if
  one fails to load, the bot does not start.
- Slash commands are synced at startup, globally or to ``discord.test_guild_id``,
  with English localisations from :mod:`bot.discord.translator`.
- Buttons and forms are routed by ``custom_id`` (:mod:`bot.discord.views`), so
  they keep working across restarts.
- Failures of any kind end in :func:`bot.discord.errors.report`.
- Mentions are off for every message (``AllowedMentions.none()``).
- Private notices of the core (a meetup place freed up, reminders) are direct
  messages (:meth:`BotBase.private`, the outbox's private sender).
- Nothing is dropped because of a rate limit: every request waits out the 429s
  discord.py gives up on, replies first; announcements and private notices keep
  their order per channel and are tried again after other failures
  (:mod:`bot.discord.sending`).
- The bot says hello once per guild: when it joins one, or at startup for a
  guild it has never welcomed (see :meth:`BotBase.welcome`).
- A member leaving a guild is noted for the retention setting; Discord sends
  that event only with the members intent, which the bot does not ask for by
  default, so without it nothing happens.
- Members' messages are not read, unless ``discord.read_messages`` asks for
  them (see :func:`intents`); only passive rights help (``cogs/faq.py``) uses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bot.config import DiscordSettings
from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render import admin as render_admin
from bot.core.render.message import Message
from bot.core.types import Actor, Place, Platform
from bot.discord.context import Call, actor_and_place
from bot.discord.errors import MalformedInteraction, UnknownComponent, report, report_raw
from bot.discord.render import render
from bot.discord.sending import ANNOUNCEMENT, PRIVATE, NotSent, Sending
from bot.discord.translator import CommandTranslator
from bot.discord.views import (
    ActionButton,
    Router,
    message_custom_ids,
    named_guild,
    parse_custom_id,
)
from bot.discord.views import submitted_values as read_form

log = logging.getLogger(__name__)

EXTENSIONS_PACKAGE = "cogs"


def configure_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py's REST client and gateway at the configured URLs (process-wide)."""
    discord.http.Route.BASE = settings.api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def extension_names(package: str = EXTENSIONS_PACKAGE) -> list[str]:
    """Every public module of the extensions package, sorted."""
    module = importlib.import_module(package)
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(module.__path__)
        if not info.name.startswith("_")
    )


def intents(read_messages: bool = False) -> discord.Intents:
    """Only guild events: interactions carry the member. With ``read_messages``
    (``discord.read_messages``, for passive rights help) guild messages and their
    text too: Message Content is a privileged intent, switched on for the bot in
    Discord's developer portal."""
    result = discord.Intents.none()
    result.guilds = True
    if read_messages:
        result.guild_messages = True
        result.message_content = True
    return result


class CommandTree(app_commands.CommandTree):
    """Sends every slash command failure to the one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await report(self.client.core, interaction, error)  # type: ignore[attr-defined]

    async def _call(self, interaction: discord.Interaction) -> None:
        # discord.py only routes AppCommandError to on_error; anything else raised
        # while reading the payload (options, resolved data) would be lost in a task.
        try:
            await super()._call(interaction)
        except app_commands.AppCommandError:
            raise
        except Exception as exc:
            problem = MalformedInteraction()
            problem.__cause__ = exc
            await report(self.client.core, interaction, problem)  # type: ignore[attr-defined]


# Names discord.py gives the tasks that run interaction handlers.
_HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch", "discord-ui-modal-dispatch",
                  "discord-ui-dynamic-item", "discord.py: on_interaction")
DRAIN_SECONDS = 5.0


async def finish_interactions(current: asyncio.Task[Any] | None,
                              within: float = DRAIN_SECONDS) -> None:
    """Wait (at most ``within`` seconds) for the interaction handlers still running."""
    running = [task for task in asyncio.all_tasks()
               if task is not current and not task.done()
               and task.get_name().startswith(_HANDLER_TASKS)]
    if not running:
        return
    log.info("finishing %d interaction(s) before disconnecting", len(running))
    _done, late = await asyncio.wait(running, timeout=within)
    if late:
        log.warning("%d interaction(s) still running at shutdown", len(late))


class BotBase:
    """What the plain and the sharded bot share (see :func:`build_bot`)."""

    core: Core
    router: Router
    tree: CommandTree

    def _init_bot(self, core: Core) -> None:
        self.core = core
        self.router = Router()
        self.moderator_permission = core.settings.discord.moderator_permission
        self._background: set[asyncio.Task[Any]] = set()
        self._welcome_checked: set[int] = set()
        self.sending = Sending()

    # -- startup and shutdown --------------------------------------------------------------

    async def close(self) -> None:
        """Let interactions being handled send their answers, then disconnect: a member
        who clicked just before a restart still gets a reply."""
        await finish_interactions(asyncio.current_task())
        await super().close()  # type: ignore[misc]

    async def setup_hook(self) -> None:
        self._guard_interaction_parser()
        self.add_dynamic_items(ActionButton)  # type: ignore[attr-defined]
        await self.tree.set_translator(CommandTranslator())
        for name in extension_names():
            await self.load_extension(name)  # type: ignore[attr-defined]
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the slash commands with Discord (one process per deployment does it:
        the unsharded one, or the one running shard 0)."""
        settings = self.core.settings.discord
        if settings.shard_ids is not None and 0 not in settings.shard_ids:
            log.info("slash commands are synced by the process running shard 0")
            return
        guild_id = settings.test_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global slash commands", len(synced))

    def _guard_interaction_parser(self) -> None:
        """Keep a malformed INTERACTION_CREATE from stopping the gateway connection.

        discord.py parses events synchronously in its read loop; an exception there
        (a payload missing a field it requires) would end ``connect``. The parser is
        wrapped so the payload is logged and answered instead.
        """
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers  # type: ignore[attr-defined]
        original = parsers["INTERACTION_CREATE"]

        def guarded(data: Any) -> None:
            try:
                original(data)
            except Exception as exc:
                self.spawn(report_raw(self.core, self.http, data, exc))  # type: ignore[attr-defined]

        parsers["INTERACTION_CREATE"] = guarded

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def on_ready(self) -> None:
        user = self.user  # type: ignore[attr-defined]
        guilds: list[discord.Guild] = list(self.guilds)  # type: ignore[attr-defined]
        log.info("connected to Discord as %s (%s), %d guilds",
                 user, getattr(user, "id", "?"), len(guilds))
        self.spawn(self.welcome_all(guilds))

    async def on_message(self, message: discord.Message) -> None:
        """The bot has no prefix commands: with ``discord.read_messages``, messages are
        read by listeners only (passive rights help), never parsed as commands (which
        would report every mention of the bot as an unknown command)."""

    # -- guilds joined and members leaving -----------------------------------------------------

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.spawn(self.welcome_all([guild]))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        # A guild the bot was added to may also arrive as "available".
        self.spawn(self.welcome_all([guild]))

    async def welcome_all(self, guilds: list[discord.Guild]) -> None:
        """Welcome each guild not checked yet by this process (never raises)."""
        for guild in guilds:
            if guild.id in self._welcome_checked:
                continue
            self._welcome_checked.add(guild.id)
            try:
                await self.welcome(guild)
            except Exception:
                log.warning("could not welcome guild %s", guild.id, exc_info=True)

    async def welcome(self, guild: discord.Guild) -> bool:
        """Post the welcome message if this collective never got it; True when posted."""
        place = Place(Platform.DISCORD, str(guild.id), "", guild.name or "")
        if not await self.core.config.welcome_needed(place):
            return False
        with use_locale(await self.core.locale_for(place)):
            message = render_admin.welcome()
        for channel in welcome_channels(guild)[:WELCOME_ATTEMPTS]:
            try:
                await channel.send(**render(message).kwargs(interaction=False))
            except discord.Forbidden:
                continue
            log.info("welcomed guild %s in channel %s", guild.id, channel.id)
            return True
        log.warning("no channel of guild %s accepted the welcome message", guild.id)
        return False

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Note the departure for the retention setting (never raises)."""
        try:
            place = Place(Platform.DISCORD, str(payload.guild_id), "")
            await self.core.privacy.member_left(place, str(payload.user.id))
        except Exception:
            log.warning("could not record that member %s left guild %s",
                        getattr(payload.user, "id", "?"), payload.guild_id, exc_info=True)

    # -- handling interactions ---------------------------------------------------------------

    @asynccontextmanager
    async def begin(
        self, interaction: discord.Interaction, *, guild_id: int | None = None
    ) -> AsyncIterator[Call]:
        """The actor and place of an interaction, in the collective's language. In a
        direct message, ``guild_id`` (named by a direct action) is the place, with no
        channel, and the actor is the user, never a moderator."""
        if interaction.guild_id is None and guild_id is not None:
            user = interaction.user
            if not isinstance(user, discord.abc.User):
                raise MalformedInteraction()
            place = Place(Platform.DISCORD, str(guild_id), "")
            actor = Actor(Platform.DISCORD, str(user.id), user.display_name)
            profile = await self.core.profile(place)
        else:
            actor, place, profile = await actor_and_place(
                self.core, interaction, self.moderator_permission
            )
        with use_locale(profile.locale):
            yield Call(self.core, interaction, actor, place)

    async def run_action(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A button click (called by :class:`ActionButton`); a direct action clicked in a
        direct message counts in the guild it names (see :mod:`bot.discord.views`)."""
        try:
            found = self.router.action(custom_id)
            if found is None:
                raise UnknownComponent()
            handler, arg = found
            guild_id = None
            if interaction.guild_id is None and self.router.is_direct(custom_id):
                guild_id = named_guild(arg)
                if guild_id is None:
                    raise UnknownComponent()
            async with self.begin(interaction, guild_id=guild_id) as call:
                await handler(call, arg)
        except Exception as exc:
            await report(self.core, interaction, exc)

    async def run_form(self, interaction: discord.Interaction) -> None:
        """A form (modal) submission."""
        data = interaction.data or {}
        try:
            found = self.router.form(str(data.get("custom_id", "")))
            if found is None:
                raise UnknownComponent()
            handler, arg = found
            values = read_form(data.get("components"))
            async with self.begin(interaction) as call:
                await handler(call, values, arg)
        except Exception as exc:
            await report(self.core, interaction, exc)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Forms, and the component clicks discord.py will not hand to ``ActionButton``."""
        if interaction.type is discord.InteractionType.modal_submit:
            await self.run_form(interaction)
        elif interaction.type is discord.InteractionType.component:
            custom_id = str((interaction.data or {}).get("custom_id", ""))
            dispatched = (
                parse_custom_id(custom_id) is not None
                and custom_id in message_custom_ids(interaction.message)
            )
            if not dispatched:
                await report(self.core, interaction, UnknownComponent())

    # -- posting -----------------------------------------------------------------------------

    async def announce(self, collective_id: str, channel_id: str, message: Message) -> None:
        """Outbox sender: post ``message`` in a channel of a guild, after what is already
        on its way there (what cannot be posted is logged and counted, see
        :mod:`bot.discord.sending`)."""
        channel = self.get_partial_messageable(  # type: ignore[attr-defined]
            int(channel_id), guild_id=int(collective_id)
        )
        with contextlib.suppress(NotSent):
            await self.sending.deliver(
                ANNOUNCEMENT, f"channel {channel_id}",
                # drawn for each try: a file sent is closed after it
                lambda: channel.send(**render(message).kwargs(interaction=False)),
                order=int(channel_id),
            )

    async def count_members(self, guild_id: str, role_id: str | None) -> int | None:
        """Members of a guild (the bot left out) or of one of its roles, for a poll's
        percentage quorum; None when the cache cannot tell (roles need the members
        intent, which the bot does not ask for)."""
        guild = self.get_guild(int(guild_id))  # type: ignore[attr-defined]
        if guild is None:
            return None
        if role_id is None:
            return max(0, (guild.member_count or 0) - 1) if guild.member_count else None
        role = guild.get_role(int(role_id)) if role_id.isdigit() else None
        if role is None or not guild.chunked:
            return None
        return sum(1 for member in role.members if not member.bot)

    async def private(self, user_id: str, message: Message) -> None:
        """Outbox private sender: a direct message to a member (``POST /users/@me/channels``
        then the message). Buttons are left out: a direct message belongs to no collective,
        so they would have nowhere to act. A member who refuses direct messages is logged."""
        bare = dataclasses.replace(message, actions=())

        async def attempt() -> None:
            channel = await self.create_dm(discord.Object(id=int(user_id)))  # type: ignore[attr-defined]
            await channel.send(**render(bare).kwargs(interaction=False))

        try:
            await self.sending.deliver(PRIVATE, f"the direct messages of member {user_id}",
                                       attempt, order=("dm", int(user_id)))
        except NotSent as exc:
            if isinstance(exc.__cause__, discord.Forbidden):
                log.warning("member %s does not accept direct messages: %s",
                            user_id, exc.__cause__)


WELCOME_ATTEMPTS = 3


def welcome_channels(guild: discord.Guild) -> list[discord.TextChannel]:
    """Where to say hello: the system channel, then text channels in their order,
    keeping those where the bot may post embeds."""
    me = guild.me
    candidates = [guild.system_channel] if guild.system_channel else []
    candidates += sorted(guild.text_channels, key=lambda c: (c.position, c.id))
    result: list[discord.TextChannel] = []
    for channel in candidates:
        if channel in result:
            continue
        if me is not None:
            allowed = channel.permissions_for(me)
            if not (allowed.send_messages and allowed.embed_links):
                continue
        result.append(channel)
    return result


def _bot_options(core: Core) -> dict[str, Any]:
    return {
        "command_prefix": commands.when_mentioned,
        "help_command": None,
        "intents": intents(core.settings.discord.read_messages),
        "allowed_mentions": discord.AllowedMentions.none(),
        "tree_cls": CommandTree,
        "guild_ready_timeout": core.settings.discord.guild_ready_timeout,
    }


class DiscordBot(BotBase, commands.Bot):
    def __init__(self, core: Core) -> None:
        self._init_bot(core)
        commands.Bot.__init__(self, **_bot_options(core))
        self.sending.install(self.http)


class ShardedDiscordBot(BotBase, commands.AutoShardedBot):
    def __init__(self, core: Core) -> None:
        self._init_bot(core)
        settings = core.settings.discord
        commands.AutoShardedBot.__init__(
            self, shard_ids=settings.shard_ids, shard_count=settings.shard_count,
            **_bot_options(core),
        )
        self.sending.install(self.http)


def build_bot(core: Core) -> DiscordBot | ShardedDiscordBot:
    """A sharded bot when ``shard_ids`` or ``shard_count`` is configured, else a plain one."""
    settings = core.settings.discord
    if settings.moderator_permission not in discord.Permissions.VALID_FLAGS:
        raise ValueError(
            f"discord.moderator_permission: unknown permission {settings.moderator_permission!r}"
            " (example: manage_guild)"
        )
    if settings.shard_ids and settings.shard_count is None:
        raise ValueError("discord.shard_ids needs discord.shard_count")
    if settings.shard_ids is not None or settings.shard_count is not None:
        return ShardedDiscordBot(core)
    return DiscordBot(core)


class DiscordAdapter:
    name = "discord"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.bot = build_bot(core)

    async def run(self) -> None:
        configure_endpoints(self.core.settings.discord)
        self.core.outbox.register(Platform.DISCORD.value, self.bot.announce, self.bot.private)
        self.core.polls.member_counters[Platform.DISCORD.value] = self.bot.count_members
        try:
            async with self.bot:
                await self.bot.start(self.core.settings.discord.token)
        finally:
            self.core.outbox.unregister(Platform.DISCORD.value)
            self.core.polls.member_counters.pop(Platform.DISCORD.value, None)

    async def stop(self) -> None:
        await self.bot.close()


__all__ = ["CommandTree", "DiscordAdapter", "DiscordBot", "ShardedDiscordBot", "build_bot"]
