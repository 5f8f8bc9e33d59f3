"""Two matrix-nio clients exchange a message in an end-to-end encrypted room.

Steps that make it work (matrix-nio with vodozemac, Synapse):

1. Build each client with a store:
   ``AsyncClient(url, user_id, store_path=<existing dir>,
   config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True))``.
2. ``await client.login(password, device_name=...)``: this creates/loads the Olm
   account in ``store_path`` for the new device id.
3. ``if client.should_upload_keys: await client.keys_upload()`` (device keys and
   one-time keys). ``sync_forever`` does this by itself; a manual sync loop must do it.
4. Sender creates the room with initial state
   ``{"type": "m.room.encryption", "state_key": "", "content":
   {"algorithm": "m.megolm.v1.aes-sha2"}}`` and invites the receiver.
5. Receiver syncs until the invite shows, joins, syncs again.
6. Sender syncs until the receiver is a member (so nio tracks the receiver's
   devices), then ``if client.should_query_keys: await client.keys_query()``.
7. Sender calls ``room_send(..., ignore_unverified_devices=True)``. nio claims
   one-time keys, shares the Megolm session over Olm to-device messages, then
   sends the ``m.room.encrypted`` event. Without ``ignore_unverified_devices``
   it raises ``OlmUnverifiedDeviceError`` for unverified devices.
8. Receiver syncs: the to-device room key is processed before the timeline, so
   the event arrives as a decrypted ``RoomMessageText`` (``event.decrypted`` is
   true); an undecryptable one would be a ``MegolmEvent``.
"""

from __future__ import annotations

from pathlib import Path

from nio import MegolmEvent, RoomCreateResponse, RoomMessageText, RoomSendResponse
from nio.crypto import ENCRYPTION_ENABLED

from tests.matrix_harness.nio_helpers import (
    ENCRYPTION_STATE,
    MEGOLM,
    accept_invite,
    login_client,
    sync_until,
    unique_localpart,
    wait_for_event,
)
from tests.matrix_harness.synapse import SynapseServer

PASSWORD = "correct horse battery staple"


async def test_encrypted_room_message(synapse: SynapseServer, tmp_path: Path) -> None:
    assert ENCRYPTION_ENABLED, "matrix-nio was installed without the e2e extra"
    alice_lp, bob_lp = unique_localpart("alice"), unique_localpart("bob")
    alice_id, _ = synapse.register_user(alice_lp, PASSWORD)
    bob_id, _ = synapse.register_user(bob_lp, PASSWORD)

    alice = await login_client(synapse, alice_lp, PASSWORD, store_path=tmp_path / "alice")
    bob = await login_client(synapse, bob_lp, PASSWORD, store_path=tmp_path / "bob")
    try:
        assert alice.olm is not None and bob.olm is not None
        assert not alice.should_upload_keys and not bob.should_upload_keys

        created = await alice.room_create(
            name="Secret", invite=[bob_id], initial_state=[ENCRYPTION_STATE]
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id

        await accept_invite(bob, room_id)
        await sync_until(
            alice,
            lambda _: room_id in alice.rooms and bob_id in alice.rooms[room_id].users,
        )
        room = alice.rooms[room_id]
        assert room.encrypted
        if alice.should_query_keys:
            await alice.keys_query()
        assert bob.device_id in alice.device_store[bob_id]

        body = "a secret for bob"
        sent = await alice.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent

        event = await wait_for_event(
            bob,
            room_id,
            lambda e: e.event_id == sent.event_id,
        )
        assert not isinstance(event, MegolmEvent), "bob could not decrypt the message"
        assert isinstance(event, RoomMessageText), event
        assert event.decrypted
        assert event.body == body
        assert event.sender == alice_id

        # The homeserver only ever saw ciphertext.
        raw = synapse.request(
            "GET",
            f"/_matrix/client/v3/rooms/{room_id}/event/{sent.event_id}",
            access_token=alice.access_token,
        )
        assert raw["type"] == "m.room.encrypted"
        assert raw["content"]["algorithm"] == MEGOLM
        assert body not in str(raw)
    finally:
        await alice.close()
        await bob.close()
