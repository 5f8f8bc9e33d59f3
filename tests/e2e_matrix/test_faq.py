"""The rights FAQ on Matrix, end to end: an answer with its sources and notice,
« not useful » by a 👎 reaction (confirmed privately, the question queued), a
moderator turning a question the corpus missed into an alias so that it finds its
entry, and passive help: one suggestion for a rights question, none for a second
one within the hour nor for ordinary chat."""

from __future__ import annotations

import re

from nio import Event, RoomMessageNotice, RoomSendResponse

from tests.e2e_matrix.helpers import BotProcess, Member, reply_target
from tests.matrix_harness.synapse import SynapseServer

SLANG = "la thune quand je suis patraque"
QUEUED = re.compile(r"#(\d+) “" + re.escape(SLANG))


async def react(member: Member, room_id: str, target: str, key: str) -> None:
    sent = await member.client.room_send(room_id, "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": target, "key": key}})
    assert isinstance(sent, RoomSendResponse), sent


def replies_to(member: Member, bot: BotProcess, event_id: str) -> list[Event]:
    return [event for _room, event in member.events
            if event.sender == bot.user_id and reply_target(event) == event_id]


async def test_answer_feedback_queue_and_alias(synapse: SynapseServer, bot: BotProcess) -> None:
    mod, ana = [await Member.login(synapse, name) for name in ("mod", "ana")]
    try:
        room = await mod.create_room(invite=[bot.user_id, ana.user_id])
        await ana.join(room)
        await mod.wait_member(room, bot.user_id)

        answer = await ana.command(room, "!droits congé maternité indépendante",
                                   bot=bot.user_id)
        assert isinstance(answer, RoomMessageNotice)
        assert "maternité" in answer.body.splitlines()[0].casefold()
        assert "Sources:" in answer.body and "https://" in answer.formatted_body
        assert "pas un conseil juridique" in answer.body
        assert "👍" in answer.body and "👎 Pas utile: !droits inutile conge-maternite" \
            in answer.body

        await react(ana, room, answer.event_id, "👎")
        direct = await ana.join_direct()
        [(_, told)] = await ana.wait(lambda r, e: r == direct and e.sender == bot.user_id
                                     and isinstance(e, RoomMessageNotice)
                                     and "votre avis est enregistré" in e.body)
        assert "transmise, sans votre nom, aux modérateurs" in told.body

        missed = await ana.command(room, f"!droits {SLANG}", bot=bot.user_id)
        assert "Aucune fiche ne répond encore à cette question." in missed.body

        queue = await mod.command(room, "!droits questions", bot=bot.user_id)
        assert "congé maternité indépendante" in queue.body and "marquée pas utile" \
            in queue.body
        question = QUEUED.search(queue.body)
        assert question and "pas de bonne réponse" in queue.body, queue.body
        refused = await ana.command(room, f"!droits alias arret-maladie question={question[1]}",
                                    bot=bot.user_id)
        assert "Seuls les modérateurs" in refused.body
        added = await mod.command(room, f"!droits alias arret-maladie question={question[1]}",
                                  bot=bot.user_id)
        assert "Alias ajouté à arret-maladie." in added.body

        again = await ana.command(room, f"!droits {SLANG}", bot=bot.user_id)
        assert again.body.startswith("Arrêt maladie"), again.body
        assert "!droits utile arret-maladie" in again.body
    finally:
        await mod.close()
        await ana.close()


async def test_passive_help(synapse: SynapseServer, bot: BotProcess) -> None:
    mod, ben, cat = [await Member.login(synapse, name) for name in ("mod", "ben", "cat")]
    try:
        room = await mod.create_room(invite=[bot.user_id, ben.user_id, cat.user_id])
        await ben.join(room)
        await cat.join(room)
        await mod.wait_member(room, bot.user_id)

        question = "Est-ce que je peux toucher des indemnités si je suis malade ?"
        before = await ben.say(room, question)  # off by default
        enabled = await mod.command(room, "!droits passif oui", bot=bot.user_id)
        assert "L’aide passive est activée dans ce salon" in enabled.body

        asked = await ben.say(room, question)
        [suggestion] = await ben.replies(room, asked, sender=bot.user_id)
        assert isinstance(suggestion, RoomMessageNotice)
        assert "Arrêt maladie" in suggestion.body
        assert "!droits voir arret-maladie" in suggestion.body
        assert suggestion.source["content"]["m.mentions"] == {}

        quiet = [
            await ben.say(room, "Et comment on cotise pour la retraite en micro-entreprise ?"),
            await cat.say(room, "On se retrouve jeudi pour l'apéro, ça vous dit ?"),
            await cat.say(room, "Merci à tous pour hier soir, c'était top"),
        ]
        # Replies come in order: once this one is here, any for the messages above is too.
        await mod.command(room, "!droits passif non", bot=bot.user_id)
        for event_id in (before, *quiet):
            assert replies_to(ben, bot, event_id) == [], event_id
        assert len(replies_to(ben, bot, asked)) == 1
    finally:
        for member in (mod, ben, cat):
            await member.close()
