"""Durable jobs on a real database: run once, survive restarts, retry, never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.core.app import Core
from bot.core.scheduler import JobContext, Scheduler, cancel, schedule
from bot.db.models import Job, utcnow
from tests.conftest import postgres_url


async def add(core: Core, kind: str, due_in: float, key: str | None = None, **payload) -> None:
    async with core.db.transaction() as session:
        await schedule(session, kind, utcnow() + timedelta(seconds=due_in), payload, key=key)


async def test_due_jobs_run_once_and_future_ones_wait(core: Core) -> None:
    seen: list[tuple[str, dict]] = []

    async def handler(job: JobContext) -> None:
        seen.append((job.kind, job.payload))

    scheduler = Scheduler(core.db)
    scheduler.register("remind", handler)
    await add(core, "remind", -1, n=1)
    await add(core, "remind", 3600, n=2)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert seen == [("remind", {"n": 1})]
    async with core.db.transaction() as session:
        statuses = sorted(
            (await session.scalars(select(Job.status).where(Job.kind == "remind"))).all()
        )
    assert statuses == ["done", "pending"]


async def test_keys_make_scheduling_idempotent(core: Core) -> None:
    await add(core, "close", 3600, key="poll:1")
    await add(core, "close", -1, key="poll:1")  # moved earlier, not duplicated
    ran = []
    scheduler = Scheduler(core.db)

    async def close(job: JobContext) -> None:
        ran.append(job.key)

    scheduler.register("close", close)
    assert await scheduler.run_due() == 1 and ran == ["poll:1"]
    await add(core, "close", -1, key="poll:1")  # already done: not run again
    assert await scheduler.run_due() == 0
    await add(core, "close", -1, key="poll:2")
    async with core.db.transaction() as session:
        await cancel(session, "poll:2")
    assert await scheduler.run_due() == 0


async def test_a_job_of_a_dead_process_is_claimed_after_its_lease(core: Core) -> None:
    await add(core, "remind", -1)
    dead = Scheduler(core.db, lease=timedelta(seconds=30), worker_id="dead")
    assert len(await dead.claim()) == 1  # claimed, then the process "dies"
    alive = Scheduler(core.db, worker_id="alive")
    ran = []

    async def handler(job: JobContext) -> None:
        ran.append(job.attempt)

    alive.register("remind", handler)
    assert await alive.run_due() == 0  # lease still held
    async with core.db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.kind == "remind")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert await alive.run_due() == 1 and ran == [2]


async def test_failures_are_retried_then_given_up(core: Core) -> None:
    await add(core, "flaky", -1)
    scheduler = Scheduler(core.db, max_attempts=2)
    calls = []

    async def flaky(job: JobContext) -> None:
        calls.append(job.attempt)
        raise RuntimeError("platform down")

    scheduler.register("flaky", flaky)
    await scheduler.run_due()
    async with core.db.transaction() as session:
        job = await session.scalar(select(Job).where(Job.kind == "flaky"))
        assert job.status == "pending" and "platform down" in job.last_error
        job.due_at = utcnow() - timedelta(seconds=1)
    await scheduler.run_due()
    async with core.db.transaction() as session:
        assert (await session.scalar(select(Job.status).where(Job.kind == "flaky"))) == "failed"
    assert calls == [1, 2]


async def test_the_loop_wakes_for_a_job_due_soon(core: Core) -> None:
    done = asyncio.Event()

    async def handler(job: JobContext) -> None:
        done.set()

    scheduler = Scheduler(core.db, idle=30)
    scheduler.register("soon", handler)
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.05)
    await add(core, "soon", 0.2)
    scheduler.wake()
    await asyncio.wait_for(done.wait(), timeout=5)
    await scheduler.stop()
    await asyncio.wait_for(task, timeout=5)


async def test_several_processes_run_each_job_exactly_once(core: Core, backend: str) -> None:
    """Three schedulers with their own connection pools race for 300 due jobs."""
    from bot.db.engine import Database

    async with core.db.transaction() as session:
        for index in range(300):
            await schedule(session, "remind", utcnow() - timedelta(seconds=1), {"n": index})
    runs: list[int] = []

    async def handler(job: JobContext) -> None:
        runs.append(job.payload["n"])
        await asyncio.sleep(0)

    databases = [Database(core.db.url) for _ in range(3)]
    try:
        schedulers = [Scheduler(db, batch=7, worker_id=f"w{i}") for i, db in
                      enumerate(databases)]
        for scheduler in schedulers:
            scheduler.register("remind", handler)
        counts = await asyncio.gather(*(s.run_due() for s in schedulers))
    finally:
        for db in databases:
            await db.dispose()
    assert sorted(runs) == list(range(300))
    assert sum(counts) == 300
    if backend == "postgresql":
        assert postgres_url() is not None
        assert all(count > 0 for count in counts)  # the work was really shared
    async with core.db.transaction() as session:
        assert await session.scalar(
            select(func.count()).select_from(Job).where(Job.status == "done")) == 300
