"""Escaping user text placed into light Markdown."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_~|>\[\]()#])")


def escape(text: str) -> str:
    """Escape Markdown syntax so user text shows literally."""
    return _SPECIAL.sub(r"\\\1", text)


_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(?<!\\)(\*\*|__|\*|`)")
_ESCAPED = re.compile(r"\\([\\`*_~|>\[\]()#])")


def to_plain(text: str) -> str:
    """Light Markdown to plain text: emphasis dropped, links as ``label (url)``."""
    text = _LINK.sub(r"\1 (\2)", text)
    text = _EMPHASIS.sub("", text)
    return _ESCAPED.sub(r"\1", text)
