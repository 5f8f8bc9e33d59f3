"""Speed of the rights FAQ search over 2,000 entries, on SQLite and PostgreSQL.

    .venv/bin/python bench/faq_speed.py [--entries 2000] [--runs 5]

The shipped corpus is copied to a temporary folder with synthetic entries
added (sentences, questions and topics of the real entries shuffled, plus
made-up words) until the corpus holds ``--entries`` entries; the bot imports
it at start like any corpus. Then every question of the evaluation set (and
its held-out part), plus bad input (empty, 5,000 characters, FTS syntax), is
asked through ``FaqService.search`` — the whole service call: one transaction,
the hit counter, the unanswered queue — ``--runs`` times after one warm-up
pass. Printed per backend: median and p95 of each run, then the median of the
runs' p95 and the p95 over all searches, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import backend_url  # noqa: E402
from faq_eval import load_cases  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core.app import Core  # noqa: E402
from bot.core.services.faq import DEFAULT_CORPUS, NOTICE, load_corpus  # noqa: E402
from bot.core.types import Actor, Place, Platform  # noqa: E402

BAD_INPUT = ["", "x" * 5000, "retraite " * 600, '"chômage', "NEAR(retraite trimestres)",
             "tva* AND (cfe OR \"seuil\") NOT", "-- ; DROP TABLE faq_entries; --", "'\\'%_"]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def synthetic_corpus(folder: Path, total: int, seed: int = 2026) -> int:
    """Copy the shipped corpus into ``folder`` and add entries up to ``total``."""
    rng = random.Random(seed)
    real, _problems = load_corpus(DEFAULT_CORPUS)
    for path in DEFAULT_CORPUS.glob("*.md"):
        shutil.copy(path, folder / path.name)
    sentences = [s.strip() for e in real
                 for s in re.split(r"(?<=[.!?])\s+", e.answer.replace(NOTICE, ""))
                 if 20 < len(s.strip()) < 300]
    questions = [q for e in real for q in e.questions]
    topics = sorted({t for e in real for t in e.topics})
    words = sorted({w for s in sentences for w in re.findall(r"[^\W\d_]{4,}", s.lower())})
    for n in range(total - len(real)):
        made_up = [f"{rng.choice(words)}{rng.choice('aeiou')}{rng.randint(0, 9999)}"
                   for _ in range(3)]
        title = " ".join(rng.sample(words, 4)).capitalize() + f" ({made_up[0]})"
        body = " ".join(rng.sample(sentences, 6)) + " " + " ".join(made_up)
        variants = [*rng.sample(questions, 2), " ".join(rng.sample(words, 5)) + " ?"]
        text = (
            "+++\n"
            f'id = "synthetique-{n:05d}"\n'
            f"title = {_quote(title[:190])}\n"
            f"questions = [{', '.join(_quote(q) for q in variants)}]\n"
            f"aliases = [{_quote(made_up[1])}]\n"
            f"topics = [{', '.join(_quote(t) for t in rng.sample(topics, 2))}]\n"
            "reviewed = 2026-11-01\n"
            'sources = [{ name = "Service-Public.fr", url = "https://www.service-public.fr" }]\n'
            "+++\n"
            f"{body}\n\n« {NOTICE} »\n"
        )
        (folder / f"synthetique-{n:05d}.md").write_text(text, encoding="utf-8")
    return total


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


async def measure(url: str, corpus: Path, questions: list[str], runs: int) -> list[list[float]]:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.model_validate({"bot": {"data_dir": data}, "database": {"url": url},
                                            "faq": {"corpus_dir": str(corpus)}})
        core = Core(settings)
        started = time.perf_counter()
        await core.start()
        print(f"  start with import: {time.perf_counter() - started:.1f} s")
        try:
            active = len(await _ids(core))
            print(f"  entries in the database: {active}")
            actor = Actor(Platform.CONSOLE, "bench", "Bench")
            place = Place(Platform.CONSOLE, "bench", "bench")
            for question in questions:  # warm-up: caches, connections, plans
                await core.faq.search(actor, place, question)
            timings = []
            for _run in range(runs):
                run = []
                for question in questions:
                    begin = time.perf_counter()
                    await core.faq.search(actor, place, question)
                    run.append((time.perf_counter() - begin) * 1000)
                timings.append(run)
            return timings
        finally:
            await core.close()


async def _ids(core: Core) -> list[int]:
    from sqlalchemy import select

    from bot.db.models import FaqEntry

    async with core.db.transaction() as session:
        return list(await session.scalars(select(FaqEntry.id).where(FaqEntry.status == "active")))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    questions = [q for q, _e in load_cases() + load_cases(part="holdout")] + BAD_INPUT
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"{len(questions)} questions per run, {args.runs} runs after a warm-up pass")
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder)
        synthetic_corpus(corpus, args.entries)
        for backend in ("sqlite", "postgresql"):
            async with backend_url(backend) as url:
                if url is None:
                    print(f"{backend}: skipped (no server)")
                    continue
                print(f"{backend}:")
                timings = await measure(url, corpus, questions, args.runs)
                for n, run in enumerate(timings, 1):
                    print(f"  run {n}: median {statistics.median(run):5.2f} ms"
                          f"  p95 {p95(run):5.2f} ms  max {max(run):5.2f} ms")
                every = [t for run in timings for t in run]
                print(f"  median of the runs' p95: {statistics.median(p95(r) for r in timings):.2f}"
                      f" ms; over all {len(every)} searches: median"
                      f" {statistics.median(every):.2f} ms, p95 {p95(every):.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
