"""Read and poke a bot's database from an end-to-end test, on SQLite or PostgreSQL.

End-to-end tests look at what the bot process wrote (a row erased, a token saved).
These helpers are synchronous, like the tests' other checks between two awaits; on
PostgreSQL the query runs with asyncpg on a short-lived loop in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

Rows = dict[str, list[dict[str, Any]]]
T = TypeVar("T")


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def run_in_thread(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end on a new loop in a worker thread (usable whether or
    not the caller is inside a running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def _pg_connect(url: str) -> Any:
    import asyncpg

    parsed = make_url(url)
    return await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                 user=parsed.username, password=parsed.password,
                                 database=parsed.database, timeout=10)


def _sqlite_params(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """Instants as the bot stores them in SQLite: naive UTC text."""
    return tuple(
        value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, datetime) else value
        for value in params
    )


def instant(value: str | datetime) -> datetime:
    """A stored instant read back (text on SQLite, a datetime on PostgreSQL), aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fetch(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one query; ``?`` placeholders on both backends."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(_sqlite_path(url))) as db:
            return [tuple(row) for row in db.execute(sql, _sqlite_params(params))]

    async def run() -> list[tuple[Any, ...]]:
        connection = await _pg_connect(url)
        try:
            return [tuple(row) for row in await connection.fetch(_numbered(sql), *params)]
        finally:
            await connection.close()

    return run_in_thread(run)


def execute(url: str, sql: str, *params: Any) -> None:
    """Run one statement and commit it; ``?`` placeholders on both backends."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(_sqlite_path(url))) as db, db:
            db.execute(sql, _sqlite_params(params))
        return

    async def run() -> None:
        connection = await _pg_connect(url)
        try:
            await connection.execute(_numbered(sql), *params)
        finally:
            await connection.close()

    run_in_thread(run)


def all_rows(url: str) -> Rows:
    """Every row of every table, sorted, by table name."""
    if url.startswith("sqlite"):
        names = [name for (name,) in fetch(
            url, "SELECT name FROM sqlite_master WHERE type = 'table' "
                 "AND name NOT LIKE 'sqlite_%'")]
        with contextlib.closing(sqlite3.connect(_sqlite_path(url))) as db:
            result: Rows = {}
            for name in names:
                cursor = db.execute(f'SELECT * FROM "{name}"')
                columns = [column[0] for column in cursor.description]
                result[name] = sorted((dict(zip(columns, row, strict=True))
                                       for row in cursor.fetchall()), key=repr)
            return result

    async def run() -> Rows:
        connection = await _pg_connect(url)
        try:
            names = [row[0] for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            result: Rows = {}
            for name in names:
                records = await connection.fetch(f'SELECT * FROM "{name}"')
                result[name] = sorted((dict(record) for record in records), key=repr)
            return result
        finally:
            await connection.close()

    return run_in_thread(run)


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2...`` (no ``?`` inside literals here)."""
    parts = sql.split("?")
    return "".join(part + (f"${index}" if index < len(parts) else "")
                   for index, part in enumerate(parts, start=1))


__all__ = ["Rows", "all_rows", "execute", "fetch", "instant", "run_in_thread"]
