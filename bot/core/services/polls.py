"""Polls (scrutins): create, vote, close on time, results, export for recount.

Polls belong to the demands workflow's scope. Who may learn what is written in
the README (« Who may learn what »); in short: a ballot holds no voter identity
in a secret poll, no time, no ordered id and no collective. Its ``slot`` is a
keyed hash of the poll and the voter's random person token, and each account of
the voter gets a voter record (a keyed hash of the poll and the account), so one
person has one ballot whatever they link, unlink or erase while the poll is open
(see :mod:`bot.core.ballot_keys`). A member may change their ballot until closing
(the latest counts), unless the poll's ballots are final (``modifiable=non``):
then the ballot's slot is random and even the ballot key cannot lead back to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import voting
from bot.core.ballot_keys import BallotKeys
from bot.core.dates import parse_when
from bot.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.scheduler import cancel, schedule
from bot.core.services import audit
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    scope_of,
    workflow_channels,
)
from bot.core.services.tribune import WORKFLOW as TRIBUNE
from bot.core.text import clean_line, fold
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    Ballot,
    BotState,
    Collective,
    Member,
    Membership,
    Person,
    Poll,
    PollOption,
    PollTurnout,
    PollVoter,
    Proposal,
    Signature,
    new_token,
    utcday,
    utcnow,
)

log = logging.getLogger(__name__)

WORKFLOW = "demands"
CLOSE_JOB = "poll.close"
OPEN_JOB = "poll.open"
OPTION_KEYS = "ABCDEFGHIJKLMNOPQRST"
MIN_OPTIONS, MAX_OPTIONS = 2, 20
TITLE_LIMIT = 200
LABEL_LIMIT = 200
BATCH_LIMIT = 1000  # ballots written in one transaction
IN_CHUNK = 400  # values in one IN (...) list
QUORUM_MAX = 1_000_000
LEGACY_STATE = "polls.keys"  # set by revision 0011 when old keyed rows need converting
ALREADY_FINAL = N_("You have already voted in this poll, and its ballots are final: they "
                   "cannot be changed.")
VOTED_ELSEWHERE = N_("A ballot was already cast in this poll from this account or from an "
                     "account that was linked to it. It stays counted, and nobody gets a "
                     "second one: one person, one ballot. It can be changed only from the "
                     "accounts still linked to the one that cast it.")
LINK_FINAL = N_("Both accounts have voted in poll {numbers}, whose ballots are final: one of "
                "the two ballots cannot be withdrawn, so the accounts can be linked only once "
                "that poll is closed.")
RESULTS_AT_CLOSE = N_("The results of this poll are shown when it closes, to everyone "
                      "(moderators included).")
SIGNATORIES_ONLY = N_("Only signatories of the tribune may vote in this poll: sign it first "
                      "with !tribune signer.")

METHOD_WORDS = {
    "unique": "single", "simple": "single", "single": "single",
    "approbation": "approval", "approval": "approval", "plusieurs": "approval",
    "schulze": "schulze", "classement": "schulze", "ranked": "schulze",
    "irv": "irv", "alternatif": "irv", "instant-runoff": "irv",
    "jugement": "majority_judgment", "jugement-majoritaire": "majority_judgment",
    "majority_judgment": "majority_judgment", "mj": "majority_judgment",
}
METHODS = {
    "single": N_("single choice"),
    "approval": N_("approval (several choices)"),
    "schulze": N_("ranked choice (Schulze)"),
    "irv": N_("ranked choice (instant-runoff)"),
    "majority_judgment": N_("majority judgment"),
}
GRADE_WORDS = {
    "excellent": "excellent", "tres-bien": "tres_bien", "tresbien": "tres_bien",
    "tres_bien": "tres_bien", "bien": "bien", "assez-bien": "assez_bien",
    "assezbien": "assez_bien", "assez_bien": "assez_bien", "passable": "passable",
    "insuffisant": "insuffisant", "a-rejeter": "a_rejeter", "arejeter": "a_rejeter",
    "a_rejeter": "a_rejeter", "rejeter": "a_rejeter",
    "very-good": "tres_bien", "good": "bien", "fair": "assez_bien",
    "poor": "insuffisant", "reject": "a_rejeter",
}
ELIGIBILITY = ("everyone", "signatories", "role")

BALLOT_MESSAGES = {
    voting.Reason.UNKNOWN_OPTION: N_("There is no option “{value}” in this poll. "
                                     "Options: {options}."),
    voting.Reason.REPEATED_OPTION: N_("Option {value} appears twice in your ballot: "
                                      "give each option once."),
    voting.Reason.EMPTY: N_("Your ballot is empty. Choose at least one option."),
    voting.Reason.TOO_MANY: N_("You chose {value} options; this poll allows {limit} at most."),
    voting.Reason.TIED: N_("Instant-runoff needs a strict order: do not rank options equal "
                           "(use > between every option)."),
    voting.Reason.BAD_GRADE: N_("“{value}” is not a grade. Grades: excellent, tres-bien, bien, "
                                "assez-bien, passable, insuffisant, a-rejeter."),
    voting.Reason.MALFORMED: N_("This ballot is not understood. Examples: {examples}."),
}
EXAMPLES = {
    "single": "!vote N B",
    "approval": "!vote N A,C",
    "schulze": "!vote N B>A>C",
    "irv": "!vote N B>A>C",
    "majority_judgment": "!vote N A=bien B=passable",
}


def parse_method(word: str) -> str:
    method = METHOD_WORDS.get(fold(word).strip())
    if method is None:
        raise InvalidInput(
            N_("Unknown voting method “{word}”. Methods: {choices}."),
            word=word[:40], choices="unique, approbation, schulze, irv, jugement",
        )
    return method


def parse_ballot(method: str, text: str) -> Any:
    """The text form of a ballot (``B``, ``A,C``, ``B>A=C``, ``A=bien B=passable``,
    ``blanc``) as the value :func:`voting.validate` expects."""
    text = text.strip()
    if fold(text) in {"blanc", "blank", ""}:
        return {} if method == "majority_judgment" else (None if method == "single" else ())
    if method == "single":
        return text.upper()
    if method == "approval":
        return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]
    if method in ("schulze", "irv"):
        return tuple(
            tuple(key.strip().upper() for key in group.split("=") if key.strip())
            for group in text.replace(" ", "").split(">")
        )
    grades: dict[str, str] = {}
    for part in text.replace(",", " ").split():
        key, sep, grade = part.partition("=")
        if not sep:
            raise voting.BallotError(voting.Reason.MALFORMED, part)
        word = fold(grade).strip()
        grades[key.strip().upper()] = GRADE_WORDS.get(word, word)
    return grades


@dataclass(frozen=True, slots=True)
class PollDraft:
    title: str | None = None
    method: str | None = None
    options: tuple[str, ...] = ()
    proposals: tuple[int, ...] = ()
    opens: str | None = None
    closes: str | None = None
    quorum: str | None = None
    eligibility: str = "everyone"
    role: str | None = None
    secret: bool = True
    live_results: bool = False
    receipts: bool = False
    max_choices: int | None = None
    eligible_count: int | None = None
    final: bool = False


@dataclass(frozen=True, slots=True)
class OptionInfo:
    key: str
    label: str
    proposal_id: int | None


@dataclass(frozen=True, slots=True)
class PollInfo:
    id: int
    title: str
    method: str
    status: str
    options: tuple[OptionInfo, ...]
    opens_at: datetime
    closes_at: datetime
    timezone: str
    secret: bool
    live_results: bool
    receipts: bool
    eligibility: str
    quorum_ballots: int | None
    quorum_percent: int | None
    ballots: int
    voted: bool
    final: bool = False


def _among(session: AsyncSession, column: Any, values: list[Any]) -> list[Any]:
    """Conditions that together say ``column IN values``: one array parameter on
    PostgreSQL (one prepared statement whatever the count), lists of at most
    ``IN_CHUNK`` values elsewhere."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return [column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))]
    return [column.in_(values[start:start + IN_CHUNK]) for start in range(0, len(values), IN_CHUNK)]


