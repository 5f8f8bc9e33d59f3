"""Nothing a member sends is skipped: gaps of limited syncs, and late commands.

A sync returns at most the filter's timeline limit of events per room. When more
happened in a room since the position the bot resumed from (a busy room while the
bot was throttled, stopped or standing by), the room's timeline is ``limited``:
it starts at ``prev_batch`` and the events before it are not in the sync. Those
events are fetched with ``/messages``, backwards from ``prev_batch`` down to the
position the sync resumed from (the saved sync token, given as ``to``), and handled
first, oldest first, before the sync's own events and before its token is saved.
An event seen twice (a gap that overlaps a replayed sync) runs once: commands and
interactions are claimed in ``processed_events`` before they run.

At most ``GAP_MAX_EVENTS`` events are fetched per room and sync; events older than
that in a very busy room are not handled (a warning says so). A gap that cannot be
fetched after a few tries is logged and left out: the sync goes on.

A command, a vote or a reaction is not acted on when it is older than
``matrix.max_command_age_s`` once the bot gets to it: a command gets a short reply
saying it came too late and should be sent again if it still stands; a vote or a
reaction that would change something is not counted and its author is told so
privately. Nobody's vote or RSVP is applied late without them knowing. Redactions
(a support or an RSVP withdrawn) still apply: the room already shows them gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from nio import AsyncClient, Event, MessageDirection, RoomMessagesResponse
from nio.responses import Timeline

from bot.core.app import Core
from bot.core.i18n import _, ngettext, use_locale
from bot.core.render.message import Message, Visibility
from bot.core.types import Place

log = logging.getLogger(__name__)

# Events per /messages request, and at most this many per room and sync.
GAP_PAGE = 100
GAP_MAX_EVENTS = 3000
# Tries of one /messages request before the rest of the gap is given up.
GAP_TRIES = 5
GAP_RETRY_S = 1.0

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# How late the event being handled is (milliseconds), None when it is in time.
_late: ContextVar[int | None] = ContextVar("matrix_late_ms", default=None)

Interruptible = Callable[[Awaitable[Any]], Awaitable[Any]]


async def _plain(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


async def missed_events(
    client: AsyncClient,
    room_id: str,
    timeline: Timeline,
    since: str | None,
    *,
    wait: Interruptible = _plain,
) -> list[Event]:
    """The events of ``room_id`` a limited ``timeline`` left out, oldest first: those
    after the sync position ``since`` and before the timeline's first event. Empty
    when the timeline is complete or there is no position to go back to (the first
    sync of all, whose history is never run). ``wait`` awaits each request and pause
    (so that stopping the bot can cut it short)."""
    if not timeline.limited or not timeline.prev_batch or not since:
        return []
    fetched: list[Event] = []
    token = timeline.prev_batch
    while len(fetched) < GAP_MAX_EVENTS:
        response = await _page(client, room_id, token, since, wait)
        if response is None:
            log.warning("matrix: the events missed in %s could not be fetched (%d fetched); "
                        "older ones are not handled", room_id, len(fetched))
            break
        fetched.extend(response.chunk)
        if not response.chunk or not response.end or response.end == token:
            break
        token = response.end
    else:
        log.warning("matrix: more than %d events were missed in %s; older ones are not "
                    "handled", GAP_MAX_EVENTS, room_id)
    if fetched:
        log.info("matrix: %d events missed by a limited sync in %s were fetched",
                 len(fetched), room_id)
    fetched.reverse()
    return fetched


async def _page(
    client: AsyncClient, room_id: str, token: str, since: str, wait: Interruptible
) -> RoomMessagesResponse | None:
    """One page of the gap, backwards from ``token`` down to ``since``; retried a few
    times (a rate limit, a homeserver restarting); None when it never came."""
    delay = GAP_RETRY_S
    for attempt in range(GAP_TRIES):
        try:
            response = await wait(client.room_messages(
                room_id, start=token, end=since, direction=MessageDirection.back,
                limit=GAP_PAGE))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if isinstance(response, RoomMessagesResponse):
                return response
            problem = str(getattr(response, "message", response))
        if attempt + 1 < GAP_TRIES:
            log.warning("matrix: fetching missed events in %s failed (%s); retrying in %.0fs",
                        room_id, problem, delay)
            await wait(asyncio.sleep(delay))
            delay *= 2
    return None


def with_gap(missed: Sequence[Event], events: Sequence[Event]) -> list[Event]:
    """The gap's events then the sync's, each event once (by id)."""
    seen: set[str] = set()
    combined: list[Event] = []
    for event in (*missed, *events):
        event_id = getattr(event, "event_id", None)
        if isinstance(event_id, str):
            if event_id in seen:
                continue
            seen.add(event_id)
        combined.append(event)
    return combined


# -- age bound ------------------------------------------------------------------------


def age_ms(event: Event, now_ms: int | None = None) -> int:
    """How long ago ``event`` was sent: the homeserver's ``unsigned.age`` when it gives
    one (immune to the bot's clock), else from its timestamp."""
    source = getattr(event, "source", None)
    unsigned = source.get("unsigned") if isinstance(source, dict) else None
    age = unsigned.get("age") if isinstance(unsigned, dict) else None
    if isinstance(age, int) and not isinstance(age, bool) and age >= 0:
        return age
    now = int(time.time() * 1000) if now_ms is None else now_ms
    timestamp = getattr(event, "server_timestamp", None)
    if not isinstance(timestamp, int):
        return 0
    return max(0, now - timestamp)


def lateness(event: Event, max_age_s: int, now_ms: int | None = None) -> int | None:
    """The age of ``event`` (ms) when it is older than ``max_age_s``; None when in time."""
    age = age_ms(event, now_ms)
    return age if age > max_age_s * 1000 else None


@contextlib.contextmanager
def judged(event: Event, max_age_s: int) -> Iterator[int | None]:
    """While ``event`` is handled, :func:`late` says whether it came too late."""
    token = _late.set(lateness(event, max_age_s))
    try:
        yield _late.get()
    finally:
        _late.reset(token)


def late() -> int | None:
    """How late (ms) the event being handled is; None when in time."""
    return _late.get()


def how_long(age: int) -> str:
    """``age`` (ms) in words of the current locale: minutes, hours beyond two, days
    beyond two."""
    if age >= 2 * DAY_MS:
        days = age // DAY_MS
        return ngettext("{count} day", "{count} days", days).format(count=days)
    if age >= 2 * HOUR_MS:
        hours = age // HOUR_MS
        return ngettext("{count} hour", "{count} hours", hours).format(count=hours)
    minutes = max(1, round(age / MINUTE_MS))
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def too_late_command(age: int) -> Message:
    """The reply to a command that was not run because it came too late."""
    return Message(
        lines=(_("This command arrived too late ({delay} ago): send it again if it still "
                 "stands.").format(delay=how_long(age)),),
        visibility=Visibility.EPHEMERAL,
    )


def too_late_action(age: int) -> Message:
    """The private notice of a vote or reaction that was not counted: it came too late."""
    return Message(
        lines=(_("Your vote or reaction arrived too late ({delay} ago) and was not taken "
                 "into account: give it again if it still stands.").format(
                     delay=how_long(age)),),
        visibility=Visibility.PRIVATE,
    )


async def too_late_reply(core: Core, place: Place, age: int) -> Message:
    """:func:`too_late_command` in the language of the collective at ``place``."""
    profile = await core.profile(place)
    with use_locale(profile.locale):
        return too_late_command(age)
