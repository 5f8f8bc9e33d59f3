"""The runner's own helpers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import runner


async def test_usr1_logs_what_each_task_waits_for(caplog: pytest.LogCaptureFixture) -> None:
    async def waiting_for_a_reply() -> None:
        await asyncio.sleep(30)

    task = asyncio.create_task(waiting_for_a_reply(), name="slow-handler")
    await asyncio.sleep(0)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.runner"):
            runner.log_tasks()
    finally:
        task.cancel()
    [record] = caplog.records
    line = next(x for x in record.getMessage().splitlines() if "slow-handler" in x)
    assert "waiting_for_a_reply (test_runner.py:" in line
