"""Merging and splitting persons (linked identities).

Every column that refers to a person follows them when two persons are merged;
where a unique constraint would then hold twice (one signature per collective
and person, say), the newest row is kept. Tables added later are covered
without change here.
"""

from __future__ import annotations

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Base, Member, Person


def person_columns() -> list[tuple[Table, Column]]:
    """Every (table, column) with a foreign key to persons, members excepted."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == "members":
            continue
        for column in table.c:
            if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _unique_groups(table: Table, column: Column) -> list[list[str]]:
    groups = []
    for constraint in table.constraints:
        columns = [c.name for c in getattr(constraint, "columns", [])]
        if column.name in columns and constraint.__class__.__name__ == "UniqueConstraint":
            groups.append([c for c in columns if c != column.name])
    return groups


async def merge(session: AsyncSession, keep: int, gone: int) -> None:
    """Move everything of person ``gone`` to person ``keep`` and delete ``gone``."""
    for table, column in person_columns():
        pk = next(iter(table.primary_key.columns))
        for others in _unique_groups(table, column):
            rows = (await session.execute(
                select(pk, column, *[table.c[c] for c in others])
                .where(column.in_((keep, gone)))
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
        await session.execute(update(table).where(column == gone).values({column.name: keep}))
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
