"""Mutual aid on Matrix, end to end: a member declares skills, another posts a
matching request (its message roots a discussion thread) and changes it (the
message is edited), the first is told in a direct room and offers help from
there (said in the thread), an exchange of two hours is recorded and confirmed
from the other direct room, balances show +2 and -2, and the request is closed:
its message is edited and its thread says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nio import Event, RoomMessageNotice

from tests.e2e_matrix.helpers import BotProcess, Member, relates_to
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

NUMBER = re.compile(r"#(\d+) · ")
EXCHANGE = re.compile(r"Échange (\d+)")


def notice(room_id: str, sender: str, text: str) -> Callable[[str, Event], bool]:
    def matches(room: str, event: Event) -> bool:
        return (room == room_id and event.sender == sender
                and isinstance(event, RoomMessageNotice) and text in event.body)
    return matches


def new_content(event: Event) -> dict[str, Any]:
    value = event.source.get("content", {}).get("m.new_content")
    return value if isinstance(value, dict) else {}


async def test_skills_request_help_exchange_and_balances(synapse: SynapseServer,
                                                         bot: BotProcess) -> None:
    mod, ana, ben = [await Member.login(synapse, name) for name in ("mod", "ana", "ben")]
    try:
        room = await mod.create_room(invite=[bot.user_id, ana.user_id, ben.user_id])
        await ana.join(room)
        await ben.join(room)
        await mod.wait_member(room, bot.user_id)

        declared = await ana.command(room, "!entraide profil competences=marketing",
                                     bot=bot.user_id)
        assert "marketing" in declared.body

        post = await ben.command(
            room, '!entraide demander competences=marketing ville=Lyon heures=2 '
                  'description="Relire ma page de vente avant le lancement"', bot=bot.user_id)
        found = NUMBER.match(post.body)
        assert found and "Demande" in post.body, post.body
        number = found[1]
        # Shown as everyone sees it: the command to offer help is there.
        assert f"!entraide aider {number}" in post.body

        # Ben changes his post: its message is edited. Ana may not change it.
        changed = await ben.command(
            room, f'!entraide modifier {number} tags=lancement description="Relire ma page '
                  'de vente et mon devis"', bot=bot.user_id)
        assert "et mon devis" in changed.body and "lancement" in changed.body, changed.body
        [(_, edited)] = await ben.wait(lambda r, e: r == room and e.sender == bot.user_id
                                       and relates_to(e).get("rel_type") == "m.replace")
        assert relates_to(edited)["event_id"] == post.event_id
        shown = new_content(edited).get("body", "")
        assert "et mon devis" in shown and f"!entraide aider {number}" in shown, shown
        refused = await ana.command(room, f"!entraide modifier {number} description=Pris",
                                    bot=bot.user_id)
        assert "Seuls l’auteur de cette annonce" in refused.body, refused.body

        # Ana is told in a direct room, and offers help from there.
        direct = await ana.join_direct()
        [(_, match)] = await ana.wait(notice(direct, bot.user_id,
                                             "Une demande correspond à vos compétences"))
        assert f"!entraide aider {number}" in match.body
        offered = await ana.command(direct, f"!entraide aider {number}", bot=bot.user_id)
        assert "L’auteur a été prévenu" in offered.body

        ben_direct = await ben.join_direct()
        [(_, told)] = await ben.wait(notice(ben_direct, bot.user_id,
                                            "peut vous aider pour votre demande"))
        assert ana.user_id in told.body

        # The introduction is in the post's thread, and mentions nobody.
        [(_, intro)] = await ben.wait(notice(room, bot.user_id, "propose son aide"))
        relation = relates_to(intro)
        assert relation["rel_type"] == "m.thread" and relation["event_id"] == post.event_id
        assert intro.source["content"]["m.mentions"] == {}

        # Ana records two hours given; Ben confirms from his direct room.
        recorded = await ana.command(
            room, f"!entraide echange heures=2 avec={ben.user_id} sens=donne annonce={number}",
            bot=bot.user_id)
        assert "en attente de confirmation" in recorded.body
        [(_, asked)] = await ben.wait(notice(ben_direct, bot.user_id,
                                             "Un échange avec vous a été enregistré"))
        exchange = EXCHANGE.search(asked.body)
        assert exchange and f"!entraide confirmer {exchange[1]}" in asked.body, asked.body
        confirmed = await ben.command(ben_direct, f"!entraide confirmer {exchange[1]}",
                                      bot=bot.user_id)
        assert "Statut : confirmé." in confirmed.body

        balance = await ana.command(room, "!entraide solde", bot=bot.user_id)
        assert "Solde : 2 h" in balance.body
        balance = await ben.command(room, "!entraide solde", bot=bot.user_id)
        assert "Solde : -2 h" in balance.body

        # The request is fulfilled: its message is edited, its thread says so.
        [(_, edit)] = await ben.wait(lambda r, e: r == room and e.sender == bot.user_id
                                     and relates_to(e).get("rel_type") == "m.replace"
                                     and "Close." in new_content(e).get("body", ""))
        assert relates_to(edit)["event_id"] == post.event_id
        shown = new_content(edit).get("body", "")
        assert "Close." in shown.splitlines() and "!entraide aider" not in shown
        [(_, last)] = await ben.wait(notice(room, bot.user_id, "Cette annonce est close."))
        assert relates_to(last)["rel_type"] == "m.thread"
        assert relates_to(last)["event_id"] == post.event_id

        searched = await ana.command(room, "!entraide chercher competence=marketing",
                                     bot=bot.user_id)
        assert "Aucune annonce ouverte" in searched.body, searched.body
    finally:
        for member in (mod, ana, ben):
            await member.close()
