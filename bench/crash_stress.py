"""Crash stress: many ballot storms killed with SIGKILL at a random moment.

    .venv/bin/python bench/crash_stress.py [--runs 20] [--voters 3000]

Each run (tests/crash_run.py) opens a secret poll on a fresh SQLite database,
starts a process that votes for ``--voters`` new members through the service
layer and prints an acknowledgement after each committed ballot, kills it
with SIGKILL after a random number of acknowledgements, then checks that
every acknowledged ballot is in the database, restarts a process that votes
for everyone again, and checks that nobody has two ballots. Printed: runs,
ballots acknowledged before the kills, ballots lost, duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash_run import crash_run  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--voters", type=int, default=3000)
    args = parser.parse_args()
    print("$ .venv/bin/python bench/crash_stress.py " + shlex.join(sys.argv[1:]))
    acknowledged = lost = duplicates = 0
    started = time.perf_counter()
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            result = await crash_run(Path(folder), voters=args.voters, seed=run)
        acknowledged += result.acknowledged
        lost += result.lost
        duplicates += result.duplicates
        print(f"  run {run + 1}: {result.acknowledged} acknowledged before SIGKILL, "
              f"{result.lost} lost, {result.duplicates} duplicates, "
              f"{result.ballots}/{result.voters} ballots after restart", flush=True)
    print(f"runs: {args.runs}, ballots acknowledged before a kill: {acknowledged}, "
          f"lost: {lost}, duplicates: {duplicates} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
