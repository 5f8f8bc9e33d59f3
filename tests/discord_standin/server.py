"""Loopback stand-in for Discord's gateway (websocket) and REST API, built on aiohttp."""

# Waits take a per-call deadline on purpose: it is the API tests want.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import datetime as _dt
import email.utils
import hashlib
import json
import logging
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .records import (
    EPHEMERAL,
    IS_COMPONENTS_V2,
    LOADING,
    InteractionRecord,
    RecordedFile,
    RecordedRequest,
    StoredMessage,
    compile_path_pattern,
    method_matches,
)
from .world import (
    ChannelType,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Perm,
    World,
    iso_now,
)

log = logging.getLogger(__name__)

Reply = tuple[int, Any]
RouteHandler = Callable[..., Awaitable[Reply]]
ChannelRef = FakeChannel | int
UserRef = FakeUser | FakeMember | int

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
_SETTABLE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12
MESSAGE_CONTENT_INTENT = 1 << 15
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return status, body


def _id_of(obj: ChannelRef | UserRef | Any) -> int:
    return obj if isinstance(obj, int) else int(obj.id)


@dataclass
class _Injection:
    """A pending fake failure (429 or any error) for requests matching a route pattern."""

    method: str | None
    pattern: re.Pattern[str]
    remaining: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    every: int = 1  # one matching request in ``every`` is answered with the failure
    seen: int = 0
    retry_after: float = 0.0
    is_global: bool = False


@dataclass
class GatewayConnection:
    """One websocket connection from a client."""

    ws: web.WebSocketResponse
    query: dict[str, str]
    session: GatewaySession | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False
    close_code: int | None = None

    async def send(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        async with self.lock:
            if not self.ws.closed:
                try:
                    await self.ws.send_str(text)
                except (ConnectionError, RuntimeError):
                    pass


@dataclass
class GatewaySession:
    """A gateway session (survives reconnects through RESUME)."""

    id: str
    identify: dict[str, Any]
    seq: int = 0
    events: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, event name, frame)
    conn: GatewayConnection | None = None
    invalid: bool = False
    ready: bool = False
    resumes: int = 0
    replayed: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def shard(self) -> list[int] | None:
        return self.identify.get("shard")

    @property
    def intents(self) -> int:
        return int(self.identify.get("intents") or 0)


