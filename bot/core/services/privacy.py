"""A member's rights over their data: see all of it, erase all of it.

Both work from the tables' structure: every table with a column referring to a
person (``person_id``, ``giver_id``...) or a ``member_id`` column is covered,
including tables added later. The export returns the rows as data; the member's
document is written in their language by ``bot.core.render.my_data``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import ConfirmationRequired
from bot.core.i18n import N_
from bot.core.services.directory import find_collective, find_member
from bot.core.services.persons import person_columns
from bot.core.services.polls import PollService, VotedPoll
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

# Never exported: hashes of codes, the person's secret token, ballot keys.
SECRET_COLUMNS = frozenset({"code_hash", "token", "slot", "voter_key", "seal"})
# Ballots and voter records are listed by the poll service (``voted_in``), which
# knows what may be shown of a vote: a secret ballot is never given back.
VOTING_TABLES = frozenset({"ballots", "poll_voters"})
# Text columns that hold JSON: exported as the structure they hold.
JSON_COLUMNS = frozenset({("polls", "result")})
# Moderation log entries whose detail is about another member (their name, their
# balance): the entry is exported, its detail is not.
WITHHELD_DETAIL = frozenset({"aid.balance-flag", "federation.moderator"})
# Columns whose value names a referenced row (its title or name), in this order.
LABEL_COLUMNS = ("title", "name", "slug")
DEFAULT_TIMEZONE = "Europe/Paris"
ERASED = "(erased member)"


def _tables(column: str) -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if column in t.c and t.name != "members"]


def export_tables() -> list[tuple[Table, tuple[Column[Any], ...]]]:
    """Every table the data export walks, with the columns that lead to the member:
    those referring to a person, and ``member_id``. Voting tables are left to the
    poll service."""
    found: dict[str, tuple[Table, list[Column[Any]]]] = {}
    for table, column in person_columns():
        found.setdefault(table.name, (table, []))[1].append(column)
    for table in _tables("member_id"):
        found.setdefault(table.name, (table, []))[1].append(table.c.member_id)
    return [(table, tuple(columns)) for name, (table, columns) in found.items()
            if name not in VOTING_TABLES]


# Free text a person wrote in rows that outlive them (their reference is set to
# NULL so that shared records, such as the time-bank ledger, stay balanced).
AUTHORED_TEXT: dict[str, tuple[str, tuple[str, ...]]] = {
    "exchanges": ("recorded_by_id", ("note",)),
}


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person a row refers to: the member themself, or someone else, named only
    by the display name the member already sees (as in the time-bank history)."""

    you: bool
    name: str = ""


@dataclass(frozen=True, slots=True)
class AccountRef:
    """One of the member's own accounts (a ``member_id``)."""

    platform: str
    user_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class RowRef:
    """A row of another table (a demand, a meetup, a collective...): its number,
    and its title or name where it has one."""

    table: str
    id: Any
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Withheld:
    """A value left out because it is about another member."""


WITHHELD = Withheld()

ExportRow = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ExportSection:
    """The member's rows of one table: (column, value) pairs, secrets left out and
    references resolved (see :class:`PersonRef`, :class:`AccountRef`, :class:`RowRef`)."""

    table: str
    rows: tuple[ExportRow, ...]


@dataclass(frozen=True, slots=True)
class ExportIdentity:
    platform: str
    user_id: str
    display_name: str
    since: datetime


