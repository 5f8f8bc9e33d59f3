"""A process that votes through the service layer and says which ballots were
acknowledged, for the crash tests (it is killed with SIGKILL mid-way).

    python -m tests.ballot_worker CONFIG POLL FIRST LAST

Members ``voter-FIRST`` to ``voter-(LAST-1)`` vote on poll ``POLL``, 200 at a
time, through :meth:`PollService.vote` (group commit and all). A line
``ack N`` is printed, and flushed, only after member N's call returned: that is
the acknowledgement a member would see.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.core.app import Core
from bot.core.types import Actor, Place, Platform

PLACE = Place(Platform.CONSOLE, "crash", "general", "Crash")
WAVE = 200


async def main(config: Path, poll: int, first: int, last: int) -> None:
    core = Core(load_settings(config, environ={}))
    await core.start()
    print("ready", flush=True)

    async def vote(index: int) -> None:
        actor = Actor(Platform.CONSOLE, f"voter-{index}", f"Voter {index}")
        await core.polls.vote(actor, PLACE, poll, "AB"[index % 2])
        sys.stdout.write(f"ack {index}\n")
        sys.stdout.flush()

    try:
        for start in range(first, last, WAVE):
            await asyncio.gather(*(vote(i) for i in range(start, min(last, start + WAVE))))
    finally:
        await core.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:5])))
