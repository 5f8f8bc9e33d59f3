"""Polls (scrutins): create, vote, close on time, results, export for recount.

Polls belong to the demands workflow's scope. In a secret poll, the stored
ballot holds no voter identity: its ``slot`` and the separate voter record are
keyed hashes (HMAC-SHA256 with the ballot key, which is not in the database)
of the poll and the person, derived differently, so neither a ballot nor a
voter record can be tied to a person or to each other from the database alone.
A member may change their ballot until closing; the latest counts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import voting
from bot.core.dates import parse_when
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.scheduler import cancel, schedule
from bot.core.services import audit
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    insert_for,
    scope_of,
    workflow_channels,
)
from bot.core.services.tribune import WORKFLOW as TRIBUNE
from bot.core.text import clean_line, fold
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    Ballot,
    Collective,
    Member,
    Poll,
    PollOption,
    PollVoter,
    Proposal,
    Signature,
    utcnow,
)

WORKFLOW = "demands"
CLOSE_JOB = "poll.close"
OPEN_JOB = "poll.open"
OPTION_KEYS = "ABCDEFGHIJKLMNOPQRST"
MIN_OPTIONS, MAX_OPTIONS = 2, 20
TITLE_LIMIT = 200
LABEL_LIMIT = 200

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


class PollService:
    def __init__(self, db: Database, ballot_key: bytes, *, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris") -> None:
        self.db = db
        self._key = ballot_key
        self.defaults = {"locale": default_locale, "timezone": default_timezone}

    def _hash(self, purpose: str, poll_id: int, person_id: int) -> str:
        message = f"{purpose}:{poll_id}:{person_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

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
        options = list(await session.scalars(
            select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.key)
        ))
        ballots = await session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)
        ) or 0
        voted = False
        if person_id is not None:
            voted = await session.scalar(select(PollVoter.id).where(
                PollVoter.poll_id == poll.id,
                PollVoter.voter_key == self._hash("voter", poll.id, person_id),
            )) is not None
        return PollInfo(
            poll.id, poll.title, poll.method, poll.status,
            tuple(OptionInfo(o.key, o.label, o.proposal_id) for o in options),
            poll.opens_at, poll.closes_at, timezone, poll.secret, poll.live_results,
            poll.receipts, poll.eligibility, poll.quorum_ballots, poll.quorum_percent,
            ballots, voted,
        )

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
            eligible = draft.eligible_count
            if draft.eligibility == "signatories":
                eligible = await session.scalar(
                    select(func.count(func.distinct(Signature.person_id))).where(
                        Signature.collective_id.in_(
                            (await scope_of(session, collective, TRIBUNE)).collective_ids)
                    )
                )
            poll = Poll(
                collective_id=collective.id, person_id=member.person_id, title=title,
                method=method, status="open" if opens_at <= now else "scheduled",
                opens_at=opens_at, closes_at=closes_at, quorum_ballots=quorum_ballots,
                quorum_percent=quorum_percent, eligible_count=eligible,
                eligibility=draft.eligibility, eligible_role=draft.role, secret=draft.secret,
                live_results=draft.live_results, receipts=draft.receipts,
                max_choices=draft.max_choices, created_at=now,
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
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            poll = await self._poll(session, scope, number)
            now = utcnow()
            if poll.status == "scheduled" or poll.opens_at > now:
                raise InvalidInput(N_("This poll is not open yet."))
            if poll.status != "open" or poll.closes_at <= now:
                raise InvalidInput(N_("This poll is closed: ballots are no longer accepted."))
            await self._check_eligible(session, actor, member, collective, poll)
            keys = [o.key for o in await session.scalars(
                select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.key))]
            try:
                normal = voting.validate(poll.method, keys, ballot, max_choices=poll.max_choices)
            except voting.BallotError as exc:
                raise InvalidInput(
                    BALLOT_MESSAGES[exc.reason], value=str(exc.value)[:40],
                    limit=exc.limit or 0, options=", ".join(keys),
                    examples=EXAMPLES[poll.method].replace("N", str(poll.id)),
                ) from None
            content = json.dumps(voting.ballot_to_json(poll.method, normal), sort_keys=True)
            slot = (self._hash("ballot", poll.id, member.person_id) if poll.secret
                    else f"person:{member.person_id}")
            existing = await session.scalar(
                select(Ballot).where(Ballot.poll_id == poll.id, Ballot.slot == slot)
            )
            receipt = None
            if existing is None:
                receipt = secrets.token_hex(4).upper() if poll.receipts else None
                await session.execute(
                    insert_for(session, Ballot).values(
                        poll_id=poll.id, slot=slot, content=content, receipt=receipt,
                        collective_id=collective.id, cast_at=now,
                        person_id=None if poll.secret else member.person_id,
                    ).on_conflict_do_update(
                        index_elements=["poll_id", "slot"],
                        set_={"content": content, "cast_at": now,
                              "collective_id": collective.id},
                    )
                )
            else:
                existing.content = content
                existing.cast_at = now
                existing.collective_id = collective.id
                receipt = existing.receipt
            await session.execute(
                insert_for(session, PollVoter)
                .values(poll_id=poll.id, voter_key=self._hash("voter", poll.id, member.person_id))
                .on_conflict_do_nothing(index_elements=["poll_id", "voter_key"])
            )
            await session.flush()
            info = await self._info(session, poll, collective.timezone, member.person_id)
            return VoteResult(info, existing is not None, receipt)

    async def _check_eligible(
        self, session: AsyncSession, actor: Actor, member: Member, collective: Collective,
        poll: Poll,
    ) -> None:
        if poll.eligibility == "signatories":
            scope = await scope_of(session, collective, TRIBUNE)
            signed = await session.scalar(select(Signature.id).where(
                Signature.collective_id.in_(scope.collective_ids),
                Signature.person_id == member.person_id,
            ).limit(1))
            if signed is None:
                raise PermissionDenied(
                    N_("Only signatories of the tribune may vote in this poll: sign it first "
                       "with !tribune signer."))
        elif poll.eligibility == "role" and poll.eligible_role not in actor.roles:
            level = poll.eligible_role or ""
            allowed = False
            if level.startswith("level:"):
                mine = [int(r[6:]) for r in actor.roles if r.startswith("level:")]
                allowed = bool(mine) and max(mine) >= int(level[6:])
            if not allowed:
                raise PermissionDenied(N_("Only members with the required role may vote in "
                                          "this poll."))

    # -- results -----------------------------------------------------------------

    async def _tally(self, session: AsyncSession, poll: Poll, timezone: str,
                     final: bool) -> PollResult:
        options = list(await session.scalars(
            select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.key)))
        keys = [o.key for o in options]
        rows = (await session.execute(
            select(Ballot.content, Collective.name, Collective.external_id)
            .outerjoin(Collective, Collective.id == Ballot.collective_id)
            .where(Ballot.poll_id == poll.id)
        )).all()
        ballots = [json.loads(content) for content, _n, _e in rows]
        result = voting.tally(poll.method, keys, ballots)
        by_collective: dict[str, int] = {}
        for _content, name, external in rows:
            label = name or external or "?"
            by_collective[label] = by_collective.get(label, 0) + 1
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
            if not (poll.live_results or actor.is_moderator):
                raise InvalidInput(N_("The results of this poll are shown when it closes."))
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
            await self._decide_proposals(session, poll, result)
            if actor is not None:
                member = await ensure_member(session, actor)
                await audit.record(session, actor, member, home, "poll.close", str(poll.id))
                await cancel(session, f"{CLOSE_JOB}:{poll.id}")
            scope = await scope_of(session, home, WORKFLOW)
            announcements = await self._announcements(session, scope, result)
            final = _result_from_json(json.loads(poll.result),
                                      await self._info(session, poll, timezone, None))
            return final, announcements

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
            options = list(await session.scalars(
                select(PollOption).where(PollOption.poll_id == poll.id)
                .order_by(PollOption.key)))
            rows = (await session.execute(
                select(Ballot.content, Ballot.receipt).where(Ballot.poll_id == poll.id)
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


def _parse_quorum(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    text = text.strip()
    try:
        if text.endswith("%"):
            percent = int(text[:-1])
            if not 1 <= percent <= 100:
                raise ValueError
            return None, percent
        ballots = int(text)
        if ballots < 1:
            raise ValueError
        return ballots, None
    except ValueError:
        raise InvalidInput(N_("The quorum is a number of ballots (10) or a percentage of "
                              "eligible members (25%).")) from None


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

