"""A process that serves durable jobs until none is left, for the multi-process tests.

    python -m tests.job_worker DATABASE_URL WORKER_ID

It runs the production :class:`~bot.core.scheduler.Scheduler` with a short lease
and one atomic handler, ``test.record``, which writes a row to ``test_job_runs``
in the job's own transaction (the table is made by the test). It prints
``ready`` once connected, then exits when every job is done.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.core.scheduler import JobContext, Scheduler
from bot.db.engine import Database
from bot.db.models import Job

KIND = "test.record"
LEASE = timedelta(seconds=2)


async def main(url: str, worker: str) -> None:
    db = Database(url)
    scheduler = Scheduler(db, lease=LEASE, batch=10, worker_id=worker)

    async def record(job: JobContext) -> None:
        assert job.session is not None
        await job.session.execute(
            text("INSERT INTO test_job_runs (job_id, worker, pid) VALUES (:job, :worker, :pid)"),
            {"job": job.id, "worker": worker, "pid": os.getpid()})
        await asyncio.sleep(0.002)  # some work, so that a kill lands mid-way

    scheduler.register(KIND, record, atomic=True)
    print("ready", flush=True)
    try:
        while True:
            await scheduler.run_due()
            async with db.transaction() as session:
                left = await session.scalar(
                    select(func.count()).select_from(Job)
                    .where(Job.kind == KIND, Job.status != "done"))
            if not left:
                return
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
