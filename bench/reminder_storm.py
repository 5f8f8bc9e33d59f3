"""Reminder storm: due meetup reminders served by three processes on PostgreSQL.

    .venv/bin/python bench/reminder_storm.py [--meetups 1000] [--attendees 5] [--processes 3]

A scratch PostgreSQL database gets ``--meetups`` meetups with ``--attendees``
members each (``meetups x attendees`` private reminders, 5,000 by default),
through the services. Every meetup's one-hour reminder job is then made due,
and ``--processes`` separate processes (bench/reminder_worker.py: the bot's
core and scheduler, with a private-message sender that writes one line per
reminder sent to its own file) serve the jobs at the same time. Printed: the
reminders sent, how many members got one twice or none, the jobs each process
ran, and the wall time from the start signal to the last process done.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, backend_url, started_core
from sqlalchemy import update

from bot.core.services.meetups import REMIND_JOB, MeetupDraft
from bot.core.types import Actor, Place, Platform
from bot.db.models import Job, utcnow

PLACE = Place(Platform.CONSOLE, "storm", "rencontres", "Storm")
ORGANISER = Actor(Platform.CONSOLE, "organiser", "Organiser", True)


async def prepare(url: str, meetups: int, attendees: int) -> None:
    async with started_core(url) as core:
        starts = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=3)).strftime(
            "%Y-%m-%d %H:%M")
        for number in range(meetups):
            created = await core.meetups.create(ORGANISER, PLACE, MeetupDraft(
                title=f"Rencontre {number}", where="Lyon", starts=starts,
                capacity=attendees, reminders=(60,)))
            for seat in range(attendees):
                member = Actor(Platform.CONSOLE, f"m{number}-{seat}", f"M {number} {seat}")
                await core.meetups.rsvp(member, PLACE, created.meetup.id, "oui")
        async with core.db.transaction() as session:
            await session.execute(update(Job).where(Job.kind == REMIND_JOB)
                                  .values(due_at=utcnow() - timedelta(seconds=1)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetups", type=int, default=1000)
    parser.add_argument("--attendees", type=int, default=5)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    print("$ .venv/bin/python bench/reminder_storm.py " + shlex.join(sys.argv[1:]))
    async with backend_url("postgresql") as url:
        if url is None:
            print("no PostgreSQL server answers")
            return
        await prepare(url, args.meetups, args.attendees)
        with tempfile.TemporaryDirectory() as folder:
            outputs = [Path(folder) / f"sent-{i}.txt" for i in range(args.processes)]
            workers = [await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bench" / "reminder_worker.py"), url, str(out),
                cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
                for out in outputs]
            for worker in workers:  # wait until each has started its core
                assert worker.stdout is not None
                assert (await worker.stdout.readline()).strip() == b"ready"
            started = time.perf_counter()
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            results = [(await w.stdout.read()).decode().split() for w in workers]  # type: ignore[union-attr]
            await asyncio.gather(*(w.wait() for w in workers))
            wall = time.perf_counter() - started
            sent: dict[str, int] = {}
            for out in outputs:
                for line in out.read_text().splitlines():
                    sent[line] = sent.get(line, 0) + 1
    expected = args.meetups * args.attendees
    twice = sum(1 for n in sent.values() if n > 1)
    missing = expected - len(sent)
    print(f"reminders due: {expected}; sent: {sum(sent.values())}; twice: {twice}; "
          f"never: {missing}")
    print("jobs run per process: " + ", ".join(r[0] if r else "?" for r in results))
    print(f"wall time: {wall:.2f} s ({sum(sent.values()) / wall:.0f} reminders/s)")
    print("each reminder sent exactly once: " + ("yes" if not twice and not missing else "NO"))


if __name__ == "__main__":
    asyncio.run(main())
