"""The bot as a real subprocess, and members as real nio clients, for Matrix e2e tests."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    Event,
    JoinError,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessage,
    RoomSendResponse,
    SyncError,
    SyncResponse,
)

from tests import db_peek
from tests.db_peek import Rows
from tests.matrix_harness.nio_helpers import (
    ENCRYPTION_STATE,
    login_client,
    unique_localpart,
)
from tests.matrix_harness.synapse import SynapseServer

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "matrix: syncing as"
CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")


class BotProcess:
    """``python -m bot run`` with its own config, data directory and Matrix account."""

    def __init__(self, synapse: SynapseServer, workdir: Path, *, database_url: str = "",
                 user_id: str | None = None) -> None:
        """``user_id``: the Matrix account of another bot process (a standby of the same
        deployment); by default a new account."""
        self.synapse = synapse
        self.workdir = workdir
        self.database_url = database_url
        self.workdir.mkdir(parents=True, exist_ok=True)
        if user_id is None:
            user_id, _token = synapse.register_user(unique_localpart("bot"), PASSWORD)
        self.user_id = user_id
        self.config = workdir / "config.toml"
        self.config.write_text(
            "\n".join([
                "[bot]",
                f'data_dir = "{workdir / "data"}"',
                'log_level = "INFO"',
                "[database]",
                f'url = "{database_url}"',
                "[limits]",
                "demand_cooldown = 0",
                "aid_post_cooldown = 0",
                "meetup_cooldown = 0",
                "[matrix]",
                f'homeserver = "{synapse.base_url}"',
                f'user_id = "{self.user_id}"',
                f'password = "{PASSWORD}"',
                "sync_timeout_ms = 10000",
                "",
            ]),
            "utf-8",
        )
        self.log_path = workdir / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self, *, within: float = 40.0, ready_line: str = READY_LINE) -> None:
        """Start the bot and wait until its sync loop runs (or ``ready_line`` is logged)."""
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "-c", str(self.config), "run"],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env,
            )
        deadline = time.monotonic() + within
        while ready_line not in self.log(since_start=True):
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited at start:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start in {within}s:\n{self.log()}")
            time.sleep(0.1)

    def stop(self, *, within: float = 15.0) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(within)
            except subprocess.TimeoutExpired as exc:
                process.send_signal(signal.SIGUSR1)  # the bot logs what its tasks wait for
                time.sleep(1.0)
                process.kill()
                process.wait()
                raise AssertionError(
                    f"the bot ignored SIGTERM for {within}s:\n{self.log()}"
                ) from exc
        self.process = None
        return process.returncode

    def log(self, *, since_start: bool = False) -> str:
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        if since_start:
            data = data[self._log_offset:]
        return data.decode("utf-8", errors="replace")

    @property
    def db_url(self) -> str:
        """Where the bot keeps its data, as a URL :mod:`tests.db_peek` reads."""
        return self.database_url or f"sqlite:///{self.workdir / 'data' / 'bot.sqlite3'}"

    def _token_key(self) -> str:
        return f"matrix.next_batch:{self.user_id}"

    def saved_token(self) -> str:
        """The sync token the bot saved last."""
        [(token,)] = db_peek.fetch(self.db_url, "SELECT value FROM bot_state WHERE key = ?",
                                   self._token_key())
        return str(token)

    def set_saved_token(self, token: str) -> None:
        """Rewind the saved sync token (only while the bot is stopped)."""
        db_peek.execute(self.db_url, "UPDATE bot_state SET value = ? WHERE key = ?",
                        token, self._token_key())

    def tables(self) -> Rows:
        """Every row of every table of the bot's database, sorted."""
        return db_peek.all_rows(self.db_url)

    def holds(self, *needles: str) -> list[str]:
        """``table: row`` for each row where one of ``needles`` appears (case-folded)."""
        folded = [needle.casefold() for needle in needles]
        return [
            f"{table}: {row}"
            for table, rows in self.tables().items()
            for row in rows
            if any(needle in str(value).casefold() for value in row.values() for needle in folded)
        ]


def relates_to(event: Event) -> dict[str, Any]:
    content = event.source.get("content", {})
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def reply_target(event: Event) -> str | None:
    target = relates_to(event).get("m.in_reply_to")
    return target.get("event_id") if isinstance(target, dict) else None


