"""Native Matrix polls (MSC3381) and support reactions: event content in, event content out.

The bot sends polls in the unstable form Element shows
(``org.matrix.msc3381.poll.start`` / ``.poll.end`` with ``org.matrix.msc1767.text``)
and reads responses in every form a client may send:

- unstable: type ``org.matrix.msc3381.poll.response``, content
  ``{"org.matrix.msc3381.poll.response": {"answers": [...]}, "m.relates_to": ...}``;
- stable (MSC3381 as accepted): type ``m.poll.response``, content
  ``{"m.selections": [...], "m.relates_to": ...}``;
- the later unstable form ``org.matrix.msc3381.v2.poll.response`` with
  ``org.matrix.msc3381.v2.selections``.

The relation is always an ``m.reference`` to the start event. Answer ids are the
poll's option keys (``A``, ``B``...), so a response maps to a ballot directly.

Only public single-choice and approval polls are native. Ranked and
majority-judgment ballots don't fit MSC3381 and are cast with ``!vote``. Secret
polls are never native: a response is an event in the room that every member of
the room can read, so it cannot carry a secret ballot. Their ballots are cast with
``!vote`` in the member's direct room with the bot, and a response that refers to
a secret poll anyway (an old start event, a hand-made event) is not counted.

Nothing here does I/O, so every shape is checked by unit tests.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.core.render.message import Message
from bot.core.services.polls import PollInfo
from bot.matrix._render import neutralize_mentions

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

START_TYPE = "org.matrix.msc3381.poll.start"
END_TYPE = "org.matrix.msc3381.poll.end"
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"

UNSTABLE_RESPONSE = "org.matrix.msc3381.poll.response"
STABLE_RESPONSE = "m.poll.response"
V2_RESPONSE = "org.matrix.msc3381.v2.poll.response"
RESPONSE_TYPES = frozenset({UNSTABLE_RESPONSE, STABLE_RESPONSE, V2_RESPONSE})

NATIVE_METHODS = frozenset({"single", "approval"})
MAX_ANSWERS = 20  # MSC3381 truncates longer answer lists

REACTION_TYPE = "m.reaction"
REDACTION_TYPE = "m.room.redaction"
# ✅ ✔ ☑ 👍: reactions that count as support; skin tones and presentation
# selectors are ignored.
SUPPORT_KEYS = frozenset({"\u2705", "\u2714", "\u2611", "\U0001f44d"})
_MODIFIERS = {0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)}


def is_native(method: str) -> bool:
    """Whether MSC3381 can carry a ballot of ``method`` (public polls only, see ``native``)."""
    return method in NATIVE_METHODS


def native(info: PollInfo) -> bool:
    """Whether the poll gets a native MSC3381 form: public, single choice or approval.

    A secret poll never does: every member of the room can read every response."""
    return not info.secret and is_native(info.method)


def max_selections(info: PollInfo, max_choices: int | None) -> int:
    """How many answers a member may pick: 1, or the poll's limit for approval."""
    if info.method != "approval":
        return 1
    count = min(len(info.options), MAX_ANSWERS)
    if max_choices is not None and 1 <= max_choices < count:
        return max_choices
    return count


def start_content(
    info: PollInfo, question: str, *, max_choices: int | None = None
) -> dict[str, Any]:
    """``org.matrix.msc3381.poll.start`` content for a single or approval poll.

    ``question`` is the plain question shown above the answers; each answer reads
    ``A. label`` so that it matches the ``!vote`` command too. Members wrote both, so
    ``@room`` in them is neutralised like in every other message.
    """
    question = neutralize_mentions(question)
    answers = [
        {"id": option.key, TEXT: neutralize_mentions(f"{option.key}. {option.label}")}
        for option in info.options[:MAX_ANSWERS]
    ]
    fallback = "\n".join([question, *(answer[TEXT] for answer in answers)])
    return {
        START_TYPE: {
            "question": {TEXT: question, "body": question, "msgtype": "m.text"},
            "kind": DISCLOSED if info.live_results else UNDISCLOSED,
            "max_selections": max_selections(info, max_choices),
            "answers": answers,
        },
        TEXT: fallback,
        "body": fallback,
        "m.mentions": {},
    }


def end_content(start_event_id: str, text: str) -> dict[str, Any]:
    """``org.matrix.msc3381.poll.end`` content closing the poll of ``start_event_id``."""
    text = neutralize_mentions(text)
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": start_event_id},
        END_TYPE: {},
        TEXT: text,
        "body": text,
        "m.mentions": {},
    }


@dataclass(frozen=True, slots=True)
class PollResponse:
    """A member's selection in the poll started by ``start_event_id``."""

    start_event_id: str
    answers: tuple[str, ...]


