"""The Matrix outgoing queue, against a homeserver stand-in written for these tests.

The stand-in is a transport object: it records what it was asked to send, in
order, and answers from a script (accept, rate limit, fail, refuse), optionally
holding a send until the test releases it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import pytest

from bot.matrix._sender import (
    BULK,
    EDIT,
    POLL_START,
    REPLY,
    NotSent,
    Outgoing,
    RateLimited,
    Refused,
    Sender,
    message,
    sends_as,
)

SECRET = "a member's words that no log may show"


class Homeserver:
    """A transport: ``script`` gives, call after call, what the server answers
    ("ok", "429", "fail", "refuse"); then every call is accepted."""

    def __init__(self, *script: str, retry_after_s: float = 0.001) -> None:
        self.script = deque(script)
        self.retry_after_s = retry_after_s
        self.calls: list[Outgoing] = []
        self.sent: list[Outgoing] = []
        self.gate: asyncio.Event | None = None
        self.holding = asyncio.Event()
        self.called = asyncio.Event()

    def hold(self) -> None:
        """The next call waits until :meth:`release`."""
        self.gate = asyncio.Event()
        self.holding.clear()

    def release(self) -> None:
        assert self.gate is not None
        gate, self.gate = self.gate, None
        gate.set()

    async def __call__(self, item: Outgoing) -> str:
        self.calls.append(item)
        self.called.set()
        if self.gate is not None:
            self.holding.set()
            await self.gate.wait()
        await asyncio.sleep(0)
        answer = self.script.popleft() if self.script else "ok"
        if answer == "429":
            raise RateLimited(self.retry_after_s)
        if answer == "fail":
            raise ConnectionError("the homeserver did not answer")
        if answer == "refuse":
            raise Refused("M_FORBIDDEN")
        self.sent.append(item)
        return f"$event{len(self.sent)}"

    def bodies(self, room_id: str | None = None) -> list[str]:
        return [str(item.content.get("body")) for item in self.sent
                if room_id is None or item.room_id == room_id]


def text(room_id: str, body: str, kind: str = "reply") -> Outgoing:
    return Outgoing(room_id, kind, content={"msgtype": "m.notice", "body": body})


def edit(room_id: str, target: str, body: str) -> Outgoing:
    return message(room_id, {
        "msgtype": "m.notice", "body": f"* {body}",
        "m.new_content": {"msgtype": "m.notice", "body": body},
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
    })


def quick(server: Homeserver, **options: Any) -> Sender:
    return Sender(server, backoff_s=0.001, backoff_max_s=0.01, **options)


async def test_a_rate_limit_is_waited_out_however_often_it_comes() -> None:
    server = Homeserver(*["429"] * 40)
    sender = quick(server)
    event_id = await sender.send(text("!a", "hello"))
    assert event_id == "$event1"
    assert server.bodies() == ["hello"]
    assert sender.rate_limited == 40 and sender.lost == 0 and sender.sent == 1
    # The same transaction each time: a retry the server did receive is not shown twice.
    assert len({item.txn_id for item in server.calls}) == 1


async def test_order_is_kept_in_each_room_through_rate_limits() -> None:
    server = Homeserver(*["429", "ok"] * 12)
    sender = quick(server)
    futures = [sender.submit(text(room, f"{room} {index}"))
               for index in range(6) for room in ("!a", "!b")]
    await asyncio.gather(*futures)
    for room in ("!a", "!b"):
        assert server.bodies(room) == [f"{room} {index}" for index in range(6)]
    assert sender.lost == 0 and sender.rate_limited >= 10


async def test_waiting_edits_of_one_message_are_sent_once_with_the_latest_state() -> None:
    server = Homeserver()
    sender = quick(server)
    server.hold()
    first = sender.submit(text("!a", "the meetup"))
    await server.holding.wait()
    edits = [sender.submit(edit("!a", "$meetup", f"{count} coming")) for count in (1, 2, 3)]
    other = sender.submit(edit("!a", "$other", "another message"))
    server.release()
    results = await asyncio.gather(first, *edits, other)
    assert server.bodies() == ["the meetup", "* 3 coming", "* another message"]
    assert results[1] == results[2] == results[3] == "$event2"
    assert sender.coalesced == 2 and sender.sent == 3


async def test_an_edit_being_sent_is_not_replaced_but_followed() -> None:
    server = Homeserver()
    sender = quick(server)
    server.hold()
    sending = sender.submit(edit("!a", "$meetup", "1 coming"))
    await server.holding.wait()
    later = sender.submit(edit("!a", "$meetup", "2 coming"))
    server.release()
    await asyncio.gather(sending, later)
    assert server.bodies() == ["* 1 coming", "* 2 coming"]


async def test_a_rate_limited_edit_gives_way_to_a_newer_one() -> None:
    server = Homeserver("429")
    sender = quick(server)
    server.hold()
    old = sender.submit(edit("!a", "$meetup", "1 coming"))
    await server.holding.wait()
    new = sender.submit(edit("!a", "$meetup", "2 coming"))
    server.release()  # the old edit is answered 429, then only the new one goes
    assert await old == await new
    assert server.bodies() == ["* 2 coming"]


async def test_replies_go_before_bulk_sends() -> None:
    server = Homeserver()
    sender = quick(server)
    server.hold()
    busy = sender.submit(text("!x", "in flight", "private notice"), BULK)
    await server.holding.wait()
    bulk = [sender.submit(text(f"!dm{index}", f"notice {index}", "private notice"), BULK)
            for index in range(3)]
    reply = sender.submit(text("!room", "the reply"), REPLY)
    server.release()
    await asyncio.gather(busy, reply, *bulk)
    assert server.bodies() == ["in flight", "the reply", "notice 0", "notice 1", "notice 2"]


async def test_a_reply_behind_a_bulk_send_in_its_room_keeps_the_room_order() -> None:
    server = Homeserver()
    sender = quick(server)
    server.hold()
    busy = sender.submit(text("!x", "in flight", "private notice"), BULK)
    await server.holding.wait()
    elsewhere = sender.submit(text("!b", "notice elsewhere", "private notice"), BULK)
    first = sender.submit(edit("!a", "$meetup", "3 coming"))
    reply = sender.submit(text("!a", "the reply"), REPLY)
    server.release()
    await asyncio.gather(busy, elsewhere, first, reply)
    # Room !a holds a reply, so it is served first, its own order unchanged.
    assert server.bodies() == ["in flight", "* 3 coming", "the reply", "notice elsewhere"]


async def test_the_priority_and_kind_come_from_the_context() -> None:
    server = Homeserver()
    sender = quick(server)

    @sends_as(REPLY, "reply")
    async def answer() -> None:
        sender.submit(message("!a", {"body": "the reply"}))
        sender.submit(edit("!a", "$x", "edited"))  # an edit is bulk, whatever the context

    @sends_as(BULK, "private notice")
    async def notice() -> None:
        sender.submit(message("!dm", {"body": "the notice"}))
        sender.submit(message("!dm", {"body": "poll"}, "org.matrix.msc3381.poll.start"))

    server.hold()
    busy = sender.submit(message("!x", {"body": "in flight"}))
    await server.holding.wait()
    await notice()
    await answer()
    server.release()
    await sender.close()
    assert [(item.content["body"], item.kind) for item in server.sent] == [
        ("in flight", "message"), ("the reply", "reply"),
        # Once its reply is sent, room !a is a bulk room like the others: first come.
        ("the notice", "private notice"), ("poll", POLL_START), ("* edited", EDIT)]
    assert busy.result() == "$event1" and sender.lost == 0


async def test_other_failures_are_retried_then_logged_and_counted(
        caplog: pytest.LogCaptureFixture) -> None:
    server = Homeserver(*["fail"] * 10)
    sender = quick(server, retries=3)
    with caplog.at_level(logging.INFO, logger="bot.matrix._sender"):
        with pytest.raises(NotSent):
            await sender.send(text("!a", SECRET, "private notice"))
    assert len(server.calls) == 4 and server.sent == []
    assert sender.lost == 1
    lost = [r.getMessage() for r in caplog.records if "was not sent" in r.getMessage()]
    assert lost == ["matrix: a message (private notice) in !a was not sent (ConnectionError: "
                    "the homeserver did not answer); 1 lost since the start"]
    assert SECRET not in caplog.text


async def test_a_passing_failure_costs_nothing() -> None:
    server = Homeserver("fail", "fail")
    sender = quick(server)
    assert await sender.send(text("!a", "hello")) == "$event1"
    assert sender.lost == 0 and len(server.calls) == 3
    assert len({item.txn_id for item in server.calls}) == 1


async def test_a_failing_room_waits_while_the_others_go_on() -> None:
    server = Homeserver("fail")
    sender = Sender(server, backoff_s=0.2)
    failing = sender.submit(text("!a", "first"))
    others = [sender.submit(text("!b", f"b {index}")) for index in range(3)]
    await asyncio.gather(*others)
    assert server.bodies() == ["b 0", "b 1", "b 2"]  # !a is still in its backoff
    await failing
    assert server.bodies("!a") == ["first"]


async def test_a_refusal_is_not_retried() -> None:
    server = Homeserver("refuse")
    sender = quick(server)
    with pytest.raises(NotSent):
        await sender.redact("!a", "$answer")
    assert len(server.calls) == 1 and sender.lost == 1
    assert await sender.send(text("!a", "next")) == "$event1"  # the queue goes on


async def test_a_cancelled_caller_does_not_cancel_its_send() -> None:
    server = Homeserver()
    sender = quick(server)
    server.hold()
    caller = asyncio.ensure_future(sender.send(text("!a", "hello")))
    await server.holding.wait()
    queued = asyncio.ensure_future(sender.send(text("!a", "again")))
    await asyncio.sleep(0)
    caller.cancel()
    queued.cancel()
    server.release()
    await sender.close()
    assert server.bodies() == ["hello", "again"] and sender.lost == 0


async def test_closing_sends_what_is_queued() -> None:
    server = Homeserver(*["429", "ok"] * 5)
    sender = quick(server)
    futures = [sender.submit(text(f"!{index % 3}", f"notice {index}", "private notice"))
               for index in range(8)]
    await sender.close(within=10)
    assert sorted(server.bodies()) == sorted(f"notice {index}" for index in range(8))
    assert all(future.result() for future in futures) and sender.lost == 0


async def test_closing_logs_what_could_not_be_sent(caplog: pytest.LogCaptureFixture) -> None:
    server = Homeserver(*["429"] * 1000, retry_after_s=30.0)
    sender = quick(server)
    futures = [sender.submit(text("!a", SECRET, "reply")),
               sender.submit(edit("!b", "$meetup", "2 coming"))]
    await server.called.wait()  # the first send met the limit
    with caplog.at_level(logging.WARNING, logger="bot.matrix._sender"):
        await sender.close(within=0.05)
    lost = sorted(r.getMessage() for r in caplog.records if "was not sent" in r.getMessage())
    assert len(lost) == 2
    assert "a message (edit) in !b was not sent (the bot stopped first)" in lost[0]
    assert "a message (reply) in !a was not sent (the bot stopped first)" in lost[1]
    assert SECRET not in caplog.text
    assert sender.lost == 2
    for future in futures:
        with pytest.raises(NotSent):
            future.result()
    with pytest.raises(NotSent):  # once stopped, nothing more is queued
        await sender.send(text("!a", "late"))
    assert sender.lost == 3 and server.sent == []
