"""Ballot storm: many distinct members voting at once on one poll, on SQLite and PostgreSQL.

    .venv/bin/python bench/ballot_storm.py [--voters 10000] [--runs 3] [--backend both]

Each run starts the bot's core on a scratch database, opens a single-choice
secret poll, then calls ``PollService.vote`` for ``--voters`` members who have
never been seen before, all at once (one task each). A call returns once the
ballot is committed, so its latency is the member's acknowledgement (all at
once, latency is mostly waiting in line; a second run paces the same number
of ballots at ``--rate`` a second for the latency members see). Printed:
ballots per second, p50 and p99 latency, and that every ballot was counted
exactly once. The same run then inserts the same rows (person, member,
membership, ballot, voter record: five rows a ballot) with the database
driver directly (aiosqlite or asyncpg, one connection, the bot's durability
settings: WAL with synchronous=FULL on SQLite, synchronous_commit=on on
PostgreSQL, so a commit is on disk on both sides), committing once per batch
of the bot's size and once per ballot, and prints those raw rates and the
ratios. The figures of the runs are
summarised by their median.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import backend_url, started_core
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.core.app import Core
from bot.core.services.polls import BATCH_LIMIT, PollDraft
from bot.core.types import Actor, Place, Platform
from bot.db.models import Ballot, PollVoter

PLACE = Place(Platform.CONSOLE, "bench", "general", "Bench")
MODERATOR = Actor(Platform.CONSOLE, "moderator", "Moderator", True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def storm(core: Core, voters: int, rate: float | None = None) -> dict[str, float]:
    """``voters`` ballots all at once, or arriving at ``rate`` ballots a second."""
    poll = await core.polls.create(MODERATOR, PLACE, PollDraft(
        title="Storm", method="single", options=("Oui", "Non", "Abstention"),
        closes=(datetime.now(UTC) + timedelta(days=1)).isoformat()))
    latencies: list[float] = []

    async def vote(index: int) -> None:
        actor = Actor(Platform.CONSOLE, f"voter-{index}", f"Voter {index}")
        started = time.perf_counter()
        await core.polls.vote(actor, PLACE, poll.id, "ABC"[index % 3])
        latencies.append(time.perf_counter() - started)

    async def paced(index: int) -> None:
        assert rate is not None
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        await vote(index)

    started = time.perf_counter()
    await asyncio.gather(*((paced(i) if rate else vote(i)) for i in range(voters)))
    wall = time.perf_counter() - started
    async with core.db.transaction() as session:
        ballots = await session.scalar(select(func.count()).select_from(Ballot))
        voted = await session.scalar(select(func.count()).select_from(PollVoter))
    assert ballots == voters and voted == voters, (ballots, voted)
    return {"rate": voters / wall, "p50": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000, "wall": wall}


async def raw_sqlite(path: str, voters: int, batch: int) -> float:
    """Rows of ``voters`` ballots inserted with aiosqlite, a commit every ``batch``."""
    import aiosqlite

    async with aiosqlite.connect(path, isolation_level=None) as db:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL",
                       "secure_delete=ON"):
            await db.execute(f"PRAGMA {pragma}")
        await _raw_schema(db.execute, sqlite=True)
        started = time.perf_counter()
        for first in range(0, voters, batch):
            await db.execute("BEGIN")
            for statement, rows in _raw_batch(first, min(voters, first + batch)):
                await db.executemany(statement.replace("$", ":"), rows)
            await db.execute("COMMIT")
        return voters / (time.perf_counter() - started)


async def raw_postgres(url: str, voters: int, batch: int) -> float:
    """Rows of ``voters`` ballots inserted with asyncpg, a commit every ``batch``."""
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                       user=parsed.username, password=parsed.password,
                                       database=parsed.database,
                                       server_settings={"synchronous_commit": "on"})
    try:
        await _raw_schema(connection.execute, sqlite=False)
        started = time.perf_counter()
        for first in range(0, voters, batch):
            async with connection.transaction():
                for statement, rows in _raw_batch(first, min(voters, first + batch)):
                    await connection.executemany(_numbered(statement),
                                                 [tuple(r.values()) for r in rows])
        return voters / (time.perf_counter() - started)
    finally:
        await connection.close()


def _raw_batch(first: int, end: int) -> list[tuple[str, list[dict]]]:
    """The rows of ballots ``first`` to ``end``, grouped by statement."""
    grouped: dict[str, list[dict]] = {}
    for index in range(first, end):
        for statement, values in _raw_rows(index):
            grouped.setdefault(statement, []).append(values)
    return list(grouped.items())


RAW_TABLES = (
    "CREATE TABLE raw_persons (id integer PRIMARY KEY, token text NOT NULL UNIQUE, "
    "created_at text NOT NULL)",
    "CREATE TABLE raw_members (id integer PRIMARY KEY, person_id integer NOT NULL "
    "REFERENCES raw_persons(id), platform text NOT NULL, user_id text NOT NULL, "
    "display_name text NOT NULL, UNIQUE (platform, user_id))",
    "CREATE TABLE raw_memberships (member_id integer NOT NULL REFERENCES raw_members(id), "
    "collective_id integer NOT NULL, joined_at text NOT NULL, "
    "PRIMARY KEY (member_id, collective_id))",
    # The bot's ballots and voter records have no rowid on SQLite (see bot.db.models).
    "CREATE TABLE raw_ballots (poll_id integer NOT NULL, slot text NOT NULL, "
    "content text NOT NULL, seal text, PRIMARY KEY (poll_id, slot)) {without_rowid}",
    "CREATE TABLE raw_voters (poll_id integer NOT NULL, voter_key text NOT NULL, "
    "PRIMARY KEY (poll_id, voter_key)) {without_rowid}",
)


async def _raw_schema(execute, sqlite: bool) -> None:
    for statement in RAW_TABLES:
        await execute(statement.format(without_rowid="WITHOUT ROWID" if sqlite else ""))


def _raw_rows(index: int) -> list[tuple[str, dict]]:
    now = "2026-11-23T10:00:00+00:00"
    key = f"{index:064x}"
    return [
        ("INSERT INTO raw_persons (id, token, created_at) VALUES ($id, $token, $at)",
         {"id": index + 1, "token": f"t{key}", "at": now}),
        ("INSERT INTO raw_members (id, person_id, platform, user_id, display_name) "
         "VALUES ($id, $person, $platform, $user, $name)",
         {"id": index + 1, "person": index + 1, "platform": "console",
          "user": f"voter-{index}", "name": f"Voter {index}"}),
        ("INSERT INTO raw_memberships (member_id, collective_id, joined_at) "
         "VALUES ($member, $collective, $at)", {"member": index + 1, "collective": 1, "at": now}),
        ("INSERT INTO raw_ballots (poll_id, slot, content, seal) "
         "VALUES ($poll, $slot, $content, $seal)",
         {"poll": 1, "slot": key, "content": '"A"', "seal": "0" * 88}),
        ("INSERT INTO raw_voters (poll_id, voter_key) VALUES ($poll, $key)",
         {"poll": 1, "key": f"v{key}"}),
    ]


def _numbered(statement: str) -> str:
    """``$name`` placeholders as asyncpg's ``$1, $2...`` in order of appearance."""
    parts = statement.split("$")
    out, number = [parts[0]], 0
    for part in parts[1:]:
        number += 1
        name_end = next((i for i, c in enumerate(part) if not (c.isalnum() or c == "_")),
                        len(part))
        out.append(f"${number}{part[name_end:]}")
    return "".join(out)


