"""Shared fixtures: a migrated database per test and the assembled core.

Service tests run on a real SQLite file and, when a PostgreSQL server answers
(``TEST_DATABASE_URL``, or the local server at 127.0.0.1:5432 database ``test``),
on a fresh PostgreSQL database too.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.core.app import Core
from bot.core.types import Actor, Place, Platform

pytest_plugins = ["tests.matrix_harness.fixtures", "tests.discord_standin.fixtures"]


def make_settings(tmp_path: Path, **sections: dict) -> Settings:
    raw: dict = {"bot": {"data_dir": str(tmp_path / "data")}}
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


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
        return
    import asyncpg

    base = make_url(postgres_url())
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = dict(host=base.host, port=base.port or 5432, user=base.username,
                 password=base.password, database=base.database)
    connection = await asyncpg.connect(**admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(**admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database={"url": database_url})


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
