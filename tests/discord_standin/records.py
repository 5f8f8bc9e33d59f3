"""What the stand-in records: requests, messages the bot created, interaction answers."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """Regex for '/channels/{id}/messages' ('{x}' or '*' = one segment, '**' = anything).

    A concrete path matches itself; a pattern starting with 're:' is a raw regular expression.
    """
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    out = []
    for token in re.split(r"(\{[^}]*\}|\*\*|\*)", pattern):
        if token == "**":
            out.append(".*")
        elif token == "*" or (token.startswith("{") and token.endswith("}")):
            out.append("[^/]+")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))


def method_matches(wanted: str | None, method: str) -> bool:
    return wanted in (None, "*") or wanted.upper() == method.upper()


@dataclass
class RecordedFile:
    """One uploaded file of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request received by the stand-in."""

    method: str
    path: str  # relative to /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any  # parsed JSON body, or payload_json of a multipart body, or None
    files: list[RecordedFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes = b""
    status: int = 0
    response: Any = None
    route: str | None = None  # route template that handled it, None when unknown (404)
    at: float = field(default_factory=time.monotonic)

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body as a dict ({} when there is none)."""
        return self.json if isinstance(self.json, dict) else {}

    def __repr__(self) -> str:
        q = ("?" + "&".join(f"{k}={v}" for k, v in self.query.items())) if self.query else ""
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        return f"<{self.method} {self.path}{q} -> {self.status}{files}>"


def _walk_components(components: Any) -> Iterator[dict[str, Any]]:
    """Every component (nested rows, sections, containers, labels included)."""
    if not isinstance(components, list):
        return
    for comp in components:
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from _walk_components(comp.get("components"))
        if isinstance(comp.get("component"), dict):
            yield from _walk_components([comp["component"]])
        if isinstance(comp.get("accessory"), dict):
            yield from _walk_components([comp["accessory"]])


def components_text(components: Any) -> list[str]:
    """Visible texts of components: labels, placeholders, option labels, text displays."""
    texts: list[str] = []
    for comp in _walk_components(components):
        for key in ("label", "content", "placeholder", "title", "description"):
            if isinstance(comp.get(key), str):
                texts.append(comp[key])
        for opt in comp.get("options") or []:
            if isinstance(opt, dict):
                texts.extend(str(opt[k]) for k in ("label", "description") if opt.get(k))
    return texts


def embeds_text(embeds: Any) -> list[str]:
    """Visible texts of embeds."""
    texts: list[str] = []
    for embed in embeds or []:
        for key in ("title", "description"):
            if embed.get(key):
                texts.append(str(embed[key]))
        for sub in ("author", "footer"):
            part = embed.get(sub) or {}
            for key in ("name", "text"):
                if part.get(key):
                    texts.append(str(part[key]))
        for fld in embed.get("fields") or []:
            texts.extend(str(fld.get(k, "")) for k in ("name", "value"))
    return texts


@dataclass
class StoredMessage:
    """A message the bot created (channel message, DM, interaction response or follow-up)."""

    data: dict[str, Any]
    body: dict[str, Any]
    files: list[RecordedFile] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    interaction_id: int | None = None

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return self.data.get("attachments") or []

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        """allowed_mentions of the latest request body that carried it (None if never sent)."""
        for body in reversed([self.body, *self.edits]):
            if "allowed_mentions" in body:
                return body["allowed_mentions"]
        return None

    @property
    def mentions(self) -> list[int]:
        """Ids of users the message actually pings (allowed_mentions applied)."""
        return [int(u["id"]) for u in self.data.get("mentions") or []]

    @property
    def mention_roles(self) -> list[int]:
        return [int(r) for r in self.data.get("mention_roles") or []]

    @property
    def text(self) -> str:
        """Content, embed texts and component texts joined by newlines (handy for 'in' checks)."""
        parts = [self.content, *embeds_text(self.embeds), *components_text(self.components)]
        return "\n".join(p for p in parts if p)

    def walk_components(self) -> list[dict[str, Any]]:
        return list(_walk_components(self.components))

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.walk_components() if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any]:
        """The component with that custom_id (KeyError listing the available ones otherwise)."""
        for comp in self.walk_components():
            if comp.get("custom_id") == custom_id:
                return comp
        raise KeyError(
            f"no component {custom_id!r} in message {self.id}; custom_ids: {self.custom_ids()}"
        )

    def __repr__(self) -> str:
        flags = " ephemeral" if self.ephemeral else ""
        return (
            f"<StoredMessage id={self.id} channel={self.channel_id}{flags} "
            f"content={self.content!r} "
            f"embeds={len(self.embeds)} components={self.custom_ids()}>"
        )


CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE",
    5: "DEFERRED_CHANNEL_MESSAGE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "AUTOCOMPLETE_RESULT",
    9: "MODAL",
    12: "LAUNCH_ACTIVITY",
}


@dataclass
class InteractionRecord:
    """An interaction the stand-in dispatched and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any] | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rejected callbacks (already acknowledged...)
    edits_at_ack: int = 0  # edits the source message already had when a type 6 callback came
    dispatched_at: float = field(default_factory=time.monotonic)

    # -- initial response ---------------------------------------------------------------------

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0].get("type") if self.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9 data)."""
        for cb in self.callbacks:
            if cb.get("type") == 9:
                return cb.get("data") or {}
        return None

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices (callback type 8)."""
        for cb in self.callbacks:
            if cb.get("type") == 8:
                return (cb.get("data") or {}).get("choices", [])
        return None

    @property
    def answered(self) -> bool:
        """True once something visible came back (not just a defer)."""
        rtype = self.response_type
        if rtype is None:
            return False
        if rtype in (5, 6):
            return bool(self.followups) or bool(
                self.original and len(self.original.edits) > self.edits_at_ack
            )
        return True

    # -- the visible answer --------------------------------------------------------------------

    @property
    def message(self) -> StoredMessage | None:
        """The answer: the original response (when it has content) or else the first follow-up."""
        if self.original is not None and (
            self.response_type in (4, 7) or len(self.original.edits) > self.edits_at_ack
        ):
            return self.original
        if self.followups:
            return self.followups[0]
        return self.original

    def _msg(self) -> StoredMessage:
        msg = self.message
        if msg is None:
            raise AssertionError(
                f"interaction {self.id} has no message answer; callbacks: {self.callbacks}"
            )
        return msg

    @property
    def content(self) -> str:
        return self._msg().content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self._msg().embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return self._msg().components

    @property
    def flags(self) -> int:
        return self._msg().flags

    @property
    def ephemeral(self) -> bool:
        return self._msg().ephemeral

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self._msg().allowed_mentions

    @property
    def text(self) -> str:
        return self._msg().text

    @property
    def messages(self) -> list[StoredMessage]:
        """Original response (if any) then follow-ups."""
        return ([self.original] if self.original else []) + list(self.followups)

    def describe(self) -> str:
        """Human-readable summary for assertion messages."""
        lines = [f"interaction {self.id} (type {self.type}):"]
        if not self.callbacks:
            lines.append("  no callback received")
        for cb in self.callbacks:
            name = CALLBACK_NAMES.get(int(cb.get("type") or 0), "?")
            lines.append(
                f"  callback {cb.get('type')} {name}: "
                f"{json.dumps(cb.get('data'), ensure_ascii=False)[:300]}"
            )
        for err in self.errors:
            lines.append(f"  rejected: {err}")
        if self.original is not None:
            lines.append(f"  original: {self.original!r} edits={len(self.original.edits)}")
        for f in self.followups:
            lines.append(f"  follow-up: {f!r}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<InteractionRecord id={self.id} type={self.type} "
            f"response={self.response_type} followups={len(self.followups)}>"
        )
