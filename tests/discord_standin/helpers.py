"""Scenario helpers on top of the stand-in: send interactions, wait for the bot's answers."""

# Waits take a per-call deadline on purpose: it is the API tests want.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from .payloads import (
    Actor,
    Resolved,
    component_interaction,
    modal_submit_components,
    modal_submit_interaction,
    slash_interaction,
)
from .records import InteractionRecord, RecordedRequest, StoredMessage
from .server import DiscordStandIn
from .world import ChannelType, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser

Match = None | str | Callable[[StoredMessage], bool]
MessageRef = StoredMessage | dict


@contextlib.contextmanager
def redirect_discord_py(
    api_base: str | DiscordStandIn, gateway_url: str | None = None
) -> Iterator[None]:
    """Point this process's discord.py at the stand-in; restore Route.BASE and DEFAULT_GATEWAY."""
    import discord.gateway
    import discord.http
    import yarl

    if isinstance(api_base, DiscordStandIn):
        standin = api_base
        api_base, gateway_url = standin.api_base, standin.gateway_url
    assert gateway_url is not None
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def capture_discord_errors(logger: str = "discord") -> Iterator[list[logging.LogRecord]]:
    """Collect ERROR (and worse) records of the ``discord`` logger into the yielded list."""
    handler = _ErrorCollector()
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield handler.records
    finally:
        target.removeHandler(handler)


def format_log_records(records: Sequence[logging.LogRecord]) -> str:
    """Readable dump of log records (with tracebacks) for assertion messages."""
    out = []
    for rec in records:
        out.append(f"{rec.levelname} {rec.name}: {rec.getMessage()}")
        if rec.exc_info:
            out.append("".join(traceback.format_exception(*rec.exc_info)))
    return "\n".join(out)


def task_problem(task: asyncio.Task[Any], what: str = "client task") -> str | None:
    """Describe why a task (e.g. ``client.start``) is not running any more, or None if it is."""
    if not task.done():
        return None
    if task.cancelled():
        return f"{what} was cancelled"
    exc = task.exception()
    if exc is None:
        return f"{what} ended"
    return f"{what} died: " + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@contextlib.asynccontextmanager
