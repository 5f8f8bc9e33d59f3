"""Shared by adapters: references for unexpected errors."""

from __future__ import annotations

import secrets


def error_reference() -> str:
    """A short reference a member can quote to a moderator; it is in the log too."""
    return secrets.token_hex(4)
