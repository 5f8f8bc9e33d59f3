"""Typed settings read from ``config.toml`` and environment variables.

Every key and its default is documented in ``config.example.toml``. The user's
file is validated onto these defaults, so new keys never break an old file.
Secrets may come from the environment instead of the file:

- ``DISCORD_TOKEN``
- ``MATRIX_PASSWORD``, ``MATRIX_ACCESS_TOKEN``
- ``DATABASE_URL``
- ``BALLOT_KEY``
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("config.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BotSettings(_Section):
    locale: Literal["fr", "en"] = "fr"
    timezone: str = "Europe/Paris"
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Moderators' export files (data_dir/exports) older than this many days are
    # deleted, at start and every day; 0: deleted at the next of those cleanups.
    export_retention_days: Annotated[int, Field(ge=0, le=365)] = 7

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {value!r} (example: Europe/Paris)") from exc
        return value


class DatabaseSettings(_Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (or be empty)"
            )
        return value


class DiscordSettings(_Section):
    token: str = ""
    test_guild_id: int | None = None
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    shard_ids: list[int] | None = None
    shard_count: int | None = None
    moderator_permission: str = "manage_guild"
    scheduled_events: bool = False
    # Read members' messages (privileged Message Content intent), for passive rights help.
    read_messages: bool = False
    # Seconds to wait after the last guild arrives before reporting ready (discord.py's
    # default, 2 s); a bot in a handful of guilds can lower it to start faster.
    guild_ready_timeout: Annotated[float, Field(ge=0, le=60)] = 2.0


class MatrixSettings(_Section):
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    device_name: str = "independants-bot"
    allowed_servers: list[str] = Field(default_factory=list)
    moderator_power_level: Annotated[int, Field(ge=0, le=100)] = 50
    encryption: bool = True
    command_prefix: str = "!"
    sync_timeout_ms: Annotated[int, Field(ge=1000, le=120_000)] = 30_000
    # A command, vote or reaction older than this when the bot gets to it is not acted
    # on: its author is told it came too late.
    max_command_age_s: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] = 15 * 60

    @field_validator("homeserver")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, e.g. https://matrix.org")
        return value.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _matrix_id(cls, value: str) -> str:
        if value and not (value.startswith("@") and ":" in value):
            raise ValueError("must look like @bot:example.org")
        return value


class ConsoleSettings(_Section):
    user: str = "console"
    moderator: bool = True
    prompt: bool = True


class TribuneSettings(_Section):
    text_file: Path | None = None
    latest_count: Annotated[int, Field(ge=0, le=50)] = 5
    page_size: Annotated[int, Field(ge=1, le=100)] = 20


MIN_BALLOT_KEY_BYTES = 32
NEW_KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex(32))"'
NEW_KEY_CAUTION = (
    "with a new key, members who already voted in an open secret poll can no longer "
    "replace their ballot and are no longer recognised as having voted"
)


class PollSettings(_Section):
    # Key of the keyed hashes that keep secret ballots unlinkable to voters.
    # Empty: a key is generated once in ballot_key_file. Several processes
    # on one database must share the same key (set it here or in BALLOT_KEY).
    ballot_key: str = ""
    # Where the generated key is kept (unset: data_dir/ballot.key).
    ballot_key_file: Path | None = None

    @field_validator("ballot_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_BALLOT_KEY_BYTES:
            raise ValueError(
                f"too short (also when given as BALLOT_KEY): a ballot key needs at least "
                f"{MIN_BALLOT_KEY_BYTES} bytes. Make one with {NEW_KEY_COMMAND}, or leave "
                "it empty to use a key file. Change the key only while no secret poll is "
                f"open: {NEW_KEY_CAUTION}"
            )
        return value


class AidSettings(_Section):
    # Days before an open mutual-aid post expires (a reminder comes 2 days before).
    expiry_days: Annotated[int, Field(ge=3, le=365)] = 30
    # At most this many matching requests are told to one member per day.
    notifications_per_day: Annotated[int, Field(ge=0, le=50)] = 3
    # Time-bank balances beyond plus or minus this many hours are flagged to moderators.
    balance_limit: Annotated[float, Field(gt=0, le=1000)] = 20
    # Weekly digest of open requests and new offers: day (0 = Monday) and hour (UTC).
    digest_weekday: Annotated[int, Field(ge=0, le=6)] = 0
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 9


class FaqSettings(_Section):
    # Folder of the rights FAQ corpus (one Markdown file per entry); unset: the
    # entries shipped with the bot (bot/data/faq).
    corpus_dir: Path | None = None
    # Entries last reviewed longer ago than this are listed for review (monthly reminder).
    review_age_days: Annotated[int, Field(ge=30, le=3650)] = 365
    # How close (0-100) a misspelt word must be to a word of the corpus to be corrected.
    suggestion_threshold: Annotated[int, Field(ge=50, le=100)] = 80
    # Answers scoring below this (0-1) are not good matches: the question is queued
    # for moderators.
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.5
    # Passive help (off until a moderator turns it on in a channel) suggests an entry
    # for a member's message only when it scores at least this much.
    passive_min_score: Annotated[float, Field(ge=0, le=1)] = 0.55


class LimitSettings(_Section):
    # Seconds a member waits between two creations of the same kind (0: no limit).
    demand_cooldown: Annotated[int, Field(ge=0, le=86400)] = 120
    aid_post_cooldown: Annotated[int, Field(ge=0, le=86400)] = 120
    meetup_cooldown: Annotated[int, Field(ge=0, le=86400)] = 60
    # Wrong link or federation codes a member may enter in 10 minutes before a pause,
    # and codes a member may be given in an hour.
    code_failures: Annotated[int, Field(ge=1, le=100)] = 5
    codes_per_hour: Annotated[int, Field(ge=1, le=100)] = 5


class Settings(_Section):
    bot: BotSettings = Field(default_factory=BotSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    tribune: TribuneSettings = Field(default_factory=TribuneSettings)
    polls: PollSettings = Field(default_factory=PollSettings)
    aid: AidSettings = Field(default_factory=AidSettings)
    faq: FaqSettings = Field(default_factory=FaqSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.bot.data_dir / 'bot.sqlite3'}"

    @property
    def ballot_key_path(self) -> Path:
        """The file of the generated ballot key (used when ``polls.ballot_key`` is empty)."""
        return self.polls.ballot_key_file or self.bot.data_dir / "ballot.key"

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord.token)

    @property
    def matrix_enabled(self) -> bool:
        return bool(
            self.matrix.homeserver
            and self.matrix.user_id
            and (self.matrix.password or self.matrix.access_token)
        )


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` name each key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def explain(self) -> str:
        lines = [f"Configuration problem in {self.source}:" if self.source
                 else "Configuration problem:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append("See config.example.toml for every key and its default.")
        return "\n".join(lines)


_ENV_SECRETS: dict[str, tuple[str, str]] = {
    "DISCORD_TOKEN": ("discord", "token"),
    "MATRIX_PASSWORD": ("matrix", "password"),
    "MATRIX_ACCESS_TOKEN": ("matrix", "access_token"),
    "DATABASE_URL": ("database", "url"),
    "BALLOT_KEY": ("polls", "ballot_key"),
}


def _format_error(error: dict) -> str:
    path = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return f"{path}: {message}"


def config_path(path: Path | None = None, environ: dict[str, str] | None = None) -> Path:
    """The configuration file in use: ``path``, else ``$INDEPENDANTS_CONFIG``, else
    ``config.toml`` in the working directory."""
    environ = os.environ if environ is None else environ
    return Path(path or environ.get("INDEPENDANTS_CONFIG") or DEFAULT_CONFIG_PATH)


# Keys whose values are secrets when written in the file (database.url only when
# it holds a password).
_FILE_SECRETS = (("discord", "token"), ("matrix", "password"), ("matrix", "access_token"),
                 ("polls", "ballot_key"))


def _file_secrets(raw: dict) -> list[str]:
    found = []
    for section, key in _FILE_SECRETS:
        values = raw.get(section)
        if isinstance(values, dict) and values.get(key):
            found.append(f"{section}.{key}")
    database = raw.get("database")
    url = database.get("url") if isinstance(database, dict) else None
    if isinstance(url, str):
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found.append("database.url")
    return found


def permission_warning(path: Path) -> str | None:
    """A warning when the file holds secrets and other users of the machine may read it.

    Only files with a secret in them are reported (secrets given as environment
    variables are not in the file). Nothing is said on systems without Unix modes.
    """
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    secrets = _file_secrets(raw)
    if not secrets:
        return None
    return (
        f"{path} holds secrets ({', '.join(secrets)}) and other users of this machine "
        f"may read it (permissions {mode:03o}): run chmod 600 {path}, or give the "
        "secrets as environment variables instead"
    )


def load_settings(
    path: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, merge and validate the configuration; raise ConfigError on any problem.

    A missing file is fine when no path was asked for explicitly: every key has
    a default and the bot runs on the console with SQLite.
    """
    environ = dict(os.environ if environ is None else environ)
    explicit = path is not None or "INDEPENDANTS_CONFIG" in environ
    path = config_path(path, environ)
    raw: dict = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), [f"cannot be read: {exc}"]) from None
    elif explicit:
        raise ConfigError(str(path), ["file not found"])
    for variable, (section, key) in _ENV_SECRETS.items():
        value = environ.get(variable)
        if value:
            section_data = raw.setdefault(section, {})
            if isinstance(section_data, dict):
                section_data[key] = value
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(str(path), [_format_error(err) for err in exc.errors()]) from None
    problems = []
    if settings.tribune.text_file and not settings.tribune.text_file.is_file():
        problems.append(f"tribune.text_file: file {settings.tribune.text_file} not found")
    if settings.faq.corpus_dir and not settings.faq.corpus_dir.is_dir():
        problems.append(f"faq.corpus_dir: folder {settings.faq.corpus_dir} not found")
    if not settings.polls.ballot_key:
        problem = ballot_key_file_problem(settings.ballot_key_path)
        if problem:
            problems.append(problem)
    matrix = settings.matrix
    if (matrix.homeserver or matrix.user_id) and not settings.matrix_enabled:
        problems.append(
            "matrix: homeserver, user_id and a password or access_token are all needed"
        )
    if problems:
        raise ConfigError(str(path), problems)
    return settings


def read_ballot_key_file(path: Path) -> bytes | None:
    """The key held in ``path`` (None when there is no such file); a file that cannot
    be read or holds too short a key raises :class:`ConfigError` saying what to do."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError("", [f"polls.ballot_key_file: {path} cannot be read "
                                f"({exc.strerror})"]) from None
    try:
        key = raw.decode("utf-8").strip().encode()
    except UnicodeDecodeError:
        key = b""
    if len(key) < MIN_BALLOT_KEY_BYTES:
        raise ConfigError("", [
            f"polls.ballot_key_file: {path} holds {len(key)} bytes of key; a ballot key "
            f"needs at least {MIN_BALLOT_KEY_BYTES} (a first start stopped while writing "
            "the file can leave it empty). If a backup of this file holds a full key, "
            "restore it. Otherwise delete the file and start the bot again, which makes a "
            f"new key; do that only while no secret poll is open: {NEW_KEY_CAUTION}"
        ])
    return key


def ballot_key_file_problem(path: Path) -> str | None:
    """What is wrong with an existing ballot key file (None: usable, or not made yet)."""
    try:
        read_ballot_key_file(path)
    except ConfigError as exc:
        return exc.problems[0]
    return None
