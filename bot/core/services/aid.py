"""Mutual aid (entraide): requests and offers by skill, matching, and a time bank.

The ledger is double entry: a confirmed exchange of H hours writes +H for the
person who gave the time and -H for the one who received it, so the ledger
always sums to zero. Entries are never changed; a correction is a new exchange
in the other direction. An exchange recorded by one side counts only once the
other side confirms it.

Posts can be changed while open, by their author or a moderator: blank fields
keep their value, and "-" removes the city (the post becomes remote), the
expected hours or the tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.notice import Notice
from bot.core.numbers import InvalidNumber, decimal_or_none, parse_decimal, record_id
from bot.core.scheduler import cancel, schedule
from bot.core.services import audit, cooldown
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    find_member,
    scope_of,
)
from bot.core.skills import parse_skills
from bot.core.text import clean_block, clean_line, fold
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    AidNotification,
    AidPost,
    Collective,
    CollectiveChannel,
    Exchange,
    LedgerEntry,
    Member,
    Membership,
    SkillProfile,
    utcnow,
)

WORKFLOW = "aid"
EXPIRE_JOB = "aid.expire"
EXPIRY_REMINDER_JOB = "aid.expiry-reminder"
DIGEST_JOB = "aid.digest"
DESCRIPTION_LIMIT = 1500
TAGS_LIMIT = 300
NOTE_LIMIT = 300
MAX_HOURS = Decimal(24)
MIN_HOURS = Decimal("0.25")  # a quarter of an hour; hours are kept to the hundredth
HOURS = N_("The number of hours")
POST_NUMBER = N_("The post number")
EXCHANGE_NUMBER = N_("The exchange number")
CITY_LIMIT = 120
CLEAR = "-"  # when editing: remove the city, the expected hours or the tags
REMOTE_WORDS = frozenset({"distance", "a distance", "en ligne", "remote"})
CATEGORIES = {
    "coaching": N_("coaching"),
    "exchange": N_("service exchange"),
    "advice": N_("one-off advice"),
}
CATEGORY_WORDS = {
    "coaching": "coaching", "accompagnement": "coaching",
    "echange": "exchange", "echange de services": "exchange", "exchange": "exchange",
    "don contre don": "exchange",
    "conseil": "advice", "conseil ponctuel": "advice", "advice": "advice",
}


def parse_category(word: str | None) -> str:
    category = CATEGORY_WORDS.get(fold(word or "").strip())
    if category is None:
        raise InvalidInput(N_("Unknown kind “{word}”. Kinds: {choices}."),
                           word=(word or "")[:40], choices="coaching, echange, conseil")
    return category


def parse_hours(text: str | float | Decimal | None) -> Decimal:
    """Hours as a member types them (``2``, ``1.5``, ``1,5``), to the hundredth:
    more than zero and at most :data:`MAX_HOURS`; NaN, infinities and words refused."""
    try:
        return parse_decimal(text if text is not None else "", field=HOURS,
                             low=MIN_HOURS, high=MAX_HOURS)
    except InvalidNumber:
        given = decimal_or_none(str(text))
        if given is not None and given <= 0:
            raise InvalidInput(N_("The number of hours must be more than zero.")) from None
        if given is not None and given > MAX_HOURS:
            raise InvalidInput(N_("One exchange is at most {max} hours: record longer help "
                                  "as several exchanges."), max=int(MAX_HOURS)) from None
        raise


@dataclass(frozen=True, slots=True)
class PostDraft:
    kind: str = ""  # request or offer (a post keeps its kind when edited)
    category: str | None = None
    skills: str | None = None
    tags: str | None = None
    description: str | None = None
    city: str | None = None  # None or "distance" means remote
    hours: str | None = None


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _cleared(value: str | None) -> bool:
    return value is not None and value.strip() == CLEAR


def post_fields(draft: PostDraft, *, editing: bool = False) -> dict[str, Any]:
    """The columns of a post ``draft`` sets, checked. When ``editing``, blank fields
    are left out (they keep their value) and :data:`CLEAR` empties the city, the
    hours or the tags."""
    fields: dict[str, Any] = {}
    if not editing or _given(draft.category):
        fields["category"] = parse_category(draft.category or "conseil")
    if not editing or _given(draft.skills):
        skills = parse_skills(draft.skills)
        if not skills:
            raise InvalidInput(N_("Name at least one skill, for example {example}."),
                               example="competences=marketing")
        fields["skills"] = ",".join(skills)
    if not editing or _given(draft.description):
        description = clean_block(draft.description)
        if not description:
            raise InvalidInput(N_("Describe what you need or offer (description=\"…\")."))
        fields["description"] = description
    if not editing or _given(draft.tags):
        fields["tags"] = "" if editing and _cleared(draft.tags) else clean_line(draft.tags)
    for label, key, limit in ((N_("description"), "description", DESCRIPTION_LIMIT),
                              (N_("tags"), "tags", TAGS_LIMIT)):
        length = len(fields.get(key, ""))
        if length > limit:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most "
                   "(you sent {length})."), field=label, limit=limit, length=length)
    if not editing or _given(draft.city):
        city = "" if editing and _cleared(draft.city) else clean_line(draft.city)
        remote = not city or fold(city) in REMOTE_WORDS
        _check_city(city)
        fields["remote"] = remote
        fields["city"] = None if remote else city
    if not editing or _given(draft.hours):
        cleared = not draft.hours or (editing and _cleared(draft.hours))
        fields["hours"] = None if cleared else float(parse_hours(draft.hours))
    return fields


def _check_city(city: str) -> None:
    if len(city) > CITY_LIMIT:
        raise InvalidInput(
            N_("The {field} is too long: {limit} characters at most (you sent {length})."),
            field=N_("city"), limit=CITY_LIMIT, length=len(city))


@dataclass(frozen=True, slots=True)
class PostInfo:
    id: int
    kind: str
    category: str
    skills: tuple[str, ...]
    tags: str
    description: str
    remote: bool
    city: str | None
    hours: float | None
    status: str
    author: str
    expires_at: datetime
    timezone: str
    mine: bool


@dataclass(frozen=True, slots=True)
class PostCreated:
    post: PostInfo
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class HelpOffer:
    post: PostInfo
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    id: int
    giver: str
    receiver: str
    hours: Decimal
    category: str
    status: str
    post_id: int | None
    created_at: datetime
    yours_to_confirm: bool


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    exchange: ExchangeInfo
    notices: tuple[Notice, ...]
    flagged: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Balance:
    hours: Decimal
    given: Decimal
    received: Decimal
    history: tuple[ExchangeInfo, ...]
    pending: tuple[ExchangeInfo, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    skills: tuple[str, ...]
    city: str | None
    notify: bool


@dataclass(frozen=True, slots=True)
class DigestAnnouncement:
    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str
    requests: tuple[PostInfo, ...]
    offers: tuple[PostInfo, ...]


class AidService:
    def __init__(self, db: Database, *, expiry_days: int = 30, notifications_per_day: int = 3,
                 balance_limit: float = 20, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris", cooldown: float = 0) -> None:
        self.db = db
        self.expiry = timedelta(days=expiry_days)
        self.per_day = notifications_per_day
        self.limit = Decimal(str(balance_limit))
        self.cooldown = cooldown  # seconds between two posts by one member
        self.defaults = {"locale": default_locale, "timezone": default_timezone}

    async def _scope(self, session: AsyncSession, place: Place) -> tuple[Collective, Scope]:
        collective = await ensure_collective(session, place, **self.defaults)
        return collective, await scope_of(session, collective, WORKFLOW)

    async def _get(self, session: AsyncSession, scope: Scope, number: int) -> AidPost:
        post = await session.get(AidPost, record_id(number, field=POST_NUMBER))
        if post is None or post.collective_id not in scope.collective_ids:
            raise NotFound(N_("There is no mutual-aid post number {number} here."),
                           number=number)
        return post

    async def _name(self, session: AsyncSession, person_id: int | None) -> str:
        if person_id is None:
            return "—"
        name = await session.scalar(select(Member.display_name).where(
            Member.person_id == person_id).order_by(Member.id).limit(1))
        return name or "—"

    @staticmethod
    async def _names(session: AsyncSession,
                     person_ids: Iterable[int | None]) -> dict[int | None, str]:
        """The names of several persons in one query (as :meth:`_name`; missing ones are
        left out: read them with ``.get(person, "—")``)."""
        wanted = {person for person in person_ids if person is not None}
        names: dict[int | None, str] = {}
        if wanted:
            rows = await session.execute(select(Member.person_id, Member.display_name)
                                         .where(Member.person_id.in_(wanted))
                                         .order_by(Member.id))
            for person, name in rows:
                names.setdefault(person, name or "—")
        return names

    async def _info(self, session: AsyncSession, post: AidPost,
                    person_id: int | None) -> PostInfo:
        home = await session.get(Collective, post.collective_id)
        return PostInfo(
            post.id, post.kind, post.category, tuple(k for k in post.skills.split(",") if k),
            post.tags, post.description, post.remote, post.city, post.hours, post.status,
            await self._name(session, post.person_id), post.expires_at,
            home.timezone if home else self.defaults["timezone"], post.person_id == person_id,
        )

    # -- profiles -----------------------------------------------------------------

    async def set_profile(self, actor: Actor, place: Place, *, skills: str | None = None,
                          city: str | None = None, notify: bool | None = None) -> Profile:
        keys = parse_skills(skills) if skills is not None else None
        if city is not None:
            city = clean_line(city)
            _check_city(city)
        async with self.db.transaction() as session:
            collective = await ensure_collective(session, place, **self.defaults)
            member = await ensure_member(session, actor, collective)
            profile = await session.scalar(select(SkillProfile).where(
                SkillProfile.person_id == member.person_id))
            if profile is None:
                profile = SkillProfile(person_id=member.person_id)
                session.add(profile)
            if keys is not None:
                profile.skills = ",".join(keys)
            if city is not None:
                profile.city = city or None
            if notify is not None:
                profile.notify = notify
            profile.updated_at = utcnow()
            await session.flush()
            return Profile(tuple(k for k in (profile.skills or "").split(",") if k),
                           profile.city, profile.notify)

    async def profile(self, actor: Actor, place: Place) -> Profile:
        async with self.db.transaction() as session:
            member = await find_member(session, actor)
            profile = None if member is None else await session.scalar(
                select(SkillProfile).where(SkillProfile.person_id == member.person_id))
            if profile is None:
                return Profile((), None, True)
            return Profile(tuple(k for k in profile.skills.split(",") if k), profile.city,
                           profile.notify)

    # -- posts --------------------------------------------------------------------

    async def post(self, actor: Actor, place: Place, draft: PostDraft) -> PostCreated:
        """A request (members with matching skills are told) or an offer."""
        if draft.kind not in ("request", "offer"):
            raise InvalidInput(N_("A post is a request or an offer."))
        fields = post_fields(draft)
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            if not actor.is_moderator:
                await cooldown.check(session, AidPost.created_at, AidPost.person_id,
                                     member.person_id, self.cooldown)
            now = utcnow()
            post = AidPost(collective_id=collective.id, person_id=member.person_id,
                           kind=draft.kind, expires_at=now + self.expiry, created_at=now,
                           updated_at=now, **fields)
            session.add(post)
            await session.flush()
            await self._plan(session, post)
            info = await self._info(session, post, member.person_id)
            notices: tuple[Notice, ...] = ()
            if post.kind == "request":
                notices = await self._match(session, scope, post, info, collective.locale)
            return PostCreated(info, notices)

    async def _editable(
        self, session: AsyncSession, actor: Actor, scope: Scope, number: int,
        refusal: str = N_("Only the author of this post or a moderator can change it."),
    ) -> tuple[AidPost, Member | None]:
        """Post ``number`` and the actor's member row, if the actor may change (or close)
        it; ``refusal`` says why not."""
        member = await find_member(session, actor)
        post = await self._get(session, scope, number)
        mine = member is not None and member.person_id == post.person_id
        if not (mine or actor.is_moderator):
            raise PermissionDenied(refusal)
        if post.status != "open":
            raise InvalidInput(N_("This post is no longer open."))
        return post, member

    async def editable(self, actor: Actor, place: Place, number: int) -> PostInfo:
        """Post ``number`` as it stands, when the actor may change it (to fill a form)."""
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            post, member = await self._editable(session, actor, scope, number)
            return await self._info(session, post, member.person_id if member else None)

    async def edit_post(self, actor: Actor, place: Place, number: int,
                        draft: PostDraft) -> PostInfo:
        """Change an open post (its author or a moderator). Fields left blank keep their
        value, :data:`CLEAR` removes the city, hours or tags; the kind never changes."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            post, member = await self._editable(session, actor, scope, number)
            fields = post_fields(draft, editing=True)
            if not fields:
                raise InvalidInput(N_("Nothing to change: give at least one field, for "
                                      "example {example}."), example='description="…"')
            for name, value in fields.items():
                setattr(post, name, value)
            post.updated_at = utcnow()
            if member is None or member.person_id != post.person_id:
                await audit.record(session, actor, await ensure_member(session, actor),
                                   collective, "aid.edit", str(number))
            await session.flush()
            return await self._info(session, post, member.person_id if member else None)

    async def _plan(self, session: AsyncSession, post: AidPost) -> None:
        await schedule(session, EXPIRY_REMINDER_JOB, post.expires_at - timedelta(days=2),
                       {"post": post.id}, key=f"{EXPIRY_REMINDER_JOB}:{post.id}")
        await schedule(session, EXPIRE_JOB, post.expires_at, {"post": post.id},
                       key=f"{EXPIRE_JOB}:{post.id}")

    async def _match(self, session: AsyncSession, scope: Scope, post: AidPost,
                     info: PostInfo, locale: str) -> tuple[Notice, ...]:
        """Members who offer a requested skill, best match first, then same city;
        each is told at most ``notifications_per_day`` times a day."""
        wanted = set(info.skills)
        profiles = list(await session.scalars(
            select(SkillProfile).where(SkillProfile.notify.is_(True),
                                       SkillProfile.person_id != post.person_id)))
        members_in_scope = set(await session.scalars(
            select(Member.person_id).join(Membership, Membership.member_id == Member.id)
            .where(Membership.collective_id.in_(scope.collective_ids),
                   Membership.left_at.is_(None))))
        ranked = []
        for profile in profiles:
            overlap = len(wanted & set(profile.skills.split(",")))
            if not overlap or profile.person_id not in members_in_scope:
                continue
            same_city = bool(post.city and profile.city
                             and fold(post.city) == fold(profile.city))
            ranked.append((-overlap, not same_city, profile.person_id))
        ranked.sort()
        since = utcnow() - timedelta(days=1)
        notices: list[Notice] = []
        for _overlap, _far, person_id in ranked:
            sent = await session.scalar(select(func.count()).where(
                AidNotification.person_id == person_id, AidNotification.sent_at >= since)) or 0
            if sent >= self.per_day:
                continue
            session.add(AidNotification(person_id=person_id, post_id=post.id))
            members = await session.scalars(select(Member).where(Member.person_id == person_id)
                                            .order_by(Member.id))
            notices.extend(Notice(m.platform, m.user_id, locale, "aid.match", info)
                           for m in members)
        return tuple(notices)

    async def show(self, actor: Actor, place: Place, number: int) -> PostInfo:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            post = await self._get(session, scope, number)
            return await self._info(session, post, member.person_id if member else None)

    async def search(self, actor: Actor, place: Place, *, skill: str | None = None,
                     city: str | None = None, kind: str | None = None) -> tuple[PostInfo, ...]:
        """Open posts across the scope, newest first."""
        keys = parse_skills(skill) if skill else ()
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            query = select(AidPost).where(AidPost.collective_id.in_(scope.collective_ids),
                                          AidPost.status == "open")
            if kind:
                query = query.where(AidPost.kind == kind)
            rows = list(await session.scalars(query.order_by(AidPost.id.desc()).limit(100)))
            if keys:
                rows = [p for p in rows if set(keys) & set(p.skills.split(","))]
            if city:
                rows = [p for p in rows if p.remote or (p.city and fold(p.city) == fold(city))]
            person = member.person_id if member else None
            return tuple([await self._info(session, p, person) for p in rows[:25]])

    async def can_help(self, actor: Actor, place: Place, number: int) -> HelpOffer:
        """"I can help": the author is told privately who offers help."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            post = await self._get(session, scope, number)
            if post.status != "open":
                raise InvalidInput(N_("This post is no longer open."))
            if post.person_id == member.person_id:
                raise InvalidInput(N_("This is your own post."))
            info = await self._info(session, post, member.person_id)
            authors = await session.scalars(select(Member).where(
                Member.person_id == post.person_id).order_by(Member.id))
            helper = {"post": info, "helper": actor.display_name,
                      "platform": actor.platform.value, "user_id": actor.user_id}
            return HelpOffer(info, tuple(
                Notice(m.platform, m.user_id, collective.locale, "aid.help", helper)
                for m in authors))

    async def close(self, actor: Actor, place: Place, number: int) -> PostInfo:
        """Close a post as fulfilled (its author or a moderator)."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            post, member = await self._editable(
                session, actor, scope, number,
                N_("Only the author of this post or a moderator can close it."))
            mine = member is not None and member.person_id == post.person_id
            post.status = "fulfilled"
            post.updated_at = utcnow()
            for job in (EXPIRE_JOB, EXPIRY_REMINDER_JOB):
                await cancel(session, f"{job}:{post.id}")
            if not mine:
                await audit.record(session, actor, await ensure_member(session, actor),
                                   collective, "aid.close", str(number))
            return await self._info(session, post, member.person_id if member else None)

    # -- the time bank ------------------------------------------------------------

    async def record(self, actor: Actor, place: Place, *, other: Actor, hours: str,
                     gave: bool, post: int | None = None, category: str | None = None,
                     note: str | None = None) -> ExchangeResult:
        """Record that the actor gave (``gave``) or received ``hours`` of help to or
        from ``other``; ``other`` confirms it before it counts."""
        amount = parse_hours(hours)
        post = None if post is None else record_id(post, field=POST_NUMBER)
        kind = parse_category(category) if category else None
        note = clean_line(note)
        if len(note) > NOTE_LIMIT:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most (you sent {length})."),
                field=N_("note"), limit=NOTE_LIMIT, length=len(note))
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            counterpart = await find_member(session, other)
            if counterpart is None:
                raise NotFound(N_("“{name}” has never used the bot here: ask them to send a "
                                  "command first."), name=other.user_id[:60])
            if counterpart.person_id == member.person_id:
                raise InvalidInput(N_("You cannot record an exchange with yourself."))
            linked = None
            if post is not None:
                linked = await self._get(session, scope, post)
                kind = kind or linked.category
            exchange = Exchange(
                collective_id=collective.id,
                giver_id=member.person_id if gave else counterpart.person_id,
                receiver_id=counterpart.person_id if gave else member.person_id,
                recorded_by_id=member.person_id, post_id=linked.id if linked else None,
                hours=amount, category=kind or "advice", note=note,
            )
            session.add(exchange)
            await session.flush()
            names = await self._names(session, (exchange.giver_id, exchange.receiver_id))
            info = await self._exchange_info(session, exchange, member.person_id, names)
            theirs = await self._exchange_info(session, exchange, counterpart.person_id, names)
            others = await session.scalars(select(Member).where(
                Member.person_id == counterpart.person_id).order_by(Member.id))
            notices = tuple(Notice(m.platform, m.user_id, collective.locale, "aid.confirm",
                                   theirs) for m in others)
            return ExchangeResult(info, notices)

    async def confirm(self, actor: Actor, place: Place, number: int, *,
                      accept: bool = True) -> ExchangeResult:
        """The other side confirms (or declines) an exchange; confirming writes the
        two ledger entries."""
        async with self.db.transaction() as session:
            collective = await ensure_collective(session, place, **self.defaults)
            member = await ensure_member(session, actor, collective)
            exchange = await session.get(Exchange, record_id(number, field=EXCHANGE_NUMBER),
                                         with_for_update=True)
            if exchange is None:
                raise NotFound(N_("There is no exchange number {number}."), number=number)
            parties = {exchange.giver_id, exchange.receiver_id}
            if member.person_id not in parties or member.person_id == exchange.recorded_by_id:
                raise PermissionDenied(N_("Only the other person of this exchange can confirm "
                                          "it."))
            if exchange.status != "pending":
                raise InvalidInput(N_("This exchange was already answered."))
            parties_in_order = (exchange.giver_id, exchange.receiver_id)
            names = await self._names(session, parties_in_order)
            exchange.status = "confirmed" if accept else "declined"
            flagged: list[str] = []
            if accept:
                exchange.confirmed_at = utcnow()
                session.add_all([
                    LedgerEntry(exchange_id=exchange.id, person_id=exchange.giver_id,
                                amount=exchange.hours),
                    LedgerEntry(exchange_id=exchange.id, person_id=exchange.receiver_id,
                                amount=-exchange.hours),
                ])
                await session.flush()
                balances = await self._balances(session, parties_in_order)
                for person_id in parties_in_order:
                    balance = balances.get(person_id, Decimal(0))
                    if abs(balance) > self.limit:
                        name = names.get(person_id, "—")
                        flagged.append(name)
                        await audit.record(session, actor, member, collective,
                                           "aid.balance-flag", f"{name}: {balance} h")
            if exchange.post_id is not None and accept:
                post = await session.get(AidPost, exchange.post_id)
                if post is not None and post.status == "open":
                    post.status = "fulfilled"
                    post.updated_at = utcnow()
                    for job in (EXPIRE_JOB, EXPIRY_REMINDER_JOB):
                        await cancel(session, f"{job}:{post.id}")
            info = await self._exchange_info(session, exchange, member.person_id, names)
            recorders = await session.scalars(select(Member).where(
                Member.person_id == exchange.recorded_by_id).order_by(Member.id))
            notices = tuple(Notice(m.platform, m.user_id, collective.locale, "aid.answered",
                                   info) for m in recorders)
            return ExchangeResult(info, notices, tuple(flagged))

    @staticmethod
    async def _balances(session: AsyncSession,
                        person_ids: Iterable[int | None]) -> dict[int, Decimal]:
        """The balance of each person who has ledger entries, in one query."""
        rows = await session.execute(
            select(LedgerEntry.person_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.person_id.in_([p for p in person_ids if p is not None]))
            .group_by(LedgerEntry.person_id))
        return {person: Decimal(str(total)) for person, total in rows}

    async def _exchange_info(self, session: AsyncSession, exchange: Exchange,
                             person_id: int | None,
                             names: dict[int | None, str] | None = None) -> ExchangeInfo:
        if names is None:
            names = await self._names(session, (exchange.giver_id, exchange.receiver_id))
        return ExchangeInfo(
            exchange.id, names.get(exchange.giver_id, "—"),
            names.get(exchange.receiver_id, "—"), Decimal(str(exchange.hours)),
            exchange.category, exchange.status, exchange.post_id, exchange.created_at,
            exchange.status == "pending" and person_id is not None
            and person_id in (exchange.giver_id, exchange.receiver_id)
            and person_id != exchange.recorded_by_id,
        )

    async def balance(self, actor: Actor, place: Place) -> Balance:
        async with self.db.transaction() as session:
            member = await find_member(session, actor)
            if member is None:
                return Balance(Decimal(0), Decimal(0), Decimal(0), (), ())
            person = member.person_id
            given = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                         .where(LedgerEntry.person_id == person,
                                                LedgerEntry.amount > 0))
            received = await session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                .where(LedgerEntry.person_id == person, LedgerEntry.amount < 0))
            rows = list(await session.scalars(
                select(Exchange).where((Exchange.giver_id == person)
                                       | (Exchange.receiver_id == person))
                .order_by(Exchange.id.desc()).limit(20)))
            names = await self._names(session, [p for e in rows
                                                for p in (e.giver_id, e.receiver_id)])
            infos = [await self._exchange_info(session, e, person, names) for e in rows]
            return Balance(
                Decimal(str(given)) + Decimal(str(received)), Decimal(str(given)),
                -Decimal(str(received)),
                tuple(i for i in infos if i.status == "confirmed"),
                tuple(i for i in infos if i.status == "pending"),
            )

    async def flagged(self, actor: Actor, place: Place) -> tuple[tuple[str, Decimal], ...]:
        """Balances beyond the limit, for moderators."""
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(LedgerEntry.person_id, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.person_id.is_not(None))
                .group_by(LedgerEntry.person_id))).all()
            beyond = [(person, Decimal(str(total))) for person, total in rows
                      if abs(Decimal(str(total))) > self.limit]
            names = await self._names(session, [person for person, _total in beyond])
            return tuple((names.get(person, "—"), total) for person, total in beyond)

    # -- jobs -----------------------------------------------------------------------

    async def expire(self, post_id: int, *, reminder: bool) -> tuple[Notice, ...]:
        async with self.db.transaction() as session:
            post = await session.get(AidPost, post_id)
            if post is None or post.status != "open":
                return ()
            home = await session.get(Collective, post.collective_id)
            if not reminder:
                post.status = "expired"
                post.updated_at = utcnow()
            info = await self._info(session, post, post.person_id)
            authors = await session.scalars(select(Member).where(
                Member.person_id == post.person_id).order_by(Member.id))
            kind = "aid.expiring" if reminder else "aid.expired"
            locale = home.locale if home else self.defaults["locale"]
            return tuple(Notice(m.platform, m.user_id, locale, kind, info) for m in authors)

    async def digests(self, since: datetime) -> tuple[DigestAnnouncement, ...]:
        """For each collective with an aid channel: open requests and offers posted
        since ``since``, across its scope."""
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(Collective, CollectiveChannel.channel_id)
                .join(CollectiveChannel, CollectiveChannel.collective_id == Collective.id)
                .where(CollectiveChannel.workflow == WORKFLOW,
                       CollectiveChannel.channel_id.is_not(None)))).all()
            result = []
            for collective, channel in rows:
                scope = await scope_of(session, collective, WORKFLOW)
                posts = list(await session.scalars(
                    select(AidPost).where(AidPost.collective_id.in_(scope.collective_ids),
                                          AidPost.status == "open")
                    .order_by(AidPost.id)))
                infos = [await self._info(session, p, None) for p in posts]
                requests = tuple(i for i, p in zip(infos, posts, strict=True)
                                 if p.kind == "request")
                offers = tuple(i for i, p in zip(infos, posts, strict=True)
                               if p.kind == "offer" and p.created_at >= since)
                if requests or offers:
                    result.append(DigestAnnouncement(
                        collective.platform, collective.external_id, channel, collective.locale,
                        "aid.digest", requests, offers))
            return tuple(result)
