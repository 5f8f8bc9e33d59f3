"""A member's rights over their data: see all of it, erase all of it.

Both work from the tables' structure: every table with a ``person_id`` or
``member_id`` column is covered, including tables added later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import ConfirmationRequired
from bot.core.i18n import N_
from bot.core.services.directory import find_collective, find_member
from bot.core.services.persons import person_columns
from bot.core.services.polls import PollService
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    AuditEntry,
    Base,
    BotState,
    Collective,
    Member,
    Membership,
    Person,
    utcnow,
)

SECRET_COLUMNS = {"code_hash"}
ERASED = "(erased member)"


def _tables(column: str) -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if column in t.c and t.name != "members"]


# Free text a person wrote in rows that outlive them (their reference is set to
# NULL so that shared records, such as the time-bank ledger, stay balanced).
AUTHORED_TEXT: dict[str, tuple[str, tuple[str, ...]]] = {
    "exchanges": ("recorded_by_id", ("note",)),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


@dataclass(frozen=True, slots=True)
class DataExport:
    filename: str
    content: bytes
    tables: int


@dataclass(frozen=True, slots=True)
class ForgetResult:
    identities: int
    rows: int


@dataclass(frozen=True, slots=True)
class PurgeResult:
    persons: int


class PrivacyService:
    def __init__(self, db: Database, polls: PollService | None = None) -> None:
        self.db = db
        # Ballots and voter records need the ballot key to be found: the poll
        # service lists them in the export and settles them before an erasure.
        self.polls = polls

    async def member_left(self, place: Place, user_id: str) -> None:
        """Note that a member left a collective (adapters call it on leave events)."""
        async with self.db.transaction() as session:
            member = await session.scalar(select(Member).where(
                Member.platform == place.platform.value, Member.user_id == user_id))
            collective = await find_collective(session, place)
            if member is None or collective is None:
                return
            row = await session.scalar(select(Membership).where(
                Membership.member_id == member.id, Membership.collective_id == collective.id))
            if row is None:
                row = Membership(member_id=member.id, collective_id=collective.id)
                session.add(row)
            row.left_at = utcnow()

    async def purge_departed(self, now: datetime | None = None) -> PurgeResult:
        """Erase persons who left collectives with a retention setting longer ago
        than that setting, and are active in no collective any more."""
        now = now or utcnow()
        async with self.db.transaction() as session:
            candidates = await session.execute(
                select(Member.person_id, Membership.left_at, Collective.retention_days)
                .join(Membership, Membership.member_id == Member.id)
                .join(Collective, Collective.id == Membership.collective_id)
                .where(Membership.left_at.is_not(None), Collective.retention_days.is_not(None))
            )
            expired = {
                person_id for person_id, left_at, days in candidates.all()
                if left_at + timedelta(days=days) <= now
            }
            if expired:
                active = set(await session.scalars(
                    select(Member.person_id)
                    .join(Membership, Membership.member_id == Member.id)
                    .where(Member.person_id.in_(expired), Membership.left_at.is_(None))
                ))
                expired -= active
            for person_id in expired:
                await self._erase(session, person_id)
        return PurgeResult(len(expired))

    async def export(self, actor: Actor, place: Place) -> DataExport:
        async with self.db.transaction() as session:
            member = await find_member(session, actor)
            data: dict[str, Any] = {"generated_at": _plain(utcnow())}
            if member is not None:
                members = (await session.scalars(
                    select(Member).where(Member.person_id == member.person_id)
                )).all()
                data["identities"] = [
                    {"platform": m.platform, "user_id": m.user_id,
                     "display_name": m.display_name, "since": _plain(m.created_at)}
                    for m in members
                ]
                member_ids = [m.id for m in members]
                for table, column in person_columns():
                    rows = await self._rows(session, table, column == member.person_id)
                    data.setdefault(table.name, []).extend(
                        row for row in rows if row not in data.get(table.name, []))
                for table in _tables("member_id"):
                    data[table.name] = await self._rows(
                        session, table, table.c.member_id.in_(member_ids)
                    )
            content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return DataExport("mes-donnees.json", content, len(data) - 1)

    @staticmethod
    async def _rows(session: AsyncSession, table: Table, where: Any) -> list[dict[str, Any]]:
        rows = (await session.execute(select(table).where(where))).mappings().all()
        return [
            {k: _plain(v) for k, v in row.items() if k not in SECRET_COLUMNS} for row in rows
        ]

    async def forget(self, actor: Actor, place: Place, *, confirm: bool) -> ForgetResult:
        """Erase the person behind ``actor`` everywhere, after confirmation."""
        if not confirm:
            raise ConfirmationRequired(
                N_("This erases everything the bot holds about you, on every linked account: "
                   "signatures, profile and history. It cannot be undone. To confirm, send "
                   "{command}."),
                command="!oublie-moi confirmer",
            )
        async with self.db.transaction() as session:
            member = await find_member(session, actor)
            if member is None:
                return ForgetResult(0, 0)
            return await self._erase(session, member.person_id)

    async def _erase(self, session: AsyncSession, person_id: int) -> ForgetResult:
        """Delete a person and everything linked to them; scrub the audit log."""
        if self.polls is not None:
            await self.polls.before_erase(session, person_id)
        members = (await session.scalars(
            select(Member).where(Member.person_id == person_id)
        )).all()
        rows = 0
        member_ids = [m.id for m in members]
        wheres = [(table, column == person_id) for table, column in person_columns()]
        wheres += [(table, table.c.member_id.in_(member_ids)) for table in _tables("member_id")]
        for table, where in wheres:
            rows += await session.scalar(
                select(func.count()).select_from(table).where(where)
            ) or 0
        for name, (column, texts) in AUTHORED_TEXT.items():
            table = Base.metadata.tables[name]
            await session.execute(update(table).where(table.c[column] == person_id)
                                  .values({text: "" for text in texts}))
        # The audit log keeps what moderators did, not who they were.
        traces = [m.user_id for m in members]
        traces += [m.display_name for m in members if m.display_name]
        entries = (await session.scalars(
            select(AuditEntry).where(or_(
                AuditEntry.person_id == person_id,
                *[AuditEntry.detail.contains(t) for t in traces],
                *[AuditEntry.actor_label.contains(t) for t in traces],
            ))
        )).all()
        for entry in entries:
            if entry.person_id == person_id:
                entry.actor_label = ERASED
                entry.person_id = None
            for trace in traces:
                entry.detail = entry.detail.replace(trace, ERASED)
                entry.actor_label = entry.actor_label.replace(trace, ERASED)
        await session.execute(delete(BotState).where(
            or_(*[BotState.key.endswith(":" + m.user_id) for m in members])
        ))
        await session.execute(
            update(AuditEntry).where(AuditEntry.person_id == person_id).values(person_id=None)
        )
        await session.execute(delete(Person).where(Person.id == person_id))
        return ForgetResult(len(members), rows)
