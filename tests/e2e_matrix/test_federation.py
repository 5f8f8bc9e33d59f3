"""Collectives in two Matrix rooms federate; demands are proposed, supported, decided."""

from __future__ import annotations

import re

from nio import RoomMessageNotice

from tests.e2e_matrix.helpers import CODE, BotProcess, Member
from tests.matrix_harness.synapse import SynapseServer

NUMBER = re.compile(r"#(\d+) · ")


def signing(name: str, city: str) -> str:
    return f'!tribune signer nom="{name}" metier=graphiste ville={city} consentement=oui'


async def test_federation_of_two_rooms(synapse: SynapseServer, bot: BotProcess) -> None:
    ana = await Member.login(synapse, "ana")  # moderator of room A
    ben = await Member.login(synapse, "ben")  # moderator of room B
    cleo = await Member.login(synapse, "cleo")  # member of room B
    try:
        room_a = await ana.create_room(invite=[bot.user_id], name="Collectif Lyon")
        room_b = await ben.create_room(invite=[bot.user_id, cleo.user_id], name="Collectif Brest")
        await cleo.join(room_b)
        await ana.wait_member(room_a, bot.user_id)
        await ben.wait_member(room_b, bot.user_id)

        created = await ana.command(room_a, "!federation creer Union", bot=bot.user_id)
        assert "La fédération est créée." in created.body

        note = await ana.command(room_a, "!federation code", bot=bot.user_id)
        assert "La réponse vous a été envoyée en message privé." in note.body
        assert not CODE.search(note.body), "the code was posted in the room"
        direct = await ana.join_direct()
        [(_, delivered)] = await ana.wait(
            lambda r, e: r == direct and isinstance(e, RoomMessageNotice)
        )
        assert "Code pour rejoindre Union" in delivered.body
        code = CODE.search(delivered.body)
        assert code is not None, delivered.body

        joined = await ben.command(room_b, f"!federation rejoindre {code[0]}", bot=bot.user_id)
        assert "Ce collectif a rejoint la fédération." in joined.body
        assert "Collectif Lyon (Matrix)" in joined.body
        assert "Collectif Brest (Matrix) ← ici" in joined.body

        await ana.command(room_a, signing("Ana Roux", "Lyon"), bot=bot.user_id)
        signed = await cleo.command(room_b, signing("Cléo Le Gall", "Brest"), bot=bot.user_id)
        assert "2 signatures" in signed.body.splitlines()
        for member, room in ((ana, room_a), (cleo, room_b)):
            view = await member.command(room, "!tribune", bot=bot.user_id)
            assert "2 signatures" in view.body.splitlines(), view.body

        # A code works once: a third collective cannot reuse it.
        room_c = await ben.create_room(invite=[bot.user_id], name="Collectif Nantes")
        await ben.wait_member(room_c, bot.user_id)
        reused = await ben.command(room_c, f"!federation rejoindre {code[0]}", bot=bot.user_id)
        assert "Ce code a déjà servi. Demandez-en un nouveau." in reused.body
        status = await ben.command(room_c, "!federation", bot=bot.user_id)
        assert "ne fait encore partie d’aucune fédération" in status.body
    finally:
        for member in (ana, ben, cleo):
            await member.close()


async def test_demands(synapse: SynapseServer, bot: BotProcess) -> None:
    mod = await Member.login(synapse, "mod")
    lou = await Member.login(synapse, "lou")
    max_ = await Member.login(synapse, "max")
    try:
        room = await mod.create_room(invite=[bot.user_id, lou.user_id, max_.user_id])
        await lou.join(room)
        await max_.join(room)
        await mod.wait_member(room, bot.user_id)

        proposed = await lou.command(
            room, '!revendication proposer titre="Retraite des indépendants" '
            'texte="Une vraie retraite pour les indépendants" theme=retraite', bot=bot.user_id,
        )
        assert "Votre revendication est enregistrée, avec votre soutien." in proposed.body
        first = NUMBER.search(proposed.body)
        assert first is not None, proposed.body
        retirement = first[1]

        near = '!revendication proposer titre="Retraite pour les indépendants" ' \
            'texte="Une retraite digne pour les indépendants" theme=retraite'
        similar = await max_.command(room, near, bot=bot.user_id)
        assert "Revendications proches" in similar.body
        assert f"#{retirement} · Retraite des indépendants · 1 soutien" in similar.body
        assert f"!revendication soutenir {retirement}" in similar.body
        supported = await max_.command(
            room, f"!revendication soutenir {retirement}", bot=bot.user_id
        )
        assert "Votre soutien est compté." in supported.body
        assert "2 soutiens" in supported.body

        # Proposed anyway, then folded into the first one by a moderator.
        forced = await max_.command(room, near + " force=oui", bot=bot.user_id)
        duplicate = NUMBER.search(forced.body)
        assert duplicate is not None, forced.body
        merged = await mod.command(
            room, f"!revendication fusionner {duplicate[1]} {retirement}", bot=bot.user_id
        )
        assert f"#{retirement} · Retraite des indépendants" in merged.body

        other = await lou.command(
            room, '!revendication proposer titre="Tarifs de la plateforme" '
            'texte="Plafonner les commissions" theme=plateformes', bot=bot.user_id,
        )
        platforms = NUMBER.search(other.body)
        assert platforms is not None, other.body
        rejected = await mod.command(
            room, f'!revendication rejeter {platforms[1]} raison="déjà portée ailleurs"',
            bot=bot.user_id,
        )
        assert "Statut: rejetée" in rejected.body.splitlines()
        assert "Raison: déjà portée ailleurs" in rejected.body.splitlines()

        listing = await lou.command(room, "!revendication liste", bot=bot.user_id)
        lines = listing.body.splitlines()
        assert f"- #{retirement} · Retraite des indépendants · retraite · ouverte · 2 soutiens" \
            in lines, listing.body
        assert any(line.startswith(f"- #{platforms[1]} · Tarifs de la plateforme")
                   and "rejetée · 1 soutien" in line for line in lines), listing.body
    finally:
        for member in (mod, lou, max_):
            await member.close()
