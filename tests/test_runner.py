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


async def test_shutdown_lets_work_finish_and_drops_timers() -> None:
    loop = asyncio.get_running_loop()
    finished: list[str] = []
    released = asyncio.Event()

    async def timer() -> None:  # like a view's timeout: nothing to lose
        await asyncio.sleep(60)
        finished.append("timer")

    async def reading() -> None:  # like a refresh waiting for the database
        await released.wait()
        finished.append("reading")

    async def stuck() -> None:
        await asyncio.Event().wait()

    tasks = [asyncio.create_task(coroutine()) for coroutine in (timer, reading)]
    loop.call_later(0.2, released.set)
    await asyncio.sleep(0)  # both are under way
    began = loop.time()
    await runner._finish_stragglers(within=5.0, tasks=set(tasks))
    assert finished == ["reading"] and tasks[0].cancelled()
    assert loop.time() - began < 2.0, "timers do not hold the shutdown back"

    hung = asyncio.create_task(stuck())
    await runner._finish_stragglers(within=0.3, tasks={hung})
    assert hung.cancelled(), "what does not end in time is cancelled"
