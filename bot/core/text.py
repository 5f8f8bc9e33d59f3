"""Cleaning of user-supplied text before it is stored or echoed."""

from __future__ import annotations

import re
import unicodedata

# Bidi overrides/isolates and zero-width characters that can disguise text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2066\u2067\u2068\u2069\ufeff"),
    None,
)
_SPACES = re.compile(r"\s+")


def clean_line(value: str | None) -> str:
    """One line of text: no control or bidi characters, spaces collapsed, trimmed."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    value = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch
                    for ch in value)
    return _SPACES.sub(" ", value).strip()


def clean_block(value: str | None) -> str:
    """Multi-line text: keeps newlines, drops other control and bidi characters."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").translate(_INVISIBLE)
    kept = []
    for ch in value:
        if ch in "\n\t":
            kept.append(ch)
        elif unicodedata.category(ch) not in {"Cc", "Cf"}:
            kept.append(ch)
    return "".join(kept).strip()


def fold(value: str) -> str:
    """Lower case without diacritics, for matching names and commands."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
