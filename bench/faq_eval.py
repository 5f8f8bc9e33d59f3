"""Recall of the rights FAQ search on the evaluation set, on SQLite and PostgreSQL.

    .venv/bin/python bench/faq_eval.py [--misses]

For each backend (SQLite in a temporary file; PostgreSQL when TEST_DATABASE_URL
or 127.0.0.1:5432/test answers, in a scratch database dropped afterwards) the
corpus is imported, then every question of tests/data/faq_eval.toml is ranked:
recall@1 is the share of questions whose expected entry comes first, recall@3
the share where it is among the first three. The last line says whether both
backends give the same first answer to every question. The ``holdout`` list of
the same file (questions written after tuning, never used for it) is reported
on its own line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import tomllib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core.app import Core  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "faq_eval.toml"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def load_cases(path: Path = EVAL_FILE, part: str = "cases") -> list[tuple[str, str]]:
    """``cases`` (the evaluation set) or ``holdout`` (never used for tuning)."""
    with path.open("rb") as handle:
        return [(case["q"], case["expected"]) for case in tomllib.load(handle).get(part, [])]


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


async def ranked(core: Core, questions: list[str], depth: int = 3) -> list[list[str]]:
    """The first ``depth`` entry ids for each question (no statistics recorded)."""
    found = []
    async with core.db.transaction() as session:
        for question in questions:
            ranking = await core.faq.rank(session, question)
            found.append([ranking.index.titles[i][0] for _score, i in ranking.scored[:depth]])
    return found


def recall(found: list[list[str]], expected: list[str], k: int) -> float:
    hits = sum(1 for slugs, want in zip(found, expected, strict=True) if want in slugs[:k])
    return hits / len(expected)


async def evaluate(backend: str, questions: list[str]) -> list[list[str]] | None:
    async with backend_url(backend) as url:
        if url is None:
            return None
        async with started_core(url) as core:
            return await ranked(core, questions)


def report(name: str, cases: list[tuple[str, str]], found: list[list[str]],
           misses: bool) -> None:
    expected = [e for _q, e in cases]
    print(f"  {name:9} ({len(cases):3} questions)  recall@1 {recall(found, expected, 1):.3f}"
          f"  recall@3 {recall(found, expected, 3):.3f}")
    if misses:
        for (question, want), slugs in zip(cases, found, strict=True):
            if want not in slugs[:1]:
                mark = "miss@3" if want not in slugs[:3] else "miss@1"
                print(f"      {mark}: {question!r} -> {slugs} (expected {want})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true",
                        help="list the questions whose expected entry is not first")
    args = parser.parse_args()
    cases, holdout = load_cases(), load_cases(part="holdout")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"evaluation set: {EVAL_FILE.relative_to(ROOT)}")
    firsts: dict[str, list[str]] = {}
    for backend in ("sqlite", "postgresql"):
        found = await evaluate(backend, [q for q, _e in cases + holdout])
        if found is None:
            print(f"{backend}: skipped (no server)")
            continue
        print(f"{backend}:")
        report("cases", cases, found[:len(cases)], args.misses)
        if holdout:
            report("holdout", holdout, found[len(cases):], args.misses)
        firsts[backend] = [slugs[0] if slugs else "" for slugs in found]
    if len(firsts) == 2:
        same = sum(a == b for a, b in zip(firsts["sqlite"], firsts["postgresql"], strict=True))
        print(f"same first answer on both backends: {same}/{len(cases) + len(holdout)}")


if __name__ == "__main__":
    asyncio.run(main())
