"""Find or create the rows behind an Actor and a Place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite import Insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.types import Actor, Place
from bot.db.models import (
    Base,
    Collective,
    CollectiveChannel,
    Federation,
    Member,
    Membership,
    Person,
    Tribune,
    utcday,
)


def insert_for(session: AsyncSession, table: type[Base]) -> Insert:
    """An INSERT with ``on_conflict_do_*`` for the session's backend."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


async def ensure_collective(
    session: AsyncSession, place: Place, *, locale: str, timezone: str
) -> Collective:
    """The collective for ``place``; a new one starts as a federation of one."""
    query = select(Collective).where(
        Collective.platform == place.platform.value,
        Collective.external_id == place.collective_id,
    )
    collective = await session.scalar(query)
    if collective is not None:
        if place.collective_name and collective.name != place.collective_name:
            collective.name = place.collective_name[:200]
        return collective
    name = (place.collective_name or place.collective_id)[:120]
    federation = Federation(name=name)
    session.add(federation)
    await session.flush()
    inserted = await session.scalar(
        insert_for(session, Collective)
        .values(
            platform=place.platform.value,
            external_id=place.collective_id,
            name=(place.collective_name or "")[:200],
            federation_id=federation.id,
            home_federation_id=federation.id,
            locale=locale,
            timezone=timezone,
        )
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(Collective.id)
    )
    if inserted is None:  # created concurrently by another request
        await session.delete(federation)
    else:
        session.add(Tribune(federation_id=federation.id))
    collective = await session.scalar(query.execution_options(populate_existing=True))
    assert collective is not None
    return collective


async def ensure_member(
    session: AsyncSession, actor: Actor, collective: Collective | None = None
) -> Member:
    """The member for ``actor`` (a new identity is a new person); with
    ``collective``, also note that the member is active there."""
    member = await _member(session, actor)
    if collective is not None:
        await session.execute(
            insert_for(session, Membership)
            .values(member_id=member.id, collective_id=collective.id, joined_at=utcday())
            .on_conflict_do_update(
                index_elements=["member_id", "collective_id"],
                set_={"left_at": None},
                where=Membership.left_at.is_not(None),
            )
        )
    return member


async def _member(session: AsyncSession, actor: Actor) -> Member:
    query = select(Member).where(
        Member.platform == actor.platform.value, Member.user_id == actor.user_id
    )
    member = await session.scalar(query)
    if member is not None:
        if actor.display_name and member.display_name != actor.display_name:
            member.display_name = actor.display_name[:200]
        return member
    person = Person()
    session.add(person)
    await session.flush()
    inserted = await session.scalar(
        insert_for(session, Member)
        .values(
            platform=actor.platform.value,
            user_id=actor.user_id,
            display_name=(actor.display_name or "")[:200],
            person_id=person.id,
        )
        .on_conflict_do_nothing(index_elements=["platform", "user_id"])
        .returning(Member.id)
    )
    if inserted is None:
        await session.delete(person)
    member = await session.scalar(query.execution_options(populate_existing=True))
    assert member is not None
    return member


@dataclass(frozen=True, slots=True)
class Scope:
    """What counts together for one workflow: the federation whose settings
    apply (a shared one, or the collective's own) and its collectives."""

    federation_id: int
    collective_ids: tuple[int, ...]
    shared: bool


async def workflow_settings(
    session: AsyncSession, collective: Collective, workflow: str
) -> CollectiveChannel:
    """The collective's settings row for a workflow, created when missing."""
    row = await session.scalar(
        select(CollectiveChannel).where(
            CollectiveChannel.collective_id == collective.id,
            CollectiveChannel.workflow == workflow,
        )
    )
    if row is None:
        row = CollectiveChannel(collective_id=collective.id, workflow=workflow)
        session.add(row)
    return row


async def workflow_channels(
    session: AsyncSession, scope: Scope, workflow: str
) -> list[tuple[Collective, str]]:
    """Each collective of ``scope`` with a channel configured for ``workflow``."""
    rows = await session.execute(
        select(Collective, CollectiveChannel.channel_id)
        .join(CollectiveChannel, CollectiveChannel.collective_id == Collective.id)
        .where(
            Collective.id.in_(scope.collective_ids),
            CollectiveChannel.workflow == workflow,
            CollectiveChannel.channel_id.is_not(None),
        )
        .order_by(Collective.id)
    )
    return [(collective, channel) for collective, channel in rows.all()]


async def workflow_shared(session: AsyncSession, collective_id: int, workflow: str) -> bool:
    shared = await session.scalar(
        select(CollectiveChannel.shared).where(
            CollectiveChannel.collective_id == collective_id,
            CollectiveChannel.workflow == workflow,
        )
    )
    return True if shared is None else shared


async def scope_of(session: AsyncSession, collective: Collective, workflow: str) -> Scope:
    """The scope of ``workflow`` for ``collective``.

    In a shared federation, a workflow the collective shares spans every member
    collective that shares it too; otherwise it stays in the collective.
    """
    federated = collective.federation_id != collective.home_federation_id
    if not federated or not await workflow_shared(session, collective.id, workflow):
        return Scope(collective.home_federation_id, (collective.id,), False)
    local = select(CollectiveChannel.collective_id).where(
        CollectiveChannel.workflow == workflow, CollectiveChannel.shared.is_(False)
    )
    ids = await session.scalars(
        select(Collective.id)
        .where(Collective.federation_id == collective.federation_id, Collective.id.not_in(local))
        .order_by(Collective.id)
    )
    return Scope(collective.federation_id, tuple(ids), True)


async def find_collective(session: AsyncSession, place: Place) -> Collective | None:
    return await session.scalar(
        select(Collective).where(
            Collective.platform == place.platform.value,
            Collective.external_id == place.collective_id,
        )
    )


async def find_member(session: AsyncSession, actor: Actor) -> Member | None:
    return await session.scalar(
        select(Member).where(
            Member.platform == actor.platform.value, Member.user_id == actor.user_id
        )
    )