class Member:
    """A member of the collective: a logged-in nio client that records what it sees."""

    def __init__(self, synapse: SynapseServer, client: AsyncClient) -> None:
        self.synapse = synapse
        self.client = client
        self.events: list[tuple[str, Event]] = []
        self.invites: set[str] = set()

    @classmethod
    async def login(
        cls, synapse: SynapseServer, prefix: str, *, store_path: Path | None = None
    ) -> Member:
        localpart = unique_localpart(prefix)
        synapse.register_user(localpart, PASSWORD)
        client = await login_client(synapse, localpart, PASSWORD, store_path=store_path)
        member = cls(synapse, client)
        await member.sync()
        return member

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def close(self) -> None:
        await self.client.close()

    async def sync(self, timeout_ms: int = 0) -> SyncResponse:
        response = await self.client.sync(timeout=timeout_ms)
        if isinstance(response, SyncError):
            raise AssertionError(f"sync failed for {self.user_id}: {response}")
        if self.client.olm is not None:
            if self.client.should_query_keys:
                await self.client.keys_query()
            await self.client.send_to_device_messages()
        self.invites.update(response.rooms.invite)
        for room_id, info in response.rooms.join.items():
            self.events.extend((room_id, event) for event in info.timeline.events)
        return response

    async def until(self, condition: Callable[[], bool], *, within: float = 20.0) -> None:
        """Sync until ``condition()`` holds."""
        deadline = asyncio.get_running_loop().time() + within
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not reached by {self.user_id} in {within}s")
            await self.sync(timeout_ms=500)

    async def wait(
        self, predicate: Callable[[str, Event], bool], *, within: float = 20.0
    ) -> list[tuple[str, Event]]:
        """Sync until some recorded event matches; return all that match."""

        def matching() -> list[tuple[str, Event]]:
            return [(room, event) for room, event in self.events if predicate(room, event)]

        await self.until(lambda: bool(matching()), within=within)
        return matching()

    async def create_room(
        self,
        *,
        invite: list[str],
        encrypted: bool = False,
        power_levels: dict[str, int] | None = None,
        name: str = "Collectif",
    ) -> str:
        override = None
        if power_levels is not None:
            override = {"users": power_levels}
        created = await self.client.room_create(
            name=name,
            invite=invite,
            initial_state=[ENCRYPTION_STATE] if encrypted else [],
            power_level_override=override,
        )
        assert isinstance(created, RoomCreateResponse), created
        return created.room_id

    async def join(self, room_id: str) -> None:
        await self.until(lambda: room_id in self.invites)
        joined = await self.client.join(room_id)
        assert not isinstance(joined, JoinError), joined
        await self.wait_member(room_id, self.user_id)

    async def wait_member(self, room_id: str, user_id: str) -> None:
        """Sync until ``user_id`` has joined ``room_id`` as seen by this member."""

        def joined() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users and not room.users[user_id].invited

        await self.until(joined)

    async def say(self, room_id: str, body: str) -> str:
        sent = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent
        return sent.event_id

    async def replies(
        self, room_id: str, event_id: str, *, sender: str, count: int = 1, within: float = 20.0
    ) -> list[Event]:
        """The bot's replies to ``event_id``; waits until at least ``count`` arrived."""

        def is_reply(room: str, event: Event) -> bool:
            return room == room_id and event.sender == sender and reply_target(event) == event_id

        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [event for _room, event in await self.wait(is_reply, within=within)]
            if len(found) >= count or asyncio.get_running_loop().time() > deadline:
                assert not any(isinstance(e, MegolmEvent) for e in found), "not decrypted"
                return found
            await self.sync(timeout_ms=500)

    async def command(self, room_id: str, body: str, *, bot: str) -> Event:
        """Send a command and return the bot's one reply to it."""
        event_id = await self.say(room_id, body)
        [reply] = await self.replies(room_id, event_id, sender=bot)
        return reply

    async def join_direct(self, *, within: float = 20.0) -> str:
        """Join the next room this member is invited to (a direct room from the bot)."""

        def pending() -> set[str]:
            return {room for room in self.invites if room not in self.client.rooms}

        await self.until(lambda: bool(pending()), within=within)
        [room_id] = pending()
        await self.join(room_id)
        return room_id

    def messages(self, room_id: str, *, sender: str) -> list[RoomMessage]:
        """Messages seen in ``room_id`` from ``sender``, oldest first."""
        return [
            event for room, event in self.events
            if room == room_id and event.sender == sender and isinstance(event, RoomMessage)
        ]


def download(synapse: SynapseServer, mxc: str, access_token: str) -> bytes:
    """Authenticated media download (``/_matrix/client/v1/media``)."""
    server, media_id = mxc.removeprefix("mxc://").split("/", 1)
    request = urllib.request.Request(
        f"{synapse.base_url}/_matrix/client/v1/media/download/{server}/{media_id}",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()
