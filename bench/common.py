"""What the benchmarks share: a scratch database on each backend and a started core.

PostgreSQL is the server of ``TEST_DATABASE_URL`` or 127.0.0.1:5432 database
``test``; each run gets its own scratch database, dropped afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core.app import Core  # noqa: E402

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def postgres_admin() -> dict | None:
    """Connection parameters of the PostgreSQL server, if one answers."""
    import asyncpg

    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    if not url.startswith("postgresql"):
        return None
    base = make_url(url)
    params = dict(host=base.host, port=base.port or 5432, user=base.username,
                  password=base.password, database=base.database)
    try:
        connection = await asyncpg.connect(**params, timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return None
    await connection.close()
    return params | {"url": url}


@asynccontextmanager
async def backend_url(backend: str) -> AsyncIterator[str | None]:
    """A fresh database URL for ``backend`` (None when PostgreSQL is not there)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        return
    import asyncpg

    admin = await postgres_admin()
    if admin is None:
        yield None
        return
    url = admin.pop("url")
    name = f"faq_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(**admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(**admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@asynccontextmanager
async def started_core(url: str) -> AsyncIterator[Core]:
    with tempfile.TemporaryDirectory() as data:
        core = Core(Settings.model_validate({"bot": {"data_dir": data},
                                             "database": {"url": url}}))
        await core.start()
        try:
            yield core
        finally:
            await core.close()
