"""Small matrix-nio helpers for tests running against :class:`SynapseServer`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    JoinError,
    LoginResponse,
    SyncError,
    SyncResponse,
)

from tests.matrix_harness.synapse import SynapseServer

MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": MEGOLM},
}


def unique_localpart(prefix: str) -> str:
    """A localpart that is unique within the shared test homeserver."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_client(
    server: SynapseServer, localpart: str, *, store_path: Path | None = None
) -> AsyncClient:
    """A nio client for ``localpart``; with ``store_path``, E2E is enabled."""
    config = None
    if store_path is not None:
        store_path.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
    return AsyncClient(
        server.base_url,
        server.user_id(localpart),
        store_path=str(store_path) if store_path is not None else "",
        config=config,
    )


async def login_client(
    server: SynapseServer,
    localpart: str,
    password: str,
    *,
    store_path: Path | None = None,
    device_name: str = "tests",
) -> AsyncClient:
    """Password-login a nio client; with ``store_path``, enable E2E and upload keys."""
    client = make_client(server, localpart, store_path=store_path)
    resp = await client.login(password, device_name=device_name)
    if not isinstance(resp, LoginResponse):
        await client.close()
        raise AssertionError(f"login of {localpart} failed: {resp}")
    if client.olm is not None and client.should_upload_keys:
        await client.keys_upload()
    return client


async def sync_until(
    client: AsyncClient,
    predicate: Callable[[SyncResponse], bool],
    *,
    within: float = 15.0,
    poll_ms: int = 300,
) -> SyncResponse:
    """Sync repeatedly until ``predicate(response)`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        resp = await client.sync(timeout=poll_ms)
        if isinstance(resp, SyncError):
            raise AssertionError(f"sync failed for {client.user_id}: {resp}")
        if predicate(resp):
            return resp
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached by {client.user_id} in {within}s")


async def accept_invite(client: AsyncClient, room_id: str, *, within: float = 15.0) -> None:
    """Wait until the invite to ``room_id`` arrives by sync, then join."""
    await sync_until(client, lambda r: room_id in r.rooms.invite, within=within)
    resp = await client.join(room_id)
    if isinstance(resp, JoinError):
        raise AssertionError(f"{client.user_id} could not join {room_id}: {resp}")
    await sync_until(client, lambda r: room_id in client.rooms, within=within)


async def wait_for_event(
    client: AsyncClient,
    room_id: str,
    predicate: Callable[[Event], bool],
    *,
    within: float = 15.0,
) -> Event:
    """Sync until a timeline event in ``room_id`` matches ``predicate``; return it."""
    found: list[Event] = []

    def check(resp: SyncResponse) -> bool:
        room = resp.rooms.join.get(room_id)
        if room is not None:
            found.extend(e for e in room.timeline.events if predicate(e))
        return bool(found)

    await sync_until(client, check, within=within)
    return found[0]
