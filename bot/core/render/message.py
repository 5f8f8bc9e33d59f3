"""The ``Message`` value returned by renderers and drawn by each adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.render.md import to_plain


class Visibility(StrEnum):
    """Who may see a reply.

    PUBLIC: everyone in the channel. EPHEMERAL: preferably only the actor
    (Discord ephemeral; a plain reply where the platform has no such thing).
    PRIVATE: only the actor, always (Discord ephemeral, Matrix direct message).
    """

    PUBLIC = "public"
    EPHEMERAL = "ephemeral"
    PRIVATE = "private"


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """A button on Discord; a hint with the equivalent command elsewhere.

    ``custom_id`` is stable across restarts (e.g. ``"tribune:sign"``);
    ``command`` is the text command that does the same on Matrix and console.
    """

    custom_id: str
    label: str
    command: str = ""
    style: str = "primary"  # primary, secondary, success, danger


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Message:
    title: str = ""
    lines: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    actions: tuple[Action, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    footer: str = ""
    tone: Tone = Tone.INFO
    visibility: Visibility = Visibility.PUBLIC

    def plain_text(self) -> str:
        """A plain-text rendering used by the console and as Matrix's ``body``."""
        parts: list[str] = []
        if self.title:
            parts.append(to_plain(self.title))
        parts.extend(to_plain(line) for line in self.lines)
        for item in self.fields:
            parts.append(f"{to_plain(item.name)}: {to_plain(item.value)}")
        for action in self.actions:
            if action.command:
                parts.append(f"→ {action.label}: {action.command}")
        for attachment in self.attachments:
            parts.append(f"[{attachment.filename}, {len(attachment.content)} bytes]")
        if self.footer:
            parts.append(to_plain(self.footer))
        return "\n".join(parts)
