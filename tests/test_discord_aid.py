"""Mutual aid drawn for Discord, without a network: button ids that name their
guild in direct messages, notices, skill suggestions, the edit form, the slash
commands, and the routing of clicks in direct messages."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.app import Core
from bot.core.errors import InvalidInput
from bot.core.i18n import translate, use_locale
from bot.core.notice import Notice
from bot.core.services.aid import CLEAR, ExchangeInfo, PostDraft, PostInfo
from bot.core.skills import parse_skills
from bot.core.types import Platform
from bot.discord.adapter import DiscordBot
from bot.discord.errors import GuildOnly, UnknownComponent
from bot.discord.translator import CommandTranslator
from bot.discord.views import Router, named_guild
from cogs.aid import (
    Threads,
    direct_id,
    discord_notice,
    edit_draft,
    form_fields,
    hours_text,
    public_post,
    skill_suggestions,
    skills_text,
    slash_hints,
    split_arg,
    thread_name,
)
from tests.conftest import make_settings

GUILD = "345"


def post_info(**changes: Any) -> PostInfo:
    base = PostInfo(7, "request", "advice", ("marketing", "market-research"), "", "Relire.",
                    False, "Lyon", 2.0, "open", "Ben", datetime(2030, 1, 1, tzinfo=UTC),
                    "Europe/Paris", True)
    return dataclasses.replace(base, **changes)


def exchange_info(**changes: Any) -> ExchangeInfo:
    base = ExchangeInfo(3, "Ana", "Ben", Decimal(2), "advice", "pending", 7,
                        datetime(2030, 1, 1, tzinfo=UTC), True)
    return dataclasses.replace(base, **changes)


def test_button_arguments_name_the_guild_in_direct_messages() -> None:
    assert split_arg("12") == (12, None)
    assert split_arg("12.345") == (12, 345)
    for bad in (None, "", "x", "0", "12.", "12.x", "1.2.3", "99999999999", "²", "1.²"):
        with pytest.raises(UnknownComponent):
            split_arg(bad)
    assert direct_id("aid:confirm:12", GUILD) == "aid:confirm:12.345"
    assert direct_id("aid:decline:12", GUILD) == "aid:decline:12.345"
    assert direct_id("aid:help:7", GUILD) == "aid:help:7.345"
    assert direct_id("meetup:going:7", GUILD) == "meetup:going:7"
    assert direct_id("aid:help:7.345", GUILD) == "aid:help:7.345"


def test_notices_for_direct_messages() -> None:
    with use_locale("fr"):
        # The core marks the post as the author's; its reader still gets the button.
        match = discord_notice(Notice("discord", "1", "fr", "aid.match", post_info()), GUILD)
        assert [a.custom_id for a in match.actions] == ["aid:help:7.345"]
        assert [a.label for a in match.actions] == ["Je peux aider"]

        asked = discord_notice(Notice("discord", "2", "fr", "aid.confirm", exchange_info()),
                               GUILD)
        assert [a.custom_id for a in asked.actions] == ["aid:confirm:3.345", "aid:decline:3.345"]

        helper = {"post": post_info(), "helper": "Ana", "platform": "discord",
                  "user_id": "42"}
        told = discord_notice(Notice("discord", "2", "fr", "aid.help", helper), GUILD)
        assert told.lines[-1] == "<@42>" and not told.actions
        elsewhere = discord_notice(Notice("discord", "2", "fr", "aid.help",
                                          {**helper, "platform": "matrix",
                                           "user_id": "@ana:example.org"}), GUILD)
        assert "<@" not in "\n".join(elsewhere.lines)


def test_public_post_and_thread_name() -> None:
    with use_locale("fr"):
        shown = public_post(post_info())
        assert [a.custom_id for a in shown.actions] == ["aid:help:7", "aid:edit:7"]
        assert [a.label for a in shown.actions] == ["Je peux aider", "Modifier"]
        assert public_post(post_info(status="fulfilled")).actions == ()
        assert [a.custom_id for a in public_post(post_info(kind="offer")).actions] == \
            ["aid:edit:7"]
        assert thread_name(post_info()) == "#7 · marketing, étude de marché"
        assert len(thread_name(post_info(skills=("market-research",) * 20))) <= 100
    with use_locale("en"):
        assert thread_name(post_info()) == "#7 · marketing, market research"


def test_skill_suggestions() -> None:
    with use_locale("fr"):
        assert len(skill_suggestions("")) == 25
        assert skill_suggestions("march") == [("market-research", "étude de marché"),
                                              ("admin", "démarches administratives")]
        assert ("marketing", "marketing") in skill_suggestions("mark")[:2]
        assert ("ux-design", "design UX") in skill_suggestions("design")
        assert skill_suggestions("zzz") == []
    with use_locale("en"):
        assert skill_suggestions("étude") == [("market-research", "market research")]


def test_unknown_skills_point_to_the_slash_command() -> None:
    for locale, command in (("fr", "/entraide competences"), ("en", "/aid skills")):
        with use_locale(locale), pytest.raises(InvalidInput) as caught, slash_hints():
            parse_skills("markting")
        assert caught.value.params["command"] == command
        assert caught.value.params["suggestion"] == "marketing"
    with pytest.raises(InvalidInput) as caught, slash_hints():
        raise InvalidInput("x", command="other")
    assert caught.value.params["command"] == "other"


def field_defaults(info: PostInfo | None) -> dict[str, Any]:
    return {label.component.custom_id: label.component.default  # type: ignore[attr-defined]
            for label in form_fields(info)}


def test_the_edit_form_is_the_creation_form_filled_in() -> None:
    with use_locale("fr"):
        assert field_defaults(None) == dict.fromkeys(
            ("skills", "description", "where", "hours", "tags"))
        assert field_defaults(post_info(tags="relecture", hours=1.5)) == {
            "skills": "marketing, étude de marché", "description": "Relire.", "where": "Lyon",
            "hours": "1.5", "tags": "relecture"}
        remote = field_defaults(post_info(remote=True, city=None, hours=None))
        assert remote["where"] is None and remote["hours"] is None and remote["tags"] is None
    assert hours_text(2.0) == "2" and hours_text(0.25) == "0.25" and hours_text(None) == ""
    many = ("market-research",) * 40
    assert skills_text(many) == ",".join(many)  # names too long for the field: keys
    # An emptied optional field removes its value; the required ones are sent as typed.
    assert edit_draft({"skills": "marketing", "description": "Relire.", "where": " ",
                       "hours": "", "tags": "x"}) == PostDraft(
        skills="marketing", description="Relire.", city=CLEAR, hours=CLEAR, tags="x")


def test_threads_are_remembered_within_a_limit() -> None:
    threads = Threads(limit=2)
    threads.remember(1, 10, 100)
    threads.remember(2, 10, 200)
    threads.remember(3, 10, 300)
    assert threads.get(1) is None and threads.get(3) == (10, 300)


@pytest.fixture
async def aid_command(tmp_path: Path) -> dict:
    from bot.core.app import Core

    core = Core(make_settings(tmp_path))
    bot = DiscordBot(core)
    try:
        await bot.load_extension("cogs.aid")
        await bot.tree.set_translator(CommandTranslator())
        (command,) = [c for c in bot.tree.get_commands() if c.name == "entraide"]
        payload = await command.get_translated_payload(bot.tree, CommandTranslator())
        assert [bot.router.is_direct(f"aid:{name}:1.2") for name in
                ("help", "confirm", "decline", "edit")] == [True, True, True, False]
        await bot.unload_extension("cogs.aid")
        assert bot.router.action("aid:help:1") is None
        assert not bot.router.is_direct("aid:help:1.2")
        return payload
    finally:
        await core.close()


async def test_slash_commands_in_french_and_english(aid_command: dict) -> None:
    subcommands = {o["name"]: o for o in aid_command["options"]}
    assert {name: o["name_localizations"]["en-US"] for name, o in subcommands.items()} == {
        "demander": "request", "proposer": "offer", "chercher": "search", "voir": "show",
        "competences": "skills", "modifier": "edit", "cloturer": "close", "profil": "profile",
        "echange": "exchange", "confirmer": "confirm", "refuser": "decline",
        "solde": "balance", "alertes": "flags",
    }
    for sub in subcommands.values():
        names = [o["name"] for o in sub.get("options") or []]
        assert not [n for n, c in Counter(names).items() if c > 1], sub["name"]
    exchange = {o["name"]: o for o in subcommands["echange"]["options"]}
    assert [n for n, o in exchange.items() if o.get("required")] == ["membre", "heures", "sens"]
    assert [c["value"] for c in exchange["sens"]["choices"]] == ["gave", "received"]
    assert [c["value"] for c in exchange["type"]["choices"]] == ["coaching", "exchange",
                                                                 "advice"]
    search = {o["name"]: o for o in subcommands["chercher"]["options"]}
    assert search["competence"]["autocomplete"] is True
    assert aid_command["contexts"] == [0]


def user() -> discord.User:
    return discord.User(state=None, data={  # type: ignore[arg-type]
        "id": "42", "username": "ana", "discriminator": "0", "global_name": "Ana",
        "avatar": None})


def test_direct_actions_name_their_guild() -> None:
    router = Router()
    router.add_action("aid:confirm", lambda call, arg: None, direct=True)  # type: ignore[arg-type]
    router.add_action("meetup:going", lambda call, arg: None)  # type: ignore[arg-type]
    assert router.is_direct("aid:confirm:3.345") and router.is_direct("aid:confirm")
    assert not router.is_direct("meetup:going:3") and not router.is_direct("aid:other:3")
    assert not router.is_direct("not an id")
    assert named_guild("3.345") == 345 and named_guild("1.2.345") == 345
    for arg in (None, "", "3", "3.", "3.x", "3.²"):
        assert named_guild(arg) is None
    router.remove("aid:")
    assert not router.is_direct("aid:confirm:3.345")


async def test_clicks_in_direct_messages_are_routed_with_the_guild_they_name(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled: list[tuple[Any, str | None, str]] = []
    reported: list[BaseException] = []

    async def handler(call: Any, arg: str | None) -> None:
        handled.append((call, arg, translate("Confirm")))  # in the collective's language

    async def report(core: Any, interaction: Any, error: BaseException) -> None:
        reported.append(error)

    monkeypatch.setattr("bot.discord.adapter.report", report)
    client = DiscordBot(core)
    client.router.add_action("aid:confirm", handler, direct=True)
    client.router.add_action("meetup:going", handler)

    in_dm = SimpleNamespace(guild_id=None, user=user())
    await client.run_action(in_dm, "aid:confirm:3.345")  # type: ignore[arg-type]
    ((call, arg, label),) = handled
    assert arg == "3.345" and label == "Confirmer"
    assert call.place.platform is Platform.DISCORD and call.place.collective_id == GUILD
    assert call.place.channel_id == ""
    assert call.actor.user_id == "42" and not call.actor.is_moderator

    # Other actions still need a guild; a direct one must name its guild.
    await client.run_action(in_dm, "meetup:going:3")  # type: ignore[arg-type]
    await client.run_action(in_dm, "aid:confirm:3")  # type: ignore[arg-type]
    assert [type(error) for error in reported] == [GuildOnly, UnknownComponent]
    assert len(handled) == 1

    # In a guild, the direct action counts in that guild, as any other.
    in_guild = SimpleNamespace(guild_id=1, guild=None, channel_id=9, user=user(),
                               permissions=discord.Permissions.none())
    await client.run_action(in_guild, "aid:confirm:3.345")  # type: ignore[arg-type]
    call = handled[-1][0]
    assert (call.place.collective_id, call.place.channel_id) == ("1", "9")
    assert len(reported) == 2
