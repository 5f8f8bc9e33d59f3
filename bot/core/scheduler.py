"""Durable jobs: poll closings, reminders, digests.

Jobs live in the ``jobs`` table, never in ``asyncio.sleep``. Services schedule
them inside their own transaction with :func:`schedule`; the :class:`Scheduler`
claims due jobs, runs the handler registered for their kind, and marks them
done. A claim is a lease: if the process dies while running a job, another
process (or the restarted one) claims it again once the lease has run out.

On PostgreSQL, claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` so several
processes never claim the same job. SQLite has a single writer at a time, so
the claiming ``UPDATE`` is atomic there too.

A handler registered with ``atomic=True`` runs inside the transaction that marks
its job done, and writes through ``job.session``: its database effects and the
job's completion commit together or not at all, so a process killed mid-job
leaves nothing behind and the job runs exactly once. Effects outside the
database (a message sent to a platform) cannot join a transaction: they happen
at least once, and twice only if the process dies between sending and
committing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import Job, utcnow

log = logging.getLogger(__name__)

Handler = Callable[["JobContext"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobContext:
    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    due_at: datetime
    attempt: int
    # For atomic handlers: the transaction that also marks the job done.
    session: AsyncSession | None = None


async def schedule(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
) -> None:
    """Add a job in the caller's transaction; with ``key``, an existing job with
    the same key is moved to the new time instead (if it has not run yet)."""
    values = {
        "kind": kind,
        "key": key,
        "payload": json.dumps(payload or {}, sort_keys=True),
        "due_at": due_at,
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    if key is None:
        session.add(Job(**values))
        return
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert(Job) if dialect == "postgresql" else sqlite.insert(Job)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["key"],
        set_={"due_at": due_at, "payload": values["payload"]},
        where=Job.status == "pending",
    )
    await session.execute(statement)


async def cancel(session: AsyncSession, key: str) -> None:
    """Drop a pending job by key (a cancelled meetup's reminders, say)."""
    await session.execute(
        update(Job).where(Job.key == key, Job.status == "pending").values(status="cancelled")
    )


class Scheduler:
    """Claims and runs due jobs until stopped."""

    def __init__(
        self,
        db: Database,
        *,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 20,
        idle: float = 15.0,
        max_attempts: int = 5,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        self.batch = batch
        self.idle = idle
        self.max_attempts = max_attempts
        self.worker_id = worker_id or f"{os.getpid()}-{secrets.token_hex(3)}"
        self._handlers: dict[str, tuple[Handler, bool]] = {}
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()

    def register(self, kind: str, handler: Handler, *, atomic: bool = False) -> None:
        """Run ``handler`` for jobs of ``kind``; ``atomic``: inside the job's own
        completing transaction (``job.session``)."""
        self._handlers[kind] = (handler, atomic)

    def wake(self) -> None:
        """Look for due jobs now (call after scheduling one that is due soon)."""
        self._wake.set()

    async def claim(self) -> list[JobContext]:
        """Claim up to ``batch`` due jobs (or jobs whose lease ran out)."""
        now = utcnow()
        due = or_(
            (Job.status == "pending") & (Job.due_at <= now),
            (Job.status == "running") & (Job.locked_until < now),
        )
        async with self.db.transaction() as session:
            query = select(Job.id).where(due).order_by(Job.due_at, Job.id).limit(self.batch)
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(await session.scalars(query))
            if not ids:
                return []
            rows = await session.execute(
                update(Job)
                .where(Job.id.in_(ids), due)
                .values(
                    status="running",
                    locked_by=self.worker_id,
                    locked_until=now + self.lease,
                    attempts=Job.attempts + 1,
                )
                .returning(Job.id, Job.kind, Job.key, Job.payload, Job.due_at, Job.attempts)
            )
            return [
                JobContext(id, kind, key, json.loads(payload), due_at, attempts)
                for id, kind, key, payload, due_at, attempts in rows.all()
            ]

    async def _finish(self, job: JobContext, error: str | None) -> None:
        async with self.db.transaction() as session:
            if error is None:
                values: dict[str, Any] = {"status": "done", "done_at": utcnow(),
                                          "last_error": None}
            elif job.attempt >= self.max_attempts:
                values = {"status": "failed", "done_at": utcnow(), "last_error": error}
            else:
                backoff = timedelta(seconds=min(600, 5 * 2 ** job.attempt))
                values = {"status": "pending", "due_at": utcnow() + backoff,
                          "last_error": error}
            await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.locked_by == self.worker_id)
                .values(locked_by=None, locked_until=None, **values)
            )

    async def _run_atomic(self, job: JobContext, handler: Handler) -> None:
        async with self.db.transaction() as session:
            mine = select(Job.id).where(Job.id == job.id, Job.status == "running",
                                        Job.locked_by == self.worker_id)
            if self.db.dialect == "postgresql":
                mine = mine.with_for_update()
            if await session.scalar(mine) is None:
                log.warning("job %s was taken over by another process", job.id)
                return
            await handler(dataclasses.replace(job, session=session))
            await session.execute(
                update(Job).where(Job.id == job.id)
                .values(status="done", done_at=utcnow(), last_error=None, locked_by=None,
                        locked_until=None)
            )

    async def run_due(self) -> int:
        """Claim and run what is due now; return how many jobs ran."""
        ran = 0
        while jobs := await self.claim():
            for job in jobs:
                handler, atomic = self._handlers.get(job.kind, (None, False))
                error = None
                if handler is None:
                    error = f"no handler for {job.kind!r}"
                    log.error("job %s: %s", job.id, error)
                else:
                    try:
                        if atomic:
                            await self._run_atomic(job, handler)
                            ran += 1
                            continue
                        await handler(job)
                    except Exception as exc:
                        error = f"{type(exc).__name__}: {exc}"
                        log.exception("job %s (%s) failed", job.id, job.kind)
                await self._finish(job, error)
                ran += 1
        return ran

    async def next_due(self) -> datetime | None:
        async with self.db.transaction() as session:
            return await session.scalar(
                select(Job.due_at).where(Job.status == "pending").order_by(Job.due_at).limit(1)
            )

    async def run(self) -> None:
        """Serve until :meth:`stop`; sleeps until the next job or ``idle`` seconds."""
        while not self._stopped.is_set():
            self._wake.clear()  # a wake() from now on is not lost
            try:
                await self.run_due()
                upcoming = await self.next_due()
            except Exception:
                log.exception("scheduler loop error")
                upcoming = None
            delay = self.idle
            if upcoming is not None:
                delay = max(0.0, min(delay, (upcoming - utcnow()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()
