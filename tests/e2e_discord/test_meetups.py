"""Meetups on Discord, end to end: creation with the dates as understood, RSVP
buttons with capacity, waitlist and a promotion told by direct message, the
throttled refresh of the public message, a reminder on time, calendar files
across a clock change, refusals, changes and cancellation mirrored to a Discord
scheduled event."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import time
from datetime import UTC, datetime, timedelta
from itertools import count, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from bot.core.dates import format_when
from bot.core.i18n import use_locale
from bot.core.render.meetups import counts_line
from bot.core.services.meetups import MeetupInfo
from tests.discord_standin import FakeMember, InteractionRecord, RecordedRequest, StoredMessage
from tests.e2e_discord.harness import Tribune, database_rows, fr

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

PARIS = "Europe/Paris"
REFRESH_INTERVAL = 3.0
REMINDER_DELAY = 8.0  # seconds from creation to the 60-minute reminder


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    """``/<path>`` and its answer."""
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


def number_of(message: StoredMessage) -> int:
    going = next(cid for cid in message.custom_ids() if cid.startswith("meetup:going:"))
    return int(going.rsplit(":", 1)[1])


def field(message: StoredMessage, name: str) -> str | None:
    for embed in message.embeds:
        for item in embed.get("fields") or []:
            if item.get("name") == name:
                return str(item.get("value"))
    return None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def counts(going: int, maybe: int, capacity: int | None, waitlist: int = 0) -> str:
    """The counts line a French collective reads."""
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    info = MeetupInfo(1, "x", "Lyon", False, None, None, "", moment, moment, PARIS, capacity,
                      None, "none", "scheduled", going, maybe, waitlist, None, None)
    with use_locale("fr"):
        return counts_line(info)


def french_when(moment: datetime) -> str:
    with use_locale("fr"):
        return format_when(moment, PARIS)


def rows(scene: Tribune, table: str) -> list[dict[str, Any]]:
    return database_rows(scene.bot)[table]


async def create(scene: Tribune, user: FakeMember, **options: Any) -> InteractionRecord:
    return await run(scene, "rencontre creer", user, options=options)


async def test_waitlist_promotion_refresh_and_reminder(tribune: Tribune) -> None:
    scene = tribune
    modo = scene.moderator("modo")
    alice, bob, carol, dave = (scene.member(n) for n in ("alice", "bob", "carol", "dave"))
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1,
                                                                  seconds=REMINDER_DELAY)
    reminder_due = time.monotonic() + (starts - timedelta(hours=1)
                                       - datetime.now(UTC)).total_seconds()

    created = await create(scene, modo, titre="Apéro des indépendants", lieu="Lyon",
                           debut=iso(starts), capacite=2, adresse="3 place des Terreaux")
    public = created.message
    assert not public.ephemeral, created.describe()
    number = number_of(public)
    going, no, maybe = (f"meetup:{a}:{number}" for a in ("going", "no", "maybe"))
    assert public.custom_ids() == [going, maybe, no, f"meetup:ics:{number}"]
    assert [c["label"] for c in public.walk_components() if c.get("type") == 2] == [
        fr("I'm coming"), fr("Maybe"), fr("Not coming any more"), fr("Calendar (.ics)")]
    unix = int(starts.timestamp())
    assert f"<t:{unix}:F>" in (field(public, fr("When")) or "")
    assert f"<t:{unix}:R>" in (field(public, fr("When")) or "")
    assert counts(0, 0, 2) in public.text

    understood = await scene.env.followup(created)
    assert understood.ephemeral
    assert french_when(starts) in (field(understood, fr("Starts")) or "")
    assert PARIS in understood.text

    # Capacity 2: the third is waitlisted; when a place frees, she is promoted and told.
    burst = time.monotonic()
    answered = await scene.click(public, going, alice)
    assert answered.ephemeral and fr("See you there! Your place is booked.") in answered.text
    await scene.click(public, going, bob)
    waiting = await scene.click(public, going, carol)
    assert waiting.ephemeral
    assert fr("The meetup is full: you are number {position} on the waitlist. You will be "
              "told privately if a place frees up.", position=1) in waiting.text
    left = await scene.click(public, no, bob)
    assert fr("Noted: you are not coming.") in left.text
    await scene.click(public, maybe, dave)
    burst = time.monotonic() - burst
    promoted = await scene.env.dm(carol, fr("Good news: a place has freed up and it is yours. "
                                            "You are now coming."))
    assert promoted.custom_ids() == [] and promoted.mentions == []
    assert not scene.standin.dms_to(bob)

    # Five clicks in a burst: the message is edited at once, then once more with the
    # latest counts when three seconds have passed.
    final = counts(2, 1, 2)
    await scene.standin.wait_until(lambda: final in public.text, timeout=REFRESH_INTERVAL + 3,
                                   describe=lambda: f"{final!r} in {public.embeds}")
    edits = scene.standin.requests_to(
        "PATCH", f"/channels/{public.channel_id}/messages/{public.id}")
    assert all(b.at - a.at >= REFRESH_INTERVAL - 0.2 for a, b in pairwise(edits)), edits
    if burst < REFRESH_INTERVAL - 0.5:
        assert len(edits) == 2, edits
    assert public.custom_ids() == [going, maybe, no, f"meetup:ics:{number}"]
    assert fr("You are coming.") not in public.text  # the same message for everyone

    # The 60-minute reminder, privately, on time, once, to those coming only.
    reminder = fr("Reminder")
    if time.monotonic() < reminder_due - 0.2:
        assert not any(reminder in m.text for m in scene.standin.dms_to(alice))
    await scene.env.dm(alice, reminder, timeout=reminder_due - time.monotonic() + 5)
    await scene.env.dm(carol, reminder, timeout=2)
    sent = [r for r in dm_posts(scene, alice) if reminder in str(r.json)]
    assert sent[0].at >= reminder_due - 0.1, (sent[0].at, reminder_due)
    await asyncio.sleep(1.0)
    for member, expected in ((alice, 1), (carol, 1), (bob, 0), (dave, 0)):
        got = [m for m in scene.standin.dms_to(member) if reminder in m.text]
        assert len(got) == expected, (member, got)
    assert fr("The meetup starts {when}.", when=french_when(starts)) in got_text(scene, alice)
    jobs = [j for j in rows(scene, "jobs") if j["kind"] == "meetup.remind"]
    assert [j["status"] for j in jobs] == ["done"], jobs


def dm_posts(scene: Tribune, member: FakeMember) -> list[RecordedRequest]:
    channel = scene.env.dm_channel(member)
    return scene.standin.requests_to("POST", f"/channels/{channel.id}/messages")


def got_text(scene: Tribune, member: FakeMember) -> str:
    return "\n".join(m.text for m in scene.standin.dms_to(member))


# -- calendars, refusals, changes, scheduled events ------------------------------------------

def serve_scheduled_events(scene: Tribune) -> list[dict[str, Any]]:
    """Scheduled-event routes on the stand-in; returns the events as they stand."""
    events: list[dict[str, Any]] = []
    ids = count(9000)

    async def created(request: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        event = {**request.body, "id": str(next(ids)), "guild_id": guild_id, "status": 1}
        events.append(event)
        return 200, event

    async def listed(request: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        return 200, [e for e in events if e["guild_id"] == guild_id]

    async def edited(request: RecordedRequest, guild_id: str, event_id: str) -> tuple[int, Any]:
        event = next(e for e in events if e["id"] == event_id)
        event.update(request.body)
        return 200, event

    scene.standin.add_route("POST", "/guilds/{guild_id}/scheduled-events", created)
    scene.standin.add_route("GET", "/guilds/{guild_id}/scheduled-events", listed)
    scene.standin.add_route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", edited)
    return events


def calendar_start(reply: InteractionRecord) -> datetime:
    assert reply.ephemeral, reply.describe()
    (upload,) = reply.message.files
    assert upload.filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(upload.data)
    (event,) = calendar.walk("VEVENT")
    return event.decoded("dtstart").astimezone(UTC)


async def test_calendars_refusals_changes_and_scheduled_events(
    tribune_unstarted: Tribune,
) -> None:
    scene = tribune_unstarted
    scene.bot.extra_config = "scheduled_events = true\n"
    events = serve_scheduled_events(scene)
    await scene.bot.start()
    modo = scene.moderator("modo")
    alice, bob = scene.member("alice"), scene.member("bob")
    year = datetime.now(UTC).year + 1

    # Summer and winter dates (ISO, then French) carry the right UTC instant.
    summer = (await create(scene, modo, titre="Pique-nique", lieu="Lyon",
                           debut=f"{year}-07-15 19:30", fin=f"{year}-07-15 22:00")).message
    winter_created = await create(scene, modo, titre="Atelier devis", lieu="en ligne",
                                  lien="https://visio.example.org/devis",
                                  debut=f"15/12/{year} à 19h30", capacite=10)
    winter = winter_created.message
    confirmed = await scene.env.followup(winter_created)
    winter_start = datetime(year, 12, 15, 18, 30, tzinfo=UTC)
    assert french_when(winter_start) in confirmed.text
    s_number, w_number = number_of(summer), number_of(winter)
    assert calendar_start(await scene.click(summer, f"meetup:ics:{s_number}", alice)) \
        == datetime(year, 7, 15, 17, 30, tzinfo=UTC)
    assert calendar_start(await scene.click(winter, f"meetup:ics:{w_number}", alice)) \
        == winter_start
    by_slash = await run(scene, "rencontre calendrier", bob, options={"numero": w_number})
    assert calendar_start(by_slash) == winter_start

    await scene.standin.wait_until(lambda: len(events) == 2, timeout=5,
                                   describe=lambda: f"two scheduled events: {events}")
    mirrored = {e["name"]: e for e in events}
    pique = mirrored[f"#{s_number} · Pique-nique"]
    assert pique["entity_type"] == 3 and pique["entity_metadata"] == {"location": "Lyon"}
    assert datetime.fromisoformat(pique["scheduled_start_time"]) \
        == datetime(year, 7, 15, 17, 30, tzinfo=UTC)
    assert mirrored[f"#{w_number} · Atelier devis"]["entity_metadata"] == {
        "location": "https://visio.example.org/devis"}

    # Bad input: a clear message each time, nothing written.
    past = await create(scene, modo, titre="Trop tard", lieu="Lyon", debut="2020-03-01 18:00")
    assert past.ephemeral
    assert fr("The meetup would start in the past ({when}): choose a later date.",
              when="01/03/2020 18:00") in past.text
    nonsense = await create(scene, modo, titre="Un jour", lieu="Lyon",
                            debut="quand les poules auront des dents")
    assert nonsense.ephemeral and "quand les poules auront des dents" in nonsense.text
    backwards = await create(scene, modo, titre="À l'envers", lieu="Lyon",
                             debut=f"{year}-07-16 19:30", fin=f"{year}-07-16 18:00")
    assert fr("The meetup must end after it starts.") in backwards.text
    empty = await create(scene, modo, titre="Personne", lieu="Lyon",
                         debut=f"{year}-07-16 19:30", capacite=0)
    assert empty.ephemeral
    assert fr("The capacity must be at least 1 (or leave it out).") in empty.text
    member = await create(scene, alice, titre="Chez moi", lieu="Lyon", debut=f"{year}-07-16")
    assert fr("Only moderators and organisers can create meetups.") in member.text
    not_hers = await run(scene, "rencontre modifier", alice,
                         options={"numero": s_number, "titre": "Pique-nique annulé"})
    assert not_hers.ephemeral
    assert fr("Only the organiser of this meetup or a moderator can change it.") \
        in not_hers.text
    nothing = await run(scene, "rencontre modifier", modo, options={"numero": s_number})
    assert fr("Say what to change: give at least one field.") in nothing.text
    assert sorted(m["title"] for m in rows(scene, "meetups")) == ["Atelier devis",
                                                                  "Pique-nique"]

    # Registrations closed: refused, no answer recorded.
    deadline = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    closed = (await create(scene, modo, titre="Complet", lieu="Lyon",
                           debut=f"{year}-07-20 19:30", limite=iso(deadline))).message
    late = await scene.click(closed, f"meetup:going:{number_of(closed)}", bob)
    assert late.ephemeral
    assert fr("Registrations closed on {when}.", when=deadline.astimezone(
        ZoneInfo(PARIS)).strftime("%d/%m %H:%M")) in late.text
    assert rows(scene, "rsvps") == []

    # The list by city, with Discord timestamps; the attendee list for the organiser.
    await scene.click(summer, f"meetup:going:{s_number}", alice)
    listed = await run(scene, "rencontre liste", bob, options={"ville": "lyon"})
    assert "Pique-nique" in listed.text and "Atelier devis" not in listed.text
    assert f"<t:{int(datetime(year, 7, 15, 17, 30, tzinfo=UTC).timestamp())}:f>" \
        in listed.text
    refused = await run(scene, "rencontre inscrits", alice, options={"numero": s_number})
    assert refused.ephemeral and not refused.message.files
    export = await run(scene, "rencontre inscrits", modo, options={"numero": s_number})
    assert export.ephemeral
    (table,) = export.message.files
    lines = list(csv.reader(io.StringIO(table.data.decode("utf-8-sig"))))
    assert lines == [["name", "status", "order"], ["Alice", "going", "1"]]

    # A change and a cancellation: those registered are told, the event follows.
    changed = await run(scene, "rencontre modifier", modo,
                        options={"numero": s_number, "debut": f"{year}-07-15 20:00",
                                 "titre": "Pique-nique au parc"})
    assert changed.ephemeral
    assert french_when(datetime(year, 7, 15, 18, 0, tzinfo=UTC)) in changed.text
    await scene.env.dm(alice, fr("Meetup changed"))
    await scene.standin.wait_until(
        lambda: pique.get("name") == f"#{s_number} · Pique-nique au parc", timeout=5,
        describe=lambda: f"the renamed event: {pique}")
    assert datetime.fromisoformat(pique["scheduled_start_time"]) \
        == datetime(year, 7, 15, 18, 0, tzinfo=UTC)
    assert datetime.fromisoformat(pique["scheduled_end_time"]) \
        == datetime(year, 7, 15, 20, 30, tzinfo=UTC)

    before = copy.deepcopy(summer.data)
    cancelled = await run(scene, "rencontre annuler", modo, options={"numero": s_number})
    assert cancelled.ephemeral and fr("Meetup cancelled") in cancelled.text
    await scene.env.dm(alice, fr("Meetup cancelled"))
    await scene.standin.wait_until(lambda: pique.get("status") == 4, timeout=5,
                                   describe=lambda: f"the cancelled event: {pique}")
    await scene.standin.wait_until(lambda: summer.custom_ids() == [],
                                   timeout=REFRESH_INTERVAL + 3,
                                   describe=lambda: f"no buttons left: {summer.data}")
    assert fr("Cancelled.") in summer.text
    gone = await scene.click(before, f"meetup:going:{s_number}", bob)
    assert fr("This meetup was cancelled.") in gone.text
