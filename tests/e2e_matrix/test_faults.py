"""Homeserver faults: a Synapse restart in the middle of the sync, and rate limits
(M_LIMIT_EXCEEDED) on the bot's messages."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from tests.e2e_matrix.helpers import PASSWORD, BotProcess, Member
from tests.matrix_harness.nio_helpers import unique_localpart
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"


async def test_the_bot_survives_a_homeserver_restart(synapse: SynapseServer,
                                                     own_bot: BotProcess) -> None:
    own_bot.start()
    iris = await Member.login(synapse, "iris")
    try:
        room = await iris.create_room(invite=[own_bot.user_id])
        await iris.wait_member(room, own_bot.user_id)
        before = await iris.say(room, "!tribune")
        assert await iris.replies(room, before, sender=own_bot.user_id)
        synapse.restart()  # the bot's long poll is cut mid-sync
        await asyncio.sleep(1.0)
        after = await iris.say(room, "!tribune")
        [reply] = await iris.replies(room, after, sender=own_bot.user_id, within=60)
        assert "signature" in reply.body
        assert len(await iris.replies(room, before, sender=own_bot.user_id)) == 1
    finally:
        await iris.close()
    assert own_bot.stop() == 0
    log = own_bot.log()
    # How the cut shows in the log depends on where the long poll was (the bot's
    # "sync failed" retry or matrix-nio's own); what matters is that nothing broke.
    assert "Traceback" not in log and " ERROR " not in log, log


async def test_rate_limited_messages_are_retried_and_all_arrive(
        synapse: SynapseServer, own_bot: BotProcess) -> None:
    _admin, token = synapse.register_user(unique_localpart("admin"), PASSWORD, admin=True)
    # One message a second for the bot: its replies below get M_LIMIT_EXCEEDED.
    synapse.request(
        "POST", f"/_synapse/admin/v1/users/{quote(own_bot.user_id)}/override_ratelimit",
        {"messages_per_second": 1, "burst_count": 1}, access_token=token)
    own_bot.start()
    jade = await Member.login(synapse, "jade")
    try:
        room = await jade.create_room(invite=[own_bot.user_id])
        await jade.wait_member(room, own_bot.user_id)
        asked = [await jade.say(room, "!tribune") for _ in range(3)]
        for event_id in asked:
            replies = await jade.replies(room, event_id, sender=own_bot.user_id, within=40)
            assert len(replies) == 1
    finally:
        await jade.close()
        synapse.request(
            "DELETE",
            f"/_synapse/admin/v1/users/{quote(own_bot.user_id)}/override_ratelimit",
            access_token=token)
    assert own_bot.stop() == 0
    log = own_bot.log()
    assert "Got 429 response" in log  # the limit was really hit, and waited out
    assert "Traceback" not in log


async def test_events_the_bot_does_not_understand_are_ignored(
        synapse: SynapseServer, own_bot: BotProcess) -> None:
    own_bot.start()
    kim = await Member.login(synapse, "kim")
    try:
        room = await kim.create_room(invite=[own_bot.user_id])
        await kim.wait_member(room, own_bot.user_id)
        odd: list[tuple[str, dict]] = [
            ("org.example.unknown", {"anything": [1, 2, {"x": None}]}),
            ("m.room.message", {"msgtype": "org.example.hologram", "body": "!tribune"}),
            ("m.room.message", {"msgtype": "m.text", "body": ["!tribune"]}),
            ("m.room.message", {"msgtype": "m.text"}),
            ("m.room.message", {"body": 42}),
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation"}}),
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                             "event_id": "$nope", "key": 7}}),
            ("org.matrix.msc3381.poll.response", {"m.relates_to": "not an object"}),
            ("m.room.message", {"msgtype": "m.text", "body": "!tribune",
                                "m.relates_to": {"rel_type": "m.replace"}}),
        ]
        accepted = 0
        for event_type, content in odd:  # Synapse refuses some of them itself
            sent = await kim.client.room_send(room, event_type, content,
                                              ignore_unverified_devices=True)
            accepted += bool(getattr(sent, "event_id", None))
        assert accepted >= 5
        after = await kim.say(room, "!tribune")
        [reply] = await kim.replies(room, after, sender=own_bot.user_id, within=30)
        assert "signature" in reply.body
    finally:
        await kim.close()
    assert own_bot.stop() == 0
    assert "Traceback" not in own_bot.log()
