"""The rights FAQ on the Matrix adapter without a server: feedback by reaction on
answers, and passive help in rooms where it is on."""

from __future__ import annotations

from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render.message import Action, Message
from bot.matrix import _faq
from bot.matrix.adapter import MatrixAdapter, _place
from tests.test_matrix_meetups import ROOM, Events, Recorder, collective_room

QUESTION = "Est-ce que je peux toucher des indemnités si je suis malade ?"


def test_reaction_keys() -> None:
    for key in ("👍", "👍🏽", "✅", "✔️"):
        assert _faq.opinion_of(key) is True, key
    for key in ("👎", "👎🏻", "❌", "✖️"):
        assert _faq.opinion_of(key) is False, key
    for key in ("❔", "❤️", "", None, 3):
        assert _faq.opinion_of(key) is None, key


def test_what_an_answer_shows() -> None:
    answer = Message(title="CFE", lines=("…",), footer="Fiche cfe", actions=(
        Action("faq:useful:cfe", "Utile", "!droits utile cfe"),
        Action("faq:useless:cfe", "Pas utile", "!droits inutile cfe")))
    assert _faq.answered_slug(answer) == "cfe"
    assert _faq.answered_slug(Message(actions=(Action("faq:show:cfe", "Lire"),))) is None
    assert _faq.answered_slug(Message()) is None
    with use_locale("fr"):
        shown = _faq.with_reactions(answer)
        assert [a.label for a in shown.actions] == ["👍 Utile", "👎 Pas utile"]
        assert shown.footer == f"{_faq.reaction_hint()}\nFiche cfe"
        assert "👍" in shown.footer and "👎" in shown.footer
        assert _faq.with_reactions(shown) == shown  # never twice
        assert _faq.with_reactions(Message()).footer == _faq.reaction_hint()


async def test_feedback_by_reaction(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@mod:hs", "@ana:hs", "@ben:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)

    await events.say("@ana:hs", "!droits congé maternité indépendante")
    [(_room, answer)] = recorder.sent
    assert "pas un conseil juridique" in answer["body"] and "Sources" in answer["body"]
    assert "👎" in answer["body"] and "!droits inutile conge-maternite" in answer["body"]
    assert await adapter.state.faq_of("$sent1", ROOM) == "conge-maternite"
    assert await adapter.state.faq_of("$sent1", "!other:hs") is None

    await events.react("@ben:hs", "$sent1", "👍")  # useful: nothing to say
    assert recorder.told == []
    await events.react("@ana:hs", "$sent1", "👎")
    [(user, told)] = recorder.told
    text = told.plain_text()
    assert user == "@ana:hs" and "votre avis est enregistré" in text
    assert "transmise" in text  # her question goes to the moderators
    await events.react("@ana:hs", "$e1", "👎")  # not an answer of the bot: nothing
    assert len(recorder.told) == 1
    entry = await core.faq.show(adapter._system_actor(), _place(room), "conge-maternite")
    assert (entry.useful, entry.useless) == (1, 1)
    queue = await core.faq.queue(adapter._actor(room, "@mod:hs", await core.profile(
        _place(room))), _place(room))
    assert [item.reason for item in queue.items] == ["unhelpful"]


async def test_passive_help(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@mod:hs", "@ana:hs", "@ben:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)

    await events.say("@ana:hs", QUESTION)  # off by default
    assert recorder.sent == []
    await events.say("@ana:hs", "!droits passif oui")
    assert "Seuls les modérateurs" in recorder.sent[-1][1]["body"]
    await events.say("@mod:hs", "!droits passif oui")
    assert "L’aide passive est activée" in recorder.sent[-1][1]["body"], recorder.sent[-1]
    sent = len(recorder.sent)
    asked = await events.say("@ana:hs", QUESTION)
    [(_room, suggestion)] = recorder.sent[sent:]
    assert suggestion["msgtype"] == "m.notice" and suggestion["m.mentions"] == {}
    assert suggestion["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}
    assert "Arrêt maladie" in suggestion["body"]
    assert "!droits voir arret-maladie" in suggestion["body"]
    await events.say("@ana:hs", "Et comment on cotise pour la retraite quand on est en micro ?")
    await events.say("@ben:hs", "On se retrouve jeudi pour l'apéro, ça vous dit ?")
    await events.say("@ben:hs", "Merci à tous pour hier soir")
    assert len(recorder.sent) == sent + 1  # within the hour, chat, not a question

