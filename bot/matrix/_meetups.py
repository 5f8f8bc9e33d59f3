"""Meetup messages and RSVP reactions on Matrix: what is shown and how reactions read.

A message showing one meetup (the reply to ``!rencontre creer``/``voir``/``modifier``,
an announcement) gets a line inviting reactions and is remembered; its edits show
it as everyone sees it. Reactions to it are RSVPs:

- ✅ (also ✔ ☑ 👍): coming, or the waitlist when the meetup is full;
- ❔ (also ❓): maybe;
- ❌ (also ✖ ❎ 👎): not coming.

Redacting one's ✅ or ❔ means "not coming", unless the member answered
otherwise since (by command, by another reaction, on another platform) or still
has another reaction with the same meaning on a message of this meetup.

Nothing here does I/O, so every shape is checked by unit tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.core.i18n import _
from bot.core.render import meetups as render_meetups
from bot.core.render.message import Message
from bot.core.services.meetups import MeetupInfo
from bot.matrix import _polls

# Kinds of remembered messages: a meetup shown in reply to a command, or announced.
SHOWN = "show"
ANNOUNCED = "new"
KINDS = frozenset({SHOWN, ANNOUNCED})

GOING_KEYS = frozenset({"\u2705", "\u2714", "\u2611", "\U0001f44d"})
MAYBE_KEYS = frozenset({"\u2754", "\u2753"})
NO_KEYS = frozenset({"\u274c", "\u2716", "\u274e", "\U0001f44e"})
_MODIFIERS = {0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)}
# Answers a redaction can take back (a redacted ❌ changes nothing).
WITHDRAWABLE = frozenset({"going", "maybe"})
# What the core may say of a member whose ✅ or ❔ still stands.
STANDING = {"going": frozenset({"going", "waitlist"}), "maybe": frozenset({"maybe"})}


def answer_of(key: Any) -> str | None:
    """The RSVP a reaction key means (going, maybe, no), or None."""
    if not isinstance(key, str):
        return None
    core = "".join(char for char in key.strip() if ord(char) not in _MODIFIERS)
    if core in GOING_KEYS:
        return "going"
    if core in MAYBE_KEYS:
        return "maybe"
    if core in NO_KEYS:
        return "no"
    return None


def shown_number(message: Message) -> int | None:
    """The meetup a message shows with its RSVP actions, when it shows exactly one."""
    numbers = _polls.action_numbers(message, ("meetup:going:",))
    return numbers[0] if len(numbers) == 1 else None


def reaction_hint() -> str:
    return _("React with ✅ (coming), ❔ (maybe) or ❌ (not coming).")


def public(info: MeetupInfo) -> MeetupInfo:
    """The meetup as everyone sees it (no "you are coming" for whoever looked it up)."""
    return dataclasses.replace(info, your_status=None, your_position=None)


@dataclass(frozen=True, slots=True)
class _Announced:
    meetup: MeetupInfo


def shown(info: MeetupInfo, kind: str = SHOWN) -> Message:
    """What a remembered message of ``kind`` shows now: counts, places left, the hint."""
    info = public(info)
    message = (render_meetups.announcement(_Announced(info)) if kind == ANNOUNCED
               else render_meetups.meetup(info))
    return with_hint(message) if info.status == "scheduled" else message


def with_hint(message: Message) -> Message:
    hint = reaction_hint()
    if hint in message.lines:
        return message
    return dataclasses.replace(message, lines=(*message.lines, hint))


def standing(answer: str, status: str | None) -> bool:
    """Whether the core's ``status`` of a member still stems from a reaction ``answer``."""
    return status in STANDING.get(answer, frozenset())