def _table_insert(session: AsyncSession, model: type[Any]) -> Any:
    """A Core INSERT on the model's table (``on_conflict_do_*`` for the backend):
    many rows in one executemany, without the ORM's per-row work."""
    table = model.__table__
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


class _ConcurrentVote(Exception):
    """A voter record appeared while a batch was being written (another process)."""


@dataclass(frozen=True, slots=True)
class _PendingVote:
    actor: Actor
    place: Place
    number: int
    ballot: Any
    future: asyncio.Future[VoteResult]


@dataclass(frozen=True, slots=True)
class VoteResult:
    poll: PollInfo
    replaced: bool
    receipt: str | None


@dataclass(frozen=True, slots=True)
class PollResult:
    poll: PollInfo
    final: bool
    winners: tuple[str, ...]
    ranking: tuple[tuple[str, ...], ...]
    figures: dict[str, str]
    ballots: int
    blank: int
    quorum_reached: bool
    turnout: float | None
    by_collective: tuple[tuple[str, int], ...]
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultAnnouncement:
    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str
    result: PollResult


@dataclass(frozen=True, slots=True)
class VotedPoll:
    """A poll a person is known to have voted in, for their data export. ``ballot``
    is the ballot's content for public polls only (``"B"``, ``"B>A>C"``...); a
    secret ballot is never given back, not even to its author."""

    id: int
    title: str
    status: str
    secret: bool
    ballot: str | None


@dataclass(frozen=True, slots=True)
class PollExport:
    filename: str
    content: bytes
    ballots: int


def option_figures(result: voting.TallyResult[Any]) -> dict[str, str]:
    """A short figure per option for display."""
    figures: dict[str, str] = {}
    for key, score in result.scores.items():
        if isinstance(score, int):
            figures[key] = str(score)
        elif isinstance(score, voting.SchulzeScore):
            figures[key] = str(score.wins)
        elif isinstance(score, voting.IrvScore):
            figures[key] = str(score.votes[-1]) if score.votes else "0"
        elif isinstance(score, voting.MjScore):
            figures[key] = score.majority_grade.value if score.majority_grade else "-"
        else:  # pragma: no cover - a new method must say how it shows
            figures[key] = str(score)
    return figures


# How many members a collective has (its external id; a role id, or None for everyone),
# as its platform adapter knows them; None when it cannot tell.
MemberCounter = Callable[[str, "str | None"], Awaitable["int | None"]]


