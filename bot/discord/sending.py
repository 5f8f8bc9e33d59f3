"""What the bot sends on Discord is not dropped because of a rate limit.

discord.py waits out a 429 itself, but only up to five tries per request (a global
429 included); then it raises ``HTTPException`` (status 429), and the reply, private
notice or edit was lost. :class:`Sending` takes over from there:

- Every REST request of the bot goes through :meth:`Sending.request` (see
  :meth:`Sending.install`): a 429 that discord.py gave up on is waited out as the
  server says (``X-RateLimit-Reset-After``, or ``Retry-After`` for a global limit) and
  the request is made again, however many times it takes. A global limit holds every
  request back until it is over.
- Replies to interactions (answers, deferred follow-ups, edits of the member's own
  message) go first: while one of them waits out a rate limit, bulk requests
  (announcements, private notices, edits of public messages) wait for it.
- :meth:`Sending.deliver` wraps a bulk send: what is delivered to one channel (or to
  one member's direct messages) keeps its order, since the next send there waits
  until the previous one is done; an edit that a newer state of the same message
  replaces while it waits out a rate limit is dropped in favour of that state
  (:class:`Superseded`); any other failure (a server error, a broken connection) is
  tried again with a growing pause a few times. A refusal (a 4xx other than 429) is
  not tried again. What is finally given up is logged with its kind and channel,
  never its content, and counted in :attr:`Sending.lost`; the caller gets
  :class:`NotSent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

import aiohttp
import discord
import discord.http
from discord.webhook.async_ import async_context

log = logging.getLogger(__name__)

T = TypeVar("T")

# Kinds of what is sent, as the log names them.
REPLY = "reply"
ANNOUNCEMENT = "announcement"
PRIVATE = "private notice"
EDIT = "edit"

# Another failure than a rate limit is tried this many more times.
RETRIES = 3
BACKOFF_S = 1.0
BACKOFF_MAX_S = 30.0
# A 429 naming no wait is waited this long.
RATE_WAIT_S = 1.0
RATE_WAIT_MIN_S = 0.05
# A request the server answered with an error that may pass.
TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, OSError, asyncio.TimeoutError)


class NotSent(Exception):
    """:meth:`Sending.deliver` gave up (already logged and counted)."""


class Superseded(Exception):
    """A newer state of the message being edited replaces this edit."""


# What an edit under way asks: has a newer state replaced it?
_superseded: ContextVar[Callable[[], bool] | None] = ContextVar("discord_superseded",
                                                                default=None)


def rate_limit_wait(error: BaseException) -> tuple[float, bool] | None:
    """(seconds to wait, global) when ``error`` is a rate limit, else None."""
    if isinstance(error, discord.RateLimited):
        return max(RATE_WAIT_MIN_S, error.retry_after), False
    if not isinstance(error, discord.HTTPException) or error.status != 429:
        return None
    headers: Mapping[str, str] = getattr(error.response, "headers", None) or {}
    is_global = (headers.get("X-RateLimit-Global", "").lower() == "true"
                 or headers.get("X-RateLimit-Scope", "").lower() == "global")
    names = ("Retry-After", "X-RateLimit-Reset-After") if is_global \
        else ("X-RateLimit-Reset-After", "Retry-After")
    for name in names:
        try:
            return max(RATE_WAIT_MIN_S, float(headers[name])), is_global
        except (KeyError, ValueError):
            continue
    return RATE_WAIT_S, is_global


def _rewind(files: Any) -> None:
    """discord.py rewinds uploaded files only from its second try on: rewind them for
    a request made again."""
    for file in files or ():
        with contextlib.suppress(Exception):
            file.reset()


class Sending:
    """The bot's policy for what it sends (see the module's notes)."""

    def __init__(self, *, retries: int = RETRIES, backoff: float = BACKOFF_S,
                 backoff_max: float = BACKOFF_MAX_S) -> None:
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.lost = 0
        self.rate_limited = 0  # 429s discord.py gave up on and that were waited out here
        self._resume_at = 0.0  # end of a global rate limit (loop time)
        self._replies_waiting = 0
        self._replies_clear = asyncio.Event()
        self._replies_clear.set()
        self._order: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    # -- every request --------------------------------------------------------------------

    async def _turn(self, reply: bool) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pause = self._resume_at - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if reply or self._replies_clear.is_set():
                return
            await self._replies_clear.wait()

    async def request(self, send: Callable[[], Awaitable[T]], *, reply: bool = False,
                      what: str = "request", files: Any = None) -> T:
        """``send()`` again after every rate limit it ends on (see the module's notes);
        ``what`` names it in the log (a route, never content)."""
        first = True
        while True:
            await self._turn(reply)
            if not first:
                _rewind(files)
            first = False
            try:
                return await send()
            except (discord.HTTPException, discord.RateLimited) as exc:
                wait = rate_limit_wait(exc)
                if wait is None:
                    raise
            seconds, is_global = wait
            superseded = _superseded.get()
            if superseded is not None and superseded():
                raise Superseded()
            self.rate_limited += 1
            loop = asyncio.get_running_loop()
            if is_global:
                self._resume_at = max(self._resume_at, loop.time() + seconds)
            log.info("discord: %s still rate limited%s after discord.py's tries; "
                     "trying again in %.2f s", what, " (global)" if is_global else "", seconds)
            if reply:
                self._replies_waiting += 1
                self._replies_clear.clear()
            try:
                await asyncio.sleep(seconds)
            finally:
                if reply:
                    self._replies_waiting -= 1
                    if not self._replies_waiting:
                        self._replies_clear.set()

    # -- bulk sends -----------------------------------------------------------------------

    async def deliver(self, kind: str, where: str, attempt: Callable[[], Awaitable[T]], *,
                      order: Hashable | None = None,
                      superseded: Callable[[], bool] | None = None,
                      missing_ok: bool = False) -> T:
        """``attempt()`` until it succeeds, in order with the other deliveries of the
        same ``order`` key; ``where`` names the channel in the log. Raises
        :class:`NotSent` when given up, :class:`Superseded` for an edit replaced by a
        newer one, and ``discord.NotFound`` as is with ``missing_ok`` (a message that
        was deleted is not a loss)."""
        lock: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
        if order is not None:
            lock = self._order.get(order) or self._order.setdefault(order, asyncio.Lock())
        async with lock:
            token = _superseded.set(superseded)
            try:
                return await self._attempts(kind, where, attempt, superseded, missing_ok)
            finally:
                _superseded.reset(token)

    async def _attempts(self, kind: str, where: str, attempt: Callable[[], Awaitable[T]],
                        superseded: Callable[[], bool] | None, missing_ok: bool) -> T:
        for tries in itertools.count():
            try:
                return await attempt()
            except discord.NotFound as exc:
                if missing_ok:
                    raise
                reason = f"refused: {exc.status} (code {exc.code})"
                self._give_up(kind, where, reason)
                raise NotSent(reason) from exc
            except TRANSIENT as exc:
                reason = f"{type(exc).__name__} {getattr(exc, 'status', '')}".strip()
            except discord.HTTPException as exc:
                reason = f"refused: {exc.status} (code {exc.code})"
                self._give_up(kind, where, reason)
                raise NotSent(reason) from exc
            if tries >= self.retries:
                self._give_up(kind, where, f"{reason}, {tries + 1} tries")
                raise NotSent(reason)
            if superseded is not None and superseded():
                raise Superseded()
            pause = min(self.backoff * 2 ** tries, self.backoff_max)
            log.info("discord: %s in %s failed (%s); trying again in %.1f s",
                     kind, where, reason, pause)
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    def _give_up(self, kind: str, where: str, reason: str) -> None:
        self.lost += 1
        log.warning("discord: %s in %s not sent (%s); %d lost since the start",
                    kind, where, reason, self.lost)

    # -- wiring ---------------------------------------------------------------------------

    def install(self, http: discord.http.HTTPClient) -> None:
        """Route the bot's REST requests (``http``) and its interaction replies (the
        webhook adapter discord.py uses for them, one per process) through
        :meth:`request`."""
        original = http.request

        async def bulk_request(route: discord.http.Route, **kwargs: Any) -> Any:
            return await self.request(lambda: original(route, **kwargs),
                                      what=f"{route.method} {route.path}",
                                      files=kwargs.get("files"))

        http.request = bulk_request  # type: ignore[method-assign]
        _ReplyRequests.install(self)


class _ReplyRequests:
    """Interaction replies go through discord.py's process-wide webhook adapter; it is
    wrapped once, for the :class:`Sending` installed last."""

    sending: Sending | None = None

    @classmethod
    def install(cls, sending: Sending) -> None:
        cls.sending = sending
        adapter = async_context.get()
        if getattr(adapter.request, "_through_sending", False):
            return
        original = adapter.request

        async def reply_request(route: discord.http.Route, session: Any, **kwargs: Any) -> Any:
            current = cls.sending
            if current is None:
                return await original(route, session, **kwargs)
            return await current.request(lambda: original(route, session, **kwargs),
                                         reply=True, what=f"{route.method} {route.path}",
                                         files=kwargs.get("files"))

        reply_request._through_sending = True  # type: ignore[attr-defined]
        adapter.request = reply_request  # type: ignore[method-assign]


__all__ = ["ANNOUNCEMENT", "EDIT", "PRIVATE", "REPLY", "NotSent", "Sending", "Superseded",
           "rate_limit_wait"]
