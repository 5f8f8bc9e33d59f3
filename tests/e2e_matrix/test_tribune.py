"""The tribune on Matrix, driven by real members against a real Synapse and bot process."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from nio import RoomEncryptedFile, RoomMessageFile, RoomMessageNotice
from nio.crypto import decrypt_attachment

from tests.e2e_matrix.helpers import BotProcess, Member, download, reply_target
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

SIGN_ALICE = (
    '!tribune signer nom="Alice Martin" metier=graphiste ville=Lyon public=oui consentement=oui'
)
SIGN_BOB = "!tribune signer nom=Bob metier=développeur ville=Nantes consentement=oui"


def lines(event: RoomMessageNotice) -> list[str]:
    return event.body.splitlines()


async def test_sign_list_and_withdraw(synapse: SynapseServer, bot: BotProcess) -> None:
    alice = await Member.login(synapse, "alice")
    bob = await Member.login(synapse, "bob")
    try:
        room = await alice.create_room(invite=[bot.user_id, bob.user_id], name="Collectif Lyon")
        await bob.join(room)
        await alice.wait_member(room, bot.user_id)

        signed = await alice.command(room, SIGN_ALICE, bot=bot.user_id)
        assert isinstance(signed, RoomMessageNotice)
        assert "Merci, votre signature est enregistrée." in lines(signed)
        assert "1 signature" in lines(signed)
        assert "Nom: Alice Martin" in lines(signed)
        assert signed.format == "org.matrix.custom.html"
        assert "<strong>Tribune</strong>" in signed.formatted_body
        assert "<strong>Nom</strong>: Alice Martin" in signed.formatted_body
        assert signed.source["content"]["m.mentions"] == {}

        signed = await bob.command(room, SIGN_BOB, bot=bot.user_id)
        assert "2 signatures" in lines(signed)
        assert "Signature anonyme." in lines(signed)

        listing = await alice.command(room, "!tribune liste", bot=bot.user_id)
        assert "2 signatures · 1 publique" in lines(listing)
        assert "- Alice Martin · graphiste · Lyon" in lines(listing)
        assert "Bob" not in listing.body, "an anonymous signature was published"
        assert "<li><strong>Alice Martin</strong> · graphiste · Lyon</li>" in (
            listing.formatted_body
        )

        withdrawn = await bob.command(room, "!tribune retirer", bot=bot.user_id)
        assert "Votre signature est retirée et ses données sont supprimées." in lines(withdrawn)
        assert "1 signature" in lines(withdrawn)

        view = await bob.command(room, "!tribune", bot=bot.user_id)
        assert "1 signature" in lines(view)
        assert "→ Signer: !tribune signer" in lines(view)
        assert "<code>!tribune signer</code>" in view.formatted_body

        # Ordinary conversation is not a command and gets no reply.
        chat = await alice.say(room, "merci à tous, tribune signée")
        await alice.command(room, "!aide", bot=bot.user_id)
        assert not [e for _, e in alice.events if reply_target(e) == chat]
    finally:
        await alice.close()
        await bob.close()


async def test_bad_input_and_moderator_export(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "mod")
    dan = await Member.login(synapse, "dan")
    try:
        room = await mod.create_room(invite=[bot.user_id, dan.user_id])
        await dan.join(room)
        await mod.wait_member(room, bot.user_id)

        refused = await dan.command(
            room, "!tribune signer nom=Dan metier=dev ville=Lille", bot=bot.user_id
        )
        assert "consentement explicite" in refused.body
        assert "consentement=oui" in refused.body

        too_long = await dan.command(
            room, f"!tribune signer nom={'x' * 81} metier=dev ville=Lille consentement=oui",
            bot=bot.user_id,
        )
        assert "80 caractères au maximum" in too_long.body
        assert "81" in too_long.body

        unknown = await dan.command(room, "!tribun", bot=bot.user_id)
        assert "tribun" in unknown.body and "!tribune ?" in unknown.body

        denied = await dan.command(room, "!tribune export", bot=bot.user_id)
        assert "Seuls les modérateurs peuvent faire cela." in denied.body

        # Nothing of the refused attempts was recorded (each room is its own federation).
        view = await dan.command(room, "!tribune", bot=bot.user_id)
        assert "0 signature" in lines(view)

        await dan.command(
            room, '!tribune signer nom="Dan Petit" metier=dev ville=Lille consentement=oui',
            bot=bot.user_id,
        )
        # The room creator has power level 100: a moderator.
        note = await mod.command(room, "!tribune export", bot=bot.user_id)
        assert "Dan Petit" not in note.body, "personal data was posted in the room"
        assert not isinstance(note, RoomMessageFile)

        await mod.until(lambda: len(mod.invites - {room}) > 0)
        [direct] = mod.invites - {room}
        await mod.join(direct)
        [(_, summary)] = await mod.wait(
            lambda r, e: r == direct and isinstance(e, RoomMessageNotice)
        )
        assert "Ce fichier contient des données personnelles" in summary.body
        [(_, file_event)] = await mod.wait(
            lambda r, e: r == direct and isinstance(e, RoomMessageFile)
        )
        assert file_event.body.endswith(".csv")
        assert file_event.source["content"]["info"]["mimetype"] == "text/csv"
        data = await asyncio.to_thread(
            download, synapse, file_event.url, mod.client.access_token
        )
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert any("Dan Petit" in row for row in rows), rows
        room_state = mod.client.rooms[direct]
        assert set(room_state.users) == {mod.user_id, bot.user_id}
    finally:
        await mod.close()
        await dan.close()


async def test_encrypted_room(synapse: SynapseServer, bot: BotProcess, tmp_path: Path) -> None:
    eve = await Member.login(synapse, "eve", store_path=tmp_path / "eve")
    try:
        room = await eve.create_room(invite=[bot.user_id], encrypted=True)
        await eve.wait_member(room, bot.user_id)
        assert eve.client.rooms[room].encrypted
        assert bot.user_id in eve.client.device_store.users, "the bot's device is unknown"

        event_id = await eve.say(
            room, '!tribune signer nom="Eve Durand" metier=juriste ville=Paris consentement=oui'
        )
        [reply] = await eve.replies(room, event_id, sender=bot.user_id)
        assert isinstance(reply, RoomMessageNotice), reply
        assert reply.decrypted
        assert "Merci, votre signature est enregistrée." in reply.body
        assert "Nom: Eve Durand" in reply.body

        raw = synapse.request(
            "GET", f"/_matrix/client/v3/rooms/{room}/event/{reply.event_id}",
            access_token=eve.client.access_token,
        )
        assert raw["type"] == "m.room.encrypted"
        assert "Eve Durand" not in str(raw)

        # Eve created the room: she may export; the file goes to an encrypted direct room,
        # even though only she and the bot are in this one.
        note = await eve.command(room, "!tribune export", bot=bot.user_id)
        assert "Eve Durand" not in note.body
        await eve.until(lambda: len(eve.invites - {room}) > 0)
        [direct] = eve.invites - {room}
        await eve.join(direct)
        assert eve.client.rooms[direct].encrypted
        [(_, file_event)] = await eve.wait(
            lambda r, e: r == direct and isinstance(e, RoomEncryptedFile)
        )
        assert file_event.decrypted
        ciphertext = await asyncio.to_thread(
            download, synapse, file_event.url, eve.client.access_token
        )
        assert b"Eve Durand" not in ciphertext
        data = decrypt_attachment(
            ciphertext, file_event.key["k"], file_event.hashes["sha256"], file_event.iv
        )
        assert "Eve Durand" in data.decode("utf-8-sig")
    finally:
        await eve.close()


async def test_room_mention_is_neutralised(synapse: SynapseServer, bot: BotProcess) -> None:
    carol = await Member.login(synapse, "carol")
    frank = await Member.login(synapse, "frank")
    try:
        # The bot may notify the room (power level 50), so only its content prevents it.
        room = await carol.create_room(
            invite=[bot.user_id, frank.user_id], power_levels={bot.user_id: 50}
        )
        await frank.join(room)
        await carol.wait_member(room, bot.user_id)

        shout = await carol.say(room, "@room réunion ce soir")
        reply = await carol.command(
            room, '!tribune signer nom="@room Carol" metier=dev ville=Paris consentement=oui',
            bot=bot.user_id,
        )
        content = reply.source["content"]
        assert content["m.mentions"] == {}
        assert "@room" not in content["body"].casefold()
        assert "@\u2060room Carol" in content["body"]
        assert "@room" not in content["formatted_body"].casefold()

        # Frank is notified by Carol's real @room, never by the bot's reply.
        highlighted: set[str] = set()
        for _ in range(50):
            answer = synapse.request(
                "GET", "/_matrix/client/v3/notifications?only=highlight",
                access_token=frank.client.access_token,
            )
            highlighted = {n["event"]["event_id"] for n in answer["notifications"]}
            if shout in highlighted:
                break
            await asyncio.sleep(0.1)
        assert shout in highlighted
        assert reply.event_id not in highlighted
    finally:
        await carol.close()
        await frank.close()
