"""Meetups drawn for Discord, without a network: timestamps each member reads in
their own zone, the public message, the listing, the organiser's confirmation,
scheduled-event payloads and their mirror, the slash commands, direct messages."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.core.app import Core
from bot.core.errors import InvalidInput
from bot.core.i18n import _, use_locale
from bot.core.render import meetups as core_render
from bot.core.render.message import Action, Message, Visibility
from bot.core.services.meetups import MeetupInfo
from bot.discord.adapter import DiscordBot
from bot.discord.render import timestamp
from bot.discord.translator import CommandTranslator
from cogs.meetups import (
    EventMirror,
    event_payload,
    listing_message,
    meetup_message,
    parse_reminders,
    stamped,
    understood,
    when_value,
)
from tests.conftest import make_settings

STARTS = datetime(2027, 7, 15, 17, 30, tzinfo=UTC)  # 19:30 in Paris (summer time)
ENDS = datetime(2027, 7, 15, 20, 0, tzinfo=UTC)


def info(**changes: Any) -> MeetupInfo:
    base = MeetupInfo(
        12, "Apéro des indépendants", "Lyon", False, None, "3 place des Terreaux",
        "On parle contrats.", STARTS, ENDS, "Europe/Paris", 2, None, "none", "scheduled",
        1, 0, 0, "going", None,
    )
    return dataclasses.replace(base, **changes)


def test_discord_timestamps() -> None:
    assert timestamp(STARTS, "F") == f"<t:{int(STARTS.timestamp())}:F>"
    assert timestamp(STARTS) == f"<t:{int(STARTS.timestamp())}:f>"
    with pytest.raises(ValueError):
        timestamp(STARTS, "x")
    with pytest.raises(ValueError):
        timestamp(datetime(2027, 1, 1), "F")


def test_when_shows_start_end_and_how_long_until() -> None:
    unix = int(STARTS.timestamp())
    assert when_value(info()) == f"<t:{unix}:F> → <t:{int(ENDS.timestamp())}:t>\n<t:{unix}:R>"
    # Ending another day (in the collective's zone): the end shows its date too.
    late = datetime(2027, 7, 15, 22, 30, tzinfo=UTC)  # 00:30 the next day in Paris
    assert f"<t:{int(late.timestamp())}:F>" in when_value(info(ends_at=late))


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_public_message_uses_timestamps_and_is_the_same_for_everyone(locale: str) -> None:
    deadline = datetime(2027, 7, 14, 20, 0, tzinfo=UTC)
    with use_locale(locale):
        message = meetup_message(info(rsvp_deadline=deadline))
        fields = {f.name: f.value for f in message.fields}
        assert fields[_("When")] == when_value(info())
        assert fields[_("Registrations until")] == timestamp(deadline, "f")
        assert fields[_("Where")] == "3 place des Terreaux, Lyon"
        assert _("You are coming.") not in message.lines
        assert [a.custom_id for a in message.actions] == [
            "meetup:going:12", "meetup:maybe:12", "meetup:no:12", "meetup:ics:12"]
        assert meetup_message(info(status="cancelled")).actions == ()


def test_stamped_leaves_other_messages_alone() -> None:
    with use_locale("fr"):
        message = Message(title="x", lines=("a",))
        assert stamped(message, info()) == message
        core = core_render.meetup(info())
        assert [f.name for f in stamped(core, info()).fields] == [f.name for f in core.fields]


def test_listing_dates_become_timestamps() -> None:
    items = (info(), info(id=13, city=None, online=True, link="https://visio.example.org"))
    with use_locale("fr"):
        message = listing_message(items)
        assert len(message.lines) == 2
        assert all(timestamp(STARTS, "f") in line for line in message.lines)
        assert "#13" in message.lines[1]
        assert listing_message(()) == core_render.listing(())


def test_the_organiser_sees_the_dates_as_understood() -> None:
    with use_locale("fr"):
        message = understood(info(), "Créée.")
    assert message.visibility is Visibility.EPHEMERAL
    assert message.lines == ("Créée.",)
    assert "jeudi 15 juillet 2027 à 19:30" in message.fields[0].value
    assert "jeudi 15 juillet 2027 à 22:00" in message.fields[1].value


def test_reminder_offsets() -> None:
    assert parse_reminders(None) is None
    assert parse_reminders("  ") is None
    assert parse_reminders("1440, 60") == (1440, 60)
    assert parse_reminders("30;10") == (30, 10)
    for bad in ("une heure", "60,-5", ",", "1.5"):
        with pytest.raises(InvalidInput):
            parse_reminders(bad)


def test_scheduled_event_payloads() -> None:
    with use_locale("fr"):
        payload = event_payload(info())
        assert payload["name"] == "#12 · Apéro des indépendants"
        assert payload["entity_type"] == 3 and payload["privacy_level"] == 2
        assert payload["entity_metadata"] == {"location": "3 place des Terreaux, Lyon"}
        assert datetime.fromisoformat(payload["scheduled_start_time"]) == STARTS
        assert payload["scheduled_start_time"].endswith("+00:00")
        assert datetime.fromisoformat(payload["scheduled_end_time"]) == ENDS
        online = event_payload(info(city=None, address=None, online=True,
                                    link="https://visio.example.org/a"))
        assert online["entity_metadata"] == {"location": "https://visio.example.org/a"}
        assert "https://visio.example.org/a" in online["description"]
        long_link = "https://visio.example.org/" + "a" * 120
        far = event_payload(info(city=None, address=None, online=True, link=long_link,
                                 title="T" * 150))
        assert far["entity_metadata"] == {"location": "en ligne"}
        assert len(far["name"]) == 100 and far["name"].endswith("…")


class FakeHttp:
    """The three scheduled-event calls of discord.py's HTTP client."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Any]] = []
        self.fail = False

    def _response(self) -> None:
        if self.fail:
            raise discord.Forbidden(_FakeResponse(), {"message": "Missing Permissions",
                                                      "code": 50013})

    async def create_guild_scheduled_event(self, guild_id: int, *, reason: str | None = None,
                                           **payload: Any) -> dict[str, Any]:
        self._response()
        self.calls.append(("create", guild_id, payload))
        return {"id": str(500 + guild_id), "name": payload["name"], "status": 1}

    async def edit_scheduled_event(self, guild_id: int, event_id: int, *,
                                   reason: str | None = None, **payload: Any) -> dict[str, Any]:
        self._response()
        self.calls.append(("edit", event_id, payload))
        return {"id": str(event_id)}

    async def get_scheduled_events(self, guild_id: int,
                                   with_user_count: bool) -> list[dict[str, Any]]:
        self.calls.append(("list", guild_id, None))
        return [{"id": "77", "name": "#120 · Autre", "status": 1},
                {"id": "78", "name": "#12 · Ancien", "status": 3},
                {"id": "79", "name": "#12 · Apéro", "status": 1}]


