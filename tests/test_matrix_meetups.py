"""Meetups on the Matrix adapter without a server: RSVP reactions, throttled edits of
meetup messages, private notices."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nio import Event, MatrixRoom, RoomGetEventError

from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render import meetups as render_meetups
from bot.core.render.message import Message
from bot.core.services.meetups import MeetupInfo
from bot.matrix import _meetups, _polls
from bot.matrix._state import MatrixState
from bot.matrix.adapter import MatrixAdapter, _place

ROOM = "!room:hs"
BOT = "@bot:hs"
PARIS = ZoneInfo("Europe/Paris")
LATER = datetime(2031, 1, 1, tzinfo=PARIS)


def info(status: str = "scheduled", **changes: Any) -> MeetupInfo:
    values: dict[str, Any] = dict(
        id=4, title="Apéro", city="Lyon", online=False, link=None, address=None,
        description="", starts_at=LATER, ends_at=LATER + timedelta(hours=2),
        timezone="Europe/Paris", capacity=2, rsvp_deadline=None, recurrence="none",
        status=status, going=1, maybe=0, waitlist=0, your_status="going", your_position=None)
    values.update(changes)
    return MeetupInfo(**values)


def test_reaction_keys() -> None:
    for key in ("✅", "✔️", "☑", "👍", "👍🏾"):
        assert _meetups.answer_of(key) == "going", key
    for key in ("❔", "❓", "❓\ufe0f"):
        assert _meetups.answer_of(key) == "maybe", key
    for key in ("❌", "✖️", "❎", "👎"):
        assert _meetups.answer_of(key) == "no", key
    for key in ("❤️", "", None, 3, "oui"):
        assert _meetups.answer_of(key) is None, key


def test_what_a_meetup_message_shows() -> None:
    with use_locale("en"):
        personal = render_meetups.meetup(info())
        assert "You are coming." in personal.lines
        assert _meetups.shown_number(personal) == 4
        assert _meetups.shown_number(render_meetups.listing((info(),))) is None
        assert _meetups.shown_number(render_meetups.reminder(info())) is None

        shown = _meetups.shown(info())
        assert "You are coming." not in shown.lines  # everyone sees the same message
        assert shown.lines[-1] == _meetups.reaction_hint()
        assert "✅" in shown.lines[-1] and "❔" in shown.lines[-1] and "❌" in shown.lines[-1]
        assert _meetups.with_hint(shown) == shown  # never twice
        assert shown.title == personal.title
        announced = _meetups.shown(info(), _meetups.ANNOUNCED)
        assert announced.title.startswith("New meetup · ")
        cancelled = _meetups.shown(info("cancelled"))
        assert _meetups.reaction_hint() not in cancelled.lines
        assert "**Cancelled.**" in cancelled.lines


def test_standing_answers() -> None:
    assert _meetups.standing("going", "going") and _meetups.standing("going", "waitlist")
    assert _meetups.standing("maybe", "maybe")
    assert not _meetups.standing("going", "maybe") and not _meetups.standing("going", None)
    assert not _meetups.standing("maybe", "going") and not _meetups.standing("no", None)


async def test_state_of_meetup_messages_and_reactions(core: Core) -> None:
    state = MatrixState(core.db)
    for index in range(4):
        await state.record_meetup_message(f"$m{index}", 4, ROOM, _meetups.SHOWN)
    await state.record_meetup_message("$other", 4, "!b:hs", _meetups.ANNOUNCED)
    await state.record_meetup_message("$m3", 4, ROOM, _meetups.SHOWN)  # again: no repeat
    assert await state.meetup_messages(4) == [
        (ROOM, "$m1", "show"), (ROOM, "$m2", "show"), ("!b:hs", "$other", "new"),
        (ROOM, "$m3", "show")]
    assert await state.meetup_of("$m0", ROOM) == 4  # older messages still take reactions
    assert await state.meetup_of("$m0", "!b:hs") is None
    assert await state.meetup_messages(5) == []

    await state.record_rsvp_reaction("$r1", 4, ROOM, "who", "going")
    await state.record_rsvp_reaction("$r2", 4, "!b:hs", "who", "going")
    await state.record_rsvp_reaction("$r3", 4, ROOM, "who", "maybe")
    data = await state.rsvp_reaction("$r1")
    assert data == {"meetup": 4, "room": ROOM, "who": "who", "answer": "going"}
    assert await state.forget_rsvp_reaction("$r1", data) == 1  # $r2 still says "going"
    assert await state.rsvp_reaction("$r1") is None
    data = await state.rsvp_reaction("$r2")
    assert data is not None and await state.forget_rsvp_reaction("$r2", data) == 0


# -- the adapter, with the homeserver replaced by a recorder ----------------------------


class Recorder:
    """What the adapter sent, and the fake client it sends through."""

    def __init__(self, adapter: MatrixAdapter, room: MatrixRoom) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.told: list[tuple[str, Message]] = []
        self.private: list[tuple[str, Message]] = []
        self.rooms = {room.room_id: room}
        self.senders: dict[str, str] = {}  # events the "server" can give back

        async def room_get_event(_room_id: str, event_id: str) -> Any:
            if event_id not in self.senders:
                return RoomGetEventError("not found")
            return SimpleNamespace(event=SimpleNamespace(sender=self.senders[event_id]))

        adapter.client = SimpleNamespace(  # type: ignore[assignment]
            user_id=BOT, logged_in=True, rooms=self.rooms, olm=None,
            room_get_event=room_get_event)

        async def room_send(_client: Any, room_id: str, content: dict[str, Any],
                            event_type: str = "m.room.message") -> str:
            await asyncio.sleep(0.001)
            self.sent.append((room_id, content))
            return f"$sent{len(self.sent)}"

        async def tell(_room: MatrixRoom, actor: Any, message: Message) -> None:
            self.told.append((actor.user_id, message))

        async def private(user_id: str, message: Message) -> None:
            self.private.append((user_id, message))

        async def announce(*_args: Any) -> None:
            return None

        adapter._room_send = room_send  # type: ignore[method-assign]
        adapter._tell = tell  # type: ignore[method-assign]
        adapter.core.outbox.register("matrix", announce, private)

    def edits(self) -> list[dict[str, Any]]:
        return [content for _room, content in self.sent
                if content.get("m.relates_to", {}).get("rel_type") == "m.replace"]


def collective_room(*users: str) -> MatrixRoom:
    room = MatrixRoom(ROOM, BOT)
    for user in (BOT, *users):
        room.add_member(user, user[1:].split(":")[0].title(), None)
    room.power_levels.users["@mod:hs"] = 100
    return room


class Events:
    def __init__(self, adapter: MatrixAdapter, room: MatrixRoom, recorder: Recorder) -> None:
        self.adapter, self.room, self.recorder, self.count = adapter, room, recorder, 0

    async def send(self, sender: str, kind: str, content: dict[str, Any],
                   **extra: Any) -> str:
        self.count += 1
        event_id = f"$e{self.count}"
        self.recorder.senders[event_id] = sender
        event = Event.parse_event({"type": kind, "event_id": event_id, "sender": sender,
                                   "origin_server_ts": 1, "content": content, **extra})
        await self.adapter._on_event(self.adapter.client, self.room, event)  # type: ignore[arg-type]
        return event_id

    async def say(self, sender: str, body: str) -> str:
        return await self.send(sender, "m.room.message", {"msgtype": "m.text", "body": body})

    async def react(self, sender: str, target: str, key: str) -> str:
        return await self.send(sender, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": target, "key": key}})

    async def redact(self, sender: str, target: str) -> str:
        return await self.send(sender, "m.room.redaction", {}, redacts=target)


async def test_reactions_are_rsvps_and_the_message_follows(core: Core) -> None:
    adapter = MatrixAdapter(core)
    adapter._meetup_edits = _polls.Throttle(0.3, adapter._refresh_meetup)
    room = collective_room("@mod:hs", "@ana:hs", "@ben:hs", "@cat:hs", "@dan:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)
    starts = (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")
    try:
        await events.say("@mod:hs", f'!rencontre creer titre=Apéro lieu=Lyon '
                                    f'debut="{starts}" capacite=2')
        [(_room, created)] = recorder.sent
        message = "$sent1"
        assert created["body"].startswith("#1 · Apéro")
        assert "✅" in created["body"] and "❌" in created["body"]
        assert await adapter.state.meetup_of(message, ROOM) == 1

        loop = asyncio.get_running_loop()
        began = loop.time()
        ana = await events.react("@ana:hs", message, "✅")
        await events.react("@ben:hs", message, "👍")
        await events.react("@cat:hs", message, "✅️")
        assert [user for user, _m in recorder.told] == ["@cat:hs"]  # only the waitlisted
        with use_locale("fr"):
            assert "liste d’attente" in recorder.told[0][1].plain_text()
        await events.react("@dan:hs", message, "❤️")  # not an answer: nothing happens
        assert recorder.private == []

        await events.redact("@ana:hs", ana)  # ana is not coming any more: cat is promoted
        [(user, promoted)] = recorder.private
        assert user == "@cat:hs" and "une place s’est libérée" in promoted.plain_text()

        await events.say("@ben:hs", "!rencontre peut-etre 1")
        maybe = await events.react("@dan:hs", message, "❔")
        await events.redact("@dan:hs", maybe)  # dan withdraws his maybe
        shown = await core.meetups.show(adapter._system_actor(), _place(room), 1)
        assert (shown.going, shown.maybe, shown.waitlist) == (1, 1, 0)

        final = "1 inscrit·e · 1 peut-être · 1 place restante"
        for _ in range(100):  # the last edit comes at most 0.3 s after the last answer
            edits = recorder.edits()
            if edits and final in edits[-1]["m.new_content"]["body"].splitlines():
                break
            await asyncio.sleep(0.05)
        elapsed = loop.time() - began
        assert edits and all(e["m.relates_to"]["event_id"] == message for e in edits)
        last = edits[-1]["m.new_content"]["body"]
        assert final in last.splitlines(), last
        assert "✅" in last
        # Bursts are folded: one edit at once, then at most one per 0.3 s.
        assert len(edits) <= 2 + elapsed / 0.3, (len(edits), elapsed)
        assert len(edits) < 9, "ten answers, folded"

        before = len(recorder.sent)
        adapter._meetup_edits.request(1)  # nothing changed since: no edit
        await asyncio.sleep(0.4)
        assert len(recorder.sent) == before
    finally:
        await adapter._meetup_edits.close()


async def test_redacting_an_old_answer_changes_nothing(core: Core) -> None:
    adapter = MatrixAdapter(core)
    adapter._meetup_edits = _polls.Throttle(0.05, adapter._refresh_meetup)
    room = collective_room("@mod:hs", "@ana:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)
    starts = (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")
    try:
        await events.say("@mod:hs", f'!rencontre creer titre=Apéro lieu=Lyon debut="{starts}"')
        yes = await events.react("@ana:hs", "$sent1", "✅")
        await events.react("@ana:hs", "$sent1", "❔")  # ana changes her mind: maybe
        await events.redact("@ana:hs", yes)  # her ✅ goes, her maybe stays
        shown = await core.meetups.show(adapter._system_actor(), _place(room), 1)
        assert (shown.going, shown.maybe) == (0, 1)
        # A redaction whose reaction's sender cannot be told changes nothing.
        thumb = await events.react("@ana:hs", "$sent1", "👍")
        del recorder.senders[thumb]
        await events.redact("@mod:hs", thumb)
        shown = await core.meetups.show(adapter._system_actor(), _place(room), 1)
        assert (shown.going, shown.maybe) == (1, 0)
        # A moderator removing a member's ✅ takes back that member's answer.
        tick = await events.react("@ana:hs", "$sent1", "✅")
        await events.redact("@mod:hs", tick)
        shown = await core.meetups.show(adapter._system_actor(), _place(room), 1)
        assert (shown.going, shown.maybe) == (0, 0)
        assert recorder.told == []
    finally:
        await adapter._meetup_edits.close()


async def test_refused_answers_are_told_privately(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@mod:hs", "@ana:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)
    starts = (datetime.now(PARIS) + timedelta(days=3)).strftime("%Y-%m-%d 19:30")
    try:
        await events.say("@mod:hs", f'!rencontre creer titre=Apéro lieu=Lyon debut="{starts}"')
        await events.say("@mod:hs", "!rencontre annuler 1")
        await events.react("@ana:hs", "$sent1", "✅")
        [(user, refusal)] = recorder.told
        assert user == "@ana:hs" and "annulée" in refusal.plain_text()
        for _ in range(100):  # the edit is throttled and sent by a background task
            if recorder.edits():
                break
            await asyncio.sleep(0.05)
        [edit] = recorder.edits()  # the cancellation shows on the meetup message
        assert "Annulée." in edit["m.new_content"]["body"].splitlines()
        assert "✅" not in edit["m.new_content"]["body"]
    finally:
        await adapter._meetup_edits.close()


def test_commands_that_change_a_meetup(core: Core) -> None:
    adapter = MatrixAdapter(core)
    assert adapter._meetup_number("rencontre viens 3") == 3
    assert adapter._meetup_number("meetup cancel #4") == 4
    assert adapter._meetup_number("rencontre modifier 5 titre=x") == 5
    assert adapter._meetup_number("rencontre non 6") == 6
    assert adapter._meetup_number("rencontre voir 3") is None
    assert adapter._meetup_number("rencontre viens") is None
    assert adapter._meetup_number("scrutin clore 3") is None
    assert adapter._meetup_number("rencontre bidule 3") is None
    assert adapter._meetup_number("") is None


async def test_private_notices_use_the_direct_room_once_each(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@ana:hs")
    direct = MatrixRoom("!dm:hs", BOT)
    direct.add_member(BOT, "Bot", None)
    direct.add_member("@ana:hs", "Ana", None)
    recorder = Recorder(adapter, room)
    recorder.rooms[direct.room_id] = direct
    await adapter.state.save_direct_room(BOT, "@ana:hs", "!dm:hs")
    notices = [Message(lines=(f"notice {index}",)) for index in range(4)]
    await asyncio.gather(*(adapter.private("@ana:hs", notice) for notice in notices))
    bodies = sorted(content["body"] for room_id, content in recorder.sent
                    if room_id == "!dm:hs")
    assert bodies == [f"notice {index}" for index in range(4)]


async def test_a_failed_private_notice_is_logged(core: Core,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    adapter = MatrixAdapter(core)  # never connected
    with caplog.at_level(logging.ERROR):
        await adapter.private("@ana:hs", Message(lines=("x",)))
    assert "could not be sent" in caplog.text
