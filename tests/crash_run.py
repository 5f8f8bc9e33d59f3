"""One crash run: votes through a real process, SIGKILL mid-storm, restart, count.

Used by tests/test_crash.py (one run in CI) and bench/crash_stress.py (many).
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.config import load_settings
from bot.core.app import Core
from bot.core.services.polls import PollDraft
from bot.core.types import Actor
from bot.db.models import Ballot, Member, PollVoter
from tests.ballot_worker import PLACE

ROOT = Path(__file__).resolve().parents[1]
MODERATOR = Actor(PLACE.platform, "moderator", "Moderator", True)


@dataclass(frozen=True)
class CrashResult:
    voters: int
    acknowledged: int  # before the kill
    lost: int  # acknowledged, yet not in the database after the restart
    duplicates: int  # people with more than one ballot
    ballots: int  # after the restart finished the storm


async def _worker(config: Path, poll: int, first: int, last: int
                  ) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.ballot_worker", str(config), str(poll), str(first),
        str(last), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.strip() == b"ready", line
    return process


async def _acks(process: asyncio.subprocess.Process, acked: set[int],
                kill_after: int | None) -> None:
    """Read acknowledgements; SIGKILL the process after ``kill_after`` of them."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        if line.startswith(b"ack "):
            acked.add(int(line.split()[1]))
            if kill_after is not None and len(acked) >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
    await process.wait()


def _write_config(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.toml"
    config.write_text(f'[bot]\ndata_dir = "{workdir / "data"}"\n', encoding="utf-8")
    return config


async def crash_run(workdir: Path, voters: int = 3000, seed: int | None = None) -> CrashResult:
    """Start a poll, let a process vote for ``voters`` members, kill it at a random
    moment, restart a process for the same members, then compare."""
    rng = random.Random(seed)
    config = _write_config(workdir)
    core = Core(load_settings(config, environ={}))
    await core.start()
    try:
        poll = await core.polls.create(MODERATOR, PLACE, PollDraft(
            title="Crash", method="single", options=("Oui", "Non"), secret=True,
            closes=(datetime.now(UTC) + timedelta(days=1)).isoformat()))
    finally:
        await core.close()
    acked: set[int] = set()
    first = await _worker(config, poll.id, 0, voters)
    await _acks(first, acked, kill_after=rng.randint(voters // 10, voters * 8 // 10))
    assert first.returncode == -signal.SIGKILL
    before_restart = set(acked)
    core = Core(load_settings(config, environ={}))
    await core.start()
    try:
        async with core.db.transaction() as session:
            people = dict((await session.execute(
                select(Member.user_id, Member.person_id))).all())
            recorded = set(await session.scalars(
                select(PollVoter.voter_key).where(PollVoter.poll_id == poll.id)))
            ballots_now = await session.scalar(select(func.count()).select_from(Ballot))
            voters_now = await session.scalar(select(func.count()).select_from(PollVoter))
    finally:
        await core.close()
    # A secret ballot is found through the keyed hash of its voter record.
    lost = sum(
        1 for i in before_restart
        if f"voter-{i}" not in people
        or core.polls.keys.voter(poll.id, "console", f"voter-{i}") not in recorded
    )
    second = await _worker(config, poll.id, 0, voters)  # everyone votes again
    again: set[int] = set()
    await _acks(second, again, kill_after=None)
    assert second.returncode == 0
    core = Core(load_settings(config, environ={}))
    await core.start()
    try:
        async with core.db.transaction() as session:
            ballots = await session.scalar(select(func.count()).select_from(Ballot))
            voted = await session.scalar(select(func.count()).select_from(PollVoter))
    finally:
        await core.close()
    duplicates = max(0, ballots - voters) + max(0, voted - voters)
    assert ballots_now == voters_now  # a ballot and its voter record commit together
    return CrashResult(voters, len(before_restart), lost, duplicates, ballots)
