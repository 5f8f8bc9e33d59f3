"""Cleaning of user-supplied text before it is stored or echoed.

Members' names and titles are shown to others, so nothing invisible may change how
they read: control characters, bidi marks, embeddings, overrides and isolates
(U+200E/F, U+202A-U+202E, U+2066-U+2069, U+061C), zero-width and other format
characters are removed. Lone surrogates (JSON from a platform may carry them) and
NUL cannot be stored by the databases, so they never get through either.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")
# Removed everywhere: format characters (bidi, zero-width, soft hyphen, tags...) and
# lone surrogates. Other controls and line/paragraph separators depend on the kind of text.
_DROPPED = frozenset({"Cf", "Cs"})


def valid_text(value: str) -> str:
    """``value`` with what no database accepts replaced: lone surrogates become U+FFFD,
    NUL characters are removed. For raw command lines, before anything reads them."""
    return _SURROGATES.sub("\ufffd", value).replace("\x00", "")


def clean_line(value: str | None) -> str:
    """One line of text: no control, format or bidi characters, spaces collapsed, trimmed."""
    if not value:
        return ""
    kept = []
    for ch in value:
        category = unicodedata.category(ch)
        if category in _DROPPED:
            continue
        kept.append(" " if category in {"Cc", "Zl", "Zp"} else ch)
    value = unicodedata.normalize("NFC", "".join(kept))
    return _SPACES.sub(" ", value).strip()


def clean_block(value: str | None) -> str:
    """Multi-line text: keeps newlines and tabs, drops other control, format and bidi
    characters; line and paragraph separators become newlines."""
    if not value:
        return ""
    kept = []
    for ch in value.replace("\r\n", "\n"):
        category = unicodedata.category(ch)
        if ch in "\n\t":
            kept.append(ch)
        elif category in {"Zl", "Zp"}:
            kept.append("\n")
        elif category != "Cc" and category not in _DROPPED:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


def fold(value: str) -> str:
    """Lower case without diacritics, for matching names and commands."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
