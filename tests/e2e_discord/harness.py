"""Run the real bot (``python -m bot run``) against the Discord stand-in.

A scenario reads like what members do::

    async def test_sign(tribune: Tribune) -> None:
        alice = tribune.member("alice")
        reply = await tribune.sign(alice, profession="Graphiste", city="Lyon")
        assert "1 signature" in reply.text

The bot runs as a subprocess with its own configuration and data directory;
its log is kept in a file and checked after each test for errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.core.app import Core
from bot.core.i18n import ngettext, translate, use_locale
from bot.core.render.tribune import count_line
from bot.core.services.tribune import SignatureForm
from bot.core.types import Actor, Place, Platform
from tests import db_peek
from tests.discord_standin import (
    AttachmentSpec,
    DiscordEnv,
    DiscordStandIn,
    FakeMember,
    InteractionRecord,
    Perm,
    StoredMessage,
    component_interaction,
    modal_submit_interaction,
    slash_interaction,
)

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# Log lines that must never appear: they mean an exception escaped a handler.
FORBIDDEN_LOG = (
    " ERROR ",
    " CRITICAL ",
    "Task exception was never retrieved",
    "Ignoring exception",
    "Unclosed",
)
_SECRETS = ("DISCORD_TOKEN", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "DATABASE_URL",
            "INDEPENDANTS_CONFIG")


@dataclass
class BotProcess:
    """The bot as a subprocess, started and stopped like in production."""

    standin: DiscordStandIn
    workdir: Path
    extra_config: str = ""
    # "" for the bot's own SQLite file, else the URL of its PostgreSQL database.
    database_url: str = ""
    runs: int = 0
    process: asyncio.subprocess.Process | None = None
    log_files: list[Path] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def config_path(self) -> Path:
        return self.workdir / "config.toml"

    @property
    def db_url(self) -> str:
        """Where the bot keeps its data, as a URL :mod:`tests.db_peek` reads."""
        return self.database_url or f"sqlite:///{self.data_dir / 'bot.sqlite3'}"

    def write_config(self) -> None:
        self.config_path.write_text(
            f"""
[bot]
data_dir = "{self.data_dir}"
log_level = "INFO"

[database]
url = "{self.database_url}"

[limits]
demand_cooldown = 0
aid_post_cooldown = 0
meetup_cooldown = 0

