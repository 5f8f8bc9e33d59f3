"""The Synapse harness works with a real matrix-nio client."""

from __future__ import annotations

import pytest
from nio import (
    JoinedRoomsResponse,
    LoginError,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomMessageText,
    RoomSendResponse,
)

from tests.matrix_harness.nio_helpers import (
    accept_invite,
    login_client,
    make_client,
    unique_localpart,
    wait_for_event,
)
from tests.matrix_harness.synapse import SynapseError, SynapseServer

PASSWORD = "correct horse battery staple"


def test_server_is_up(synapse: SynapseServer) -> None:
    assert synapse.running
    versions = synapse.request("GET", "/_matrix/client/versions")
    assert versions["versions"], versions
    assert synapse.base_url.startswith("http://127.0.0.1:")


def test_register_user(synapse: SynapseServer) -> None:
    localpart = unique_localpart("reg")
    user_id, token = synapse.register_user(localpart, PASSWORD)
    assert user_id == f"@{localpart}:localhost"
    whoami = synapse.request("GET", "/_matrix/client/v3/account/whoami", access_token=token)
    assert whoami["user_id"] == user_id

    admin_id, admin_token = synapse.register_user(unique_localpart("admin"), PASSWORD, admin=True)
    info = synapse.request("GET", f"/_synapse/admin/v2/users/{admin_id}", access_token=admin_token)
    assert info["admin"] is True
    with pytest.raises(SynapseError, match="HTTP 403"):
        synapse.request("GET", f"/_synapse/admin/v2/users/{user_id}", access_token=token)


async def test_message_between_two_users(synapse: SynapseServer) -> None:
    alice_lp, bob_lp = unique_localpart("alice"), unique_localpart("bob")
    synapse.register_user(alice_lp, PASSWORD)
    bob_id, _ = synapse.register_user(bob_lp, PASSWORD)

    alice = await login_client(synapse, alice_lp, PASSWORD)
    bob = await login_client(synapse, bob_lp, PASSWORD)
    try:
        created = await alice.room_create(name="Harness", invite=[bob_id])
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id

        await accept_invite(bob, room_id)
        assert bob.rooms[room_id].name == "Harness"

        body = "bonjour from alice"
        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
        assert isinstance(sent, RoomSendResponse), sent

        event = await wait_for_event(
            bob, room_id, lambda e: isinstance(e, RoomMessageText) and e.body == body
        )
        assert isinstance(event, RoomMessageText)
        assert event.sender == alice.user_id
        assert event.event_id == sent.event_id
        assert set(bob.rooms[room_id].users) == {alice.user_id, bob_id}
    finally:
        await alice.close()
        await bob.close()


async def test_wrong_password_is_rejected(synapse: SynapseServer) -> None:
    localpart = unique_localpart("carol")
    synapse.register_user(localpart, PASSWORD)
    client = make_client(synapse, localpart)
    try:
        resp = await client.login("wrong password")
    finally:
        await client.close()
    assert isinstance(resp, LoginError), resp
    assert resp.status_code == "M_FORBIDDEN"


async def test_restart_keeps_users_and_rooms(synapse: SynapseServer) -> None:
    localpart = unique_localpart("dave")
    synapse.register_user(localpart, PASSWORD)
    client = await login_client(synapse, localpart, PASSWORD)
    try:
        created = await client.room_create(name="Survives restart")
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
    finally:
        await client.close()

    port, pid = synapse.port, synapse.pid
    synapse.restart()
    assert synapse.running
    assert synapse.port == port
    assert synapse.pid != pid

    client = await login_client(synapse, localpart, PASSWORD)
    try:
        rooms = await client.joined_rooms()
        assert isinstance(rooms, JoinedRoomsResponse), rooms
        assert room_id in rooms.rooms
        name = await client.room_get_state_event(room_id, "m.room.name")
        assert isinstance(name, RoomGetStateEventResponse), name
        assert name.content["name"] == "Survives restart"
    finally:
        await client.close()


def test_one_account_gets_a_real_message_rate_limit(synapse: SynapseServer) -> None:
    user_id, token = synapse.register_user(unique_localpart("limited"), PASSWORD)
    room = synapse.request("POST", "/_matrix/client/v3/createRoom", {}, access_token=token)
    path = f"/_matrix/client/v3/rooms/{room['room_id']}/send/m.room.message/"

    def burst(tag: str) -> list[str]:
        refused = []
        for index in range(6):
            try:
                synapse.request("PUT", f"{path}{tag}{index}", {"msgtype": "m.text", "body": "x"},
                                access_token=token)
            except SynapseError as exc:
                refused.append(str(exc))
        return refused

    assert burst("free") == []  # the harness lifts limits for everyone
    synapse.limit_messages(user_id, per_second=1, burst_count=2)
    assert synapse.message_limit(user_id) == {"messages_per_second": 1, "burst_count": 2}
    refused = burst("limited")
    assert refused and all("429" in text and "M_LIMIT_EXCEEDED" in text for text in refused)
    synapse.unlimit_messages(user_id)
    assert synapse.message_limit(user_id) == {}
    assert burst("lifted") == []
