"""Per-member cooldowns on creating things (demands, aid posts, meetups).

The last creation is read from the rows themselves, so every process of a
deployment sees the same cooldown and nothing extra is stored.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import RateLimited
from bot.core.i18n import N_
from bot.db.models import utcnow


async def check(session: AsyncSession, created_at: Any, author: Any, person_id: int,
                seconds: float) -> None:
    """Refuse when ``person_id`` created a row (``author`` column equal, latest
    ``created_at``) less than ``seconds`` ago; 0 turns the cooldown off."""
    if seconds <= 0:
        return
    last = await session.scalar(select(func.max(created_at)).where(author == person_id))
    if last is None:
        return
    left = timedelta(seconds=seconds) - (utcnow() - last)
    if left > timedelta(0):
        raise RateLimited(
            N_("You created one a moment ago: wait {minutes} min before the next one."),
            minutes=max(1, math.ceil(left.total_seconds() / 60)))