class DiscordStandIn:
    """Fake Discord: a gateway websocket and a REST API on 127.0.0.1, recording what the bot does.

    Start it with ``await standin.start()`` (or ``async with DiscordStandIn() as standin``),
    populate ``standin.world`` (guilds, channels, roles, members), then point the bot at
    ``standin.api_base`` and ``standin.gateway_url``.
    """

    def __init__(
        self,
        *,
        bot_name: str = "StandinBot",
        token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        default_timeout: float = 5.0,
        echo_events: bool = True,
        interaction_ack_timeout: float | None = None,
        validate_commands: bool = True,
    ) -> None:
        self.world = World(bot_name=bot_name)
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.default_timeout = default_timeout
        self.echo_events = echo_events
        self.interaction_ack_timeout = interaction_ack_timeout
        self.validate_commands = validate_commands

        # recordings
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[StoredMessage]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.reactions: list[tuple[int, int, str, str]] = []  # (channel, message, emoji, method)
        self.presence_updates: list[dict[str, Any]] = []
        self.gateway_log: list[tuple[str, Any, str | None]] = []  # (direction, op, event)
        self.internal_errors: list[str] = []
        self.attachments_data: dict[int, bytes] = {}

        # gateway state
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}

        # behaviour hooks
        self.health_checks: list[Callable[[], str | None]] = []
        self._injections: list[_Injection] = []
        self._global_until = 0.0  # monotonic end of a global rate limit
        self._custom_routes: list[tuple[str, re.Pattern[str], str, RouteHandler]] = []
        self._routes = [(m, self._compile(p), p, h) for m, p, h in self._route_table()]
        self._waiters: list[asyncio.Future[None]] = []
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> DiscordStandIn:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._handle_rest)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._handle_cdn)
        app.router.add_get("/", self._handle_gateway)
        app.router.add_get("/gateway", self._handle_gateway)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close every gateway connection and stop listening."""
        for conn in list(self.connections):
            if not conn.ws.closed:
                try:
                    await asyncio.wait_for(
                        conn.ws.close(code=1001, message=b"stand-in stopping"), 1.0
                    )
                except (TimeoutError, ConnectionError, RuntimeError):
                    pass
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE (and the bot's ``discord.api_base``)."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for DiscordWebSocket.DEFAULT_GATEWAY (and the bot's ``discord.gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        return self.world.application_id

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def _check_health(self) -> None:
        if self.internal_errors:
            raise AssertionError("stand-in internal error(s):\n" + "\n".join(self.internal_errors))
        for check in self.health_checks:
            problem = check()
            if problem:
                raise AssertionError(f"{problem}\n\n{self.summary()}")

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float | None = None,
        describe: str | Callable[[], str] | None = None,
    ) -> Any:
        """Wait until predicate() is truthy (re-checked on every recorded change); return its value.

        On timeout raises AssertionError with ``describe`` and a summary of what was recorded.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.default_timeout if timeout is None else timeout)
        while True:
            result = predicate()
            if result:
                return result
            self._check_health()
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = describe() if callable(describe) else (describe or "condition")
                raise AssertionError(f"timed out waiting for {what}\n\n{self.summary()}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            await asyncio.wait({fut}, timeout=min(remaining, 0.25))

    def summary(self, last: int = 25) -> str:
        """What the stand-in saw recently (used in assertion messages)."""
        lines = [f"last {min(last, len(self.requests))} of {len(self.requests)} REST requests:"]
        for rec in self.requests[-last:]:
            body = json.dumps(rec.json, ensure_ascii=False)[:200] if rec.json is not None else ""
            lines.append(f"  {rec!r} {body}")
        unknown = [r for r in self.requests if r.route is None and r.status == 404]
        if unknown:
            lines.append("unknown routes: " + ", ".join(f"{r.method} {r.path}" for r in unknown))
        sessions = ", ".join(
            f"{s.id[:8]}(seq={s.seq}, connected={s.conn is not None}, invalid={s.invalid})"
            for s in self.sessions.values()
        )
        lines.append(f"gateway sessions: {sessions or 'none'}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ gateway

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions that received READY and were not invalidated."""
        return [s for s in self.sessions.values() if s.ready and not s.invalid]

    async def wait_ready(self, timeout: float | None = None) -> GatewaySession:
        """Wait until a client has identified and received READY and its GUILD_CREATEs."""
        sessions = await self.wait_until(
            self.live_sessions, timeout=timeout, describe="a client to IDENTIFY on the gateway"
        )
        return sessions[-1]

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any] | Callable[[GatewaySession], dict[str, Any] | None],
        *,
        wait_ready: bool = True,
        timeout: float | None = None,
    ) -> list[int]:
        """Send a DISPATCH (op 0) event to every live session; returns the sequence numbers used.

        ``data`` may be a function of the session (e.g. to honour its intents); when it returns
        None, that session does not get the event. Events for a session whose socket is
        momentarily closed are kept and replayed on RESUME.
        """
        if wait_ready:
            await self.wait_ready(timeout)
        pending, self._pending = self._pending, []
        seqs = []
        for session in self.live_sessions():
            async with session.lock:
                for p_event, p_data in pending:
                    await self._send_dispatch(session, p_event, p_data)
                payload = data(session) if callable(data) else data
                if payload is None:
                    continue
                seqs.append(await self._send_dispatch(session, event, payload))
        return seqs

    def announce(self, event: str, data: dict[str, Any]) -> None:
        """Queue an event for connected clients; sent before the next dispatch or on flush()."""
        if self.live_sessions():
            self._pending.append((event, data))

    async def flush(self) -> None:
        """Send queued announcements now."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        for session in self.live_sessions():
            async with session.lock:
                for p_event, p_data in pending:
                    await self._send_dispatch(session, p_event, p_data)

    # ------------------------------------------------------------------ world changes, announced

    def add_user(self, username: str, **kwargs: Any) -> FakeUser:
        """Create a user (see World.add_user)."""
        return self.world.add_user(username, **kwargs)

    def add_guild(self, name: str = "Test Guild", **kwargs: Any) -> FakeGuild:
        """Create a guild (see World.add_guild); connected clients get GUILD_CREATE."""
        guild = self.world.add_guild(name, **kwargs)
        self.announce("GUILD_CREATE", guild.create_payload())
        return guild

    def add_role(self, guild: FakeGuild, name: str, **kwargs: Any) -> FakeRole:
        """Create a role; connected clients get GUILD_ROLE_CREATE."""
        role = self.world.add_role(guild, name, **kwargs)
        self.announce("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()})
        return role

    def add_channel(self, guild: FakeGuild, name: str, **kwargs: Any) -> FakeChannel:
        """Create a guild channel; connected clients get CHANNEL_CREATE."""
        chan = self.world.add_channel(guild, name, **kwargs)
        self.announce("CHANNEL_CREATE", chan.payload())
        return chan

    def add_member(self, guild: FakeGuild, user: FakeUser, **kwargs: Any) -> FakeMember:
        """Make a user join a guild; connected clients get GUILD_MEMBER_ADD."""
        member = self.world.add_member(guild, user, **kwargs)
        self.announce("GUILD_MEMBER_ADD", {"guild_id": str(guild.id), **member.payload()})
        return member

    def set_member_roles(self, member: FakeMember, roles: Iterable[FakeRole | int | str]) -> None:
        """Replace a member's roles (as a moderator would); clients get GUILD_MEMBER_UPDATE."""
        guild = self.world.guilds[member.guild_id]
        member.roles = [self.world._role_id(guild, r) for r in roles]
        self.announce("GUILD_MEMBER_UPDATE", {"guild_id": str(guild.id), **member.payload()})

    async def _broadcast(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch an echo event if enabled and a client is connected (never waits)."""
        if self.live_sessions():
            if self.echo_events:
                await self.dispatch(event, data, wait_ready=False)
            else:
                await self.flush()

    async def _send_dispatch(self, session: GatewaySession, event: str, data: Any) -> int:
        """Assign the next sequence number and send (caller holds session.lock)."""
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.events.append((session.seq, event, frame))
        self.gateway_log.append(("send", 0, event))
        if session.conn is not None:
            await session.conn.send(frame)
        return session.seq

    async def force_reconnect(
        self,
        mode: str = "reconnect",
        *,
        code: int = 4000,
        wait: bool = True,
        timeout: float | None = None,
    ) -> None:
        """Make connected clients reconnect and RESUME.

        mode "reconnect" sends op 7 RECONNECT; mode "close" closes the socket with ``code``.
        With ``wait`` returns once every affected session has resumed.
        """
        targets = [s for s in self.live_sessions() if s.conn is not None]
        if not targets:
            raise AssertionError(
                "force_reconnect: no connected gateway session\n\n" + self.summary()
            )
        before = {s.id: s.resumes for s in targets}
        for session in targets:
            conn = session.conn
            assert conn is not None
            if mode == "reconnect":
                self.gateway_log.append(("send", 7, None))
                await conn.send({"op": 7, "d": None})
            elif mode == "close":
                self.gateway_log.append(("close", code, None))
                await conn.ws.close(code=code, message=b"stand-in forced close")
            else:
                raise ValueError(f"unknown mode {mode!r}")
        if wait:
            await self.wait_until(
                lambda: all(s.resumes > before[s.id] for s in targets),
                timeout=timeout,
                describe="the client to RESUME after a forced reconnect",
            )

    async def invalidate_session(
        self, *, resumable: bool = False, wait: bool = True, timeout: float | None = None
    ) -> None:
        """Send op 9 INVALID_SESSION to connected clients.

        Not resumable: the session is dropped and the client must IDENTIFY again (READY is re-sent).
        discord.py sleeps 5 s before that IDENTIFY (``Client.before_identify_hook``), so the default
        wait is 6 s longer than usual unless the client overrides the hook.
        """
        targets = [s for s in self.live_sessions() if s.conn is not None]
        if not targets:
            raise AssertionError(
                "invalidate_session: no connected gateway session\n\n" + self.summary()
            )
        count_before = len(self.sessions)
        before = {s.id: s.resumes for s in targets}
        for session in targets:
            conn = session.conn
            assert conn is not None
            if not resumable:
                session.invalid = True
            self.gateway_log.append(("send", 9, None))
            await conn.send({"op": 9, "d": resumable})
        if not wait:
            return
        if resumable:
            await self.wait_until(
                lambda: all(s.resumes > before[s.id] for s in targets),
                timeout=timeout,
                describe="the client to RESUME after INVALID_SESSION(true)",
            )
        else:
            await self.wait_until(
                lambda: len(self.sessions) > count_before and self.live_sessions(),
                timeout=self.default_timeout + 6 if timeout is None else timeout,
                describe="the client to IDENTIFY after INVALID_SESSION(false)",
            )

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws=ws, query=dict(request.query))
        self.connections.append(conn)
        self._notify()
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        self.gateway_log.append(("send", 10, None))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                conn.received.append(payload)
                self.gateway_log.append(("recv", payload.get("op"), None))
                try:
                    await self._handle_op(conn, payload)
                except Exception as exc:  # a stand-in bug: surface it in the tests
                    log.exception("gateway handler failed")
                    self.internal_errors.append(f"gateway op {payload.get('op')}: {exc!r}")
        finally:
            conn.closed = True
            conn.close_code = ws.close_code
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self._notify()
        return ws

    async def _handle_op(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            await conn.send({"op": 11})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 3:
            self.presence_updates.append(data or {})
        elif op == 8:
            await self._request_members(conn, data or {})
        self._notify()

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if self.token is not None and data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = data.get("shard")
        for old in self.sessions.values():
            if old.shard == shard:
                old.invalid = True
        session = GatewaySession(id=secrets.token_hex(16), identify=data)
        async with session.lock:
            self.sessions[session.id] = session
            session.conn = conn
            conn.session = session
            ready: dict[str, Any] = {
                "v": 10,
                "user": {
                    **self.bot_user.payload(),
                    "verified": True,
                    "mfa_enabled": False,
                    "email": None,
                },
                "guilds": [
                    {"id": str(g.id), "unavailable": True} for g in self.world.guilds.values()
                ],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {
                    "id": str(self.application_id),
                    "flags": self.world.application_flags,
                },
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "user_settings": {},
                "_trace": ["standin"],
            }
            if shard is not None:
                ready["shard"] = shard
            await self._send_dispatch(session, "READY", ready)
            for guild in self.world.guilds.values():
                if self._guild_in_shard(guild, shard):
                    await self._send_dispatch(session, "GUILD_CREATE", guild.create_payload())
            session.ready = True

    @staticmethod
    def _guild_in_shard(guild: FakeGuild, shard: list[int] | None) -> bool:
        if not shard:
            return True
        shard_id, count = shard
        return (guild.id >> 22) % count == shard_id

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        bad_token = self.token is not None and data.get("token") != self.token
        if session is None or session.invalid or bad_token:
            self.gateway_log.append(("send", 9, None))
            await conn.send({"op": 9, "d": False})
            return
        async with session.lock:
            old = session.conn
            session.conn = conn
            conn.session = session
            if old is not None and old is not conn and not old.ws.closed:
                await old.ws.close(code=4000, message=b"session resumed elsewhere")
            last = int(data.get("seq") or 0)
            for seq, _event, frame in session.events:
                if seq > last:
                    await conn.send(frame)
                    session.replayed += 1
            await self._send_dispatch(session, "RESUMED", {"_trace": ["standin"]})
            session.resumes += 1

    async def _request_members(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = conn.session
        guild = self.world.guilds.get(int(data.get("guild_id") or 0))
        if session is None or guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            q = str(data["query"]).lower()
            members = [m for m in members if m.user.username.lower().startswith(q)]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        async with session.lock:
            await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ fault injection

    def rate_limit(
        self,
        method: str | None,
        path_pattern: str,
        *,
        count: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        scope: str = "user",
        every: int = 1,
    ) -> None:
        """Answer the next ``count`` matching requests with 429 (with Via and X-RateLimit-*).

        With ``every`` > 1, only one matching request in ``every`` is answered so (the
        others are served), until ``count`` were. A global one (``is_global``) also
        holds back every other request for ``retry_after`` seconds, as Discord does,
        interaction callbacks and follow-ups excepted (they are not under the global
        limit).
        """
        if every < 1:
            raise ValueError("every must be at least 1")
        body, headers = self._rate_limited(retry_after, is_global, scope, path_pattern)
        self._injections.append(
            _Injection(method, compile_path_pattern(path_pattern), count, 429, body, headers,
                       every=every, retry_after=retry_after, is_global=is_global)
        )

    @staticmethod
    def _rate_limited(retry_after: float, is_global: bool, scope: str,
                      bucket: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The body and headers of a 429."""
        reset = time.time() + retry_after
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": hashlib.md5(bucket.encode()).hexdigest()[:16],
            "X-RateLimit-Scope": "global" if is_global else scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        return body, headers

    def fail(
        self,
        method: str | None,
        path_pattern: str,
        *,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` matching requests with an error (default 403, 50013)."""
        body = {"message": message, "code": code}
        self._injections.append(
            _Injection(method, compile_path_pattern(path_pattern), count, status, body, {})
        )

    def add_route(self, method: str, path_pattern: str, handler: RouteHandler) -> None:
        """Serve an extra route.

        ``handler`` is ``async (request: RecordedRequest, **path_params) -> (status, body)``.
        """
        self._custom_routes.append(
            (method.upper(), self._compile(path_pattern), path_pattern, handler)
        )

    # ------------------------------------------------------------------ REST plumbing

    @staticmethod
    def _compile(pattern: str) -> re.Pattern[str]:
        return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    async def _handle_cdn(self, request: web.Request) -> web.StreamResponse:
        data = self.attachments_data.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, headers={"Content-Type": "application/octet-stream"})

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                content = await part.read(decode=False)  # type: ignore[union-attr]
                name = part.name or ""  # type: ignore[union-attr]
                if name == "payload_json":
                    rec.json = json.loads(content.decode("utf-8"))
                else:
                    rec.files.append(
                        RecordedFile(
                            field=name,
                            filename=part.filename,  # type: ignore[union-attr]
                            content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                            data=bytes(content),
                        )
                    )
            return
        raw = await request.read()
        rec.raw_body = raw
        if raw:
            try:
                rec.json = json.loads(raw.decode("utf-8"))
            except ValueError:
                rec.json = None

    def _rate_headers(self, route: str | None) -> dict[str, str]:
        bucket = hashlib.md5((route or "unknown").encode()).hexdigest()[:16]
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
        }

    @staticmethod
    def _response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
        headers = dict(headers)
        headers["Date"] = email.utils.formatdate(usegmt=True)
        if body is None:
            return web.Response(status=status, headers=headers)
        # exactly "application/json": discord.py treats anything else (even with a charset) as text
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode("utf-8"), headers=headers)

    async def _handle_rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=None,
            headers=dict(request.headers),
        )
        try:
            await self._read_body(request, rec)
        except Exception as exc:
            self.internal_errors.append(f"could not parse body of {request.method} {path}: {exc!r}")
        self.requests.append(rec)
        headers: dict[str, str] = {}
        try:
            injected = self._global_hold(rec) or self._take_injection(rec)
            if injected is not None:
                status, body, headers = injected.status, injected.body, dict(injected.headers)
                rec.route = "injected"
                if injected.is_global:
                    self._global_until = max(self._global_until,
                                             time.monotonic() + injected.retry_after)
            else:
                status, body, rec.route = await self._route(rec)
                headers = self._rate_headers(rec.route)
        except Exception as exc:
            log.exception("stand-in route failed: %s %s", rec.method, rec.path)
            self.internal_errors.append(f"{rec.method} {rec.path}: {exc!r}")
            # 400 (not 500) so discord.py fails fast instead of retrying
            status, body = _error(400, 0, f"stand-in internal error: {exc!r}")
        if body is None and status < 300:
            status = 204
        rec.status = status
        rec.response = body
        self._notify()
        return self._response(status, body, headers)

    def _take_injection(self, rec: RecordedRequest) -> _Injection | None:
        for inj in self._injections:
            if (
                inj.remaining > 0
                and method_matches(inj.method, rec.method)
                and inj.pattern.fullmatch(rec.path)
            ):
                inj.seen += 1
                if inj.seen % inj.every:
                    continue
                inj.remaining -= 1
                return inj
        return None

    def _global_hold(self, rec: RecordedRequest) -> _Injection | None:
        """A global 429 for a request made while a global rate limit holds."""
        left = self._global_until - time.monotonic()
        if left <= 0 or rec.path.startswith(("/interactions/", "/webhooks/")):
            return None
        body, headers = self._rate_limited(left, True, "global", "global")
        return _Injection(rec.method, re.compile(re.escape(rec.path)), 0, 429, body, headers,
                          retry_after=0.0, is_global=True)

    async def _route(self, rec: RecordedRequest) -> tuple[int, Any, str | None]:
        for method, regex, template, handler in [*self._custom_routes, *self._routes]:
            if method != rec.method:
                continue
            m = regex.match(rec.path)
            if m:
                auth = self._check_auth(rec, template)
                if auth is not None:
                    return auth[0], auth[1], template
                status, body = await handler(rec, **m.groupdict())
                return status, body, template
        return 404, {"message": "404: Not Found", "code": 0}, None

    def _check_auth(self, rec: RecordedRequest, template: str) -> Reply | None:
        if self.token is None or template.startswith(("/interactions/", "/webhooks/")):
            return None
        if rec.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        return None

    def _route_table(self) -> list[tuple[str, str, RouteHandler]]:
        return [
            ("GET", "/gateway", self._r_gateway),
            ("GET", "/gateway/bot", self._r_gateway_bot),
            ("GET", "/users/@me", self._r_users_me),
            ("POST", "/users/@me/channels", self._r_create_dm),
            ("GET", "/users/{user_id}", self._r_get_user),
            ("GET", "/oauth2/applications/@me", self._r_app_info),
            ("GET", "/applications/@me", self._r_app_info),
            ("GET", "/applications/{app_id}/commands", self._r_get_commands),
            ("PUT", "/applications/{app_id}/commands", self._r_put_commands),
            ("POST", "/applications/{app_id}/commands", self._r_post_command),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._r_get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._r_put_commands),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._r_post_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._r_callback),
            ("POST", "/webhooks/{app_id}/{token}", self._r_followup),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._r_webhook_get),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._r_webhook_edit),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._r_webhook_delete),
            ("GET", "/channels/{channel_id}", self._r_get_channel),
            ("GET", "/channels/{channel_id}/messages", self._r_list_messages),
            ("POST", "/channels/{channel_id}/messages", self._r_create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._r_get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._r_edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._r_delete_message),
            ("POST", "/channels/{channel_id}/typing", self._r_no_content),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}",
                self._r_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}",
                self._r_reaction,
            ),
            ("POST", "/channels/{channel_id}/threads", self._r_create_thread),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._r_create_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{who}", self._r_no_content),
            ("DELETE", "/channels/{channel_id}/thread-members/{who}", self._r_no_content),
            ("GET", "/guilds/{guild_id}", self._r_get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._r_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._r_guild_roles),
            ("GET", "/guilds/{guild_id}/members", self._r_list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._r_get_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self._r_edit_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._r_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._r_member_role),
        ]

    # ------------------------------------------------------------------ REST: identity

    async def _r_gateway(self, rec: RecordedRequest) -> Reply:
        return 200, {"url": self.gateway_url.rstrip("/")}

    async def _r_gateway_bot(self, rec: RecordedRequest) -> Reply:
        return 200, {
            "url": self.gateway_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    async def _r_users_me(self, rec: RecordedRequest) -> Reply:
        return 200, {
            **self.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def _r_get_user(self, rec: RecordedRequest, user_id: str) -> Reply:
        user = self.world.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            return _error(404, 10013, "Unknown User")
        return 200, user.payload()

    async def _r_app_info(self, rec: RecordedRequest) -> Reply:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.world.owner.payload(),
            "team": None,
            "flags": self.world.application_flags,
            "bot": self.bot_user.payload(),
            "hook": True,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "install_params": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.world.guilds),
        }

    # ------------------------------------------------------------------ REST: application commands

    def _check_app(self, app_id: str) -> Reply | None:
        if app_id != str(self.application_id):
            return _error(403, 50001, "Missing Access")
        return None

    def _guild_key(self, guild_id: str | None) -> int | None:
        return int(guild_id) if guild_id else None

    async def _r_get_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> Reply:
        return self._check_app(app_id) or (200, self.commands.get(self._guild_key(guild_id), []))

    async def _r_put_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> Reply:
        bad = self._check_app(app_id)
        if bad:
            return bad
        if guild_id and int(guild_id) not in self.world.guilds:
            return _error(404, 10004, "Unknown Guild")
        body = rec.json if isinstance(rec.json, list) else []
        errors = self._validate_commands(body) if self.validate_commands else {}
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        key = self._guild_key(guild_id)
        previous = {(c["name"], c.get("type", 1)): c for c in self.commands.get(key, [])}
        stored = [self._store_command(cmd, key, previous) for cmd in body]
        self.commands[key] = stored
        self.command_syncs.append((key, stored))
        return 200, stored

    async def _r_post_command(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> Reply:
        bad = self._check_app(app_id)
        if bad:
            return bad
        cmd = rec.body
        errors = self._validate_commands([cmd]) if self.validate_commands else {}
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        key = self._guild_key(guild_id)
        existing = self.commands.setdefault(key, [])
        previous = {(c["name"], c.get("type", 1)): c for c in existing}
        stored = self._store_command(cmd, key, previous)
        existing[:] = [
            c for c in existing if (c["name"], c.get("type", 1)) != (stored["name"], stored["type"])
        ]
        existing.append(stored)
        return 201, stored

    def _store_command(
        self,
        cmd: dict[str, Any],
        guild_id: int | None,
        previous: dict[tuple[str, int], dict[str, Any]],
    ) -> dict[str, Any]:
        ctype = cmd.get("type", 1)
        old = previous.get((cmd["name"], ctype))
        stored = {
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "integration_types": [0],
            "contexts": None,
            **cmd,
            "type": ctype,
            "id": old["id"] if old else str(self.world.ids.next()),
            "application_id": str(self.application_id),
            "version": str(self.world.ids.next()),
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    def _validate_commands(self, commands: list[dict[str, Any]]) -> dict[str, Any]:
        """Some of the checks Discord applies on command registration (names, lengths, counts)."""
        errors: dict[str, Any] = {}
        seen: set[tuple[str, int]] = set()

        def check_options(options: list[dict[str, Any]], where: str) -> None:
            if len(options) > 25:
                errors[f"{where}.options"] = "Must be 25 or fewer in length."
            optional_seen = False
            for i, opt in enumerate(options):
                here = f"{where}.options.{i}"
                name, desc = str(opt.get("name", "")), str(opt.get("description", ""))
                if not _COMMAND_NAME.match(name) or name != name.lower():
                    errors[f"{here}.name"] = f"Invalid option name {name!r}."
                if not 1 <= len(desc) <= 100:
                    errors[f"{here}.description"] = (
                        f"Must be between 1 and 100 in length ({len(desc)})."
                    )
                for loc, text in (opt.get("description_localizations") or {}).items():
                    if not 1 <= len(text) <= 100:
                        errors[f"{here}.description_localizations.{loc}"] = (
                            "Must be between 1 and 100 in length."
                        )
                if len(opt.get("choices") or []) > 25:
                    errors[f"{here}.choices"] = "Must be 25 or fewer in length."
                for j, ch in enumerate(opt.get("choices") or []):
                    if not 1 <= len(str(ch.get("name", ""))) <= 100:
                        errors[f"{here}.choices.{j}.name"] = "Must be between 1 and 100 in length."
                if opt.get("type") in (1, 2):
                    check_options(opt.get("options") or [], here)
                    continue
                if opt.get("required"):
                    if optional_seen:
                        errors[f"{here}.required"] = (
                            "Required options must be placed before non-required options."
                        )
                else:
                    optional_seen = True

        for i, cmd in enumerate(commands):
            where = str(i)
            ctype = cmd.get("type", 1)
            name = str(cmd.get("name", ""))
            if (name, ctype) in seen:
                errors[f"{where}.name"] = f"Application command names must be unique ({name!r})."
            seen.add((name, ctype))
            if ctype == 1:
                if not _COMMAND_NAME.match(name) or name != name.lower():
                    errors[f"{where}.name"] = f"Invalid command name {name!r}."
                desc = str(cmd.get("description", ""))
                if not 1 <= len(desc) <= 100:
                    errors[f"{where}.description"] = (
                        f"Must be between 1 and 100 in length ({len(desc)})."
                    )
                for loc, text in (cmd.get("description_localizations") or {}).items():
                    if not 1 <= len(text) <= 100:
                        errors[f"{where}.description_localizations.{loc}"] = (
                            "Must be between 1 and 100 in length."
                        )
                check_options(cmd.get("options") or [], where)
        if len([c for c in commands if c.get("type", 1) == 1]) > 100:
            errors["_errors"] = "Maximum number of application commands reached (100)."
        return errors

    def command(self, name: str, *, guild: FakeGuild | int | None = None) -> dict[str, Any] | None:
        """The registered chat-input command ``name`` (guild commands first, then global)."""
        keys: list[int | None] = [_id_of(guild)] if guild is not None else []
        keys.append(None)
        for key in keys:
            for cmd in self.commands.get(key, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd
        return None

    # ------------------------------------------------------------------ messages

    def _author_member_payload(
        self, guild: FakeGuild | None, user: FakeUser
    ) -> dict[str, Any] | None:
        if guild is None or user.id not in guild.members:
            return None
        return guild.members[user.id].payload(with_user=False)

    def _mentions(
        self, content: str, body: dict[str, Any], guild: FakeGuild | None
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        allowed = body.get("allowed_mentions")
        parse = (
            ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        )
        allowed_users = {str(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        users: list[dict[str, Any]] = []
        for uid in dict.fromkeys(_USER_MENTION.findall(content)):
            user = self.world.users.get(int(uid))
            if user is not None and ("users" in parse or uid in allowed_users):
                payload = user.payload()
                if guild is not None and user.id in guild.members:
                    payload["member"] = guild.members[user.id].payload(with_user=False)
                users.append(payload)
        roles = [
            rid
            for rid in dict.fromkeys(_ROLE_MENTION.findall(content))
            if guild is not None
            and int(rid) in guild.roles
            and ("roles" in parse or rid in allowed_roles)
        ]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        return users, roles, everyone

    def _build_attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[RecordedFile],
        keep: Iterable[dict[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        """Attachment objects: kept ones (edits) plus the uploaded files."""
        out = list(keep)
        described = {
            str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)
        }
        for index, f in enumerate(files):
            m = re.match(r"files\[(\d+)\]", f.field)
            key = m.group(1) if m else str(index)
            meta = described.get(key, {})
            att_id = self.world.ids.next()
            filename = meta.get("filename") or f.filename or f"file{index}"
            self.attachments_data[att_id] = f.data
            url = f"{self.base_url}/attachments/{channel_id}/{att_id}/{filename}"
            att: dict[str, Any] = {
                "id": str(att_id),
                "filename": filename,
                "size": len(f.data),
                "url": url,
                "proxy_url": url,
                "content_type": f.content_type or "application/octet-stream",
            }
            if meta.get("description"):
                att["description"] = meta["description"]
            out.append(att)
        return out

    @staticmethod
    def _poll(poll: dict[str, Any]) -> dict[str, Any]:
        expiry = _dt.datetime.now(_dt.UTC) + _dt.timedelta(hours=int(poll.get("duration") or 24))
        return {
            "question": poll.get("question") or {"text": ""},
            "answers": [{"answer_id": i + 1, **a} for i, a in enumerate(poll.get("answers") or [])],
            "expiry": expiry.isoformat(),
            "allow_multiselect": bool(poll.get("allow_multiselect")),
            "layout_type": poll.get("layout_type", 1),
            "results": {"is_finalized": False, "answer_counts": []},
        }

    def _create_message(
        self,
        channel: FakeChannel,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        author: FakeUser | None = None,
        msg_type: int = 0,
        interaction: InteractionRecord | None = None,
        webhook: bool = False,
        extra_flags: int = 0,
    ) -> StoredMessage:
        author = author or self.bot_user
        guild = self.world.guild_of(channel)
        content = str(body.get("content") or "")
        users, roles, everyone = self._mentions(content, body, guild)
        msg_id = self.world.ids.next()
        data: dict[str, Any] = {
            "id": str(msg_id),
            "channel_id": str(channel.id),
            "type": msg_type,
            "content": content,
            "author": author.payload(),
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": everyone,
            "mentions": users,
            "mention_roles": roles,
            "mention_channels": [],
            "attachments": self._build_attachments(channel.id, body, files),
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "components": list(body.get("components") or []),
            "reactions": [],
            "pinned": False,
            "flags": (int(body.get("flags") or 0) & _SETTABLE_FLAGS) | extra_flags,
        }
        if body.get("nonce") is not None:
            data["nonce"] = body["nonce"]
        if body.get("poll"):
            data["poll"] = self._poll(body["poll"])
        if body.get("sticker_ids"):
            data["sticker_items"] = [
                {"id": str(s), "name": "sticker", "format_type": 1} for s in body["sticker_ids"]
            ]
        ref = body.get("message_reference")
        if ref:
            data["message_reference"] = {
                "type": ref.get("type", 0),
                "message_id": str(ref.get("message_id")),
                "channel_id": str(ref.get("channel_id") or channel.id),
                "guild_id": str(guild.id) if guild else None,
            }
            target = self.messages.get(int(ref.get("message_id") or 0))
            if target is not None:
                data["referenced_message"] = target.data
        if interaction is not None or webhook:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        if interaction is not None and interaction.payload is not None:
            user = (interaction.payload.get("member") or {}).get("user") or interaction.payload.get(
                "user"
            )
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.type == 2:
                meta["name"] = (interaction.payload.get("data") or {}).get("name")
                meta["command_type"] = 1
            data["interaction_metadata"] = meta
        stored = StoredMessage(
            data=data,
            body=dict(body),
            files=list(files),
            interaction_id=interaction.id if interaction else None,
        )
        self.messages[msg_id] = stored
        if not stored.ephemeral:
            self.channel_messages.setdefault(channel.id, []).append(stored)
            channel.last_message_id = msg_id
            if channel.is_thread:
                channel.message_count += 1
        return stored

    def _gateway_message(self, stored: StoredMessage) -> dict[str, Any]:
        data = dict(stored.data)
        chan = self.world.find_channel(stored.channel_id)
        guild = self.world.guild_of(chan) if chan else None
        if guild is not None:
            data["guild_id"] = str(guild.id)
            author = self.world.users.get(int(data["author"]["id"]))
            member = self._author_member_payload(guild, author) if author else None
            if member is not None and "webhook_id" not in data:
                data["member"] = member
        return data

    async def _echo_created(self, stored: StoredMessage) -> None:
        if not stored.ephemeral:
            await self._broadcast("MESSAGE_CREATE", self._gateway_message(stored))

    async def _apply_edit(
        self, stored: StoredMessage, body: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        data = stored.data
        chan = self.world.find_channel(stored.channel_id)
        guild = self.world.guild_of(chan) if chan else None
        if "content" in body:
            data["content"] = str(body["content"] or "")
            users, roles, everyone = self._mentions(data["content"], body, guild)
            data.update(mentions=users, mention_roles=roles, mention_everyone=everyone)
        if "embeds" in body:
            data["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            data["components"] = list(body["components"] or [])
        if "attachments" in body or files:
            kept_ids = {
                str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)
            }
            keep = (
                [a for a in data.get("attachments") or [] if a["id"] in kept_ids]
                if "attachments" in body
                else list(data.get("attachments") or [])
            )
            data["attachments"] = self._build_attachments(stored.channel_id, body, files, keep)
        flags = data.get("flags", 0) & ~LOADING
        if body.get("flags") is not None:
            flags = (flags & EPHEMERAL) | (int(body["flags"]) & (_SETTABLE_FLAGS & ~EPHEMERAL))
        data["flags"] = flags
        data["edited_timestamp"] = iso_now()
        stored.edits.append(dict(body))
        stored.files.extend(files)
        if not stored.ephemeral:
            await self._broadcast("MESSAGE_UPDATE", self._gateway_message(stored))

    # ------------------------------------------------------------------ REST: channels and messages

    def _channel_or_404(self, channel_id: str) -> FakeChannel | Reply:
        chan = self.world.find_channel(int(channel_id)) if channel_id.isdigit() else None
        if chan is None:
            return _error(404, 10003, "Unknown Channel")
        return chan

    def _message_or_404(self, channel_id: str, message_id: str) -> StoredMessage | Reply:
        msg = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or str(msg.channel_id) != channel_id:
            return _error(404, 10008, "Unknown Message")
        return msg

    async def _r_no_content(self, rec: RecordedRequest, **_: str) -> Reply:
        return 204, None

    async def _r_get_channel(self, rec: RecordedRequest, channel_id: str) -> Reply:
        chan = self._channel_or_404(channel_id)
        return chan if isinstance(chan, tuple) else (200, chan.payload())

    async def _r_create_message(self, rec: RecordedRequest, channel_id: str) -> Reply:
        chan = self._channel_or_404(channel_id)
        if isinstance(chan, tuple):
            return chan
        body = rec.body
        if not (
            body.get("content")
            or body.get("embeds")
            or body.get("components")
            or rec.files
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            return _error(400, 50006, "Cannot send an empty message")
        msg_type = 19 if body.get("message_reference") else 0
        stored = self._create_message(chan, body, rec.files, msg_type=msg_type)
        await self._echo_created(stored)
        return 200, stored.data

    async def _r_list_messages(self, rec: RecordedRequest, channel_id: str) -> Reply:
        chan = self._channel_or_404(channel_id)
        if isinstance(chan, tuple):
            return chan
        limit = int(rec.query.get("limit", 50))
        msgs = [m for m in self.channel_messages.get(chan.id, []) if not m.deleted]
        return 200, [m.data for m in reversed(msgs)][:limit]

    async def _r_get_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Reply:
        msg = self._message_or_404(channel_id, message_id)
        return msg if isinstance(msg, tuple) else (200, msg.data)

    async def _r_edit_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        msg = self._message_or_404(channel_id, message_id)
        if isinstance(msg, tuple):
            return msg
        if int(msg.data["author"]["id"]) != self.bot_user.id:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        await self._apply_edit(msg, rec.body, rec.files)
        return 200, msg.data

    async def _r_delete_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        msg = self._message_or_404(channel_id, message_id)
        if isinstance(msg, tuple):
            return msg
        await self._delete(msg)
        return 204, None

    async def _delete(self, msg: StoredMessage) -> None:
        msg.deleted = True
        self._notify()
        if not msg.ephemeral:
            chan = self.world.find_channel(msg.channel_id)
            data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if chan is not None and chan.guild_id:
                data["guild_id"] = str(chan.guild_id)
            await self._broadcast("MESSAGE_DELETE", data)

    async def _r_reaction(
        self, rec: RecordedRequest, channel_id: str, message_id: str, emoji: str, who: str
    ) -> Reply:
        msg = self._message_or_404(channel_id, message_id)
        if isinstance(msg, tuple):
            return msg
        self.reactions.append((int(channel_id), int(message_id), emoji, rec.method))
        return 204, None

    async def _r_create_dm(self, rec: RecordedRequest) -> Reply:
        rid = str(rec.body.get("recipient_id", ""))
        user = self.world.users.get(int(rid)) if rid.isdigit() else None
        if user is None:
            return _error(404, 10013, "Unknown User")
        return 200, self.world.dm_channel(user).payload()

    async def _r_create_thread(
        self, rec: RecordedRequest, channel_id: str, message_id: str | None = None
    ) -> Reply:
        parent = self._channel_or_404(channel_id)
        if isinstance(parent, tuple):
            return parent
        guild = self.world.guild_of(parent)
        if guild is None or parent.is_thread:
            return _error(400, 50024, "Cannot execute action on this channel type")
        body = rec.body
        if message_id is not None:
            origin = self._message_or_404(channel_id, message_id)
            if isinstance(origin, tuple):
                return origin
            thread_id = origin.id
            ttype = (
                ChannelType.NEWS_THREAD
                if parent.type == ChannelType.NEWS
                else ChannelType.PUBLIC_THREAD
            )
        else:
            thread_id = self.world.ids.next()
            ttype = int(body.get("type") or ChannelType.PUBLIC_THREAD)
            if parent.type == ChannelType.FORUM:
                ttype = ChannelType.PUBLIC_THREAD
        thread = FakeChannel(
            id=thread_id,
            name=str(body.get("name") or "thread"),
            type=ttype,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        guild.threads[thread.id] = thread
        payload = thread.payload()
        starter: StoredMessage | None = None
        if parent.type == ChannelType.FORUM and isinstance(body.get("message"), dict):
            starter = self._create_message(thread, body["message"], rec.files)
            # a forum post's starter message shares the thread's id
            self.messages.pop(starter.id)
            starter.data["id"] = str(thread.id)
            self.messages[thread.id] = starter
            payload["message"] = starter.data
        self._notify()
        await self._broadcast("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        if starter is not None:
            await self._echo_created(starter)
        return 201, payload

    # ------------------------------------------------------------------ REST: guilds and members

    def _guild_or_404(self, guild_id: str) -> FakeGuild | Reply:
        guild = self.world.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        return guild if guild is not None else _error(404, 10004, "Unknown Guild")

    async def _r_get_guild(self, rec: RecordedRequest, guild_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        if isinstance(guild, tuple):
            return guild
        data = guild.payload()
        if rec.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return 200, data

    async def _r_guild_channels(self, rec: RecordedRequest, guild_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        return (
            guild
            if isinstance(guild, tuple)
            else (200, [c.payload() for c in guild.channels.values()])
        )

    async def _r_guild_roles(self, rec: RecordedRequest, guild_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        return (
            guild
            if isinstance(guild, tuple)
            else (200, [r.payload() for r in guild.roles.values()])
        )

    async def _r_list_members(self, rec: RecordedRequest, guild_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        if isinstance(guild, tuple):
            return guild
        after = int(rec.query.get("after", 0))
        limit = int(rec.query.get("limit", 1))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return 200, [m.payload() for m in members[:limit]]

    async def _r_get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        if isinstance(guild, tuple):
            return guild
        member = guild.members.get(int(user_id)) if user_id.isdigit() else None
        return (200, member.payload()) if member else _error(404, 10007, "Unknown Member")

    def _can_manage_role(self, guild: FakeGuild, role_id: int) -> Reply | None:
        bot = self.world.bot_member(guild)
        role = guild.roles.get(role_id)
        if role is None:
            return _error(404, 10011, "Unknown Role")
        if not self.world.base_permissions(guild, bot) & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            return _error(403, 50013, "Missing Permissions")
        if (
            role.managed
            or role.is_everyone
            or role.position >= self.world.top_role_position(guild, bot)
        ):
            return _error(403, 50013, "Missing Permissions")
        return None

    async def _member_updated(self, guild: FakeGuild, member: FakeMember) -> None:
        self._notify()
        await self._broadcast(
            "GUILD_MEMBER_UPDATE", {"guild_id": str(guild.id), **member.payload()}
        )

    async def _r_member_role(
        self, rec: RecordedRequest, guild_id: str, user_id: str, role_id: str
    ) -> Reply:
        guild = self._guild_or_404(guild_id)
        if isinstance(guild, tuple):
            return guild
        member = guild.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            return _error(404, 10007, "Unknown Member")
        rid = int(role_id) if role_id.isdigit() else 0
        denied = self._can_manage_role(guild, rid)
        if denied:
            return denied
        if rec.method == "PUT" and rid not in member.roles:
            member.roles.append(rid)
        elif rec.method == "DELETE" and rid in member.roles:
            member.roles.remove(rid)
        await self._member_updated(guild, member)
        return 204, None

    async def _r_edit_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> Reply:
        guild = self._guild_or_404(guild_id)
        if isinstance(guild, tuple):
            return guild
        member = guild.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            return _error(404, 10007, "Unknown Member")
        body = rec.body
        if "roles" in body:
            new = [int(r) for r in body["roles"] or []]
            for rid in set(new) ^ set(member.roles):
                denied = self._can_manage_role(guild, rid)
                if denied:
                    return denied
            member.roles = new
        if "nick" in body:
            member.nick = body["nick"]
        await self._member_updated(guild, member)
        return 200, member.payload()

    # ------------------------------------------------------------------ interactions

    def register_interaction(self, payload: dict[str, Any]) -> InteractionRecord:
        """Remember an interaction payload so callbacks and follow-ups can be matched to it."""
        record = InteractionRecord(
            id=int(payload["id"]),
            token=str(payload["token"]),
            type=int(payload["type"]),
            payload=payload,
        )
        self.interactions[record.id] = record
        return record

    async def send_interaction(
        self, payload: dict[str, Any], *, timeout: float | None = None
    ) -> InteractionRecord:
        """Register and dispatch an INTERACTION_CREATE."""
        record = self.register_interaction(payload)
        await self.dispatch("INTERACTION_CREATE", payload, timeout=timeout)
        record.dispatched_at = time.monotonic()
        return record

    def _interaction_by_token(self, token: str) -> InteractionRecord | None:
        for record in self.interactions.values():
            if record.token == token:
                return record
        return None

    def _interaction_channel(self, record: InteractionRecord) -> FakeChannel:
        payload = record.payload or {}
        cid = int(payload.get("channel_id") or (payload.get("channel") or {}).get("id") or 0)
        chan = self.world.find_channel(cid)
        if chan is None:
            raise LookupError(f"interaction {record.id} refers to unknown channel {cid}")
        return chan

    def _source_message(self, record: InteractionRecord) -> StoredMessage | None:
        raw = (record.payload or {}).get("message")
        if not raw:
            return None
        stored = self.messages.get(int(raw["id"]))
        if stored is None:
            stored = StoredMessage(data=dict(raw), body={})
            self.messages[stored.id] = stored
        return stored

    async def _r_callback(self, rec: RecordedRequest, interaction_id: str, token: str) -> Reply:
        record = self._interaction_by_token(token)
        if record is None or str(record.id) != interaction_id:
            return _error(404, 10062, "Unknown interaction")
        body = rec.body
        if (
            self.interaction_ack_timeout is not None
            and time.monotonic() - record.dispatched_at > self.interaction_ack_timeout
            and not record.callbacks
        ):
            record.errors.append("callback after the acknowledgement deadline")
            self._notify()
            return _error(404, 10062, "Unknown interaction")
        if record.callbacks:
            record.errors.append(f"second callback {body.get('type')}")
            self._notify()
            return _error(400, 40060, "Interaction has already been acknowledged.")
        ctype = int(body.get("type") or 0)
        data = body.get("data") or {}
        message: StoredMessage | None = None
        if ctype == 4:
            chan = self._interaction_channel(record)
            message = self._create_message(
                chan, data, rec.files, msg_type=20 if record.type == 2 else 0, interaction=record
            )
            record.original = message
        elif ctype == 5:
            chan = self._interaction_channel(record)
            flags = int(data.get("flags") or 0) & EPHEMERAL
            message = self._create_message(
                chan,
                {"flags": flags},
                [],
                msg_type=20 if record.type == 2 else 0,
                interaction=record,
                extra_flags=LOADING,
            )
            record.original = message
        elif ctype in (6, 7):
            if record.type not in (3, 5):
                record.errors.append(f"callback {ctype} on an interaction of type {record.type}")
                self._notify()
                return _error(
                    400, 40004, "Interaction response type not valid for this interaction"
                )
            source = self._source_message(record)
            record.original = source
            record.edits_at_ack = len(source.edits) if source is not None else 0
            if ctype == 7 and source is not None:
                await self._apply_edit(source, data, rec.files)
                message = source
        elif ctype == 9 and record.type == 5:
            return _error(400, 40004, "Cannot respond to a modal submit with a modal")
        record.callbacks.append(body)
        if message is not None and ctype in (4, 5):
            await self._echo_created(message)
        self._notify()
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        flags = message.flags if message is not None else 0
        inter: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            inter["response_message_id"] = str(message.id)
            resource["message"] = message.data
        return 200, {"interaction": inter, "resource": resource}

    def _webhook_record(self, app_id: str, token: str) -> InteractionRecord | Reply:
        record = self._interaction_by_token(token)
        if app_id != str(self.application_id) or record is None:
            return _error(404, 10015, "Unknown Webhook")
        return record

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> StoredMessage | Reply:
        if message_id == "@original":
            msg = record.original
        else:
            msg = next((m for m in record.messages if str(m.id) == message_id), None)
        if msg is None or msg.deleted:
            return _error(404, 10008, "Unknown Message")
        return msg

    async def _r_followup(self, rec: RecordedRequest, app_id: str, token: str) -> Reply:
        record = self._webhook_record(app_id, token)
        if isinstance(record, tuple):
            return record
        if not record.callbacks:
            return _error(404, 10015, "Unknown Webhook")
        body = rec.body
        original = record.original
        if (
            record.response_type == 5
            and original is not None
            and not original.edits
            and not record.followups
        ):
            # the first follow-up after a deferred response replaces the "thinking" message
            await self._apply_edit(
                original, {k: v for k, v in body.items() if k != "flags"}, rec.files
            )
            stored = original
        else:
            chan = self._interaction_channel(record)
            stored = self._create_message(chan, body, rec.files, interaction=record)
            await self._echo_created(stored)
        record.followups.append(stored)
        self._notify()
        if rec.query.get("wait") in ("1", "true", "True"):
            return 200, stored.data
        return 204, None

    async def _r_webhook_get(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> Reply:
        record = self._webhook_record(app_id, token)
        if isinstance(record, tuple):
            return record
        msg = self._webhook_message(record, message_id)
        return msg if isinstance(msg, tuple) else (200, msg.data)

    async def _r_webhook_edit(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> Reply:
        record = self._webhook_record(app_id, token)
        if isinstance(record, tuple):
            return record
        msg = self._webhook_message(record, message_id)
        if isinstance(msg, tuple):
            return msg
        await self._apply_edit(msg, rec.body, rec.files)
        self._notify()
        return 200, msg.data

    async def _r_webhook_delete(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> Reply:
        record = self._webhook_record(app_id, token)
        if isinstance(record, tuple):
            return record
        msg = self._webhook_message(record, message_id)
        if isinstance(msg, tuple):
            return msg
        await self._delete(msg)
        return 204, None

    # ------------------------------------------------------------------ simulated users

    async def post_as(
        self, user: UserRef, channel: ChannelRef, content: str, **fields: Any
    ) -> StoredMessage:
        """A user posts a message in a channel (MESSAGE_CREATE is dispatched to the bot).

        As on Discord, only sessions with the GUILD_MESSAGES intent (DIRECT_MESSAGES in a DM)
        get the event, and its text only with MESSAGE_CONTENT (or in a DM, or when the bot is
        mentioned). ``fields`` go in the body as a client would send them (``embeds``,
        ``message_reference``...).
        """
        uid = _id_of(user)
        author = self.world.users[uid]
        chan = channel if isinstance(channel, FakeChannel) else self.world.find_channel(channel)
        if chan is None:
            raise KeyError(f"unknown channel {channel}")
        stored = self._create_message(chan, {"content": content, **fields}, [], author=author)
        self._notify()
        full = self._gateway_message(stored)
        mentioned = any(int(u["id"]) == self.bot_user.id for u in full.get("mentions") or [])

        def for_session(session: GatewaySession) -> dict[str, Any] | None:
            needed = DIRECT_MESSAGES_INTENT if chan.is_dm else GUILD_MESSAGES_INTENT
            if not session.intents & needed:
                return None
            # without the MESSAGE_CONTENT intent Discord blanks these (except DMs and mentions)
            if session.intents & MESSAGE_CONTENT_INTENT or chan.is_dm or mentioned:
                return full
            return {**full, "content": "", "embeds": [], "attachments": [], "components": []}

        await self.dispatch("MESSAGE_CREATE", for_session)
        return stored

    # ------------------------------------------------------------------ queries

    def requests_to(self, method: str | None, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests whose method and path match ('{x}' and '*' match one path segment)."""
        regex = compile_path_pattern(path_pattern)
        return [
            r for r in self.requests if method_matches(method, r.method) and regex.fullmatch(r.path)
        ]

    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests to routes the stand-in does not implement."""
        return [r for r in self.requests if r.route is None]

    def messages_in(
        self, channel: ChannelRef, *, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Non-ephemeral messages created in a channel, oldest first (all authors)."""
        return [
            m
            for m in self.channel_messages.get(_id_of(channel), [])
            if include_deleted or not m.deleted
        ]

    def bot_messages_in(self, channel: ChannelRef) -> list[StoredMessage]:
        """Messages the bot itself posted in a channel."""
        return [
            m for m in self.messages_in(channel) if int(m.data["author"]["id"]) == self.bot_user.id
        ]

    def dms_to(self, user: UserRef) -> list[StoredMessage]:
        """Messages the bot sent in its DM channel with a user."""
        chan = self.world.dm_channels.get(_id_of(user))
        return self.bot_messages_in(chan) if chan else []

    def interaction(self, ref: InteractionRecord | int) -> InteractionRecord:
        return self.interactions[_id_of(ref)]
