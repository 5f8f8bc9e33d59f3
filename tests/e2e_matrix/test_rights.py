"""Who may do what, and a member's rights over their data, checked in the bot's database."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from nio import RoomMessageFile

from tests.e2e_matrix.helpers import BotProcess, Member, Rows, download
from tests.matrix_harness.synapse import SynapseServer

DENIED = "Seuls les modérateurs peuvent faire cela."
MODERATOR_ONLY = (
    "!tribune export",
    "!tribune texte x",
    "!tribune annonces ici",
    "!config",
    "!config langue en",
    "!config salon tribune ici",
    "!config journal",
    "!federation creer X",
    "!federation rejoindre AAAA-BBBB",
    "!revendication rejeter {demand} raison=x",
)
# Written on every sync or every command, whoever sends it.
BOOKKEEPING = {"processed_events", "bot_state"}


def without_speaker(tables: Rows, user_id: str) -> Rows:
    """The tables without bookkeeping, nor the rows recording that ``user_id`` spoke."""
    [member] = [row for row in tables["members"] if row["user_id"] == user_id] or [None]
    if member is None:
        return {name: rows for name, rows in tables.items() if name not in BOOKKEEPING}
    speaker: dict[str, tuple[str, Any]] = {
        "members": ("id", member["id"]),
        "memberships": ("member_id", member["id"]),
        "persons": ("id", member["person_id"]),
    }
    kept: Rows = {}
    for name, rows in tables.items():
        if name in BOOKKEEPING:
            continue
        column, value = speaker.get(name, ("", None))
        kept[name] = [row for row in rows if not column or row[column] != value]
    return kept


async def test_members_cannot_moderate(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "mod")
    noa = await Member.login(synapse, "noa")
    try:
        room = await mod.create_room(invite=[bot.user_id, noa.user_id])
        await noa.join(room)
        await mod.wait_member(room, bot.user_id)
        proposed = await mod.command(
            room, '!revendication proposer titre="Congé parental" texte="Un vrai congé" '
            "theme=parentalite", bot=bot.user_id,
        )
        demand = re.search(r"#(\d+) · ", proposed.body)
        assert demand is not None, proposed.body
        await noa.command(room, "!tribune", bot=bot.user_id)

        before = bot.tables()
        for command in MODERATOR_ONLY:
            reply = await noa.command(room, command.format(demand=demand[1]), bot=bot.user_id)
            assert DENIED in reply.body, (command, reply.body)
        after = bot.tables()

        assert without_speaker(after, noa.user_id) == without_speaker(before, noa.user_id)
        assert len(after["processed_events"]) > len(before["processed_events"])
    finally:
        await mod.close()
        await noa.close()


async def test_my_data_then_forget_me(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "mod")
    zoe = await Member.login(synapse, "zoe")
    name, profession, city = "Zoé Kerbrat-Unique", "cartographe marine", "Plouguerneau"
    try:
        await zoe.client.set_displayname("Zoé Pseudonyme")
        room = await mod.create_room(invite=[bot.user_id, zoe.user_id])
        await zoe.join(room)
        await mod.wait_member(room, bot.user_id)

        await zoe.command(
            room, f'!tribune signer nom="{name}" metier="{profession}" ville={city} '
            "public=oui consentement=oui", bot=bot.user_id,
        )
        assert bot.holds(zoe.user_id, "Zoé Pseudonyme", name), "nothing was recorded"

        note = await zoe.command(room, "!mes-donnees", bot=bot.user_id)
        assert "La réponse vous a été envoyée en message privé." in note.body
        assert name not in note.body
        direct = await zoe.join_direct()
        def files() -> dict[str, Any]:
            return {e.body: e for r, e in zoe.events
                    if r == direct and isinstance(e, RoomMessageFile)}

        await zoe.until(lambda: len(files()) == 2)
        assert sorted(files()) == ["mes-donnees.json", "mes-donnees.md"]
        document = (await asyncio.to_thread(
            download, synapse, files()["mes-donnees.md"].url, zoe.client.access_token
        )).decode("utf-8")
        assert document.startswith("# Vos données")
        assert f"- **Nom** : {name}" in document and f"- **Ville** : {city}" in document
        data = json.loads(await asyncio.to_thread(
            download, synapse, files()["mes-donnees.json"].url, zoe.client.access_token
        ))
        [signature] = data["signatures"]
        assert (signature["display_name"], signature["city"]) == (name, city)
        [identity] = data["identities"]
        assert (identity["platform"], identity["user_id"]) == ("matrix", zoe.user_id)

        ask = await zoe.command(room, "!oublie-moi", bot=bot.user_id)
        assert "!oublie-moi confirmer" in ask.body
        assert bot.holds(name), "erased before confirmation"
        done = await zoe.command(room, "!oublie-moi confirmer", bot=bot.user_id)
        assert "Tout ce que le bot détenait sur vous a été effacé." in done.body

        assert bot.holds(zoe.user_id, "Zoé Pseudonyme", name, profession, city) == []
        view = await mod.command(room, "!tribune", bot=bot.user_id)
        assert "0 signature" in view.body.splitlines()
    finally:
        await mod.close()
        await zoe.close()


async def test_departures_are_recorded(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "mod")
    members = [await Member.login(synapse, prefix) for prefix in ("leaver", "kicked", "banned")]
    leaver, kicked, banned = members
    try:
        room = await mod.create_room(invite=[bot.user_id, *(m.user_id for m in members)])
        for member in members:
            await member.join(room)
            await member.command(
                room, f"!tribune signer nom={member.user_id[1:7]} metier=dev ville=Rennes "
                "consentement=oui", bot=bot.user_id,
            )

        def left_at() -> dict[str, Any]:
            tables = bot.tables()
            users = {row["id"]: row["user_id"] for row in tables["members"]}
            return {users[row["member_id"]]: row["left_at"] for row in tables["memberships"]}

        assert [left_at()[m.user_id] for m in members] == [None, None, None]
        await leaver.client.room_leave(room)
        await mod.client.room_kick(room, kicked.user_id, "test")
        await mod.client.room_ban(room, banned.user_id, "test")
        # The bot replies to a later command after handling the departures before it.
        await mod.command(room, "!tribune", bot=bot.user_id)
        departed = left_at()
        assert all(departed[m.user_id] is not None for m in members), departed

        # Invited back and declining is no new departure.
        await mod.client.room_invite(room, leaver.user_id)
        await leaver.until(lambda: room in leaver.client.invited_rooms)
        await leaver.client.room_leave(room)
        await mod.command(room, "!tribune", bot=bot.user_id)
        assert left_at()[leaver.user_id] == departed[leaver.user_id]
    finally:
        await mod.close()
        for member in members:
            await member.close()
