"""Demands (revendications): propose, find near-duplicates, support, merge, decide.

A demand belongs to the collective where it was proposed; lists and supports
span the demands workflow's scope (the federation, or the collective alone).
A person supports a demand at most once, whichever linked account they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.numbers import record_id
from bot.core.services import audit, cooldown
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    insert_for,
    scope_of,
)
from bot.core.text import clean_block, clean_line, fold
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    Collective,
    Member,
    Poll,
    PollOption,
    Proposal,
    ProposalSupport,
    utcnow,
)

WORKFLOW = "demands"
DEMAND_NUMBER = N_("The demand number")
TITLE_LIMIT = 120
BODY_LIMIT = 2000
REASON_LIMIT = 500
SIMILARITY = 72  # 0-100; above this a demand is shown as a possible duplicate
PAGE_SIZE = 10

THEMES: dict[str, str] = {
    "retirement": N_("retirement"),
    "training": N_("training"),
    "parenthood": N_("parenthood"),
    "unemployment": N_("unemployment"),
    "platforms": N_("platforms"),
    "housing_credit": N_("housing and credit"),
    "tax": N_("tax"),
    "other": N_("other"),
}
THEME_WORDS: dict[str, str] = {
    "retraite": "retirement", "retirement": "retirement",
    "formation": "training", "training": "training",
    "parentalite": "parenthood", "parenthood": "parenthood",
    "chomage": "unemployment", "unemployment": "unemployment",
    "plateformes": "platforms", "plateforme": "platforms", "platforms": "platforms",
    "logement": "housing_credit", "credit": "housing_credit",
    "logement-et-credit": "housing_credit", "logement et credit": "housing_credit",
    "housing": "housing_credit", "housing_credit": "housing_credit",
    "fiscalite": "tax", "impots": "tax", "tax": "tax",
    "autre": "other", "other": "other",
}
STATUSES: dict[str, str] = {
    "open": N_("open"),
    "retained": N_("retained"),
    "voting": N_("put to a vote"),
    "adopted": N_("adopted"),
    "rejected": N_("rejected"),
    "merged": N_("merged"),
}
STATUS_WORDS: dict[str, str] = {
    "ouverte": "open", "ouvertes": "open", "open": "open",
    "retenue": "retained", "retenues": "retained", "retained": "retained",
    "vote": "voting", "soumise": "voting", "voting": "voting",
    "adoptee": "adopted", "adoptees": "adopted", "adopted": "adopted",
    "rejetee": "rejected", "rejetees": "rejected", "rejected": "rejected",
    "fusionnee": "merged", "merged": "merged",
}
LIVE = ("open", "retained")


def parse_theme(word: str) -> str:
    theme = THEME_WORDS.get(fold(word).strip())
    if theme is None:
        raise InvalidInput(
            N_("Unknown theme “{word}”. Themes: {choices}."),
            word=word[:40],
            choices="retraite, formation, parentalite, chomage, plateformes, logement, "
                    "fiscalite, autre",
        )
    return theme


def parse_status(word: str) -> str:
    status = STATUS_WORDS.get(fold(word).strip())
    if status is None:
        raise InvalidInput(
            N_("Unknown status “{word}”. Statuses: {choices}."),
            word=word[:40],
            choices="ouverte, retenue, vote, adoptee, rejetee, fusionnee",
        )
    return status


@dataclass(frozen=True, slots=True)
class Draft:
    title: str | None = None
    body: str | None = None
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class DemandInfo:
    id: int
    title: str
    body: str
    theme: str
    status: str
    supports: int
    supported_by_you: bool
    reason: str | None
    merged_into: int | None
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Similar:
    demand: DemandInfo
    score: int


@dataclass(frozen=True, slots=True)
class ProposeResult:
    created: DemandInfo | None
    similar: tuple[Similar, ...]
    channels: tuple[tuple[str, str, str], ...] = ()  # (platform, collective, channel)


@dataclass(frozen=True, slots=True)
class Adopted:
    demand: DemandInfo
    poll_id: int | None


@dataclass(frozen=True, slots=True)
class DemandPage:
    items: tuple[DemandInfo, ...]
    page: int
    pages: int
    theme: str | None
    status: str | None


def _draft_fields(draft: Draft) -> tuple[str, str, str]:
    title, body, theme = clean_line(draft.title), clean_block(draft.body), draft.theme
    missing = {key: label for key, label, value in (
        ("title", N_("title"), title), ("body", N_("text"), body), ("theme", N_("theme"), theme)
    ) if not value}
    if missing:
        raise MissingFields(missing)
    for label, value, limit in ((N_("title"), title, TITLE_LIMIT), (N_("text"), body, BODY_LIMIT)):
        if len(value) > limit:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most (you sent {length})."),
                field=label, limit=limit, length=len(value),
            )
    assert theme is not None
    if theme not in THEMES:
        theme = parse_theme(theme)
    return title, body, theme


def similarity(title: str, body: str, other_title: str, other_body: str) -> int:
    """How alike two demands are, 0-100: titles weigh most, texts confirm."""
    a_title, b_title = fold(title), fold(other_title)
    title_score = max(fuzz.token_set_ratio(a_title, b_title), fuzz.ratio(a_title, b_title))
    body_score = fuzz.token_set_ratio(fold(body), fold(other_body))
    return round(max(title_score, 0.7 * title_score + 0.3 * body_score))


class DemandService:
    def __init__(self, db: Database, *, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris", cooldown: float = 0) -> None:
        self.db = db
        self.cooldown = cooldown  # seconds between two creations by one member
        self.defaults = {"locale": default_locale, "timezone": default_timezone}

    async def _scope(self, session: AsyncSession, place: Place) -> tuple[Collective, Scope]:
        collective = await ensure_collective(session, place, **self.defaults)
        return collective, await scope_of(session, collective, WORKFLOW)

    @staticmethod
    def _support_counts() -> Subquery:
        return (
            select(ProposalSupport.proposal_id, func.count().label("n"))
            .group_by(ProposalSupport.proposal_id)
            .subquery()
        )

    async def _infos(
        self, session: AsyncSession, proposals: list[Proposal], person_id: int | None
    ) -> list[DemandInfo]:
        ids = [p.id for p in proposals]
        if not ids:
            return []
        counts = dict((await session.execute(
            select(ProposalSupport.proposal_id, func.count())
            .where(ProposalSupport.proposal_id.in_(ids))
            .group_by(ProposalSupport.proposal_id)
        )).all())
        mine: set[int] = set()
        if person_id is not None:
            mine = set(await session.scalars(
                select(ProposalSupport.proposal_id).where(
                    ProposalSupport.proposal_id.in_(ids), ProposalSupport.person_id == person_id
                )
            ))
        return [
            DemandInfo(p.id, p.title, p.body, p.theme, p.status, counts.get(p.id, 0),
                       p.id in mine, p.reason, p.merged_into_id, p.created_at, p.decided_at)
            for p in proposals
        ]

    async def _get(self, session: AsyncSession, scope: Scope, number: int) -> Proposal:
        proposal = await session.get(Proposal, record_id(number, field=DEMAND_NUMBER))
        if proposal is None or proposal.collective_id not in scope.collective_ids:
            raise NotFound(N_("There is no demand number {number} here."), number=number)
        return proposal

    async def similar(
        self, session: AsyncSession, scope: Scope, title: str, body: str,
        person_id: int | None, exclude: int | None = None,
    ) -> tuple[Similar, ...]:
        rows = list(await session.scalars(
            select(Proposal).where(
                Proposal.collective_id.in_(scope.collective_ids),
                Proposal.status.in_(LIVE),
                Proposal.id != (exclude or 0),
            )
        ))
        scored = [(similarity(title, body, p.title, p.body), p) for p in rows]
        close = sorted([(s, p) for s, p in scored if s >= SIMILARITY],
                       key=lambda item: (-item[0], item[1].id))[:3]
        infos = await self._infos(session, [p for _s, p in close], person_id)
        return tuple(Similar(info, score) for (score, _p), info in zip(close, infos, strict=True))

    async def propose(
        self, actor: Actor, place: Place, draft: Draft, *, force: bool = False
    ) -> ProposeResult:
        """Save a demand, unless similar open ones exist and ``force`` is not set:
        then they are returned so the member can support one instead."""
        title, body, theme = _draft_fields(draft)
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            if not force:
                close = await self.similar(session, scope, title, body, member.person_id)
                if close:
                    return ProposeResult(None, close)
            if not actor.is_moderator:
                await cooldown.check(session, Proposal.created_at, Proposal.person_id,
                                     member.person_id, self.cooldown)
            proposal = Proposal(collective_id=collective.id, person_id=member.person_id,
                                title=title, body=body, theme=theme)
            session.add(proposal)
            await session.flush()
            session.add(ProposalSupport(proposal_id=proposal.id, person_id=member.person_id))
            await session.flush()
            info = (await self._infos(session, [proposal], member.person_id))[0]
            return ProposeResult(info, ())

    async def show(self, actor: Actor, place: Place, number: int) -> DemandInfo:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor)
            proposal = await self._get(session, scope, number)
            return (await self._infos(session, [proposal], member.person_id))[0]

    async def support(
        self, actor: Actor, place: Place, number: int, *, remove: bool = False
    ) -> DemandInfo:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, _collective)
            proposal = await self._get(session, scope, number)
            if proposal.status == "merged" and proposal.merged_into_id:
                proposal = await self._get(session, scope, proposal.merged_into_id)
            if proposal.status not in LIVE:
                raise InvalidInput(
                    N_("Demand {number} is no longer open to support."), number=proposal.id
                )
            existing = await session.scalar(
                select(ProposalSupport).where(
                    ProposalSupport.proposal_id == proposal.id,
                    ProposalSupport.person_id == member.person_id,
                )
            )
            if remove and existing is not None:
                await session.delete(existing)
            elif not remove and existing is None:
                await session.execute(
                    insert_for(session, ProposalSupport)
                    .values(proposal_id=proposal.id, person_id=member.person_id,
                            created_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["proposal_id", "person_id"])
                )
            await session.flush()
            return (await self._infos(session, [proposal], member.person_id))[0]

    async def listing(
        self, actor: Actor, place: Place, *, theme: str | None = None,
        status: str | None = None, page: int = 1,
    ) -> DemandPage:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor)
            where = [Proposal.collective_id.in_(scope.collective_ids)]
            if theme:
                where.append(Proposal.theme == theme)
            where.append(Proposal.status == status if status else Proposal.status != "merged")
            total = await session.scalar(select(func.count()).select_from(Proposal).where(*where))
            pages = max(1, -(-(total or 0) // PAGE_SIZE))
            if not 1 <= page <= pages:
                raise InvalidInput(
                    N_("There is no page {page}: choose a page from 1 to {pages}."),
                    page=page, pages=pages,
                )
            counts = self._support_counts()
            rows = list(await session.scalars(
                select(Proposal)
                .outerjoin(counts, counts.c.proposal_id == Proposal.id)
                .where(*where)
                .order_by(func.coalesce(counts.c.n, 0).desc(), Proposal.id)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            ))
            items = await self._infos(session, rows, member.person_id)
            return DemandPage(tuple(items), page, pages, theme, status)

    async def charter(self, actor: Actor, place: Place) -> tuple[Adopted, ...]:
        """The cahier de revendications: adopted demands, with the poll that adopted
        each one and when."""
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor)
            rows = list(await session.scalars(
                select(Proposal).where(Proposal.collective_id.in_(scope.collective_ids),
                                       Proposal.status == "adopted")
                .order_by(Proposal.decided_at, Proposal.id)
            ))
            infos = await self._infos(session, rows, member.person_id)
            polls = dict((await session.execute(
                select(PollOption.proposal_id, Poll.id)
                .join(Poll, Poll.id == PollOption.poll_id)
                .where(PollOption.proposal_id.in_([p.id for p in rows]),
                       Poll.status == "closed")
                .order_by(Poll.closed_at)
            )).all())
            return tuple(Adopted(info, polls.get(info.id)) for info in infos)

    # -- moderators --------------------------------------------------------------

    async def _moderate(
        self, session: AsyncSession, actor: Actor, place: Place
    ) -> tuple[Collective, Scope, Member]:
        if not actor.is_moderator:
            raise PermissionDenied()
        collective, scope = await self._scope(session, place)
        return collective, scope, await ensure_member(session, actor)

    async def merge(self, actor: Actor, place: Place, source: int, target: int) -> DemandInfo:
        """Fold ``source`` into ``target``: supports carried over, never twice."""
        if source == target:
            raise InvalidInput(N_("Choose two different demands to merge."))
        async with self.db.transaction() as session:
            collective, scope, member = await self._moderate(session, actor, place)
            from_ = await self._get(session, scope, source)
            into = await self._get(session, scope, target)
            for item in (from_, into):
                if item.status not in LIVE:
                    raise InvalidInput(
                        N_("Demand {number} is no longer open to support."), number=item.id
                    )
            supporters = list(await session.scalars(
                select(ProposalSupport.person_id).where(ProposalSupport.proposal_id == source)
            ))
            for person_id in supporters:
                await session.execute(
                    insert_for(session, ProposalSupport)
                    .values(proposal_id=target, person_id=person_id, created_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["proposal_id", "person_id"])
                )
            from_.status = "merged"
            from_.merged_into_id = target
            from_.decided_at = from_.updated_at = utcnow()
            await audit.record(session, actor, member, collective, "demand.merge",
                               f"{source} -> {target}")
            await session.flush()
            return (await self._infos(session, [into], member.person_id))[0]

    async def reject(self, actor: Actor, place: Place, number: int, reason: str) -> DemandInfo:
        reason = clean_block(reason)
        if not reason:
            raise InvalidInput(N_("Give the reason for the rejection: it is shown publicly."))
        if len(reason) > REASON_LIMIT:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most (you sent {length})."),
                field=N_("reason"), limit=REASON_LIMIT, length=len(reason),
            )
        return await self._decide(actor, place, number, "rejected", reason)

    async def retain(self, actor: Actor, place: Place, number: int) -> DemandInfo:
        return await self._decide(actor, place, number, "retained", None)

    async def _decide(
        self, actor: Actor, place: Place, number: int, status: str, reason: str | None
    ) -> DemandInfo:
        async with self.db.transaction() as session:
            collective, scope, member = await self._moderate(session, actor, place)
            proposal = await self._get(session, scope, number)
            if proposal.status not in LIVE:
                raise InvalidInput(
                    N_("Demand {number} is no longer open to support."), number=proposal.id
                )
            proposal.status = status
            proposal.reason = reason
            proposal.decided_at = proposal.updated_at = utcnow()
            await audit.record(session, actor, member, collective, f"demand.{status}",
                               str(number))
            await session.flush()
            return (await self._infos(session, [proposal], member.person_id))[0]