@dataclass(frozen=True, slots=True)
class DataExport:
    """Everything held about a person. ``sections`` has one entry per walked table,
    empty ones included, so that the document can say what holds nothing."""

    generated_at: datetime
    timezone: str
    identities: tuple[ExportIdentity, ...] = ()
    sections: tuple[ExportSection, ...] = ()
    polls: tuple[VotedPoll, ...] = ()

    @property
    def tables(self) -> int:
        return sum(1 for section in self.sections if section.rows)

    @property
    def content(self) -> bytes:
        """The machine-readable copy: the same data as JSON."""
        data: dict[str, Any] = {
            "generated_at": _json_value(self.generated_at),
            "timezone": self.timezone,
            "identities": [
                {"platform": i.platform, "user_id": i.user_id,
                 "display_name": i.display_name, "since": _json_value(i.since)}
                for i in self.identities
            ],
            "polls_voted_in": [
                {"id": p.id, "title": p.title, "status": p.status, "secret": p.secret,
                 "ballot": p.ballot}
                for p in self.polls
            ],
        }
        for section in self.sections:
            data[section.table] = [
                {column: _json_value(value) for column, value in row} for row in section.rows
            ]
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, PersonRef):
        return {"you": True} if value.you else {"name": value.name}
    if isinstance(value, AccountRef):
        return {"platform": value.platform, "user_id": value.user_id,
                "display_name": value.display_name}
    if isinstance(value, RowRef):
        return {"id": value.id, "label": value.label}
    if isinstance(value, Withheld):
        return "(withheld: about another member)"
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def _decoded(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


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
        """Everything held about the person behind ``actor``, on every linked account."""
        async with self.db.transaction() as session:
            collective = await find_collective(session, place)
            timezone = collective.timezone if collective else self._default_timezone()
            member = await find_member(session, actor)
            if member is None:
                return DataExport(utcnow(), timezone)
            person_id = member.person_id
            members = (await session.scalars(
                select(Member).where(Member.person_id == person_id).order_by(Member.id)
            )).all()
            accounts = {m.id: AccountRef(m.platform, m.user_id, m.display_name)
                        for m in members}
            walked = []
            for table, columns in export_tables():
                where = [column.in_(list(accounts)) if column.name == "member_id"
                         else column == person_id for column in columns]
                order = list(table.primary_key.columns)
                walked.append((table, (await session.execute(
                    select(table).where(or_(*where)).order_by(*order)
                )).mappings().all()))
            refs = await self._references(session, walked, person_id)
            sections = tuple(
                ExportSection(table.name, tuple(
                    self._row(table, row, person_id, accounts, refs) for row in rows))
                for table, rows in walked
            )
            polls = (tuple(await self.polls.voted_in(session, person_id))
                     if self.polls is not None else ())
            return DataExport(
                utcnow(), timezone,
                tuple(ExportIdentity(m.platform, m.user_id, m.display_name, m.created_at)
                      for m in members),
                sections, polls,
            )

    def _default_timezone(self) -> str:
        defaults = getattr(self.polls, "defaults", None) or {}
        return str(defaults.get("timezone") or DEFAULT_TIMEZONE)

    @staticmethod
    async def _references(
        session: AsyncSession, walked: list[tuple[Table, Any]], person_id: int,
    ) -> dict[tuple[str, Any], Any]:
        """What the rows refer to, read in one query per referenced table: other
        persons' display names, and the titles or names of referenced rows."""
        wanted: dict[Table, set[Any]] = {}
        for table, rows in walked:
            for column in table.c:
                for fk in column.foreign_keys:
                    target = fk.column.table
                    if target.name == "members":
                        continue
                    ids = {row[column.name] for row in rows} - {None}
                    if target.name == "persons":
                        ids -= {person_id}
                    wanted.setdefault(target, set()).update(ids)
        found: dict[tuple[str, Any], Any] = {}
        for target, ids in wanted.items():
            if not ids:
                continue
            if target.name == "persons":
                names = await session.execute(
                    select(Member.person_id, Member.display_name)
                    .where(Member.person_id.in_(ids)).order_by(Member.id))
                for other, name in names:
                    found.setdefault(("persons", other), name or "—")
                continue
            label = next((target.c[n] for n in LABEL_COLUMNS if n in target.c), None)
            if label is None:
                continue
            [key] = list(target.primary_key.columns)
            extra = [target.c.external_id] if "external_id" in target.c else []
            for row in await session.execute(
                select(key, label, *extra).where(key.in_(ids))
            ):
                found[(target.name, row[0])] = row[1] or (row[2] if extra else None)
        return found

    @staticmethod
    def _row(table: Table, row: Any, person_id: int, accounts: dict[int, AccountRef],
             refs: dict[tuple[str, Any], Any]) -> ExportRow:
        values: list[tuple[str, Any]] = []
        for column in table.c:
            name = column.name
            if name in SECRET_COLUMNS:
                continue
            value = row[name]
            targets = [fk.column.table.name for fk in column.foreign_keys]
            if value is None:
                pass
            elif "persons" in targets:
                value = (PersonRef(True) if value == person_id
                         else PersonRef(False, refs.get(("persons", value), "—")))
            elif "members" in targets:
                value = accounts.get(value) or AccountRef("", "", "")
            elif targets:
                value = RowRef(targets[0], value, refs.get((targets[0], value)))
            elif (table.name, name) in JSON_COLUMNS:
                value = _decoded(value)
            values.append((name, value))
        if table.name == "audit_log" and row.get("action") in WITHHELD_DETAIL:
            values = [(n, WITHHELD if n == "detail" else v) for n, v in values]
        return tuple(values)

    async def forget(self, actor: Actor, place: Place, *, confirm: bool) -> ForgetResult:
        """Erase the person behind ``actor`` everywhere, after confirmation."""
        if not confirm:
            raise ConfirmationRequired(
                N_("This erases everything the bot holds about you, on every linked account: "
                   "signatures, profile and history. It cannot be undone. Ballots you cast "
                   "stay counted, without your name; until each open poll you voted in "
                   "closes, your accounts cannot vote in it again. To confirm, send "
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
