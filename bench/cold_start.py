"""Cold start to ready and resident memory, with both adapters connected.

    .venv/bin/python bench/cold_start.py [--runs 3] [--rows 100000]

Starts a real Synapse homeserver and the loopback Discord stand-in (the ones
the tests use), then ``--runs`` times: the bot (``python -m bot run``, SQLite,
a fresh data folder) from process start until both adapters are ready
("connected to Discord as" and "matrix: syncing as" in its log), and its
resident memory (VmRSS) after 5 idle seconds. Then the database gets
``--rows`` rows of activity (half tribune signatures, half ballots of one
poll, written through the bulk paths of the services' tables), the bot is
started once more, and its ready time and idle memory are measured again.
Printed: medians, with the machine's core count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT
from sqlalchemy import insert

from bot.config import load_settings
from bot.core.app import Core
from bot.core.services.directory import ensure_collective
from bot.core.services.polls import PollDraft
from bot.core.types import Actor, Place, Platform
from bot.db.models import Member, Person, Signature, utcnow
from tests.discord_standin import DiscordEnv, DiscordStandIn
from tests.matrix_harness.synapse import SynapseServer

PASSWORD = "cold start password"
PLACE = Place(Platform.CONSOLE, "bench", "general", "Bench")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_bot(config: Path, log: Path) -> tuple[float, float]:
    """Seconds from process start to both adapters ready, and idle RSS in MiB."""
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "-c", str(config), "run"],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        while True:
            text = log.read_text(errors="replace")
            if "connected to Discord as" in text and "matrix: syncing as" in text:
                ready = time.perf_counter() - started
                break
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError(f"the bot did not get ready:\n{text}")
            time.sleep(0.02)
        time.sleep(5)
        return ready, rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(30)


async def fill(config: Path, rows: int) -> None:
    """``rows // 2`` signatures and as many ballots, through bulk inserts and the
    ballot service (whose batches write thousands of ballots a second)."""
    core = Core(load_settings(config, environ={}))
    await core.start()
    try:
        half = rows // 2
        async with core.db.transaction() as session:
            collective = await ensure_collective(session, PLACE, locale="fr",
                                                 timezone="Europe/Paris")
            now = utcnow()
            people = list(await session.scalars(
                insert(Person).returning(Person.id), [{"created_at": now}] * half))
            await session.execute(insert(Member), [
                {"platform": "console", "user_id": f"s{i}", "person_id": p,
                 "display_name": f"S {i}", "created_at": now} for i, p in enumerate(people)])
            await session.execute(insert(Signature), [
                {"collective_id": collective.id, "person_id": p, "display_name": f"S {i}",
                 "profession": "graphiste", "city": "Lyon", "public": i % 2 == 0,
                 "consent_at": now} for i, p in enumerate(people)])
        poll = await core.polls.create(Actor(Platform.CONSOLE, "mod", "Mod", True), PLACE,
                                       PollDraft(title="Bench", method="single",
                                                 options=("Oui", "Non"),
                                                 closes=(datetime.now(UTC) + timedelta(days=1))
                                                 .isoformat()))
        for start in range(0, half, 5000):
            await asyncio.gather(*(
                core.polls.vote(Actor(Platform.CONSOLE, f"v{i}", f"V {i}"), PLACE, poll.id,
                                "AB"[i % 2]) for i in range(start, min(half, start + 5000))))
    finally:
        await core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print("$ .venv/bin/python bench/cold_start.py " + shlex.join(sys.argv[1:]))
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        synapse = SynapseServer(root / "synapse")
        synapse.start()
        loop = asyncio.new_event_loop()
        standin = DiscordStandIn()
        try:
            loop.run_until_complete(standin.start())
            DiscordEnv.create(standin, guild_name="Bench", channels=("general",))
            user_id, _token = synapse.register_user("coldbot", PASSWORD)
            readies, memories = [], []
            config = root / "config.toml"
            for run in range(args.runs + 1):
                data = root / f"data-{min(run, args.runs - 1)}"
                config.write_text(
                    f'[bot]\ndata_dir = "{data}"\n'
                    f'[discord]\ntoken = "x"\napi_base = "{standin.api_base}"\n'
                    f'gateway_url = "{standin.gateway_url}"\n'
                    f'[matrix]\nhomeserver = "{synapse.base_url}"\nuser_id = "{user_id}"\n'
                    f'password = "{PASSWORD}"\n', encoding="utf-8")
                if run == args.runs:
                    loop.run_until_complete(fill(config, args.rows))
                ready, rss = _serve_while(loop, lambda: start_bot(config, root / "bot.log"))
                if run < args.runs:
                    readies.append(ready)
                    memories.append(rss)
                    print(f"  run {run + 1}: ready in {ready:.2f} s, idle RSS {rss:.0f} MiB")
                else:
                    print(f"  after {args.rows} signatures and ballots: ready in {ready:.2f} s, "
                          f"idle RSS {rss:.0f} MiB")
            print(f"cold start to ready (median of {args.runs}): "
                  f"{statistics.median(readies):.2f} s; idle RSS {statistics.median(memories):.0f}"
                  " MiB")
        finally:
            loop.run_until_complete(standin.stop())
            loop.close()
            synapse.stop()


def _serve_while(loop: asyncio.AbstractEventLoop, blocking):
    """Run ``blocking`` in a thread while the stand-in's event loop serves the bot."""
    return loop.run_until_complete(loop.run_in_executor(None, blocking))


if __name__ == "__main__":
    main()
