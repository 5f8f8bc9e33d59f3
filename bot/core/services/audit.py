"""The audit log: every moderator action, recorded in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput, PermissionDenied
from bot.core.i18n import N_
from bot.core.services.directory import find_collective
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import AuditEntry, Collective, Member

PAGE_SIZE = 15


async def record(
    session: AsyncSession,
    actor: Actor,
    member: Member | None,
    collective: Collective | None,
    action: str,
    detail: str = "",
) -> None:
    """Add an entry for a moderator action (call inside the action's transaction)."""
    session.add(
        AuditEntry(
            collective_id=collective.id if collective else None,
            federation_id=collective.federation_id if collective else None,
            person_id=member.person_id if member else None,
            actor_label=f"{actor.display_name} ({actor.platform.value}:{actor.user_id})"[:200],
            action=action,
            detail=detail[:2000],
        )
    )


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: tuple[AuditLine, ...]
    page: int
    pages: int


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def read(self, actor: Actor, place: Place, page: int = 1) -> AuditPage:
        """Entries of this collective, newest first; moderators only."""
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective = await find_collective(session, place)
            if collective is None:
                return AuditPage((), 1, 1)
            where = AuditEntry.collective_id == collective.id
            total = await session.scalar(select(func.count()).where(where)) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            if page < 1 or page > pages:
                raise InvalidInput(
                    N_("There is no page {page}: choose a page from 1 to {pages}."),
                    page=page,
                    pages=pages,
                )
            rows = await session.scalars(
                select(AuditEntry)
                .where(where)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
            items = tuple(AuditLine(r.at, r.actor_label, r.action, r.detail) for r in rows)
        return AuditPage(items, page, pages)
