"""Federations of collectives: create, link by one-time code, leave, remove, scopes.

Every collective has a federation of its own (its *home*). Joining a shared
federation changes which federation it belongs to; what each workflow counts
together is then decided by the collective's scope setting for it
(shared by default, or kept local).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.numbers import check_whole
from bot.core.services import audit, codes
from bot.core.services.directory import ensure_collective, ensure_member, workflow_settings
from bot.core.text import clean_line
from bot.core.types import Actor, Place
from bot.core.workflows import WORKFLOWS
from bot.db.engine import Database
from bot.db.models import (
    Collective,
    CollectiveChannel,
    Federation,
    FederationModerator,
    LinkAttempt,
    Member,
)

CODE_KIND = "federation"
CODE_LIFETIME = timedelta(hours=24)
NAME_LIMIT = 80
COLLECTIVE_NUMBER = N_("The collective number")
# Collectives are numbered from 1 in the federation's list; far more than any federation.
COLLECTIVES_MOST = 10_000

@dataclass(frozen=True, slots=True)
class MemberCollective:
    number: int
    platform: str
    name: str
    local_workflows: tuple[str, ...]
    here: bool


@dataclass(frozen=True, slots=True)
class FederationInfo:
    name: str
    shared: bool
    collectives: tuple[MemberCollective, ...]
    moderators: int
    you_moderate: bool


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    expires_at: datetime
    federation: str


@dataclass(frozen=True, slots=True)
class ScopeChange:
    workflow: str
    shared: bool


class FederationService:
    def __init__(self, db: Database, *, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris", code_failures: int = codes.MAX_FAILURES,
                 codes_per_hour: int = codes.MAX_ISSUED) -> None:
        self.db = db
        self.code_failures = code_failures
        self.codes_per_hour = codes_per_hour
        self.default_locale = default_locale
        self.default_timezone = default_timezone

    async def _context(
        self, session: AsyncSession, actor: Actor, place: Place
    ) -> tuple[Collective, Member]:
        collective = await ensure_collective(
            session, place, locale=self.default_locale, timezone=self.default_timezone
        )
        return collective, await ensure_member(session, actor)

    @staticmethod
    async def _is_federation_moderator(
        session: AsyncSession, actor: Actor, member: Member, federation_id: int
    ) -> bool:
        """Listed federation moderators; a federation without any falls back to
        the moderators of its collectives."""
        rows = (await session.scalars(
            select(FederationModerator.person_id).where(
                FederationModerator.federation_id == federation_id
            )
        )).all()
        if not rows:
            return actor.is_moderator
        return member.person_id in rows

    async def _federation_moderator(
        self, session: AsyncSession, actor: Actor, place: Place
    ) -> tuple[Collective, Member]:
        """The context of an action reserved to the federation's moderators."""
        collective, member = await self._context(session, actor, place)
        if collective.federation_id == collective.home_federation_id:
            raise InvalidInput(N_("This collective does not belong to a federation."))
        if not await self._is_federation_moderator(
            session, actor, member, collective.federation_id
        ):
            raise PermissionDenied(N_("Only moderators of the federation can do this."))
        return collective, member

    async def _info(
        self, session: AsyncSession, actor: Actor, collective: Collective, member: Member
    ) -> FederationInfo:
        federation = await session.get(Federation, collective.federation_id)
        assert federation is not None
        shared = collective.federation_id != collective.home_federation_id
        members = (await session.scalars(
            select(Collective)
            .where(Collective.federation_id == collective.federation_id)
            .order_by(Collective.id)
        )).all()
        local_rows = (await session.execute(
            select(CollectiveChannel.collective_id, CollectiveChannel.workflow).where(
                CollectiveChannel.collective_id.in_([c.id for c in members]),
                CollectiveChannel.shared.is_(False),
            )
        )).all()
        local: dict[int, list[str]] = {}
        for collective_id, workflow in local_rows:
            local.setdefault(collective_id, []).append(workflow)
        moderators = await session.scalar(
            select(func.count()).select_from(FederationModerator).where(
                FederationModerator.federation_id == collective.federation_id
            )
        ) or 0
        return FederationInfo(
            name=federation.name,
            shared=shared,
            collectives=tuple(
                MemberCollective(
                    number=index,
                    platform=c.platform,
                    name=c.name or c.external_id,
                    local_workflows=tuple(sorted(local.get(c.id, []))),
                    here=c.id == collective.id,
                )
                for index, c in enumerate(members, start=1)
            ),
            moderators=moderators,
            you_moderate=shared and await self._is_federation_moderator(
                session, actor, member, collective.federation_id
            ),
        )

    async def status(self, actor: Actor, place: Place) -> FederationInfo:
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            return await self._info(session, actor, collective, member)

    async def create(self, actor: Actor, place: Place, name: str) -> FederationInfo:
        """A collective moderator starts a shared federation with this collective in it."""
        if not actor.is_moderator:
            raise PermissionDenied()
        name = clean_line(name)
        if not name:
            raise InvalidInput(N_("Give the federation a name."))
        if len(name) > NAME_LIMIT:
            raise InvalidInput(
                N_("The name is too long: {limit} characters at most (you sent {length})."),
                limit=NAME_LIMIT, length=len(name),
            )
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            if collective.federation_id != collective.home_federation_id:
                raise InvalidInput(
                    N_("This collective already belongs to a federation: leave it first.")
                )
            federation = Federation(name=name)
            session.add(federation)
            await session.flush()
            collective.federation_id = federation.id
            session.add(FederationModerator(federation_id=federation.id,
                                            person_id=member.person_id))
            await audit.record(session, actor, member, collective, "federation.create", name)
            await session.flush()
            return await self._info(session, actor, collective, member)

    async def issue_code(self, actor: Actor, place: Place) -> CodeInfo:
        """A one-time code another collective's moderator redeems to join."""
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            if collective.federation_id == collective.home_federation_id:
                raise InvalidInput(
                    N_("Create a federation first with {command}."),
                    command="!federation creer NOM",
                )
            if not await self._is_federation_moderator(
                session, actor, member, collective.federation_id
            ):
                raise PermissionDenied(N_("Only moderators of the federation can do this."))
            await codes.check_issued(session, member, CODE_KIND, self.codes_per_hour)
            code, row = await codes.issue(
                session, CODE_KIND, member, CODE_LIFETIME, federation_id=collective.federation_id
            )
            federation = await session.get(Federation, collective.federation_id)
            await audit.record(session, actor, member, collective, "federation.code")
            return CodeInfo(code, row.expires_at, federation.name if federation else "")

    async def join(self, actor: Actor, place: Place, code: str) -> FederationInfo:
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            await codes.check_failures(session, member, self.code_failures)
            member_id = member.id
        try:
            async with self.db.transaction() as session:
                collective, member = await self._context(session, actor, place)
                row = await codes.redeem(session, CODE_KIND, code)
                if row.federation_id is None or await session.get(
                    Federation, row.federation_id
                ) is None:
                    raise codes.BadCode(
                        N_("This code is not valid. Check it, or ask for a new one.")
                    )
                if row.federation_id == collective.federation_id:
                    raise InvalidInput(N_("This collective is already in that federation."))
                if collective.federation_id != collective.home_federation_id:
                    raise InvalidInput(
                        N_("This collective already belongs to a federation: leave it first.")
                    )
                collective.federation_id = row.federation_id
                await audit.record(session, actor, member, collective, "federation.join",
                                   str(row.federation_id))
                await session.flush()
                return await self._info(session, actor, collective, member)
        except codes.BadCode:
            async with self.db.transaction() as session:
                session.add(LinkAttempt(member_id=member_id))
            raise

    async def leave(self, actor: Actor, place: Place) -> FederationInfo:
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            if collective.federation_id == collective.home_federation_id:
                raise InvalidInput(N_("This collective does not belong to a federation."))
            await audit.record(session, actor, member, collective, "federation.leave",
                               str(collective.federation_id))
            collective.federation_id = collective.home_federation_id
            await session.flush()
            return await self._info(session, actor, collective, member)

    async def remove(self, actor: Actor, place: Place, number: int) -> FederationInfo:
        """A federation moderator removes the collective listed at ``number``."""
        number = check_whole(number, field=COLLECTIVE_NUMBER, low=1, high=COLLECTIVES_MOST)
        async with self.db.transaction() as session:
            collective, member = await self._federation_moderator(session, actor, place)
            members = (await session.scalars(
                select(Collective)
                .where(Collective.federation_id == collective.federation_id)
                .order_by(Collective.id)
            )).all()
            if not 1 <= number <= len(members):
                raise NotFound(
                    N_("There is no collective number {number}: see {command}."),
                    number=number, command="!federation",
                )
            target = members[number - 1]
            target.federation_id = target.home_federation_id
            await audit.record(session, actor, member, collective, "federation.remove",
                               f"{target.platform}:{target.name or target.external_id}")
            await session.flush()
            return await self._info(session, actor, collective, member)

    async def add_moderator(self, actor: Actor, place: Place, target: Actor) -> FederationInfo:
        """Make ``target`` (an identity seen by the adapter) a federation moderator."""
        async with self.db.transaction() as session:
            collective, member = await self._federation_moderator(session, actor, place)
            other = await ensure_member(session, target)
            exists = await session.scalar(
                select(FederationModerator).where(
                    FederationModerator.federation_id == collective.federation_id,
                    FederationModerator.person_id == other.person_id,
                )
            )
            if exists is None:
                session.add(FederationModerator(federation_id=collective.federation_id,
                                                person_id=other.person_id))
            await audit.record(session, actor, member, collective, "federation.moderator",
                               f"{target.platform.value}:{target.user_id}")
            await session.flush()
            return await self._info(session, actor, collective, member)

    async def set_scope(
        self, actor: Actor, place: Place, workflow: str, shared: bool
    ) -> ScopeChange:
        """Share a workflow with the federation, or keep it in this collective."""
        if not actor.is_moderator:
            raise PermissionDenied()
        if workflow not in WORKFLOWS:
            raise InvalidInput(N_("Unknown workflow “{word}”. Choose one of: {choices}."),
                               word=workflow, choices=", ".join(WORKFLOWS))
        async with self.db.transaction() as session:
            collective, member = await self._context(session, actor, place)
            row = await workflow_settings(session, collective, workflow)
            row.shared = shared
            await audit.record(session, actor, member, collective, "config.scope",
                               f"{workflow}={'shared' if shared else 'local'}")
        return ScopeChange(workflow, shared)
