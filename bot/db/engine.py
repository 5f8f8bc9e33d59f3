"""Engine and transactional sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Durability: an acknowledged write survives a power loss. SQLite runs in WAL mode
with ``synchronous=FULL`` (the WAL is synced at every commit, not only at
checkpoints); PostgreSQL connections ask for ``synchronous_commit=on`` whatever
the server's or the database's default. SQLite's database file is created
readable by its owner only; SQLite gives its ``-wal`` and ``-shm`` files the
same permissions.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on disk before it returns, power loss included (NORMAL in
    # WAL mode only survives a crash of the process).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Erased personal data must not linger in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def private_sqlite_file(database: Path) -> None:
    """Create the database file readable by its owner only (in a folder made 0700 if
    missing), or take the group's and others' rights off an existing one and its
    ``-wal``, ``-shm`` and ``-journal`` files. SQLite creates those with the
    permissions of the database file, whatever the umask."""
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    for suffix in ("", "-wal", "-shm", "-journal"):
        companion = database.with_name(database.name + suffix)
        try:
            mode = companion.stat().st_mode
            if mode & 0o077:
                companion.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:  # not the owner; nothing better to do here
            continue


def create_engine(url: str) -> AsyncEngine:
    """Build an engine; SQLite gets WAL, foreign keys and full syncs on every
    connection, PostgreSQL synchronous commits."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_pre_ping=True,
        # Statements are prepared once per connection; a generic plan made while a
        # table was small (a seq scan of an empty poll_voters) would stay as the
        # table grows, so each execution is planned with its own values.
        connect_args={"server_settings": {"synchronous_commit": "on",
                                          "plan_cache_mode": "force_custom_plan"}},
    )


class Database:
    """One engine and a factory of sessions; each ``transaction()`` is one commit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def forget_old_pages(self) -> None:
        """On SQLite, write the WAL back into the database and empty it, so that
        earlier versions of pages (rows since rewritten or deleted) do not linger
        in the WAL file. Nothing to do on PostgreSQL."""
        if self.dialect == "sqlite":
            async with self.engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        await self.engine.dispose()
