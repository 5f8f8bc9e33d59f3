"""One process of bench/reminder_storm.py: the bot's core and scheduler with a
private sender that writes each reminder to a file.

    python bench/reminder_worker.py DATABASE_URL OUTPUT_FILE

Prints ``ready`` once started, waits for a line on stdin, serves due jobs until
no reminder is left, then prints how many jobs it ran.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bot.config import Settings
from bot.core.app import Core
from bot.core.render.message import Message
from bot.core.services.meetups import REMIND_JOB
from bot.db.models import Job


async def main(url: str, output: Path) -> None:
    with tempfile.TemporaryDirectory() as data, output.open("a") as out:
        core = Core(Settings.model_validate({"bot": {"data_dir": data},
                                             "database": {"url": url}}))
        await core.start()

        async def announce(collective_id: str, channel_id: str, message: Message) -> None:
            pass

        async def private(user_id: str, message: Message) -> None:
            out.write(f"{user_id}:{message.title}\n")

        core.outbox.register("console", announce, private)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        ran = 0
        while True:
            ran += await core.scheduler.run_due()
            async with core.db.transaction() as session:
                left = await session.scalar(select(func.count()).select_from(Job).where(
                    Job.kind == REMIND_JOB, Job.status != "done"))
            if not left:
                break
            await asyncio.sleep(0.05)
        out.flush()
        await core.close()
        print(ran, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
