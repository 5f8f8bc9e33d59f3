"""Who acts and where: the two values every adapter hands to a service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.text import clean_line

NAME_LIMIT = 200


class Platform(StrEnum):
    DISCORD = "discord"
    MATRIX = "matrix"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Actor:
    """A platform identity acting now; ``is_moderator`` is decided by the adapter
    from platform rights (Discord permission or role, Matrix power level) and
    checked again by the service before any moderator action."""

    platform: Platform
    user_id: str
    display_name: str
    is_moderator: bool = False
    # May create meetups and polls (moderators may too).
    is_organiser: bool = False
    # Platform roles (Discord role ids) or "level:N" (Matrix power level).
    roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Members choose their display names: shown to others, so cleaned like any name.
        object.__setattr__(self, "display_name", clean_line(self.display_name)[:NAME_LIMIT])


@dataclass(frozen=True, slots=True)
class Place:
    """Where the action happens: the collective (guild, room) and the channel."""

    platform: Platform
    collective_id: str
    channel_id: str
    collective_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "collective_name",
                           clean_line(self.collective_name)[:NAME_LIMIT])