class PollService:
    def __init__(self, db: Database, ballot_key: bytes, *, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris") -> None:
        self.db = db
        self.keys = BallotKeys(ballot_key)
        self.defaults = {"locale": default_locale, "timezone": default_timezone}
        self._box: list[_PendingVote] = []
        self._option_cache: dict[tuple[int, datetime], tuple[OptionInfo, ...]] = {}
        self._writer: asyncio.Task[None] | None = None
        # Filled by the adapters (platform value -> counter): the number of eligible
        # members behind a quorum given as a percentage.
        self.member_counters: dict[str, MemberCounter] = {}

    async def _eligible_count(self, session: AsyncSession, collective: Collective,
                              scope: Scope, draft: PollDraft) -> int | None:
        """Members who may vote: tribune signatories of the scope, members of a role of
        the home collective, or every member of the scope's collectives (as far as the
        running adapters can count them; None when none can)."""
        if draft.eligible_count is not None:
            return draft.eligible_count
        if draft.eligibility == "signatories":
            return await session.scalar(
                select(func.count(func.distinct(Signature.person_id))).where(
                    Signature.collective_id.in_(
                        (await scope_of(session, collective, TRIBUNE)).collective_ids)
                )
            )
        if draft.eligibility == "role":
            counter = self.member_counters.get(collective.platform)
            return await counter(collective.external_id, draft.role) if counter else None
        rows = await session.execute(
            select(Collective.platform, Collective.external_id)
            .where(Collective.id.in_(scope.collective_ids))
        )
        counts = []
        for platform, external_id in rows:
            counter = self.member_counters.get(platform)
            if counter is not None:
                counts.append(await counter(external_id, None))
        known = [c for c in counts if c is not None]
        return sum(known) if known else None

    @staticmethod
    async def _persons(session: AsyncSession, person_ids: set[int]
                       ) -> tuple[dict[int, list[tuple[str, str]]], dict[int, str]]:
        """Each person's accounts (platform, user id) and token."""
        accounts: dict[int, list[tuple[str, str]]] = {p: [] for p in person_ids}
        tokens: dict[int, str] = {}
        if not person_ids:
            return accounts, tokens
        ids = sorted(person_ids)
        for condition in _among(session, Member.person_id, ids):
            for platform, user_id, person_id, token in await session.execute(
                    select(Member.platform, Member.user_id, Member.person_id, Person.token)
                    .join(Person, Person.id == Member.person_id).where(condition)):
                accounts[person_id].append((platform, user_id))
                tokens[person_id] = token
        return accounts, tokens

    def _voter_keys(self, poll_id: int, accounts: list[tuple[str, str]]) -> list[str]:
        return [self.keys.voter(poll_id, platform, user) for platform, user in accounts]

    @staticmethod
    async def _recorded(session: AsyncSession, poll_id: int, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for condition in _among(session, PollVoter.voter_key, keys):
            found.update(await session.scalars(select(PollVoter.voter_key).where(
                PollVoter.poll_id == poll_id, condition)))
        return found

    async def _options(self, session: AsyncSession, poll: Poll) -> tuple[OptionInfo, ...]:
        """A poll's options, read once per process (they do not change)."""
        key = (poll.id, poll.created_at)
        if key not in self._option_cache:
            self._option_cache[key] = tuple(
                OptionInfo(o.key, o.label, o.proposal_id) for o in await session.scalars(
                    select(PollOption).where(PollOption.poll_id == poll.id)
                    .order_by(PollOption.key)))
        return self._option_cache[key]

    async def _has_voted(self, session: AsyncSession, poll_id: int, person_id: int) -> bool:
        accounts, _tokens = await self._persons(session, {person_id})
        return bool(await self._recorded(session, poll_id,
                                         self._voter_keys(poll_id, accounts[person_id])))

    async def _scope(self, session: AsyncSession, place: Place) -> tuple[Collective, Scope]:
        collective = await ensure_collective(session, place, **self.defaults)
        return collective, await scope_of(session, collective, WORKFLOW)

    async def _poll(self, session: AsyncSession, scope: Scope, number: int) -> Poll:
        poll = await session.get(Poll, number)
        if poll is None or poll.collective_id not in scope.collective_ids:
            raise NotFound(N_("There is no poll number {number} here."), number=number)
        return poll

    async def _info(
        self, session: AsyncSession, poll: Poll, timezone: str, person_id: int | None
    ) -> PollInfo:
        options = await self._options(session, poll)
        ballots = await session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)
        ) or 0
        voted = False
        if person_id is not None and poll.status != "closed":
            voted = await self._has_voted(session, poll.id, person_id)
        return PollInfo(
            poll.id, poll.title, poll.method, poll.status,
            options,
            poll.opens_at, poll.closes_at, timezone, poll.secret, poll.live_results,
            poll.receipts, poll.eligibility, poll.quorum_ballots, poll.quorum_percent,
            ballots, voted, poll.final,
        )

    # -- persons: erasure and data export ----------------------------------------

    async def voted_in(self, session: AsyncSession, person_id: int) -> list[VotedPoll]:
        """The polls ``person_id`` is known to have voted in: open polls through the
        voter records of their accounts, and polls where their ballot is public."""
        accounts, _tokens = await self._persons(session, {person_id})
        found: dict[int, VotedPoll] = {}
        for poll in await session.scalars(select(Poll).where(Poll.status == "open")
                                          .order_by(Poll.id)):
            if await self._recorded(session, poll.id,
                                    self._voter_keys(poll.id, accounts[person_id])):
                found[poll.id] = VotedPoll(poll.id, poll.title, poll.status, poll.secret, None)
        for poll, content in await session.execute(
                select(Poll, Ballot.content).join(Ballot, Ballot.poll_id == Poll.id)
                .where(Ballot.person_id == person_id).order_by(Poll.id)):
            found[poll.id] = VotedPoll(poll.id, poll.title, poll.status, poll.secret,
                                       ballot_text(poll.method, content))
        return [found[key] for key in sorted(found)]

    async def _mark_all_accounts(self, session: AsyncSession,
                                 accounts: list[tuple[str, str]]) -> list[Poll]:
        """Give every one of ``accounts`` a voter record in each open poll where one
        of them has one; returns the open polls."""
        polls = list(await session.scalars(select(Poll).where(Poll.status == "open")))
        rows = []
        for poll in polls:
            keys = self._voter_keys(poll.id, accounts)
            if await self._recorded(session, poll.id, keys):
                rows += [{"poll_id": poll.id, "voter_key": key} for key in sorted(keys)]
        if rows:
            await session.execute(
                _table_insert(session, PollVoter)
                .on_conflict_do_nothing(index_elements=["poll_id", "voter_key"]), rows)
        return polls

    async def before_erase(self, session: AsyncSession, person_id: int) -> None:
        """Called in the erasure transaction before the person's rows are deleted.

        Their ballots stay counted: public ones lose the name (``person_id`` is set
        to NULL by the foreign key), and no slot can be found again once the
        person's token is deleted. Every account of theirs keeps a voter record in
        the open polls they voted in, so those accounts cast no new ballot there
        until the poll closes (the records go at the close)."""
        accounts, _tokens = await self._persons(session, {person_id})
        await self._mark_all_accounts(session, accounts[person_id])

    async def before_split(self, session: AsyncSession, person_id: int) -> None:
        """Called before an account is unlinked from ``person_id``: both sides stay
        marked as having voted where the person voted."""
        accounts, _tokens = await self._persons(session, {person_id})
        await self._mark_all_accounts(session, accounts[person_id])

    async def before_merge(self, session: AsyncSession, keep: int, gone: int) -> None:
        """Called before person ``gone`` is merged into ``keep`` (two accounts linked).

        In each open poll where both voted, the latest ballot is kept (under
        ``keep``'s slot) and the other removed; where only ``gone`` voted, their
        ballot moves to ``keep``'s slot. Polls with final ballots cannot drop one of
        two ballots: linking is refused until they close."""
        accounts, tokens = await self._persons(session, {keep, gone})
        together = accounts[keep] + accounts[gone]
        conflicts: list[int] = []
        for poll in await session.scalars(select(Poll).where(Poll.status == "open")
                                          .order_by(Poll.id)):
            if poll.final:
                if (await self._recorded(session, poll.id,
                                         self._voter_keys(poll.id, accounts[keep]))
                        and await self._recorded(session, poll.id,
                                                 self._voter_keys(poll.id, accounts[gone]))):
                    conflicts.append(poll.id)
                continue
            kept_slot = self.keys.slot(poll.id, tokens[keep])
            gone_slot = self.keys.slot(poll.id, tokens[gone])
            rows = {b.slot: b for b in await session.scalars(select(Ballot).where(
                Ballot.poll_id == poll.id, Ballot.slot.in_((kept_slot, gone_slot))))}
            kept, other = rows.get(kept_slot), rows.get(gone_slot)
            if other is None:
                continue
            if kept is None:
                await session.execute(update(Ballot).where(
                    Ballot.poll_id == poll.id, Ballot.slot == gone_slot).values(
                    slot=kept_slot, person_id=None if poll.secret else keep))
                continue
            kept_seal, other_seal = self.keys.unseal(kept.seal), self.keys.unseal(other.seal)
            dropped = other
            if (other_seal or (0, 0))[0] > (kept_seal or (0, 0))[0]:
                kept.content, kept.seal, kept.receipt = other.content, other.seal, other.receipt
                dropped_seal = kept_seal
            else:
                dropped_seal = other_seal
            await session.delete(dropped)
            if dropped_seal is not None:
                await session.execute(update(PollTurnout).where(
                    PollTurnout.poll_id == poll.id,
                    PollTurnout.collective_id == dropped_seal[1],
                    PollTurnout.ballots > 0).values(ballots=PollTurnout.ballots - 1))
        if conflicts:
            raise InvalidInput(LINK_FINAL, numbers=", ".join(map(str, conflicts)))
        await session.flush()
        await self._mark_all_accounts(session, together)

    async def upgrade_keys(self) -> int:
        """Convert the slots and voter records of open polls written by versions
        keyed by person id (revision 0011 notes it in ``bot_state``); once."""
        async with self.db.transaction() as session:
            state = await session.get(BotState, LEGACY_STATE)
            if state is None:
                return 0
            converted = 0
            polls = list(await session.scalars(select(Poll).where(Poll.status != "closed")))
            people = (await session.execute(select(Person.id, Person.token))).tuples().all()
            accounts, _tokens = await self._persons(session, {p for p, _ in people})
            for poll in polls:
                slots = {b.slot: b for b in await session.scalars(
                    select(Ballot).where(Ballot.poll_id == poll.id))}
                voters = set(await session.scalars(
                    select(PollVoter.voter_key).where(PollVoter.poll_id == poll.id)))
                marked: list[dict[str, Any]] = []
                for person_id, token in people:
                    old_slot = (self.keys.legacy("ballot", poll.id, person_id) if poll.secret
                                else f"person:{person_id}")
                    ballot = slots.get(old_slot)
                    if ballot is not None:
                        ballot.slot = self.keys.slot(poll.id, token)
                        converted += 1
                    if self.keys.legacy("voter", poll.id, person_id) in voters:
                        marked += [{"poll_id": poll.id, "voter_key": key}
                                   for key in self._voter_keys(poll.id, accounts[person_id])]
                await session.execute(delete(PollVoter).where(PollVoter.poll_id == poll.id))
                if marked:
                    await session.execute(
                        _table_insert(session, PollVoter)
                        .on_conflict_do_nothing(index_elements=["poll_id", "voter_key"]),
                        marked)
            await session.execute(delete(PollVoter).where(
                PollVoter.poll_id.in_(select(Poll.id).where(Poll.status == "closed"))))
            await session.delete(state)
            return converted

    # -- creation ----------------------------------------------------------------

    async def create(self, actor: Actor, place: Place, draft: PollDraft) -> PollInfo:
        if not (actor.is_moderator or actor.is_organiser):
            raise PermissionDenied(N_("Only moderators and organisers can create polls."))
        title = clean_line(draft.title)
        if not title:
            raise InvalidInput(N_("Give the poll a title."))
        if len(title) > TITLE_LIMIT:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most (you sent {length})."),
                field=N_("title"), limit=TITLE_LIMIT, length=len(title),
            )
        method = parse_method(draft.method or "")
        if draft.eligibility not in ELIGIBILITY:
            raise InvalidInput(N_("Eligibility is everyone, signatories or a role."))
        if draft.eligibility == "role" and not draft.role:
            raise InvalidInput(N_("Name the role whose members may vote."))
        quorum_ballots, quorum_percent = _parse_quorum(draft.quorum)
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            labels: list[tuple[str, int | None]] = []
            for number in draft.proposals:
                proposal = await session.get(Proposal, number)
                if proposal is None or proposal.collective_id not in scope.collective_ids:
                    raise NotFound(N_("There is no demand number {number} here."),
                                   number=number)
                if proposal.status not in ("open", "retained"):
                    raise InvalidInput(N_("Demand {number} is no longer open to support."),
                                       number=number)
                labels.append((proposal.title, proposal.id))
            for text in draft.options:
                label = clean_line(text)
                if not label:
                    continue
                if len(label) > LABEL_LIMIT:
                    raise InvalidInput(
                        N_("The {field} is too long: {limit} characters at most "
                           "(you sent {length})."),
                        field=N_("option"), limit=LABEL_LIMIT, length=len(label),
                    )
                labels.append((label, None))
            if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
                raise InvalidInput(
                    N_("A poll needs from {min} to {max} options (you gave {count})."),
                    min=MIN_OPTIONS, max=MAX_OPTIONS, count=len(labels),
                )
            folded = [fold(label) for label, _ in labels]
            if len(set(folded)) != len(folded):
                raise InvalidInput(N_("Two options have the same text: give each option once."))
            now = utcnow()
            opens_at = parse_when(draft.opens, collective.timezone) if draft.opens else now
            if not draft.closes:
                raise InvalidInput(N_("Say when the poll closes, for example fin=\"jeudi 18h\"."))
            closes_at = parse_when(draft.closes, collective.timezone)
            if closes_at <= now:
                raise InvalidInput(N_("The closing time is in the past: choose a later one."))
            if closes_at <= opens_at:
                raise InvalidInput(N_("The poll must close after it opens."))
            if draft.max_choices is not None and not 1 <= draft.max_choices <= len(labels):
                raise InvalidInput(N_("The maximum number of choices must be from 1 to {max}."),
                                   max=len(labels))
            eligible = await self._eligible_count(session, collective, scope, draft)
            if quorum_percent and not eligible:
                raise InvalidInput(N_(
                    "A quorum in percent needs the number of eligible members, which the "
                    "bot cannot count here: give a number of ballots instead, for example "
                    "quorum=10."))
            poll = Poll(
                collective_id=collective.id, person_id=member.person_id, title=title,
                method=method, status="open" if opens_at <= now else "scheduled",
                opens_at=opens_at, closes_at=closes_at, quorum_ballots=quorum_ballots,
                quorum_percent=quorum_percent, eligible_count=eligible,
                eligibility=draft.eligibility, eligible_role=draft.role, secret=draft.secret,
                live_results=draft.live_results, receipts=draft.receipts,
                max_choices=draft.max_choices, created_at=now, final=draft.final,
            )
            session.add(poll)
            await session.flush()
            for key, (label, proposal_id) in zip(OPTION_KEYS, labels, strict=False):
                session.add(PollOption(poll_id=poll.id, key=key, label=label,
                                       proposal_id=proposal_id))
            proposal_ids = [pid for _label, pid in labels if pid is not None]
            if proposal_ids:
                await session.execute(update(Proposal).where(Proposal.id.in_(proposal_ids))
                                      .values(status="voting", updated_at=now))
            if poll.status == "scheduled":
                await schedule(session, OPEN_JOB, opens_at, {"poll": poll.id},
                               key=f"{OPEN_JOB}:{poll.id}")
            await schedule(session, CLOSE_JOB, closes_at, {"poll": poll.id},
                           key=f"{CLOSE_JOB}:{poll.id}")
            await audit.record(session, actor, member, collective, "poll.open",
                               f"{poll.id}: {title}")
            await session.flush()
            return await self._info(session, poll, collective.timezone, member.person_id)

    async def show(self, actor: Actor, place: Place, number: int) -> PollInfo:
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor)
            poll = await self._poll(session, scope, number)
            return await self._info(session, poll, collective.timezone, member.person_id)

    async def listing(self, actor: Actor, place: Place) -> tuple[PollInfo, ...]:
        """Open and scheduled polls, then the five latest closed ones."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor)
            in_scope = Poll.collective_id.in_(scope.collective_ids)
            live = list(await session.scalars(
                select(Poll).where(in_scope, Poll.status.in_(("open", "scheduled")))
                .order_by(Poll.closes_at)
            ))
            done = list(await session.scalars(
                select(Poll).where(in_scope, Poll.status == "closed")
                .order_by(Poll.closed_at.desc()).limit(5)
            ))
            return tuple([await self._info(session, p, collective.timezone, member.person_id)
                          for p in live + done])

    # -- voting ------------------------------------------------------------------

    async def vote(self, actor: Actor, place: Place, number: int, ballot: Any) -> VoteResult:
        """Cast or replace ``actor``'s ballot; returns once it is committed.

        Ballots arriving together are written by one task in one transaction (a
        group commit): under a storm of votes the database commits once per batch
        instead of once per ballot, and SQLite's single writer never waits for a
        lock. Each ballot is still checked on its own and gets its own error. If a
        batch fails as a whole (a conflict with another process), its ballots are
        written again one by one."""
        loop = asyncio.get_running_loop()
        pending = _PendingVote(actor, place, number, ballot, loop.create_future())
        self._box.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_ballots())
        return await pending.future

    async def _write_ballots(self) -> None:
        while self._box:
            batch, self._box = self._box[:BATCH_LIMIT], self._box[BATCH_LIMIT:]
            try:
                outcomes = await self._vote_batch(batch)
            except Exception:
                log.warning("a batch of %d ballots failed; writing them one by one",
                            len(batch), exc_info=True)
                outcomes = []
                for item in batch:
                    try:
                        outcomes.extend(await self._vote_batch([item]))
                    except _ConcurrentVote:
                        outcomes.append(InvalidInput(N_(
                            "Another ballot for you arrived at the same moment: check with "
                            "the poll whether your vote counted, and vote again if needed.")))
                    except Exception as exc:
                        outcomes.append(exc)
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():
                    continue
                if isinstance(outcome, BaseException):
                    item.future.set_exception(outcome)
                else:
                    item.future.set_result(outcome)

    async def _vote_batch(self, batch: list[_PendingVote]) -> list[VoteResult | Exception]:
        """Write a batch of ballots in one transaction; a ballot with a problem gets
        its error and writes nothing.

        Each voter's ballot is found through their person token; every account of
        the voter gets a voter record. A person whose accounts already hold a voter
        record but whose ballot is not theirs to find (it was cast before an unlink
        or an erasure, or the poll's ballots are final) gets no second ballot."""
        outcomes: list[VoteResult | Exception | None] = [None] * len(batch)
        now = utcnow()
        async with self.db.transaction() as session:
            places: dict[Place, tuple[Collective, Scope]] = {}
            polls: dict[tuple[int, int], Poll] = {}
            keys: dict[int, list[str]] = {}
            valid: list[tuple[int, Collective, Poll, str]] = []  # index, collective, poll, content
            for index, item in enumerate(batch):
                try:
                    if item.place not in places:
                        places[item.place] = await self._scope(session, item.place)
                    collective, scope = places[item.place]
                    poll_key = (collective.id, item.number)
                    if poll_key not in polls:
                        polls[poll_key] = await self._poll(session, scope, item.number)
                    poll = polls[poll_key]
                    self._check_open(poll, now)
                    self._check_role(item.actor, poll)
                    if poll.id not in keys:
                        keys[poll.id] = [o.key for o in await self._options(session, poll)]
                    content = self._ballot_content(poll, keys[poll.id], item.ballot)
                except DomainError as exc:
                    outcomes[index] = exc
                    continue
                valid.append((index, collective, poll, content))
            fresh: dict[int, str] = {}  # person id -> token, of persons made just now
            members = await self._members(session, [(batch[i].actor, c) for i, c, _, _ in valid],
                                          fresh)
            signed = await self._signatories(session, [
                (c, members[batch[i].actor.platform.value, batch[i].actor.user_id])
                for i, c, p, _ in valid if p.eligibility == "signatories"])
            person_of = {i: members[batch[i].actor.platform.value, batch[i].actor.user_id]
                         for i, _c, _p, _ in valid}
            accounts, tokens = await self._persons(session, set(person_of.values()) - set(fresh))
            for index, person_id in person_of.items():  # a new person has one account
                if person_id in fresh:
                    actor = batch[index].actor
                    accounts[person_id] = [(actor.platform.value, actor.user_id)]
                    tokens[person_id] = fresh[person_id]
            # What is already there: voter records of every account, and ballots.
            wanted_voters: dict[int, list[str]] = {}
            wanted_slots: dict[int, list[str]] = {}
            voter_keys_of: dict[tuple[int, int], list[str]] = {}
            slot_of: dict[tuple[int, int], str] = {}
            for index, _collective, poll, _content in valid:
                person_id = person_of[index]
                if (poll.id, person_id) in voter_keys_of:
                    continue
                voter_keys_of[poll.id, person_id] = self._voter_keys(poll.id,
                                                                     accounts[person_id])
                wanted_voters.setdefault(poll.id, []).extend(voter_keys_of[poll.id, person_id])
                if not poll.final:
                    slot_of[poll.id, person_id] = self.keys.slot(poll.id, tokens[person_id])
                    if person_id not in fresh:  # a token made just now has no ballot yet
                        wanted_slots.setdefault(poll.id, []).append(slot_of[poll.id, person_id])
            recorded: set[tuple[int, str]] = set()
            for poll_id, voter_keys in wanted_voters.items():
                recorded.update((poll_id, k) for k in
                                await self._recorded(session, poll_id, sorted(set(voter_keys))))
            existing: dict[tuple[int, str], str | None] = {}  # -> receipt
            for poll_id, slots in wanted_slots.items():
                for condition in _among(session, Ballot.slot, sorted(set(slots))):
                    rows = await session.execute(select(Ballot.slot, Ballot.receipt).where(
                        Ballot.poll_id == poll_id, condition))
                    existing.update({(poll_id, slot): receipt for slot, receipt in rows})
            ballots: dict[tuple[int, str], dict[str, Any]] = {}
            voters: set[tuple[int, str]] = set()
            turnout: dict[tuple[int, int], int] = {}
            decided: dict[tuple[int, int], str] = {}  # (poll, person) -> slot, in this batch
            cast: list[tuple[int, Poll, str, bool]] = []  # index, poll, slot, replaced
            for index, collective, poll, content in valid:
                person_id = person_of[index]
                if poll.eligibility == "signatories" and (collective.id, person_id) not in signed:
                    outcomes[index] = PermissionDenied(SIGNATORIES_ONLY)
                    continue
                voter_keys = voter_keys_of[poll.id, person_id]
                slot = decided.get((poll.id, person_id))
                if slot is not None:  # the same person twice in this batch
                    if poll.final:
                        outcomes[index] = InvalidInput(ALREADY_FINAL)
                        continue
                    replaced = True
                else:
                    already = any((poll.id, k) in recorded for k in voter_keys)
                    if poll.final:
                        if already:
                            outcomes[index] = InvalidInput(ALREADY_FINAL)
                            continue
                        slot, replaced = secrets.token_hex(32), False
                    else:
                        slot = slot_of[poll.id, person_id]
                        replaced = (poll.id, slot) in existing
                        if already and not replaced:
                            outcomes[index] = InvalidInput(VOTED_ELSEWHERE)
                            continue
                    if not replaced:
                        key = (poll.id, collective.id)
                        turnout[key] = turnout.get(key, 0) + 1
                    decided[poll.id, person_id] = slot
                previous = ballots.get((poll.id, slot))
                receipt = existing.get((poll.id, slot)) if replaced else None
                if previous is not None:
                    receipt = previous["receipt"]
                elif receipt is None and not replaced and poll.receipts:
                    receipt = secrets.token_hex(4).upper()
                ballots[poll.id, slot] = {
                    "poll_id": poll.id, "slot": slot, "content": content, "receipt": receipt,
                    "person_id": None if poll.secret else person_id,
                    "seal": None if poll.final and poll.secret else self.keys.seal(collective.id),
                }
                voters.update((poll.id, k) for k in voter_keys)
                cast.append((index, poll, slot, replaced))
            if ballots:
                await self._write(session, ballots, voters - recorded, turnout)
            infos: dict[int, PollInfo] = {}
            for index, poll, slot, replaced in cast:
                if poll.id not in infos:
                    collective = places[batch[index].place][0]
                    infos[poll.id] = dataclasses.replace(
                        await self._info(session, poll, collective.timezone, None), voted=True)
                outcomes[index] = VoteResult(infos[poll.id], replaced,
                                             ballots[poll.id, slot]["receipt"])
        return [o if o is not None else RuntimeError("ballot not handled") for o in outcomes]

    async def _write(self, session: AsyncSession, ballots: dict[tuple[int, str], dict[str, Any]],
                     voters: set[tuple[int, str]], turnout: dict[tuple[int, int], int]) -> None:
        """Ballots, voter records and turnout of a batch, each in key order (nothing
        in the order of the rows says in which order the ballots came)."""
        connection = await session.connection()
        statement = _table_insert(session, Ballot)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["poll_id", "slot"],
                set_={"content": statement.excluded.content, "seal": statement.excluded.seal}),
            [ballots[key] for key in sorted(ballots)])
        if voters:
            inserted = (await connection.execute(
                _table_insert(session, PollVoter)
                .on_conflict_do_nothing(index_elements=["poll_id", "voter_key"])
                .returning(PollVoter.poll_id, PollVoter.voter_key),
                [{"poll_id": p, "voter_key": k} for p, k in sorted(voters)])).all()
            if len(inserted) != len(voters):
                # Another process recorded one of these voters since we looked.
                raise _ConcurrentVote
        if turnout:
            statement = _table_insert(session, PollTurnout)
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["poll_id", "collective_id"],
                    set_={"ballots": PollTurnout.ballots + statement.excluded.ballots}),
                [{"poll_id": p, "collective_id": c, "ballots": n}
                 for (p, c), n in sorted(turnout.items())])

    def _check_open(self, poll: Poll, now: datetime) -> None:
        if poll.status == "scheduled" or poll.opens_at > now:
            raise InvalidInput(N_("This poll is not open yet."))
        if poll.status != "open" or poll.closes_at <= now:
            raise InvalidInput(N_("This poll is closed: ballots are no longer accepted."))

    def _ballot_content(self, poll: Poll, keys: list[str], ballot: Any) -> str:
        try:
            normal = voting.validate(poll.method, keys, ballot, max_choices=poll.max_choices)
        except voting.BallotError as exc:
            raise InvalidInput(
                BALLOT_MESSAGES[exc.reason], value=str(exc.value)[:40],
                limit=exc.limit or 0, options=", ".join(keys),
                examples=EXAMPLES[poll.method].replace("N", str(poll.id)),
            ) from None
        return json.dumps(voting.ballot_to_json(poll.method, normal), sort_keys=True)

    async def _members(self, session: AsyncSession, actors: list[tuple[Actor, Collective]],
                       fresh: dict[int, str]) -> dict[tuple[str, str], int]:
        """Person ids of many actors at once (new ones created, their tokens put in
        ``fresh``), each noted as active in its collective: what
        :func:`ensure_member` does, in a few statements."""
        if not actors:  # an empty executemany would insert one row of NULLs
            return {}
        wanted = {(a.platform.value, a.user_id): a for a, _ in actors}
        found: dict[tuple[str, str], tuple[int, int]] = {}  # key -> member id, person id
        pairs = list(wanted)
        by_platform: dict[str, list[str]] = {}
        for platform, user_id in pairs:
            by_platform.setdefault(platform, []).append(user_id)
        for platform, users in by_platform.items():
            for condition in _among(session, Member.user_id, users):
                rows = await session.execute(
                    select(Member.platform, Member.user_id, Member.id, Member.person_id)
                    .where(Member.platform == platform, condition))
                found.update({(p, u): (m, pid) for p, u, m, pid in rows})
        missing = [key for key in pairs if key not in found]
        if missing:
            # New people are alike until their member rows point at them: the order in
            # which the database returns their ids does not matter. Their first seen
            # time is kept to the day, so that it does not date their ballot.
            now = utcday()
            connection = await session.connection()
            people = Person.__table__
            created = (await connection.execute(
                insert(people).returning(people.c.id, people.c.token),
                [{"created_at": now, "token": new_token()} for _ in missing])).all()
            person_ids = [person_id for person_id, _token in created]
            fresh.update({person_id: token for person_id, token in created})
            members = Member.__table__
            rows = await connection.execute(
                insert(members).returning(members.c.platform, members.c.user_id, members.c.id,
                                          members.c.person_id),
                [{"platform": p, "user_id": u, "person_id": pid, "created_at": now,
                  "display_name": (wanted[p, u].display_name or "")[:200]}
                 for (p, u), pid in zip(missing, person_ids, strict=True)])
            found.update({(p, u): (m, pid) for p, u, m, pid in rows})
        memberships = {(found[a.platform.value, a.user_id][0], c.id) for a, c in actors}
        statement = _table_insert(session, Membership)
        await (await session.connection()).execute(
            statement.on_conflict_do_update(
                index_elements=["member_id", "collective_id"], set_={"left_at": None},
                where=Membership.left_at.is_not(None)),
            [{"member_id": m, "collective_id": c, "joined_at": utcday()}
             for m, c in sorted(memberships)])
        return {key: person_id for key, (_, person_id) in found.items()}

    async def _signatories(self, session: AsyncSession, wanted: list[tuple[Collective, int]]
                           ) -> set[tuple[int, int]]:
        """Which (collective id, person id) pairs have signed the tribune of the
        collective's scope."""
        signed: set[tuple[int, int]] = set()
        by_collective: dict[int, tuple[Collective, set[int]]] = {}
        for collective, person_id in wanted:
            by_collective.setdefault(collective.id, (collective, set()))[1].add(person_id)
        for collective, people in by_collective.values():
            scope = await scope_of(session, collective, TRIBUNE)
            people_list = sorted(people)
            for condition in _among(session, Signature.person_id, people_list):
                rows = await session.scalars(select(Signature.person_id).where(
                    Signature.collective_id.in_(scope.collective_ids), condition))
                signed.update((collective.id, person_id) for person_id in rows)
        return signed

    @staticmethod
    def _check_role(actor: Actor, poll: Poll) -> None:
        if poll.eligibility == "role" and poll.eligible_role not in actor.roles:
            level = poll.eligible_role or ""
            allowed = False
            needed = _power_level(level)
            if needed is not None:
                mine = [n for n in map(_power_level, actor.roles) if n is not None]
                allowed = bool(mine) and max(mine) >= needed
            if not allowed:
                raise PermissionDenied(N_("Only members with the required role may vote in "
                                          "this poll."))

    # -- results -----------------------------------------------------------------

    async def _tally(self, session: AsyncSession, poll: Poll, timezone: str,
                     final: bool) -> PollResult:
        options = list(await session.scalars(
            select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.key)))
        keys = [o.key for o in options]
        ballots = [json.loads(content) for content in await session.scalars(
            select(Ballot.content).where(Ballot.poll_id == poll.id))]
        result = voting.tally(poll.method, keys, ballots)
        by_collective: dict[str, int] = {}
        for name, external, count in await session.execute(
                select(Collective.name, Collective.external_id, PollTurnout.ballots)
                .join(Collective, Collective.id == PollTurnout.collective_id)
                .where(PollTurnout.poll_id == poll.id, PollTurnout.ballots > 0)):
            label = name or external or "?"
            by_collective[label] = by_collective.get(label, 0) + count
        counted = result.ballots
        quorum = True
        turnout = None
        if poll.eligible_count:
            turnout = counted / poll.eligible_count
        if poll.quorum_ballots is not None and counted < poll.quorum_ballots:
            quorum = False
        if poll.quorum_percent is not None and (
            not poll.eligible_count or counted * 100 < poll.quorum_percent * poll.eligible_count
        ):
            quorum = False
        info = await self._info(session, poll, timezone, None)
        detail: dict[str, Any] = {}
        if isinstance(result, voting.MajorityJudgmentResult):
            detail["profiles"] = {
                key: [score.grades.get(grade, 0) for grade in voting.GRADES]
                for key, score in result.scores.items()
            }
        return PollResult(
            info, final, result.winners if counted else (), result.ranking,
            option_figures(result), counted, result.blank, quorum, turnout,
            tuple(sorted(by_collective.items())), detail,
        )

    async def results(self, actor: Actor, place: Place, number: int) -> PollResult:
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            poll = await self._poll(session, scope, number)
            if poll.status == "closed" and poll.result:
                return _result_from_json(json.loads(poll.result),
                                         await self._info(session, poll, collective.timezone,
                                                          None))
            if not poll.live_results:
                raise InvalidInput(RESULTS_AT_CLOSE)
            return await self._tally(session, poll, collective.timezone, final=False)

    async def close(
        self, number: int, *, actor: Actor | None = None, place: Place | None = None
    ) -> tuple[PollResult, tuple[ResultAnnouncement, ...]]:
        """Close a poll (its job, or a moderator early), store and announce the result.

        Closing twice is harmless: the stored result is returned again.
        """
        async with self.db.transaction() as session:
            if actor is not None:
                if place is None or not actor.is_moderator:
                    raise PermissionDenied()
                _collective, scope = await self._scope(session, place)
                poll = await self._poll(session, scope, number)
            else:
                poll = await session.get(Poll, number, with_for_update=True)
                if poll is None:
                    raise NotFound(N_("There is no poll number {number} here."), number=number)
            home = await session.get(Collective, poll.collective_id)
            assert home is not None
            timezone = home.timezone
            if poll.status == "closed" and poll.result:
                info = await self._info(session, poll, timezone, None)
                return _result_from_json(json.loads(poll.result), info), ()
            if poll.status == "cancelled":
                raise InvalidInput(N_("This poll was cancelled."))
            poll.status = "closed"
            poll.closed_at = utcnow()
            result = await self._tally(session, poll, timezone, final=True)
            poll.result = json.dumps(_result_to_json(result))
            # Who voted is needed only while ballots may come: it goes at the close,
            # and secret ballots lose what let their voters find them (a slot made
            # random, no seal): after the close even the key leads to no ballot.
            await session.execute(delete(PollVoter).where(PollVoter.poll_id == poll.id))
            if poll.secret:
                await self._unlink_ballots(session, poll.id)
            await self._decide_proposals(session, poll, result)
            if actor is not None:
                member = await ensure_member(session, actor)
                await audit.record(session, actor, member, home, "poll.close", str(poll.id))
                await cancel(session, f"{CLOSE_JOB}:{poll.id}")
            scope = await scope_of(session, home, WORKFLOW)
            announcements = await self._announcements(session, scope, result)
            final = _result_from_json(json.loads(poll.result),
                                      await self._info(session, poll, timezone, None))
        if final.poll.secret:
            await self.db.forget_old_pages()  # the ballots' earlier copies, in the WAL
        return final, announcements

    @staticmethod
    async def _unlink_ballots(session: AsyncSession, poll_id: int) -> None:
        slots = list(await session.scalars(select(Ballot.slot).where(Ballot.poll_id == poll_id)))
        if slots:
            await session.execute(
                update(Ballot.__table__).where(
                    Ballot.__table__.c.poll_id == poll_id,
                    Ballot.__table__.c.slot == bindparam("old"))
                .values(slot=bindparam("new"), seal=None),
                [{"old": slot, "new": secrets.token_hex(32)} for slot in slots])

    async def open_scheduled(self, number: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Poll).where(Poll.id == number,
                                                     Poll.status == "scheduled")
                                  .values(status="open"))

    @staticmethod
    async def _decide_proposals(session: AsyncSession, poll: Poll, result: PollResult) -> None:
        options = list(await session.scalars(select(PollOption).where(
            PollOption.poll_id == poll.id, PollOption.proposal_id.is_not(None))))
        now = utcnow()
        for option in options:
            adopted = result.quorum_reached and option.key in result.winners
            await session.execute(update(Proposal).where(Proposal.id == option.proposal_id)
                                  .values(status="adopted" if adopted else "retained",
                                          decided_at=now if adopted else None, updated_at=now))

    @staticmethod
    async def _announcements(session: AsyncSession, scope: Scope,
                             result: PollResult) -> tuple[ResultAnnouncement, ...]:
        return tuple(
            ResultAnnouncement(c.platform, c.external_id, channel, c.locale, "poll.result",
                               result)
            for c, channel in await workflow_channels(session, scope, WORKFLOW)
        )

    async def export(self, actor: Actor, place: Place, number: int) -> PollExport:
        """The anonymised ballots with method and options, for anyone to recount."""
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            poll = await self._poll(session, scope, number)
            if poll.status != "closed" and not poll.live_results:
                raise InvalidInput(N_("The ballots of this poll can be exported once it is "
                                      "closed: its results are shown at the end."))
            options = list(await session.scalars(
                select(PollOption).where(PollOption.poll_id == poll.id)
                .order_by(PollOption.key)))
            rows = (await session.execute(
                select(Ballot.content, Ballot.receipt).where(Ballot.poll_id == poll.id)
                .order_by(Ballot.content, Ballot.slot)
            )).all()
            member = await ensure_member(session, actor)
            await audit.record(session, actor, member, collective, "poll.export", str(poll.id))
        ballots = [json.loads(content) for content, _receipt in rows]
        document = voting.poll_to_json(poll.method, [o.key for o in options], ballots)
        document.update({
            "format": "independants-bot poll export 1",
            "poll": poll.id,
            "title": poll.title,
            "labels": {o.key: o.label for o in options},
            "closes_at": poll.closes_at.isoformat(),
            "status": poll.status,
        })
        if poll.receipts:
            document["receipts"] = sorted(
                ({"receipt": r, "ballot": json.loads(c)} for c, r in rows if r),
                key=lambda item: item["receipt"],
            )
        content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        return PollExport(f"scrutin-{poll.id}.json", content, len(rows))


