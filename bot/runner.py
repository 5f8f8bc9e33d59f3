"""Start the configured adapters in one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Protocol

from bot.config import Settings
from bot.core.app import Core

log = logging.getLogger(__name__)


class Adapter(Protocol):
    name: str

    async def run(self) -> None:
        """Serve until stopped or until the platform session ends."""

    async def stop(self) -> None:
        """Ask ``run`` to finish soon."""


def build_adapters(core: Core, *, console: bool = False) -> list[Adapter]:
    settings = core.settings
    adapters: list[Adapter] = []
    if settings.discord_enabled and not console:
        from bot.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(core))
    if settings.matrix_enabled and not console:
        from bot.matrix.adapter import MatrixAdapter

        adapters.append(MatrixAdapter(core))
    if console or not adapters:
        from bot.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(core))
    return adapters


READY_TIMEOUT = 60.0


def log_tasks() -> None:
    """What every task of the bot is waiting for (``kill -USR1``), to see why a bot
    is slow to answer or to stop."""
    lines = []
    for task in asyncio.all_tasks():
        frames = task.get_stack(limit=8)
        where = " <- ".join(f"{f.f_code.co_name} ({f.f_code.co_filename.rsplit('/', 1)[-1]}:"
                            f"{f.f_lineno})" for f in reversed(frames))
        lines.append(f"  {task.get_name()}: {where or 'not started'}")
    log.warning("%d tasks:\n%s", len(lines), "\n".join(sorted(lines)))


async def _schedule_when_ready(core: Core, adapters: list[Adapter]) -> None:
    """Run due jobs only once every platform can be written to: a reminder or a
    poll result that came due while the bot was down must not be lost at start."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    for adapter in adapters:
        event = getattr(adapter, "ready", None)
        if event is None:
            continue
        while True:
            ready = asyncio.ensure_future(event.wait())
            stopped = asyncio.ensure_future(core.scheduler.wait_stopped())
            await asyncio.wait({ready, stopped}, timeout=max(0.0, deadline - loop.time()),
                               return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            stopped.cancel()
            if core.scheduler.stopping:
                return  # the bot stops before it ever got ready: no job to run
            if event.is_set():
                break
            if getattr(adapter, "standing_by", False):
                # Another process serves this platform and runs the jobs; this one
                # takes over (and starts running jobs) if that one dies.
                deadline = loop.time() + READY_TIMEOUT
                continue
            log.warning("%s was not ready after %.0fs; running jobs anyway",
                        adapter.name, READY_TIMEOUT)
            break
        if not event.is_set():
            break
    await core.scheduler.run()


STRAGGLER_SECONDS = 5.0


async def _finish_stragglers(within: float = STRAGGLER_SECONDS,
                             tasks: set[asyncio.Task[Any]] | None = None) -> None:
    """Let the tasks still running (a message refresh reading the database, a database
    connection being closed) end before the database engine goes; cancel the rest.
    Cancelling one in the middle of a query would leave its connection to be closed
    after the loop is gone."""
    current = asyncio.current_task()
    others = [task for task in (asyncio.all_tasks() if tasks is None else tasks)
              if task is not current and not task.done()]
    timers = [task for task in others if _sleeping(task)]  # e.g. discord.py view timeouts
    for task in timers:
        task.cancel()
    if not others:
        return
    _done, late = await asyncio.wait(others, timeout=within)
    if late:
        log.warning("cancelling %d task(s) still running at shutdown: %s", len(late),
                    ", ".join(sorted(_describe(task) for task in late)))
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=2.0)


def _sleeping(task: asyncio.Task[object]) -> bool:
    """True when ``task`` waits in :func:`asyncio.sleep`: a timer, safe to cancel."""
    coroutine = task.get_coro()
    while (inner := getattr(coroutine, "cr_await", None)) is not None and hasattr(inner,
                                                                                 "cr_code"):
        coroutine = inner
    return getattr(coroutine, "cr_code", None) is asyncio.sleep.__code__


def _describe(task: asyncio.Task[object]) -> str:
    coroutine = task.get_coro()
    return f"{task.get_name()} ({getattr(coroutine, '__qualname__', coroutine)})"


async def serve(settings: Settings, *, console: bool = False) -> None:
    core = Core(settings)
    await core.start()
    adapters = build_adapters(core, console=console)
    log.info("starting adapters: %s", ", ".join(a.name for a in adapters))
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(a.run(), name=a.name) for a in adapters]
    scheduler = asyncio.create_task(_schedule_when_ready(core, adapters), name="scheduler")
    stopping: set[asyncio.Task[None]] = set()
    stop_requested = False

    def request_stop() -> None:
        nonlocal stop_requested
        if not stop_requested:
            stop_requested = True
            log.info("stopping")
        for stop in (core.scheduler.stop, *(adapter.stop for adapter in adapters)):
            task = loop.create_task(stop())
            stopping.add(task)
            task.add_done_callback(stopping.discard)

    handlers = {signal.SIGINT: request_stop, signal.SIGTERM: request_stop,
                signal.SIGUSR1: log_tasks}
    for sig, handler in handlers.items():
        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        failed = [task for task in done if task.exception() is not None]
        for task in failed:
            log.error("adapter %s stopped with an error", task.get_name(),
                      exc_info=task.exception())
        request_stop()
        everything = [*tasks, scheduler]
        await asyncio.wait(everything, timeout=10)
        for task in everything:
            task.cancel()
        await asyncio.gather(*everything, return_exceptions=True)
        if failed:
            raise SystemExit(1)
    finally:
        await _finish_stragglers()
        await core.close()
        log.info("stopped")