def _reference(content: dict[str, Any]) -> str | None:
    relation = content.get("m.relates_to")
    if not isinstance(relation, dict) or relation.get("rel_type") != "m.reference":
        return None
    event_id = relation.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def _selections(event_type: str, content: dict[str, Any]) -> list[Any] | None:
    if event_type == UNSTABLE_RESPONSE:
        block = content.get(UNSTABLE_RESPONSE)
        if not isinstance(block, dict):
            block = content.get(STABLE_RESPONSE)  # some clients mix the names
        selections = block.get("answers") if isinstance(block, dict) else None
    elif event_type == STABLE_RESPONSE:
        selections = content.get("m.selections")
        if selections is None:  # an early draft of the stable form
            block = content.get(STABLE_RESPONSE)
            selections = block.get("answers") if isinstance(block, dict) else None
    elif event_type == V2_RESPONSE:
        selections = content.get("org.matrix.msc3381.v2.selections")
    else:
        return None
    return selections if isinstance(selections, list) else None


def parse_response(event_type: str, content: Any) -> PollResponse | None:
    """The selection carried by a poll response event, or None when it is not one."""
    if event_type not in RESPONSE_TYPES or not isinstance(content, dict):
        return None
    start = _reference(content)
    selections = _selections(event_type, content)
    if start is None or selections is None:
        return None
    answers = tuple(item.strip() for item in selections if isinstance(item, str))
    if len(answers) != len(selections):
        return None  # MSC3381: an answer that is not an id spoils the response
    return PollResponse(start, answers)


def ballot(method: str, answers: tuple[str, ...], limit: int) -> Any:
    """The ballot :meth:`PollService.vote` expects for a native response.

    Single choice takes the first answer; approval the answers truncated to
    ``limit`` without repeats (as MSC3381 says). No answer is a blank ballot.
    """
    keys: list[str] = []
    for answer in answers:
        key = answer.upper()
        if key not in keys:
            keys.append(key)
    if method == "single":
        return keys[0] if keys else None
    return keys[:max(limit, 1)]


def is_support_key(key: Any) -> bool:
    """Whether a reaction key is one of the support reactions."""
    if not isinstance(key, str):
        return False
    core = "".join(char for char in key.strip() if ord(char) not in _MODIFIERS)
    return core in SUPPORT_KEYS


def redacted_id(source: dict[str, Any]) -> str | None:
    """The event an ``m.room.redaction`` removes (top level before room v11, content after)."""
    redacts = source.get("redacts")
    if not isinstance(redacts, str):
        content = source.get("content")
        redacts = content.get("redacts") if isinstance(content, dict) else None
    return redacts if isinstance(redacts, str) and redacts else None


def action_numbers(message: Message, prefixes: tuple[str, ...]) -> list[int]:
    """Item numbers of the message's actions whose ids start with one of ``prefixes``."""
    numbers: list[int] = []
    for action in message.actions:
        for prefix in prefixes:
            if action.custom_id.startswith(prefix):
                tail = action.custom_id[len(prefix):]
                if tail.isascii() and tail.isdigit() and int(tail) not in numbers:
                    numbers.append(int(tail))
    return numbers


def tally_message(poll: Message, results: Message) -> Message:
    """The poll message followed by its count: what a poll's tally message shows."""
    names = {item.name for item in results.fields}
    lines = list(poll.lines)
    while lines and not lines[-1]:
        lines.pop()
    lines += ["", f"**{results.title}**", *results.lines]
    return Message(
        title=poll.title,
        lines=tuple(lines),
        fields=tuple(f for f in poll.fields if f.name not in names) + results.fields,
        actions=poll.actions,
        tone=results.tone,
    )


class Throttle(Generic[K]):
    """Runs ``action(key)`` at most once every ``interval`` seconds per key.

    Requests that arrive while a run is waiting are folded into it; the run reads
    the state when it happens, so the latest state always wins.
    """

    def __init__(
        self,
        interval: float,
        action: Callable[[K], Awaitable[None]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._action = action
        self._clock = clock
        self._last: dict[K, float] = {}
        self._pending: dict[K, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self, key: K) -> None:
        if key in self._pending:
            return
        task = asyncio.get_running_loop().create_task(self._run(key))
        self._pending[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wait_for(self, key: K) -> float:
        return self._last.get(key, -math.inf) + self.interval - self._clock()

    def pending(self, key: K) -> bool:
        return key in self._pending

    async def _run(self, key: K) -> None:
        try:
            # The interval counts from the end of the last run (a slow run must not
            # bring the next one closer), so it is measured again after each wait.
            while (delay := self._wait_for(key)) > 0:  # noqa: ASYNC110 - a moving deadline
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self._pending.pop(key, None)
            raise
        # From here on, a new request waits for the next slot.
        self._pending.pop(key, None)
        self._last[key] = self._clock()
        try:
            await self._action(key)
        except Exception:
            log.exception("throttled update of %s failed", key)
        finally:
            self._last[key] = self._clock()

    async def close(self) -> None:
        """Cancel waiting and running updates (used when the adapter stops)."""
        tasks = list(self._tasks)
        self._pending.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
