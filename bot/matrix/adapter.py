"""The Matrix adapter: ``!`` commands in rooms, replies as HTML notices (matrix-nio).

How it stays correct across restarts:

- The sync token lives in the database and is saved only after every event of a
  sync has been handled; the first start of all makes one sync whose timeline is
  ignored, so old history is never executed.
- Each command event is claimed in ``ProcessedEvent`` before it runs, so an event
  seen twice (a sync replayed after a crash) runs at most once.
- A sync whose room timeline is ``limited`` (more events than it holds) is
  completed first with the events it left out, fetched with ``/messages`` back to
  the position the sync resumed from; a command older than
  ``matrix.max_command_age_s`` gets a "too late" reply instead of running, and a
  vote or reaction that old is not counted (its author is told). See ``_gaps``.
- The welcome message is posted when the bot's own join (after an invite) shows up
  in a live sync, and only when the core says the collective was never welcomed.
- Departures (leave, kick, ban) seen in live syncs are reported to the privacy
  service; the history before the bot joined is never read for them.
- The device id, its access token and the encryption keys live together under
  ``<data_dir>/matrix-store/``, so the bot keeps one device and can still read
  encrypted rooms after a restart.

Replies marked private go to a direct room with the member (encrypted when the
origin room is), with a short note in the origin room. A direct room the member
opens with the bot (an invite marked ``is_direct``) becomes their direct room.

Polls and demands (see ``_polls``):

- A poll message posted in a room is remembered as the poll's tally message there;
  for public single-choice and approval polls a native MSC3381 poll start follows
  it, and members' poll responses (unstable and stable forms) become ballots.
  Errors go to the member privately; a ballot receipt too. Ranked and
  majority-judgment polls are voted with ``!vote``, preferably in the direct room
  with the bot.
- Secret polls never get a native start: every member of a room reads every
  response sent there. Their message says to vote with ``!vote`` in the direct
  room with the bot. A response that refers to a secret poll anyway (a start event
  from an older version, the poll's message) is not counted: the bot tries to
  redact it and tells the member privately how to vote.
- ``!vote N ...`` sent in a room where only the member and the bot are (a direct
  room) counts in a collective the member shares with the bot: the room itself
  when poll N belongs to its scope, else a room where the bot posted poll N,
  else any other room of the member whose scope holds poll N. Moderator and
  role rights are those of that collective room, never of the direct room.
- With live results, the tally message is edited (``m.replace``) at most once
  every ``TALLY_INTERVAL_S`` per poll; ballots in between are folded into the
  next edit. After each sync, and after each announcement it posts, the bot
  looks whether a poll it posted has closed (by a moderator, by its closing job,
  from any platform): it then sends a poll end event after each start event, and
  a last edit of the tally message with the result. A scheduled poll gets its
  native form when it is shown again once open (``!scrutin voir N``).
- A demand message (one demand with its support action) is remembered; a ✅ or
  👍 reaction to it supports the demand, redacting the reaction withdraws the
  support (unless another support reaction of the member remains). Reactions
  get no public reply.

Meetups (see ``_meetups``):

- A message showing one meetup (the reply to ``!rencontre creer``, ``voir`` or
  ``modifier``, an announcement) gets a line inviting reactions and is
  remembered; its edits show it as everyone sees it (without the asker's own
  status). ✅ means coming (the waitlist when full), ❔ maybe, ❌ not coming;
  redacting one's ✅ or ❔ means not coming, unless the member answered otherwise
  since. The member hears back privately only when it matters: put on the
  waitlist, or the answer was refused.
- After an RSVP, an edit or a cancellation (by reaction or command), the
  meetup's remembered messages are edited (``m.replace``) with fresh counts, at
  most once every ``MEETUP_INTERVAL_S`` per meetup; answers in between are folded
  into the next edit, and a message already showing the current state is left alone.

Mutual aid (see ``_aid``): a new post is shown in its room as everyone sees it,
and that message roots the post's discussion thread (``m.thread``). "I can help"
(``!entraide aider N``) is said in the thread; once the post closes (fulfilled by a
confirmed exchange, closed, expired; looked at after the aid commands that may
close it and at most every ``AID_CHECK_S`` after syncs), the message is edited to
show it closed and the thread gets a last line; after ``!entraide modifier`` it is
edited to show the post's new content; the message of a post erased with
its author's data is redacted. Aid commands naming a post or an
exchange, sent in a direct room, count in a collective room the member shares with
the bot, as ``!vote`` does.

Rights FAQ (see ``_faq``): an answer showing one entry is remembered and invites
👍 or 👎 reactions, recorded as « useful » or « not useful »; the latter is
confirmed privately. Where a moderator turned passive help on, an ordinary
message that looks like a rights question may get one suggestion in reply
(a notice that mentions nobody).

Private notices of the core (a place freed up, reminders, changes, cancellations,
mutual aid) go to the member's direct room, created when needed (encrypted when the
bot shares an encrypted room with them). A failure is logged, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    Event,
    InviteMemberEvent,
    JoinError,
    KeysUploadError,
    LoginError,
    MatrixRoom,
    MegolmEvent,
    RedactedEvent,
    RoomCreateError,
    RoomCreateEvent,
    RoomGetEventError,
    RoomMemberEvent,
    RoomMessageText,
    RoomPreset,
    RoomRedactError,
    SyncError,
    SyncResponse,
    WhoamiError,
)
from nio.crypto import ENCRYPTION_ENABLED
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.app import Core, ballot_key
from bot.core.errors import DomainError, NotFound
from bot.core.i18n import _, use_locale
from bot.core.numbers import ID_MAX, InvalidNumber, parse_whole
from bot.core.render import admin as render_admin
from bot.core.render import aid as render_aid
from bot.core.render import errors as render_errors
from bot.core.render import faq as render_faq
from bot.core.render import meetups as render_meetups
from bot.core.render import polls as render_polls
from bot.core.render.message import Attachment, Message, Visibility
from bot.core.services.configuration import Profile
from bot.core.services.polls import EXAMPLES, PollInfo
from bot.core.types import Actor, Place, Platform
from bot.errors import error_reference
from bot.matrix import _aid, _faq, _gaps, _meetups, _polls, _sender
from bot.matrix._render import edit_content, message_content, neutralize_mentions
from bot.matrix._state import MatrixState
from bot.textcmd import build_registry
from bot.textcmd.faq import passive_help
from bot.textcmd.registry import split_words

log = logging.getLogger(__name__)

T = TypeVar("T")

MEGOLM = "m.megolm.v1.aes-sha2"
STORE_DIR = "matrix-store"
SESSION_FILE = "session.json"
# How long handled event ids are remembered; far longer than any sync replay.
EVENT_MEMORY = timedelta(days=30)
# How long a private reply waits for its new direct room to appear in a sync.
PRIVATE_WAIT_S = 120.0
# How long an event that could not be decrypted yet waits for its room key.
UNDECRYPTED_WAIT_S = 300.0
UNDECRYPTED_MAX = 200
# On the very first start, events older than this before the start are history.
HISTORY_GRACE_MS = 30_000
RETRY_MAX_S = 60.0
# A poll's tally message is edited at most this often, however fast ballots come.
TALLY_INTERVAL_S = 3.0
# A meetup's messages are edited at most this often, however fast RSVPs come.
MEETUP_INTERVAL_S = 3.0
# Closed mutual-aid posts are looked for at most this often between commands.
AID_CHECK_S = 30.0
LIMIT_EXCEEDED_RETRIES = 6
TIMEOUT_RETRIES = 4
# A standby process tries to take the sync over this often (PostgreSQL deployments).
SYNC_LOCK_RETRY_S = 5.0
# Meetup commands after which the meetup's messages are edited (English names).
MEETUP_CHANGES = frozenset({"going", "maybe", "no", "edit", "cancel"})
# What remembered meetup messages show, to skip edits that would change nothing.
SHOWN_MEMORY = 2000
POLL_ACTIONS = ("poll:vote:",)
DEMAND_ACTIONS = ("demand:support:", "demand:unsupport:")
LIVE_POLL = frozenset({"open", "scheduled"})

# Matrix power levels are integers that fit a JSON number exactly.
POWER_MAX = 2**53 - 1

# Presence, typing and receipts are not needed; a long timeline limit lets a
# restart catch up on the commands sent while the bot was away.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 100},
        "ephemeral": {"not_types": ["*"]},
    },
}
# Memberships that end a member's presence in a room, and those that were one.
DEPARTURES = frozenset({"leave", "ban"})
PRESENT = frozenset({"join"})

# The first sync of all only needs room state: its timeline is never executed.
FIRST_SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "room": {"timeline": {"limit": 1}, "ephemeral": {"not_types": ["*"]}},
}


class MatrixLoginError(RuntimeError):
    """The bot cannot log in with the configured credentials."""


class MatrixSendError(RuntimeError):
    """The homeserver refused something the bot sent."""


class _Stopped(Exception):
    """``stop()`` interrupted a wait; ``run()`` returns quietly."""


@dataclass
class _PendingPrivate:
    room_id: str
    message: Message
    encrypted: bool
    since: float


@dataclass
class _Undecrypted:
    room_id: str
    event: MegolmEvent
    since: float


def _creators_are_privileged(room_version: str) -> bool:
    """From room version 12 on, creators outrank every power level (and are not listed)."""
    if room_version.isascii() and room_version.isdigit():
        return int(room_version) >= 12
    return room_version.startswith("org.matrix.hydra.")


def _server_of(matrix_id: str | None) -> str | None:
    if not matrix_id or ":" not in matrix_id:
        return None
    return matrix_id.split(":", 1)[1].casefold()


class MatrixAdapter:
    name = "matrix"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings.matrix
        self.registry = build_registry(prefix=self.settings.command_prefix)
        self._digest_key = ballot_key(core.settings)
        self.state = MatrixState(core.db)
        self.store_dir = Path(core.settings.bot.data_dir) / STORE_DIR
        self.client: AsyncClient | None = None
        # Set once the first sync is done: rooms are known, sending works.
        self.ready = asyncio.Event()
        # True while another process owns the sync (see _own_sync).
        self.standing_by = False
        self._stopping = asyncio.Event()
        self._waiting: asyncio.Future[Any] | None = None
        self._not_before_ms = 0
        self._pending: list[_PendingPrivate] = []
        self._undecrypted: dict[str, _Undecrypted] = {}
        self._new_direct: dict[str, str] = {}  # user id -> direct room not synced yet
        self._creators: dict[str, frozenset[str]] = {}  # room id -> privileged creators
        self._tally: _polls.Throttle[int] = _polls.Throttle(TALLY_INTERVAL_S,
                                                            self._refresh_tally)
        self._watched: set[int] | None = None  # polls posted here, closing not handled
        self._meetup_edits: _polls.Throttle[int] = _polls.Throttle(MEETUP_INTERVAL_S,
                                                                   self._refresh_meetup)
        self._shown: dict[str, str] = {}  # meetup message event id -> what it shows
        self._aid_watched: set[int] | None = None  # posts with a thread, closing not shown
        self._aid_checked = 0.0
        self._aid_check = asyncio.Lock()
        self._direct_lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._poll_check = asyncio.Lock()
        # Everything sent goes through one queue (rate limits, order, priorities).
        self.sender = _sender.Sender(_sender.NioTransport(self._client))

    # -- lifecycle -------------------------------------------------------------

    async def count_members(self, room_id: str, role: str | None) -> int | None:
        """Joined members of a room (the bot left out), or those with at least the
        power level of a ``level:N`` role, for a poll's percentage quorum."""
        room = self.client.rooms.get(room_id) if self.client is not None else None
        if room is None:
            return None
        members = [u for u, m in room.users.items()
                   if u != self.client.user_id and not m.invited]
        if role is None:
            return len(members)
        if not role.startswith("level:"):
            return None
        try:
            level = parse_whole(role[6:], field="level", low=-POWER_MAX, high=POWER_MAX)
        except InvalidNumber:
            return None
        return sum(1 for u in members if room.power_levels.get_user_level(u) >= level)

    async def _own_sync(self) -> AsyncConnection | None:
        """On PostgreSQL, wait until this process owns the account's sync: a session
        advisory lock held on its own connection for as long as the adapter runs.
        Another process of the same deployment stands by and takes over when the
        owner dies (the server drops its lock with its connection). None on SQLite,
        which serves one process."""
        if self.core.db.dialect != "postgresql":
            return None
        digest = hashlib.sha256(f"matrix-sync:{self.settings.user_id}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        told = False
        while True:
            connection = await self.core.db.engine.connect()
            try:
                owned = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
                await connection.commit()
            except BaseException:
                await connection.close()
                raise
            if owned:
                self.standing_by = False
                if told:
                    log.info("matrix: taking over the sync of %s", self.settings.user_id)
                return connection
            await connection.close()
            self.standing_by = True
            if not told:
                log.info("matrix: another process owns the sync of %s; standing by",
                         self.settings.user_id)
                told = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=SYNC_LOCK_RETRY_S)
            if self._stopping.is_set():
                raise _Stopped

    async def run(self) -> None:
        lock: AsyncConnection | None = None
        try:
            lock = await self._own_sync()
        except _Stopped:
            log.info("matrix: stopped")
            return
        self.core.outbox.register(Platform.MATRIX.value, self.announce, self.private)
        self.core.polls.member_counters[Platform.MATRIX.value] = self.count_members
        try:
            self.client = await self._connect()
            await self._serve(self.client)
        except _Stopped:
            pass
        finally:
            if lock is not None:
                with contextlib.suppress(Exception):
                    await lock.close()
            self.core.outbox.unregister(Platform.MATRIX.value)
            self.core.polls.member_counters.pop(Platform.MATRIX.value, None)
            await self._tally.close()
            await self._meetup_edits.close()
            await self.sender.close(_sender.DRAIN_S)
            if self.client is not None:
                await self.client.close()
            log.info("matrix: stopped")

    async def stop(self) -> None:
        self._stopping.set()
        if self._waiting is not None:
            self._waiting.cancel()

    async def _interruptible(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` so that ``stop()`` can cut it short (long polls, retries)."""
        if self._stopping.is_set():
            coro.close()
            raise _Stopped
        task = asyncio.ensure_future(coro)
        self._waiting = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._stopping.is_set() and not (current and current.cancelling()):
                raise _Stopped from None
            raise
        finally:
            self._waiting = None

    # -- login -----------------------------------------------------------------

    def _session_path(self) -> Path:
        return self.store_dir / SESSION_FILE

    def _read_session(self) -> dict[str, str]:
        try:
            data = json.loads(self._session_path().read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        if (data.get("user_id"), data.get("homeserver")) != (
            self.settings.user_id, self.settings.homeserver
        ):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def _write_session(self, client: AsyncClient) -> None:
        data = {
            "homeserver": self.settings.homeserver,
            "user_id": self.settings.user_id,
            "device_id": client.device_id,
            "access_token": client.access_token,
        }
        path = self._session_path()
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        temporary.replace(path)

    async def _connect(self) -> AsyncClient:
        settings = self.settings
        encryption = settings.encryption
        if encryption and not ENCRYPTION_ENABLED:
            log.warning("matrix: encryption support is not installed; encrypted rooms are "
                        "ignored (install matrix-nio[e2e])")
            encryption = False
        self.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # A request answered M_LIMIT_EXCEEDED is retried after the server's retry_after_ms,
        # a bounded number of times; a sync that fails is retried by _sync.
        config = AsyncClientConfig(encryption_enabled=encryption, store_sync_tokens=False,
                                   max_limit_exceeded=LIMIT_EXCEEDED_RETRIES,
                                   max_timeouts=TIMEOUT_RETRIES)
        client = AsyncClient(
            settings.homeserver, settings.user_id, store_path=str(self.store_dir), config=config
        )
        try:
            if settings.access_token:
                await self._use_access_token(client)
            else:
                await self._password_login(client)
            if client.olm is not None and client.should_upload_keys:
                uploaded = await self._interruptible(client.keys_upload())
                if isinstance(uploaded, KeysUploadError):
                    log.warning("matrix: device keys were not uploaded (%s); encrypted rooms "
                                "may not work", uploaded.message)
        except BaseException:
            await client.close()
            raise
        log.info("matrix: logged in as %s, device %s, encryption %s",
                 client.user_id, client.device_id, "on" if client.olm else "off")
        return client

    async def _use_access_token(self, client: AsyncClient) -> None:
        client.access_token = self.settings.access_token
        who = await self._interruptible(client.whoami())
        if isinstance(who, WhoamiError):
            raise MatrixLoginError(f"matrix.access_token was refused: {who.message}")
        device_id = self.settings.device_id or who.device_id
        if not device_id:
            raise MatrixLoginError(
                "the homeserver did not say which device matrix.access_token belongs to; "
                "set matrix.device_id"
            )
        client.restore_login(who.user_id, device_id, self.settings.access_token)

    async def _password_login(self, client: AsyncClient) -> None:
        saved = self._read_session()
        device_id = self.settings.device_id or saved.get("device_id")
        if saved.get("access_token") and device_id == saved.get("device_id"):
            client.restore_login(self.settings.user_id, device_id, saved["access_token"])
            who = await self._interruptible(client.whoami())
            if not isinstance(who, WhoamiError):
                return
            log.info("matrix: saved session expired (%s); logging in again", who.message)
            client.access_token = ""
        client.device_id = device_id or None
        await self._login(client)

    async def _login(self, client: AsyncClient) -> None:
        """Password login, on the client's device when it has one (keys stay valid)."""
        response = await self._interruptible(
            client.login(self.settings.password, device_name=self.settings.device_name)
        )
        if isinstance(response, LoginError):
            raise MatrixLoginError(
                f"login of {self.settings.user_id} on {self.settings.homeserver} failed: "
                f"{response.message}"
            )
        self._write_session(client)

    # -- sync loop ---------------------------------------------------------------

    async def _sync(
        self,
        client: AsyncClient,
        *,
        timeout_ms: int,
        since: str | None = None,
        full_state: bool | None = None,
        sync_filter: dict[str, Any] = SYNC_FILTER,
    ) -> SyncResponse:
        delay = 1.0
        while True:
            try:
                response = await self._interruptible(
                    client.sync(timeout=timeout_ms, sync_filter=sync_filter, since=since,
                                full_state=full_state)
                )
            except (_Stopped, asyncio.CancelledError):
                raise
            except Exception as exc:
                response = SyncError(f"{type(exc).__name__}: {exc}")
            if isinstance(response, SyncResponse):
                return response
            if response.status_code == "M_UNKNOWN_TOKEN":
                if self.settings.access_token or not self.settings.password:
                    raise MatrixLoginError(f"the homeserver ended the session: {response.message}")
                log.warning("matrix: session ended by the homeserver; logging in again")
                await self._login(client)
                continue
            log.warning("matrix: sync failed (%s); retrying in %.0fs", response.message, delay)
            await self._interruptible(asyncio.sleep(delay))
            delay = min(delay * 2, RETRY_MAX_S)

    async def _serve(self, client: AsyncClient) -> None:
        forgotten = await self.state.forget_events(EVENT_MEMORY)
        if forgotten:
            log.debug("matrix: forgot %d old event ids", forgotten)
        user_id = client.user_id
        token = await self.state.next_batch(user_id)
        if token is None:
            # First start of all: learn the rooms, join pending invites, run nothing old.
            self._not_before_ms = int(time.time() * 1000) - HISTORY_GRACE_MS
            response = await self._sync(client, timeout_ms=0, full_state=True,
                                        sync_filter=FIRST_SYNC_FILTER)
            await self._maintain_keys(client)
            self._note_creators(response)
            await self._handle_invites(client, response)
            await self.state.save_next_batch(user_id, response.next_batch)
        else:
            # Full room state (members, power levels), timeline from the saved token.
            response = await self._sync(client, timeout_ms=0, since=token, full_state=True)
            await self._process(client, response)
        log.info("matrix: syncing as %s in %d rooms", user_id, len(client.rooms))
        self.ready.set()
        while not self._stopping.is_set():
            response = await self._sync(client, timeout_ms=self.settings.sync_timeout_ms)
            await self._process(client, response)

    async def _process(self, client: AsyncClient, response: SyncResponse) -> None:
        """Handle one sync, then save its token: a crash before that replays it."""
        await self._maintain_keys(client)
        self._note_creators(response)
        await self._handle_invites(client, response)
        since = await self.state.next_batch(client.user_id)  # where this sync resumed
        for room_id, info in response.rooms.join.items():
            room = client.rooms.get(room_id)
            if room is None:
                continue
            # A limited timeline: the events it left out first (see _gaps).
            missed = await _gaps.missed_events(client, room_id, info.timeline, since,
                                               wait=self._interruptible)
            events = _gaps.with_gap(missed, info.timeline.events)
            if self._joined_on_invite(client, events):
                await self._welcome(room)
            for event in self._after_own_join(client, events):
                await self._guarded(client, room, event)
        await self._retry_undecrypted(client)
        await self._flush_private(client)
        await self._check_polls()
        await self._check_aid()
        await self.state.save_next_batch(client.user_id, response.next_batch)

    async def _maintain_keys(self, client: AsyncClient) -> None:
        """Olm housekeeping between syncs: to-device messages, key upload, query, claim."""
        if client.olm is None:
            return
        try:
            await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
        except Exception:
            log.exception("matrix: encryption key maintenance failed")

    def _note_creators(self, response: SyncResponse) -> None:
        """Remember who created each room when the room version makes creators supreme."""
        for room_id, info in response.rooms.join.items():
            for event in (*info.state, *info.timeline.events):
                if not isinstance(event, RoomCreateEvent):
                    continue
                if not _creators_are_privileged(str(event.room_version)):
                    self._creators[room_id] = frozenset()
                    continue
                extra = event.source.get("content", {}).get("additional_creators", [])
                extra = [user for user in extra if isinstance(user, str)]
                self._creators[room_id] = frozenset([event.sender, *extra])

    @staticmethod
    def _after_own_join(client: AsyncClient, events: Sequence[Event]) -> Sequence[Event]:
        """Events after the bot's own join: what came before is the room's history."""
        start = 0
        for index, event in enumerate(events):
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == client.user_id
                and event.membership == "join"
                and event.prev_membership != "join"
            ):
                start = index + 1
        return events[start:]

    @staticmethod
    def _joined_on_invite(client: AsyncClient, events: Sequence[Event]) -> bool:
        """Whether the bot joined here after being invited (not a direct chat)."""
        for event in events:
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == client.user_id
                and event.membership == "join"
                and event.prev_membership == "invite"
            ):
                previous = event.prev_content
                if not (isinstance(previous, dict) and previous.get("is_direct") is True):
                    return True
        return False

    async def _welcome(self, room: MatrixRoom) -> None:
        """Post the welcome message in a new collective, once ever, in its language."""
        try:
            place = _place(room)
            if not await self.core.config.welcome_needed(place):
                log.info("matrix: %s was welcomed before", room.room_id)
                return
            profile = await self.core.profile(place)
            with use_locale(profile.locale):
                await self._send(room.room_id, render_admin.welcome())
            log.info("matrix: welcomed %s", room.room_id)
        except Exception:
            log.exception("matrix: the welcome message in %s failed", room.room_id)

    async def _handle_invites(self, client: AsyncClient, response: SyncResponse) -> None:
        for room_id in response.rooms.invite:
            invited = client.invited_rooms.get(room_id)
            inviter = invited.inviter if invited is not None else None
            try:
                if not self._invite_allowed(room_id, inviter):
                    log.info("matrix: declining the invite to %s from %s", room_id, inviter)
                    await client.room_leave(room_id)
                    continue
                joined = await client.join(room_id)
                if isinstance(joined, JoinError):
                    log.warning("matrix: could not join %s: %s", room_id, joined.message)
                    continue
                if inviter and _direct_invite(response, room_id, client.user_id):
                    # The member opened a direct chat with the bot: their direct room now
                    # (where secret ballots are cast: the log does not name them).
                    log.info("matrix: joined the direct room %s", room_id)
                    self._new_direct.pop(inviter, None)
                    await self.state.save_direct_room(client.user_id, inviter, room_id)
                else:
                    log.info("matrix: joined %s (invited by %s)", room_id, inviter)
            except Exception:
                log.exception("matrix: handling the invite to %s failed", room_id)

    def _invite_allowed(self, room_id: str, inviter: str | None) -> bool:
        allowed = {server.casefold() for server in self.settings.allowed_servers}
        if not allowed:
            return True
        server = _server_of(inviter) if inviter else _server_of(room_id)
        return server in allowed

    # -- events ----------------------------------------------------------------

    @_sender.sends_as(_sender.REPLY, "reply")
    async def _guarded(self, client: AsyncClient, room: MatrixRoom, event: Event) -> None:
        """No event, understood or not, may stop the sync loop."""
        try:
            with _gaps.judged(event, self.settings.max_command_age_s):
                await self._on_event(client, room, event)
        except Exception:
            # The event's type, not its id: the id of a ``!vote`` names its sender.
            log.exception("matrix: an event (%s) in %s could not be handled",
                          _event_type(event), room.room_id)

    async def _on_event(self, client: AsyncClient, room: MatrixRoom, event: Event) -> None:
        if isinstance(event, MegolmEvent):
            if client.olm is not None and len(self._undecrypted) < UNDECRYPTED_MAX:
                self._undecrypted[event.event_id] = _Undecrypted(
                    room.room_id, event, time.monotonic()
                )
            return
        if isinstance(event, RoomMemberEvent):
            await self._on_member(client, room, event)
            return
        sender = getattr(event, "sender", None)  # events too malformed to parse have none
        if not isinstance(sender, str) or sender == client.user_id:
            return
        event_type = event.source.get("type") if isinstance(event.source, dict) else None
        if event_type in _polls.RESPONSE_TYPES or event_type in (
            _polls.REACTION_TYPE, _polls.REDACTION_TYPE
        ):
            if event.server_timestamp >= self._not_before_ms and not isinstance(
                event, RedactedEvent
            ):
                await self._on_interaction(room, event, str(event_type))
            return
        if not isinstance(event, RoomMessageText):
            return
        if event.server_timestamp < self._not_before_ms:
            return
        content = event.source.get("content")
        relation = content.get("m.relates_to") if isinstance(content, dict) else None
        if isinstance(relation, dict) and relation.get("rel_type") == "m.replace":
            return  # an edit; the original was already handled
        text = self.registry.strip_prefix(event.body, required=True)
        if text is None:
            if _gaps.late() is None:
                await self._passive_help(room, event, relation)
            return
        if not await self.state.claim_event(event.event_id):
            log.info("matrix: a command already handled was skipped in %s", room.room_id)
            return
        late = _gaps.late()
        if late is not None:
            # Not run: its author is told it came too late (see _gaps).
            log.info("matrix: a command %d s old was not run in %s", late // 1000,
                     room.room_id)
            await self._reply_quietly(room, _reply_relation(event.event_id, relation),
                                      await _gaps.too_late_reply(self.core, _place(room), late))
            return
        await self._command(room, event, text, relation)

    async def _on_member(
        self, client: AsyncClient, room: MatrixRoom, event: RoomMemberEvent
    ) -> None:
        """A member who was in the room left it, was kicked or was banned."""
        user_id = _departed(event, client.user_id)
        if user_id is None or event.server_timestamp < self._not_before_ms:
            return
        if not await self.state.claim_event(event.event_id):
            return
        await self.core.privacy.member_left(_place(room), user_id)
        log.info("matrix: %s left %s (%s)", user_id, room.room_id, event.membership)

    async def _retry_undecrypted(self, client: AsyncClient) -> None:
        """Events whose room key arrived after them are handled once it is there."""
        now = time.monotonic()
        for event_id, item in list(self._undecrypted.items()):
            try:
                decrypted = client.decrypt_event(item.event)
            except EncryptionError:
                if now - item.since > UNDECRYPTED_WAIT_S:
                    del self._undecrypted[event_id]
                    log.warning("matrix: no room key for event %s in %s; ignored",
                                event_id, item.room_id)
                continue
            del self._undecrypted[event_id]
            room = client.rooms.get(item.room_id)
            if room is not None and not isinstance(decrypted, MegolmEvent):
                await self._guarded(client, room, decrypted)

    def _actor(self, room: MatrixRoom, user_id: str, profile: Profile) -> Actor:
        """The member acting; moderator and organiser from the room's power levels
        (room creators count as moderators)."""
        user = room.users.get(user_id)
        name = user.display_name if user is not None and user.display_name else user_id
        moderator_level = profile.moderator_power_level
        if moderator_level is None:
            moderator_level = self.settings.moderator_power_level
        level = room.power_levels.get_user_level(user_id)
        moderator = (
            user_id in self._creators.get(room.room_id, frozenset()) or level >= moderator_level
        )
        organiser = moderator or (
            profile.organiser_power_level is not None and level >= profile.organiser_power_level
        )
        return Actor(Platform.MATRIX, user_id, name, moderator, organiser,
                     frozenset({f"level:{level}"}))

    async def _command(
        self, room: MatrixRoom, event: RoomMessageText, text: str, relation: Any
    ) -> None:
        """Run one command; the only place where errors become replies."""
        relates_to = _reply_relation(event.event_id, relation)
        vote = self._vote_number(text)
        meetup = self._meetup_number(text)
        aid = _aid.parse_command(self.registry, text)
        home = room
        if vote is not None and _two_person(room, event.sender):
            try:
                home = await self._vote_room(room, event.sender, vote) or room
            except Exception:
                log.exception("matrix: finding the collective of poll %s failed", vote)
        elif aid is not None and aid.number is not None and _two_person(room, event.sender):
            try:
                home = await self._aid_room(room, event.sender, aid) or room
            except Exception:
                log.exception("matrix: finding the collective of mutual-aid %s %s failed",
                              aid.name, aid.number)
        place = _place(home)
        profile = await self.core.profile(place)
        actor = self._actor(home, event.sender, profile)
        with use_locale(profile.locale):
            try:
                replies = await self.registry.dispatch(self.core, actor, place, text)
                for reply in replies:
                    if aid is not None and aid.name in _aid.NEW_POST and \
                            await self._aid_posted(room, relates_to, actor, reply, place):
                        continue
                    await self._reply(room, relates_to, actor, reply, place)
                if vote is not None:
                    self._tally.request(vote)
                if meetup is not None:
                    self._meetup_edits.request(meetup)
                if aid is not None:
                    await self._after_aid(aid, actor)
            except DomainError as exc:
                await self._reply_quietly(room, relates_to, render_errors.error(exc))
            except Exception:
                reference = error_reference()
                log.exception("matrix command failed [%s] in %s: %s", reference,
                              room.room_id, " ".join(text.split()[:2]))
                await self._reply_quietly(room, relates_to, render_errors.unexpected(reference))

    async def _reply_quietly(
        self, room: MatrixRoom, relates_to: dict[str, Any], message: Message
    ) -> None:
        try:
            await self._send(room.room_id, message, relates_to)
        except Exception:
            log.exception("matrix: could not reply in %s", room.room_id)

    async def _reply(
        self, room: MatrixRoom, relates_to: dict[str, Any], actor: Actor, message: Message,
        place: Place,
    ) -> None:
        if message.visibility is Visibility.PRIVATE and not await self._is_direct(room, actor):
            direct = await self._direct_room(actor.user_id, encrypted=room.encrypted)
            self._pending.append(
                _PendingPrivate(direct, message, room.encrypted, time.monotonic())
            )
            note = Message(
                lines=(_("The reply was sent to you in a direct message."),),
                visibility=Visibility.EPHEMERAL,
            )
            await self._send(room.room_id, note, relates_to)
            await self._flush_private(self._client())
            return
        await self._post(room, relates_to, actor, message, place)

    @_sender.sends_as(_sender.BULK, "private notice")
    async def private(self, user_id: str, message: Message) -> None:
        """Outbox sender of private notices (promotions, reminders, changes, mutual
        aid): the member's direct room, created when needed. It is encrypted when the
        bot shares an encrypted room with the member; an existing direct room is used
        as it is otherwise. A failure is logged, never raised."""
        try:
            client = self._client()
            encrypted = client.olm is not None and any(
                room.encrypted for room in client.rooms.values()
                if user_id in room.users and not _two_person(room, user_id)
            )
            direct = await self._direct_room(user_id, encrypted=encrypted)
            self._pending.append(
                _PendingPrivate(direct, message, encrypted, time.monotonic())
            )
            await self._flush_private(client)
        except Exception:
            log.exception("matrix: a private notice to %s could not be sent", user_id)

    async def _tell(self, room: MatrixRoom, actor: Actor, message: Message) -> None:
        """Send ``message`` to the member alone, without a note in ``room``."""
        try:
            if await self._is_direct(room, actor):
                await self._send(room.room_id, message)
                return
            direct = await self._direct_room(actor.user_id, encrypted=room.encrypted)
            self._pending.append(
                _PendingPrivate(direct, message, room.encrypted, time.monotonic())
            )
            await self._flush_private(self._client())
        except Exception:
            log.exception("matrix: could not write privately to a member of %s", room.room_id)

    # -- polls and demands -----------------------------------------------------------

    async def _post(
        self, room: MatrixRoom, relates_to: dict[str, Any] | None, actor: Actor,
        message: Message, place: Place,
    ) -> None:
        """Post a public reply; a poll or demand message is remembered for what follows."""
        polls = _polls.action_numbers(message, POLL_ACTIONS)
        demands = _polls.action_numbers(message, DEMAND_ACTIONS)
        direct = await self._is_direct(room, actor)
        meetup = None if direct else _meetups.shown_number(message)
        if meetup is not None:
            message = _meetups.with_hint(message)
        info: PollInfo | None = None
        if len(polls) == 1 and not direct:
            try:
                info = await self.core.polls.show(actor, place, polls[0])
            except DomainError:
                info = None
            if info is not None:
                message = _with_vote_hint(message, info)
        if len(demands) == 1 and not direct:
            message = dataclasses.replace(
                message, lines=(*message.lines, _("React with ✅ to support this demand."))
            )
        entry = _faq.answered_slug(message)
        if entry is not None:
            message = _faq.with_reactions(message)
        event_id = await self._send(room.room_id, message, relates_to)
        try:
            if len(demands) == 1 and not direct:
                await self.state.record_demand_message(event_id, demands[0], room.room_id)
            if entry is not None:
                await self.state.record_faq_message(event_id, entry, room.room_id)
            if meetup is not None:
                await self._meetup_posted(room.room_id, meetup, event_id, message,
                                          _meetups.SHOWN)
            if info is not None:
                await self._poll_posted(room, info, event_id)
        except Exception:
            log.exception("matrix: the message %s in %s was sent, but what follows it failed",
                          event_id, room.room_id)

    async def _poll_posted(self, room: MatrixRoom, info: PollInfo, event_id: str) -> None:
        """Remember the poll's message here; open a native poll when the method allows."""
        await self.state.record_tally(info.id, room.room_id, event_id)
        if info.status not in LIVE_POLL:
            return
        if self._watched is not None:
            self._watched.add(info.id)
        if info.status != "open" or not _polls.native(info):
            return
        if room.room_id in await self.state.poll_starts(info.id):
            return
        limit = _polls.max_selections(info, await self.state.max_choices(info.id))
        question = _("Poll {number}: {title}").format(number=info.id, title=info.title)
        content = _polls.start_content(info, neutralize_mentions(question), max_choices=limit)
        start_id = await self._room_send(self._client(), room.room_id, content,
                                         _polls.START_TYPE)
        await self.state.record_poll_start(info.id, room.room_id, start_id, info.method, limit)
        log.info("matrix: native poll %s started in %s", info.id, room.room_id)

    def _vote_number(self, text: str) -> int | None:
        """The poll number of a ``!vote N ...`` command line, else None (a number the
        member got wrong is answered by the command itself)."""
        try:
            words = split_words(text)
            if not words:
                return None
            command, used = self.registry.resolve(words)
        except DomainError:
            return None
        if command.en != "vote" or len(words) <= used:
            return None
        return _item_number(words[used])

    async def _has_poll(self, room: MatrixRoom, user_id: str, number: int) -> bool:
        place = _place(room)
        actor = self._actor(room, user_id, await self.core.profile(place))
        try:
            await self.core.polls.show(actor, place, number)
        except NotFound:
            return False
        return True

    def _shared_rooms(
        self, room: MatrixRoom, user_id: str, preferred: Sequence[str]
    ) -> list[MatrixRoom]:
        """The collective rooms (not ``room``) the member has joined with the bot, those
        in ``preferred`` first, in that order."""
        shared = [
            other for other in self._client().rooms.values()
            if other.room_id != room.room_id
            and user_id in other.users
            and not other.users[user_id].invited
            and not _two_person(other, user_id)
        ]
        shared.sort(key=lambda other: (
            preferred.index(other.room_id) if other.room_id in preferred else len(preferred),
            other.room_id,
        ))
        return shared

    async def _vote_room(self, room: MatrixRoom, user_id: str, number: int) -> MatrixRoom | None:
        """The collective room where a ballot sent in a direct room counts (see the top)."""
        if await self._has_poll(room, user_id, number):
            return None
        shared = self._shared_rooms(room, user_id, await self.state.poll_rooms(number))
        for other in shared:
            if await self._has_poll(other, user_id, number):
                return other
        return None

    async def _on_interaction(self, room: MatrixRoom, event: Event, event_type: str) -> None:
        """A poll response, a reaction or a redaction: never a public reply."""
        content = event.source.get("content")
        if event_type in _polls.RESPONSE_TYPES:
            response = _polls.parse_response(event_type, content)
            if response is None:
                return
            start = await self.state.poll_start(response.start_event_id)
            if start is not None and start.get("room") == room.room_id:
                number: int | None = int(start["poll"])
            else:
                start = None
                number = await self.state.poll_of_message(response.start_event_id,
                                                          room.room_id)
            if number is None:
                return
            secret = await self.state.poll_is_secret(number)
            if start is None and not secret:
                return  # a public poll is answered through its start event
            if not await self.state.claim_event(event.event_id):
                return
            if secret or start is None:
                await self._on_secret_response(room, event, number)
            else:
                await self._on_poll_response(room, event.sender, start, response)
        elif event_type == _polls.REACTION_TYPE:
            relation = content.get("m.relates_to") if isinstance(content, dict) else None
            if not isinstance(relation, dict) or relation.get("rel_type") != "m.annotation":
                return
            target = relation.get("event_id")
            if not isinstance(target, str):
                return
            key = relation.get("key")
            if _polls.is_support_key(key):
                demand = await self.state.demand_of(target, room.room_id)
                if demand is not None:
                    if await self.state.claim_event(event.event_id):
                        await self._on_support(room, event.sender, demand, event.event_id)
                    return
            opinion = _faq.opinion_of(key)
            if opinion is not None:
                entry = await self.state.faq_of(target, room.room_id)
                if entry is not None:
                    if await self.state.claim_event(event.event_id):
                        await self._on_feedback(room, event.sender, entry, opinion)
                    return
            answer = _meetups.answer_of(key)
            meetup = (await self.state.meetup_of(target, room.room_id)
                      if answer is not None else None)
            if meetup is None or answer is None:
                return
            if not await self.state.claim_event(event.event_id):
                return
            await self._on_rsvp(room, event.sender, meetup, answer, event.event_id)
        else:
            redacted = _polls.redacted_id(event.source)
            if redacted is None:
                return
            data = await self.state.reaction(redacted)
            if data is not None:
                if await self.state.claim_event(event.event_id):
                    await self._on_unreact(room, event.sender, redacted, data)
                return
            rsvp = await self.state.rsvp_reaction(redacted)
            if rsvp is None or rsvp.get("room") != room.room_id:
                return
            if not await self.state.claim_event(event.event_id):
                return
            await self._on_unrsvp(room, event.sender, redacted, rsvp)

    async def _member_action(
        self, room: MatrixRoom, sender: str, what: str,
        action: Callable[[Actor, Place], Awaitable[T]],
    ) -> tuple[Actor, str, T] | None:
        """Run what a member did without a command (a reaction, a native poll answer):
        the actor, the collective's locale and the result; None when it was refused
        or failed, which the member is told privately."""
        place = _place(room)
        profile = await self.core.profile(place)
        actor = self._actor(room, sender, profile)
        with use_locale(profile.locale):
            late = _gaps.late()
            if late is not None:
                log.info("matrix: a %s %d s old was not counted in %s", what, late // 1000,
                         room.room_id)
                await self._tell(room, actor, _gaps.too_late_action(late))
                return None
            try:
                return actor, profile.locale, await action(actor, place)
            except DomainError as exc:
                await self._tell(room, actor, render_errors.error(exc))
            except Exception:
                reference = error_reference()
                log.exception("matrix: %s failed [%s] in %s", what, reference, room.room_id)
                await self._tell(room, actor, render_errors.unexpected(reference))
        return None

    async def _on_poll_response(
        self, room: MatrixRoom, sender: str, start: dict[str, Any],
        response: _polls.PollResponse,
    ) -> None:
        number = int(start["poll"])
        ballot = _polls.ballot(str(start.get("method")), response.answers,
                               int(start.get("max") or 1))
        done = await self._member_action(
            room, sender, "poll response",
            lambda actor, place: self.core.polls.vote(actor, place, number, ballot))
        if done is None:
            return
        actor, locale, result = done
        if result.receipt and not result.replaced:
            with use_locale(locale):
                await self._tell(room, actor, render_polls.voted(result))
        log.info("matrix: native ballot in poll %s from %s", number, room.room_id)
        if result.poll.live_results:
            self._tally.request(number)

    async def _on_secret_response(self, room: MatrixRoom, event: Event, number: int) -> None:
        """A native response to a secret poll: everyone in the room can read it, so it
        is not counted. The bot tries to redact it (it needs the power to) and tells
        the member privately how to vote; nothing is said in the room."""
        try:
            redacted = await self.sender.redact(room.room_id, event.event_id)
        except Exception as exc:
            redacted = RoomRedactError(f"{type(exc).__name__}: {exc}")
        if isinstance(redacted, RoomRedactError):
            log.info("matrix: a response to secret poll %s could not be redacted in %s: %s",
                     number, room.room_id, redacted.message)
        place = _place(room)
        profile = await self.core.profile(place)
        actor = self._actor(room, event.sender, profile)
        method = await self.state.poll_method(number)
        with use_locale(profile.locale):
            await self._tell(room, actor, _secret_poll_notice(number, method))
        log.info("matrix: a response to secret poll %s in %s was not counted", number,
                 room.room_id)

    def _digest(self, user_id: str) -> str:
        """A keyed digest of a member, so reaction records hold no user id."""
        message = f"matrix-reaction:{user_id}".encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()[:32]

    async def _on_support(
        self, room: MatrixRoom, sender: str, demand: int, reaction_id: str
    ) -> None:
        done = await self._member_action(
            room, sender, "support by reaction",
            lambda actor, place: self.core.demands.support(actor, place, demand))
        if done is None:
            return
        await self.state.record_reaction(reaction_id, demand, room.room_id, self._digest(sender))
        log.info("matrix: demand %s supported by a reaction in %s", demand, room.room_id)

    async def _on_unreact(
        self, room: MatrixRoom, redacter: str, reaction_id: str, data: dict[str, Any]
    ) -> None:
        """A support reaction was redacted: withdraw the support of whoever reacted."""
        user_id = await self._reacting_user(room, redacter, reaction_id, data)
        remaining = await self.state.forget_reaction(reaction_id, data)
        if user_id is None or remaining:
            return
        demand = int(data["demand"])
        place = _place(room)
        profile = await self.core.profile(place)
        actor = self._actor(room, user_id, profile)
        with use_locale(profile.locale):
            try:
                await self.core.demands.support(actor, place, demand, remove=True)
            except DomainError as exc:
                log.info("matrix: support of demand %s not withdrawn: %s", demand,
                         type(exc).__name__)
                return
        log.info("matrix: support of demand %s withdrawn in %s", demand, room.room_id)

    async def _original_sender(self, room_id: str, event_id: str) -> str | None:
        fetched = await self._client().room_get_event(room_id, event_id)
        if isinstance(fetched, RoomGetEventError):
            return None
        sender = getattr(fetched.event, "sender", None)
        return sender if isinstance(sender, str) else None

    def _system_actor(self) -> Actor:
        """The bot itself, reading results it may show (never a member of anything)."""
        user_id = self._client().user_id
        return Actor(Platform.MATRIX, user_id, user_id)

    async def _refresh_tally(self, number: int) -> None:
        """Edit the poll's tally messages to show the current count (throttled)."""
        client = self._client()
        for room_id, event_id in (await self.state.tallies(number)).items():
            room = client.rooms.get(room_id)
            if room is None:
                continue
            place = _place(room)
            profile = await self.core.profile(place)
            with use_locale(profile.locale):
                try:
                    result = await self.core.polls.results(self._system_actor(), place, number)
                except DomainError:
                    continue  # results are not shown before closing
                poll = _with_vote_hint(render_polls.poll(result.poll), result.poll)
                message = _polls.tally_message(poll, render_polls.results(result))
            await self._room_send(client, room_id, edit_content(message, event_id))

    async def _check_polls(self) -> None:
        """Close the native polls and tallies of the polls that closed since last time."""
        async with self._poll_check:
            await self._check_polls_now()

    async def _check_polls_now(self) -> None:
        try:
            if self._watched is None:
                self._watched = await self.state.watched_polls()
            if not self._watched:
                return
            statuses = await self.state.poll_statuses(set(self._watched))
        except Exception:
            log.exception("matrix: poll statuses could not be read")
            return
        for number in sorted(self._watched):
            status = statuses.get(number)
            if status in LIVE_POLL:
                continue
            try:
                await self._poll_ended(number, status)
            except Exception:
                log.exception("matrix: closing the native poll %s failed", number)

    async def _poll_ended(self, number: int, status: str | None) -> None:
        client = self._client()
        ended = await self.state.poll_ends(number)
        for room_id, start_id in (await self.state.poll_starts(number)).items():
            if room_id in ended:
                continue
            room = client.rooms.get(room_id)
            if room is None:
                await self.state.record_poll_end(number, room_id, "")
                continue
            place = _place(room)
            profile = await self.core.profile(place)
            with use_locale(profile.locale):
                text = await self._end_text(place, number, status)
            end_id = await self._room_send(client, room_id, _polls.end_content(start_id, text),
                                           _polls.END_TYPE)
            await self.state.record_poll_end(number, room_id, end_id)
            log.info("matrix: native poll %s ended in %s", number, room_id)
        if status is not None:
            self._tally.request(number)
        await self.state.mark_poll_done(number)
        if self._watched is not None:
            self._watched.discard(number)

    async def _end_text(self, place: Place, number: int, status: str | None) -> str:
        """The result as plain text, for clients that don't show poll end events."""
        if status == "closed":
            try:
                result = await self.core.polls.results(self._system_actor(), place, number)
            except DomainError:
                pass
            else:
                message = dataclasses.replace(render_polls.results(result), attachments=())
                return neutralize_mentions(message.plain_text())
        return _("This poll has ended.")

    # -- meetups ----------------------------------------------------------------

    def _meetup_number(self, text: str) -> int | None:
        """The meetup number of a command that changes a meetup's counts or details."""
        try:
            words = split_words(text)
            root = self.registry.root(words[0]) if words else None
            if root is None or root.en != "meetup":
                return None
            command, used = self.registry.resolve(words)
        except DomainError:
            return None
        if command.en not in MEETUP_CHANGES or len(words) <= used:
            return None
        return _item_number(words[used])

    async def _meetup_posted(
        self, room_id: str, number: int, event_id: str, message: Message, kind: str
    ) -> None:
        await self.state.record_meetup_message(event_id, number, room_id, kind)
        self._remember_shown(event_id, message)
        log.info("matrix: meetup %s shown in %s", number, room_id)

    def _remember_shown(self, event_id: str, message: Message) -> None:
        if len(self._shown) >= SHOWN_MEMORY:
            self._shown.clear()
        self._shown[event_id] = message_content(message)["formatted_body"]

    async def _refresh_meetup(self, number: int) -> None:
        """Edit the meetup's remembered messages to show the current counts (throttled)."""
        client = self._client()
        for room_id, event_id, kind in await self.state.meetup_messages(number):
            room = client.rooms.get(room_id)
            if room is None:
                continue
            place = _place(room)
            profile = await self.core.profile(place)
            with use_locale(profile.locale):
                try:
                    info = await self.core.meetups.show(self._system_actor(), place, number)
                except DomainError:
                    continue
                message = _meetups.shown(info, kind)
            content = edit_content(message, event_id)
            if self._shown.get(event_id) == content["m.new_content"]["formatted_body"]:
                continue
            try:
                await self._room_send(client, room_id, content)
            except Exception:
                log.exception("matrix: the message of meetup %s in %s was not edited",
                              number, room_id)
                continue
            self._remember_shown(event_id, message)

    async def _on_rsvp(
        self, room: MatrixRoom, sender: str, number: int, answer: str, reaction_id: str
    ) -> None:
        """A ✅ ❔ ❌ reaction to a meetup message: an RSVP, told privately if it matters."""
        done = await self._member_action(
            room, sender, "RSVP by reaction",
            lambda actor, place: self.core.meetups.rsvp(actor, place, number, answer))
        if done is None:
            return
        actor, locale, result = done
        if result.status == "waitlist":
            with use_locale(locale):
                await self._tell(room, actor, render_meetups.answered(result))
        if answer in _meetups.WITHDRAWABLE:
            await self.state.record_rsvp_reaction(reaction_id, number, room.room_id,
                                                  self._digest(sender), answer)
        log.info("matrix: RSVP %s to meetup %s by a reaction in %s", result.status, number,
                 room.room_id)
        await self.core.outbox.notify(result.notices)
        self._meetup_edits.request(number)

    async def _on_unrsvp(
        self, room: MatrixRoom, redacter: str, reaction_id: str, data: dict[str, Any]
    ) -> None:
        """A ✅ or ❔ was redacted: not coming, unless the member answered otherwise since
        or another reaction of theirs still says the same."""
        user_id = await self._reacting_user(room, redacter, reaction_id, data)
        remaining = await self.state.forget_rsvp_reaction(reaction_id, data)
        if user_id is None or remaining:
            return
        number, answer = int(data["meetup"]), str(data["answer"])
        place = _place(room)
        profile = await self.core.profile(place)
        actor = self._actor(room, user_id, profile)
        with use_locale(profile.locale):
            try:
                info = await self.core.meetups.show(actor, place, number)
                if not _meetups.standing(answer, info.your_status):
                    return
                result = await self.core.meetups.rsvp(actor, place, number, "no")
            except DomainError as exc:
                log.info("matrix: RSVP to meetup %s not withdrawn: %s", number,
                         type(exc).__name__)
                return
        log.info("matrix: RSVP to meetup %s withdrawn by a redaction in %s", number,
                 room.room_id)
        await self.core.outbox.notify(result.notices)
        self._meetup_edits.request(number)

    async def _reacting_user(
        self, room: MatrixRoom, redacter: str, reaction_id: str, data: dict[str, Any]
    ) -> str | None:
        """Who made the redacted reaction (the redacter, or the original sender when a
        moderator redacted it); None when that cannot be told."""
        if self._digest(redacter) == data.get("who"):
            return redacter
        user_id = await self._original_sender(room.room_id, reaction_id)
        if user_id is None or self._digest(user_id) != data.get("who"):
            return None
        return user_id

    # -- mutual aid --------------------------------------------------------------

    async def _aid_room(
        self, room: MatrixRoom, user_id: str, aid: _aid.AidCommand
    ) -> MatrixRoom | None:
        """The collective room where an aid command sent in a direct room counts: for a
        post, a shared room where the post is in scope (its own room first); for an
        exchange, the room where it was recorded, else any shared room."""
        assert aid.number is not None
        if aid.name in _aid.ABOUT_EXCHANGE:
            recorded = await self.state.exchange_room(aid.number)
            shared = self._shared_rooms(room, user_id, [recorded] if recorded else [])
            return shared[0] if shared else None
        home = await self.state.aid_post_room(aid.number)
        posted = [home] if home else []
        posted += [r for r in await self.state.aid_threads(aid.number) if r not in posted]
        for other in self._shared_rooms(room, user_id, posted):
            if await self._has_aid_post(other, user_id, aid.number):
                return other
        return None

    async def _has_aid_post(self, room: MatrixRoom, user_id: str, number: int) -> bool:
        place = _place(room)
        actor = self._actor(room, user_id, await self.core.profile(place))
        try:
            await self.core.aid.show(actor, place, number)
        except NotFound:
            return False
        return True

    async def _aid_posted(
        self, room: MatrixRoom, relates_to: dict[str, Any], actor: Actor, message: Message,
        place: Place,
    ) -> bool:
        """Show a new post as everyone sees it and make it the root of its discussion
        thread; False when ``message`` is not a post shown in a collective room."""
        number = _aid.post_number(message)
        if number is None or await self._is_direct(room, actor):
            return False
        try:
            info = await self.core.aid.show(self._system_actor(), place, number)
        except DomainError:
            return False
        event_id = await self._send(room.room_id, render_aid.post(_aid.public(info)),
                                    relates_to)
        try:
            root = _aid.thread_root(event_id, relates_to)
            await self.state.record_aid_post(number, room.room_id, event_id, root)
            if self._aid_watched is not None:
                self._aid_watched.add(number)
        except Exception:
            log.exception("matrix: the thread of mutual-aid post %s in %s is not remembered",
                          number, room.room_id)
        log.info("matrix: mutual-aid post %s shown in %s", number, room.room_id)
        return True

    async def _after_aid(self, aid: _aid.AidCommand, actor: Actor) -> None:
        """After a successful aid command: an offer of help is said in the post's
        threads; a changed post is shown again; a post that may have closed is looked
        at now."""
        try:
            if aid.name == "help" and aid.number is not None:
                name = actor.display_name
                await self._in_threads(aid.number, lambda: _aid.offers_help(name))
            if aid.name in _aid.EDITING and aid.number is not None:
                for room_id, event_id in (await self.state.aid_messages(aid.number)).items():
                    await self._aid_shown_again(aid.number, room_id, event_id)
            if aid.name in _aid.CLOSING:
                await self._check_aid(now=True)
        except Exception:
            log.exception("matrix: the threads of mutual-aid %s %s were not updated",
                          aid.name, aid.number)

    async def _in_threads(self, number: int, build: Callable[[], Message]) -> None:
        """Post a message (built in each room's language) in the threads of post ``number``."""
        client = self._client()
        for room_id, root in (await self.state.aid_threads(number)).items():
            room = client.rooms.get(room_id)
            if room is None:
                continue
            profile = await self.core.profile(_place(room))
            with use_locale(profile.locale):
                message = build()
            try:
                await self._send(room_id, message, _aid.in_thread(root))
            except Exception:
                log.exception("matrix: could not write in the thread of mutual-aid post %s "
                              "in %s", number, room_id)

    async def _check_aid(self, *, now: bool = False) -> None:
        """Show the closing of the posts with a thread that closed since last time (at
        most every ``AID_CHECK_S`` unless ``now``)."""
        async with self._aid_check:
            moment = time.monotonic()
            if not now and moment - self._aid_checked < AID_CHECK_S:
                return
            self._aid_checked = moment
            try:
                if self._aid_watched is None:
                    self._aid_watched = await self.state.watched_aid_posts()
                if not self._aid_watched:
                    return
                statuses = await self.state.aid_post_statuses(set(self._aid_watched))
            except Exception:
                log.exception("matrix: mutual-aid post statuses could not be read")
                return
            for number in sorted(self._aid_watched):
                status = statuses.get(number)
                if status == "open":
                    continue
                try:
                    await self._aid_closed(number, status)
                except Exception:
                    log.exception("matrix: the closing of mutual-aid post %s was not shown",
                                  number)

    async def _aid_closed(self, number: int, status: str | None) -> None:
        """Edit the post's messages to show it closed, and say so in its threads. A post
        that no longer exists (its author's data was erased) has its messages redacted."""
        client = self._client()
        threads = await self.state.aid_threads(number)
        for room_id, event_id in (await self.state.aid_messages(number)).items():
            room = client.rooms.get(room_id)
            if room is None:
                continue
            if status is None:
                try:
                    await self.sender.redact(room_id, event_id)
                except _sender.NotSent as exc:
                    log.warning("matrix: the message of erased mutual-aid post %s in %s was "
                                "not redacted: %s", number, room_id, exc)
                continue
            await self._aid_shown_again(number, room_id, event_id)
            with use_locale((await self.core.profile(_place(room))).locale):
                line = _aid.closed(status)
            await self._send(room_id, line, _aid.in_thread(threads.get(room_id, event_id)))
        await self.state.mark_aid_post_done(number)
        if self._aid_watched is not None:
            self._aid_watched.discard(number)
        log.info("matrix: mutual-aid post %s is %s", number, status or "erased")

    async def _aid_shown_again(self, number: int, room_id: str, event_id: str) -> None:
        """Edit the bot's message ``event_id`` showing post ``number`` in a room to show
        the post as it is now, in the room's language (nothing when the room or the
        post is gone)."""
        client = self._client()
        room = client.rooms.get(room_id)
        if room is None:
            return
        place = _place(room)
        with use_locale((await self.core.profile(place)).locale):
            try:
                info = await self.core.aid.show(self._system_actor(), place, number)
            except DomainError:
                return
            shown = render_aid.post(_aid.public(info))
        await self._room_send(client, room_id, edit_content(shown, event_id))

    # -- rights FAQ ----------------------------------------------------------------

    async def _on_feedback(self, room: MatrixRoom, sender: str, entry: str,
                           useful: bool) -> None:
        """A 👍 or 👎 on an answer: the member's opinion of the entry; a « not useful »
        (which may send their question to the moderators) is confirmed privately."""
        done = await self._member_action(
            room, sender, "feedback by reaction",
            lambda actor, place: self.core.faq.feedback(actor, place, entry, useful))
        if done is None:
            return
        actor, locale, result = done
        if not useful:
            with use_locale(locale):
                await self._tell(room, actor, render_faq.feedback(result))
        log.info("matrix: %s feedback on %s by a reaction in %s",
                 "useful" if useful else "not useful", entry, room.room_id)

    async def _passive_help(self, room: MatrixRoom, event: RoomMessageText,
                            relation: Any) -> None:
        """An ordinary message in a collective room: a suggestion in reply when passive
        help is on there and the message looks like a rights question (see ``_faq``)."""
        if _two_person(room, event.sender):
            return
        place = _place(room)
        profile = await self.core.profile(place)
        actor = self._actor(room, event.sender, profile)
        with use_locale(profile.locale):
            message = await passive_help(self.core, actor, place, event.body)
        if message is None or not await self.state.claim_event(event.event_id):
            return
        await self._send(room.room_id, message, _reply_relation(event.event_id, relation))
        log.info("matrix: passive help suggested an entry in %s", room.room_id)

    # -- direct rooms ------------------------------------------------------------

    async def _is_direct(self, room: MatrixRoom, actor: Actor) -> bool:
        """Whether ``room`` is the bot's direct room with the actor (and only them)."""
        if set(room.users) != {room.own_user_id, actor.user_id}:
            return False
        known = self._new_direct.get(actor.user_id) or await self.state.direct_room(
            room.own_user_id, actor.user_id
        )
        return known == room.room_id

    async def _direct_room(self, user_id: str, *, encrypted: bool) -> str:
        """The direct room with ``user_id``, created (and remembered) if needed."""
        async with self._direct_lock:  # two notices at once make one room
            return await self._direct_room_now(user_id, encrypted=encrypted)

    async def _direct_room_now(self, user_id: str, *, encrypted: bool) -> str:
        client = self._client()
        room_id = self._new_direct.get(user_id)
        if room_id is not None:
            return room_id
        room_id = await self.state.direct_room(client.user_id, user_id)
        room = client.rooms.get(room_id) if room_id else None
        if room_id and room is not None and set(room.users) == {client.user_id, user_id}:
            if encrypted and not room.encrypted:
                await self.sender.put_state(room_id, "m.room.encryption", {"algorithm": MEGOLM})
            return room_id
        initial_state = (
            [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}]
            if encrypted else []
        )
        created = await self.sender.create_room(
            user_id,
            is_direct=True,
            invite=[user_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=initial_state,
        )
        if isinstance(created, RoomCreateError):
            raise MatrixSendError(f"cannot create a direct room: {created.message}")
        self._new_direct[user_id] = created.room_id
        await self.state.save_direct_room(client.user_id, user_id, created.room_id)
        log.info("matrix: created direct room %s", created.room_id)
        return created.room_id

    async def _flush_private(self, client: AsyncClient) -> None:
        """Send private replies whose direct room the client now knows (and can encrypt).

        One flush at a time: the sync loop, commands and scheduled notices all flush,
        and two flushes of the same list would send a message twice."""
        async with self._flush_lock:
            await self._flush_private_now(client)

    async def _flush_private_now(self, client: AsyncClient) -> None:
        for user_id, room_id in list(self._new_direct.items()):
            if room_id in client.rooms:
                del self._new_direct[user_id]
        waiting: list[_PendingPrivate] = []
        now = time.monotonic()
        for item in self._pending:
            room = client.rooms.get(item.room_id)
            if room is None or (item.encrypted and not room.encrypted):
                if now - item.since < PRIVATE_WAIT_S:
                    waiting.append(item)
                else:
                    log.warning("matrix: direct room %s never became ready; reply dropped",
                                item.room_id)
                continue
            try:
                await self._send(item.room_id, item.message)
            except Exception:
                log.exception("matrix: private reply in %s failed", item.room_id)
        self._pending = waiting

    # -- sending -----------------------------------------------------------------

    def _client(self) -> AsyncClient:
        if self.client is None or not self.client.logged_in:
            raise MatrixSendError("the Matrix client is not connected")
        return self.client

    @_sender.sends_as(_sender.BULK, "announcement")
    async def announce(self, collective_id: str, channel_id: str, message: Message) -> None:
        """Outbox sender: post an announcement in a room.

        A poll result is announced right after its poll closed, so the polls the bot
        posted are looked at now rather than after the next sync. A new meetup's
        announcement invites reactions and is remembered like a meetup message.
        """
        meetup = _meetups.shown_number(message)
        if meetup is not None:
            message = _meetups.with_hint(message)
        event_id = await self._send(channel_id, message)
        if meetup is not None:
            try:
                await self._meetup_posted(channel_id, meetup, event_id, message,
                                          _meetups.ANNOUNCED)
            except Exception:
                log.exception("matrix: the announcement of meetup %s in %s is not remembered",
                              meetup, channel_id)
        await self._check_polls()

    async def _send(
        self, room_id: str, message: Message, relates_to: dict[str, Any] | None = None
    ) -> str:
        """Send a message and its attachments; the event id of the message."""
        client = self._client()
        content = message_content(message, relates_to=relates_to)
        event_id = await self._room_send(client, room_id, content)
        for attachment in message.attachments:
            await self._send_file(client, room_id, attachment)
        return event_id

    async def _room_send(
        self, client: AsyncClient, room_id: str, content: dict[str, Any],
        event_type: str = "m.room.message",
    ) -> str:
        """Through the outgoing queue (``_sender``): waits out rate limits, never drops."""
        return await self.sender.send(_sender.message(room_id, content, event_type))

    async def _send_file(self, client: AsyncClient, room_id: str, attachment: Attachment) -> None:
        await self.sender.send_file(room_id, attachment)


def _departed(event: RoomMemberEvent, own_id: str) -> str | None:
    """The member (not the bot) who left, was kicked or was banned by ``event``.

    An event without a previous membership counts as a departure: the privacy
    service ignores people it never saw. Rejected invites and repeated leaves don't.
    """
    user_id, membership, previous = event.state_key, event.membership, event.prev_membership
    if not isinstance(user_id, str) or not user_id.startswith("@") or user_id == own_id:
        return None
    if not isinstance(membership, str) or membership not in DEPARTURES:
        return None
    if previous is not None and (not isinstance(previous, str) or previous not in PRESENT):
        return None
    return user_id


def _direct_invite(response: SyncResponse, room_id: str, own_id: str) -> bool:
    """Whether the bot's invite to ``room_id`` is marked as a direct chat."""
    info = response.rooms.invite.get(room_id)
    for event in getattr(info, "invite_state", None) or ():
        if (
            isinstance(event, InviteMemberEvent)
            and event.state_key == own_id
            and event.membership == "invite"
            and isinstance(event.content, dict)
            and event.content.get("is_direct") is True
        ):
            return True
    return False


def _two_person(room: MatrixRoom, user_id: str) -> bool:
    """Whether only the bot and ``user_id`` are in ``room`` (a direct room)."""
    return set(room.users) == {room.own_user_id, user_id}


def _item_number(word: str) -> int | None:
    """A poll or meetup number as the commands take it (``12`` or ``#12``), else None:
    the command itself then answers the member with the allowed range."""
    try:
        return parse_whole(word.removeprefix("#"), field="number", low=1, high=ID_MAX)
    except InvalidNumber:
        return None


def _vote_example(number: int, method: str | None) -> str:
    return f"`{EXAMPLES.get(method or '', EXAMPLES['single']).replace('N', str(number))}`"


def _with_vote_hint(message: Message, info: PollInfo) -> Message:
    """Polls without a native form (secret, ranked, majority judgment): say where to
    vote; for a secret poll, that a vote written in the room is read by all."""
    if _polls.native(info) or info.status not in LIVE_POLL:
        return message
    example = _vote_example(info.id, info.method)
    if info.secret:
        hint = _("This poll is secret: vote in private, by sending {example} to the bot in "
                 "a direct message. A vote written in this room can be read by everyone "
                 "here.").format(example=example)
    else:
        hint = _("Vote in private: send {example} to the bot in a direct message.").format(
            example=example)
    return dataclasses.replace(message, lines=(*message.lines, hint))


def _secret_poll_notice(number: int, method: str | None) -> Message:
    """What a member who answered a secret poll in the room is told privately."""
    return Message(lines=(
        _("Poll {number} is secret: answers given in the room are not counted, since "
          "everyone in the room can read them. Vote in private instead: send {example} "
          "to the bot here.").format(number=number, example=_vote_example(number, method)),
    ))


def _event_type(event: Event) -> str:
    source = getattr(event, "source", None)
    kind = source.get("type") if isinstance(source, dict) else None
    return kind[:80] if isinstance(kind, str) else type(event).__name__


def _place(room: MatrixRoom) -> Place:
    """A room is a collective of its own, with one channel: itself."""
    return Place(Platform.MATRIX, room.room_id, room.room_id, room.display_name)


def _reply_relation(event_id: str, relation: Any) -> dict[str, Any]:
    """A reply to ``event_id``, kept in its thread when the command was in one."""
    if (
        isinstance(relation, dict)
        and relation.get("rel_type") == "m.thread"
        and isinstance(relation.get("event_id"), str)
    ):
        return {
            "rel_type": "m.thread",
            "event_id": relation["event_id"],
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": event_id},
        }
    return {"m.in_reply_to": {"event_id": event_id}}


__all__ = ["MatrixAdapter", "MatrixLoginError", "MatrixSendError"]
