"""Meetups (rencontres): events by city or online, RSVPs, capacity and waitlist,
reminders, calendars.

Capacity is never exceeded: every RSVP transaction first bumps the meetup's
``version`` with an UPDATE, which takes the write lock (SQLite) or the row lock
(PostgreSQL) before anything is counted, so RSVPs to one meetup are handled one
at a time, in arrival order. Reminders are durable jobs keyed by meetup and
offset, so an edit moves them and nothing is sent twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import parse_when
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.notice import Notice
from bot.core.numbers import (
    InvalidNumber,
    LocalNumber,
    all_whole,
    check_whole,
    parse_whole,
    parse_whole_list,
    record_id,
)
from bot.core.scheduler import cancel, schedule
from bot.core.services import audit, cooldown
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    find_member,
    scope_of,
    workflow_channels,
)
from bot.core.text import clean_block, clean_line, fold
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import Collective, Meetup, Member, Rsvp, utcnow

WORKFLOW = "meetups"
REMIND_JOB = "meetup.remind"
NEXT_JOB = "meetup.next"
TITLE_LIMIT = 200
CITY_LIMIT = 120
ADDRESS_LIMIT = 300
LINK_LIMIT = 500
DESCRIPTION_LIMIT = 2000
DEFAULT_LENGTH = timedelta(hours=2)
DEFAULT_REMINDERS = (1440, 60)
MEETUP_NUMBER = N_("The meetup number")
CAPACITY = N_("The capacity")
CAPACITY_MAX = 100_000  # a stadium; anything larger is a typing slip
REMINDER = N_("Each reminder (in minutes before the start)")
REMINDER_MAX = 60 * 24 * 14  # two weeks before
REMINDERS_MOST = 5  # the reminders column holds 100 characters: 5 × "20160" fits
ONLINE_WORDS = {"en ligne", "enligne", "online", "visio", "en-ligne"}
RECURRENCES = {"none": "none", "aucune": "none", "non": "none",
               "weekly": "weekly", "hebdomadaire": "weekly", "hebdo": "weekly",
               "chaque semaine": "weekly",
               "monthly": "monthly", "mensuelle": "monthly", "chaque mois": "monthly"}
ANSWERS = {"going": "going", "viens": "going", "je viens": "going", "oui": "going",
           "yes": "going", "maybe": "maybe", "peut-etre": "maybe", "peutetre": "maybe",
           "no": "no", "non": "no", "absent": "no", "je ne viens plus": "no"}


@dataclass(frozen=True, slots=True)
class MeetupDraft:
    title: str | None = None
    where: str | None = None  # a city, or "en ligne"
    link: str | None = None
    address: str | None = None
    starts: str | None = None
    ends: str | None = None
    capacity: int | None = None
    deadline: str | None = None
    description: str | None = None
    recurrence: str | None = None
    reminders: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class MeetupInfo:
    id: int
    title: str
    city: str | None
    online: bool
    link: str | None
    address: str | None
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None
    rsvp_deadline: datetime | None
    recurrence: str
    status: str
    going: int
    maybe: int
    waitlist: int
    your_status: str | None
    your_position: int | None

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.going)


@dataclass(frozen=True, slots=True)
class MeetupAnnouncement:
    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str
    meetup: MeetupInfo


@dataclass(frozen=True, slots=True)
class Created:
    meetup: MeetupInfo
    announcements: tuple[MeetupAnnouncement, ...]


@dataclass(frozen=True, slots=True)
class RsvpResult:
    meetup: MeetupInfo
    status: str  # going, maybe, waitlist, no
    position: int | None
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class Changed:
    meetup: MeetupInfo
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class Calendar:
    filename: str
    content: bytes


def parse_capacity(text: str) -> int:
    """The capacity a member typed: 1 to :data:`CAPACITY_MAX` places."""
    return parse_whole(text, field=CAPACITY, low=1, high=CAPACITY_MAX)


def parse_reminders(text: str) -> tuple[int, ...]:
    """``"1440,60"`` (or ``"1440; 60"``): minutes before the start of each reminder."""
    return parse_whole_list(text.replace(";", ","), field=REMINDER, low=1, high=REMINDER_MAX,
                            most=REMINDERS_MOST)


def check_capacity(value: object) -> int:
    """The service's own check of a capacity, whichever adapter sent it."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise InvalidInput(N_("The capacity must be at least 1 (or leave it out)."))
    return check_whole(value, field=CAPACITY, low=1, high=CAPACITY_MAX)


