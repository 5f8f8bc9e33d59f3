"""Polls and demands on Matrix: native MSC3381 polls (public polls only, see
test_secret_polls), ``!vote`` in a direct room, live tallies, result images and
support reactions, against a real Synapse."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path

from nio import (
    Event,
    RoomCreateResponse,
    RoomEncryptedImage,
    RoomMessageImage,
    RoomMessageNotice,
    RoomRedactResponse,
    RoomSendResponse,
)
from nio.crypto import decrypt_attachment

from tests.e2e_matrix.helpers import BotProcess, Member, download, reply_target
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

POLL = re.compile(r"Scrutin (\d+) : ")
DEMAND = re.compile(r"#(\d+) · ")
START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
CLOSES = 'fin="dans 2 jours"'


def event_type(event: Event) -> str:
    return str(event.source.get("type"))


def content(event: Event) -> dict:
    value = event.source.get("content")
    return value if isinstance(value, dict) else {}


async def send(member: Member, room_id: str, kind: str, body: dict) -> str:
    sent = await member.client.room_send(room_id, kind, body, ignore_unverified_devices=True)
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


async def respond(member: Member, room_id: str, start: str, answers: list[str], *,
                  stable: bool = False) -> str:
    """A poll response as Element sends it (unstable) or in the stable MSC3381 form."""
    relation = {"rel_type": "m.reference", "event_id": start}
    if stable:
        return await send(member, room_id, "m.poll.response",
                          {"m.selections": answers, "m.relates_to": relation})
    return await send(member, room_id, "org.matrix.msc3381.poll.response", {
        "org.matrix.msc3381.poll.response": {"answers": answers}, "m.relates_to": relation,
    })


async def collective(synapse: SynapseServer, bot: BotProcess, *names: str) -> tuple[str, list]:
    """A room made by a moderator (the first member), joined by the others and the bot."""
    members = [await Member.login(synapse, name) for name in names]
    mod, others = members[0], members[1:]
    room = await mod.create_room(invite=[bot.user_id, *(m.user_id for m in others)])
    for member in others:
        await member.join(room)
    await mod.wait_member(room, bot.user_id)
    return room, members


async def start_event(member: Member, room: str, bot: BotProcess, number: int) -> Event:
    def is_start(r: str, e: Event) -> bool:
        return (r == room and e.sender == bot.user_id and event_type(e) == START
                and content(e)[START]["question"]["org.matrix.msc1767.text"].startswith(
                    f"Scrutin {number} "))

    [(_, event)] = await member.wait(is_start)
    return event


async def test_native_single_choice_poll(synapse: SynapseServer, bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "mod", "bob", "carl")
    mod, bob, carl = members
    try:
        await mod.command(room, "!config salon revendications ici", bot=bot.user_id)
        created = await mod.command(
            room, f'!scrutin creer titre=Déjeuner options="Pizza;Salade;Soupe" secret=non '
                  f"{CLOSES}",
            bot=bot.user_id,
        )
        number = int(POLL.search(created.body)[1])
        start = await start_event(mod, room, bot, number)
        poll = content(start)[START]
        assert poll["kind"] == "org.matrix.msc3381.poll.undisclosed"
        assert poll["max_selections"] == 1
        assert [(a["id"], a["org.matrix.msc1767.text"]) for a in poll["answers"]] == [
            ("A", "A. Pizza"), ("B", "B. Salade"), ("C", "C. Soupe")]
        assert "A. Pizza" in content(start)["org.matrix.msc1767.text"]

        await respond(bob, room, start.event_id, ["A"])
        await respond(carl, room, start.event_id, ["B"], stable=True)
        await respond(carl, room, start.event_id, ["A"])  # carl changes his mind
        shown = await mod.command(room, f"!scrutin voir {number}", bot=bot.user_id)
        assert "Bulletins: 2" in shown.body.splitlines(), shown.body

        closing = await mod.say(room, f"!scrutin clore {number}")
        [result] = await mod.replies(room, closing, sender=bot.user_id)
        assert "Résultat du scrutin" in result.body and "Gagnant : A. Pizza" in result.body
        assert "1. A. Pizza · 2 voix" in result.body.splitlines(), result.body
        [(_, end)] = await mod.wait(
            lambda r, e: r == room and e.sender == bot.user_id and event_type(e) == END)
        assert content(end)["m.relates_to"] == {"rel_type": "m.reference",
                                                "event_id": start.event_id}
        assert "Gagnant : A. Pizza" in content(end)["org.matrix.msc1767.text"]
        # The result is posted with its chart, as the reply and as the announcement.
        images = await mod.wait(
            lambda r, e: r == room and e.sender == bot.user_id
            and isinstance(e, RoomMessageImage))
        image = images[0][1]
        info = content(image)["info"]
        assert info["mimetype"] == "image/png" and info["w"] > 0 and info["h"] > 0
        data = await asyncio.to_thread(download, synapse, image.url, mod.client.access_token)
        assert data.startswith(b"\x89PNG") and len(data) == info["size"]

        # A ballot after closing is refused, privately.
        late = await respond(bob, room, start.event_id, ["C"])
        direct = await bob.join_direct()
        [(_, refusal)] = await bob.wait(
            lambda r, e: r == direct and isinstance(e, RoomMessageNotice))
        assert "Ce scrutin est clos" in refusal.body
        await mod.command(room, "!aide", bot=bot.user_id)
        assert not [e for _, e in mod.events if reply_target(e) == late]
        count = await mod.command(room, f"!scrutin resultats {number}", bot=bot.user_id)
        assert "Bulletins: 2" in count.body.splitlines()
        assert "Traceback" not in bot.log()
    finally:
        for member in members:
            await member.close()


async def test_approval_poll_with_live_tally(synapse: SynapseServer, bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "mod", "dora", "emil", "fay")
    mod, dora, emil, fay = members
    try:
        created = await mod.command(
            room, f'!scrutin creer titre=Atelier options="Lundi;Mardi;Jeudi;Vendredi" '
                  f"methode=approbation max=2 resultats=direct secret=non {CLOSES}",
            bot=bot.user_id,
        )
        number = int(POLL.search(created.body)[1])
        start = await start_event(mod, room, bot, number)
        poll = content(start)[START]
        assert poll["max_selections"] == 2
        assert poll["kind"] == "org.matrix.msc3381.poll.disclosed"
        assert len(poll["answers"]) == 4

        # A burst of ballots: the tally message is edited at once, then at most every 3 s.
        await respond(dora, room, start.event_id, ["A", "C"])
        await respond(emil, room, start.event_id, ["C", "B", "A"], stable=True)  # truncated
        await respond(fay, room, start.event_id, ["C"])
        await respond(fay, room, start.event_id, [])  # fay withdraws: a blank ballot

        def edits() -> list[Event]:
            return [e for r, e in mod.events
                    if r == room and e.sender == bot.user_id
                    and content(e).get("m.relates_to", {}).get("rel_type") == "m.replace"
                    and content(e)["m.relates_to"]["event_id"] == created.event_id]

        def final() -> bool:
            bodies = [content(e)["m.new_content"]["body"] for e in edits()]
            return any("1. C. Jeudi · 2 voix" in b and "Blancs: 1" in b for b in bodies)

        await mod.until(final, within=15)
        [*_, last] = edits()
        body = content(last)["m.new_content"]["body"].splitlines()
        assert body[0] == f"Scrutin {number} : Atelier"
        assert "Décompte provisoire du scrutin" in " ".join(body)
        assert "B. Mardi · 1 voix" in " ".join(body) and "A. Lundi · 1 voix" in " ".join(body)
        stamps = [e.server_timestamp for e in edits()]
        assert all(b - a >= 2900 for a, b in itertools.pairwise(stamps)), stamps
        assert len(stamps) <= 3, stamps
    finally:
        for member in members:
            await member.close()


async def test_ranked_poll_voted_in_a_direct_room(
    synapse: SynapseServer, bot: BotProcess
) -> None:
    room, members = await collective(synapse, bot, "mod", "gus")
    mod, gus = members
    try:
        created = await mod.command(
            room, f'!scrutin creer titre=Priorités options="Retraite;Formation;Logement" '
                  f"methode=schulze {CLOSES}",
            bot=bot.user_id,
        )
        number = int(POLL.search(created.body)[1])
        assert f"!vote {number} B>A>C" in created.body

        opened = await gus.client.room_create(is_direct=True, invite=[bot.user_id])
        assert isinstance(opened, RoomCreateResponse), opened
        direct = opened.room_id
        await gus.wait_member(direct, bot.user_id)
        reply = await gus.command(direct, f"!vote {number} B>A>C", bot=bot.user_id)
        assert "Votre bulletin est enregistré." in reply.body, reply.body
        again = await gus.command(direct, f"!vote {number} C>A>B", bot=bot.user_id)
        assert "Votre bulletin est remplacé" in again.body, again.body
        assert not any(event_type(e) == START and r == room for r, e in mod.events)

        closing = await mod.say(room, f"!scrutin clore {number}")
        [count] = await mod.replies(room, closing, sender=bot.user_id)
        assert "Bulletins: 1" in count.body.splitlines(), count.body
        assert "Gagnant : C. Logement" in count.body
        # Nothing about the ballot was said in the collective's room.
        assert not [e for r, e in gus.events if r == room and "Votre bulletin" in
                    str(content(e).get("body", ""))]
    finally:
        for member in members:
            await member.close()


async def test_demand_supported_by_reaction(synapse: SynapseServer, bot: BotProcess) -> None:
    room, members = await collective(synapse, bot, "hana", "ivan")
    hana, ivan = members
    try:
        proposed = await hana.command(
            room, '!revendication proposer titre="Congé parental des indépendants" '
                  'texte="Un vrai congé parental pour les indépendantes et indépendants." '
                  "theme=parentalite",
            bot=bot.user_id,
        )
        number = int(DEMAND.search(proposed.body)[1])
        assert "Soutiens: 1" in proposed.body.splitlines()

        reaction = await send(ivan, room, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": proposed.event_id, "key": "✅"}})
        shown = await hana.command(room, f"!revendication voir {number}", bot=bot.user_id)
        assert "Soutiens: 2" in shown.body.splitlines(), shown.body

        redacted = await ivan.client.room_redact(room, reaction)
        assert isinstance(redacted, RoomRedactResponse), redacted
        shown = await hana.command(room, f"!revendication voir {number}", bot=bot.user_id)
        assert "Soutiens: 1" in shown.body.splitlines(), shown.body
        # A reaction gets no reply in the room.
        assert not [e for _, e in hana.events if reply_target(e) == reaction]
    finally:
        for member in members:
            await member.close()


async def test_native_poll_in_an_encrypted_room(
    synapse: SynapseServer, bot: BotProcess, tmp_path: Path
) -> None:
    eve = await Member.login(synapse, "eve", store_path=tmp_path / "eve")
    try:
        room = await eve.create_room(invite=[bot.user_id], encrypted=True)
        await eve.wait_member(room, bot.user_id)
        created = await eve.command(
            room, f'!scrutin creer titre="Local Bastille" options="Oui;Non" secret=non {CLOSES}',
            bot=bot.user_id,
        )
        number = int(POLL.search(created.body)[1])
        start = await start_event(eve, room, bot, number)
        assert start.decrypted
        raw = synapse.request("GET", f"/_matrix/client/v3/rooms/{room}/event/{start.event_id}",
                              access_token=eve.client.access_token)
        assert raw["type"] == "m.room.encrypted" and "Local Bastille" not in str(raw)

        await respond(eve, room, start.event_id, ["B"], stable=True)
        closing = await eve.say(room, f"!scrutin clore {number}")
        [result] = await eve.replies(room, closing, sender=bot.user_id)
        assert "Gagnant : B. Non" in result.body, result.body
        [(_, end)] = await eve.wait(
            lambda r, e: r == room and e.sender == bot.user_id and event_type(e) == END)
        assert content(end)["m.relates_to"]["event_id"] == start.event_id
        [(_, image)] = await eve.wait(
            lambda r, e: r == room and isinstance(e, RoomEncryptedImage))
        assert image.decrypted and content(image)["info"]["mimetype"] == "image/png"
        ciphertext = await asyncio.to_thread(download, synapse, image.url,
                                             eve.client.access_token)
        data = decrypt_attachment(ciphertext, image.key["k"], image.hashes["sha256"], image.iv)
        assert data.startswith(b"\x89PNG")
    finally:
        await eve.close()
