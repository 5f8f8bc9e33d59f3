"""Merging and splitting persons (linked identities).

Every table with a ``person_id`` column follows a person when two are merged;
where a unique constraint would then hold twice (one signature per collective
and person, say), the newest row is kept. Tables added later are covered
without change here.
"""

from __future__ import annotations

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Base, Member, Person


def person_tables() -> list[Table]:
    return [
        table for table in Base.metadata.sorted_tables
        if "person_id" in table.c and table.name != "members"
    ]


def _unique_groups(table: Table) -> list[list[str]]:
    groups = []
    for constraint in table.constraints:
        columns = [c.name for c in getattr(constraint, "columns", [])]
        if "person_id" in columns and constraint.__class__.__name__ == "UniqueConstraint":
            groups.append([c for c in columns if c != "person_id"])
    return groups


async def merge(session: AsyncSession, keep: int, gone: int) -> None:
    """Move everything of person ``gone`` to person ``keep`` and delete ``gone``."""
    for table in person_tables():
        pk = next(iter(table.primary_key.columns))
        for others in _unique_groups(table):
            rows = (await session.execute(
                select(pk, table.c.person_id, *[table.c[c] for c in others])
                .where(table.c.person_id.in_((keep, gone)))
            )).all()
            newest: dict[tuple, object] = {}
            doomed = []
            for row in sorted(rows, key=lambda r: r[0], reverse=True):
                key = tuple(row[2:])
                if key in newest:
                    doomed.append(row[0])
                else:
                    newest[key] = row[0]
            if doomed:
                await session.execute(delete(table).where(pk.in_(doomed)))
        await session.execute(
            update(table).where(table.c.person_id == gone).values(person_id=keep)
        )
    await session.execute(update(Member).where(Member.person_id == gone).values(person_id=keep))
    await session.execute(delete(Person).where(Person.id == gone))


async def split(session: AsyncSession, member: Member) -> Person:
    """Give ``member`` a person of its own; the data stays with the others."""
    person = Person()
    session.add(person)
    await session.flush()
    member.person_id = person.id
    await session.flush()
    return person
