"""One outgoing queue for everything the bot sends on Matrix.

Replies, edits, private notices, announcements, files, redactions and the creation
of direct rooms all go through one :class:`Sender`, which hands them one at a time
to a transport (matrix-nio in production, see :class:`NioTransport`).

- A rate limit (``M_LIMIT_EXCEEDED``, HTTP 429) never makes it give up: it waits what
  the server asks (``retry_after_ms``) and tries again, however long that takes.
- Order is kept per room: what was queued first for a room is sent first there.
- Replies to members (commands, reactions) go before bulk sends (edits, private
  notices, announcements): a room holding a waiting reply is served before the
  rooms that only hold bulk sends, so a reply never waits behind a burst of notices
  elsewhere.
- Edits of one message are coalesced: while an edit waits, a newer edit of the same
  message takes its place, and only the latest state is sent.
- Any other failure is retried with an exponential backoff a few times (that room
  waits, the others go on); a refusal (a 4xx other than 429) is not retried. What is
  finally given up is logged with its kind and room (never its content) and counted
  in :attr:`Sender.lost`.
- Each send gives a future: the caller that needs the event id (a poll or meetup
  message it records) awaits it. Message events carry a transaction id kept across
  retries, so a retry of a send the server did receive is not shown twice.
- :meth:`Sender.close` sends what is queued within a bounded time when the adapter
  stops, and logs what could not be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import itertools
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from nio import AsyncClient, ErrorResponse, RoomCreateResponse

from bot.core.render.message import Attachment
from bot.matrix._render import file_content

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Priorities: a lower number is sent first.
REPLY = 0
BULK = 1

# Actions a transport knows.
SEND = "send"
REDACT = "redact"
FILE = "file"
STATE = "state"
CREATE = "create"

# Kinds of what is sent, as the log names them (never the content).
EDIT = "edit"
POLL_START = "poll start"
POLL_END = "poll end"

# Another failure than a rate limit is tried this many more times.
RETRIES = 4
BACKOFF_S = 1.0
BACKOFF_MAX_S = 30.0
# A rate-limit answer without retry_after_ms waits this long.
RATE_WAIT_S = 1.0
# How long the queue may go on sending when the adapter stops.
DRAIN_S = 6.0

REPLACE = "m.replace"
POLL_START_TYPES = frozenset({"org.matrix.msc3381.poll.start", "m.poll.start"})
POLL_END_TYPES = frozenset({"org.matrix.msc3381.poll.end", "m.poll.end"})


class RateLimited(Exception):
    """The homeserver said to slow down; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float | None = None) -> None:
        super().__init__(f"rate limited (retry after {retry_after_s}s)")
        self.retry_after_s = retry_after_s


class Refused(Exception):
    """The homeserver refused the request for good (a 4xx other than 429)."""


class NotSent(Exception):
    """The queue gave up on a send (see the log for why)."""


_context: ContextVar[tuple[int, str]] = ContextVar("matrix_send_context",
                                                   default=(BULK, "message"))