async def run(backend: str, voters: int, runs: int, pace: float) -> None:
    results = []
    steady = []
    raw_rates: list[float] = []
    raw_single: list[float] = []
    for _ in range(runs):
        async with backend_url(backend) as url:
            if url is None:
                print(f"{backend}: no server, skipped")
                return
            async with started_core(url) as core:
                results.append(await storm(core, voters))
        async with backend_url(backend) as url:
            assert url is not None
            async with started_core(url) as core:
                steady.append(await storm(core, voters, pace))
        for batch, rates in ((BATCH_LIMIT, raw_rates), (1, raw_single)):
            async with backend_url(backend) as url:
                assert url is not None
                if backend == "sqlite":
                    rates.append(await raw_sqlite(make_url(url).database or "", voters, batch))
                else:
                    rates.append(await raw_postgres(url, voters, batch))
    rate = statistics.median(r["rate"] for r in results)
    raw = statistics.median(raw_rates)
    print(f"{backend}: {voters} voters, {runs} runs (medians)")
    for index, r in enumerate(results, 1):
        print(f"  run {index}: {r['rate']:.0f} ballots/s, p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms; raw {raw_rates[index - 1]:.0f}/s batched, "
              f"{raw_single[index - 1]:.0f}/s one commit each")
    print(f"  service: {rate:.0f} ballots/s, p50 "
          f"{statistics.median(r['p50'] for r in results):.1f} ms, p99 "
          f"{statistics.median(r['p99'] for r in results):.1f} ms")
    single = statistics.median(raw_single)
    print(f"  raw driver inserts, a commit every {BATCH_LIMIT} ballots: {raw:.0f} ballots/s; "
          f"service/raw = {rate / raw:.2f}")
    print(f"  raw driver inserts, a commit every ballot: {single:.0f} ballots/s; "
          f"service/raw = {rate / single:.2f}")
    print(f"  arriving at {pace:.0f} ballots/s instead (acknowledgement latency): p50 "
          f"{statistics.median(r['p50'] for r in steady):.1f} ms, p99 "
          f"{statistics.median(r['p99'] for r in steady):.1f} ms")
    print("  every ballot counted exactly once: yes")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rate", type=float, default=2000,
                        help="ballots a second for the latency run")
    args = parser.parse_args()
    print("$ .venv/bin/python bench/ballot_storm.py " + shlex.join(sys.argv[1:]))
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        await run(backend, args.voters, args.runs, args.rate)


if __name__ == "__main__":
    asyncio.run(main())
