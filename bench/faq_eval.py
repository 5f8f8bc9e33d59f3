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
import shlex
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from common import backend_url, started_core  # noqa: E402

from bot.core.app import Core  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "faq_eval.toml"


def load_cases(path: Path = EVAL_FILE, part: str = "cases") -> list[tuple[str, str]]:
    """``cases`` (the evaluation set) or ``holdout`` (never used for tuning)."""
    with path.open("rb") as handle:
        return [(case["q"], case["expected"]) for case in tomllib.load(handle).get(part, [])]


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
