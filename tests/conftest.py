"""Shared fixtures: a migrated database per test and the assembled core.

Service tests run on a real SQLite file and, when a PostgreSQL server answers
(``TEST_DATABASE_URL``, or the local server at 127.0.0.1:5432 database ``test``),
on a fresh PostgreSQL database too. Migrations run once per backend and test
session, into a template (a file copied for SQLite, a ``CREATE DATABASE ...
TEMPLATE`` for PostgreSQL); ``database_url`` still gives tests of migrations an
empty database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.core.app import Core
from bot.core.types import Actor, Place, Platform
from bot.db import migrate
from tests.db_peek import run_in_thread

pytest_plugins = ["tests.matrix_harness.fixtures", "tests.discord_standin.fixtures"]


NO_COOLDOWNS = {"demand_cooldown": 0, "aid_post_cooldown": 0, "meetup_cooldown": 0}


def make_settings(tmp_path: Path, **sections: dict) -> Settings:
    """Settings for a test; creation cooldowns are off unless a test sets them."""
    raw: dict = {"bot": {"data_dir": str(tmp_path / "data")}, "limits": dict(NO_COOLDOWNS)}
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return Settings.model_validate(raw)


DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@cache
def postgres_url() -> str | None:
    """The PostgreSQL server to test against, if one answers."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    if not url.startswith("postgresql"):
        return None

    async def probe() -> bool:
        import asyncpg

        parsed = make_url(url)
        try:
            connection = await asyncpg.connect(
                host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                password=parsed.password, database=parsed.database, timeout=2,
            )
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return url if asyncio.run(probe()) else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if postgres_url() else [])
        metafunc.parametrize("backend", backends, indirect=True)
    if "bot_backend" in metafunc.fixturenames:
        metafunc.parametrize("bot_backend", bot_backends(metafunc.module), indirect=True,
                             scope="module")


def bot_backends(module: object) -> list[str]:
    """The backends the bot process of an end-to-end module runs on.

    Every workflow runs end to end on both backends, on one platform or the other: a
    module sets ``BOT_BACKEND = "postgresql"`` to run on PostgreSQL when a server
    answers (SQLite otherwise), and the matching module of the other platform stays on
    SQLite. ``E2E_BACKENDS=all`` runs every end-to-end module on both.
    """
    if postgres_url() is None:
        return ["sqlite"]
    if os.environ.get("E2E_BACKENDS") == "all":
        return ["sqlite", "postgresql"]
    return [getattr(module, "BOT_BACKEND", "sqlite")]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def bot_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def create_bot_database(backend: str, template: str | None) -> str:
    """The ``[database] url`` for a bot process: "" (its own SQLite file) or a new
    PostgreSQL database copied from the migrated template. Callable outside a loop."""
    if backend == "sqlite":
        return ""
    return run_in_thread(lambda: new_postgres_database(template))


def drop_bot_database(url: str) -> None:
    if url:
        run_in_thread(lambda: drop_postgres_database(url))


def bot_database_for(request: pytest.FixtureRequest, backend: str) -> str:
    """A database for a bot process on ``backend`` (see :func:`create_bot_database`)."""
    template = request.getfixturevalue("migrated_postgres") if backend != "sqlite" else None
    return create_bot_database(backend, template)


@pytest.fixture
def bot_database(bot_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database for one test's bot process, dropped afterwards."""
    url = bot_database_for(request, bot_backend)
    try:
        yield url
    finally:
        drop_bot_database(url)


def _admin(url: str) -> dict:
    base = make_url(url)
    return dict(host=base.host, port=base.port or 5432, user=base.username,
                password=base.password, database=base.database)


async def new_postgres_database(template: str | None = None) -> str:
    """The URL of a new PostgreSQL database (a copy of ``template`` if given)."""
    import asyncpg

    name = f"test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(**_admin(postgres_url()))
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await connection.close()
    return make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(**_admin(postgres_url()))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


@asynccontextmanager
async def postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """A new PostgreSQL database (a copy of ``template`` if given), dropped afterwards."""
    url = await new_postgres_database(template)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the latest revision, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "bot.sqlite3"
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str | None]:
    """The name of a PostgreSQL database at the latest revision, used as a template."""
    url = postgres_url()
    if url is None:
        yield None
        return
    import asyncpg

    name = f"test_template_{uuid.uuid4().hex[:12]}"

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(**_admin(url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(migrate.upgrade(make_url(url).set(database=name)
                                    .render_as_string(hide_password=False)))
        yield name
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (for tests of migrations)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def migrated_database_url(backend: str, tmp_path: Path, migrated_sqlite: Path,
                                migrated_postgres: str | None) -> AsyncIterator[str]:
    """A database already at the latest revision."""
    if backend == "sqlite":
        path = tmp_path / "data" / "bot.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_sqlite, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with postgres_database(migrated_postgres) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, migrated_database_url: str) -> Settings:
    return make_settings(tmp_path, database={"url": migrated_database_url})


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = Core(settings)
    await core.start()
    try:
        yield core
    finally:
        await core.close()


def member(name: str, *, moderator: bool = False, platform: Platform = Platform.CONSOLE) -> Actor:
    return Actor(platform, name, name.title(), moderator)


def place(collective: str = "c1", channel: str = "general",
          platform: Platform = Platform.CONSOLE) -> Place:
    return Place(platform, collective, channel, collective)