async def run_client(
    client: Any,
    standin: DiscordStandIn,
    *,
    token: str = "standin-token",
    ready_timeout: float = 10.0,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run a discord.py client in this process against the stand-in; yield once it is ready.

    While it runs, the stand-in's waits fail fast if the client task dies.
    """
    with redirect_discord_py(standin):
        task = asyncio.create_task(client.start(token), name="standin-client")

        def check() -> str | None:
            return task_problem(task)

        standin.health_checks.append(check)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + ready_timeout
            while not client.is_ready():
                problem = task_problem(task)
                if problem:
                    raise AssertionError(problem)
                if loop.time() > deadline:
                    raise AssertionError(
                        f"client not ready after {ready_timeout}s\n\n{standin.summary()}"
                    )
                await asyncio.sleep(0.02)
            yield task
        finally:
            standin.health_checks.remove(check)
            if not client.is_closed():
                await client.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5.0)


class DiscordEnv:
    """A stand-in plus a default guild and channel, with terse scenario helpers.

    Example::

        alice = env.user("alice", roles=["Membre"])
        inter = await env.slash("tribune", "signer", user=alice, options={"texte": "..."})
        reply = await env.answer(inter)
        assert reply.ephemeral and "merci" in reply.content
    """

    def __init__(
        self,
        standin: DiscordStandIn,
        *,
        guild: FakeGuild | None = None,
        channel: FakeChannel | None = None,
    ) -> None:
        self.standin = standin
        self.world = standin.world
        if guild is None:
            guild = next(iter(self.world.guilds.values()), None) or self.world.add_guild(
                "Test Guild"
            )
        self.guild = guild
        if channel is None:
            channel = next(
                (c for c in guild.channels.values() if c.type == ChannelType.TEXT), None
            ) or self.world.add_channel(guild, "general")
        self.channel = channel

    @classmethod
    def create(
        cls,
        standin: DiscordStandIn,
        *,
        guild_name: str = "Test Guild",
        channels: Sequence[str] = ("general",),
    ) -> DiscordEnv:
        """A fresh guild with the given text channels (the first one is the default channel)."""
        guild = standin.world.add_guild(guild_name)
        chans = [standin.add_channel(guild, name) for name in channels]
        return cls(standin, guild=guild, channel=chans[0] if chans else None)

    # ------------------------------------------------------------------ world shortcuts

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot_user

    def user(
        self,
        username: str,
        *,
        roles: Sequence[FakeRole | int | str] = (),
        nick: str | None = None,
        global_name: str | None = None,
        locale: str = "fr",
        guild: FakeGuild | None = None,
    ) -> FakeMember:
        """A new user who is a member of the (default) guild."""
        user = self.standin.add_user(username, global_name=global_name, locale=locale)
        return self.standin.add_member(guild or self.guild, user, roles=roles, nick=nick)

    def role(self, name: str, *, permissions: int = 0, **kwargs: Any) -> FakeRole:
        """A new role in the default guild (below the bot's role)."""
        return self.standin.add_role(self.guild, name, permissions=permissions, **kwargs)

    def text_channel(self, name: str, **kwargs: Any) -> FakeChannel:
        """A new text channel in the default guild."""
        return self.standin.add_channel(self.guild, name, **kwargs)

    def dm_channel(self, user: FakeUser | FakeMember) -> FakeChannel:
        return self.world.dm_channel(user.user if isinstance(user, FakeMember) else user)

    # ------------------------------------------------------------------ sending interactions

    async def _command(
        self, name: str, guild: FakeGuild | None, wait_synced: bool, timeout: float | None
    ) -> dict[str, Any] | None:
        cmd = self.standin.command(name, guild=guild)
        if cmd is None and wait_synced:

            def known() -> str:
                names = {k: [c["name"] for c in v] for k, v in self.standin.commands.items()}
                return f"/{name} to be registered by the bot (registered so far: {names})"

            cmd = await self.standin.wait_until(
                lambda: self.standin.command(name, guild=guild), timeout=timeout, describe=known
            )
        return cmd

    async def slash(
        self,
        *path: str,
        user: Actor,
        options: Mapping[str, Any] | None = None,
        channel: FakeChannel | None = None,
        wait_synced: bool = True,
        timeout: float | None = None,
        **base: Any,
    ) -> InteractionRecord:
        """Dispatch a slash command: ``slash("tribune", "signer", user=alice, options={...})``.

        ``path`` is the command name, then the optional group/subcommand ("tribune signer" works).
        The registered command (ids, option types) is used; waits for it to be synced unless
        ``wait_synced`` is False. Extra keywords go to :func:`payloads.interaction_base`
        (locale, permissions, app_permissions, ...).
        """
        parts = [p for segment in path for p in segment.split()]
        channel = channel or self.channel
        guild = self.world.guild_of(channel)
        command = await self._command(parts[0], guild, wait_synced, timeout)
        payload = slash_interaction(
            self.world,
            parts[0],
            parts[1:],
            options,
            user=user,
            channel=channel,
            command=command,
            base_url=self.standin.base_url,
            **base,
        )
        return await self.standin.send_interaction(payload, timeout=timeout)

    async def autocomplete(
        self,
        *path: str,
        user: Actor,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        channel: FakeChannel | None = None,
        wait_synced: bool = True,
        timeout: float | None = None,
        **base: Any,
    ) -> InteractionRecord:
        """Dispatch an autocomplete request for option ``focused`` currently typed as ``value``."""
        parts = [p for segment in path for p in segment.split()]
        channel = channel or self.channel
        guild = self.world.guild_of(channel)
        command = await self._command(parts[0], guild, wait_synced, timeout)
        opts = {**(options or {}), focused: value}
        payload = slash_interaction(
            self.world,
            parts[0],
            parts[1:],
            opts,
            user=user,
            channel=channel,
            command=command,
            autocomplete_focus=focused,
            base_url=self.standin.base_url,
            **base,
        )
        return await self.standin.send_interaction(payload, timeout=timeout)

    @staticmethod
    def _message_data(message: MessageRef) -> dict[str, Any]:
        return message.data if isinstance(message, StoredMessage) else message

    def _component(self, message: MessageRef, custom_id: str, check: bool) -> dict[str, Any] | None:
        if not check:
            return None
        msg = (
            message if isinstance(message, StoredMessage) else StoredMessage(data=message, body={})
        )
        return msg.component(custom_id)

    async def click(
        self,
        message: MessageRef,
        custom_id: str,
        *,
        user: Actor,
        check: bool = True,
        timeout: float | None = None,
        **base: Any,
    ) -> InteractionRecord:
        """Click the button ``custom_id`` of ``message`` (must exist unless ``check=False``)."""
        comp = self._component(message, custom_id, check)
        if comp is not None and comp.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button: {comp}")
        payload = component_interaction(
            self.world,
            self._message_data(message),
            custom_id,
            user=user,
            component_type=2,
            base_url=self.standin.base_url,
            **base,
        )
        return await self.standin.send_interaction(payload, timeout=timeout)

    async def select(
        self,
        message: MessageRef,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: Actor,
        component_type: int | None = None,
        check: bool = True,
        timeout: float | None = None,
        **base: Any,
    ) -> InteractionRecord:
        """Choose ``values`` in the select ``custom_id`` of ``message``.

        Entity selects (user/role/mentionable/channel) take world objects; they go to ``resolved``.
        """
        comp = self._component(message, custom_id, check)
        ctype = component_type or (int(comp["type"]) if comp else 3)
        payload = component_interaction(
            self.world,
            self._message_data(message),
            custom_id,
            user=user,
            component_type=ctype,
            values=values,
            base_url=self.standin.base_url,
            **base,
        )
        return await self.standin.send_interaction(payload, timeout=timeout)

    def actor_of(self, interaction: InteractionRecord) -> Actor:
        """The member (guild) or user (DM) who triggered an interaction."""
        payload = interaction.payload or {}
        if payload.get("member"):
            guild = self.world.guilds[int(payload["guild_id"])]
            return guild.members[int(payload["member"]["user"]["id"])]
        return self.world.users[int(payload["user"]["id"])]

    async def submit_modal(
        self,
        source: InteractionRecord,
        values: Mapping[str, Any],
        *,
        user: Actor | None = None,
        strict: bool = True,
        timeout: float | None = None,
        **base: Any,
    ) -> InteractionRecord:
        """Fill and submit the modal the bot opened in answer to ``source``.

        ``values`` maps custom_id to the entered value; the submitted components mirror the modal's
        own layout (action rows or labels).
        """
        modal = await self.modal(source, timeout=timeout)
        payload = source.payload or {}
        channel = self.world.find_channel(int(payload["channel_id"]))
        assert channel is not None
        actor = user or self.actor_of(source)
        guild = self.world.guild_of(channel)
        member = (
            actor
            if isinstance(actor, FakeMember)
            else (guild.members.get(actor.id) if guild else None)
        )
        resolved = Resolved(self.world, guild, self.standin.base_url)
        components = modal_submit_components(
            modal.get("components") or [], values, resolved=resolved, member=member, strict=strict
        )
        submit = modal_submit_interaction(
            self.world,
            modal["custom_id"],
            components,
            user=actor,
            channel=channel,
            message=payload.get("message"),
            resolved=resolved.data or None,
            **base,
        )
        return await self.standin.send_interaction(submit, timeout=timeout)

    # ------------------------------------------------------------------ waiting for the bot

    async def ack(
        self, interaction: InteractionRecord, *, timeout: float | None = None
    ) -> InteractionRecord:
        """Wait for the initial callback (any type, defers included)."""
        await self.standin.wait_until(
            lambda: interaction.responded,
            timeout=timeout,
            describe=lambda: "a callback\n" + interaction.describe(),
        )
        return interaction

    async def answer(
        self, interaction: InteractionRecord, *, timeout: float | None = None
    ) -> InteractionRecord:
        """Wait for the bot's visible answer; return the record (``.content``, ``.ephemeral``...).

        That is a message, a message update, a modal or choices; after a defer, an edit of the
        original response or a follow-up.
        """
        await self.standin.wait_until(
            lambda: interaction.answered,
            timeout=timeout,
            describe=lambda: "an answer\n" + interaction.describe(),
        )
        return interaction

    async def followup(
        self, interaction: InteractionRecord, *, count: int = 1, timeout: float | None = None
    ) -> StoredMessage:
        """Wait for the ``count``-th follow-up message and return it."""
        await self.standin.wait_until(
            lambda: len(interaction.followups) >= count,
            timeout=timeout,
            describe=lambda: f"follow-up #{count}\n" + interaction.describe(),
        )
        return interaction.followups[count - 1]

    async def modal(
        self, interaction: InteractionRecord, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Wait for the bot to open a modal; return its data (custom_id, title, components)."""
        await self.ack(interaction, timeout=timeout)
        modal = interaction.modal
        if modal is None:
            raise AssertionError("the bot did not answer with a modal\n" + interaction.describe())
        return modal

    async def choices(
        self, interaction: InteractionRecord, *, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Wait for autocomplete choices."""
        await self.ack(interaction, timeout=timeout)
        choices = interaction.choices
        if choices is None:
            raise AssertionError(
                "the bot did not answer with autocomplete choices\n" + interaction.describe()
            )
        return choices

    @staticmethod
    def _matcher(match: Match) -> Callable[[StoredMessage], bool]:
        if match is None:
            return lambda m: True
        if isinstance(match, str):
            return lambda m: match in m.text
        return match

    async def message_in(
        self,
        channel: FakeChannel | int | None = None,
        match: Match = None,
        *,
        count: int = 1,
        from_bot: bool = True,
        timeout: float | None = None,
    ) -> StoredMessage:
        """Wait until ``count`` messages matching ``match`` exist in the channel; return the last.

        ``match`` is a substring of the message text (content, embeds, components) or a predicate.
        """
        channel = channel if channel is not None else self.channel
        pred = self._matcher(match)

        def found() -> list[StoredMessage]:
            msgs = (
                self.standin.bot_messages_in(channel)
                if from_bot
                else self.standin.messages_in(channel)
            )
            hits = [m for m in msgs if pred(m)]
            return hits if len(hits) >= count else []

        def describe() -> str:
            cid = channel if isinstance(channel, int) else channel.id
            seen = "\n".join(f"  {m!r}" for m in self.standin.messages_in(channel)) or "  (none)"
            return (
                f"{count} message(s) matching {match!r} in channel {cid}; messages there:\n{seen}"
            )

        hits = await self.standin.wait_until(found, timeout=timeout, describe=describe)
        return hits[-1]

    async def dm(
        self,
        user: FakeUser | FakeMember,
        match: Match = None,
        *,
        count: int = 1,
        timeout: float | None = None,
    ) -> StoredMessage:
        """Wait for a DM from the bot to ``user``."""
        uid = user.id
        pred = self._matcher(match)

        def found() -> list[StoredMessage]:
            hits = [m for m in self.standin.dms_to(uid) if pred(m)]
            return hits if len(hits) >= count else []

        def describe() -> str:
            seen = "\n".join(f"  {m!r}" for m in self.standin.dms_to(uid)) or "  (none)"
            return f"{count} DM(s) matching {match!r} to user {uid}; DMs sent:\n{seen}"

        hits = await self.standin.wait_until(found, timeout=timeout, describe=describe)
        return hits[-1]

    async def request(
        self, method: str | None, path_pattern: str, *, count: int = 1, timeout: float | None = None
    ) -> RecordedRequest:
        """Wait until ``count`` requests matching method/path were made; return the last one."""

        def found() -> list[RecordedRequest]:
            hits = self.standin.requests_to(method, path_pattern)
            return hits if len(hits) >= count else []

        hits = await self.standin.wait_until(
            found, timeout=timeout, describe=f"{count} request(s) {method} {path_pattern}"
        )
        return hits[-1]

    def requests_to(self, method: str | None, path_pattern: str) -> list[RecordedRequest]:
        return self.standin.requests_to(method, path_pattern)

    async def post(
        self, user: FakeUser | FakeMember, content: str, channel: FakeChannel | None = None
    ) -> StoredMessage:
        """A user posts a message (dispatched to the bot as MESSAGE_CREATE)."""
        return await self.standin.post_as(user, channel or self.channel, content)

    # ------------------------------------------------------------------ health

    def watch_task(self, task: asyncio.Task[Any], what: str = "client task") -> None:
        """Make every wait fail fast (with the traceback) if ``task`` dies."""
        self.standin.health_checks.append(lambda: task_problem(task, what))

    def watch_process(self, proc: Any, what: str = "bot process") -> None:
        """Make every wait fail fast if a subprocess (asyncio or subprocess.Popen) exits."""

        def check() -> str | None:
            code = proc.returncode if hasattr(proc, "returncode") else None
            if hasattr(proc, "poll"):
                code = proc.poll()
            return None if code is None else f"{what} exited with code {code}"

        self.standin.health_checks.append(check)
