"""Commands sent while the bot is away or behind, then buried under ordinary chat.

A sync holds at most 100 events per room; with more since the bot's last sync, its
timeline is ``limited`` and the events before it come from ``/messages``. Each
command in there is answered exactly once, before newer ones; a command older than
``matrix.max_command_age_s`` gets a "too late" reply and is not run.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nio import RoomMessageNotice, RoomSendResponse

from tests.e2e_matrix.helpers import BotProcess, Member, reply_target
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

CHATTER = 120  # more than the sync filter's timeline limit (100)
TOO_LATE = "Cette commande est arrivée trop tard"
NUMBER = re.compile(r"#(\d+) · ")
PARIS = ZoneInfo("Europe/Paris")


def replies_to(member: Member, room: str, bot: BotProcess) -> dict[str | None, int]:
    """How many messages the bot sent in reply to each event of ``room``."""
    counts: dict[str | None, int] = {}
    for event in member.messages(room, sender=bot.user_id):
        target = reply_target(event)
        counts[target] = counts.get(target, 0) + 1
    return counts


async def chatter(member: Member, room: str) -> None:
    for index in range(CHATTER):
        await member.say(room, f"On parle d’autre chose, message {index}.")


async def collective(member: Member, bot: BotProcess) -> str:
    room = await member.create_room(invite=[bot.user_id])
    await member.wait_member(room, bot.user_id)
    return room


async def test_a_command_buried_while_the_bot_was_stopped_is_answered_once(
        synapse: SynapseServer, own_bot: BotProcess) -> None:
    bot = own_bot
    bot.start()
    gina = await Member.login(synapse, "gina")
    try:
        room = await collective(gina, bot)
        first = await gina.say(room, "!tribune")
        await gina.replies(room, first, sender=bot.user_id)

        assert bot.stop() == 0
        signed = await gina.say(
            room, '!tribune signer nom="Gina Rossi" metier=autrice ville=Brest consentement=oui')
        await chatter(gina, room)

        bot.start()
        [reply] = await gina.replies(room, signed, sender=bot.user_id, within=60)
        assert TOO_LATE not in reply.body
        fresh = await gina.say(room, "!tribune")
        [count] = await gina.replies(room, fresh, sender=bot.user_id)
        assert "1 signature" in count.body.splitlines(), count.body
        # The buried command was answered before the command sent after the restart.
        mine = gina.messages(room, sender=bot.user_id)
        assert mine.index(reply) < mine.index(count)

        await gina.sync(timeout_ms=1500)
        counts = replies_to(gina, room, bot)
        assert counts == {None: 1, first: 1, signed: 1, fresh: 1}, counts
        log = bot.log(since_start=True)
        assert "missed by a limited sync" in log, log
    finally:
        await gina.close()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log(), bot.log()


async def test_a_command_buried_while_the_bot_could_not_sync_is_answered_once(
        synapse: SynapseServer, own_bot: BotProcess) -> None:
    """The bot's process frozen (as under a long stall) while the room chats: its next
    live sync is limited, and the gap is filled without a restart."""
    bot = own_bot
    bot.start()
    hugo = await Member.login(synapse, "hugo")
    try:
        room = await collective(hugo, bot)
        first = await hugo.say(room, "!tribune")
        await hugo.replies(room, first, sender=bot.user_id)

        assert bot.process is not None
        os.kill(bot.process.pid, signal.SIGSTOP)
        try:
            # Wakes the bot's pending long poll, so what follows is in the next sync.
            await hugo.say(room, "Bonjour à toutes et à tous.")
            await asyncio.sleep(1.0)
            listing = await hugo.say(room, "!tribune liste")
            await chatter(hugo, room)
        finally:
            os.kill(bot.process.pid, signal.SIGCONT)

        [reply] = await hugo.replies(room, listing, sender=bot.user_id, within=60)
        assert TOO_LATE not in reply.body
        await hugo.sync(timeout_ms=1500)
        counts = replies_to(hugo, room, bot)
        assert counts == {None: 1, first: 1, listing: 1}, counts
        assert "missed by a limited sync" in bot.log(since_start=True)
    finally:
        await hugo.close()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log(), bot.log()


async def test_a_command_older_than_the_bound_is_not_run(
        synapse: SynapseServer, own_bot: BotProcess) -> None:
    bot = own_bot
    bound_s = 8
    bot.config.write_text(bot.config.read_text() + f"max_command_age_s = {bound_s}\n")
    bot.start()
    iris = await Member.login(synapse, "iris")
    try:
        room = await collective(iris, bot)
        first = await iris.say(room, "!tribune")
        await iris.replies(room, first, sender=bot.user_id)
        when = (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")
        meetup_ask = await iris.say(
            room, f'!rencontre creer titre="Apéro" lieu=Lyon debut="{when}" capacite=5')
        [meetup] = await iris.replies(room, meetup_ask, sender=bot.user_id)
        number = NUMBER.search(meetup.body)[1]

        assert bot.stop() == 0
        old = await iris.say(
            room, '!tribune signer nom="Iris Vidal" metier=graphiste ville=Lyon consentement=oui')
        sent = await iris.client.room_send(room, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": meetup.event_id, "key": "✅"}})
        assert isinstance(sent, RoomSendResponse), sent
        await asyncio.sleep(bound_s + 1)
        await chatter(iris, room)

        bot.start()
        [late] = await iris.replies(room, old, sender=bot.user_id, within=60)
        assert TOO_LATE in late.body, late.body
        assert "(il y a 1 minute)" in late.body, late.body
        assert "renvoyez-la si elle vaut toujours" in late.body
        # Not run: nobody signed.
        fresh = await iris.say(room, "!tribune")
        [count] = await iris.replies(room, fresh, sender=bot.user_id)
        assert "0 signature" in count.body.splitlines(), count.body
        # The RSVP by reaction is not counted either, and Iris is told so privately.
        direct = await iris.join_direct(within=30)
        [(_, told)] = await iris.wait(
            lambda r, e: r == direct and isinstance(e, RoomMessageNotice)
            and "Votre vote ou votre réaction est arrivé trop tard" in e.body)
        assert "n’a pas été pris en compte" in told.body
        shown = await iris.say(room, f"!rencontre voir {number}")
        [seen] = await iris.replies(room, shown, sender=bot.user_id)
        assert any(line.startswith("0 inscrit") for line in seen.body.splitlines()), seen.body

        await iris.sync(timeout_ms=1500)
        counts = replies_to(iris, room, bot)
        assert counts == {None: 1, first: 1, meetup_ask: 1, old: 1, fresh: 1, shown: 1}, counts
        log = bot.log(since_start=True)
        assert "was not run" in log and "RSVP by reaction" in log, log
    finally:
        await iris.close()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log(), bot.log()