class _FakeResponse:
    status = 403
    reason = "Forbidden"


class FakeBot:
    def __init__(self, tmp_path: Path, enabled: bool) -> None:
        self.core = Core(make_settings(tmp_path, discord={"scheduled_events": enabled}))
        self.http = FakeHttp()
        self.spawned: list[Coroutine[Any, Any, None]] = []

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self.spawned.append(coro)

    async def run(self) -> None:
        while self.spawned:
            await self.spawned.pop(0)


async def test_the_mirror_follows_the_meetup(tmp_path: Path) -> None:
    bot = FakeBot(tmp_path, enabled=True)
    mirror = EventMirror(bot)  # type: ignore[arg-type]
    try:
        await bot.core.start()
        mirror.created([1, 2, 1], info())
        await bot.run()
        assert [(c[0], c[1]) for c in bot.http.calls] == [("create", 1), ("create", 2)]
        mirror.changed(1, info(title="Apéro au parc"))
        await bot.run()
        edits = [c for c in bot.http.calls if c[0] == "edit"]
        assert {c[1] for c in edits} == {501, 502}  # every guild it was posted in
        assert edits[0][2]["name"] == "#12 · Apéro au parc"
        mirror.changed(1, info(status="cancelled"))
        await bot.run()
        assert [c[2] for c in bot.http.calls[-2:]] == [{"status": 4}, {"status": 4}]

        # After a restart the event is found by the meetup number in its name.
        fresh = EventMirror(bot)  # type: ignore[arg-type]
        bot.http.calls.clear()
        fresh.changed(3, info())
        await bot.run()
        assert [(c[0], c[1]) for c in bot.http.calls] == [("list", 3), ("edit", 79)]
    finally:
        await bot.core.close()