def sends_as(priority: int, kind: str) -> Callable[
        [Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Decorate a coroutine function: what it sends (directly or through what it
    calls) is queued with ``priority`` and logged as ``kind`` (unless the content
    tells better: an edit, a poll event)."""

    def decorate(
        function: Callable[P, Coroutine[Any, Any, R]],
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _context.set((priority, kind))
            try:
                return await function(*args, **kwargs)
            finally:
                _context.reset(token)

        return wrapper

    return decorate


@dataclass(eq=False)
class Outgoing:
    """One thing to send. ``target`` is the event an edit replaces or a redaction
    removes; ``extra`` holds what an action needs beyond a room event (a file, the
    arguments of a room creation)."""

    room_id: str
    kind: str
    action: str = SEND
    event_type: str = "m.room.message"
    content: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    txn_id: str = field(default_factory=lambda: uuid.uuid4().hex)


Transport = Callable[[Outgoing], Awaitable[str]]


def message(room_id: str, content: dict[str, Any],
            event_type: str = "m.room.message") -> Outgoing:
    """A room event, its kind told by its content or the current context."""
    relation = content.get("m.relates_to")
    target = None
    if isinstance(relation, dict) and relation.get("rel_type") == REPLACE:
        kind = EDIT
        target = relation.get("event_id") if isinstance(relation.get("event_id"), str) else None
    elif event_type in POLL_START_TYPES:
        kind = POLL_START
    elif event_type in POLL_END_TYPES:
        kind = POLL_END
    else:
        kind = _context.get()[1]
    return Outgoing(room_id, kind, SEND, event_type, content, target)


@dataclass(eq=False)
class _Entry:
    outgoing: Outgoing
    priority: int
    seq: int
    futures: list[asyncio.Future[str]]
    failures: int = 0

    @property
    def edit_key(self) -> tuple[str, str] | None:
        item = self.outgoing
        if item.action == SEND and item.kind == EDIT and item.target:
            return item.room_id, item.target
        return None

    @property
    def where(self) -> str:
        """The room, as the log may name it (a room being created has none yet)."""
        item = self.outgoing
        return item.room_id if item.action != CREATE else "a new room"

    @property
    def queue_key(self) -> str:
        # Creating a direct room has no room yet: it waits in a line of its own.
        item = self.outgoing
        return item.room_id if item.action != CREATE else f"create:{item.room_id}"


def _retrieve(future: asyncio.Future[str]) -> None:
    """A future nobody awaits any more (a cancelled caller) must not be reported as
    an exception never retrieved: the queue logs what it gives up itself."""
    if not future.cancelled():
        future.exception()


class Sender:
    """The outgoing queue (see the module's docstring)."""

    def __init__(self, transport: Transport, *, retries: int = RETRIES,
                 backoff_s: float = BACKOFF_S, backoff_max_s: float = BACKOFF_MAX_S,
                 rate_wait_s: float = RATE_WAIT_S) -> None:
        self._transport = transport
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.rate_wait_s = rate_wait_s
        self.sent = 0
        self.lost = 0
        self.rate_limited = 0
        self.coalesced = 0
        self._queues: dict[str, deque[_Entry]] = {}
        self._edits: dict[tuple[str, str], _Entry] = {}
        self._not_before: dict[str, float] = {}  # queue key -> end of its backoff
        self._resume_at = 0.0  # end of the account's rate-limit wait
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._current: _Entry | None = None
        self._closing = False
        self._closed = False

    # -- queueing --------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """How many sends wait (the one being sent not counted)."""
        return sum(len(queue) for queue in self._queues.values())

    def submit(self, outgoing: Outgoing, priority: int | None = None) -> asyncio.Future[str]:
        """Queue ``outgoing``; the future gives what the transport returned (the event
        id) or raises :class:`NotSent`."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        if priority is None:
            priority = BULK if outgoing.kind == EDIT else _context.get()[0]
        entry = _Entry(outgoing, priority, next(self._seq), [future])
        if self._closed:
            self._give_up(entry, "the bot had stopped")
            return future
        key = entry.edit_key
        waiting = self._edits.get(key) if key is not None else None
        if waiting is not None:
            # Only the latest state of a message is worth sending.
            waiting.outgoing = outgoing
            waiting.futures.append(future)
            waiting.priority = min(waiting.priority, priority)
            self.coalesced += 1
            return future
        self._queues.setdefault(entry.queue_key, deque()).append(entry)
        if key is not None:
            self._edits[key] = entry
        self._start()
        return future

    async def send(self, outgoing: Outgoing, priority: int | None = None) -> str:
        """Queue ``outgoing`` and wait until it is sent. A caller cancelled meanwhile
        does not take it out of the queue."""
        return await asyncio.shield(self.submit(outgoing, priority))

    async def redact(self, room_id: str, event_id: str) -> str:
        return await self.send(Outgoing(room_id, "redaction", REDACT, target=event_id))

    async def put_state(self, room_id: str, event_type: str, content: dict[str, Any],
                        state_key: str = "") -> str:
        return await self.send(Outgoing(room_id, "room state", STATE, event_type, content,
                                        extra={"state_key": state_key}))

    async def create_room(self, for_user: str, **arguments: Any) -> RoomCreateResponse:
        """Create a room (``AsyncClient.room_create`` arguments); waits in a line of
        its own, named after the member it is for."""
        room_id = await self.send(Outgoing(for_user, "direct room", CREATE, extra=arguments))
        return RoomCreateResponse(room_id)

    async def send_file(self, room_id: str, attachment: Attachment) -> str:
        return await self.send(Outgoing(room_id, "file", FILE,
                                        extra={"attachment": attachment}))

    # -- the worker ------------------------------------------------------------

    def _start(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(
                self._work(), name="matrix-sender")

    def _next(self, now: float) -> tuple[_Entry | None, float | None]:
        """The entry to send now, else how long until one may be sent (None: none
        is waiting)."""
        if not self._queues:
            return None, None
        if now < self._resume_at:
            return None, self._resume_at - now
        best: tuple[int, int] | None = None
        best_key = None
        soonest: float | None = None
        for key, queue in self._queues.items():
            ready_at = self._not_before.get(key, 0.0)
            if ready_at > now:
                soonest = ready_at if soonest is None else min(soonest, ready_at)
                continue
            rank = (min(entry.priority for entry in queue), queue[0].seq)
            if best is None or rank < best:
                best, best_key = rank, key
        if best_key is None:
            assert soonest is not None
            return None, soonest - now
        queue = self._queues[best_key]
        entry = queue.popleft()
        if not queue:
            del self._queues[best_key]
        key = entry.edit_key
        if key is not None and self._edits.get(key) is entry:
            del self._edits[key]
        return entry, None

    def _put_back(self, entry: _Entry) -> None:
        """An entry to try again: first in its room's line, unless a newer edit of
        the same message waits, which then stands for both."""
        key = entry.edit_key
        if key is not None and (newer := self._edits.get(key)) is not None:
            newer.futures.extend(entry.futures)
            newer.priority = min(newer.priority, entry.priority)
            self.coalesced += 1
            return
        self._queues.setdefault(entry.queue_key, deque()).appendleft(entry)
        if key is not None:
            self._edits[key] = entry

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            entry, wait = self._next(loop.time())
            if entry is None:
                if wait is None and self._closing:
                    return
                self._wake.clear()
                if wait is None:
                    await self._wake.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
                continue
            self._current = entry
            try:
                await self._attempt(entry, loop)
            except Exception as exc:  # a bug here must not stop every later send
                log.exception("matrix: the outgoing queue failed on a message (%s) in %s",
                              entry.outgoing.kind, entry.where)
                self._give_up(entry, type(exc).__name__)
            self._current = None

    async def _attempt(self, entry: _Entry, loop: asyncio.AbstractEventLoop) -> None:
        item = entry.outgoing
        try:
            result = await self._transport(item)
        except RateLimited as exc:
            self.rate_limited += 1
            wait = exc.retry_after_s if exc.retry_after_s else self.rate_wait_s
            self._resume_at = loop.time() + wait
            log.info("matrix: rate limited; sending again in %.1fs (%d waiting)", wait,
                     self.waiting + 1)
            self._put_back(entry)
            return
        except Refused as exc:
            self._give_up(entry, f"refused: {exc}")
            return
        except Exception as exc:
            entry.failures += 1
            reason = f"{type(exc).__name__}: {exc}"
            if entry.failures > self.retries:
                self._give_up(entry, reason)
                return
            delay = min(self.backoff_s * 2 ** (entry.failures - 1), self.backoff_max_s)
            log.warning("matrix: a message (%s) in %s failed (%s); trying again in %.0fs",
                        item.kind, entry.where, reason, delay)
            self._not_before[entry.queue_key] = loop.time() + delay
            self._put_back(entry)
            return
        self._not_before.pop(entry.queue_key, None)
        self.sent += 1
        for future in entry.futures:
            if not future.done():
                future.set_result(result)

    def _give_up(self, entry: _Entry, reason: str) -> None:
        count = max(1, len(entry.futures))
        self.lost += count
        kind, where = entry.outgoing.kind, entry.where
        log.warning("matrix: a message (%s) in %s was not sent (%s); %d lost since the start",
                    kind, where, reason, self.lost)
        for future in entry.futures:
            if not future.done():
                future.set_exception(NotSent(f"a message ({kind}) in {where}: {reason}"))

    # -- stopping --------------------------------------------------------------

    async def close(self, within: float = DRAIN_S) -> None:
        """Send what is queued, for at most ``within`` seconds; what is left then is
        logged as not sent. Later sends are refused at once."""
        self._closing = True
        worker = self._worker
        try:
            if worker is not None and not worker.done():
                assert self._wake is not None
                self._wake.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(worker), within)
        finally:
            self._closed = True
            if worker is not None and not worker.done():
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            left = [self._current] if self._current is not None else []
            self._current = None
            for queue in self._queues.values():
                left.extend(queue)
            self._queues.clear()
            self._edits.clear()
            for entry in left:
                self._give_up(entry, "the bot stopped first")


def _check(response: Any, what: str) -> Any:
    """``response`` when it is not an error; else the matching exception."""
    if not isinstance(response, ErrorResponse):
        return response
    transport = getattr(response, "transport_response", None)
    status = getattr(transport, "status", None)
    if response.status_code == "M_LIMIT_EXCEEDED" or status == 429:
        retry = response.retry_after_ms
        raise RateLimited(retry / 1000 if retry else None)
    if isinstance(status, int) and 400 <= status < 500 and status != 408:
        raise Refused(f"{what}: {response.status_code or status} {response.message}")
    raise ConnectionError(f"{what}: {response.status_code or status} {response.message}")


class NioTransport:
    """Sends an :class:`Outgoing` with the adapter's matrix-nio client."""

    def __init__(self, client: Callable[[], AsyncClient]) -> None:
        self._client = client

    async def __call__(self, item: Outgoing) -> str:
        client = self._client()
        if item.action == SEND:
            return await self._event(client, item, item.event_type, item.content)
        if item.action == REDACT:
            assert item.target is not None
            # A redaction repeated is harmless: no transaction id to keep.
            redacted = _check(await client.room_redact(item.room_id, item.target),
                              "redaction")
            return str(getattr(redacted, "event_id", ""))
        if item.action == STATE:
            changed = _check(await client.room_put_state(
                item.room_id, item.event_type, item.content,
                state_key=item.extra.get("state_key", "")), "room state")
            return str(changed.event_id)
        if item.action == CREATE:
            created = _check(await client.room_create(**item.extra), "room creation")
            return str(created.room_id)
        if item.action == FILE:
            content = item.extra.get("content")
            if content is None:  # uploaded once, even when sending it is tried again
                content = await self._upload(client, item.room_id, item.extra["attachment"])
                item.extra["content"] = content
            return await self._event(client, item, "m.room.message", content)
        raise ValueError(f"unknown action {item.action!r}")

    @staticmethod
    async def _event(client: AsyncClient, item: Outgoing, event_type: str,
                     content: dict[str, Any]) -> str:
        sent = _check(await client.room_send(item.room_id, event_type, content,
                                             tx_id=item.txn_id,
                                             ignore_unverified_devices=True), item.kind)
        return str(sent.event_id)

    @staticmethod
    async def _upload(client: AsyncClient, room_id: str,
                      attachment: Attachment) -> dict[str, Any]:
        room = client.rooms.get(room_id)
        encrypt = client.olm is not None and room is not None and room.encrypted
        data = attachment.content
        uploaded, keys = await client.upload(
            lambda _429s, _timeouts: io.BytesIO(data),
            content_type=attachment.mime,
            filename=attachment.filename,
            encrypt=encrypt,
            filesize=len(data),
        )
        _check(uploaded, "upload")
        return file_content(attachment, uploaded.content_uri, keys if encrypt else None)


__all__ = ["BULK", "REPLY", "NioTransport", "NotSent", "Outgoing", "RateLimited", "Refused",
           "Sender", "message", "sends_as"]
