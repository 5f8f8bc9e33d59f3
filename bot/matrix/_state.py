"""Durable state of the Matrix adapter: sync token, direct rooms, handled events."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.types import Platform
from bot.db.engine import Database
from bot.db.models import BotState, ProcessedEvent, utcnow

_KEY_LIMIT = 200  # length of BotState.key


def _key(kind: str, *parts: str) -> str:
    key = f"matrix.{kind}:" + ":".join(parts)
    if len(key) <= _KEY_LIMIT:
        return key
    return f"matrix.{kind}#" + hashlib.sha256(":".join(parts).encode()).hexdigest()


class MatrixState:
    """Small key/value records in ``BotState`` and de-duplication in ``ProcessedEvent``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: type) -> postgresql.Insert | sqlite.Insert:
        return postgresql.insert(table) if self.db.dialect == "postgresql" else sqlite.insert(table)

    async def _get(self, key: str) -> str | None:
        async with self.db.transaction() as session:
            return await session.scalar(select(BotState.value).where(BotState.key == key))

    async def _put(self, key: str, value: str) -> None:
        now = utcnow()
        statement = self._insert(BotState).values(key=key, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[BotState.key], set_={"value": value, "updated_at": now}
        )
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def next_batch(self, user_id: str) -> str | None:
        """The sync token saved after the last fully handled sync."""
        return await self._get(_key("next_batch", user_id))

    async def save_next_batch(self, user_id: str, token: str) -> None:
        await self._put(_key("next_batch", user_id), token)

    async def direct_room(self, bot_id: str, user_id: str) -> str | None:
        return await self._get(_key("dm", bot_id, user_id))

    async def save_direct_room(self, bot_id: str, user_id: str, room_id: str) -> None:
        await self._put(_key("dm", bot_id, user_id), room_id)

    async def claim_event(self, event_id: str) -> bool:
        """Record ``event_id`` as handled; False when it already was (skip it)."""
        statement = (
            self._insert(ProcessedEvent)
            .values(event_id=event_id, platform=Platform.MATRIX.value, seen_at=utcnow())
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        async with self.db.transaction() as session:
            inserted = await session.scalar(statement)
        return inserted is not None

    async def forget_events(self, older_than: timedelta) -> int:
        """Drop de-duplication records no sync can bring back any more."""
        limit: datetime = utcnow() - older_than
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(ProcessedEvent).where(
                    ProcessedEvent.platform == Platform.MATRIX.value,
                    ProcessedEvent.seen_at < limit,
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
