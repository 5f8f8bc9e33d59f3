"""A private message to one member, produced by services and sent by the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Notice:
    """Rendered (by ``kind``) in the locale of the collective it comes from."""

    platform: str
    user_id: str
    locale: str
    kind: str
    data: Any