def ballot_text(method: str, content: str) -> str:
    """A stored ballot as its voter would type it (``B``, ``A, C``, ``B > A = C``,
    ``A=bien B=passable``); ``blanc`` for a blank ballot."""
    data = json.loads(content)
    if not data:
        return "blanc"
    if method == "single":
        return str(data)
    if method == "approval":
        return ", ".join(data)
    if method in ("schulze", "irv"):
        return " > ".join(" = ".join(group) for group in data)
    return " ".join(f"{key}={str(grade).replace('_', '-')}"
                    for key, grade in sorted(data.items()))


def _parse_quorum(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    text = text.strip()
    percent = text.endswith("%")
    digits = text[:-1].strip() if percent else text
    value = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None
    if percent and value is not None and 1 <= value <= 100:
        return None, value
    if not percent and value is not None and 1 <= value <= QUORUM_MAX:
        return value, None
    raise InvalidInput(N_("The quorum is a number of ballots from 1 to {max} (10) or a "
                          "percentage of eligible members from 1 to 100 (25%)."),
                       max=f"{QUORUM_MAX:,}".replace(",", " "))


def _result_to_json(result: PollResult) -> dict[str, Any]:
    return {
        "winners": list(result.winners),
        "ranking": [list(group) for group in result.ranking],
        "figures": result.figures,
        "ballots": result.ballots,
        "blank": result.blank,
        "quorum_reached": result.quorum_reached,
        "turnout": result.turnout,
        "by_collective": [list(item) for item in result.by_collective],
        "detail": result.detail,
    }


def _result_from_json(data: dict[str, Any], info: PollInfo) -> PollResult:
    return PollResult(
        info, True, tuple(data["winners"]), tuple(tuple(g) for g in data["ranking"]),
        dict(data["figures"]), data["ballots"], data["blank"], data["quorum_reached"],
        data["turnout"], tuple((name, count) for name, count in data["by_collective"]),
        data.get("detail", {}),
    )


def _power_level(role: str) -> int | None:
    """N for a Matrix power-level role ``level:N``; None for anything else."""
    if not role.startswith("level:"):
        return None
    try:
        return int(role[6:])
    except ValueError:
        return None