[discord]
token = "x"
api_base = "{self.standin.api_base}"
gateway_url = "{self.standin.gateway_url}"
guild_ready_timeout = 0.2
{self.extra_config}
""",
            encoding="utf-8",
        )

    async def start(self) -> None:
        """Start the bot and wait until it is connected and its commands are synced."""
        self.write_config()
        self.runs += 1
        log_path = self.workdir / f"bot-{self.runs}.log"
        self.log_files.append(log_path)
        env = {k: v for k, v in os.environ.items() if k not in _SECRETS}
        sessions_before = len(self.standin.sessions)
        syncs_before = len(self.standin.command_syncs)
        with log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "-c", str(self.config_path), "run",
                cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )
        process = self.process

        def exited() -> str | None:
            if process.returncode is None:
                return None
            return f"bot process exited with code {process.returncode}:\n{self.log_text()}"

        self.standin.health_checks.append(exited)
        await self.standin.wait_until(
            lambda: len(self.standin.command_syncs) > syncs_before
            and len(self.standin.sessions) > sessions_before
            and self.standin.live_sessions(),
            timeout=START_TIMEOUT,
            describe=lambda: "the bot to sync its commands and connect\n" + self.log_text(),
        )
        # discord.py dispatches "ready" a moment after the last GUILD_CREATE; a bot
        # stopped before that logs an error, so tests start once it is connected.
        runs_line = "connected to Discord as"
        await self.standin.wait_until(
            lambda: self.log_text().count(runs_line) >= self.runs,
            timeout=START_TIMEOUT,
            describe=lambda: "the bot to report it is connected\n" + self.log_text(),
        )
        self.standin.health_checks.remove(exited)
        self.standin.health_checks.append(self._alive_check)

    def _alive_check(self) -> str | None:
        process = self.process
        if process is None or process.returncode is None:
            return None
        return f"bot process exited with code {process.returncode}:\n{self.log_text()}"

    async def stop(self) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        process = self.process
        if process is None:
            return 0
        if self._alive_check in self.standin.health_checks:
            self.standin.health_checks.remove(self._alive_check)
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.send_signal(signal.SIGUSR1)  # the bot logs what its tasks wait for
                await asyncio.sleep(1.0)
                process.kill()
                await process.wait()
                raise AssertionError(
                    "the bot did not stop on SIGTERM\n" + self.log_text()
                ) from None
        self.process = None
        return process.returncode or 0

    def log_text(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in self.log_files if p.exists())

    def problems(self) -> list[str]:
        """Log lines showing an exception that escaped (tests fail on any)."""
        return [line for line in self.log_text().splitlines()
                if any(marker in line for marker in FORBIDDEN_LOG)]


class Tribune:
    """Scenario helpers for the tribune workflow, on top of :class:`DiscordEnv`."""

    def __init__(self, env: DiscordEnv, bot: BotProcess) -> None:
        self.env = env
        self.bot = bot
        self.standin = env.standin
        self.moderator_role = env.role("Modération", permissions=Perm.MANAGE_GUILD)

    # -- people ----------------------------------------------------------------------------

    def member(self, name: str, **kwargs: Any) -> FakeMember:
        return self.env.user(name, global_name=name.title(), **kwargs)

    def moderator(self, name: str) -> FakeMember:
        return self.env.user(name, global_name=name.title(), roles=[self.moderator_role])

    def other_guild(self, name: str) -> Tribune:
        """Helpers for another guild (with a #general channel) served by the same bot."""
        guild = self.standin.add_guild(name)
        channel = self.standin.add_channel(guild, "general")
        return Tribune(DiscordEnv(self.standin, guild=guild, channel=channel), self.bot)

    # -- commands --------------------------------------------------------------------------

    async def command(self, sub: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
        """``/tribune <sub>`` and its answer."""
        return await self.env.answer(await self.env.slash("tribune", sub, user=user, **kwargs))

    async def slash(self, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
        """Any slash command (``"config salon"``, ``"lier"``) in this guild, and its answer."""
        return await self.env.answer(await self.env.slash(path, user=user, **kwargs))

    async def click(self, message: StoredMessage | dict, custom_id: str, user: FakeMember,
                    **kwargs: Any) -> InteractionRecord:
        return await self.env.answer(
            await self.env.click(message, custom_id, user=user, **kwargs)
        )

    async def open_sign_form(self, user: FakeMember) -> InteractionRecord:
        """``/tribune signer`` then "I agree": the interaction that opened the form."""
        notice = await self.command("signer", user)
        assert notice.ephemeral, notice.describe()
        opened = await self.env.click(notice.message, "tribune:consent", user=user)
        await self.env.modal(opened)
        return opened

    async def submit_sign_form(self, opened: InteractionRecord, *, name: str | None = None,
                               profession: str = "Graphiste", city: str = "Lyon",
                               collective: str | None = None,
                               public: bool = True) -> InteractionRecord:
        values: dict[str, Any] = {"profession": profession, "city": city,
                                  "public": ["yes" if public else "no"]}
        if name is not None:
            values["name"] = name
        if collective is not None:
            values["collective"] = collective
        return await self.env.answer(await self.env.submit_modal(opened, values))

    async def sign(self, user: FakeMember, **fields: Any) -> InteractionRecord:
        """The whole signing flow; returns the answer to the form."""
        return await self.submit_sign_form(await self.open_sign_form(user), **fields)

    # -- raw payloads ----------------------------------------------------------------------

    async def send(self, payload: dict[str, Any]) -> InteractionRecord:
        return await self.standin.send_interaction(payload)

    def slash_payload(self, path: str, user: FakeMember, options: dict[str, Any] | None = None,
                      **base: Any) -> dict[str, Any]:
        """A slash command payload (``"tribune voir"``), to alter before sending."""
        name, *subcommands = path.split()
        command = self.standin.command(name, guild=self.env.guild)
        return slash_interaction(self.env.world, name, subcommands, options, user=user,
                                 channel=self.env.channel, command=command,
                                 base_url=self.standin.base_url, **base)

    def form_payload(self, custom_id: str, components: list[dict[str, Any]],
                     user: FakeMember) -> dict[str, Any]:
        return modal_submit_interaction(self.env.world, custom_id, components, user=user,
                                        channel=self.env.channel)

    async def send_with_file(self, path: str, user: FakeMember, option: str,
                             upload: AttachmentSpec) -> InteractionRecord:
        """A slash command with an attachment option whose file the stand-in serves."""
        payload = self.slash_payload(path, user, {option: upload})
        for attachment_id in payload["data"]["resolved"]["attachments"]:
            self.standin.attachments_data[int(attachment_id)] = upload.data
        return await self.send(payload)

    def click_payload(self, message: StoredMessage | dict, custom_id: str,
                      user: FakeMember) -> dict[str, Any]:
        data = message.data if isinstance(message, StoredMessage) else message
        return component_interaction(self.env.world, copy.deepcopy(data), custom_id, user=user,
                                     base_url=self.standin.base_url)

    async def log_contains(self, text: str, within: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while text not in self.bot.log_text():
            if loop.time() > deadline:
                raise AssertionError(f"{text!r} not in the bot log:\n{self.bot.log_text()}")
            await asyncio.sleep(0.05)


def database_rows(bot: BotProcess) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the bot's database, sorted, by table name."""
    return db_peek.all_rows(bot.db_url)


def holding(bot: BotProcess, *needles: str) -> list[str]:
    """``table: row`` for every row of the bot's database where a needle appears."""
    folded = [needle.casefold() for needle in needles]
    return [f"{table}: {row}" for table, rows in database_rows(bot).items() for row in rows
            if any(n in str(value).casefold() for value in row.values() for n in folded)]


@contextlib.asynccontextmanager
async def core_beside(bot: BotProcess) -> AsyncIterator[Core]:
    """The core on the running bot's database, as another platform's adapter would use it."""
    core = Core(load_settings(bot.config_path, environ={}))
    try:
        yield core
    finally:
        await core.close()


def en(msgid: str, **params: Any) -> str:
    """What members of an English-speaking collective read for ``msgid``."""
    with use_locale("en"):
        return translate(msgid, **params)


def fr(msgid: str, **params: Any) -> str:
    """What members of a French collective read for ``msgid``."""
    with use_locale("fr"):
        return translate(msgid, **params)


def count(signatures: int) -> str:
    """"N signature(s)" as a French collective reads it."""
    with use_locale("fr"):
        return count_line(signatures)


def exported(rows: int) -> str:
    with use_locale("fr"):
        return ngettext("{count} signature exported.", "{count} signatures exported.",
                        rows).format(count=rows)


async def seed_signatures(tribune: Tribune, count: int) -> None:
    """Signatures recorded directly in the bot's database (before the bot starts)."""
    tribune.bot.write_config()
    core = Core(load_settings(tribune.bot.config_path, environ={}))
    await core.start()
    env = tribune.env
    place = Place(Platform.DISCORD, str(env.guild.id), str(env.channel.id), env.guild.name)
    try:
        for index in range(count):
            actor = Actor(Platform.DISCORD, f"seed-{index}", f"Seed {index}")
            form = SignatureForm(name=f"Seed {index}", profession="Traductrice", city="Lille",
                                 public=False, consent=True)
            await core.tribune.sign(actor, place, form)
    finally:
        await core.close()


__all__ = ["BotProcess", "Tribune", "core_beside", "count", "database_rows", "en", "exported",
           "fr", "holding", "seed_signatures"]
