"""Linked identities: one person behind a Discord and a Matrix account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.services import codes, persons
from bot.core.services.directory import ensure_member
from bot.core.services.polls import PollService
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import LinkAttempt, Member

CODE_KIND = "identity"
CODE_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Identity:
    platform: str
    user_id: str
    display_name: str
    current: bool


@dataclass(frozen=True, slots=True)
class IdentityCode:
    code: str
    expires_at: datetime
    minutes: int


@dataclass(frozen=True, slots=True)
class Identities:
    items: tuple[Identity, ...]


class IdentityService:
    def __init__(self, db: Database, *, code_failures: int = codes.MAX_FAILURES,
                 codes_per_hour: int = codes.MAX_ISSUED,
                 polls: PollService | None = None) -> None:
        self.db = db
        # Ballots follow persons through the poll service, which holds the key.
        self.polls = polls
        self.code_failures = code_failures
        self.codes_per_hour = codes_per_hour

    @staticmethod
    async def _identities(session: AsyncSession, member: Member) -> Identities:
        rows = await session.scalars(
            select(Member).where(Member.person_id == member.person_id).order_by(Member.id)
        )
        return Identities(tuple(
            Identity(m.platform, m.user_id, m.display_name, m.id == member.id) for m in rows
        ))

    async def identities(self, actor: Actor, place: Place) -> Identities:
        async with self.db.transaction() as session:
            return await self._identities(session, await ensure_member(session, actor))

    async def issue(self, actor: Actor, place: Place) -> IdentityCode:
        """A code to redeem from the member's account on the other platform."""
        async with self.db.transaction() as session:
            member = await ensure_member(session, actor)
            await codes.check_issued(session, member, CODE_KIND, self.codes_per_hour)
            code, row = await codes.issue(session, CODE_KIND, member, CODE_LIFETIME)
            return IdentityCode(code, row.expires_at, int(CODE_LIFETIME.total_seconds() // 60))

    async def redeem(self, actor: Actor, place: Place, code: str) -> Identities:
        async with self.db.transaction() as session:
            member = await ensure_member(session, actor)
            await codes.check_failures(session, member, self.code_failures)
            member_id = member.id
        try:
            async with self.db.transaction() as session:
                member = await ensure_member(session, actor)
                row = await codes.redeem(session, CODE_KIND, code)
                issuer = await session.get(Member, row.member_id) if row.member_id else None
                if issuer is None:
                    raise codes.BadCode(
                        N_("This code is not valid. Check it, or ask for a new one.")
                    )
                if issuer.platform == member.platform:
                    raise codes.BadCode(
                        N_("Redeem this code from your account on the other platform, "
                           "not on {platform}."),
                        platform=issuer.platform.capitalize(),
                    )
                if issuer.person_id == member.person_id:
                    raise InvalidInput(N_("These accounts are already linked."))
                if self.polls is not None:
                    await self.polls.before_merge(session, issuer.person_id, member.person_id)
                await persons.merge(session, keep=issuer.person_id, gone=member.person_id)
                await session.flush()
                await session.refresh(member)
                return await self._identities(session, member)
        except codes.BadCode:
            async with self.db.transaction() as session:
                session.add(LinkAttempt(member_id=member_id))
            raise

    async def unlink(self, actor: Actor, place: Place) -> Identities:
        """Detach this account; what was recorded stays with the other accounts."""
        async with self.db.transaction() as session:
            member = await ensure_member(session, actor)
            linked = await self._identities(session, member)
            if len(linked.items) < 2:
                raise InvalidInput(N_("This account is not linked to another one."))
            if self.polls is not None:
                await self.polls.before_split(session, member.person_id)
            await persons.split(session, member)
            return await self._identities(session, member)
