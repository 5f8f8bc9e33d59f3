"""Slash command names and descriptions: French by default, English for English clients."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.core.app import Core
from bot.discord.adapter import DiscordBot
from bot.discord.translator import COMMAND_TEXTS, CommandTranslator, text
from tests.conftest import make_settings

NAME = re.compile(r"^[-_\w]{1,32}$")
Location = app_commands.TranslationContextLocation


def context() -> app_commands.TranslationContext:
    return app_commands.TranslationContext(Location.command_name, None)


async def test_english_clients_get_english_others_french_default() -> None:
    translator = CommandTranslator()
    show = text("tribune.show")
    assert show.message == "voir"
    assert await translator.translate(show, discord.Locale.american_english, context()) == "show"
    assert await translator.translate(show, discord.Locale.british_english, context()) == "show"
    assert await translator.translate(show, discord.Locale.french, context()) is None
    assert await translator.translate(show, discord.Locale.german, context()) is None
    same = text("tribune")
    assert await translator.translate(same, discord.Locale.american_english, context()) is None
    unknown = app_commands.locale_str("autre")
    assert await translator.translate(unknown, discord.Locale.american_english,
                                      context()) is None


def load_every_cog() -> None:
    """Cogs add their own texts to the table when imported."""
    import importlib
    import pkgutil

    import cogs

    for module in pkgutil.iter_modules(cogs.__path__):
        importlib.import_module(f"cogs.{module.name}")


def test_table_respects_discord_limits() -> None:
    load_every_cog()
    assert len(COMMAND_TEXTS) > 10
    for key, values in COMMAND_TEXTS.items():
        for value in values:
            if key.endswith("description"):
                assert 1 <= len(value) <= 100, (key, value)
            else:
                assert NAME.match(value) and value == value.lower(), (key, value)


@pytest.fixture
async def tribune_command(tmp_path: Path) -> dict:
    core = Core(make_settings(tmp_path))
    bot = DiscordBot(core)
    try:
        await bot.load_extension("cogs.tribune")
        await bot.tree.set_translator(CommandTranslator())
        commands = bot.tree.get_commands()
        assert [c.name for c in commands] == ["tribune"]
        return await commands[0].get_translated_payload(bot.tree, CommandTranslator())
    finally:
        await core.close()


def _names(options: list[dict], locale: str | None) -> list[str]:
    return [(o.get("name_localizations") or {}).get(locale, o["name"]) if locale else o["name"]
            for o in options]


async def test_no_command_or_option_name_shadows_another(tribune_command: dict) -> None:
    subcommands = tribune_command["options"]
    for locale in (None, "en-US", "en-GB"):
        names = _names(subcommands, locale)
        assert not [n for n, c in Counter(names).items() if c > 1], (locale, names)
        for sub in subcommands:
            options = _names(sub.get("options") or [], locale)
            assert len(options) == len(set(options)), (locale, sub["name"], options)
    assert {o["name"]: o["name_localizations"].get("en-US", o["name"])
            for o in subcommands} == {
        "voir": "show", "signer": "sign", "retirer": "withdraw", "liste": "list",
        "export": "export", "annonces": "announcements", "texte": "text", "role": "role",
    }


async def test_every_text_is_declared_and_valid(tribune_command: dict) -> None:
    def walk(item: dict) -> None:
        for name in [item["name"], *(item.get("name_localizations") or {}).values()]:
            assert NAME.match(name) and name == name.lower(), name
        for description in [item["description"],
                            *(item.get("description_localizations") or {}).values()]:
            assert 1 <= len(description) <= 100, description
        for option in item.get("options") or []:
            walk(option)

    walk(tribune_command)
    assert tribune_command["contexts"] == [0]  # servers only
    assert tribune_command["dm_permission"] is False
