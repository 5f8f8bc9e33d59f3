"""Several processes on PostgreSQL: one owns the Matrix sync, another stands by and
takes over when the owner dies."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import postgres_database
from tests.e2e_matrix.helpers import READY_LINE, BotProcess, Member
from tests.matrix_harness.synapse import SynapseServer

STANDBY_LINE = "standing by"


async def wait_log(bot: BotProcess, line: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while line not in bot.log(since_start=True):
        assert time.monotonic() < deadline, f"no {line!r} in:\n{bot.log()}"
        await asyncio.sleep(0.1)


async def test_a_standby_process_takes_the_sync_over(
        synapse: SynapseServer, tmp_path: Path, migrated_postgres: str | None) -> None:
    if migrated_postgres is None:
        pytest.skip("no PostgreSQL server answers")
    async with postgres_database(migrated_postgres) as url:
        owner = BotProcess(synapse, tmp_path / "owner", database_url=url)
        standby = BotProcess(synapse, tmp_path / "standby", database_url=url,
                             user_id=owner.user_id)
        hana = await Member.login(synapse, "hana")
        try:
            owner.start()
            standby.start(ready_line=STANDBY_LINE)
            room = await hana.create_room(invite=[owner.user_id])
            await hana.wait_member(room, owner.user_id)
            first = await hana.say(room, "!tribune")
            [reply] = await hana.replies(room, first, sender=owner.user_id)
            assert "signature" in reply.body
            assert READY_LINE not in standby.log(since_start=True)

            assert owner.process is not None
            owner.process.send_signal(signal.SIGKILL)  # no goodbye: the lock must go
            owner.process.wait()
            owner.process = None
            await wait_log(standby, "taking over the sync")
            await wait_log(standby, READY_LINE)

            second = await hana.say(room, "!tribune")
            replies = await hana.replies(room, second, sender=owner.user_id)
            assert len(replies) == 1 and "signature" in replies[0].body
            await asyncio.sleep(1.0)  # nothing more comes: the first command is not replayed
            assert len(await hana.replies(room, first, sender=owner.user_id)) == 1
            assert standby.stop() == 0
            assert "Traceback" not in standby.log()
        finally:
            await hana.close()
            owner.stop()
            standby.stop()
