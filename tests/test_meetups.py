"""Meetups: capacity, waitlist, promotion, reminders, calendars, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select, text, update

from bot.core.app import Core
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.services.meetups import MeetupDraft
from bot.db.models import Job, Rsvp, utcnow
from tests.conftest import member, place

MOD = member("mod", moderator=True)
PARIS = ZoneInfo("Europe/Paris")


def later(days: int = 3, hour: int = 19) -> str:
    moment = (datetime.now(PARIS) + timedelta(days=days)).replace(hour=hour, minute=30)
    return moment.strftime("%Y-%m-%d %H:%M")


def draft(**overrides) -> MeetupDraft:
    values = dict(title="Apéro des indés", where="Lyon", address="3 rue X", starts=later(),
                  capacity=2)
    values.update(overrides)
    return MeetupDraft(**values)


async def test_waitlist_and_promotion(core: Core) -> None:
    meetup = (await core.meetups.create(MOD, place(), draft())).meetup
    answers = [await core.meetups.rsvp(member(n), place(), meetup.id, "going")
               for n in ("ana", "ben", "cat")]
    assert [a.status for a in answers] == ["going", "going", "waitlist"]
    assert answers[2].position == 1 and answers[2].notices == ()
    left = await core.meetups.rsvp(member("ana"), place(), meetup.id, "no")
    assert left.meetup.going == 2 and left.meetup.waitlist == 0
    assert [(n.user_id, n.kind) for n in left.notices] == [("cat", "meetup.promoted")]
    cat = await core.meetups.show(member("cat"), place(), meetup.id)
    assert cat.your_status == "going"
    maybe = await core.meetups.rsvp(member("dan"), place(), meetup.id, "maybe")
    assert maybe.status == "maybe" and maybe.meetup.maybe == 1


async def test_two_hundred_concurrent_rsvps_for_fifty_places(core: Core) -> None:
    meetup = (await core.meetups.create(MOD, place(), draft(capacity=50))).meetup
    results = await asyncio.gather(*(
        core.meetups.rsvp(member(f"m{i}"), place(), meetup.id, "going") for i in range(200)))
    assert sum(r.status == "going" for r in results) == 50
    waiting = sorted(r.position for r in results if r.status == "waitlist")
    assert waiting == list(range(1, 151))
    async with core.db.transaction() as session:
        statuses = (await session.execute(
            select(Rsvp.status, Rsvp.queued).order_by(Rsvp.queued))).all()
    assert [s for s, _q in statuses[:50]] == ["going"] * 50
    assert [s for s, _q in statuses[50:]] == ["waitlist"] * 150


async def test_waitlist_keeps_click_order(core: Core) -> None:
    meetup = (await core.meetups.create(MOD, place(), draft(capacity=1))).meetup
    for index in range(6):
        await core.meetups.rsvp(member(f"c{index}"), place(), meetup.id, "going")
    positions = [(await core.meetups.show(member(f"c{i}"), place(), meetup.id)).your_position
                 for i in range(6)]
    assert positions == [None, 1, 2, 3, 4, 5]
    result = await core.meetups.rsvp(member("c0"), place(), meetup.id, "no")
    assert [n.user_id for n in result.notices] == ["c1"]


async def test_reminders_fire_once_at_the_right_instants(core: Core) -> None:
    starts = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=2)
    meetup = (await core.meetups.create(MOD, place(), draft(
        starts=starts.strftime("%Y-%m-%d %H:%M:%S")))).meetup
    await core.meetups.rsvp(member("ana"), place(), meetup.id, "going")
    await core.meetups.rsvp(member("ben"), place(), meetup.id, "maybe")
    async with core.db.transaction() as session:
        due = sorted((await session.scalars(
            select(Job.due_at).where(Job.kind == "meetup.remind"))).all())
    assert due == [starts - timedelta(hours=24), starts - timedelta(hours=1)]
    sent = []

    async def private(user_id: str, message) -> None:
        sent.append((user_id, message.title))

    core.outbox.register("console", _ignore, private)
    async with core.db.transaction() as session:  # time passes: the first reminder is due
        await session.execute(
            update(Job).where(Job.kind == "meetup.remind", Job.key.like("%:1440"))
            .values(due_at=utcnow() - timedelta(seconds=1)))
    assert await core.scheduler.run_due() == 1
    assert await core.scheduler.run_due() == 0
    assert [user for user, _title in sent] == ["ana"]  # only those coming


async def _ignore(*_args) -> None:
    return None


async def test_ics_carries_the_right_instant_across_daylight_saving(core: Core) -> None:
    year = datetime.now(PARIS).year + 1
    summer = (await core.meetups.create(MOD, place(), draft(
        starts=f"{year}-07-02 19:30"))).meetup
    winter = (await core.meetups.create(MOD, place(), draft(
        starts=f"{year}-12-03 19:30"))).meetup
    for info, utc_hour in ((summer, 17), (winter, 18)):
        calendar = Calendar.from_ical(
            (await core.meetups.calendar(member("x"), place(), info.id)).content)
        event = next(iter(calendar.walk("VEVENT")))
        start = event.decoded("dtstart")
        assert start.astimezone(UTC).hour == utc_hour and start.minute == 30
        assert event["dtstart"].params["TZID"] == "Europe/Paris"
        assert calendar.walk("VTIMEZONE"), "the time zone is described in the file"


@pytest.mark.parametrize(
    "bad",
    [
        draft(starts="2020-01-01 10:00"),
        draft(starts="la semaine des quatre jeudis"),
        draft(starts=later(), ends=later(days=2)),
        draft(capacity=0),
        draft(capacity=-3),
        draft(where="en ligne"),
        draft(title=" "),
        draft(deadline=later(days=5)),
    ],
)
async def test_bad_input_writes_nothing(core: Core, bad: MeetupDraft) -> None:
    with pytest.raises(InvalidInput):
        await core.meetups.create(MOD, place(), bad)
    assert await core.meetups.upcoming(member("x"), place()) == ()


async def test_deadline_permissions_and_cancellation(core: Core) -> None:
    with pytest.raises(PermissionDenied):
        await core.meetups.create(member("ana"), place(), draft())
    organiser = member("org")
    organiser = type(organiser)(organiser.platform, "org", "Org", False, True)
    meetup = (await core.meetups.create(organiser, place(), draft())).meetup
    await core.meetups.rsvp(member("ana"), place(), meetup.id, "going")
    with pytest.raises(PermissionDenied):
        await core.meetups.edit(member("ana"), place(), meetup.id, MeetupDraft(title="Piraté"))
    changed = await core.meetups.edit(organiser, place(), meetup.id,
                                      MeetupDraft(where="Villeurbanne"))
    assert changed.meetup.city == "Villeurbanne"
    assert [n.user_id for n in changed.notices] == ["ana"]
    async with core.db.transaction() as session:
        await session.execute(text("UPDATE meetups SET rsvp_deadline = :past"),
                              {"past": utcnow() - timedelta(minutes=1)})
    with pytest.raises(InvalidInput):
        await core.meetups.rsvp(member("ben"), place(), meetup.id, "going")
    cancelled = await core.meetups.cancel(MOD, place(), meetup.id)
    assert cancelled.meetup.status == "cancelled" and [n.kind for n in cancelled.notices] == [
        "meetup.cancelled"]
    async with core.db.transaction() as session:
        pending = (await session.scalars(select(Job.status).where(
            Job.kind == "meetup.remind"))).all()
    assert set(pending) == {"cancelled"}
    with pytest.raises(NotFound):
        await core.meetups.show(member("x"), place(), 99)


async def test_weekly_series_keeps_local_time_across_the_clock_change(core: Core) -> None:
    year = datetime.now(PARIS).year + 1
    first = (await core.meetups.create(MOD, place(), draft(
        starts=f"{year}-03-24 19:30", recurrence="hebdomadaire"))).meetup
    created = await core.meetups.next_occurrence(first.id)
    assert created is not None
    following = created.meetup
    assert following.starts_at.astimezone(PARIS).strftime("%d/%m %H:%M") == "31/03 19:30"
    elapsed = following.starts_at.astimezone(UTC) - first.starts_at.astimezone(UTC)
    assert elapsed == timedelta(days=7, hours=-1)  # one hour less: summer time began
