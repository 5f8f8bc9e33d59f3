"""Meetups on Matrix: capacity, waitlist, a promotion told privately, RSVPs by
reaction with throttled edits of the meetup message, changes told privately,
calendar and attendee files, a reminder sent once across restarts."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from nio import Event, RoomMessageFile, RoomMessageNotice, RoomRedactResponse, RoomSendResponse

from tests import db_peek
from tests.e2e_matrix.helpers import BotProcess, Member, download
from tests.matrix_harness.synapse import SynapseServer

NUMBER = re.compile(r"#(\d+) · ")
PARIS = ZoneInfo("Europe/Paris")


async def test_waitlist_promotion_and_calendar(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "orga")
    ana, ben, cat = [await Member.login(synapse, n) for n in ("ana", "ben", "cat")]
    members = [mod, ana, ben, cat]
    try:
        room = await mod.create_room(invite=[bot.user_id, ana.user_id, ben.user_id,
                                             cat.user_id])
        for member in (ana, ben, cat):
            await member.join(room)
        await mod.wait_member(room, bot.user_id)
        year = datetime.now(UTC).year + 1
        created = await mod.command(
            room, f'!rencontre creer titre="Apéro des indés" lieu=Lyon debut="{year}-07-02 '
                  f'19:30" capacite=2', bot=bot.user_id)
        number = NUMBER.search(created.body)
        assert number, created.body
        meetup = number[1]
        first = await ana.command(room, f"!rencontre viens {meetup}", bot=bot.user_id)
        assert "Votre place est réservée" in first.body
        await ben.command(room, f"!rencontre viens {meetup}", bot=bot.user_id)
        third = await cat.command(room, f"!rencontre viens {meetup}", bot=bot.user_id)
        assert "liste d’attente" in third.body and "numéro 1" in third.body
        left = await ana.command(room, f"!rencontre non {meetup}", bot=bot.user_id)
        assert "vous ne venez pas" in left.body
        direct = await cat.join_direct()
        [(_, told)] = await cat.wait(lambda r, e: r == direct
                                     and isinstance(e, RoomMessageNotice)
                                     and "une place s’est libérée" in e.body)
        assert "Apéro des indés" in told.body
        shown = await cat.command(room, f"!rencontre voir {meetup}", bot=bot.user_id)
        assert "Vous venez." in shown.body

        await mod.command(room, f"!rencontre calendrier {meetup}", bot=bot.user_id)
        [(_, ics)] = await mod.wait(lambda r, e: r == room and isinstance(e, RoomMessageFile)
                                    and e.body.endswith(".ics"))
        calendar = Calendar.from_ical(download(synapse, ics.url, mod.client.access_token))
        start = next(iter(calendar.walk("VEVENT"))).decoded("dtstart")
        assert start.astimezone(UTC).hour == 17 and start.minute == 30  # summer time

        refused = await ben.command(room, f"!rencontre modifier {meetup} titre=Piraté",
                                    bot=bot.user_id)
        assert "Seuls l’organisateur" in refused.body
    finally:
        for member in members:
            await member.close()


def content(event: Event) -> dict[str, Any]:
    value = event.source.get("content")
    return value if isinstance(value, dict) else {}


async def react(member: Member, room_id: str, target: str, key: str) -> str:
    sent = await member.client.room_send(room_id, "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": target, "key": key}})
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


async def collective(synapse: SynapseServer, bot: BotProcess, *names: str) -> tuple[str, list]:
    """A room made by a moderator (the first member), joined by the others and the bot."""
    members = [await Member.login(synapse, name) for name in names]
    mod, others = members[0], members[1:]
    room = await mod.create_room(invite=[bot.user_id, *(m.user_id for m in others)])
    for member in others:
        await member.join(room)
    await mod.wait_member(room, bot.user_id)
    return room, members


def says(event: Event, text: str) -> bool:
    return isinstance(event, RoomMessageNotice) and text in event.body


def notices(member: Member, room_id: str, bot: BotProcess, text: str) -> list[Event]:
    return [e for r, e in member.events
            if r == room_id and e.sender == bot.user_id and says(e, text)]


def in_three_days() -> str:
    return (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")


async def test_rsvp_by_reaction_with_live_counts(synapse: SynapseServer,
                                                 bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "orga", "ana", "ben", "cat")
    mod, ana, ben, cat = members
    try:
        created = await mod.command(
            room, f'!rencontre creer titre="Atelier devis" lieu=Nantes debut="{in_three_days()}" '
                  "capacite=2", bot=bot.user_id)
        number = NUMBER.search(created.body)[1]
        assert "✅" in created.body and "❔" in created.body and "❌" in created.body
        message = created.event_id

        ana_yes = await react(ana, room, message, "✅")
        await react(ben, room, message, "✅")
        await react(cat, room, message, "✅")
        # cat is on the waitlist and told so privately; the others hear nothing.
        direct = await cat.join_direct()
        [(_, waitlisted)] = await cat.wait(lambda r, e: r == direct
                                           and isinstance(e, RoomMessageNotice))
        assert "liste d’attente" in waitlisted.body and "numéro 1" in waitlisted.body

        def edits() -> list[Event]:
            return [e for r, e in mod.events
                    if r == room and e.sender == bot.user_id
                    and content(e).get("m.relates_to", {}).get("rel_type") == "m.replace"
                    and content(e)["m.relates_to"]["event_id"] == message]

        def shows(line: str) -> bool:
            return any(line in content(e)["m.new_content"]["body"].splitlines()
                       for e in edits())

        full = "2 inscrit·es · 0 place restante · 1 en liste d’attente"
        await mod.until(lambda: shows(full), within=15)

        redacted = await ana.client.room_redact(room, ana_yes)  # ana is not coming any more
        assert isinstance(redacted, RoomRedactResponse), redacted
        [(_, promoted)] = await cat.wait(
            lambda r, e: says(e, "une place s’est libérée") and r == direct)
        assert "Atelier devis" in promoted.body
        await mod.until(lambda: shows("2 inscrit·es · 0 place restante"), within=15)

        # The organiser's change is told privately to those registered, and shown.
        changed = await mod.command(room, f'!rencontre modifier {number} titre="Atelier tarifs"',
                                    bot=bot.user_id)
        assert "Atelier tarifs" in changed.body
        ben_direct = await ben.join_direct()
        [(_, told)] = await ben.wait(
            lambda r, e: says(e, "Rencontre modifiée") and r == ben_direct)
        assert "Atelier tarifs" in told.body
        await cat.wait(lambda r, e: says(e, "Rencontre modifiée") and r == direct)
        await mod.until(lambda: any("Atelier tarifs" in content(e)["m.new_content"]["body"]
                                    for e in edits()), within=15)
        stamps = [e.server_timestamp for e in edits()]
        assert all(b - a >= 2900 for a, b in itertools.pairwise(stamps)), stamps

        # The attendee list goes to the organiser privately, as a CSV file.
        asked = await mod.command(room, f"!rencontre inscrits {number}", bot=bot.user_id)
        assert "message privé" in asked.body
        mod_direct = await mod.join_direct()
        [(_, csv)] = await mod.wait(lambda r, e: r == mod_direct
                                    and isinstance(e, RoomMessageFile))
        assert content(csv)["info"]["mimetype"] == "text/csv"
        data = await asyncio.to_thread(download, synapse, csv.url, mod.client.access_token)
        rows = data.decode("utf-8-sig").splitlines()
        assert rows[0] == "name,status,order" and len(rows) == 3
        assert all(",going," in row for row in rows[1:])
        assert not [r for r in ana.invites if r != room]  # ana was told nothing
    finally:
        for member in members:
            await member.close()


async def test_calendar_across_daylight_saving(synapse: SynapseServer,
                                               bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "orga")
    [mod] = members
    year = datetime.now(UTC).year + 1
    try:
        for date, utc_hour in ((f"{year}-07-09", 17), (f"{year}-12-10", 18)):
            created = await mod.command(
                room, f'!rencontre creer titre="Permanence {date}" lieu=Lille '
                      f'debut="{date} 19:30"', bot=bot.user_id)
            number = NUMBER.search(created.body)[1]
            await mod.command(room, f"!rencontre calendrier {number}", bot=bot.user_id)
            [(_, ics)] = await mod.wait(lambda r, e, n=number: r == room
                                        and isinstance(e, RoomMessageFile)
                                        and e.body == f"rencontre-{n}.ics")
            assert content(ics)["info"]["mimetype"] == "text/calendar"
            data = await asyncio.to_thread(download, synapse, ics.url, mod.client.access_token)
            event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
            start = event.decoded("dtstart").astimezone(UTC)
            assert (start.hour, start.minute) == (utc_hour, 30), (date, start)
            assert str(event["summary"]) == f"Permanence {date}"
    finally:
        await mod.close()


async def test_reminder_sent_once_across_restarts(synapse: SynapseServer,
                                                  bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "orga", "ana", "ben")
    mod, ana, ben = members
    starts = (datetime.now(PARIS) + timedelta(days=2)).replace(second=0, microsecond=0)
    try:
        created = await mod.command(
            room, f'!rencontre creer titre="Pot de rentrée" lieu=Rennes '
                  f'debut="{starts:%Y-%m-%d %H:%M}"', bot=bot.user_id)
        number = int(NUMBER.search(created.body)[1])
        await ana.command(room, f"!rencontre viens {number}", bot=bot.user_id)
        await react(ben, room, created.event_id, "❔")  # maybe: no reminder
        await mod.command(room, f"!rencontre voir {number}", bot=bot.user_id)  # ben counted

        due = dict(db_peek.fetch(bot.db_url, "SELECT key, due_at FROM jobs WHERE kind = "
                                 "'meetup.remind' AND key LIKE ?", f"meetup.remind:{number}:%"))
        assert {key: db_peek.instant(value) for key, value in due.items()} == {
            f"meetup.remind:{number}:1440": starts - timedelta(hours=24),
            f"meetup.remind:{number}:60": starts - timedelta(hours=1),
        }

        # A day passes while the bot is down: the first reminder is due at the restart.
        assert bot.stop() == 0
        db_peek.execute(bot.db_url, "UPDATE jobs SET due_at = ? WHERE key = ?",
                        datetime.now(UTC) - timedelta(seconds=5), f"meetup.remind:{number}:1440")
        bot.start()
        direct = await ana.join_direct(within=30)
        await ana.wait(lambda r, e: says(e, "Rappel") and r == direct)

        assert bot.stop() == 0  # and once more: nothing is sent again
        bot.start()
        await mod.command(room, "!aide", bot=bot.user_id)  # the bot is serving again
        await ana.sync(timeout_ms=1500)
        reminders = notices(ana, direct, bot, "Rappel")
        assert len(reminders) == 1, [e.body for e in reminders]
        assert "Pot de rentrée" in reminders[0].body
        [(status,)] = db_peek.fetch(bot.db_url, "SELECT status FROM jobs WHERE key = ?",
                                    f"meetup.remind:{number}:1440")
        assert status == "done"
        assert not [r for r in ben.invites if r != room]  # ben (maybe) got no reminder
    finally:
        for member in members:
            await member.close()
