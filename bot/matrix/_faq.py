"""Rights FAQ answers on Matrix: feedback by reaction, and passive help.

A message showing one entry with its feedback actions (the answer to
``!droits QUESTION``, ``!droits voir ID``) is remembered, and says that members
can react to it: 👍 (also ✅ ✔ ☑) records « useful », 👎 (also ❌ ✖ ❎) « not
useful », as ``!droits utile ID`` and ``!droits inutile ID`` do. The latest
reaction of a member counts; redacting one changes nothing. A « not useful » is
confirmed to the member privately (it may have sent their question to the
moderators); a « useful » needs no answer.

Passive help, when a moderator turned it on in a room (``!droits passif oui``):
an ordinary message of a member there that looks like a rights question gets one
discreet suggestion in reply, without mentioning anyone (the core decides, at
most once per member per hour).

Nothing here does I/O, so every shape is checked by unit tests.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.core.i18n import _
from bot.core.render.message import Message

USEFUL_ACTION = "faq:useful:"
USELESS_ACTION = "faq:useless:"
USEFUL = "\U0001f44d"  # 👍
USELESS = "\U0001f44e"  # 👎
USEFUL_KEYS = frozenset({USEFUL, "\u2705", "\u2714", "\u2611"})
USELESS_KEYS = frozenset({USELESS, "\u274c", "\u2716", "\u274e"})
_MODIFIERS = {0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)}


def opinion_of(key: Any) -> bool | None:
    """True for a « useful » reaction key, False for « not useful », else None."""
    if not isinstance(key, str):
        return None
    core = "".join(char for char in key.strip() if ord(char) not in _MODIFIERS)
    if core in USEFUL_KEYS:
        return True
    if core in USELESS_KEYS:
        return False
    return None


def answered_slug(message: Message) -> str | None:
    """The entry a message answers with, when it shows one with feedback actions."""
    slugs = {action.custom_id[len(USEFUL_ACTION):] for action in message.actions
             if action.custom_id.startswith(USEFUL_ACTION)}
    if len(slugs) != 1:
        return None
    slug = slugs.pop()
    return slug or None


def reaction_hint() -> str:
    return _("React with 👍 if this answer helped you, or 👎 if it did not.")


def with_reactions(message: Message) -> Message:
    """The answer with its feedback commands marked 👍 and 👎 and the reaction hint
    before the footer."""
    hint = reaction_hint()
    if message.footer.startswith(hint):
        return message
    marks = {USEFUL_ACTION: USEFUL, USELESS_ACTION: USELESS}
    actions = []
    for action in message.actions:
        mark = next((m for prefix, m in marks.items() if action.custom_id.startswith(prefix)),
                    None)
        if mark is not None and not action.label.startswith(mark):
            action = dataclasses.replace(action, label=f"{mark} {action.label}")
        actions.append(action)
    footer = f"{hint}\n{message.footer}" if message.footer else hint
    return dataclasses.replace(message, actions=tuple(actions), footer=footer)
