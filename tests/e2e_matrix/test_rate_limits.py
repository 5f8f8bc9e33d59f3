"""The bot's account under a real message rate limit (2 messages a second, burst 5,
see ``REAL_MESSAGE_RATE``; Synapse's own default is 0.2 a second, burst 10) while
the members are not limited: nothing a member asks for is lost, only slower.

- 20 members send a command within a second or two: each gets exactly one reply.
- A burst of RSVPs (reactions and commands) on a meetup with few places: the meetup
  message's last edit shows the final counts, and each member promoted from the
  waitlist is told exactly once.
- The log shows the limit was hit and that nothing was given up.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nio import Event, RoomMessageNotice, RoomSendResponse

from tests.e2e_matrix.helpers import BotProcess, Member, reply_target
from tests.matrix_harness.synapse import SynapseServer

NUMBER = re.compile(r"#(\d+) · ")
POSITION = re.compile(r"numéro (\d+) sur la liste d’attente")
PARIS = ZoneInfo("Europe/Paris")
PROMOTED = "une place s’est libérée"
WITHIN = 90.0  # generous: the bot sends two messages a second at most


@pytest.fixture
def limited_bot(synapse: SynapseServer, own_bot: BotProcess) -> Iterator[BotProcess]:
    """A bot whose account has real message limits, started."""
    synapse.limit_messages(own_bot.user_id)
    assert synapse.message_limit(own_bot.user_id)["messages_per_second"] > 0
    own_bot.start()
    yield own_bot


def content(event: Event) -> dict[str, Any]:
    value = event.source.get("content")
    return value if isinstance(value, dict) else {}


def says(event: Event, text: str) -> bool:
    return isinstance(event, RoomMessageNotice) and text in event.body


def nothing_lost(bot: BotProcess) -> str:
    """Stop the bot; its log, checked: the limit was hit, nothing was given up."""
    assert bot.stop() == 0, bot.log()
    log = bot.log()
    assert "Traceback" not in log, log
    assert "was not edited" not in log and "not sent" not in log, log
    assert "Got 429 response" in log or "rate limited" in log, "the limit was never hit"
    return log


async def gather_members(synapse: SynapseServer, count: int, prefix: str) -> list[Member]:
    return list(await asyncio.gather(*(Member.login(synapse, f"{prefix}{index}")
                                       for index in range(count))))


async def collective(synapse: SynapseServer, bot: BotProcess, count: int,
                     prefix: str) -> tuple[str, Member, list[Member]]:
    """A room made by a moderator, joined by ``count`` members and the bot."""
    mod = await Member.login(synapse, "orga")
    members = await gather_members(synapse, count, prefix)
    room = await mod.create_room(invite=[bot.user_id, *(m.user_id for m in members)])
    await asyncio.gather(*(member.join(room) for member in members))
    await mod.wait_member(room, bot.user_id)
    for member in members:
        await mod.wait_member(room, member.user_id)
    return room, mod, members


async def replies_to(watcher: Member, room: str, asked: list[str], bot: BotProcess,
                     ) -> dict[str, list[Event]]:
    """The bot's replies to each of ``asked``, once each has one (and a little after,
    so that a second reply would show)."""

    def found() -> dict[str, list[Event]]:
        got: dict[str, list[Event]] = {event_id: [] for event_id in asked}
        for room_id, event in watcher.events:
            target = reply_target(event)
            if room_id == room and event.sender == bot.user_id and target in got:
                got[target].append(event)
        return got

    await watcher.until(lambda: all(found().values()), within=WITHIN)
    await watcher.sync(timeout_ms=2000)
    return found()


async def test_twenty_members_at_once_each_get_one_reply(
        synapse: SynapseServer, limited_bot: BotProcess) -> None:
    bot = limited_bot
    room, mod, members = await collective(synapse, bot, 20, "rush")
    try:
        asked = list(await asyncio.gather(*(m.say(room, "!tribune") for m in members)))
        got = await replies_to(mod, room, asked, bot)
        assert {event_id: len(events) for event_id, events in got.items()} == dict.fromkeys(
            asked, 1)
        assert all("signature" in events[0].body for events in got.values())
    finally:
        for member in (mod, *members):
            await member.close()
    nothing_lost(bot)


async def react(member: Member, room_id: str, target: str, key: str) -> str:
    sent = await member.client.room_send(room_id, "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": target, "key": key}})
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


async def private_notices(member: Member, room: str, bot: BotProcess,
                          text: str) -> list[Event]:
    """The bot's notices holding ``text`` outside ``room`` (in direct rooms, whose
    invites are accepted on the way)."""
    for room_id in sorted(member.invites - set(member.client.rooms)):
        await member.join(room_id)
    return [e for r, e in member.events
            if r != room and e.sender == bot.user_id and says(e, text)]


async def test_a_burst_of_rsvps_is_counted_shown_and_told_once(
        synapse: SynapseServer, limited_bot: BotProcess) -> None:
    bot = limited_bot
    room, mod, members = await collective(synapse, bot, 8, "rsvp")
    starts = (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")
    try:
        created = await mod.command(
            room, f'!rencontre creer titre="Atelier tarifs" lieu=Lyon debut="{starts}" '
                  "capacite=3", bot=bot.user_id)
        number = NUMBER.search(created.body)[1]
        message = created.event_id

        # Eight answers at once: half by reaction, half by command.
        by_reaction, by_command = members[:4], members[4:]
        commands = await asyncio.gather(
            *(react(m, room, message, "✅") for m in by_reaction),
            *(m.say(room, f"!rencontre viens {number}") for m in by_command))
        await replies_to(mod, room, list(commands[4:]), bot)

        def edits() -> list[Event]:
            return [e for r, e in mod.events
                    if r == room and e.sender == bot.user_id
                    and content(e).get("m.relates_to", {}).get("rel_type") == "m.replace"
                    and content(e)["m.relates_to"]["event_id"] == message]

        def last_edit() -> str:
            shown = edits()
            return content(shown[-1])["m.new_content"]["body"] if shown else ""

        def last_edit_shows(line: str) -> bool:
            return line in last_edit().splitlines()

        async def shown_at_last(line: str) -> None:
            try:
                await mod.until(lambda: last_edit_shows(line), within=WITHIN)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the last edit shows:\n{last_edit()}") from None

        await shown_at_last("3 inscrit·es · 0 place restante · 5 en liste d’attente")

        # Where each one stands: told in reply to a command, privately when waitlisted
        # by reaction (once each), nothing when coming by reaction.
        going: list[Member] = []
        waiting: dict[int, Member] = {}
        replies = await replies_to(mod, room, list(commands[4:]), bot)
        for member, event_id in zip(by_command, commands[4:], strict=True):
            [answer] = replies[event_id]
            position = POSITION.search(answer.body)
            if position:
                waiting[int(position[1])] = member
            else:
                assert "Votre place est réservée" in answer.body, answer.body
                going.append(member)
        deadline = asyncio.get_running_loop().time() + WITHIN
        while len(going) + len(waiting) < len(members):
            assert asyncio.get_running_loop().time() < deadline, "a waitlist notice is missing"
            await asyncio.gather(*(m.sync(timeout_ms=500) for m in by_reaction))
            for member in by_reaction:
                if member in going or member in waiting.values():
                    continue
                told = await private_notices(member, room, bot, "liste d’attente")
                if told:
                    waiting[int(POSITION.search(told[0].body)[1])] = member
            if len(waiting) == 5:
                going = [m for m in members if m not in waiting.values()]
        assert len(going) == 3 and sorted(waiting) == [1, 2, 3, 4, 5]

        # Two places free up at once (one ❌, one command): the first two waiting are in.
        leaving = [going[0], going[1]]
        await asyncio.gather(react(leaving[0], room, message, "❌"),
                             leaving[1].say(room, f"!rencontre non {number}"))
        promoted = [waiting[1], waiting[2]]

        async def told() -> bool:
            counts = [len(await private_notices(m, room, bot, PROMOTED)) for m in promoted]
            return all(counts)

        deadline = asyncio.get_running_loop().time() + WITHIN
        while not await told():
            assert asyncio.get_running_loop().time() < deadline, "no promotion notice"
            await asyncio.gather(*(m.sync(timeout_ms=500) for m in promoted))
        await shown_at_last("3 inscrit·es · 0 place restante · 3 en liste d’attente")

        # A little later, still once each, nobody else told; the last edit is final.
        await asyncio.gather(*(m.sync(timeout_ms=2000) for m in (mod, *members)))
        for member in members:
            notices = await private_notices(member, room, bot, PROMOTED)
            assert len(notices) == (1 if member in promoted else 0), member.user_id
            if member in promoted:
                assert "Atelier tarifs" in notices[0].body
            if member in by_reaction:
                told = await private_notices(member, room, bot, "sur la liste d’attente")
                assert len(told) == (1 if member in waiting.values() else 0), member.user_id
        assert last_edit_shows("3 inscrit·es · 0 place restante · 3 en liste d’attente"), \
            last_edit()
    finally:
        for member in (mod, *members):
            await member.close()
    nothing_lost(bot)
