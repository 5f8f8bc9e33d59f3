"""Mutual-aid posts on Matrix: which commands name a post or an exchange, and the
discussion thread of each post.

A post written with ``!entraide demander`` or ``proposer`` in a room is shown
there as everyone sees it (with the "I can help" command on requests), and that
message is the root of the post's discussion thread (an ``m.thread`` relation;
when the command itself was in a thread, the post joins that thread instead).
The thread then gets the introductions of members who offer help and, once the
post is closed (fulfilled, closed by hand, expired), a last line, while the
post's message is edited to show it closed. A post changed with ``!entraide
modifier`` has its message edited too. The message of a post erased with its
author's data is redacted.

Commands sent in a direct room with the bot that name a post (``aider``,
``voir``, ``modifier``, ``cloturer``, ``echange ... annonce=N``) or an exchange (``confirmer``,
``refuser``) count in a collective room the member shares with the bot, as
``!vote`` does: the room of the post or exchange when possible.

Nothing here does I/O, so every shape is checked by unit tests.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from bot.core.errors import DomainError
from bot.core.i18n import _, translate
from bot.core.numbers import ID_MAX, InvalidNumber, parse_whole
from bot.core.render.md import escape
from bot.core.render.message import Message
from bot.core.services.aid import PostInfo
from bot.textcmd.registry import Registry, split_options, split_words

AID = "aid"
# English names of the sub-commands (see ``bot.textcmd.aid``).
NEW_POST = frozenset({"request", "offer"})
ABOUT_POST = frozenset({"show", "help", "edit", "close", "exchange"})
ABOUT_EXCHANGE = frozenset({"confirm", "decline"})
# After these, a post may have closed: its thread and message follow at once.
CLOSING = frozenset({"close", "confirm"})
# After this one, the post's messages show its new content.
EDITING = frozenset({"edit"})
POST_OPTIONS = ("annonce", "post")
THREAD = "m.thread"
_TITLE_NUMBER = re.compile(r"#(\d+) · ")


@dataclass(frozen=True, slots=True)
class AidCommand:
    name: str  # the English name of the sub-command (``aid`` alone for a search)
    number: int | None = None  # the post, or the exchange for confirm and decline


def _number(word: str | None) -> int | None:
    """A post or exchange number (``12`` or ``#12``), else None: the command itself
    then answers the member with the allowed range."""
    try:
        return parse_whole((word or "").removeprefix("#"), field="number", low=1, high=ID_MAX)
    except InvalidNumber:
        return None


def parse_command(registry: Registry, text: str) -> AidCommand | None:
    """What an ``!entraide`` command line is about; None for any other command."""
    try:
        words = split_words(text)
        root = registry.root(words[0]) if words else None
        if root is None or root.en != AID:
            return None
        command, used = registry.resolve(words)
    except DomainError:
        return None
    args, options = split_options(words[used:])
    if command.en == "exchange":
        post = next((options[key] for key in POST_OPTIONS if key in options), None)
        return AidCommand(command.en, _number(post))
    if command.en in ABOUT_POST | ABOUT_EXCHANGE:
        return AidCommand(command.en, _number(args[0] if args else None))
    return AidCommand(command.en)


def post_number(message: Message) -> int | None:
    """The post a reply to ``demander``/``proposer`` shows (its title starts ``#N · ``)."""
    found = _TITLE_NUMBER.match(message.title)
    return int(found[1]) if found else None


def public(info: PostInfo) -> PostInfo:
    """The post as everyone sees it: "I can help" on an open request, whoever asked."""
    return dataclasses.replace(info, mine=False)


def thread_root(event_id: str, relates_to: dict[str, Any] | None) -> str:
    """The root of the thread a message ``event_id`` sent with ``relates_to`` starts or
    joins: itself, or the root of the thread it was sent in (threads do not nest)."""
    if isinstance(relates_to, dict) and relates_to.get("rel_type") == THREAD \
            and isinstance(relates_to.get("event_id"), str):
        return str(relates_to["event_id"])
    return event_id


def in_thread(root: str) -> dict[str, Any]:
    """The relation of a message in the thread of ``root``; clients without threads
    show it as a reply to the root."""
    return {"rel_type": THREAD, "event_id": root, "is_falling_back": True,
            "m.in_reply_to": {"event_id": root}}


def offers_help(name: str) -> Message:
    return Message(lines=(translate("{name} offers to help.", name=escape(name)),))


def closed(status: str | None) -> Message:
    """The last line of a post's thread."""
    if status == "expired":
        return Message(lines=(_("This post has expired."),))
    return Message(lines=(_("This post is closed."),))
