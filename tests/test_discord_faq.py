"""The rights FAQ drawn for Discord, without a network: the slash commands, answers
whose other entries are buttons, the queue's hints and pages, the forms, which
messages passive help reads, and the intents it needs."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render import faq as render
from bot.core.services.faq import (
    EntryInfo,
    EntryLine,
    QueueItem,
    QueuePage,
    SearchResult,
    Source,
)
from bot.discord import adapter
from bot.discord.adapter import DiscordBot
from bot.discord.translator import CommandTranslator
from cogs.faq import (
    Faq,
    draft_of,
    entry_form,
    intro,
    queue_message,
    read_by_passive_help,
    with_alternatives,
)
from tests.conftest import make_settings


def entry_info(**changes: Any) -> EntryInfo:
    base = EntryInfo("cfe", "La CFE", "Réponse.", ("impôts",),
                     (Source("impots.gouv.fr", "https://www.impots.gouv.fr"),),
                     ("Dois-je payer la CFE ?",), (), date(2026, 1, 1), "active", "file",
                     False, 0, 0, 0, 0)
    return dataclasses.replace(base, **changes)


@pytest.fixture
async def payloads(tmp_path: Path) -> dict[str, dict]:
    core = Core(make_settings(tmp_path))
    bot = DiscordBot(core)
    try:
        await bot.load_extension("cogs.faq")
        translator = CommandTranslator()
        await bot.tree.set_translator(translator)
        return {c.name: await c.get_translated_payload(bot.tree, translator)
                for c in bot.tree.get_commands()}
    finally:
        await core.close()


def english(item: dict) -> str:
    return (item.get("name_localizations") or {}).get("en-US", item["name"])


async def test_slash_commands_in_french_and_english(payloads: dict[str, dict]) -> None:
    ask, moderation = payloads["droits"], payloads["droits-moderation"]
    assert english(ask) == "rights" and english(moderation) == "rights-moderation"
    options = {o["name"]: o for o in ask["options"]}
    assert options["question"]["required"] and options["question"]["autocomplete"]
    assert english(options["partager"]) == "share" and not options["partager"]["required"]
    subcommands = {o["name"]: o for o in moderation["options"]}
    assert {name: english(o) for name, o in subcommands.items()} == {
        "file": "queue", "ecarter": "dismiss", "alias": "alias", "retirer": "retire",
        "retablir": "restore", "ajouter": "add", "modifier": "edit", "a-revoir": "to-review",
        "stats": "stats", "importer": "import", "aide-passive": "passive-help",
    }
    for sub in subcommands.values():
        for locale_name in (lambda o: o["name"], english):
            names = [locale_name(o) for o in sub.get("options") or []]
            assert len(names) == len(set(names)), sub["name"]
        entry = [o for o in sub.get("options") or [] if o["name"] == "fiche"]
        assert all(o["autocomplete"] and o["required"] for o in entry)
    passive = subcommands["aide-passive"]["options"][0]
    assert [(c["name"], c["value"]) for c in passive["choices"]] == [("oui", "on"),
                                                                     ("non", "off")]
    assert moderation["contexts"] == [0] and ask["contexts"] == [0]


def test_other_answers_are_buttons_not_text_commands() -> None:
    result = SearchResult("cfe ?", entry_info(), (EntryLine("tva-franchise", "La TVA"),),
                          0.9, True)
    with use_locale("fr"):
        message = with_alternatives(render.answer(result), result.alternatives)
        (other,) = [f for f in message.fields if f.name == "Autres réponses"]
    assert other.value == "- **La TVA**"
    assert [a.custom_id for a in message.actions] == [
        "faq:useful:cfe", "faq:useless:cfe", "faq:show:tva-franchise"]
    with use_locale("en"):
        examples = [line for line in intro().lines if line.startswith("- ")]
    assert examples[0] == "- `/rights question: congé maternité indépendante`"


def test_the_queue_points_to_slash_commands_and_pages() -> None:
    item = QueueItem(3, "la sécu ?", "no_match", 2, None, datetime(2026, 1, 1, tzinfo=UTC))
    with use_locale("fr"):
        middle = queue_message(QueuePage((item,), 2, 3, 21))
    text = "\n".join(middle.lines)
    assert "`/droits-moderation alias question:N`" in text and "!droits" not in text
    assert [a.custom_id for a in middle.actions] == ["faq:queue:1", "faq:queue:3"]
    empty = queue_message(QueuePage((), 1, 1, 0))
    assert empty.actions == ()


def test_forms_read_one_item_per_line() -> None:
    with use_locale("fr"):
        added = entry_form("faq:add-form", "Nouvelle fiche")
        edited = entry_form("faq:edit-form:cfe", "Fiche cfe", entry_info())
    assert [item.component.custom_id for item in added.children] == [
        "slug", "title", "answer", "sources", "topics"]
    defaults = {item.component.custom_id: item.component.default for item in edited.children}
    assert defaults["sources"] == "impots.gouv.fr|https://www.impots.gouv.fr"
    assert defaults["questions"] == "Dois-je payer la CFE ?"
    draft = draft_of({"title": "T", "sources": "A|https://a.fr\n\n B|https://b.fr ",
                      "questions": "Un ?\nDeux ?", "topics": ""}, reviewed=True)
    assert (draft.slug, draft.answer) == (None, None)  # absent: unchanged
    assert draft.sources == "A|https://a.fr; B|https://b.fr"
    assert (draft.questions, draft.topics, draft.reviewed) == ("Un ?; Deux ?", "", "yes")


def message(**changes: Any) -> Any:
    base = dict(guild=object(), author=SimpleNamespace(bot=False), webhook_id=None,
                type=discord.MessageType.default, content="comment payer la CFE ?")
    return SimpleNamespace(**{**base, **changes})


def test_which_messages_passive_help_reads() -> None:
    assert read_by_passive_help(message())
    assert read_by_passive_help(message(type=discord.MessageType.reply))
    assert not read_by_passive_help(message(guild=None))  # a direct message
    assert not read_by_passive_help(message(author=SimpleNamespace(bot=True)))
    assert not read_by_passive_help(message(webhook_id=12))
    assert not read_by_passive_help(message(type=discord.MessageType.new_member))
    assert not read_by_passive_help(message(content=""))


def test_messages_are_read_only_when_configured(tmp_path: Path) -> None:
    assert adapter.intents().value == discord.Intents(guilds=True).value
    reading = adapter.intents(read_messages=True)
    assert reading.guilds and reading.guild_messages and reading.message_content
    assert not (reading.members or reading.presences or reading.dm_messages)
    core = Core(make_settings(tmp_path, discord={"token": "x", "read_messages": True}))
    assert adapter.build_bot(core).intents.value == reading.value


class Forbidden(discord.HTTPException):
    def __init__(self) -> None:
        super().__init__(SimpleNamespace(status=403, reason="Forbidden"), "Missing Access")


async def test_a_failed_suggestion_is_logged_not_raised(
        caplog: pytest.LogCaptureFixture) -> None:
    info = entry_info()
    asked: list[tuple[Any, Any, str]] = []

    async def passive(actor: Any, place: Any, text: str) -> SearchResult:
        asked.append((actor, place, text))
        return SearchResult(text, info, (), 0.9, True)

    async def locale_for(place: Any) -> str:
        return "fr"

    sent: list[dict] = []

    async def reply(**kwargs: Any) -> None:
        sent.append(kwargs)
        raise Forbidden()

    core = SimpleNamespace(settings=SimpleNamespace(discord=SimpleNamespace(read_messages=True)),
                           faq=SimpleNamespace(passive=passive), locale_for=locale_for)
    cog = Faq(SimpleNamespace(core=core))  # type: ignore[arg-type]
    posted = message(id=5, channel=SimpleNamespace(id=7), reply=reply,
                     guild=SimpleNamespace(id=9, name="Collectif"),
                     author=SimpleNamespace(id=3, bot=False, display_name="Ana"))
    with caplog.at_level(logging.WARNING, logger="cogs.faq"):
        await cog.on_message(posted)
    ((actor, place, _text),) = asked
    assert (actor.user_id, place.collective_id, place.channel_id) == ("3", "9", "7")
    assert sent[0]["allowed_mentions"].to_dict() == {"parse": []}
    assert [a.custom_id for a in sent[0]["view"].children] == ["faq:show:cfe"]
    assert "could not suggest a rights entry" in caplog.text
    cog.read_messages = False
    await cog.on_message(posted)
    assert len(asked) == 1
