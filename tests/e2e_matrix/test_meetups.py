"""Meetups on Matrix: capacity, waitlist, a promotion told privately, calendar files."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar
from nio import RoomMessageFile, RoomMessageNotice

from tests.e2e_matrix.helpers import BotProcess, Member, download
from tests.matrix_harness.synapse import SynapseServer

NUMBER = re.compile(r"#(\d+) · ")


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
