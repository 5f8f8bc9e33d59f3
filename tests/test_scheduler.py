"""Durable jobs on a real database: run once, survive restarts, retry, never twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from bot.core.app import Core
from bot.core.scheduler import JobContext, Scheduler, cancel, schedule
from bot.db.engine import Database
from bot.db.models import Job, utcnow
from tests.conftest import postgres_database, postgres_url

ROOT = Path(__file__).resolve().parents[1]


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


async def _start_worker(url: str, worker: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.job_worker", url, worker,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line.strip() == b"ready", line
    return process


@pytest.mark.parametrize("kill", [False, True], ids=["all-live", "one-killed"])
async def test_three_processes_on_postgresql_run_1000_jobs_exactly_once(
        migrated_postgres: str | None, kill: bool) -> None:
    """Three real processes share 1,000 due jobs; with ``kill``, one of them gets
    SIGKILL mid-way and the others take its claimed jobs over once the lease ends.
    (Several processes need PostgreSQL; SQLite serves one process.)"""
    if migrated_postgres is None:
        pytest.skip("no PostgreSQL server answers")
    async with postgres_database(migrated_postgres) as url:
        db = Database(url)
        try:
            await _race(db, kill)
        finally:
            await db.dispose()


async def _race(db: Database, kill: bool) -> None:
    async with db.transaction() as session:
        await session.execute(text(
            "CREATE TABLE test_job_runs (job_id integer NOT NULL, worker text NOT NULL, "
            "pid integer NOT NULL)"))
        for index in range(1000):
            await schedule(session, "test.record", utcnow() - timedelta(seconds=1),
                           {"n": index})
    workers = [await _start_worker(db.url, f"w{i}") for i in range(3)]
    held = 0  # jobs the killed process had claimed and not finished
    try:
        if kill:
            async def runs() -> int:  # by the process about to be killed
                async with db.transaction() as session:
                    return await session.scalar(text(
                        "SELECT count(*) FROM test_job_runs WHERE worker = 'w0'"))
            while await runs() < 50:  # noqa: ASYNC110 - another process's progress
                await asyncio.sleep(0.02)
            workers[0].send_signal(signal.SIGKILL)
            await workers[0].wait()
            async with db.transaction() as session:
                held = await session.scalar(select(func.count()).select_from(Job).where(
                    Job.locked_by == "w0", Job.status == "running"))
        codes = await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)),
                                       timeout=120)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert codes[1:] == [0, 0]
    assert codes[0] == (-signal.SIGKILL if kill else 0)
    async with db.transaction() as session:
        per_job = dict((await session.execute(text(
            "SELECT job_id, count(*) FROM test_job_runs GROUP BY job_id"))).all())
        workers_used = (await session.execute(text(
            "SELECT worker, count(*) FROM test_job_runs GROUP BY worker"))).all()
        jobs = (await session.execute(select(Job.id, Job.status, Job.attempts)
                                      .where(Job.kind == "test.record"))).all()
    assert len(jobs) == 1000 and {status for _, status, _ in jobs} == {"done"}
    assert set(per_job) == {job_id for job_id, _, _ in jobs}
    assert set(per_job.values()) == {1}  # each job ran exactly once
    assert len(workers_used) == 3  # the work was shared
    if held:  # the killed process had claimed jobs it never finished: they ran again
        assert sum(attempts > 1 for _, _, attempts in jobs) >= held
