"""The rights FAQ on Discord, end to end.

A member completes an entry's title and opens it, asks a question and gets the
answer with its sources, finds a slang question badly answered and says so
with « Pas utile »; a moderator sees that question in the queue, adds the slang
word as an alias of the right entry, and the same question now finds it. The
moderator also writes an entry through the forms. Passive help, with
``discord.read_messages``: in a channel where it is on, a member's rights
question gets one suggestion; a second one within the hour, a message that is
not a question and a bot's message get none.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.core.errors import PermissionDenied
from bot.core.render.md import escape
from bot.core.services.faq import NOTICE
from tests.discord_standin import FakeMember, InteractionRecord, StoredMessage
from tests.e2e_discord.harness import Tribune, database_rows, fr

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

GUILDS = 1 << 0
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
SLANG_QUESTION = "ça marche comment la sécu des freelances ?"
SICK_PAY = "Arrêt maladie : les indemnités journalières des indépendants"
HEALTH = "L'assurance maladie des indépendants (remboursement des soins)"
QUIET = 0.5  # seconds left to the bot to (not) answer a message


async def ask(scene: Tribune, user: FakeMember, question: str, **options: Any
              ) -> InteractionRecord:
    """``/droits question:…`` and its answer."""
    return await scene.env.answer(await scene.env.slash(
        "droits", user=user, options={"question": question, **options}))


async def moderate(scene: Tribune, sub: str, user: FakeMember, **options: Any
                   ) -> InteractionRecord:
    """``/droits-moderation <sub> …`` and its answer."""
    return await scene.env.answer(await scene.env.slash(
        "droits-moderation", sub, user=user, options=options))


def answers(message: InteractionRecord) -> list[str]:
    return [c for c in message.message.custom_ids() if c.startswith("faq:use")]


async def test_members_ask_and_moderators_curate(tribune: Tribune) -> None:
    """Both scenarios below, with one bot process (each start takes seconds)."""
    ana, mod = tribune.member("ana"), tribune.moderator("modo")
    assert tribune.standin.live_sessions()[-1].intents == GUILDS  # no message is read
    await ask_complete_feedback_queue_and_alias(tribune, ana, mod)
    await write_entries_through_forms(tribune, ana, mod)


async def ask_complete_feedback_queue_and_alias(scene: Tribune, ana: FakeMember,
                                                mod: FakeMember) -> None:

    # Completion offers entry titles; choosing one sends its id, which opens it.
    choices = await scene.env.choices(await scene.env.autocomplete(
        "droits", user=ana, focused="question", value="arret mal"))
    assert choices == [{"name": SICK_PAY, "value": "arret-maladie"}]
    opened = await ask(scene, ana, "arret-maladie")
    assert opened.ephemeral and SICK_PAY in opened.text, opened.describe()

    # A question typed in full: the answer, its sources and the notice, with buttons.
    answer = await ask(scene, ana, "arrêt maladie indépendant : combien d'indemnités ?")
    assert answer.ephemeral, answer.describe()
    assert SICK_PAY in answer.text
    assert "(https://www.ameli.fr)" in answer.text and fr("Sources") in answer.text
    assert "pas un conseil juridique" in answer.text and NOTICE in answer.text
    ids = answer.message.custom_ids()
    assert ids[:2] == ["faq:useful:arret-maladie", "faq:useless:arret-maladie"]
    assert ids[2:] and all(i.startswith("faq:show:") for i in ids[2:])  # other answers
    assert "!droits" not in answer.text
    other = await scene.click(answer.message, ids[2], ana)
    assert other.ephemeral and ids[2].removeprefix("faq:show:") in other.text

    # Shared with the channel on request.
    shared = await ask(scene, ana, "arret-maladie", partager=True)
    assert not shared.ephemeral and SICK_PAY in shared.text

    # A slang word the corpus does not know: a weak answer, marked not useful.
    weak = await ask(scene, ana, SLANG_QUESTION)
    assert fr("This is the closest entry, but it may not answer your question.") in weak.text
    assert escape(HEALTH) not in weak.text
    (_useful, useless) = answers(weak)
    clicked = await scene.click(weak.message, useless, ana)
    assert clicked.ephemeral, clicked.describe()
    assert fr("Thank you, your opinion is recorded.") in clicked.text
    assert fr("Your question has been passed on, without your name, to the moderators so "
              "they can improve the answer.") in clicked.text

    # Members cannot see the queue; the moderator does, without the member's name.
    refused = await moderate(scene, "file", ana)
    assert refused.ephemeral and fr(PermissionDenied.message) in refused.text
    queue = await moderate(scene, "file", mod)
    assert queue.ephemeral, queue.describe()
    queued = re.findall(rf"\*\*#(\d+)\*\* “{re.escape(SLANG_QUESTION)}”", queue.text)
    assert queued and "Ana" not in queue.text, queue.text
    assert "`/droits-moderation alias question:N`" in queue.text

    # The slang word becomes an alias of the right entry; the same question finds it.
    completed = await scene.env.choices(await scene.env.autocomplete(
        "droits-moderation alias", user=mod, focused="fiche", value="assurance mal"))
    assert completed == [{"name": HEALTH, "value": "assurance-maladie"}]
    aliased = await moderate(scene, "alias", mod, fiche="assurance-maladie", texte="la sécu")
    assert aliased.ephemeral, aliased.describe()
    assert fr("Alias added to {id}.", id="assurance-maladie") in aliased.text
    assert "“la sécu”" in aliased.text
    found = await ask(scene, ana, SLANG_QUESTION)
    assert escape(HEALTH) in found.text, found.describe()  # the embed's title
    assert fr("This is the closest entry, but it may not answer your question.") \
        not in found.text
    assert answers(found)[0] == "faq:useful:assurance-maladie"

    for number in queued:
        dismissed = await moderate(scene, "ecarter", mod, numero=int(number))
        assert fr("Question #{number} is closed.", number=number) in dismissed.text
    assert fr("No question is waiting.") in (await moderate(scene, "file", mod)).text

    # Passive help needs discord.read_messages: the moderator is told it is off.
    passive = await moderate(scene, "aide-passive", mod, actif="on")
    assert passive.ephemeral and "discord.read_messages" in passive.text


async def write_entries_through_forms(scene: Tribune, ana: FakeMember,
                                      mod: FakeMember) -> None:
    refused = await scene.env.answer(await scene.env.slash(
        "droits-moderation", "ajouter", user=ana))
    assert refused.modal is None and fr(PermissionDenied.message) in refused.text

    opened = await scene.env.slash("droits-moderation", "ajouter", user=mod)
    form = await scene.env.modal(opened)
    assert form["custom_id"] == "faq:add-form"
    assert [c["component"]["custom_id"] for c in form["components"]] == [
        "slug", "title", "answer", "sources", "topics"]
    added = await scene.env.answer(await scene.env.submit_modal(opened, {
        "slug": "droit-deconnexion", "title": "Le droit à la déconnexion des freelances",
        "answer": "Aucun texte ne l'impose à vos clients : écrivez-le dans vos devis.",
        "sources": "Service-Public|https://www.service-public.fr\nURSSAF|https://www.urssaf.fr",
        "topics": "clients, contrats",
    }))
    assert added.ephemeral, added.describe()
    assert fr("Entry {id} added.", id="droit-deconnexion") in added.text
    assert "(https://www.urssaf.fr)" in added.text and NOTICE in added.text

    opened = await scene.env.slash("droits-moderation", "modifier", user=mod,
                                   options={"fiche": "droit-deconnexion", "revu": True})
    form = await scene.env.modal(opened)
    assert form["custom_id"] == "faq:edit-reviewed-form:droit-deconnexion"
    prefilled = {c["component"]["custom_id"]: c["component"].get("value")
                 for c in form["components"]}
    assert prefilled["title"] == "Le droit à la déconnexion des freelances"
    assert prefilled["sources"] == ("Service-Public|https://www.service-public.fr\n"
                                    "URSSAF|https://www.urssaf.fr")
    edited = await scene.env.answer(await scene.env.submit_modal(opened, {
        **prefilled, "title": "Droit à la déconnexion",
        "questions": "Puis-je refuser les appels le soir ?\nJe réponds aux clients le week-end ?",
    }))
    assert fr("Entry {id} updated.", id="droit-deconnexion") in edited.text, edited.describe()
    found = await ask(scene, ana, "puis-je refuser les appels de mes clients le soir ?")
    assert "Droit à la déconnexion" in found.text, found.describe()

    retired = await moderate(scene, "retirer", mod, fiche="droit-deconnexion")
    assert fr("Entry {id} is retired: it no longer answers.", id="droit-deconnexion") \
        in retired.text
    rows = [r for r in database_rows(scene.bot)["faq_entries"] if r["slug"] == "droit-deconnexion"]
    assert [(r["title"], r["status"], r["edited"]) for r in rows] == [
        ("Droit à la déconnexion", "retired", 1)]


def replies_to(scene: Tribune, posted: StoredMessage) -> list[StoredMessage]:
    return [m for m in scene.standin.bot_messages_in(scene.env.channel)
            if (m.data.get("message_reference") or {}).get("message_id") == str(posted.id)]


async def test_passive_help_suggests_once_an_hour(tribune_unstarted: Tribune) -> None:
    scene = tribune_unstarted
    scene.bot.extra_config = "read_messages = true"
    await scene.bot.start()
    intents = scene.standin.live_sessions()[-1].intents
    assert intents & GUILD_MESSAGES and intents & MESSAGE_CONTENT
    ana, bea, mod = scene.member("ana"), scene.member("bea"), scene.moderator("modo")
    robot = scene.standin.add_user("robot", bot=True)
    scene.standin.add_member(scene.env.guild, robot)
    question = "est-ce que je peux toucher le chômage en étant freelance ?"

    off = await scene.env.post(ana, question)  # passive help is off by default
    await asyncio.sleep(QUIET)  # read before it is turned on
    turned_on = await moderate(scene, "aide-passive", mod, actif="on")
    assert not turned_on.ephemeral, turned_on.describe()  # members see it
    assert fr("Passive help is on in this channel: a message that looks like a rights "
              "question gets one suggestion, at most once per member per hour.") \
        in turned_on.text

    chat = await scene.env.post(ana, "on se retrouve jeudi à la réunion")
    from_bot = await scene.env.post(robot, question)
    first = await scene.env.post(ana, question)
    suggestion = await scene.env.message_in(
        scene.env.channel, lambda m: m in replies_to(scene, first))
    assert suggestion.mentions == [] and suggestion.allowed_mentions == {"parse": []}
    (show,) = suggestion.custom_ids()
    assert show in ("faq:show:creer-au-chomage", "faq:show:ati"), suggestion
    second = await scene.env.post(ana, "et comment déclarer mes revenus d'auto-entrepreneur ?")
    mention = await scene.env.post(bea, f"{scene.env.bot_user.mention} merci pour l'info")

    opened = await scene.click(suggestion, show, bea)
    assert opened.ephemeral and NOTICE in opened.text, opened.describe()
    title = opened.message.embeds[0]["title"]
    assert fr("This may help: **{title}**", title=title) in suggestion.text

    # Another member still gets a suggestion; once it is there, earlier messages are done.
    last = await scene.env.post(bea, question)
    await scene.env.message_in(scene.env.channel, lambda m: m in replies_to(scene, last))
    await asyncio.sleep(QUIET)
    for posted in (off, chat, from_bot, second, mention):
        assert replies_to(scene, posted) == [], posted
    assert len(replies_to(scene, first)) == 1