def check_reminders(values: tuple[int, ...]) -> tuple[int, ...]:
    """The service's own check of reminders: at most :data:`REMINDERS_MOST`, each in range."""
    unique = tuple(sorted(set(all_whole(values, field=REMINDER, low=1, high=REMINDER_MAX)),
                          reverse=True))
    if len(unique) > REMINDERS_MOST:
        raise InvalidNumber(
            N_("{field} must be a whole number from {low} to {high}; give {most} of them at most."),
            field=REMINDER, most=REMINDERS_MOST, low=1, high=LocalNumber(REMINDER_MAX))
    return unique


def parse_answer(word: str) -> str:
    answer = ANSWERS.get(fold(word).strip())
    if answer is None:
        raise InvalidInput(N_("Answer {choices}."), choices="viens, peut-etre, non")
    return answer


class MeetupService:
    def __init__(self, db: Database, *, default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris", cooldown: float = 0) -> None:
        self.db = db
        self.cooldown = cooldown  # seconds between two creations by one member
        self.defaults = {"locale": default_locale, "timezone": default_timezone}

    async def _scope(self, session: AsyncSession, place: Place) -> tuple[Collective, Scope]:
        collective = await ensure_collective(session, place, **self.defaults)
        return collective, await scope_of(session, collective, WORKFLOW)

    async def _get(self, session: AsyncSession, scope: Scope, number: int) -> Meetup:
        meetup = await session.get(Meetup, record_id(number, field=MEETUP_NUMBER))
        if meetup is None or meetup.collective_id not in scope.collective_ids:
            raise NotFound(N_("There is no meetup number {number} here."), number=number)
        return meetup

    async def _info(self, session: AsyncSession, meetup: Meetup,
                    person_id: int | None) -> MeetupInfo:
        home = await session.get(Collective, meetup.collective_id)
        counts = dict((await session.execute(
            select(Rsvp.status, func.count()).where(Rsvp.meetup_id == meetup.id)
            .group_by(Rsvp.status)
        )).all())
        mine = None
        position = None
        if person_id is not None:
            mine = await session.scalar(select(Rsvp).where(
                Rsvp.meetup_id == meetup.id, Rsvp.person_id == person_id))
            if mine is not None and mine.status == "waitlist":
                position = 1 + (await session.scalar(select(func.count()).where(
                    Rsvp.meetup_id == meetup.id, Rsvp.status == "waitlist",
                    Rsvp.queued < mine.queued)) or 0)
        return MeetupInfo(
            meetup.id, meetup.title, meetup.city, meetup.online, meetup.link, meetup.address,
            meetup.description, meetup.starts_at, meetup.ends_at,
            home.timezone if home else self.defaults["timezone"], meetup.capacity,
            meetup.rsvp_deadline, meetup.recurrence, meetup.status,
            counts.get("going", 0), counts.get("maybe", 0), counts.get("waitlist", 0),
            mine.status if mine else None, position,
        )

    @staticmethod
    def _can_manage(actor: Actor, member: Member | None, meetup: Meetup) -> bool:
        return actor.is_moderator or (member is not None and member.person_id == meetup.person_id)

    # -- create, edit, cancel ------------------------------------------------------

    def _fields(self, draft: MeetupDraft, timezone: str, *, now: datetime) -> dict:
        title = clean_line(draft.title)
        if not title:
            raise InvalidInput(N_("Give the meetup a title."))
        where = clean_line(draft.where)
        if not where:
            raise InvalidInput(N_("Say where: a city, or “en ligne” with a link."))
        online = fold(where) in ONLINE_WORDS
        link = clean_line(draft.link) or None
        if online and not link:
            raise InvalidInput(N_("An online meetup needs a link (lien=https://…)."))
        if link and not link.startswith(("https://", "http://")):
            raise InvalidInput(N_("The link must start with https://."))
        for label, value, limit in (
            (N_("title"), title, TITLE_LIMIT), (N_("city"), where, CITY_LIMIT),
            (N_("address"), clean_line(draft.address), ADDRESS_LIMIT),
            (N_("link"), link or "", LINK_LIMIT),
            (N_("description"), clean_block(draft.description), DESCRIPTION_LIMIT),
        ):
            if len(value) > limit:
                raise InvalidInput(
                    N_("The {field} is too long: {limit} characters at most "
                       "(you sent {length})."), field=label, limit=limit, length=len(value))
        if not draft.starts:
            raise InvalidInput(N_("Say when it starts, for example debut=\"jeudi 19h30\"."))
        starts = parse_when(draft.starts, timezone, now=now)
        if starts <= now:
            raise InvalidInput(N_("The meetup would start in the past ({when}): choose a "
                                  "later date."), when=starts.strftime("%d/%m/%Y %H:%M"))
        ends = parse_when(draft.ends, timezone, now=starts) if draft.ends else \
            starts + DEFAULT_LENGTH
        if ends <= starts:
            raise InvalidInput(N_("The meetup must end after it starts."))
        capacity = None if draft.capacity is None else check_capacity(draft.capacity)
        deadline = parse_when(draft.deadline, timezone, now=now) if draft.deadline else None
        if deadline is not None and deadline > starts:
            raise InvalidInput(N_("The RSVP deadline must come before the start."))
        recurrence = RECURRENCES.get(fold(draft.recurrence or "none"))
        if recurrence is None:
            raise InvalidInput(N_("Recurrence is none, weekly or monthly."))
        reminders = check_reminders(draft.reminders or DEFAULT_REMINDERS)
        return {
            "title": title, "city": None if online else where, "online": online, "link": link,
            "address": clean_line(draft.address) or None,
            "description": clean_block(draft.description), "starts_at": starts,
            "ends_at": ends, "capacity": capacity, "rsvp_deadline": deadline,
            "recurrence": recurrence,
            "reminders": ",".join(str(m) for m in reminders),
        }

    async def _plan(self, session: AsyncSession, meetup: Meetup) -> None:
        """(Re)schedule the reminders and the next occurrence of a meetup."""
        now = utcnow()
        for minutes in (int(m) for m in meetup.reminders.split(",") if m):
            due = meetup.starts_at - timedelta(minutes=minutes)
            key = f"{REMIND_JOB}:{meetup.id}:{minutes}"
            if due > now:
                await schedule(session, REMIND_JOB, due,
                               {"meetup": meetup.id, "minutes": minutes}, key=key)
            else:
                await cancel(session, key)
        if meetup.recurrence != "none":
            await schedule(session, NEXT_JOB, meetup.ends_at, {"meetup": meetup.id},
                           key=f"{NEXT_JOB}:{meetup.id}")

    async def create(self, actor: Actor, place: Place, draft: MeetupDraft) -> Created:
        if not (actor.is_moderator or actor.is_organiser):
            raise PermissionDenied(N_("Only moderators and organisers can create meetups."))
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            fields = self._fields(draft, collective.timezone, now=utcnow())
            member = await ensure_member(session, actor, collective)
            if not actor.is_moderator:
                await cooldown.check(session, Meetup.created_at, Meetup.person_id,
                                     member.person_id, self.cooldown)
            meetup = Meetup(collective_id=collective.id, person_id=member.person_id, **fields)
            session.add(meetup)
            await session.flush()
            await self._plan(session, meetup)
            await audit.record(session, actor, member, collective, "meetup.create",
                               f"{meetup.id}: {meetup.title}")
            info = await self._info(session, meetup, member.person_id)
            announcements = await self._announcements(session, scope, place, info)
            return Created(info, announcements)

    @staticmethod
    async def _announcements(session: AsyncSession, scope: Scope, place: Place | None,
                             info: MeetupInfo) -> tuple[MeetupAnnouncement, ...]:
        """A post in each meetups channel of the scope, except where it was created."""
        return tuple(
            MeetupAnnouncement(c.platform, c.external_id, channel, c.locale, "meetup.new", info)
            for c, channel in await workflow_channels(session, scope, WORKFLOW)
            if place is None
            or not (c.platform == place.platform.value and channel == place.channel_id)
        )

    async def edit(self, actor: Actor, place: Place, number: int,
                   draft: MeetupDraft) -> Changed:
        """Change a meetup; fields left empty in ``draft`` keep their value."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            meetup = await self._get(session, scope, number)
            if not self._can_manage(actor, member, meetup):
                raise PermissionDenied(N_("Only the organiser of this meetup or a moderator "
                                          "can change it."))
            if meetup.status == "cancelled":
                raise InvalidInput(N_("This meetup was cancelled."))
            zone = ZoneInfo(collective.timezone)
            current = MeetupDraft(
                meetup.title, "en ligne" if meetup.online else meetup.city, meetup.link,
                meetup.address, meetup.starts_at.astimezone(zone).isoformat(),
                meetup.ends_at.astimezone(zone).isoformat(), meetup.capacity,
                meetup.rsvp_deadline.astimezone(zone).isoformat()
                if meetup.rsvp_deadline else None,
                meetup.description, meetup.recurrence,
                tuple(int(m) for m in meetup.reminders.split(",") if m),
            )
            changes = {f.name: getattr(draft, f.name) for f in dataclass_fields(draft)
                       if getattr(draft, f.name) is not None}
            if "starts" in changes and "ends" not in changes:
                length = meetup.ends_at - meetup.starts_at
                starts = parse_when(changes["starts"], collective.timezone)
                changes["ends"] = (starts + length).astimezone(zone).isoformat()
            # A smaller capacity keeps those already coming; a larger one promotes.
            fields = self._fields(replace(current, **changes), collective.timezone,
                                  now=utcnow())
            for name, value in fields.items():
                setattr(meetup, name, value)
            meetup.updated_at = utcnow()
            await session.flush()
            await self._plan(session, meetup)
            if fields["capacity"] is not None:
                await self._promote(session, meetup)
            member = await ensure_member(session, actor)
            await audit.record(session, actor, member, collective, "meetup.edit", str(number))
            info = await self._info(session, meetup, member.person_id)
            notices = await self._notices(session, meetup, info, "meetup.changed",
                                          exclude=member.person_id)
            return Changed(info, notices)

    async def cancel(self, actor: Actor, place: Place, number: int) -> Changed:
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            meetup = await self._get(session, scope, number)
            if not self._can_manage(actor, member, meetup):
                raise PermissionDenied(N_("Only the organiser of this meetup or a moderator "
                                          "can change it."))
            if meetup.status == "cancelled":
                raise InvalidInput(N_("This meetup was cancelled."))
            meetup.status = "cancelled"
            meetup.updated_at = utcnow()
            for minutes in meetup.reminders.split(","):
                await cancel(session, f"{REMIND_JOB}:{meetup.id}:{minutes}")
            await cancel(session, f"{NEXT_JOB}:{meetup.id}")
            member = await ensure_member(session, actor)
            await audit.record(session, actor, member, collective, "meetup.cancel", str(number))
            info = await self._info(session, meetup, member.person_id)
            notices = await self._notices(session, meetup, info, "meetup.cancelled",
                                          exclude=member.person_id)
            return Changed(info, notices)

    # -- RSVPs --------------------------------------------------------------------

    async def rsvp(self, actor: Actor, place: Place, number: int, answer: str) -> RsvpResult:
        """Answer going, maybe or no; beyond capacity, going means the waitlist."""
        number = record_id(number, field=MEETUP_NUMBER)
        if answer not in ("going", "maybe", "no"):
            answer = parse_answer(answer)
        async with self.db.transaction() as session:
            # Serialise RSVPs to this meetup before counting anything.
            locked = await session.execute(
                update(Meetup).where(Meetup.id == number).values(version=Meetup.version + 1)
            )
            collective, scope = await self._scope(session, place)
            meetup = await self._get(session, scope, number) if locked.rowcount else None
            if meetup is None:
                raise NotFound(N_("There is no meetup number {number} here."), number=number)
            now = utcnow()
            if meetup.status == "cancelled":
                raise InvalidInput(N_("This meetup was cancelled."))
            if meetup.starts_at <= now:
                raise InvalidInput(N_("This meetup has already started."))
            if meetup.rsvp_deadline is not None and meetup.rsvp_deadline <= now \
                    and answer != "no":
                raise InvalidInput(N_("Registrations closed on {when}."),
                                   when=meetup.rsvp_deadline.astimezone(
                                       ZoneInfo(collective.timezone)).strftime("%d/%m %H:%M"))
            member = await ensure_member(session, actor, collective)
            mine = await session.scalar(select(Rsvp).where(
                Rsvp.meetup_id == meetup.id, Rsvp.person_id == member.person_id))
            was_going = mine is not None and mine.status == "going"
            notices: tuple[Notice, ...] = ()
            if answer == "no":
                if mine is not None:
                    await session.delete(mine)
                    await session.flush()
                if was_going:
                    notices = await self._promote(session, meetup)
                status = "no"
            else:
                status = answer
                if answer == "going" and not was_going:
                    going = await session.scalar(select(func.count()).where(
                        Rsvp.meetup_id == meetup.id, Rsvp.status == "going")) or 0
                    if meetup.capacity is not None and going >= meetup.capacity:
                        status = "waitlist"
                if mine is None:
                    queued = (await session.scalar(select(func.max(Rsvp.queued)).where(
                        Rsvp.meetup_id == meetup.id)) or 0) + 1
                    mine = Rsvp(meetup_id=meetup.id, person_id=member.person_id,
                                status=status, queued=queued, created_at=now)
                    session.add(mine)
                elif not (mine.status == "waitlist" and status == "waitlist"):
                    if mine.status != "waitlist" and status == "waitlist":
                        mine.queued = (await session.scalar(select(func.max(Rsvp.queued)).where(
                            Rsvp.meetup_id == meetup.id)) or 0) + 1
                    mine.status = status
                mine.updated_at = now
                await session.flush()
                if was_going and status != "going":
                    notices = await self._promote(session, meetup)
            info = await self._info(session, meetup, member.person_id)
            return RsvpResult(info, status, info.your_position, notices)

    async def _promote(self, session: AsyncSession, meetup: Meetup) -> tuple[Notice, ...]:
        """Move the first in line to "going" while places are free."""
        if meetup.capacity is None:
            return ()
        going = await session.scalar(select(func.count()).where(
            Rsvp.meetup_id == meetup.id, Rsvp.status == "going")) or 0
        free = meetup.capacity - going
        if free <= 0:
            return ()
        lucky = list(await session.scalars(
            select(Rsvp).where(Rsvp.meetup_id == meetup.id, Rsvp.status == "waitlist")
            .order_by(Rsvp.queued).limit(free)))
        for rsvp in lucky:
            rsvp.status = "going"
            rsvp.updated_at = utcnow()
        await session.flush()
        if not lucky:
            return ()
        info = await self._info(session, meetup, None)
        return await self._notices(session, meetup, info, "meetup.promoted",
                                   persons=[r.person_id for r in lucky])

    async def _notices(self, session: AsyncSession, meetup: Meetup, info: MeetupInfo,
                       kind: str, *, persons: list[int] | None = None,
                       exclude: int | None = None,
                       statuses: tuple[str, ...] = ("going", "maybe", "waitlist"),
                       ) -> tuple[Notice, ...]:
        """One notice per identity of each person concerned, on the meetup's platform
        first (the one where they answered) — every linked identity gets it."""
        if persons is None:
            persons = list(await session.scalars(select(Rsvp.person_id).where(
                Rsvp.meetup_id == meetup.id, Rsvp.status.in_(statuses))))
        persons = [p for p in persons if p != exclude]
        if not persons:
            return ()
        home = await session.get(Collective, meetup.collective_id)
        locale = home.locale if home else self.defaults["locale"]
        members = await session.scalars(select(Member).where(Member.person_id.in_(persons))
                                        .order_by(Member.id))
        return tuple(Notice(m.platform, m.user_id, locale, kind, info) for m in members)

    # -- reading ----------------------------------------------------------------

    async def show(self, actor: Actor, place: Place, number: int) -> MeetupInfo:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            meetup = await self._get(session, scope, number)
            return await self._info(session, meetup, member.person_id if member else None)

    async def upcoming(self, actor: Actor, place: Place,
                       city: str | None = None) -> tuple[MeetupInfo, ...]:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            query = select(Meetup).where(
                Meetup.collective_id.in_(scope.collective_ids),
                Meetup.status == "scheduled", Meetup.ends_at > utcnow(),
            ).order_by(Meetup.starts_at).limit(25)
            rows = list(await session.scalars(query))
            if city:
                wanted = fold(city)
                rows = [m for m in rows if (m.online and wanted in ONLINE_WORDS)
                        or (m.city and fold(m.city) == wanted)]
            person = member.person_id if member else None
            return tuple([await self._info(session, m, person) for m in rows])

    async def calendar(self, actor: Actor, place: Place, number: int) -> Calendar:
        """An .ics file for one meetup, with its time zone."""
        from icalendar import Calendar as ICalendar
        from icalendar import Event

        info = await self.show(actor, place, number)
        zone = ZoneInfo(info.timezone)
        calendar = ICalendar()
        calendar.add("prodid", "-//independants-bot//meetups//FR")
        calendar.add("version", "2.0")
        event = Event()
        event.add("uid", f"meetup-{info.id}@independants-bot")
        event.add("summary", info.title)
        event.add("dtstart", info.starts_at.astimezone(zone))
        event.add("dtend", info.ends_at.astimezone(zone))
        event.add("dtstamp", utcnow())
        location = "en ligne" if info.online else ", ".join(
            part for part in (info.address, info.city) if part)
        event.add("location", location)
        if info.link:
            event.add("url", info.link)
        if info.description:
            event.add("description", info.description)
        if info.status == "cancelled":
            event.add("status", "CANCELLED")
        calendar.add_component(event)
        calendar.add_missing_timezones()
        return Calendar(f"rencontre-{info.id}.ics", calendar.to_ical())

    async def attendees(self, actor: Actor, place: Place, number: int) -> Calendar:
        """The attendee list as CSV, for the organiser or a moderator only."""
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            meetup = await self._get(session, scope, number)
            if not self._can_manage(actor, member, meetup):
                raise PermissionDenied(N_("Only the organiser of this meetup or a moderator "
                                          "can change it."))
            rows = (await session.execute(
                select(Rsvp.status, Rsvp.queued, func.min(Member.display_name))
                .join(Member, Member.person_id == Rsvp.person_id)
                .where(Rsvp.meetup_id == meetup.id)
                .group_by(Rsvp.id, Rsvp.status, Rsvp.queued)
                .order_by(Rsvp.status, Rsvp.queued)
            )).all()
            await audit.record(session, actor, await ensure_member(session, actor), collective,
                               "meetup.attendees", str(number))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["name", "status", "order"])
        for status, queued, name in rows:
            writer.writerow([("'" + name) if name[:1] in "=+-@" else name, status, queued])
        return Calendar(f"rencontre-{number}-inscrits.csv",
                        buffer.getvalue().encode("utf-8-sig"))

    # -- jobs ---------------------------------------------------------------------

    async def reminder_notices(self, meetup_id: int, minutes: int) -> tuple[Notice, ...]:
        async with self.db.transaction() as session:
            meetup = await session.get(Meetup, meetup_id)
            if meetup is None or meetup.status != "scheduled":
                return ()
            info = await self._info(session, meetup, None)
            return await self._notices(session, meetup, info, "meetup.reminder",
                                       statuses=("going",))

    async def next_occurrence(self, meetup_id: int) -> Created | None:
        """Create the next meetup of a series (its job runs when one ends)."""
        async with self.db.transaction() as session:
            meetup = await session.get(Meetup, meetup_id)
            if meetup is None or meetup.status != "scheduled" or meetup.recurrence == "none":
                return None
            step = relativedelta(weeks=1) if meetup.recurrence == "weekly" else \
                relativedelta(months=1)
            home = await session.get(Collective, meetup.collective_id)
            assert home is not None
            zone = ZoneInfo(home.timezone)
            # Shift in local time, so 19:30 stays 19:30 across a clock change.
            starts = (meetup.starts_at.astimezone(zone).replace(tzinfo=None) + step)
            ends = (meetup.ends_at.astimezone(zone).replace(tzinfo=None) + step)
            deadline = None
            if meetup.rsvp_deadline is not None:
                deadline = (meetup.rsvp_deadline.astimezone(zone).replace(tzinfo=None) + step
                            ).replace(tzinfo=zone)
            following = Meetup(
                collective_id=meetup.collective_id, person_id=meetup.person_id,
                title=meetup.title, city=meetup.city, online=meetup.online, link=meetup.link,
                address=meetup.address, description=meetup.description,
                starts_at=starts.replace(tzinfo=zone), ends_at=ends.replace(tzinfo=zone),
                capacity=meetup.capacity, rsvp_deadline=deadline,
                recurrence=meetup.recurrence, series_id=meetup.series_id or meetup.id,
                reminders=meetup.reminders,
            )
            session.add(following)
            await session.flush()
            await self._plan(session, following)
            info = await self._info(session, following, None)
            scope = await scope_of(session, home, WORKFLOW)
            return Created(info, await self._announcements(session, scope, None, info))