async def test_the_mirror_is_optional_and_never_fatal(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    off = FakeBot(tmp_path / "off", enabled=False)
    on = FakeBot(tmp_path / "on", enabled=True)
    try:
        await on.core.start()
        EventMirror(off).created([1], info())  # type: ignore[arg-type]
        assert off.spawned == []
        on.http.fail = True
        with caplog.at_level(logging.WARNING, logger="cogs.meetups"):
            EventMirror(on).created([1], info())  # type: ignore[arg-type]
            await on.run()
        assert "could not create the scheduled event of meetup 12" in caplog.text
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await off.core.close()
        await on.core.close()


@pytest.fixture
async def meetup_command(tmp_path: Path) -> dict:
    core = Core(make_settings(tmp_path))
    bot = DiscordBot(core)
    try:
        await bot.load_extension("cogs.meetups")
        await bot.tree.set_translator(CommandTranslator())
        (command,) = [c for c in bot.tree.get_commands() if c.name == "rencontre"]
        return await command.get_translated_payload(bot.tree, CommandTranslator())
    finally:
        await core.close()


async def test_slash_commands_in_french_and_english(meetup_command: dict) -> None:
    subcommands = {o["name"]: o for o in meetup_command["options"]}
    assert {name: o["name_localizations"]["en-US"] for name, o in subcommands.items()} == {
        "creer": "create", "liste": "list", "voir": "show", "calendrier": "calendar",
        "inscrits": "attendees", "modifier": "edit", "annuler": "cancel",
    }
    create = {o["name"]: o for o in subcommands["creer"]["options"]}
    assert [name for name, o in create.items() if o.get("required")] == ["titre", "lieu",
                                                                         "debut"]
    assert create["capacite"]["min_value"] == 1
    assert [c["value"] for c in create["recurrence"]["choices"]] == ["none", "weekly",
                                                                     "monthly"]
    assert [c["name"] for c in create["recurrence"]["choices"]] == [
        "aucune", "hebdomadaire", "mensuelle"]
    edit = subcommands["modifier"]["options"]
    assert [o["name"] for o in edit if o.get("required")] == ["numero"]
    for sub in subcommands.values():
        for locale in (None, "en-US"):
            names = [(o.get("name_localizations") or {}).get(locale, o["name"])
                     if locale else o["name"] for o in sub.get("options") or []]
            assert not [n for n, c in Counter(names).items() if c > 1], (sub["name"], names)
    assert meetup_command["contexts"] == [0]


class FakeChannel:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.error = error

    async def send(self, **kwargs: Any) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(kwargs)


async def test_private_notices_are_direct_messages_without_buttons(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    core = Core(make_settings(tmp_path))
    bot = DiscordBot(core)
    channel = FakeChannel()
    opened: list[int] = []

    async def create_dm(user: discord.abc.Snowflake) -> FakeChannel:
        opened.append(user.id)
        return channel

    bot.create_dm = create_dm  # type: ignore[method-assign]
    try:
        assert core.outbox is not None
        message = Message(title="Rappel", lines=("Demain.",),
                          actions=(Action("meetup:no:12", "Je ne viens plus"),))
        await bot.private("42", message)
        assert opened == [42]
        (sent,) = channel.sent
        assert "view" not in sent and sent["embed"].title == "Rappel"
        assert sent["allowed_mentions"].to_dict() == {"parse": []}

        channel.error = discord.Forbidden(_FakeResponse(), {"message": "Cannot send messages "
                                                            "to this user", "code": 50007})
        with caplog.at_level(logging.WARNING, logger="bot.discord.adapter"):
            await bot.private("43", message)
        assert "member 43 does not accept direct messages" in caplog.text
    finally:
        await core.close()
