"""The gap of a limited sync, fetched from a real Synapse, and the age of events.

``missed_events`` must return exactly the events a limited timeline left out,
oldest first: none before the position the sync resumed from, none of the
timeline itself.
"""

from __future__ import annotations

from typing import Any

from nio import AsyncClient, Event, RoomSendResponse, SyncResponse

from bot.core.i18n import use_locale
from bot.matrix._gaps import (
    age_ms,
    how_long,
    judged,
    late,
    lateness,
    missed_events,
    too_late_command,
    with_gap,
)
from tests.matrix_harness.nio_helpers import login_client, unique_localpart
from tests.matrix_harness.synapse import SynapseServer

PASSWORD = "correct horse battery staple"
LIMIT = 20
FILTER: dict[str, Any] = {"room": {"timeline": {"limit": LIMIT}}}


async def say(client: AsyncClient, room_id: str, body: str) -> str:
    sent = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


async def test_the_gap_is_exactly_what_the_timeline_left_out(synapse: SynapseServer) -> None:
    localpart = unique_localpart("gap")
    synapse.register_user(localpart, PASSWORD)
    client = await login_client(synapse, localpart, PASSWORD)
    try:
        created = await client.room_create(name="Gap")
        room_id = created.room_id
        before = [await say(client, room_id, f"before {i}") for i in range(5)]
        first = await client.sync(timeout=0, sync_filter=FILTER)
        assert isinstance(first, SyncResponse)
        since = first.next_batch

        sent = [await say(client, room_id, f"after {i}") for i in range(3 * LIMIT + 7)]
        response = await client.sync(timeout=0, sync_filter=FILTER, since=since)
        assert isinstance(response, SyncResponse)
        timeline = response.rooms.join[room_id].timeline
        assert timeline.limited
        shown = [event.event_id for event in timeline.events]
        assert shown == sent[-LIMIT:]

        missed = await missed_events(client, room_id, timeline, since)
        assert [event.event_id for event in missed] == sent[:-LIMIT]
        assert not set(before) & {event.event_id for event in missed}
        combined = with_gap(missed, timeline.events)
        assert [event.event_id for event in combined] == sent
        # Overlapping events (a gap that reaches into the timeline) are kept once.
        assert with_gap([*missed, timeline.events[0]], timeline.events) == combined

        # A complete timeline, or no position to go back to: nothing is fetched.
        quiet = await client.sync(timeout=0, sync_filter=FILTER, since=response.next_batch)
        assert isinstance(quiet, SyncResponse)
        assert room_id not in quiet.rooms.join or not quiet.rooms.join[room_id].timeline.limited
        assert await missed_events(client, room_id, timeline, None) == []
    finally:
        await client.close()


def event(timestamp: int, **unsigned: Any) -> Event:
    source = {
        "type": "m.room.message", "event_id": "$e", "sender": "@a:localhost",
        "origin_server_ts": timestamp, "content": {"msgtype": "m.text", "body": "!aide"},
    }
    if unsigned:
        source["unsigned"] = unsigned
    return Event.parse_event(source)


def test_age_prefers_the_homeservers_own_count() -> None:
    now = 10_000_000
    assert age_ms(event(now - 5_000), now) == 5_000
    # unsigned.age does not depend on the bot's clock.
    assert age_ms(event(now + 3_600_000, age=1_200), now) == 1_200
    # An event stamped in the future is not negative-aged.
    assert age_ms(event(now + 60_000), now) == 0
    assert lateness(event(now - 5_000), 10, now) is None
    assert lateness(event(now - 10_000), 10, now) is None
    assert lateness(event(now - 10_001), 10, now) == 10_001
    assert lateness(event(now, age=901_000), 900, now) == 901_000


def test_the_event_being_handled_is_judged_once_and_only_then() -> None:
    old = event(0, age=3_600_000)
    assert late() is None
    with judged(old, 900) as lateness_ms:
        assert lateness_ms == late() == 3_600_000
        with judged(event(0, age=10), 900):
            assert late() is None
        assert late() == 3_600_000
    assert late() is None


def test_how_late_reads_naturally() -> None:
    minute, hour, day = 60_000, 3_600_000, 86_400_000
    with use_locale("fr"):
        assert how_long(20_000) == "1 minute"
        assert how_long(16 * minute + 10_000) == "16 minutes"
        assert how_long(119 * minute) == "119 minutes"
        assert how_long(2 * hour) == "2 heures"
        assert how_long(3 * day + hour) == "3 jours"
        [line] = too_late_command(16 * minute).lines
        assert line == ("Cette commande est arrivée trop tard (il y a 16 minutes) : "
                        "renvoyez-la si elle vaut toujours.")
    with use_locale("en"):
        [line] = too_late_command(minute).lines
        assert line == ("This command arrived too late (1 minute ago): send it again if it "
                        "still stands.")
